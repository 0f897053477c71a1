/** @file
 * Human-readable dump of a validated .tflite model (tools/tflite_inspect and
 * `panim models inspect`): summary, subgraph inputs/outputs, an op histogram, every op with
 * its tensors and decoded options, and optionally all tensors. It only uses the public
 * reader API, so anything it prints has passed the reader's validation; strings from the
 * file are still sanitised so a hostile name cannot inject terminal escapes or newlines.
 */
#include <string.h>

#include "core/mem.h"
#include "nn/tflite.h"
#include "panim.h"

/* Print at most `max` bytes of a file string, non-printable bytes as '?'. */
static void put_str(FILE *out, const char *s, size_t max)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n && i < max; i++)
        fputc(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?', out);
    if (n > max)
        fputs("...", out);
}

static void format_shape(const struct pa_tflite_tensor *t, char *buf, size_t size)
{
    size_t len = 0;
    if (t->ndim == 0)
        snprintf(buf, size, "scalar");
    for (int d = 0; d < t->ndim && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, d ? "x%d" : "%d", (int)t->shape[d]);
}

/* "t12 1x64x64x24 FLOAT32" (+ " const" when it has data), or "-" for an absent input. */
static void put_tensor(FILE *out, const struct pa_tflite *m, int idx)
{
    struct pa_tflite_tensor t;
    char shape[96];
    if (idx < 0 || pa_tflite_tensor(m, idx, &t) < 0) {
        fputs("-", out);
        return;
    }
    format_shape(&t, shape, sizeof(shape));
    fprintf(out, "t%d %s %s%s", idx, shape, pa_tflite_type_name(t.type), t.data ? " const" : "");
}

static const char *op_name(const struct pa_tflite_op *op)
{
    return op->custom_code ? op->custom_code : pa_tflite_builtin_name(op->builtin_code);
}

static void put_options(FILE *out, const struct pa_tflite_op *op)
{
    static const char *const acts[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"};
    const struct pa_tflite_options *o = &op->opt;
    const char *act =
        o->activation >= 0 && o->activation < (int)PA_ARRAY_SIZE(acts) ? acts[o->activation] : "?";
    const char *pad = o->padding == 0 ? "SAME" : o->padding == 1 ? "VALID" : "?";

    switch (op->options_type) {
    case 1: // Conv2DOptions
    case 2: // DepthwiseConv2DOptions
        fprintf(out, "  pad=%s stride=%dx%d dilation=%dx%d", pad, o->stride_w, o->stride_h,
                o->dilation_w, o->dilation_h);
        if (op->options_type == 2)
            fprintf(out, " multiplier=%d", o->depth_multiplier);
        fprintf(out, " act=%s", act);
        break;
    case 5: // Pool2DOptions
        fprintf(out, "  pad=%s stride=%dx%d filter=%dx%d act=%s", pad, o->stride_w, o->stride_h,
                o->filter_w, o->filter_h, act);
        break;
    case 49: // TransposeConvOptions
        fprintf(out, "  pad=%s stride=%dx%d act=%s", pad, o->stride_w, o->stride_h, act);
        break;
    case 8: // FullyConnectedOptions; then Add, Mul, Sub, Div options
    case 11:
    case 21:
    case 28:
    case 29:
        fprintf(out, "  act=%s", act);
        break;
    case 10: // ConcatenationOptions
        fprintf(out, "  axis=%d act=%s", o->axis, act);
        break;
    case 15: // ResizeBilinearOptions, ResizeNearestNeighborOptions
    case 74:
        fprintf(out, "  align_corners=%d half_pixel_centers=%d", o->align_corners,
                o->half_pixel_centers);
        break;
    case 17: // ReshapeOptions
        fputs("  new_shape=[", out);
        for (int i = 0; i < o->n_new_shape; i++)
            fprintf(out, i ? ",%d" : "%d", (int)o->new_shape[i]);
        fputs("]", out);
        break;
    case 32: // StridedSliceOptions
        fprintf(out,
                "  begin_mask=%d end_mask=%d ellipsis_mask=%d new_axis_mask=%d "
                "shrink_axis_mask=%d",
                o->begin_mask, o->end_mask, o->ellipsis_mask, o->new_axis_mask,
                o->shrink_axis_mask);
        break;
    default:
        break;
    }
    if (op->custom_code)
        fprintf(out, "  custom_options=%zu bytes", op->custom_options_size);
}

static void dump_io(FILE *out, const struct pa_tflite *m, int which)
{
    fprintf(out, "%s:\n", which ? "outputs" : "inputs");
    for (int i = 0; i < pa_tflite_num_io(m, which); i++) {
        int idx = pa_tflite_io(m, which, i);
        struct pa_tflite_tensor t;
        pa_tflite_tensor(m, idx, &t);
        fprintf(out, "  [%d] ", i);
        put_tensor(out, m, idx);
        fputs("  \"", out);
        put_str(out, t.name, 120);
        fputs("\"\n", out);
    }
}

struct kind {
    int code;
    const char *custom; ///< NULL for builtin ops
    int count;
};

static int cmp_kind(const void *pa, const void *pb)
{
    const struct kind *a = pa, *b = pb;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    return strcmp(a->custom ? a->custom : "", b->custom ? b->custom : "");
}

static int cmp_count(const void *pa, const void *pb)
{
    const struct kind *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return cmp_kind(pa, pb);
}

/* Sort ops by kind, merge runs, then sort by count: O(n log n) even for hostile files. */
static int dump_histogram(FILE *out, const struct pa_tflite *m)
{
    int n = pa_tflite_num_ops(m), n_kinds = 0;
    struct kind *k = pa_calloc((size_t)n + 1, sizeof(*k));
    if (!k)
        return PA_ENOMEM;
    for (int i = 0; i < n; i++) {
        struct pa_tflite_op op;
        pa_tflite_op(m, i, &op);
        k[i] = (struct kind){op.builtin_code, op.custom_code, 1};
    }
    qsort(k, (size_t)n, sizeof(*k), cmp_kind);
    for (int i = 0; i < n; i++) {
        if (n_kinds > 0 && cmp_kind(&k[n_kinds - 1], &k[i]) == 0)
            k[n_kinds - 1].count++;
        else
            k[n_kinds++] = k[i];
    }
    qsort(k, (size_t)n_kinds, sizeof(*k), cmp_count);
    fprintf(out, "op histogram (%d kinds):\n", n_kinds);
    for (int i = 0; i < n_kinds; i++) {
        fprintf(out, "  %5d  ", k[i].count);
        if (k[i].custom) {
            put_str(out, k[i].custom, 80);
            fputs(" (custom)\n", out);
        } else {
            fprintf(out, "%s\n", pa_tflite_builtin_name(k[i].code));
        }
    }
    pa_free(k);
    return 0;
}

static void dump_ops(FILE *out, const struct pa_tflite *m)
{
    fprintf(out, "ops:\n");
    for (int i = 0; i < pa_tflite_num_ops(m); i++) {
        struct pa_tflite_op op;
        pa_tflite_op(m, i, &op);
        fprintf(out, "  #%d ", i);
        put_str(out, op_name(&op), 80);
        fprintf(out, " v%d: ", op.version);
        for (int k = 0; k < op.n_inputs; k++) {
            fputs(k ? ", " : "", out);
            put_tensor(out, m, op.inputs[k]);
        }
        fputs(" -> ", out);
        for (int k = 0; k < op.n_outputs; k++) {
            fputs(k ? ", " : "", out);
            put_tensor(out, m, op.outputs[k]);
        }
        put_options(out, &op);
        fputc('\n', out);
    }
}

static void dump_tensors(FILE *out, const struct pa_tflite *m)
{
    fprintf(out, "tensors:\n  %5s  %-8s %-18s %10s  %s\n", "index", "type", "shape", "const B",
            "name");
    for (int i = 0; i < pa_tflite_num_tensors(m); i++) {
        struct pa_tflite_tensor t;
        char shape[96];
        pa_tflite_tensor(m, i, &t);
        format_shape(&t, shape, sizeof(shape));
        fprintf(out, "  %5d  %-8s %-18s %10zu  ", i, pa_tflite_type_name(t.type), shape,
                t.data_size);
        put_str(out, t.name, 200);
        fputs(t.quantized ? "  (quantized)\n" : "\n", out);
    }
}

int pa_tflite_dump(const struct pa_tflite *m, int show_tensors, FILE *out)
{
    size_t const_bytes = 0;
    int n_const = 0;
    for (int i = 0; i < pa_tflite_num_tensors(m); i++) {
        struct pa_tflite_tensor t;
        pa_tflite_tensor(m, i, &t);
        n_const += t.data != NULL;
        const_bytes += t.data_size;
    }
    fputs("model:       ", out);
    put_str(out, pa_tflite_name(m), 400);
    fprintf(out, "\nversion:     %d\ndescription: \"", pa_tflite_version(m));
    put_str(out, pa_tflite_description(m), 200);
    fprintf(out, "\"\ntensors:     %d (%d constant, %zu bytes)\nops:         %d\n",
            pa_tflite_num_tensors(m), n_const, const_bytes, pa_tflite_num_ops(m));
    dump_io(out, m, 0);
    dump_io(out, m, 1);
    int ret = dump_histogram(out, m);
    if (ret < 0)
        return ret;
    dump_ops(out, m);
    if (show_tensors)
        dump_tensors(out, m);
    return ferror(out) ? PA_EIO : 0;
}

/** @file
 * TFLite operator -> pa_node translation: maps builtin codes and MediaPipe custom codes to
 * enum pa_op, decodes every parameter into struct pa_op_params, and removes the int32
 * constant inputs that only carry parameters (PAD paddings, RESHAPE shape, RESIZE_BILINEAR
 * size, STRIDED_SLICE begin/end/strides), so kernels never read int32 data.
 *
 * Algorithm digest (STRIDED_SLICE, TFLite strided_slice.cc semantics): per input dim d of
 * size n with stride s != 0: a negative index i means i + n; a set begin_mask bit means the
 * start of the range (0 for s > 0, n - 1 for s < 0) and a set end_mask bit its end (n for
 * s > 0, -1 for s < 0); otherwise indices are clamped to [0, n] (s > 0) or [-1, n - 1]
 * (s < 0). A shrink_axis_mask bit takes the single element at begin (end = begin + 1,
 * s = 1) and drops the dim from the output. The output length is ceil((end - begin) / s),
 * which must be >= 1. ellipsis_mask and new_axis_mask are not supported.
 *
 * Convolution2DTransposeBias (MediaPipe) carries a raw TfLiteTransposeConvParams struct
 * {int32 padding; int32 stride_width; int32 stride_height;} as custom_options, where
 * padding uses TfLitePadding numbering (1 = SAME, 2 = VALID), not the schema's.
 */
#include "nn/graph_impl.h"

#include <stdarg.h>
#include <string.h>

#include "core/log.h"
#include "nn/custom.h"

/* TFLite schema BuiltinOperator codes we translate (schema.fbs numbering). */
enum {
    TFL_ADD = 0,
    TFL_AVERAGE_POOL_2D = 1,
    TFL_CONCATENATION = 2,
    TFL_CONV_2D = 3,
    TFL_DEPTHWISE_CONV_2D = 4,
    TFL_DEQUANTIZE = 6,
    TFL_FULLY_CONNECTED = 9,
    TFL_LOGISTIC = 14,
    TFL_MAX_POOL_2D = 17,
    TFL_MUL = 18,
    TFL_RELU = 19,
    TFL_RELU6 = 21,
    TFL_RESHAPE = 22,
    TFL_RESIZE_BILINEAR = 23,
    TFL_CUSTOM = 32,
    TFL_PAD = 34,
    TFL_STRIDED_SLICE = 45,
    TFL_PRELU = 54,
    TFL_HARD_SWISH = 117,
};

/* One row per supported op: how many TFLite inputs it takes. */
struct op_entry {
    int code;           ///< builtin code, or TFL_CUSTOM
    const char *custom; ///< custom_code for TFL_CUSTOM rows
    enum pa_op op;
    int min_in, max_in;
};

static const struct op_entry k_ops[] = {
    {TFL_ADD, NULL, PA_OP_ADD, 2, 2},
    {TFL_AVERAGE_POOL_2D, NULL, PA_OP_AVERAGE_POOL_2D, 1, 1},
    {TFL_CONCATENATION, NULL, PA_OP_CONCATENATION, 1, PA_NN_MAX_IO},
    {TFL_CONV_2D, NULL, PA_OP_CONV_2D, 2, 3},
    {TFL_DEPTHWISE_CONV_2D, NULL, PA_OP_DEPTHWISE_CONV_2D, 2, 3},
    {TFL_FULLY_CONNECTED, NULL, PA_OP_FULLY_CONNECTED, 2, 3},
    {TFL_LOGISTIC, NULL, PA_OP_LOGISTIC, 1, 1},
    {TFL_MAX_POOL_2D, NULL, PA_OP_MAX_POOL_2D, 1, 1},
    {TFL_MUL, NULL, PA_OP_MUL, 2, 2},
    {TFL_RELU, NULL, PA_OP_RELU, 1, 1},
    {TFL_RELU6, NULL, PA_OP_RELU6, 1, 1},
    {TFL_RESHAPE, NULL, PA_OP_RESHAPE, 1, 2},
    {TFL_RESIZE_BILINEAR, NULL, PA_OP_RESIZE_BILINEAR, 2, 2},
    {TFL_PAD, NULL, PA_OP_PAD, 2, 2},
    {TFL_STRIDED_SLICE, NULL, PA_OP_STRIDED_SLICE, 4, 4},
    {TFL_PRELU, NULL, PA_OP_PRELU, 2, 2},
    {TFL_HARD_SWISH, NULL, PA_OP_HARD_SWISH, 1, 1},
    {TFL_CUSTOM, "Convolution2DTransposeBias", PA_OP_TRANSPOSE_CONV_BIAS, 2, 3},
    {TFL_CUSTOM, "Landmarks2TransformMatrix", PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, 1, 1},
    {TFL_CUSTOM, "TransformTensorBilinear", PA_OP_TRANSFORM_TENSOR_BILINEAR, 2, 2},
    {TFL_CUSTOM, "TransformLandmarks", PA_OP_TRANSFORM_LANDMARKS, 2, 2},
};

const char *pa_gb_op_name(const struct pa_tflite_op *op)
{
    if (op->builtin_code == TFL_CUSTOM)
        return op->custom_code ? op->custom_code : "CUSTOM";
    return pa_tflite_builtin_name(op->builtin_code);
}

/* Log "<file>: op <i> (<name>): <message>" and return `err`. */
PA_PRINTF(5, 6)
static int op_fail(const struct pa_gbuild *b, int index, const struct pa_tflite_op *op, int err,
                   const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pa_log_error("nn", "%s: op %d (%s): %s", b->name, index, pa_gb_op_name(op), msg);
    return err;
}

static int map_activation(int tfl, enum pa_activation *out)
{
    static const enum pa_activation map[] = {PA_ACT_NONE, PA_ACT_RELU, PA_ACT_RELU_N1_TO_1,
                                             PA_ACT_RELU6};
    if (tfl < 0 || tfl >= (int)PA_ARRAY_SIZE(map))
        return PA_EUNSUPPORTED;
    *out = map[tfl];
    return 0;
}

/*
 * Read a constant INT32 tensor of at most `max` elements into vals (element count in *n).
 * These only ever feed parameters, so anything else is a malformed model.
 */
static int read_int32(const struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                      int tensor, int32_t *vals, int max, int *n)
{
    const struct pa_tflite_tensor *tt = &b->tt[tensor];
    if (tt->type != PA_TFLITE_INT32 || !tt->data)
        return op_fail(b, index, op, PA_EUNSUPPORTED,
                       "parameter tensor '%s' is not a constant INT32 tensor", tt->name);
    if (tt->data_size % 4 != 0 || tt->data_size / 4 > (size_t)max)
        return op_fail(b, index, op, PA_EINVALDATA,
                       "parameter tensor '%s' has %zu bytes (at most %d int32 expected)", tt->name,
                       tt->data_size, max);
    *n = (int)(tt->data_size / 4);
    memcpy(vals, tt->data, tt->data_size); // the file is little-endian, like our targets
    return 0;
}

static int decode_pad(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                      struct pa_node *node)
{
    int32_t v[2 * PA_TFLITE_MAX_DIMS];
    int n, ret = read_int32(b, index, op, op->inputs[1], v, 2 * PA_TFLITE_MAX_DIMS, &n);
    if (ret < 0)
        return ret;
    int ndim = b->tt[op->inputs[0]].ndim;
    if (n != 2 * ndim || ndim > PA_NN_MAX_DIMS)
        return op_fail(b, index, op, PA_EINVALDATA, "paddings have %d values for a %d-D input", n,
                       ndim);
    for (int d = 0; d < ndim; d++) {
        if (v[2 * d] < 0 || v[2 * d + 1] < 0 || v[2 * d] > 65536 || v[2 * d + 1] > 65536)
            return op_fail(b, index, op, PA_EINVALDATA, "bad padding %d/%d on dim %d",
                           (int)v[2 * d], (int)v[2 * d + 1], d);
        node->p.pad[d][0] = v[2 * d];
        node->p.pad[d][1] = v[2 * d + 1];
    }
    return 0;
}

/* The shape tensor (or options) of a RESHAPE must agree with the stated output shape. */
static int check_reshape(struct pa_gbuild *b, int index, const struct pa_tflite_op *op)
{
    int32_t v[PA_TFLITE_MAX_DIMS];
    int n = 0;
    if (op->n_inputs > 1 && op->inputs[1] >= 0) {
        int ret = read_int32(b, index, op, op->inputs[1], v, PA_TFLITE_MAX_DIMS, &n);
        if (ret < 0)
            return ret;
    } else if (op->opt.n_new_shape > 0) {
        n = PA_MIN(op->opt.n_new_shape, PA_TFLITE_MAX_DIMS);
        memcpy(v, op->opt.new_shape, (size_t)n * sizeof(v[0]));
    } else {
        return 0; // nothing to check: the output tensor's shape is the contract
    }
    const struct pa_tflite_tensor *out = &b->tt[op->outputs[0]];
    int ok = n == out->ndim;
    for (int d = 0; ok && d < n; d++)
        ok = v[d] == -1 || v[d] == out->shape[d]; // -1 is the inferred dim
    if (!ok)
        return op_fail(b, index, op, PA_EINVALDATA, "new shape does not match output tensor '%s'",
                       out->name);
    return 0;
}

static int check_resize(struct pa_gbuild *b, int index, const struct pa_tflite_op *op)
{
    int32_t v[2];
    int n, ret = read_int32(b, index, op, op->inputs[1], v, 2, &n);
    if (ret < 0)
        return ret;
    const struct pa_tflite_tensor *out = &b->tt[op->outputs[0]];
    if (n != 2 || out->ndim != 4 || v[0] != out->shape[1] || v[1] != out->shape[2])
        return op_fail(b, index, op, PA_EINVALDATA, "size does not match output tensor '%s'",
                       out->name);
    if (op->opt.align_corners && op->opt.half_pixel_centers)
        return op_fail(b, index, op, PA_EINVALDATA,
                       "align_corners and half_pixel_centers are exclusive");
    return 0;
}

/* Resolve one dim of a strided slice (see the digest at the top). */
static int slice_dim(int n, int32_t begin, int32_t end, int32_t s, int masks[3], int d, int out[3])
{
    int bm = (masks[0] >> d) & 1, em = (masks[1] >> d) & 1, shrink = (masks[2] >> d) & 1;
    long long bg = begin, en = end;
    if (shrink) {
        bg = bm ? 0 : (bg < 0 ? bg + n : bg);
        if (bg < 0 || bg >= n)
            return -1;
        out[0] = (int)bg, out[1] = (int)bg + 1, out[2] = 1;
        return 0;
    }
    if (s == 0)
        return -1;
    if (bg < 0)
        bg += n;
    if (en < 0)
        en += n;
    if (s > 0) {
        bg = bm ? 0 : PA_CLAMP(bg, 0, n);
        en = em ? n : PA_CLAMP(en, 0, n);
        if (en <= bg)
            return -1;
    } else {
        bg = bm ? n - 1 : PA_CLAMP(bg, -1, n - 1);
        en = em ? -1 : PA_CLAMP(en, -1, n - 1);
        if (en >= bg)
            return -1;
    }
    out[0] = (int)bg, out[1] = (int)en, out[2] = s;
    return 0;
}

static int decode_slice(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                        struct pa_node *node)
{
    int32_t v[3][PA_TFLITE_MAX_DIMS];
    int n[3];
    for (int k = 0; k < 3; k++) {
        int ret = read_int32(b, index, op, op->inputs[1 + k], v[k], PA_TFLITE_MAX_DIMS, &n[k]);
        if (ret < 0)
            return ret;
    }
    const struct pa_tflite_options *o = &op->opt;
    if (o->ellipsis_mask || o->new_axis_mask)
        return op_fail(b, index, op, PA_EUNSUPPORTED, "ellipsis/new-axis masks");
    int ndim = b->tt[op->inputs[0]].ndim;
    if (ndim > PA_NN_MAX_DIMS || n[0] != n[1] || n[1] != n[2] || n[0] > ndim)
        return op_fail(b, index, op, PA_EINVALDATA, "begin/end/strides lengths %d/%d/%d for %d-D",
                       n[0], n[1], n[2], ndim);
    int masks[3] = {o->begin_mask, o->end_mask, o->shrink_axis_mask};
    for (int d = 0; d < PA_NN_MAX_DIMS; d++) {
        int r[3] = {0, 1, 1};
        if (d < ndim) {
            int dim = b->tt[op->inputs[0]].shape[d];
            if (d >= n[0])
                r[1] = dim; // dims past the given ones are taken whole
            else if (slice_dim(dim, v[0][d], v[1][d], v[2][d], masks, d, r) < 0)
                return op_fail(b, index, op, PA_EINVALDATA, "empty or invalid slice on dim %d", d);
        }
        node->p.begin[d] = r[0], node->p.end[d] = r[1], node->p.strides[d] = r[2];
    }
    node->p.shrink_axis_mask = o->shrink_axis_mask & ((1 << PA_MIN(ndim, n[0])) - 1);
    return 0;
}

static int decode_transpose_conv(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                                 struct pa_node *node)
{
    int32_t v[3];
    if (!op->custom_options || op->custom_options_size < sizeof(v))
        return op_fail(b, index, op, PA_EINVALDATA, "custom options of %zu bytes (12 expected)",
                       op->custom_options_size);
    memcpy(v, op->custom_options, sizeof(v));
    if (v[0] != 1 && v[0] != 2)
        return op_fail(b, index, op, PA_EINVALDATA, "padding %d", (int)v[0]);
    if (v[1] < 1 || v[2] < 1 || v[1] > 64 || v[2] > 64)
        return op_fail(b, index, op, PA_EINVALDATA, "stride %dx%d", (int)v[1], (int)v[2]);
    node->p.padding = v[0] == 1 ? PA_PAD_SAME : PA_PAD_VALID;
    node->p.stride_w = v[1];
    node->p.stride_h = v[2];
    return 0;
}

/* Builtin options shared by conv-like and pool ops. */
static int decode_common(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                         struct pa_node *node)
{
    const struct pa_tflite_options *o = &op->opt;
    struct pa_op_params *p = &node->p;
    if (map_activation(o->activation, &p->activation) < 0)
        return op_fail(b, index, op, PA_EUNSUPPORTED, "fused activation %d", o->activation);
    if (o->padding != 0 && o->padding != 1)
        return op_fail(b, index, op, PA_EINVALDATA, "padding %d", o->padding);
    p->padding = o->padding == 0 ? PA_PAD_SAME : PA_PAD_VALID;
    p->stride_w = o->stride_w, p->stride_h = o->stride_h;
    p->dilation_w = o->dilation_w > 0 ? o->dilation_w : 1;
    p->dilation_h = o->dilation_h > 0 ? o->dilation_h : 1;
    p->filter_w = o->filter_w, p->filter_h = o->filter_h;
    p->align_corners = o->align_corners;
    p->half_pixel_centers = o->half_pixel_centers;
    return 0;
}

/* Decode op-specific parameters and drop the parameter-only inputs. */
static int decode_params(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                         struct pa_node *node)
{
    int ret = 0;
    switch (node->op) {
    case PA_OP_CONV_2D:
    case PA_OP_DEPTHWISE_CONV_2D:
    case PA_OP_FULLY_CONNECTED:
    case PA_OP_ADD:
    case PA_OP_MUL:
    case PA_OP_MAX_POOL_2D:
    case PA_OP_AVERAGE_POOL_2D:
        return decode_common(b, index, op, node);
    case PA_OP_CONCATENATION: {
        ret = decode_common(b, index, op, node);
        int ndim = b->tt[op->outputs[0]].ndim, axis = op->opt.axis;
        if (axis < 0)
            axis += ndim;
        if (ret == 0 && (axis < 0 || axis >= ndim))
            return op_fail(b, index, op, PA_EINVALDATA, "axis %d for %d-D", op->opt.axis, ndim);
        node->p.axis = axis;
        return ret;
    }
    case PA_OP_PAD:
        ret = decode_pad(b, index, op, node);
        node->n_in = 1;
        return ret;
    case PA_OP_RESHAPE:
        ret = check_reshape(b, index, op);
        node->n_in = 1;
        return ret;
    case PA_OP_RESIZE_BILINEAR:
        ret = decode_common(b, index, op, node);
        if (ret == 0)
            ret = check_resize(b, index, op);
        node->n_in = 1;
        return ret;
    case PA_OP_STRIDED_SLICE:
        ret = decode_slice(b, index, op, node);
        node->n_in = 1;
        return ret;
    case PA_OP_TRANSPOSE_CONV_BIAS:
        // custom.c logs its own errors, naming the model.
        if ((ret = pa_custom_check_version((int)node->op, op->version, b->name)) < 0)
            return ret;
        return decode_transpose_conv(b, index, op, node);
    case PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX:
    case PA_OP_TRANSFORM_TENSOR_BILINEAR:
    case PA_OP_TRANSFORM_LANDMARKS:
        if ((ret = pa_custom_check_version((int)node->op, op->version, b->name)) < 0)
            return ret;
        return pa_custom_parse((int)node->op, op->custom_options, op->custom_options_size,
                               &node->p.custom, b->name);
    default:
        return 0; // RELU, RELU6, PRELU, LOGISTIC, HARD_SWISH: no parameters
    }
}

static int translate_dequantize(struct pa_gbuild *b, int index, const struct pa_tflite_op *op)
{
    if (op->n_inputs != 1 || op->n_outputs != 1 || op->inputs[0] < 0)
        return op_fail(b, index, op, PA_EINVALDATA, "expects 1 input and 1 output");
    const struct pa_tflite_tensor *src = &b->tt[op->inputs[0]];
    if (src->type != PA_TFLITE_FLOAT16 || !src->data || src->quantized)
        return op_fail(b, index, op, PA_EUNSUPPORTED,
                       "only constant FLOAT16 inputs are supported ('%s' is %s%s)", src->name,
                       src->data ? "" : "non-constant ", pa_tflite_type_name(src->type));
    if (b->fold_src[op->outputs[0]] >= 0)
        return op_fail(b, index, op, PA_EINVALDATA, "tensor '%s' written twice",
                       b->tt[op->outputs[0]].name);
    b->fold_src[op->outputs[0]] = op->inputs[0];
    return 0;
}

int pa_gb_translate(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                    struct pa_node *node, bool *skip)
{
    *skip = false;
    memset(node, 0, sizeof(*node));
    for (int i = 0; i < op->n_inputs; i++)
        if (op->inputs[i] < -1 || op->inputs[i] >= b->n_tfl)
            return op_fail(b, index, op, PA_EINVALDATA, "input %d out of range", i);
    for (int i = 0; i < op->n_outputs; i++)
        if (op->outputs[i] < 0 || op->outputs[i] >= b->n_tfl)
            return op_fail(b, index, op, PA_EINVALDATA, "output %d out of range", i);

    if (op->builtin_code == TFL_DEQUANTIZE) {
        *skip = true;
        return translate_dequantize(b, index, op);
    }
    const struct op_entry *e = NULL;
    for (size_t k = 0; k < PA_ARRAY_SIZE(k_ops) && !e; k++) {
        if (k_ops[k].code != op->builtin_code)
            continue;
        if (!k_ops[k].custom || (op->custom_code && !strcmp(k_ops[k].custom, op->custom_code)))
            e = &k_ops[k];
    }
    if (!e)
        return op_fail(b, index, op, PA_EUNSUPPORTED, "operator not supported");
    if (op->n_inputs < e->min_in || op->n_inputs > e->max_in || op->n_outputs != 1)
        return op_fail(b, index, op, PA_EINVALDATA, "%d inputs and %d outputs", op->n_inputs,
                       op->n_outputs);
    // Only the bias (input 2 of conv-like ops) is optional.
    for (int i = 0; i < op->n_inputs; i++)
        if (op->inputs[i] < 0 && i != 2)
            return op_fail(b, index, op, PA_EINVALDATA, "input %d is missing", i);

    node->op = e->op;
    node->n_in = op->n_inputs;
    node->n_out = 1;
    memcpy(node->in, op->inputs, (size_t)op->n_inputs * sizeof(int));
    node->out[0] = op->outputs[0];
    int ret = decode_params(b, index, op, node);
    if (ret < 0)
        return ret;
    // Depthwise: the filter's channel count fixes the multiplier (TFLite's kernels ignore
    // the option in recent versions); graph_shape.c checks the division is exact.
    if (node->op == PA_OP_DEPTHWISE_CONV_2D) {
        const struct pa_tflite_tensor *x = &b->tt[node->in[0]], *w = &b->tt[node->in[1]];
        int c = x->ndim == 4 ? x->shape[3] : 0, wc = w->ndim == 4 ? w->shape[3] : 0;
        node->p.depth_multiplier = c > 0 && wc % c == 0 ? wc / c : 0;
    }
    return 0;
}

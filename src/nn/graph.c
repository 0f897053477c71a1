/** @file
 * Graph builder driver: reads every tensor and operator of a TFLite reader, translates the
 * ops (graph_ops.c), keeps only the tensors the translated graph touches (under compact ids),
 * turns constants into PA_ALIGN-aligned float32 owned by the graph (fp16 weights behind a
 * DEQUANTIZE are converted here and the DEQUANTIZE disappears), checks that the node order is
 * a valid schedule, and validates every node's shapes (graph_shape.c).
 *
 * Ops whose inputs are all constants (other than DEQUANTIZE) stay ordinary nodes that run at
 * inference time: none of the MediaPipe models has one, so build-time folding would be code
 * without a user.
 *
 * Algorithm digest (IEEE 754 binary16 -> binary32): sign s, 5-bit exponent e, 10-bit
 * mantissa m. e = 31: infinity (m = 0) or NaN (payload kept, shifted up 13 bits);
 * 0 < e < 31: normal, exponent rebiased 15 -> 127; e = 0, m != 0: subnormal m * 2^-24,
 * renormalized by shifting m left until its bit 10 is set (one exponent step per shift);
 * e = 0, m = 0: signed zero. Every binary16 value is exactly representable in binary32.
 */
#include "nn/graph.h"

#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "nn/graph_impl.h"

static const char *const k_op_names[] = {
#define X(name, str) str,
#include "nn/ops.inc"
#undef X
};

const char *pa_op_name(enum pa_op op)
{
    if ((unsigned)op < (unsigned)PA_OP_COUNT)
        return k_op_names[op];
    return "UNKNOWN";
}

float pa_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0x1f) {
        bits = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        bits = sign | ((e + 127 - 15) << 23) | (m << 13);
    } else if (m == 0) {
        bits = sign;
    } else {
        int exp = -14; // a subnormal's value is (m / 1024) * 2^-14
        while (!(m & 0x400u)) {
            m <<= 1;
            exp--;
        }
        bits = sign | ((uint32_t)(exp + 127) << 23) | ((m & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

void pa_graph_destroy(struct pa_graph *g)
{
    if (!g)
        return;
    for (int i = 0; g->tensors && i < g->n_tensors; i++)
        pa_free(g->tensors[i].data);
    pa_free(g->tensors);
    pa_free(g->nodes);
    pa_free((char *)g->name);
    pa_free(g);
}

/* Element count of a file tensor's shape, with rank and range checks. */
static int shape_count(const struct pa_gbuild *b, const struct pa_tflite_tensor *tt, size_t *count)
{
    if (tt->ndim > PA_NN_MAX_DIMS) {
        pa_log_error("nn", "%s: tensor '%s' has %d dims (at most %d supported)", b->name, tt->name,
                     tt->ndim, PA_NN_MAX_DIMS);
        return PA_EUNSUPPORTED;
    }
    size_t n = 1;
    for (int d = 0; d < tt->ndim; d++) {
        // Also bounds the product: 4 dims of at most 2^16 stay far from SIZE_MAX.
        if (tt->shape[d] < 1 || tt->shape[d] > 65536) {
            pa_log_error("nn", "%s: tensor '%s' has dim %d = %d", b->name, tt->name, d,
                         (int)tt->shape[d]);
            return PA_EINVALDATA;
        }
        n *= (size_t)tt->shape[d];
    }
    if (n > ((size_t)1 << 28)) {
        pa_log_error("nn", "%s: tensor '%s' has %zu elements (too large)", b->name, tt->name, n);
        return PA_EUNSUPPORTED;
    }
    *count = n;
    return 0;
}

/* Copy (f32) or convert (fp16 behind a folded DEQUANTIZE) a constant into aligned storage. */
static int load_const(const struct pa_gbuild *b, int i, struct pa_tensor *t)
{
    const struct pa_tflite_tensor *tt = &b->tt[i];
    int src_index = b->fold_src[i];
    const struct pa_tflite_tensor *src = src_index >= 0 ? &b->tt[src_index] : tt;
    size_t elem = src_index >= 0 ? 2 : 4, src_count;
    int ret = shape_count(b, src, &src_count);
    if (ret < 0)
        return ret;
    if (src_index < 0 && tt->type != PA_TFLITE_FLOAT32) {
        pa_log_error("nn", "%s: constant tensor '%s' of type %s is not supported here", b->name,
                     tt->name, pa_tflite_type_name(tt->type));
        return PA_EUNSUPPORTED;
    }
    if (src_count != t->count || src->data_size != t->count * elem) {
        pa_log_error("nn", "%s: constant '%s' has %zu bytes for %zu elements", b->name, src->name,
                     src->data_size, t->count);
        return PA_EINVALDATA;
    }
    t->data = pa_malloc(t->count * sizeof(float));
    if (!t->data)
        return PA_ENOMEM;
    if (src_index < 0) {
        memcpy(t->data, src->data, t->count * sizeof(float)); // data may be unaligned
        return 0;
    }
    for (size_t k = 0; k < t->count; k++) {
        uint16_t h;
        memcpy(&h, src->data + 2 * k, sizeof(h));
        t->data[k] = pa_fp16_to_f32(h);
    }
    return 0;
}

static int import_tensor(const struct pa_gbuild *b, int i, struct pa_tensor *t)
{
    const struct pa_tflite_tensor *tt = &b->tt[i];
    int ret = shape_count(b, tt, &t->count);
    if (ret < 0)
        return ret;
    t->ndim = tt->ndim;
    for (int d = 0; d < tt->ndim; d++)
        t->dims[d] = (int)tt->shape[d];
    snprintf(t->name, sizeof(t->name), "%s", tt->name);
    t->tflite_index = i;
    if (b->fold_src[i] >= 0 || tt->data) {
        t->kind = PA_TENSOR_CONST;
        return load_const(b, i, t);
    }
    if (tt->type != PA_TFLITE_FLOAT32) {
        pa_log_error("nn", "%s: tensor '%s' of type %s is not supported (float32 only)", b->name,
                     tt->name, pa_tflite_type_name(tt->type));
        return PA_EUNSUPPORTED;
    }
    t->kind = PA_TENSOR_INTERNAL;
    return 0;
}

/* Graph inputs (which = 0) or outputs (1): remapped ids and kinds. */
static int import_io(const struct pa_gbuild *b, const int *remap, int which)
{
    struct pa_graph *g = b->g;
    int n = pa_tflite_num_io(b->t, which);
    if (n < 1 || n > PA_NN_MAX_IO) {
        pa_log_error("nn", "%s: %d graph %s (1..%d supported)", b->name, n,
                     which ? "outputs" : "inputs", PA_NN_MAX_IO);
        return PA_EUNSUPPORTED;
    }
    for (int k = 0; k < n; k++) {
        int id = remap[pa_tflite_io(b->t, which, k)];
        struct pa_tensor *t = &g->tensors[id];
        if (t->kind != PA_TENSOR_INTERNAL) {
            pa_log_error("nn", "%s: graph %s '%s' is a constant or also an input", b->name,
                         which ? "output" : "input", t->name);
            return PA_EUNSUPPORTED;
        }
        if (which == 0) {
            t->kind = PA_TENSOR_INPUT;
            g->inputs[k] = id;
        } else {
            g->outputs[k] = id;
        }
    }
    if (which == 0)
        g->n_inputs = n;
    else
        g->n_outputs = n;
    return 0;
}

/*
 * Keep the file tensors that a node or the graph interface uses, under compact ids in file
 * order, and rewrite node tensor references to those ids. remap[] must hold n_tfl ints.
 */
static int import_tensors(struct pa_gbuild *b, int *remap)
{
    struct pa_graph *g = b->g;
    for (int i = 0; i < b->n_tfl; i++)
        remap[i] = -1;
    for (int k = 0; k < g->n_nodes; k++) {
        const struct pa_node *n = &g->nodes[k];
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] >= 0)
                remap[n->in[i]] = 0;
        for (int i = 0; i < n->n_out; i++)
            remap[n->out[i]] = 0;
    }
    for (int which = 0; which < 2; which++) {
        for (int k = 0; k < pa_tflite_num_io(b->t, which); k++) {
            int i = pa_tflite_io(b->t, which, k);
            if (i < 0 || i >= b->n_tfl) {
                pa_log_error("nn", "%s: graph i/o tensor %d out of range", b->name, i);
                return PA_EINVALDATA;
            }
            remap[i] = 0;
        }
    }
    int n_used = 0;
    for (int i = 0; i < b->n_tfl; i++)
        if (remap[i] == 0)
            remap[i] = n_used++;
    g->tensors = pa_calloc((size_t)n_used, sizeof(*g->tensors));
    if (!g->tensors)
        return PA_ENOMEM;
    g->n_tensors = n_used;
    for (int i = 0; i < b->n_tfl; i++) {
        if (remap[i] < 0)
            continue;
        int ret = import_tensor(b, i, &g->tensors[remap[i]]);
        if (ret < 0)
            return ret;
    }
    for (int k = 0; k < g->n_nodes; k++) {
        struct pa_node *n = &g->nodes[k];
        for (int i = 0; i < n->n_in; i++)
            n->in[i] = n->in[i] >= 0 ? remap[n->in[i]] : -1;
        for (int i = 0; i < n->n_out; i++)
            n->out[i] = remap[n->out[i]];
    }
    int ret = import_io(b, remap, 0);
    return ret < 0 ? ret : import_io(b, remap, 1);
}

/*
 * Node order must be a schedule: every tensor a node reads is a constant, an input or the
 * output of an earlier node, each intermediate is written exactly once, and every graph
 * output gets written. Liveness planning and kernels rely on this.
 */
static int check_schedule(const struct pa_graph *g)
{
    int ret = 0;
    bool *ready = pa_calloc((size_t)g->n_tensors, sizeof(bool));
    if (!ready)
        return PA_ENOMEM;
    for (int i = 0; i < g->n_tensors; i++)
        ready[i] = g->tensors[i].kind != PA_TENSOR_INTERNAL;
    for (int k = 0; k < g->n_nodes && ret == 0; k++) {
        const struct pa_node *n = &g->nodes[k];
        for (int i = 0; i < n->n_in && ret == 0; i++) {
            if (n->in[i] >= 0 && !ready[n->in[i]]) {
                pa_log_error("nn", "%s: node %d (%s) reads '%s' before it is written", g->name, k,
                             pa_op_name(n->op), g->tensors[n->in[i]].name);
                ret = PA_EINVALDATA;
            }
        }
        for (int i = 0; i < n->n_out && ret == 0; i++) {
            if (ready[n->out[i]]) {
                pa_log_error("nn",
                             "%s: node %d (%s) overwrites '%s' (constant, input or "
                             "written before)",
                             g->name, k, pa_op_name(n->op), g->tensors[n->out[i]].name);
                ret = PA_EINVALDATA;
            }
            ready[n->out[i]] = true;
        }
    }
    for (int k = 0; k < g->n_outputs && ret == 0; k++) {
        if (!ready[g->outputs[k]]) {
            pa_log_error("nn", "%s: graph output '%s' is never written", g->name,
                         g->tensors[g->outputs[k]].name);
            ret = PA_EINVALDATA;
        }
    }
    pa_free(ready);
    return ret;
}

/* Read and translate every operator into g->nodes (TFLite tensor indices for now). */
static int translate_ops(struct pa_gbuild *b)
{
    struct pa_graph *g = b->g;
    int n_ops = pa_tflite_num_ops(b->t);
    g->nodes = pa_calloc((size_t)PA_MAX(n_ops, 1), sizeof(*g->nodes));
    if (!g->nodes)
        return PA_ENOMEM;
    for (int i = 0; i < n_ops; i++) {
        struct pa_tflite_op op;
        bool skip;
        int ret = pa_tflite_op(b->t, i, &op); // the reader logs structural errors
        if (ret < 0)
            return ret;
        ret = pa_gb_translate(b, i, &op, &g->nodes[g->n_nodes], &skip);
        if (ret < 0)
            return ret;
        if (!skip)
            g->n_nodes++;
    }
    if (g->n_nodes == 0) {
        pa_log_error("nn", "%s: no operators to run", b->name);
        return PA_EINVALDATA;
    }
    return 0;
}

int pa_graph_build(struct pa_graph **out, const struct pa_tflite *t)
{
    PA_ASSERT(out && t);
    *out = NULL;
    struct pa_gbuild b = {.t = t, .name = pa_tflite_name(t)};
    int *remap = NULL, ret;
    struct pa_graph *g = pa_calloc(1, sizeof(*g));
    if (!g)
        return PA_ENOMEM;
    b.g = g;
    b.n_tfl = pa_tflite_num_tensors(t);
    g->name = pa_strdup(b.name ? b.name : "model");
    b.tt = pa_calloc((size_t)PA_MAX(b.n_tfl, 1), sizeof(*b.tt));
    b.fold_src = pa_calloc((size_t)PA_MAX(b.n_tfl, 1), sizeof(int));
    remap = pa_calloc((size_t)PA_MAX(b.n_tfl, 1), sizeof(int));
    ret = PA_ENOMEM;
    if (!g->name || !b.tt || !b.fold_src || !remap)
        goto fail;
    for (int i = 0; i < b.n_tfl; i++) {
        b.fold_src[i] = -1;
        if ((ret = pa_tflite_tensor(t, i, &b.tt[i])) < 0)
            goto fail;
    }
    if ((ret = translate_ops(&b)) < 0 || (ret = import_tensors(&b, remap)) < 0 ||
        (ret = check_schedule(g)) < 0)
        goto fail;
    for (int k = 0; k < g->n_nodes; k++) {
        if ((ret = pa_gb_check_node(g, &g->nodes[k])) < 0)
            goto fail;
        g->macs += pa_gb_node_macs(g, &g->nodes[k]);
    }
    pa_log_debug("nn", "%s: %d nodes, %d tensors, %.2f M MACs", g->name, g->n_nodes, g->n_tensors,
                 (double)g->macs / 1e6);
    *out = g;
    g = NULL;
    ret = 0;
fail:
    pa_free(remap);
    pa_free(b.fold_src);
    pa_free(b.tt);
    pa_graph_destroy(g);
    return ret;
}

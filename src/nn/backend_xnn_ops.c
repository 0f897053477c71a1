/** @file
 * The op table of the XNNPACK backend: for each graph op, whether XNNPACK (Debian 12's
 * libxnnpack, git 2022-02-16) can compute it with the reference kernel's semantics, and the
 * xnn_define_* call that adds it to a subgraph.
 *
 * Digest of the mapping (TFLite semantics -> XNNPACK subgraph nodes):
 *  - Padding: TFLite SAME pads (out-1)*stride + eff_kernel - in in total, the smaller half
 *    before (top/left). We pass that as explicit, possibly asymmetric padding rather than
 *    XNN_FLAG_TENSORFLOW_SAME_PADDING, and check that XNNPACK's own output-size formula
 *    (in + pads - eff_kernel) / stride + 1 gives the graph's stated size; a mismatch would
 *    make XNNPACK write past the buffer, so such nodes stay on the reference kernels.
 *    Pools ignore padded cells (max) or exclude them from the divisor (average), in both.
 *  - Filters: CONV_2D [O,KH,KW,I], DEPTHWISE [1,KH,KW,C*mult] and the transposed
 *    convolution's [O,KH,KW,I] are already XNNPACK's layouts; they are static values that
 *    XNNPACK packs at runtime creation. An absent bias becomes a shared zero vector.
 *  - Fused activations become output_min/output_max; RELU/RELU6 become Clamp nodes, which
 *    XNNPACK fuses into their producer.
 *  - AVERAGE_POOL_2D whose single window covers the whole input is a global average pool.
 *  - Convolution2DTransposeBias (MediaPipe) is a deconvolution whose output crop is the
 *    reference kernel's padding (nn/custom.h): top = pad_total / 2, the rest at the bottom;
 *    with kernel == stride and no crop, a 1x1 convolution + DepthToSpace (define_deconv_as_d2s).
 *  - RESIZE_BILINEAR: align_corners -> XNN_FLAG_ALIGN_CORNERS, neither flag ->
 *    XNN_FLAG_TENSORFLOW_LEGACY_MODE, half_pixel_centers -> no flag (XNNPACK's default).
 *  - Not expressible here: CONCATENATION and STRIDED_SLICE (not in this XNNPACK version) and
 *    the MediaPipe landmark/transform custom ops; they run on the reference kernels.
 */
#include <math.h>
#include <string.h>

#include "nn/backend_xnn_internal.h"
#include "nn/custom.h"

static const struct pa_tensor *tensor(const struct pa_graph *g, int id)
{
    return &g->tensors[id];
}

static int is_const(const struct pa_graph *g, int id)
{
    return id >= 0 && id < g->n_tensors && g->tensors[id].kind == PA_TENSOR_CONST;
}

static int is_value(const struct pa_graph *g, int id)
{
    return id >= 0 && id < g->n_tensors && g->tensors[id].kind != PA_TENSOR_CONST;
}

static void act_bounds(enum pa_activation act, float *lo, float *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (act) {
    case PA_ACT_NONE:
        break;
    case PA_ACT_RELU:
        *lo = 0.0f;
        break;
    case PA_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        break;
    case PA_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        break;
    }
}

/**
 * Explicit padding of one spatial axis of a convolution or pool, TFLite style, checked
 * against XNNPACK's output size formula. @return 0, or -1 when the sizes disagree.
 */
static int axis_padding(enum pa_padding padding, int in, int k, int stride, int dilation, int out,
                        uint32_t *before, uint32_t *after)
{
    if (in < 1 || k < 1 || stride < 1 || dilation < 1 || out < 1)
        return -1;
    long eff = (long)(k - 1) * dilation + 1;
    long total = 0;
    if (padding == PA_PAD_SAME) {
        total = (long)(out - 1) * stride + eff - in;
        if (total < 0)
            total = 0;
    }
    if (in + total < eff || (in + total - eff) / stride + 1 != out)
        return -1;
    *before = (uint32_t)(total / 2);
    *after = (uint32_t)(total - total / 2);
    return 0;
}

/* All four spatial paddings of a 4-D NHWC node; k/stride/dilation in (h, w) order. */
static int spatial_padding(const struct pa_node *n, const struct pa_tensor *in,
                           const struct pa_tensor *out, int kh, int kw, int dil_h, int dil_w,
                           uint32_t pad[4])
{
    /* pad[] = top, right, bottom, left: the order of XNNPACK's define calls. */
    if (axis_padding(n->p.padding, in->dims[1], kh, n->p.stride_h, dil_h, out->dims[1], &pad[0],
                     &pad[2]) < 0)
        return -1;
    return axis_padding(n->p.padding, in->dims[2], kw, n->p.stride_w, dil_w, out->dims[2], &pad[3],
                        &pad[1]);
}

static int dilation_or_one(int d)
{
    return d > 0 ? d : 1;
}

static int is_4d(const struct pa_graph *g, int id)
{
    return tensor(g, id)->ndim == 4;
}

/* Numpy broadcasting of a and b must give exactly `out` (XNNPACK checks nothing more). */
static int broadcast_ok(const struct pa_tensor *a, const struct pa_tensor *b,
                        const struct pa_tensor *out)
{
    int nd = PA_MAX(a->ndim, b->ndim);
    if (out->ndim != nd || nd < 1)
        return 0;
    for (int i = 1; i <= nd; i++) {
        int da = i <= a->ndim ? a->dims[a->ndim - i] : 1;
        int db = i <= b->ndim ? b->dims[b->ndim - i] : 1;
        int d = out->dims[out->ndim - i];
        if ((da != d && da != 1) || (db != d && db != 1) || d != PA_MAX(da, db))
            return 0;
    }
    return 1;
}

/* Stride and SAME-ness of a Convolution2DTransposeBias, read as the reference kernel does. */
static void tconv_params(const struct pa_node *n, int *same, int *sh, int *sw)
{
    pa_custom_tconv_geometry(&n->p.custom, (int)n->p.padding, n->p.stride_h, n->p.stride_w, same,
                             sh, sw);
}

/* Deconvolution crop of one axis, the reference kernel's rule (nn/custom.h): pad_total =
 * SAME ? max(0, k - (in-1) % s - 1) : 0, out = s*(in-1) + k - pad_total, top = pad_total / 2. */
static int deconv_padding(int same, int in, int k, int stride, int out, uint32_t *before,
                          uint32_t *after)
{
    if (in < 1 || k < 1 || stride < 1)
        return -1;
    int total = pa_custom_tconv_pad_total(same, in, k, stride);
    if ((long)stride * (in - 1) + k - total != out)
        return -1;
    *before = (uint32_t)(total / 2);
    *after = (uint32_t)(total - total / 2);
    return 0;
}

static int conv_supported(const struct pa_graph *g, const struct pa_node *n)
{
    if (n->n_in < 2 || !is_value(g, n->in[0]) || !is_const(g, n->in[1]))
        return 0;
    if (n->n_in > 2 && n->in[2] >= 0 && !is_const(g, n->in[2]))
        return 0;
    const struct pa_tensor *in = tensor(g, n->in[0]), *f = tensor(g, n->in[1]);
    const struct pa_tensor *out = tensor(g, n->out[0]);
    if (!is_4d(g, n->in[0]) || f->ndim != 4 || out->ndim != 4)
        return 0;
    uint32_t pad[4];
    int dh = dilation_or_one(n->p.dilation_h), dw = dilation_or_one(n->p.dilation_w);
    if (spatial_padding(n, in, out, f->dims[1], f->dims[2], dh, dw, pad) < 0)
        return 0;
    if (n->op == PA_OP_CONV_2D) {
        int groups = f->dims[3] > 0 ? in->dims[3] / f->dims[3] : 0;
        return groups >= 1 && groups * f->dims[3] == in->dims[3] && f->dims[0] % groups == 0 &&
               out->dims[3] == f->dims[0];
    }
    /* DEPTHWISE_CONV_2D */
    return f->dims[0] == 1 && in->dims[3] > 0 && out->dims[3] == f->dims[3] &&
           f->dims[3] % in->dims[3] == 0;
}

static int fc_supported(const struct pa_graph *g, const struct pa_node *n)
{
    if (n->n_in < 2 || !is_value(g, n->in[0]) || !is_const(g, n->in[1]))
        return 0;
    if (n->n_in > 2 && n->in[2] >= 0 && !is_const(g, n->in[2]))
        return 0;
    const struct pa_tensor *in = tensor(g, n->in[0]), *f = tensor(g, n->in[1]);
    const struct pa_tensor *out = tensor(g, n->out[0]);
    if (f->ndim != 2 || in->ndim < 1 || out->ndim < 1 || f->dims[1] < 1)
        return 0;
    if (out->dims[out->ndim - 1] != f->dims[0])
        return 0;
    if (out->ndim == in->ndim && in->dims[in->ndim - 1] == f->dims[1]) {
        for (int i = 0; i + 1 < in->ndim; i++)
            if (in->dims[i] != out->dims[i])
                return 0;
        return 1;
    }
    /* Flattened to rows of I (XNN_FLAG_TENSORFLOW_RESHAPE_2D). */
    return out->ndim == 2 && in->count % (size_t)f->dims[1] == 0 &&
           (size_t)out->dims[0] == in->count / (size_t)f->dims[1];
}

static int pool_supported(const struct pa_graph *g, const struct pa_node *n)
{
    if (!is_value(g, n->in[0]) || !is_4d(g, n->in[0]) || !is_4d(g, n->out[0]))
        return 0;
    const struct pa_tensor *in = tensor(g, n->in[0]), *out = tensor(g, n->out[0]);
    uint32_t pad[4];
    if (in->dims[3] != out->dims[3] || in->dims[0] != out->dims[0])
        return 0;
    if (spatial_padding(n, in, out, n->p.filter_h, n->p.filter_w, 1, 1, pad) < 0)
        return 0;
    /* XNNPACK rejects 1x1 windows (a strided copy) */
    return n->p.filter_h * n->p.filter_w > 1;
}

static int prelu_supported(const struct pa_graph *g, const struct pa_node *n)
{
    if (n->n_in < 2 || !is_value(g, n->in[0]) || !is_const(g, n->in[1]) || !is_4d(g, n->in[0]))
        return 0;
    const struct pa_tensor *in = tensor(g, n->in[0]), *slope = tensor(g, n->in[1]);
    /* per-channel slopes only: shape [..., 1, C] */
    if (slope->ndim < 1 || slope->dims[slope->ndim - 1] != in->dims[3])
        return 0;
    return slope->count == (size_t)in->dims[3];
}

static int deconv_supported(const struct pa_graph *g, const struct pa_node *n)
{
    if (n->n_in < 2 || !is_value(g, n->in[0]) || !is_const(g, n->in[1]))
        return 0;
    if (n->n_in > 2 && n->in[2] >= 0 && !is_const(g, n->in[2]))
        return 0;
    const struct pa_tensor *in = tensor(g, n->in[0]), *f = tensor(g, n->in[1]);
    const struct pa_tensor *out = tensor(g, n->out[0]);
    if (in->ndim != 4 || f->ndim != 4 || out->ndim != 4)
        return 0;
    uint32_t a, b;
    int same, sh, sw;
    tconv_params(n, &same, &sh, &sw);
    if (f->dims[3] != in->dims[3] || f->dims[0] != out->dims[3])
        return 0;
    return deconv_padding(same, in->dims[1], f->dims[1], sh, out->dims[1], &a, &b) == 0 &&
           deconv_padding(same, in->dims[2], f->dims[2], sw, out->dims[2], &a, &b) == 0;
}

int pa__xnn_node_supported(const struct pa_graph *g, const struct pa_node *n)
{
    if (n->n_out != 1 || n->n_in < 1 || !is_value(g, n->out[0]) || n->in[0] < 0)
        return 0;
    const struct pa_tensor *out = tensor(g, n->out[0]);
    switch (n->op) {
    case PA_OP_CONV_2D:
    case PA_OP_DEPTHWISE_CONV_2D:
        return conv_supported(g, n);
    case PA_OP_FULLY_CONNECTED:
        return fc_supported(g, n);
    case PA_OP_ADD:
    case PA_OP_MUL:
        if (n->n_in != 2 || n->in[1] < 0 || (!is_value(g, n->in[0]) && !is_value(g, n->in[1])))
            return 0;
        return broadcast_ok(tensor(g, n->in[0]), tensor(g, n->in[1]), out);
    case PA_OP_RELU:
    case PA_OP_RELU6:
    case PA_OP_LOGISTIC:
    case PA_OP_HARD_SWISH:
        return n->n_in == 1 && is_value(g, n->in[0]) && tensor(g, n->in[0])->count == out->count &&
               out->ndim >= 1;
    case PA_OP_PRELU:
        return prelu_supported(g, n);
    case PA_OP_PAD: {
        const struct pa_tensor *in = tensor(g, n->in[0]);
        if (!is_value(g, n->in[0]) || in->ndim != out->ndim || in->ndim < 1)
            return 0;
        for (int d = 0; d < in->ndim; d++)
            if (n->p.pad[d][0] < 0 || n->p.pad[d][1] < 0 ||
                in->dims[d] + n->p.pad[d][0] + n->p.pad[d][1] != out->dims[d])
                return 0;
        return 1;
    }
    case PA_OP_MAX_POOL_2D:
    case PA_OP_AVERAGE_POOL_2D:
        return pool_supported(g, n);
    case PA_OP_RESHAPE:
        return is_value(g, n->in[0]) && tensor(g, n->in[0])->count == out->count && out->ndim >= 1;
    case PA_OP_RESIZE_BILINEAR:
        return is_value(g, n->in[0]) && is_4d(g, n->in[0]) && out->ndim == 4 &&
               !(n->p.align_corners && n->p.half_pixel_centers);
    case PA_OP_TRANSPOSE_CONV_BIAS:
        return deconv_supported(g, n);
    default:
        return 0;
    }
}

size_t pa__xnn_zeros_needed(const struct pa_graph *g, const struct pa_node *n)
{
    switch (n->op) {
    case PA_OP_CONV_2D:
    case PA_OP_DEPTHWISE_CONV_2D:
    case PA_OP_FULLY_CONNECTED:
    case PA_OP_TRANSPOSE_CONV_BIAS:
        if (n->n_in > 2 && n->in[2] >= 0)
            return 0;
        return (size_t)tensor(g, n->out[0])->dims[tensor(g, n->out[0])->ndim - 1];
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------------------------ */

static enum xnn_status define_static(const struct pa__xnn_build *b, const float *data, int ndim,
                                     const int *dims, uint32_t *id_out)
{
    size_t d[PA_NN_MAX_DIMS];
    for (int i = 0; i < ndim; i++)
        d[i] = (size_t)dims[i];
    return xnn_define_tensor_value(b->sg, xnn_datatype_fp32, (size_t)ndim, d, data,
                                   XNN_INVALID_VALUE_ID, 0, id_out);
}

/* Value id of an input: a non-constant tensor of the run, or a constant defined now with
 * its own shape (scalars as [1], the same under broadcasting). */
static enum xnn_status input_value(const struct pa__xnn_build *b, int id, uint32_t *id_out)
{
    const struct pa_tensor *t = tensor(b->g, id);
    if (t->kind != PA_TENSOR_CONST) {
        *id_out = b->value_id[id];
        return *id_out == XNN_INVALID_VALUE_ID ? xnn_status_invalid_parameter : xnn_status_success;
    }
    if (t->ndim == 0) {
        int one = 1;
        return define_static(b, t->data, 1, &one, id_out);
    }
    return define_static(b, t->data, t->ndim, t->dims, id_out);
}

/* Bias as a 1-D static value of `count`: the node's own, or the shared zeros. */
static enum xnn_status bias_value(const struct pa__xnn_build *b, const struct pa_node *n, int count,
                                  uint32_t *id_out)
{
    const float *data = b->zeros;
    if (n->n_in > 2 && n->in[2] >= 0) {
        if (tensor(b->g, n->in[2])->count != (size_t)count)
            return xnn_status_invalid_parameter;
        data = tensor(b->g, n->in[2])->data;
    } else if (b->n_zeros < (size_t)count) {
        return xnn_status_invalid_parameter;
    }
    return define_static(b, data, 1, &count, id_out);
}

static enum xnn_status define_conv(const struct pa__xnn_build *b, const struct pa_node *n,
                                   uint32_t vin, uint32_t vout, float lo, float hi)
{
    const struct pa_tensor *in = tensor(b->g, n->in[0]), *f = tensor(b->g, n->in[1]);
    const struct pa_tensor *out = tensor(b->g, n->out[0]);
    int dh = dilation_or_one(n->p.dilation_h), dw = dilation_or_one(n->p.dilation_w);
    uint32_t pad[4], vf, vb;
    enum xnn_status st;
    if (spatial_padding(n, in, out, f->dims[1], f->dims[2], dh, dw, pad) < 0)
        return xnn_status_invalid_parameter;
    if ((st = define_static(b, f->data, 4, f->dims, &vf)) != xnn_status_success)
        return st;
    if ((st = bias_value(b, n, out->dims[3], &vb)) != xnn_status_success)
        return st;
    if (n->op == PA_OP_DEPTHWISE_CONV_2D)
        return xnn_define_depthwise_convolution_2d(
            b->sg, pad[0], pad[1], pad[2], pad[3], (uint32_t)f->dims[1], (uint32_t)f->dims[2],
            (uint32_t)n->p.stride_h, (uint32_t)n->p.stride_w, (uint32_t)dh, (uint32_t)dw,
            (uint32_t)(f->dims[3] / in->dims[3]), (size_t)in->dims[3], lo, hi, vin, vf, vb, vout,
            0);
    uint32_t groups = (uint32_t)(in->dims[3] / f->dims[3]);
    return xnn_define_convolution_2d(
        b->sg, pad[0], pad[1], pad[2], pad[3], (uint32_t)f->dims[1], (uint32_t)f->dims[2],
        (uint32_t)n->p.stride_h, (uint32_t)n->p.stride_w, (uint32_t)dh, (uint32_t)dw, groups,
        (size_t)f->dims[3], (size_t)f->dims[0] / groups, lo, hi, vin, vf, vb, vout, 0);
}

static enum xnn_status define_fc(const struct pa__xnn_build *b, const struct pa_node *n,
                                 uint32_t vin, uint32_t vout, float lo, float hi)
{
    const struct pa_tensor *in = tensor(b->g, n->in[0]), *f = tensor(b->g, n->in[1]);
    uint32_t vf, vb, flags = 0;
    enum xnn_status st;
    if ((st = define_static(b, f->data, 2, f->dims, &vf)) != xnn_status_success)
        return st;
    if ((st = bias_value(b, n, f->dims[0], &vb)) != xnn_status_success)
        return st;
    if (tensor(b->g, n->out[0])->ndim != in->ndim || in->dims[in->ndim - 1] != f->dims[1])
        flags = XNN_FLAG_TENSORFLOW_RESHAPE_2D;
    return xnn_define_fully_connected(b->sg, lo, hi, vin, vf, vb, vout, flags);
}

static enum xnn_status define_pool(const struct pa__xnn_build *b, const struct pa_node *n,
                                   uint32_t vin, uint32_t vout, float lo, float hi)
{
    const struct pa_tensor *in = tensor(b->g, n->in[0]), *out = tensor(b->g, n->out[0]);
    uint32_t pad[4];
    uint32_t kh = (uint32_t)n->p.filter_h, kw = (uint32_t)n->p.filter_w;
    uint32_t sh = (uint32_t)n->p.stride_h, sw = (uint32_t)n->p.stride_w;
    if (spatial_padding(n, in, out, n->p.filter_h, n->p.filter_w, 1, 1, pad) < 0)
        return xnn_status_invalid_parameter;
    if (n->op == PA_OP_MAX_POOL_2D)
        return xnn_define_max_pooling_2d(b->sg, pad[0], pad[1], pad[2], pad[3], kh, kw, sh, sw, 1,
                                         1, lo, hi, vin, vout, 0);
    /* One window over the whole input: the cheaper global pool, same result. */
    if (out->dims[1] == 1 && out->dims[2] == 1 && kh - pad[0] >= (uint32_t)in->dims[1] &&
        kw - pad[3] >= (uint32_t)in->dims[2])
        return xnn_define_global_average_pooling_2d(b->sg, lo, hi, vin, vout, 0);
    return xnn_define_average_pooling_2d(b->sg, pad[0], pad[1], pad[2], pad[3], kh, kw, sh, sw, lo,
                                         hi, vin, vout, 0);
}

/*
 * A transposed convolution whose kernel equals its stride and crops nothing writes each
 * output pixel from exactly one input pixel: out[iy*s+ky, ix*s+kx, o] = b[o] +
 * sum_i x[iy,ix,i] w[o,ky,kx,i]. That is a 1x1 convolution to s*s*O channels, ordered
 * ((ky*s + kx)*O + o), followed by DepthToSpace(s) (TensorFlow's DCR channel order). XNNPACK
 * runs it several times faster than its deconvolution, whose GEMMs are only O wide (the
 * selfie model's last layer has O = 1).
 */
static enum xnn_status define_deconv_as_d2s(const struct pa__xnn_build *b, const struct pa_node *n,
                                            int s, uint32_t vin, uint32_t vout)
{
    const struct pa_tensor *in = tensor(b->g, n->in[0]), *f = tensor(b->g, n->in[1]);
    int o_ch = f->dims[0], i_ch = f->dims[3], oc = s * s * o_ch;
    const float *bias = n->n_in > 2 && n->in[2] >= 0 ? tensor(b->g, n->in[2])->data : b->zeros;
    float *w = b->alloc(b->alloc_ctx, (size_t)oc * (size_t)i_ch);
    float *bb = b->alloc(b->alloc_ctx, (size_t)oc);
    uint32_t vf, vb, vmid;
    enum xnn_status st;
    if (!w || !bb)
        return xnn_status_out_of_memory;
    for (int ky = 0; ky < s; ky++)
        for (int kx = 0; kx < s; kx++)
            for (int o = 0; o < o_ch; o++) {
                int c = (ky * s + kx) * o_ch + o;
                memcpy(w + (size_t)c * (size_t)i_ch,
                       f->data + (((size_t)o * (size_t)s + (size_t)ky) * (size_t)s + (size_t)kx) *
                                     (size_t)i_ch,
                       (size_t)i_ch * sizeof(float));
                bb[c] = bias[o];
            }
    int wdims[4] = {oc, 1, 1, i_ch}, mid[4] = {in->dims[0], in->dims[1], in->dims[2], oc};
    if ((st = define_static(b, w, 4, wdims, &vf)) != xnn_status_success ||
        (st = define_static(b, bb, 1, &oc, &vb)) != xnn_status_success ||
        (st = define_static(b, NULL, 4, mid, &vmid)) != xnn_status_success)
        return st;
    st = xnn_define_convolution_2d(b->sg, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)i_ch, (size_t)oc,
                                   -INFINITY, INFINITY, vin, vf, vb, vmid, 0);
    if (st != xnn_status_success)
        return st;
    return xnn_define_depth_to_space(b->sg, vmid, vout, (uint32_t)s, 0);
}

static enum xnn_status define_deconv(const struct pa__xnn_build *b, const struct pa_node *n,
                                     uint32_t vin, uint32_t vout)
{
    const struct pa_tensor *in = tensor(b->g, n->in[0]), *f = tensor(b->g, n->in[1]);
    const struct pa_tensor *out = tensor(b->g, n->out[0]);
    uint32_t top, bottom, left, right, vf, vb;
    int same, sh, sw;
    enum xnn_status st;
    tconv_params(n, &same, &sh, &sw);
    if (deconv_padding(same, in->dims[1], f->dims[1], sh, out->dims[1], &top, &bottom) < 0 ||
        deconv_padding(same, in->dims[2], f->dims[2], sw, out->dims[2], &left, &right) < 0)
        return xnn_status_invalid_parameter;
    if (sh == sw && f->dims[1] == sh && f->dims[2] == sw && sh > 1 &&
        (top | bottom | left | right) == 0)
        return define_deconv_as_d2s(b, n, sh, vin, vout);
    if ((st = define_static(b, f->data, 4, f->dims, &vf)) != xnn_status_success)
        return st;
    if ((st = bias_value(b, n, f->dims[0], &vb)) != xnn_status_success)
        return st;
    return xnn_define_deconvolution_2d(b->sg, top, right, bottom, left, 0, 0, (uint32_t)f->dims[1],
                                       (uint32_t)f->dims[2], (uint32_t)sh, (uint32_t)sw, 1, 1, 1,
                                       (size_t)f->dims[3], (size_t)f->dims[0], -INFINITY, INFINITY,
                                       vin, vf, vb, vout, 0);
}

enum xnn_status pa__xnn_define_node(const struct pa__xnn_build *b, const struct pa_node *n)
{
    const struct pa_graph *g = b->g;
    const struct pa_tensor *out = tensor(g, n->out[0]);
    uint32_t vin, vout = b->value_id[n->out[0]], v2;
    enum xnn_status st;
    float lo, hi;
    act_bounds(n->p.activation, &lo, &hi);
    if ((st = input_value(b, n->in[0], &vin)) != xnn_status_success)
        return st;
    if (vout == XNN_INVALID_VALUE_ID)
        return xnn_status_invalid_parameter;
    switch (n->op) {
    case PA_OP_CONV_2D:
    case PA_OP_DEPTHWISE_CONV_2D:
        return define_conv(b, n, vin, vout, lo, hi);
    case PA_OP_FULLY_CONNECTED:
        return define_fc(b, n, vin, vout, lo, hi);
    case PA_OP_ADD:
    case PA_OP_MUL:
        if ((st = input_value(b, n->in[1], &v2)) != xnn_status_success)
            return st;
        if (n->op == PA_OP_ADD)
            return xnn_define_add2(b->sg, lo, hi, vin, v2, vout, 0);
        return xnn_define_multiply2(b->sg, lo, hi, vin, v2, vout, 0);
    case PA_OP_RELU:
        return xnn_define_clamp(b->sg, 0.0f, INFINITY, vin, vout, 0);
    case PA_OP_RELU6:
        return xnn_define_clamp(b->sg, 0.0f, 6.0f, vin, vout, 0);
    case PA_OP_LOGISTIC:
        return xnn_define_sigmoid(b->sg, vin, vout, 0);
    case PA_OP_HARD_SWISH:
        return xnn_define_hardswish(b->sg, vin, vout, 0);
    case PA_OP_PRELU: {
        int c = tensor(g, n->in[0])->dims[3];
        if ((st = define_static(b, tensor(g, n->in[1])->data, 1, &c, &v2)) != xnn_status_success)
            return st;
        return xnn_define_prelu(b->sg, vin, v2, vout, 0);
    }
    case PA_OP_PAD: {
        size_t pre[PA_NN_MAX_DIMS], post[PA_NN_MAX_DIMS];
        for (int d = 0; d < out->ndim; d++) {
            pre[d] = (size_t)n->p.pad[d][0];
            post[d] = (size_t)n->p.pad[d][1];
        }
        return xnn_define_static_constant_pad(b->sg, pre, post, 0.0f, vin, vout, 0);
    }
    case PA_OP_MAX_POOL_2D:
    case PA_OP_AVERAGE_POOL_2D:
        return define_pool(b, n, vin, vout, lo, hi);
    case PA_OP_RESHAPE: {
        size_t shape[PA_NN_MAX_DIMS];
        for (int d = 0; d < out->ndim; d++)
            shape[d] = (size_t)out->dims[d];
        return xnn_define_static_reshape(b->sg, (size_t)out->ndim, shape, vin, vout, 0);
    }
    case PA_OP_RESIZE_BILINEAR: {
        uint32_t flags = 0;
        if (n->p.align_corners)
            flags = XNN_FLAG_ALIGN_CORNERS;
        else if (!n->p.half_pixel_centers)
            flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
        return xnn_define_static_resize_bilinear_2d(b->sg, (size_t)out->dims[1],
                                                    (size_t)out->dims[2], vin, vout, flags);
    }
    case PA_OP_TRANSPOSE_CONV_BIAS:
        return define_deconv(b, n, vin, vout);
    default:
        return xnn_status_unsupported_parameter;
    }
}

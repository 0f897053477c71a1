/** @file
 * Shape inference and build-time validation of graph nodes: every output shape a kernel will
 * compute is derived here from the inputs and parameters and compared with the file's stated
 * shape, and weights are checked against the data they meet, so kernels can trust shapes.
 *
 * Algorithm digest (TFLite kernels/padding.h conventions):
 *  - conv / depthwise / pools: effective kernel k' = (k - 1) * dilation + 1;
 *    SAME: out = ceil(in / stride); VALID: out = ceil((in - k' + 1) / stride), >= 1.
 *  - Convolution2DTransposeBias (MediaPipe's rule, nn/custom.h): out = stride * (in - 1) + k
 *    - pad_total, pad_total = SAME ? max(0, k - (in - 1) % stride - 1) : 0.
 *  - ADD / MUL: NumPy broadcasting. Shapes are right-aligned; each output dim is the larger
 *    of the two, and each operand's dim must equal it or be 1 (so [1,H,W,C] op [C],
 *    [1,1,1,C], [1] or a full shape all work, either operand may be the small one).
 *  - PRELU: output = input shape; alpha must broadcast to it by the same rule.
 *  - 4-D spatial ops (conv, depthwise, pools, resize, deconv, MediaPipe ops) take batch 1.
 *  - MACs: conv OH*OW*O*KH*KW*I, depthwise OH*OW*C*mult*KH*KW, fully connected rows*O*I,
 *    transpose conv IH*IW*O*KH*KW*I.
 */
#include "nn/graph_impl.h"

#include <stdarg.h>
#include <string.h>

#include "core/log.h"

/* Log "<file>: node <i> (<op>): <message>" once and return PA_EINVALDATA. */
PA_PRINTF(3, 4)
static int node_fail(const struct pa_graph *g, const struct pa_node *n, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pa_log_error("nn", "%s: node %d (%s): %s", g->name ? g->name : "graph", (int)(n - g->nodes),
                 pa_op_name(n->op), msg);
    return PA_EINVALDATA;
}

static const struct pa_tensor *in_t(const struct pa_graph *g, const struct pa_node *n, int i)
{
    return i < n->n_in && n->in[i] >= 0 ? &g->tensors[n->in[i]] : NULL;
}

static void set_dims(int *ndim, int dims[PA_NN_MAX_DIMS], int nd, int d0, int d1, int d2, int d3)
{
    int v[4] = {d0, d1, d2, d3};
    *ndim = nd;
    memset(dims, 0, PA_NN_MAX_DIMS * sizeof(int));
    memcpy(dims, v, (size_t)nd * sizeof(int));
}

static void copy_shape(const struct pa_tensor *t, int *ndim, int dims[PA_NN_MAX_DIMS])
{
    *ndim = t->ndim;
    memcpy(dims, t->dims, PA_NN_MAX_DIMS * sizeof(int));
}

/* Output size of a conv/pool window along one dim; 0 when invalid. */
static int window_out(int in, int k, int stride, int dilation, enum pa_padding pad)
{
    if (in < 1 || k < 1 || stride < 1 || dilation < 1 || k > 65536 || dilation > 65536)
        return 0;
    long long ke = (long long)(k - 1) * dilation + 1;
    if (pad == PA_PAD_SAME)
        return (in + stride - 1) / stride;
    return in >= ke ? (int)((in - ke) / stride + 1) : 0;
}

static bool is_nhwc1(const struct pa_tensor *t)
{
    return t && t->ndim == 4 && t->dims[0] == 1;
}

/* Bias: absent, or a constant with one value per output channel. */
static int check_bias(const struct pa_graph *g, const struct pa_node *n, int channels)
{
    const struct pa_tensor *b = in_t(g, n, 2);
    if (b && (b->kind != PA_TENSOR_CONST || b->count != (size_t)channels))
        return node_fail(g, n, "bias '%s' must be a constant of %d values", b->name, channels);
    return 0;
}

static int infer_conv(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0), *w = in_t(g, n, 1);
    const struct pa_op_params *p = &n->p;
    if (!is_nhwc1(x) || !w || w->ndim != 4 || w->kind != PA_TENSOR_CONST)
        return node_fail(g, n, "needs a [1,H,W,C] input and a constant [O,KH,KW,I] filter");
    bool dw = n->op == PA_OP_DEPTHWISE_CONV_2D;
    int c = x->dims[3], oc;
    if (dw) {
        if (w->dims[0] != 1 || p->depth_multiplier < 1 || w->dims[3] != c * p->depth_multiplier)
            return node_fail(g, n, "filter [%d,%d,%d,%d] vs %d input channels", w->dims[0],
                             w->dims[1], w->dims[2], w->dims[3], c);
        oc = w->dims[3];
    } else {
        if (w->dims[3] != c)
            return node_fail(g, n, "filter has %d input channels, input has %d", w->dims[3], c);
        oc = w->dims[0];
    }
    int oh = window_out(x->dims[1], w->dims[1], p->stride_h, p->dilation_h, p->padding);
    int ow = window_out(x->dims[2], w->dims[2], p->stride_w, p->dilation_w, p->padding);
    if (!oh || !ow)
        return node_fail(g, n, "invalid window: kernel %dx%d stride %dx%d dilation %dx%d",
                         w->dims[1], w->dims[2], p->stride_h, p->stride_w, p->dilation_h,
                         p->dilation_w);
    int ret = check_bias(g, n, oc);
    if (ret < 0)
        return ret;
    set_dims(ndim, dims, 4, 1, oh, ow, oc);
    return 0;
}

static int infer_pool(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0);
    const struct pa_op_params *p = &n->p;
    if (!is_nhwc1(x))
        return node_fail(g, n, "needs a [1,H,W,C] input");
    int oh = window_out(x->dims[1], p->filter_h, p->stride_h, 1, p->padding);
    int ow = window_out(x->dims[2], p->filter_w, p->stride_w, 1, p->padding);
    if (!oh || !ow)
        return node_fail(g, n, "invalid window: filter %dx%d stride %dx%d", p->filter_h,
                         p->filter_w, p->stride_h, p->stride_w);
    set_dims(ndim, dims, 4, 1, oh, ow, x->dims[3]);
    return 0;
}

static int infer_fc(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0), *w = in_t(g, n, 1);
    if (!w || w->ndim != 2 || w->kind != PA_TENSOR_CONST || x->count % (size_t)w->dims[1])
        return node_fail(g, n, "needs a constant [O,I] weight dividing the input");
    size_t rows = x->count / (size_t)w->dims[1];
    if (rows > INT32_MAX)
        return node_fail(g, n, "too many rows");
    int ret = check_bias(g, n, w->dims[0]);
    if (ret < 0)
        return ret;
    // keep_num_dims = false layout: [rows, O]; a [1,...,1,O] output tensor is accepted too
    // by the caller's count check (see pa_gb_check_node).
    set_dims(ndim, dims, 2, (int)rows, w->dims[0], 0, 0);
    return 0;
}

static int infer_transpose_conv(const struct pa_graph *g, const struct pa_node *n, int *ndim,
                                int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0), *w = in_t(g, n, 1);
    const struct pa_op_params *p = &n->p;
    if (!is_nhwc1(x) || !w || w->ndim != 4 || w->kind != PA_TENSOR_CONST ||
        w->dims[3] != x->dims[3])
        return node_fail(g, n, "needs a [1,H,W,I] input and a constant [O,KH,KW,I] filter");
    if (p->stride_h < 1 || p->stride_w < 1)
        return node_fail(g, n, "stride %dx%d", p->stride_h, p->stride_w);
    bool same = p->padding == PA_PAD_SAME;
    long long oh = (long long)(x->dims[1] - 1) * p->stride_h + w->dims[1] -
                   pa_custom_tconv_pad_total(same, x->dims[1], w->dims[1], p->stride_h);
    long long ow = (long long)(x->dims[2] - 1) * p->stride_w + w->dims[2] -
                   pa_custom_tconv_pad_total(same, x->dims[2], w->dims[2], p->stride_w);
    if (oh < 1 || ow < 1 || oh > 65536 || ow > 65536)
        return node_fail(g, n, "output too large");
    int ret = check_bias(g, n, w->dims[0]);
    if (ret < 0)
        return ret;
    set_dims(ndim, dims, 4, 1, (int)oh, (int)ow, w->dims[0]);
    return 0;
}

/* NumPy broadcast of a and b (b may be NULL = a's shape); out-of-rule -> error. */
static int broadcast(const struct pa_graph *g, const struct pa_node *n, const struct pa_tensor *a,
                     const struct pa_tensor *b, bool a_is_output, int *ndim, int *dims)
{
    int nd = PA_MAX(a->ndim, b->ndim);
    if (a_is_output && b->ndim > a->ndim)
        return node_fail(g, n, "alpha has more dims than the input");
    set_dims(ndim, dims, nd, 0, 0, 0, 0);
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        int da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        int d = PA_MAX(da, db);
        if ((da != d && da != 1) || (db != d && db != 1) || (a_is_output && da != d))
            return node_fail(g, n, "shapes of '%s' and '%s' do not broadcast (dim %d: %d vs %d)",
                             a->name, b->name, i, da, db);
        dims[i] = d;
    }
    return 0;
}

static int infer_concat(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0);
    int axis = n->p.axis;
    if (axis < 0 || axis >= x->ndim)
        return node_fail(g, n, "axis %d for %d-D inputs", axis, x->ndim);
    copy_shape(x, ndim, dims);
    for (int i = 1; i < n->n_in; i++) {
        const struct pa_tensor *y = in_t(g, n, i);
        bool ok = y && y->ndim == x->ndim;
        for (int d = 0; ok && d < x->ndim; d++)
            ok = d == axis || y->dims[d] == x->dims[d];
        if (!ok)
            return node_fail(g, n, "input %d ('%s') does not match input 0", i, y ? y->name : "");
        dims[axis] += y->dims[axis];
    }
    return 0;
}

static int infer_pad(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0);
    copy_shape(x, ndim, dims);
    for (int d = 0; d < x->ndim; d++) {
        if (n->p.pad[d][0] < 0 || n->p.pad[d][1] < 0)
            return node_fail(g, n, "negative padding on dim %d", d);
        dims[d] += n->p.pad[d][0] + n->p.pad[d][1];
    }
    return 0;
}

static int infer_slice(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0);
    const struct pa_op_params *p = &n->p;
    set_dims(ndim, dims, 0, 0, 0, 0, 0);
    for (int d = 0; d < x->ndim; d++) {
        int b = p->begin[d], e = p->end[d], s = p->strides[d], len;
        bool ok = s > 0 ? b >= 0 && e <= x->dims[d] && e > b
                        : s < 0 && b < x->dims[d] && e >= -1 && e < b;
        if (!ok)
            return node_fail(g, n, "slice %d:%d:%d out of dim %d (size %d)", b, e, s, d,
                             x->dims[d]);
        len = s > 0 ? (e - b + s - 1) / s : (b - e - s - 1) / -s;
        if ((p->shrink_axis_mask >> d) & 1) {
            if (len != 1)
                return node_fail(g, n, "shrunk dim %d has %d elements", d, len);
            continue;
        }
        dims[(*ndim)++] = len;
    }
    return 0;
}

static int infer_resize(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0), *y = &g->tensors[n->out[0]];
    if (!is_nhwc1(x) || y->ndim != 4)
        return node_fail(g, n, "needs 4-D [1,H,W,C] input and output");
    if (n->p.align_corners && n->p.half_pixel_centers)
        return node_fail(g, n, "align_corners and half_pixel_centers are exclusive");
    // The target size comes from the (removed) size tensor, checked equal to the output.
    set_dims(ndim, dims, 4, 1, y->dims[1], y->dims[2], x->dims[3]);
    return 0;
}

static bool is_matrix4(const struct pa_tensor *t)
{
    return t && t->ndim >= 2 && t->count == 16 && t->dims[t->ndim - 1] == 4;
}

static int infer_custom(const struct pa_graph *g, const struct pa_node *n, int *ndim, int *dims)
{
    const struct pa_tensor *x = in_t(g, n, 0), *m = in_t(g, n, 1);
    const struct pa_custom_params *c = &n->p.custom;
    switch (n->op) {
    case PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX: {
        // MediaPipe reads landmark i at flat offset 3 * i, so the layout must be [1,N,3].
        if (x->ndim != 3 || x->dims[0] != 1 || x->dims[2] != 3)
            return node_fail(g, n, "landmarks must be [1,N,3]");
        int maxi = PA_MAX(c->left_rotation_idx, c->right_rotation_idx);
        for (int i = 0; i < 2 * c->n_subset; i++)
            maxi = PA_MAX(maxi, c->subset_idxs[i]);
        if (maxi >= x->dims[1] || c->left_rotation_idx < 0 || c->right_rotation_idx < 0)
            return node_fail(g, n, "landmark index %d out of %d", maxi, x->dims[1]);
        set_dims(ndim, dims, 3, 1, 4, 4, 0);
        return 0;
    }
    case PA_OP_TRANSFORM_TENSOR_BILINEAR:
        if (!is_nhwc1(x) || !is_matrix4(m) || c->output_h < 1 || c->output_w < 1)
            return node_fail(g, n, "needs [1,H,W,C], a 4x4 matrix and an output size");
        set_dims(ndim, dims, 4, 1, c->output_h, c->output_w, x->dims[3]);
        return 0;
    default: // PA_OP_TRANSFORM_LANDMARKS
        if (x->ndim != 3 || x->dims[0] != 1 || x->dims[2] < 2 || x->dims[2] > 3 || !is_matrix4(m))
            return node_fail(g, n, "needs [1,N,2|3] landmarks and a 4x4 matrix");
        copy_shape(x, ndim, dims);
        return 0;
    }
}

int pa_graph_infer_shape(const struct pa_graph *g, const struct pa_node *n, int out_index,
                         int *ndim, int dims[PA_NN_MAX_DIMS])
{
    PA_ASSERT(g && n && ndim && dims && out_index == 0 && n->n_out == 1 && n->n_in >= 1);
    const struct pa_tensor *x = in_t(g, n, 0);
    if (!x)
        return node_fail(g, n, "input 0 is missing");
    switch (n->op) {
    case PA_OP_CONV_2D:
    case PA_OP_DEPTHWISE_CONV_2D:
        return infer_conv(g, n, ndim, dims);
    case PA_OP_FULLY_CONNECTED:
        return infer_fc(g, n, ndim, dims);
    case PA_OP_TRANSPOSE_CONV_BIAS:
        return infer_transpose_conv(g, n, ndim, dims);
    case PA_OP_MAX_POOL_2D:
    case PA_OP_AVERAGE_POOL_2D:
        return infer_pool(g, n, ndim, dims);
    case PA_OP_ADD:
    case PA_OP_MUL:
    case PA_OP_PRELU: {
        const struct pa_tensor *y = in_t(g, n, 1);
        if (!y)
            return node_fail(g, n, "input 1 is missing");
        return broadcast(g, n, x, y, n->op == PA_OP_PRELU, ndim, dims);
    }
    case PA_OP_RELU:
    case PA_OP_RELU6:
    case PA_OP_LOGISTIC:
    case PA_OP_HARD_SWISH:
        copy_shape(x, ndim, dims);
        return 0;
    case PA_OP_PAD:
        return infer_pad(g, n, ndim, dims);
    case PA_OP_RESHAPE: {
        const struct pa_tensor *y = &g->tensors[n->out[0]];
        if (y->count != x->count)
            return node_fail(g, n, "reshape of %zu elements into %zu", x->count, y->count);
        copy_shape(y, ndim, dims);
        return 0;
    }
    case PA_OP_CONCATENATION:
        return infer_concat(g, n, ndim, dims);
    case PA_OP_STRIDED_SLICE:
        return infer_slice(g, n, ndim, dims);
    case PA_OP_RESIZE_BILINEAR:
        return infer_resize(g, n, ndim, dims);
    case PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX:
    case PA_OP_TRANSFORM_TENSOR_BILINEAR:
    case PA_OP_TRANSFORM_LANDMARKS:
        return infer_custom(g, n, ndim, dims);
    case PA_OP_COUNT:
        break;
    }
    PA_UNREACHABLE();
}

static bool same_shape(const struct pa_tensor *t, int ndim, const int *dims)
{
    if (t->ndim != ndim)
        return false;
    for (int d = 0; d < ndim; d++)
        if (t->dims[d] != dims[d])
            return false;
    return true;
}

int pa_gb_check_node(const struct pa_graph *g, const struct pa_node *n)
{
    int ndim, dims[PA_NN_MAX_DIMS];
    int ret = pa_graph_infer_shape(g, n, 0, &ndim, dims);
    if (ret < 0)
        return ret;
    const struct pa_tensor *y = &g->tensors[n->out[0]];
    bool ok = same_shape(y, ndim, dims);
    if (!ok && n->op == PA_OP_FULLY_CONNECTED) {
        // keep_num_dims / [1,1,1,O] layouts: same rows*O elements, last dim O.
        ok = y->ndim >= 1 && y->dims[y->ndim - 1] == dims[1] &&
             y->count == (size_t)dims[0] * (size_t)dims[1];
    }
    if (!ok) {
        char want[64] = "", *w = want;
        for (int d = 0; d < ndim; d++)
            w += snprintf(w, (size_t)(want + sizeof(want) - w), "%s%d", d ? "," : "", dims[d]);
        return node_fail(g, n, "output '%s' is stated %dD [%d,%d,%d,%d], computed [%s]", y->name,
                         y->ndim, y->dims[0], y->dims[1], y->dims[2], y->dims[3], want);
    }
    return 0;
}

uint64_t pa_gb_node_macs(const struct pa_graph *g, const struct pa_node *n)
{
    const struct pa_tensor *x = &g->tensors[n->in[0]], *y = &g->tensors[n->out[0]];
    const struct pa_tensor *w = n->n_in > 1 ? &g->tensors[n->in[1]] : NULL;
    switch (n->op) {
    case PA_OP_CONV_2D:
        // Every output element sums KH*KW*I products.
        return (uint64_t)y->count * (uint64_t)w->dims[1] * (uint64_t)w->dims[2] *
               (uint64_t)w->dims[3];
    case PA_OP_DEPTHWISE_CONV_2D:
        return (uint64_t)y->count * (uint64_t)w->dims[1] * (uint64_t)w->dims[2];
    case PA_OP_FULLY_CONNECTED:
        return (uint64_t)y->count * (uint64_t)w->dims[1];
    case PA_OP_TRANSPOSE_CONV_BIAS:
        // Every input element scatters into KH*KW*O outputs.
        return (uint64_t)x->count * (uint64_t)w->dims[0] * (uint64_t)w->dims[1] *
               (uint64_t)w->dims[2];
    default:
        return 0;
    }
}

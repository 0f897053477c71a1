/** @file
 * Reference kernel of MediaPipe's Convolution2DTransposeBias (a transposed convolution with a
 * bias input). Padding and strides come from n->p.custom when pa_custom_parse filled them,
 * else from n->p (graph_ops.c decodes them there). A missing bias (in[2] < 0) is zero.
 *
 * Algorithm digest (MediaPipe transpose_conv_bias.cc, itself TFLite's reference
 * TransposeConv with the bias added): input x [N,H,W,I], weights w [O,KH,KW,I], bias [O],
 * output [N,OH,OW,O] with OH = SH * (H - 1) + KH - pad_h (pad_h = SAME ?
 * max(0, KH - (H - 1) % SH - 1) : 0; likewise for W) and a leading pad of pad_h / 2. Every
 * input pixel scatters x[iy,ix,:] · w[oc,ky,kx,:] to out[iy*SH - pad_top + ky,
 * ix*SW - pad_left + kx, oc], dropping positions outside the output. We compute the same sum
 * as a gather per output pixel: (oy + pad_top - ky) must be a multiple of SH and give an
 * input row in range; so each output row is independent and rows split across threads.
 * Summation order differs from the scatter, so results match to float rounding, not bits.
 */
#include "nn/ref/ref.h"

#include "core/parallel.h"
#include "nn/custom.h"

struct tconv_ctx {
    const float *x, *w, *bias;
    float *out;
    int h, wd, ic;  // input
    int oh, ow, oc; // output
    int kh, kw, sh, sw;
    int pad_top, pad_left;
    int rows; // N * OH
};

/* Add the contributions of filter row ky, input row iy, to one output row. */
static void tconv_row_tap(const struct tconv_ctx *c, const float *xrow, int ky, float *orow)
{
    for (int ox = 0; ox < c->ow; ox++) {
        for (int kx = 0; kx < c->kw; kx++) {
            int u = ox + c->pad_left - kx;
            if (u < 0 || u % c->sw)
                continue;
            int ix = u / c->sw;
            if (ix >= c->wd)
                continue;
            const float *xi = xrow + (size_t)ix * (size_t)c->ic;
            for (int o = 0; o < c->oc; o++) {
                const float *wk = c->w + (((size_t)o * c->kh + ky) * c->kw + kx) * c->ic;
                float acc = 0.0f;
                for (int i = 0; i < c->ic; i++)
                    acc += xi[i] * wk[i];
                orow[(size_t)ox * c->oc + o] += acc;
            }
        }
    }
}

static void tconv_slice(void *ctx, int job, int n_jobs)
{
    const struct tconv_ctx *c = ctx;
    int r0 = (int)((int64_t)c->rows * job / n_jobs);
    int r1 = (int)((int64_t)c->rows * (job + 1) / n_jobs);
    for (int r = r0; r < r1; r++) {
        int b = r / c->oh, oy = r % c->oh;
        float *orow = c->out + (size_t)r * c->ow * c->oc;
        for (int ox = 0; ox < c->ow; ox++)
            for (int o = 0; o < c->oc; o++)
                orow[(size_t)ox * c->oc + o] = c->bias ? c->bias[o] : 0.0f;
        for (int ky = 0; ky < c->kh; ky++) {
            int t = oy + c->pad_top - ky;
            if (t < 0 || t % c->sh)
                continue;
            int iy = t / c->sh;
            if (iy >= c->h)
                continue;
            const float *xrow = c->x + ((size_t)b * c->h + iy) * c->wd * c->ic;
            tconv_row_tap(c, xrow, ky, orow);
        }
    }
}

PA_REF_KERNEL(pa_ref_transpose_conv_bias)
{
    const struct pa_tensor *x = &g->tensors[n->in[0]];
    const struct pa_tensor *w = &g->tensors[n->in[1]];
    const struct pa_tensor *y = &g->tensors[n->out[0]];
    int same, sh, sw;
    pa_custom_tconv_geometry(&n->p.custom, (int)n->p.padding, n->p.stride_h, n->p.stride_w, &same,
                             &sh, &sw);
    struct tconv_ctx c = {
        .x = ptr[n->in[0]],
        .w = ptr[n->in[1]],
        .bias = n->n_in > 2 && n->in[2] >= 0 ? ptr[n->in[2]] : NULL,
        .out = ptr[n->out[0]],
        .h = x->dims[1],
        .wd = x->dims[2],
        .ic = x->dims[3],
        .oh = y->dims[1],
        .ow = y->dims[2],
        .oc = y->dims[3],
        .kh = w->dims[1],
        .kw = w->dims[2],
        .sh = sh,
        .sw = sw,
        .pad_top = pa_custom_tconv_pad_total(same, x->dims[1], w->dims[1], sh) / 2,
        .pad_left = pa_custom_tconv_pad_total(same, x->dims[2], w->dims[2], sw) / 2,
        .rows = y->dims[0] * y->dims[1],
    };
    int jobs = PA_MIN(pa_parallel_threads(par), c.rows);
    pa_parallel_for(par, tconv_slice, &c, jobs);
}

/** @file
 * CONV_2D (TFLite semantics) as a blocked matrix multiply over output pixels, also
 * used by FULLY_CONNECTED (a 1x1 convolution over rows).
 *
 * Algorithm digest: input [N,H,W,I], filter [O,KH,KW,I], bias [O] (optional), output
 * [N,OH,OW,O]:
 *   out[n,y,x,o] = act(bias[o] + sum_{ky,kx,i} in[n, y*sh - pt + ky*dh, x*sw - pl + kx*dw, i]
 *                                               * w[o,ky,kx,i])
 * with taps outside the input contributing zero. SAME padding (TFLite's
 * ComputePaddingHeightWidth): total = max((OH-1)*sh + (KH-1)*dh + 1 - H, 0), pt = total/2
 * (the smaller half before); VALID: pt = pl = 0.
 *
 * Blocking: the reduction index k = (tap, i) runs over "K chunks"; for each chunk a group of
 * output-channel blocks of NR channels is repacked on the stack as wp[k][NR] (so the
 * innermost loop reads NR consecutive weights), and a micro-kernel accumulates an NP x NR
 * tile (NP output pixels, any of the job's pixels, not only one row) while it walks k: GCC
 * vectorizes it along NR and each weight vector loaded serves NP pixels. (GCC 12 keeps the
 * tile in L1 rather than registers; still ~12 GMAC/s with SSE2 at -O3, and the NP/NR values
 * were picked by measurement.) Padded taps read a static zero row instead of branching. When K does not
 * fit one chunk, later chunks add onto the partial sums stored in the output. Jobs split the
 * output rows; weights are repacked per job (O*K floats, small next to the O*K*pixels MACs).
 */
#include <string.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

#define NR 16                // output channels per micro-tile (four SSE or two AVX vectors)
#define NP 8                 // output pixels per micro-tile (measured best of 2..12)
#define PACK_FLOATS 16384    // 64 KiB of stack for packed weights
#define MAX_KCHUNK (PACK_FLOATS / NR)

/* Stands in for the input row of a padded tap; i-chunks never exceed MAX_KCHUNK. */
static const float zeros[MAX_KCHUNK];

struct conv_ctx {
    const float *in, *w, *bias;
    float *out;
    int n_rows;              ///< N * OH
    int h, w_in, ci;         ///< input H, W, I
    int oh, ow, co;          ///< output OH, OW, O
    int kh, kw, sh, sw, dh, dw, pad_t, pad_l;
    float lo, hi;
};

/* A chunk of the reduction: taps [t0, t1) times input channels [i0, i0 + ni). */
struct kchunk {
    int t0, t1, i0, ni;
    int first, last;
};

/* Per-pixel state of a tile: where its tap (0,0) lands and its output row. */
struct pix {
    const float *in_img;     ///< this pixel's image in the batch
    int iy, ix;
    float *out;
};

static inline void tile_kernel(const struct conv_ctx *c, const struct kchunk *k,
                               const float *restrict wp, const struct pix *px, int np, int ob,
                               int nr)
{
    float acc[NP][NR];
    for (int p = 0; p < np; p++) {
        for (int j = 0; j < NR; j++)
            acc[p][j] = 0.0f;
        if (!k->first) {
            for (int j = 0; j < nr; j++)
                acc[p][j] = px[p].out[ob + j];
        } else if (c->bias) {
            for (int j = 0; j < nr; j++)
                acc[p][j] = c->bias[ob + j];
        }
    }
    const size_t row = (size_t)c->w_in * (size_t)c->ci;
    for (int t = k->t0; t < k->t1; t++) {
        const int ky = t / c->kw, kx = t % c->kw;
        const float *x[NP];
        for (int p = 0; p < np; p++) {
            int iy = px[p].iy + ky * c->dh, ix = px[p].ix + kx * c->dw;
            x[p] = (unsigned)iy < (unsigned)c->h && (unsigned)ix < (unsigned)c->w_in
                       ? px[p].in_img + (size_t)iy * row + (size_t)ix * (size_t)c->ci + k->i0
                       : zeros;
        }
        const float *restrict wt = wp + (size_t)(t - k->t0) * (size_t)k->ni * NR;
        for (int i = 0; i < k->ni; i++) {
            for (int p = 0; p < np; p++) {
                const float xv = x[p][i];
                for (int j = 0; j < NR; j++)
                    acc[p][j] += xv * wt[i * NR + j];
            }
        }
    }
    for (int p = 0; p < np; p++) {
        for (int j = 0; j < nr; j++) {
            float v = acc[p][j];
            if (k->last) {
                v = v < c->lo ? c->lo : v;
                v = v > c->hi ? c->hi : v;
            }
            px[p].out[ob + j] = v;
        }
    }
}

/* Two instantiations, each compiled for its constant pixel count. */
static void tile_np(const struct conv_ctx *c, const struct kchunk *k, const float *wp,
                    const struct pix *px, int ob, int nr)
{
    tile_kernel(c, k, wp, px, NP, ob, nr);
}

static void tile_1(const struct conv_ctx *c, const struct kchunk *k, const float *wp,
                   const struct pix *px, int ob, int nr)
{
    tile_kernel(c, k, wp, px, 1, ob, nr);
}

/* wp[b][t][i][j] = w[ob + b*NR + j, t, i0 + i] for the group's blocks; zero past O. */
static void pack(const struct conv_ctx *c, const struct kchunk *k, int ob0, int nblocks,
                 float *restrict wp)
{
    const int taps = c->kh * c->kw;
    for (int b = 0; b < nblocks; b++) {
        for (int j = 0; j < NR; j++) {
            int o = ob0 + b * NR + j;
            float *dst = wp + (size_t)b * (size_t)(k->t1 - k->t0) * (size_t)k->ni * NR + j;
            for (int t = k->t0; t < k->t1; t++) {
                if (o >= c->co) {
                    for (int i = 0; i < k->ni; i++, dst += NR)
                        *dst = 0.0f;
                    continue;
                }
                const float *src = c->w + ((size_t)o * (size_t)taps + (size_t)t) *
                                              (size_t)c->ci + (size_t)k->i0;
                for (int i = 0; i < k->ni; i++, dst += NR)
                    *dst = src[i];
            }
        }
    }
}

static void pixel_state(const struct conv_ctx *c, size_t p, struct pix *px)
{
    size_t plane = (size_t)c->oh * (size_t)c->ow;
    size_t img = p / plane, r = p % plane;
    int oy = (int)(r / (size_t)c->ow), ox = (int)(r % (size_t)c->ow);
    px->in_img = c->in + img * (size_t)c->h * (size_t)c->w_in * (size_t)c->ci;
    px->iy = oy * c->sh - c->pad_t;
    px->ix = ox * c->sw - c->pad_l;
    px->out = c->out + p * (size_t)c->co;
}

/* Every pixel tile of [p0, p1) against the packed group of blocks starting at ob0. */
static void run_group(const struct conv_ctx *c, const struct kchunk *k, const float *wp,
                      int ob0, int nblocks, size_t p0, size_t p1)
{
    const size_t block_floats = (size_t)(k->t1 - k->t0) * (size_t)k->ni * NR;
    struct pix px[NP];
    size_t p = p0;
    for (; p + NP <= p1; p += NP) {
        for (int q = 0; q < NP; q++)
            pixel_state(c, p + (size_t)q, &px[q]);
        for (int b = 0; b < nblocks; b++) {
            int ob = ob0 + b * NR;
            tile_np(c, k, wp + (size_t)b * block_floats, px, ob, PA_MIN(NR, c->co - ob));
        }
    }
    for (; p < p1; p++) {
        pixel_state(c, p, &px[0]);
        for (int b = 0; b < nblocks; b++) {
            int ob = ob0 + b * NR;
            tile_1(c, k, wp + (size_t)b * block_floats, px, ob, PA_MIN(NR, c->co - ob));
        }
    }
}

static void conv_slice(void *arg, int job, int n_jobs)
{
    const struct conv_ctx *c = arg;
    float wp[PACK_FLOATS];
    const int taps = c->kh * c->kw;
    const int n_blocks = (c->co + NR - 1) / NR;
    const int r0 = (int)((long long)c->n_rows * job / n_jobs);
    const int r1 = (int)((long long)c->n_rows * (job + 1) / n_jobs);
    const size_t p0 = (size_t)r0 * (size_t)c->ow, p1 = (size_t)r1 * (size_t)c->ow;

    /* Chunk the reduction: all taps if they fit, else as many whole taps as fit, else
     * one tap at a time split over input channels. */
    int taps_per_chunk, ni;
    if ((size_t)taps * (size_t)c->ci <= MAX_KCHUNK) {
        taps_per_chunk = taps;
        ni = c->ci;
    } else if (c->ci <= MAX_KCHUNK) {
        taps_per_chunk = MAX_KCHUNK / c->ci;
        ni = c->ci;
    } else {
        taps_per_chunk = 1;
        ni = MAX_KCHUNK;
    }
    for (int t0 = 0; t0 < taps; t0 += taps_per_chunk) {
        for (int i0 = 0; i0 < c->ci; i0 += ni) {
            struct kchunk k = {.t0 = t0, .t1 = PA_MIN(t0 + taps_per_chunk, taps), .i0 = i0,
                               .ni = PA_MIN(ni, c->ci - i0)};
            k.first = t0 == 0 && i0 == 0;
            k.last = k.t1 == taps && i0 + k.ni == c->ci;
            const size_t block_floats = (size_t)(k.t1 - k.t0) * (size_t)k.ni * NR;
            const int group = (int)PA_MIN((size_t)n_blocks, PACK_FLOATS / block_floats);
            for (int b0 = 0; b0 < n_blocks; b0 += group) {
                int nb = PA_MIN(group, n_blocks - b0);
                pack(c, &k, b0 * NR, nb, wp);
                run_group(c, &k, wp, b0 * NR, nb, p0, p1);
            }
        }
    }
}

static int same_pad(int in, int out, int stride, int k, int dil)
{
    int total = (out - 1) * stride + (k - 1) * dil + 1 - in;
    return total > 0 ? total / 2 : 0;
}

void pa_ref_conv_run(const float *in, const float *w, const float *bias, float *out, int n,
                     int h, int wi, int ci, int oh, int ow, int co, int kh, int kw,
                     const struct pa_op_params *p, struct pa_parallel *par)
{
    struct conv_ctx c = {
        .in = in, .w = w, .bias = bias, .out = out, .n_rows = n * oh,
        .h = h, .w_in = wi, .ci = ci, .oh = oh, .ow = ow, .co = co, .kh = kh, .kw = kw,
        .sh = PA_MAX(p->stride_h, 1), .sw = PA_MAX(p->stride_w, 1),
        .dh = PA_MAX(p->dilation_h, 1), .dw = PA_MAX(p->dilation_w, 1),
    };
    if (p->padding == PA_PAD_SAME) {
        c.pad_t = same_pad(h, oh, c.sh, kh, c.dh);
        c.pad_l = same_pad(wi, ow, c.sw, kw, c.dw);
    }
    pa_ref_act_bounds(p->activation, &c.lo, &c.hi);
    size_t macs = (size_t)n * (size_t)oh * (size_t)ow * (size_t)co * (size_t)(kh * kw * ci);
    pa_parallel_for(par, conv_slice, &c, pa_ref_jobs(par, c.n_rows, macs));
}

void pa_ref_conv2d(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                   struct pa_parallel *par)
{
    const struct pa_tensor *ti = &g->tensors[n->in[0]];
    const struct pa_tensor *tw = &g->tensors[n->in[1]];
    const struct pa_tensor *to = &g->tensors[n->out[0]];
    const float *bias = n->n_in > 2 && n->in[2] >= 0 ? ptr[n->in[2]] : NULL;
    pa_ref_conv_run(ptr[n->in[0]], ptr[n->in[1]], bias, ptr[n->out[0]], ti->dims[0],
                    ti->dims[1], ti->dims[2], ti->dims[3], to->dims[1], to->dims[2],
                    to->dims[3], tw->dims[1], tw->dims[2], &n->p, par);
}

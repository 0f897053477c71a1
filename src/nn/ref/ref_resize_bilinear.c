/** @file
 * RESIZE_BILINEAR with TFLite's float reference semantics (reference_ops::ResizeBilinear).
 *
 * Algorithm digest, per axis (input size in, output size out, output index v):
 *   scale = in / out, or (in - 1) / (out - 1) when align_corners and out > 1
 *   s     = (v + 0.5) * scale - 0.5 with half_pixel_centers, else v * scale
 *   i0    = max(floor(s), 0),  i1 = min(ceil(s), in - 1),  f = s - i0
 *   out   = in[y0,x0] (1-fy)(1-fx) + in[y1,x0] fy (1-fx) + in[y0,x1] (1-fy) fx + in[y1,x1] fy fx
 * Note f is not clamped: with half-pixel centers s can be below 0 (f < 0 and i0 == i1), and
 * the weights still sum to 1 on the same pixel, which is exactly what TFLite computes.
 * Jobs split the output rows; channels are the inner vectorized loop.
 */
#include <math.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

struct resize_ctx {
    const float *in;
    float *out;
    int n_rows;   ///< N * OH
    int h, w, ch, oh, ow;
    float scale_y, scale_x;
    bool half_pixel;
};

static void interp(int v, float scale, bool half_pixel, int size, int *i0, int *i1, float *f)
{
    float s = half_pixel ? ((float)v + 0.5f) * scale - 0.5f : (float)v * scale;
    *i0 = PA_MAX((int)floorf(s), 0);
    *i1 = PA_MIN((int)ceilf(s), size - 1);
    *f = s - (float)*i0;
}

static void resize_slice(void *arg, int job, int n_jobs)
{
    const struct resize_ctx *c = arg;
    const int r0 = (int)((long long)c->n_rows * job / n_jobs);
    const int r1 = (int)((long long)c->n_rows * (job + 1) / n_jobs);
    const size_t ch = (size_t)c->ch, row = (size_t)c->w * ch;
    for (int r = r0; r < r1; r++) {
        const int img = r / c->oh, oy = r % c->oh;
        int y0, y1;
        float fy;
        interp(oy, c->scale_y, c->half_pixel, c->h, &y0, &y1, &fy);
        const float *in_img = c->in + (size_t)img * (size_t)c->h * row;
        float *o = c->out + (size_t)r * (size_t)c->ow * ch;
        for (int ox = 0; ox < c->ow; ox++, o += ch) {
            int x0, x1;
            float fx;
            interp(ox, c->scale_x, c->half_pixel, c->w, &x0, &x1, &fx);
            const float w00 = (1 - fy) * (1 - fx), w10 = fy * (1 - fx);
            const float w01 = (1 - fy) * fx, w11 = fy * fx;
            const float *restrict p00 = in_img + (size_t)y0 * row + (size_t)x0 * ch;
            const float *restrict p10 = in_img + (size_t)y1 * row + (size_t)x0 * ch;
            const float *restrict p01 = in_img + (size_t)y0 * row + (size_t)x1 * ch;
            const float *restrict p11 = in_img + (size_t)y1 * row + (size_t)x1 * ch;
            float *restrict dst = o;
            for (size_t k = 0; k < ch; k++)
                dst[k] = p00[k] * w00 + p10[k] * w10 + p01[k] * w01 + p11[k] * w11;
        }
    }
}

void pa_ref_resize_bilinear(const struct pa_graph *g, const struct pa_node *n,
                            float *const *ptr, struct pa_parallel *par)
{
    const struct pa_tensor *ti = &g->tensors[n->in[0]];
    const struct pa_tensor *to = &g->tensors[n->out[0]];
    struct resize_ctx c = {
        .in = ptr[n->in[0]], .out = ptr[n->out[0]],
        .n_rows = to->dims[0] * to->dims[1],
        .h = ti->dims[1], .w = ti->dims[2], .ch = ti->dims[3],
        .oh = to->dims[1], .ow = to->dims[2],
        .half_pixel = n->p.half_pixel_centers,
    };
    c.scale_y = (float)c.h / (float)c.oh;
    c.scale_x = (float)c.w / (float)c.ow;
    if (n->p.align_corners && c.oh > 1)
        c.scale_y = (float)(c.h - 1) / (float)(c.oh - 1);
    if (n->p.align_corners && c.ow > 1)
        c.scale_x = (float)(c.w - 1) / (float)(c.ow - 1);
    pa_parallel_for(par, resize_slice, &c, pa_ref_jobs(par, c.n_rows, 4 * to->count));
}

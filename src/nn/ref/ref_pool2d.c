/** @file
 * MAX_POOL_2D and AVERAGE_POOL_2D (TFLite semantics), channels as the inner loop.
 *
 * Algorithm digest: input [N,H,W,C], output [N,OH,OW,C], window filter_h x filter_w moved
 * by the strides; SAME padding total = max((OH-1)*sh + fh - H, 0) with the smaller half
 * before, VALID none. Padded positions are not part of the window: max is over the valid
 * elements only, and average divides by the number of valid elements (TFLite's
 * AveragePool "filter_count"), not by fh*fw. The fused activation clamps the result.
 */
#include <math.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

struct pool_ctx {
    const float *in;
    float *out;
    int n_rows;        ///< N * OH
    int h, w, ch, oh, ow;
    int fh, fw, sh, sw, pad_t, pad_l;
    int is_max;
    float lo, hi;
};

static void pool_pixel(const struct pool_ctx *c, const float *in_img, int oy, int ox,
                       float *restrict o)
{
    const int y0 = PA_MAX(oy * c->sh - c->pad_t, 0);
    const int y1 = PA_MIN(oy * c->sh - c->pad_t + c->fh, c->h);
    const int x0 = PA_MAX(ox * c->sw - c->pad_l, 0);
    const int x1 = PA_MIN(ox * c->sw - c->pad_l + c->fw, c->w);
    const int ch = c->ch;
    const float init = c->is_max ? -INFINITY : 0.0f;
    for (int k = 0; k < ch; k++)
        o[k] = init;
    for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
            const float *restrict v = in_img + ((size_t)y * (size_t)c->w + (size_t)x) *
                                                   (size_t)ch;
            if (c->is_max) {
                for (int k = 0; k < ch; k++)
                    o[k] = v[k] > o[k] ? v[k] : o[k];
            } else {
                for (int k = 0; k < ch; k++)
                    o[k] += v[k];
            }
        }
    }
    const int count = (y1 - y0) * (x1 - x0);
    /* An empty window (only possible with degenerate padding) yields 0, as in TFLite. */
    const float scale = c->is_max || count == 0 ? 1.0f : 1.0f / (float)count;
    for (int k = 0; k < ch; k++) {
        float v = count == 0 ? 0.0f : o[k] * scale;
        v = v < c->lo ? c->lo : v;
        o[k] = v > c->hi ? c->hi : v;
    }
}

static void pool_slice(void *arg, int job, int n_jobs)
{
    const struct pool_ctx *c = arg;
    const int r0 = (int)((long long)c->n_rows * job / n_jobs);
    const int r1 = (int)((long long)c->n_rows * (job + 1) / n_jobs);
    const size_t img_floats = (size_t)c->h * (size_t)c->w * (size_t)c->ch;
    for (int r = r0; r < r1; r++) {
        const float *in_img = c->in + (size_t)(r / c->oh) * img_floats;
        float *o = c->out + (size_t)r * (size_t)c->ow * (size_t)c->ch;
        for (int ox = 0; ox < c->ow; ox++, o += c->ch)
            pool_pixel(c, in_img, r % c->oh, ox, o);
    }
}

static int same_pad(int in, int out, int stride, int k)
{
    int total = (out - 1) * stride + k - in;
    return total > 0 ? total / 2 : 0;
}

static void pool(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                 struct pa_parallel *par, int is_max)
{
    const struct pa_tensor *ti = &g->tensors[n->in[0]];
    const struct pa_tensor *to = &g->tensors[n->out[0]];
    const struct pa_op_params *p = &n->p;
    struct pool_ctx c = {
        .in = ptr[n->in[0]], .out = ptr[n->out[0]],
        .n_rows = to->dims[0] * to->dims[1],
        .h = ti->dims[1], .w = ti->dims[2], .ch = ti->dims[3],
        .oh = to->dims[1], .ow = to->dims[2],
        .fh = p->filter_h, .fw = p->filter_w,
        .sh = PA_MAX(p->stride_h, 1), .sw = PA_MAX(p->stride_w, 1),
        .is_max = is_max,
    };
    if (p->padding == PA_PAD_SAME) {
        c.pad_t = same_pad(c.h, c.oh, c.sh, c.fh);
        c.pad_l = same_pad(c.w, c.ow, c.sw, c.fw);
    }
    pa_ref_act_bounds(p->activation, &c.lo, &c.hi);
    size_t work = to->count * (size_t)(c.fh * c.fw);
    pa_parallel_for(par, pool_slice, &c, pa_ref_jobs(par, c.n_rows, work));
}

void pa_ref_max_pool2d(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                       struct pa_parallel *par)
{
    pool(g, n, ptr, par, 1);
}

void pa_ref_average_pool2d(const struct pa_graph *g, const struct pa_node *n,
                           float *const *ptr, struct pa_parallel *par)
{
    pool(g, n, ptr, par, 0);
}

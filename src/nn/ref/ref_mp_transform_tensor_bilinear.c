/** @file
 * Reference kernel of MediaPipe's TransformTensorBilinear (version 2): an affine crop of a
 * feature map, sampled bilinearly, driven by a 4x4 matrix (from Landmarks2TransformMatrix).
 *
 * Algorithm digest (MediaPipe transform_tensor_bilinear.cc, v2): data [1,H,W,C], matrix M
 * [1,4,4] row-major mapping output pixel coordinates to input pixel coordinates with pixel
 * centres at +0.5 ("align corners" correction T -> S·T·A, A = +0.5 shift, S = -0.5 shift):
 *   tx = M[0]·ox + M[1]·oy + M[3] + 0.5·(M[0] + M[1]) - 0.5    (ox, oy integer indices)
 *   ty = M[4]·ox + M[5]·oy + M[7] + 0.5·(M[4] + M[5]) - 0.5
 * (tx, ty) are then input indices. Outside [0, W-1] x [0, H-1] the output is 0 for every
 * channel; inside, the usual bilinear blend of the 4 neighbours floor(t), floor(t) + 1 with
 * weights t - floor(t), a neighbour past the last row/column (weight 0 there) reading 0.
 * NaN coordinates count as outside (MediaPipe would convert them to int: undefined).
 */
#include "nn/ref/ref.h"

#include <math.h>

#include "core/parallel.h"

struct ttb_ctx {
    const float *in;
    float *out;
    int h, w, c;      // input
    int oh, ow;       // output (channels = c)
    float x[4], y[4]; // corrected first two matrix rows
};

static float ttb_read(const struct ttb_ctx *c, int y, int x, int ch)
{
    if (y < 0 || x < 0 || y >= c->h || x >= c->w)
        return 0.0f;
    return c->in[((size_t)y * c->w + x) * c->c + ch];
}

static void ttb_pixel(const struct ttb_ctx *c, float tx, float ty, float *o)
{
    if (!(tx >= 0.0f && tx <= (float)(c->w - 1) && ty >= 0.0f && ty <= (float)(c->h - 1))) {
        for (int ch = 0; ch < c->c; ch++)
            o[ch] = 0.0f;
        return;
    }
    float fx = floorf(tx), fy = floorf(ty);
    int x0 = (int)fx, y0 = (int)fy;
    float right = tx - fx, lower = ty - fy;
    for (int ch = 0; ch < c->c; ch++) {
        float q11 = ttb_read(c, y0, x0, ch), q21 = ttb_read(c, y0, x0 + 1, ch);
        float q12 = ttb_read(c, y0 + 1, x0, ch), q22 = ttb_read(c, y0 + 1, x0 + 1, ch);
        /* Mixed double/float as in MediaPipe, where `1.0 - w` is a double expression and
         * `w * q` a float product; this keeps results identical to its CPU kernel. */
        float upper_v = (float)((1.0 - right) * q11 + (double)(right * q21));
        float lower_v = (float)((1.0 - right) * q12 + (double)(right * q22));
        o[ch] = (float)((double)(lower * lower_v) + (1.0 - lower) * upper_v);
    }
}

static void ttb_slice(void *ctx, int job, int n_jobs)
{
    const struct ttb_ctx *c = ctx;
    int r0 = (int)((int64_t)c->oh * job / n_jobs);
    int r1 = (int)((int64_t)c->oh * (job + 1) / n_jobs);
    for (int oy = r0; oy < r1; oy++) {
        for (int ox = 0; ox < c->ow; ox++) {
            float fx = (float)ox, fy = (float)oy;
            // Dot products with (ox, oy, 0, 1), summed left to right as MediaPipe does.
            float tx = c->x[0] * fx + c->x[1] * fy + c->x[2] * 0.0f + c->x[3] * 1.0f;
            float ty = c->y[0] * fx + c->y[1] * fy + c->y[2] * 0.0f + c->y[3] * 1.0f;
            ttb_pixel(c, tx, ty, c->out + ((size_t)oy * c->ow + ox) * c->c);
        }
    }
}

PA_REF_KERNEL(pa_ref_transform_tensor_bilinear)
{
    const struct pa_tensor *x = &g->tensors[n->in[0]];
    const struct pa_tensor *y = &g->tensors[n->out[0]];
    const float *m = ptr[n->in[1]];
    struct ttb_ctx c = {
        .in = ptr[n->in[0]],
        .out = ptr[n->out[0]],
        .h = x->dims[1],
        .w = x->dims[2],
        .c = x->dims[3],
        .oh = y->dims[1],
        .ow = y->dims[2],
        .x = {m[0], m[1], m[2], m[3]},
        .y = {m[4], m[5], m[6], m[7]},
    };
    // The half-pixel correction, in double as MediaPipe evaluates it (0.5 is a double there).
    c.x[3] = (float)((double)c.x[3] + ((double)c.x[0] * 0.5 + (double)c.x[1] * 0.5 - 0.5));
    c.y[3] = (float)((double)c.y[3] + ((double)c.y[0] * 0.5 + (double)c.y[1] * 0.5 - 0.5));
    int jobs = PA_MIN(pa_parallel_threads(par), c.oh);
    pa_parallel_for(par, ttb_slice, &c, jobs);
}

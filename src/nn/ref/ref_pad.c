/** @file
 * PAD with zeros: out[..., j, ...] = in[..., j - before, ...] inside the copied region and 0
 * outside, per dim, with before/after amounts from n->p.pad (one row per input dim, as in
 * the TFLite paddings tensor). Shapes are right-aligned to 4 dims; the job unit is one
 * innermost-dim row of the output.
 */
#include <string.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

struct pad_ctx {
    const float *in;
    float *out;
    int id[4], od[4];   ///< input and output dims, right-aligned to 4
    int before[4];      ///< leading pad per dim
};

static void pad_slice(void *arg, int job, int n_jobs)
{
    const struct pad_ctx *c = arg;
    const int rows = c->od[0] * c->od[1] * c->od[2];
    const int r0 = (int)((long long)rows * job / n_jobs);
    const int r1 = (int)((long long)rows * (job + 1) / n_jobs);
    const size_t ow = (size_t)c->od[3], iw = (size_t)c->id[3];
    for (int r = r0; r < r1; r++) {
        float *o = c->out + (size_t)r * ow;
        int i2 = r % c->od[2] - c->before[2];
        int i1 = r / c->od[2] % c->od[1] - c->before[1];
        int i0 = r / (c->od[2] * c->od[1]) - c->before[0];
        if ((unsigned)i0 >= (unsigned)c->id[0] || (unsigned)i1 >= (unsigned)c->id[1] ||
            (unsigned)i2 >= (unsigned)c->id[2]) {
            memset(o, 0, ow * sizeof(*o));
            continue;
        }
        const float *in = c->in + (((size_t)i0 * (size_t)c->id[1] + (size_t)i1) *
                                       (size_t)c->id[2] + (size_t)i2) * iw;
        const size_t b = (size_t)c->before[3];
        memset(o, 0, b * sizeof(*o));
        memcpy(o + b, in, iw * sizeof(*o));
        memset(o + b + iw, 0, (ow - b - iw) * sizeof(*o));
    }
}

void pa_ref_pad(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                struct pa_parallel *par)
{
    const struct pa_tensor *ti = &g->tensors[n->in[0]];
    const struct pa_tensor *to = &g->tensors[n->out[0]];
    struct pad_ctx c = {.in = ptr[n->in[0]], .out = ptr[n->out[0]]};
    for (int d = 0; d < 4; d++)
        c.id[d] = c.od[d] = 1;
    const int shift = 4 - ti->ndim;
    for (int d = 0; d < ti->ndim; d++) {
        c.id[shift + d] = ti->dims[d];
        c.od[shift + d] = to->dims[d];
        c.before[shift + d] = n->p.pad[d][0];
    }
    const int rows = c.od[0] * c.od[1] * c.od[2];
    pa_parallel_for(par, pad_slice, &c, pa_ref_jobs(par, rows, to->count));
}

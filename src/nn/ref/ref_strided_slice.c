/** @file
 * STRIDED_SLICE with begin/end/strides already resolved per input dim by the graph builder
 * (masks applied, negative indices made absolute): out[o0..o3] = in[begin_d + o_d*stride_d].
 * The output dims come from the graph, so `end` is not needed here. Shapes are right-aligned
 * to 4 dims; an innermost stride of 1 copies whole rows.
 */
#include <string.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

struct slice_ctx {
    const float *in;
    float *out;
    int id[4], od[4];
    int begin[4], stride[4];
};

static void slice_rows(void *arg, int job, int n_jobs)
{
    const struct slice_ctx *c = arg;
    const int rows = c->od[0] * c->od[1] * c->od[2];
    const int r0 = (int)((long long)rows * job / n_jobs);
    const int r1 = (int)((long long)rows * (job + 1) / n_jobs);
    const int ow = c->od[3];
    for (int r = r0; r < r1; r++) {
        const int o2 = r % c->od[2], o1 = r / c->od[2] % c->od[1];
        const int o0 = r / (c->od[2] * c->od[1]);
        const int i0 = c->begin[0] + o0 * c->stride[0];
        const int i1 = c->begin[1] + o1 * c->stride[1];
        const int i2 = c->begin[2] + o2 * c->stride[2];
        const float *in = c->in + (((size_t)i0 * (size_t)c->id[1] + (size_t)i1) *
                                       (size_t)c->id[2] + (size_t)i2) * (size_t)c->id[3];
        float *o = c->out + (size_t)r * (size_t)ow;
        if (c->stride[3] == 1) {
            memcpy(o, in + c->begin[3], (size_t)ow * sizeof(*o));
        } else {
            for (int x = 0; x < ow; x++)
                o[x] = in[(ptrdiff_t)c->begin[3] + (ptrdiff_t)x * c->stride[3]];
        }
    }
}

void pa_ref_strided_slice(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                          struct pa_parallel *par)
{
    const struct pa_tensor *ti = &g->tensors[n->in[0]];
    const struct pa_tensor *to = &g->tensors[n->out[0]];
    struct slice_ctx c = {.in = ptr[n->in[0]], .out = ptr[n->out[0]]};
    for (int d = 0; d < 4; d++) {
        c.id[d] = c.od[d] = 1;
        c.stride[d] = 1;
    }
    /* The output may have fewer dims only if the builder squeezed some (shrink_axis_mask);
     * a squeezed dim has extent 1, so right-aligning the input's dims is what matters. */
    const int shift = 4 - ti->ndim;
    for (int d = 0; d < ti->ndim; d++) {
        c.id[shift + d] = ti->dims[d];
        c.begin[shift + d] = n->p.begin[d];
        c.stride[shift + d] = n->p.strides[d];
        const int s = n->p.strides[d];
        const int e = n->p.end[d], b = n->p.begin[d];
        c.od[shift + d] = s > 0 ? (e > b ? (e - b + s - 1) / s : 0)
                                : (b > e ? (b - e - s - 1) / -s : 0);
    }
    PA_ASSERT((size_t)c.od[0] * (size_t)c.od[1] * (size_t)c.od[2] * (size_t)c.od[3] ==
              to->count);
    const int rows = c.od[0] * c.od[1] * c.od[2];
    pa_parallel_for(par, slice_rows, &c, pa_ref_jobs(par, rows, to->count));
}

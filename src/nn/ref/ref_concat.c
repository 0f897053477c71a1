/** @file
 * CONCATENATION along any axis: seen as [outer, inner_k] blocks where outer is the product
 * of the dims before the axis and inner_k the product of input k's dims from the axis on,
 * each output row of the outer dim is the inputs' blocks back to back. The fused
 * activation (rarely anything but NONE) clamps the copy. Jobs split the outer rows.
 */
#include <string.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

struct concat_ctx {
    const struct pa_graph *g;
    const struct pa_node *n;
    float *const *ptr;
    int axis;
    size_t outer, out_inner;
};

static size_t inner_size(const struct pa_tensor *t, int axis)
{
    size_t s = 1;
    for (int d = axis; d < t->ndim; d++)
        s *= (size_t)t->dims[d];
    return s;
}

static void concat_slice(void *arg, int job, int n_jobs)
{
    const struct concat_ctx *c = arg;
    const size_t r0 = c->outer * (size_t)job / (size_t)n_jobs;
    const size_t r1 = c->outer * (size_t)(job + 1) / (size_t)n_jobs;
    float *out = c->ptr[c->n->out[0]];
    size_t off = 0;
    for (int k = 0; k < c->n->n_in; k++) {
        const size_t inner = inner_size(&c->g->tensors[c->n->in[k]], c->axis);
        const float *in = c->ptr[c->n->in[k]];
        for (size_t r = r0; r < r1; r++) {
            float *o = out + r * c->out_inner + off;
            memcpy(o, in + r * inner, inner * sizeof(*o));
            pa_ref_act_apply(c->n->p.activation, o, inner);
        }
        off += inner;
    }
}

void pa_ref_concatenation(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                          struct pa_parallel *par)
{
    const struct pa_tensor *to = &g->tensors[n->out[0]];
    struct concat_ctx c = {.g = g, .n = n, .ptr = ptr, .axis = n->p.axis, .outer = 1};
    for (int d = 0; d < c.axis; d++)
        c.outer *= (size_t)to->dims[d];
    c.out_inner = inner_size(to, c.axis);
    const int rows = (int)PA_MIN(c.outer, (size_t)1 << 20);
    pa_parallel_for(par, concat_slice, &c, pa_ref_jobs(par, rows, to->count));
}

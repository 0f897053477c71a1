/** @file
 * Reference backend: runs the graph's nodes in order with the portable C kernels of nn/ref/.
 * prepare resolves each node's kernel once, so a run is a plain loop of indirect calls and
 * never allocates.
 */
#include "nn/backend.h"

#include "core/mem.h"

struct ref_state {
    const struct pa_graph *g;
    float *const *ptr; ///< tensor buffers, owned by the session
    struct pa_parallel *par;
    pa_ref_kernel_fn *fn; ///< [n_nodes] kernel of each node
};

static void ref_destroy(void *state)
{
    struct ref_state *s = state;
    if (!s)
        return;
    pa_free(s->fn);
    pa_free(s);
}

static int ref_prepare(void **state_out, const struct pa_graph *g, float *const *ptr,
                       struct pa_parallel *par)
{
    struct ref_state *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    s->fn = pa_calloc((size_t)PA_MAX(g->n_nodes, 1), sizeof(*s->fn));
    if (!s->fn) {
        ref_destroy(s);
        return PA_ENOMEM;
    }
    s->g = g;
    s->ptr = ptr;
    s->par = par;
    for (int k = 0; k < g->n_nodes; k++)
        s->fn[k] = pa_ref_kernel(g->nodes[k].op);
    *state_out = s;
    return 0;
}

static int ref_run(void *state)
{
    const struct ref_state *s = state;
    for (int k = 0; k < s->g->n_nodes; k++)
        s->fn[k](s->g, &s->g->nodes[k], s->ptr, s->par);
    return 0;
}

const struct pa_nn_backend_ops pa_nn_backend_ref = {
    .name = "ref",
    .prepare = ref_prepare,
    .run = ref_run,
    .destroy = ref_destroy,
};

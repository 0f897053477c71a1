/** @file
 * pa_parallel: a pthreadpool handle plus its thread count. pthreadpool serialises concurrent
 * calls on one pool, so each pipeline stage gets its own (see docs/architecture.md).
 */
#include "parallel.h"

#include <pthreadpool.h>

#include "mem.h"

struct pa_parallel {
    pthreadpool_t pool; ///< NULL when single-threaded
    int threads;
};

int pa_parallel_create(struct pa_parallel **out, int threads)
{
    *out = NULL;
    if (threads < 0 || threads > 256)
        return PA_EINVAL;
    struct pa_parallel *par = pa_calloc(1, sizeof(*par));
    if (!par)
        return PA_ENOMEM;
    par->threads = threads < 1 ? 1 : threads;
    if (par->threads > 1) {
        par->pool = pthreadpool_create((size_t)par->threads);
        if (!par->pool) {
            pa_free(par);
            return PA_ENOMEM;
        }
    }
    *out = par;
    return 0;
}

void pa_parallel_destroy(struct pa_parallel *par)
{
    if (!par)
        return;
    if (par->pool)
        pthreadpool_destroy(par->pool);
    pa_free(par);
}

int pa_parallel_threads(const struct pa_parallel *par)
{
    return par ? par->threads : 1;
}

void *pa_parallel_pthreadpool(struct pa_parallel *par)
{
    return par ? (void *)par->pool : NULL;
}

struct slice_call {
    pa_slice_fn fn;
    void *ctx;
    int n_jobs;
};

static void slice_trampoline(void *arg, size_t i)
{
    struct slice_call *c = arg;
    c->fn(c->ctx, (int)i, c->n_jobs);
}

void pa_parallel_for(struct pa_parallel *par, pa_slice_fn fn, void *ctx, int n_jobs)
{
    if (n_jobs <= 0)
        return;
    if (!par || !par->pool || n_jobs == 1) {
        for (int j = 0; j < n_jobs; j++)
            fn(ctx, j, n_jobs);
        return;
    }
    struct slice_call c = {fn, ctx, n_jobs};
    pthreadpool_parallelize_1d(par->pool, slice_trampoline, &c, (size_t)n_jobs,
                               PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

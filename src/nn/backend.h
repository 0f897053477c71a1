/** @file
 * Backend vtable: a backend prepares a graph once (plans, repacks weights, builds runtimes)
 * and then runs it with zero allocation. Tensor storage is owned by the session (nn.c):
 * `ptr[i]` is the f32 buffer of graph tensor i (constants point at graph data, inputs and
 * intermediates into the session arena planned by plan.c).
 */
#ifndef PA_NN_BACKEND_H
#define PA_NN_BACKEND_H

#include "nn/graph.h"
#include "pa_config.h"
#include "panim.h"

struct pa_parallel;

/**
 * Reference kernel: compute node `n` of `g` from ptr[n->in[...]] into ptr[n->out[...]].
 * Shapes were validated at graph build. Kernels never allocate; they may split work with
 * pa_parallel_for over `par` (NULL = serial).
 */
typedef void (*pa_ref_kernel_fn)(const struct pa_graph *g, const struct pa_node *n,
                                 float *const *ptr, struct pa_parallel *par);

/** @return the reference kernel for an op (never NULL for ops in ops.inc). */
pa_ref_kernel_fn pa_ref_kernel(enum pa_op op);

struct pa_nn_backend_ops {
    const char *name;
    /** Prepare for graph `g` with tensor buffers `ptr` (stable for the session's life). */
    int (*prepare)(void **state_out, const struct pa_graph *g, float *const *ptr,
                   struct pa_parallel *par);
    int (*run)(void *state);
    void (*destroy)(void *state); ///< accepts NULL
};

extern const struct pa_nn_backend_ops pa_nn_backend_ref;
#if PA_HAVE_XNNPACK
extern const struct pa_nn_backend_ops pa_nn_backend_xnn;
#endif

/**
 * Memory plan: assign arena offsets to non-constant tensors by liveness (first and last use
 * in node order; graph inputs live from the start, outputs to the end). offsets[i] is set for
 * every non-const tensor (bytes, PA_ALIGN-aligned, each tensor followed by at least
 * PA_EXTRA_BYTES of slack for XNNPACK's over-reads); *arena_bytes the total.
 */
int pa_nn_plan(const struct pa_graph *g, size_t *offsets, size_t *arena_bytes);

#endif /* PA_NN_BACKEND_H */

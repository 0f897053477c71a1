/** @file
 * Private interface between backend_xnn.c (partitioning, runtimes, run loop) and
 * backend_xnn_ops.c (which nodes XNNPACK can express, and how each is defined). Only these
 * two files include <xnnpack.h>; both are left out of the reference-only build.
 */
#ifndef PA_NN_BACKEND_XNN_INTERNAL_H
#define PA_NN_BACKEND_XNN_INTERNAL_H

#include <xnnpack.h>

#include "nn/graph.h"

struct pa_parallel;

/** What a node definition needs: the subgraph being built and the ids of its values. */
struct pa__xnn_build {
    xnn_subgraph_t sg;
    const struct pa_graph *g;
    /** XNNPACK value id of every non-constant graph tensor of the run being built
     *  (XNN_INVALID_VALUE_ID elsewhere); constants are defined per use by the op code. */
    const uint32_t *value_id;
    /** Zeros standing in for absent biases: XNNPACK packs the bias at runtime creation. */
    const float *zeros;
    size_t n_zeros;
    /** `count` floats that live as long as the backend state (repacked weights); NULL when
     *  out of memory. */
    float *(*alloc)(void *ctx, size_t count);
    void *alloc_ctx;
};

/**
 * @return 1 when node `n` can run inside an XNNPACK subgraph of this XNNPACK version with
 * exactly the reference kernel's semantics (shapes, padding and params checked), else 0.
 * A supported node reads only the non-constant inputs it passes to XNNPACK.
 */
int pa__xnn_node_supported(const struct pa_graph *g, const struct pa_node *n);

/** Largest bias length pa__xnn_define_node may need from `zeros` for node `n` (0 if none). */
size_t pa__xnn_zeros_needed(const struct pa_graph *g, const struct pa_node *n);

/** Add node `n` (supported) to b->sg. @return the xnn_status of the failing define call. */
enum xnn_status pa__xnn_define_node(const struct pa__xnn_build *b, const struct pa_node *n);

/** A fused channel-padded residual add (backend_xnn_fuse.c): nodes [first, first + n_nodes)
 *  = PAD(x) -> ADD(., y) [-> RELU/RELU6] computed as out = act(y + [x, 0]). */
struct pa__xnn_padd {
    int first, n_nodes;
    int x, y, out;   ///< tensor ids
    int c_in, c_out; ///< channels of x, of y and out
    size_t pixels;   ///< x count / c_in
    enum pa_activation act;
    int order; ///< PA__XNN_PADD_*: how the buffers let the pass run
};

#define PA__XNN_PADD_PARALLEL 0 ///< no overlap: row slices on the pool
#define PA__XNN_PADD_BACKWARD 1 ///< output overlaps inputs from above: last pixel first
#define PA__XNN_PADD_FORWARD 2  ///< output overlaps inputs from below: first pixel first

/** @return 1 and fill *out when the pattern starts at node k and is safe with the buffers
 *  in ptr (see the file's digest), else 0. */
int pa__xnn_padd_match(const struct pa_graph *g, float *const *ptr, int k,
                       struct pa__xnn_padd *out);

/** Compute a matched pattern (row slices over par). */
void pa__xnn_padd_run(const struct pa__xnn_padd *f, float *const *ptr, struct pa_parallel *par);

/**
 * pa_nn_backend_xnn.prepare with a choice: all_runs = 1 builds a runtime for every run of
 * supported nodes, even one too small to be worth it (tests use it on one-node graphs).
 */
int pa__xnn_prepare_ex(void **state_out, const struct pa_graph *g, float *const *ptr,
                       struct pa_parallel *par, int all_runs);

/** @return how many nodes of a prepared state run inside XNNPACK runtimes. */
int pa__xnn_state_xnn_nodes(const void *state);

/** @return how many nodes of a prepared state run as fused padded adds. */
int pa__xnn_state_fused_nodes(const void *state);

#endif /* PA_NN_BACKEND_XNN_INTERNAL_H */

/** @file
 * XNNPACK backend: the graph's node list is cut into maximal runs of nodes that XNNPACK can
 * express (backend_xnn_ops.c decides and defines them); each run becomes one XNNPACK
 * subgraph and runtime, and the nodes between runs (CONCATENATION, STRIDED_SLICE, MediaPipe
 * custom ops, anything with parameters XNNPACK cannot express) run on the reference kernels.
 *
 * Algorithm digest:
 *  - Boundary values. A non-constant tensor used by a run is an external input when no node
 *    of the run produces it, and an external output when the run produces it and a later node
 *    or the graph's outputs need it. External values live in the session arena (ptr[]); the
 *    run's other values live in the runtime's own workspace. Constants are static values
 *    pointing at the graph's folded data, which outlives the session.
 *  - Setup once. ptr[] is stable for the session's life, so xnn_setup_runtime binds each
 *    runtime's external pointers at prepare; pa_nn_session_run only invokes runtimes and ref
 *    kernels in order, with no allocation and no per-run setup.
 *  - One fusion of our own: PAD(channels) -> ADD [-> RELU] runs as a single pass between
 *    runtimes (backend_xnn_fuse.c), since this XNNPACK can only copy the pad in full.
 *  - Fallback. A node whose define call XNNPACK refuses moves to the reference kernels and
 *    the run is rebuilt without it; a run whose runtime cannot be created falls back whole.
 *    A run that only reshapes or does a little elementwise work stays on the reference
 *    kernels too: one runtime invocation costs more than the copy.
 *  - Threads. Runtimes use the session's pthreadpool; the last one of the graph is created
 *    with XNN_FLAG_YIELD_WORKERS, so the workers sleep when an inference ends instead of
 *    spinning on cores the other pipeline stages need, yet stay awake between the segments of
 *    one inference (a wake-up per segment costs a scheduler round trip on a loaded machine).
 *  - Profiling. With PA_DEBUG=nn:debug the time of every segment is accumulated and logged
 *    when the session is destroyed (the timing costs two clock reads per segment).
 */
#include <pthread.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "nn/backend.h"
#include "nn/backend_xnn_internal.h"

enum seg_kind { SEG_REF = 0, SEG_XNN, SEG_PADD };

/** Nodes [first, end) of the graph: one XNNPACK runtime, reference kernels, or a fused add. */
struct xnn_segment {
    int first, end;
    enum seg_kind kind;
    xnn_runtime_t rt;         ///< SEG_XNN
    struct pa__xnn_padd padd; ///< SEG_PADD
    uint64_t ns;              ///< accumulated run time (profiling only)
};

struct xnn_state {
    const struct pa_graph *g;
    float *const *ptr;
    struct pa_parallel *par;
    int n_segs;
    struct xnn_segment *segs;
    float *zeros; ///< shared zero bias
    int n_bufs;
    float **bufs; ///< repacked weights, alive as long as the runtimes
    int profile;
    int all_runs; ///< build every supported run, worth it or not (tests)
    uint64_t runs;
};

/* Bookkeeping used only while preparing. */
struct xnn_prep {
    const struct pa_graph *g;
    float *const *ptr;
    pthreadpool_t pool;
    uint8_t *supported; ///< per node
    uint8_t *padd_at;   ///< per node: a fused padded add starts here
    int *producer;      ///< per tensor: producing node, -1 for inputs and constants
    int *last_use;      ///< per tensor: last consuming node, n_nodes for graph outputs
    uint32_t *value_id; ///< per tensor, for the run being built
    int *ext;           ///< external tensors of the run being built
    const float *zeros;
    size_t n_zeros;
    struct xnn_state *state; ///< owner of buffers allocated while defining nodes
};

static pthread_once_t g_xnn_once = PTHREAD_ONCE_INIT;
static enum xnn_status g_xnn_init_status;

static void xnn_init_once(void)
{
    g_xnn_init_status = xnn_initialize(NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int is_value(const struct pa_graph *g, int id)
{
    return id >= 0 && id < g->n_tensors && g->tensors[id].kind != PA_TENSOR_CONST;
}

/* Is a run worth an XNNPACK runtime? Pure copies and tiny elementwise work are not. */
static int run_is_worth_it(const struct pa_graph *g, int first, int end)
{
    size_t elems = 0;
    for (int i = first; i < end; i++) {
        const struct pa_node *n = &g->nodes[i];
        switch (n->op) {
        case PA_OP_RESHAPE:
            break;
        case PA_OP_CONV_2D:
        case PA_OP_DEPTHWISE_CONV_2D:
        case PA_OP_FULLY_CONNECTED:
        case PA_OP_TRANSPOSE_CONV_BIAS:
        case PA_OP_MAX_POOL_2D:
        case PA_OP_AVERAGE_POOL_2D:
        case PA_OP_RESIZE_BILINEAR:
            return 1;
        default:
            elems += g->tensors[n->out[0]].count;
        }
    }
    return elems >= 16384;
}

static float *state_alloc(void *ctx, size_t count)
{
    struct xnn_state *s = ctx;
    float **bufs = pa_realloc_array(s->bufs, (size_t)s->n_bufs + 1, sizeof(*bufs));
    if (!bufs)
        return NULL;
    s->bufs = bufs;
    float *buf = pa_calloc(count ? count : 1, sizeof(float));
    if (buf)
        s->bufs[s->n_bufs++] = buf;
    return buf;
}

enum build_result { BUILD_OK = 0, BUILD_BAD_NODE = 1, BUILD_BAD_RUNTIME = 2 };

static void mark_value(struct xnn_prep *p, int id, int first, int end, int *n_ext)
{
    const struct pa_graph *g = p->g;
    if (!is_value(g, id) || p->value_id[id] != XNN_INVALID_VALUE_ID)
        return;
    int produced_here = p->producer[id] >= first && p->producer[id] < end;
    if (!produced_here || p->last_use[id] >= end) {
        p->ext[*n_ext] = id;
        p->value_id[id] = (uint32_t)(*n_ext)++;
    } else {
        p->value_id[id] = XNN_INVALID_VALUE_ID - 1; /* internal, id assigned at define */
    }
}

static int is_clamp(const struct pa_node *n)
{
    return n->op == PA_OP_RELU || n->op == PA_OP_RELU6;
}

static int is_external(const struct xnn_prep *p, int id)
{
    return is_value(p->g, id) && p->value_id[id] != XNN_INVALID_VALUE_ID &&
           p->value_id[id] != XNN_INVALID_VALUE_ID - 1;
}

static int buffers_overlap(const struct xnn_prep *p, int a, int b)
{
    const char *pa = (const char *)p->ptr[a], *pb = (const char *)p->ptr[b];
    size_t na = p->g->tensors[a].count * sizeof(float), nb = p->g->tensors[b].count * sizeof(float);
    return pa < pb + nb && pb < pa + na;
}

/* Does an external input of the run, still read at node `from` or later, share bytes with
 * external value `w`? */
static int input_overlaps(const struct xnn_prep *p, int first, int end, int from, int w)
{
    for (int i = first; i < end; i++) {
        const struct pa_node *n = &p->g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int x = n->in[k];
            if (is_external(p, x) && !(p->producer[x] >= first && p->producer[x] < end) &&
                p->last_use[x] >= from && buffers_overlap(p, x, w))
                return 1;
        }
    }
    return 0;
}

/* A spatial zero pad feeding only a convolution of the run: XNNPACK may fold it in. */
static int pad_may_fuse(const struct xnn_prep *p, const struct pa_node *n, int end)
{
    const struct pa_graph *g = p->g;
    if (n->op != PA_OP_PAD || !is_external(p, n->in[0]) || is_external(p, n->out[0]))
        return 0;
    int last = p->last_use[n->out[0]];
    if (last < 0 || last >= end)
        return 0;
    enum pa_op op = g->nodes[last].op;
    return op == PA_OP_CONV_2D || op == PA_OP_DEPTHWISE_CONV_2D;
}

/*
 * XNNPACK's subgraph optimizer fuses a Clamp into its producer (the clamp's output is then
 * written when the producer runs) and a spatial Constant Pad into the convolution after it
 * (the pad's input is then read when the convolution runs). The arena planner knows only the
 * node order, so it may give the clamp's output the bytes of an input that dies at the
 * producer, or give the pad's dying input to an output written before the convolution: with
 * the fusion, one buffer would be read and written by the same operator. We check the real
 * addresses and leave the clamp (or pad) to the reference kernels where that would happen.
 * @return the node to move out of the run, or -1.
 */
static int fusion_hazard(const struct xnn_prep *p, int first, int end)
{
    const struct pa_graph *g = p->g;
    for (int j = first; j < end; j++) {
        const struct pa_node *n = &g->nodes[j];
        if (is_clamp(n) && is_external(p, n->out[0])) {
            /* earliest node whose execution may write this clamp's output */
            int from = j, t = n->in[0];
            while (is_value(g, t) && !is_external(p, t) && p->producer[t] >= first &&
                   p->producer[t] < from) {
                from = p->producer[t];
                if (!is_clamp(&g->nodes[from]))
                    break;
                t = g->nodes[from].in[0];
            }
            if (from < j && input_overlaps(p, first, end, from, n->out[0]))
                return j;
        }
        if (pad_may_fuse(p, n, end)) {
            /* the pad's input may be read as late as the convolution runs */
            int x = n->in[0], until = p->last_use[n->out[0]];
            for (int i = j + 1; i <= until && i < end; i++)
                for (int k = 0; k < g->nodes[i].n_out; k++)
                    if (is_external(p, g->nodes[i].out[k]) &&
                        buffers_overlap(p, x, g->nodes[i].out[k]))
                        return j;
        }
    }
    return -1;
}

/* Define every non-constant value of the run: externals first (ids 0..n_ext-1), then the
 * internal ones in node order. */
static enum xnn_status define_values(struct xnn_prep *p, xnn_subgraph_t sg, int first, int end,
                                     int n_ext)
{
    const struct pa_graph *g = p->g;
    enum xnn_status st;
    size_t dims[PA_NN_MAX_DIMS];
    for (int e = 0; e < n_ext; e++) {
        const struct pa_tensor *t = &g->tensors[p->ext[e]];
        int produced_here = p->producer[p->ext[e]] >= first && p->producer[p->ext[e]] < end;
        for (int d = 0; d < t->ndim; d++)
            dims[d] = (size_t)t->dims[d];
        uint32_t id;
        st = xnn_define_tensor_value(
            sg, xnn_datatype_fp32, (size_t)t->ndim, dims, NULL, (uint32_t)e,
            produced_here ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : XNN_VALUE_FLAG_EXTERNAL_INPUT, &id);
        if (st != xnn_status_success)
            return st;
    }
    for (int i = first; i < end; i++) {
        const struct pa_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++) {
            int id = n->out[k];
            if (!is_value(g, id) || p->value_id[id] != XNN_INVALID_VALUE_ID - 1)
                continue;
            const struct pa_tensor *t = &g->tensors[id];
            for (int d = 0; d < t->ndim; d++)
                dims[d] = (size_t)t->dims[d];
            st = xnn_define_tensor_value(sg, xnn_datatype_fp32, (size_t)t->ndim, dims, NULL,
                                         XNN_INVALID_VALUE_ID, 0, &p->value_id[id]);
            if (st != xnn_status_success)
                return st;
        }
    }
    return xnn_status_success;
}

/**
 * Build the runtime for nodes [first, end), all supported.
 * @return BUILD_OK (*rt_out set), BUILD_BAD_NODE (*bad_node set), BUILD_BAD_RUNTIME, or a
 * negative pa_err for out of memory.
 */
static int build_run(struct xnn_prep *p, int first, int end, uint32_t flags, xnn_runtime_t *rt_out,
                     int *bad_node)
{
    const struct pa_graph *g = p->g;
    xnn_subgraph_t sg = NULL;
    xnn_runtime_t rt = NULL;
    struct xnn_external_value *ext_values = NULL;
    int n_ext = 0, ret = BUILD_BAD_RUNTIME;
    enum xnn_status st;

    *rt_out = NULL;
    for (int t = 0; t < g->n_tensors; t++)
        p->value_id[t] = XNN_INVALID_VALUE_ID;
    for (int i = first; i < end; i++) {
        const struct pa_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            mark_value(p, n->in[k], first, end, &n_ext);
        for (int k = 0; k < n->n_out; k++)
            mark_value(p, n->out[k], first, end, &n_ext);
    }
    if ((*bad_node = fusion_hazard(p, first, end)) >= 0) {
        pa_log_debug("nn",
                     "%s: node %d (%s) left to the reference kernels: an XNNPACK fusion "
                     "would overlap arena buffers",
                     g->name, *bad_node, pa_op_name(g->nodes[*bad_node].op));
        return BUILD_BAD_NODE;
    }
    if (xnn_create_subgraph((uint32_t)n_ext, 0, &sg) != xnn_status_success)
        goto fail;
    if (define_values(p, sg, first, end, n_ext) != xnn_status_success)
        goto fail;

    struct pa__xnn_build b = {sg, g, p->value_id, p->zeros, p->n_zeros, state_alloc, p->state};
    for (int i = first; i < end; i++) {
        st = pa__xnn_define_node(&b, &g->nodes[i]);
        if (st != xnn_status_success) {
            pa_log_debug("nn", "%s: XNNPACK refused node %d (%s), status %d", g->name, i,
                         pa_op_name(g->nodes[i].op), (int)st);
            *bad_node = i;
            ret = BUILD_BAD_NODE;
            goto fail;
        }
    }
    st = xnn_create_runtime_v2(sg, p->pool, flags, &rt);
    if (st != xnn_status_success) {
        pa_log_warn("nn",
                    "%s: XNNPACK runtime for nodes %d..%d failed (status %d), using "
                    "reference kernels there",
                    g->name, first, end - 1, (int)st);
        rt = NULL;
        goto fail;
    }
    ext_values = pa_calloc((size_t)(n_ext > 0 ? n_ext : 1), sizeof(*ext_values));
    if (!ext_values) {
        ret = PA_ENOMEM;
        goto fail;
    }
    for (int e = 0; e < n_ext; e++)
        ext_values[e] = (struct xnn_external_value){(uint32_t)e, p->ptr[p->ext[e]]};
    st = xnn_setup_runtime(rt, (size_t)n_ext, ext_values);
    if (st != xnn_status_success) {
        pa_log_warn("nn",
                    "%s: XNNPACK setup for nodes %d..%d failed (status %d), using "
                    "reference kernels there",
                    g->name, first, end - 1, (int)st);
        goto fail;
    }
    pa_free(ext_values);
    xnn_delete_subgraph(sg);
    *rt_out = rt;
    return BUILD_OK;

fail:
    pa_free(ext_values);
    if (rt)
        xnn_delete_runtime(rt);
    if (sg)
        xnn_delete_subgraph(sg);
    return ret;
}

static void add_ref_node(struct xnn_state *s, int i)
{
    struct xnn_segment *last = s->n_segs ? &s->segs[s->n_segs - 1] : NULL;
    if (last && last->kind == SEG_REF && last->end == i) {
        last->end = i + 1;
        return;
    }
    s->segs[s->n_segs++] = (struct xnn_segment){.first = i, .end = i + 1, .kind = SEG_REF};
}

/* Will nothing after `end` run in XNNPACK? (Later demotions can only make this more true.) */
static int is_last_run(const struct xnn_prep *p, int end)
{
    for (int i = end; i < p->g->n_nodes; i++)
        if (p->supported[i] || p->padd_at[i])
            return 0;
    return 1;
}

/* Cut the node list into segments, building runtimes, demoting nodes XNNPACK refuses. */
static int partition(struct xnn_state *s, struct xnn_prep *p)
{
    const struct pa_graph *g = s->g;
    int i = 0;
    while (i < g->n_nodes) {
        struct pa__xnn_padd f;
        if (p->padd_at[i] && pa__xnn_padd_match(g, p->ptr, i, &f)) {
            s->segs[s->n_segs++] =
                (struct xnn_segment){.first = i, .end = i + f.n_nodes, .kind = SEG_PADD, .padd = f};
            i += f.n_nodes;
            continue;
        }
        if (!p->supported[i]) {
            add_ref_node(s, i++);
            continue;
        }
        int end = i + 1;
        while (end < g->n_nodes && p->supported[end] && !p->padd_at[end])
            end++;
        if (!s->all_runs && !run_is_worth_it(g, i, end)) {
            while (i < end)
                add_ref_node(s, i++);
            continue;
        }
        xnn_runtime_t rt;
        int bad = -1;
        int r = build_run(p, i, end, is_last_run(p, end) ? XNN_FLAG_YIELD_WORKERS : 0, &rt, &bad);
        if (r < 0)
            return r;
        if (r == BUILD_BAD_NODE) {
            p->supported[bad] = 0; /* retry the shorter run(s) */
            continue;
        }
        if (r == BUILD_BAD_RUNTIME) {
            while (i < end)
                add_ref_node(s, i++);
            continue;
        }
        s->segs[s->n_segs++] =
            (struct xnn_segment){.first = i, .end = end, .kind = SEG_XNN, .rt = rt};
        i = end;
    }
    return 0;
}

static void log_partition(const struct xnn_state *s)
{
    if (!pa_log_enabled("nn", PA_LOG_DEBUG))
        return;
    int n_rt = 0;
    for (int k = 0; k < s->n_segs; k++)
        n_rt += s->segs[k].kind == SEG_XNN;
    pa_log_debug("nn",
                 "%s: XNNPACK: %d runtime(s) for %d of %d nodes, %d in fused padded adds, "
                 "%d segment(s)",
                 s->g->name, n_rt, pa__xnn_state_xnn_nodes(s), s->g->n_nodes,
                 pa__xnn_state_fused_nodes(s), s->n_segs);
    for (int k = 0; k < s->n_segs; k++) {
        const struct xnn_segment *seg = &s->segs[k];
        if (seg->kind == SEG_REF)
            for (int i = seg->first; i < seg->end; i++)
                pa_log_debug("nn", "%s:   node %d %s on reference kernel", s->g->name, i,
                             pa_op_name(s->g->nodes[i].op));
    }
}

static void prep_free(struct xnn_prep *p)
{
    pa_free(p->supported);
    pa_free(p->padd_at);
    pa_free(p->producer);
    pa_free(p->last_use);
    pa_free(p->value_id);
    pa_free(p->ext);
}

static int prep_init(struct xnn_prep *p, const struct pa_graph *g)
{
    size_t nt = (size_t)(g->n_tensors > 0 ? g->n_tensors : 1);
    size_t nn = (size_t)(g->n_nodes > 0 ? g->n_nodes : 1);
    p->supported = pa_calloc(nn, 1);
    p->padd_at = pa_calloc(nn, 1);
    p->producer = pa_calloc(nt, sizeof(int));
    p->last_use = pa_calloc(nt, sizeof(int));
    p->value_id = pa_calloc(nt, sizeof(uint32_t));
    p->ext = pa_calloc(nt, sizeof(int));
    if (!p->supported || !p->padd_at || !p->producer || !p->last_use || !p->value_id || !p->ext)
        return PA_ENOMEM;
    for (int t = 0; t < g->n_tensors; t++)
        p->producer[t] = p->last_use[t] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const struct pa_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && n->in[k] < g->n_tensors)
                p->last_use[n->in[k]] = i;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && n->out[k] < g->n_tensors)
                p->producer[n->out[k]] = i;
        p->supported[i] = (uint8_t)pa__xnn_node_supported(g, n);
        struct pa__xnn_padd f;
        p->padd_at[i] = (uint8_t)pa__xnn_padd_match(g, p->ptr, i, &f);
    }
    for (int k = 0; k < g->n_outputs; k++)
        p->last_use[g->outputs[k]] = g->n_nodes;
    return 0;
}

static void xnn_destroy(void *state)
{
    struct xnn_state *s = state;
    if (!s)
        return;
    if (s->profile && s->runs) {
        for (int k = 0; k < s->n_segs; k++) {
            const struct xnn_segment *seg = &s->segs[k];
            static const char *const kinds[] = {"ref", "xnnpack", "fused"};
            pa_log_debug("nn", "%s: segment %d nodes %d..%d (%s, first %s): %.3f ms/run",
                         s->g->name, k, seg->first, seg->end - 1, kinds[seg->kind],
                         pa_op_name(s->g->nodes[seg->first].op),
                         (double)seg->ns / 1e6 / (double)s->runs);
        }
    }
    for (int k = 0; k < s->n_segs; k++)
        if (s->segs[k].rt)
            xnn_delete_runtime(s->segs[k].rt);
    pa_free(s->segs);
    pa_free(s->zeros);
    for (int k = 0; k < s->n_bufs; k++)
        pa_free(s->bufs[k]);
    pa_free(s->bufs);
    pa_free(s);
}

int pa__xnn_prepare_ex(void **state_out, const struct pa_graph *g, float *const *ptr,
                       struct pa_parallel *par, int all_runs)
{
    struct xnn_prep p = {0};
    struct xnn_state *s = NULL;
    int ret;

    *state_out = NULL;
    pthread_once(&g_xnn_once, xnn_init_once);
    if (g_xnn_init_status != xnn_status_success) {
        pa_log_error("nn", "%s: xnn_initialize failed (status %d)", g->name,
                     (int)g_xnn_init_status);
        return PA_EEXTERNAL;
    }
    p.g = g;
    p.ptr = ptr;
    s = pa_calloc(1, sizeof(*s));
    if (!s || (ret = prep_init(&p, g)) < 0) {
        ret = PA_ENOMEM;
        goto fail;
    }
    s->g = g;
    s->ptr = ptr;
    s->par = par;
    s->profile = pa_log_enabled("nn", PA_LOG_DEBUG);
    s->all_runs = all_runs;
    s->segs = pa_calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof(*s->segs));
    for (int i = 0; i < g->n_nodes; i++)
        if (p.supported[i])
            p.n_zeros = PA_MAX(p.n_zeros, pa__xnn_zeros_needed(g, &g->nodes[i]));
    s->zeros = pa_calloc(p.n_zeros ? p.n_zeros : 1, sizeof(float));
    if (!s->segs || !s->zeros) {
        ret = PA_ENOMEM;
        goto fail;
    }
    p.pool = pa_parallel_pthreadpool(par);
    p.zeros = s->zeros;
    p.state = s;
    if ((ret = partition(s, &p)) < 0)
        goto fail;
    log_partition(s);
    prep_free(&p);
    *state_out = s;
    return 0;

fail:
    if (ret == PA_ENOMEM)
        pa_log_error("nn", "%s: out of memory preparing the XNNPACK backend", g->name);
    prep_free(&p);
    xnn_destroy(s);
    return ret;
}

static int xnn_prepare(void **state_out, const struct pa_graph *g, float *const *ptr,
                       struct pa_parallel *par)
{
    return pa__xnn_prepare_ex(state_out, g, ptr, par, 0);
}

static int count_nodes(const struct xnn_state *s, enum seg_kind kind)
{
    int count = 0;
    for (int k = 0; k < s->n_segs; k++)
        if (s->segs[k].kind == kind)
            count += s->segs[k].end - s->segs[k].first;
    return count;
}

int pa__xnn_state_xnn_nodes(const void *state)
{
    return count_nodes(state, SEG_XNN);
}

int pa__xnn_state_fused_nodes(const void *state)
{
    return count_nodes(state, SEG_PADD);
}

static int xnn_run(void *state)
{
    struct xnn_state *s = state;
    const struct pa_graph *g = s->g;
    for (int k = 0; k < s->n_segs; k++) {
        struct xnn_segment *seg = &s->segs[k];
        uint64_t t0 = s->profile ? now_ns() : 0;
        if (seg->kind == SEG_XNN) {
            enum xnn_status st = xnn_invoke_runtime(seg->rt);
            if (st != xnn_status_success) {
                pa_log_error("nn", "%s: xnn_invoke_runtime failed for nodes %d..%d (status %d)",
                             g->name, seg->first, seg->end - 1, (int)st);
                return PA_EEXTERNAL;
            }
        } else if (seg->kind == SEG_PADD) {
            pa__xnn_padd_run(&seg->padd, s->ptr, s->par);
        } else {
            for (int i = seg->first; i < seg->end; i++) {
                const struct pa_node *n = &g->nodes[i];
                pa_ref_kernel(n->op)(g, n, s->ptr, s->par);
            }
        }
        if (s->profile)
            seg->ns += now_ns() - t0;
    }
    s->runs++;
    return 0;
}

const struct pa_nn_backend_ops pa_nn_backend_xnn = {
    .name = "xnnpack",
    .prepare = xnn_prepare,
    .run = xnn_run,
    .destroy = xnn_destroy,
};

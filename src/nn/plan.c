/** @file
 * Arena planner: gives every non-constant tensor an offset in one session arena so that
 * tensors alive at the same time never share bytes.
 *
 * Algorithm digest ("greedy by size", TFLite's ArenaPlanner; Pisarchyk & Lee, "Efficient
 * Memory Management for Deep Neural Net Inference", 2020):
 *  1. Lifetime of tensor t = [first, last] in node indices: first = the node writing it,
 *     last = the last node reading it. Graph inputs live over the whole run [-1, n_nodes]
 *     (the caller fills them before a run and may run again on the same input), graph
 *     outputs until n_nodes (read after the run). A node's inputs and outputs therefore
 *     overlap in time at that node and never alias, so kernels may not work in place.
 *  2. Sizes: count * 4 bytes + PA_EXTRA_BYTES of slack, rounded up to PA_ALIGN.
 *  3. Tensors are placed largest first. For tensor t, look at the already placed tensors
 *     whose lifetimes overlap t's, sorted by offset; take the smallest gap between them that
 *     holds t (best fit), else the end of the last one. The arena is the highest end.
 * Cost O(n^2) for n tensors (about 1000 for the largest model): negligible at session setup.
 */
#include "nn/backend.h"

#include <limits.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

struct live {
    int id;          ///< graph tensor id
    int first, last; ///< lifetime in node indices (inclusive)
    size_t size;     ///< bytes reserved, PA_ALIGN multiple
    size_t off;      ///< assigned offset
};

static int cmp_size_desc(const void *pa, const void *pb)
{
    const struct live *a = pa, *b = pb;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->id - b->id;
}

static bool lifetimes_overlap(const struct live *a, const struct live *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* Best-fit offset for t among the placed tensors (sorted by offset). */
static size_t find_offset(const struct live *t, struct live *const *placed, int n_placed)
{
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, end = 0;
    for (int k = 0; k < n_placed; k++) {
        const struct live *p = placed[k];
        if (!lifetimes_overlap(t, p))
            continue;
        if (p->off >= end) {
            size_t gap = p->off - end;
            if (gap >= t->size && gap < best_gap) {
                best_gap = gap;
                best = end;
            }
        }
        end = PA_MAX(end, p->off + p->size);
    }
    return best != SIZE_MAX ? best : end;
}

/* Lifetimes and sizes of the non-constant tensors; returns how many there are. */
static int collect(const struct pa_graph *g, struct live *lv, int *index, int *n_out)
{
    int m = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        const struct pa_tensor *t = &g->tensors[i];
        index[i] = -1;
        if (t->kind == PA_TENSOR_CONST)
            continue;
        size_t bytes;
        if (pa_size_mul(t->count, sizeof(float), &bytes) < 0 ||
            pa_size_add(bytes, PA_EXTRA_BYTES + PA_ALIGN - 1, &bytes) < 0)
            return PA_EOVERFLOW;
        index[i] = m;
        lv[m++] =
            (struct live){.id = i, .first = INT_MAX, .last = -1, .size = bytes - bytes % PA_ALIGN};
    }
    for (int k = 0; k < g->n_nodes; k++) {
        const struct pa_node *n = &g->nodes[k];
        for (int i = 0; i < n->n_in; i++) {
            if (n->in[i] >= 0 && index[n->in[i]] >= 0)
                lv[index[n->in[i]]].last = PA_MAX(lv[index[n->in[i]]].last, k);
        }
        for (int i = 0; i < n->n_out; i++) {
            struct live *l = &lv[index[n->out[i]]];
            l->first = PA_MIN(l->first, k);
            l->last = PA_MAX(l->last, k); // an output nobody reads still needs its bytes
        }
    }
    for (int k = 0; k < g->n_inputs; k++) {
        lv[index[g->inputs[k]]].first = -1;
        lv[index[g->inputs[k]]].last = g->n_nodes;
    }
    for (int k = 0; k < g->n_outputs; k++)
        lv[index[g->outputs[k]]].last = g->n_nodes;
    for (int j = 0; j < m; j++) {
        if (lv[j].first == INT_MAX) // neither written nor an input: graph.c forbids this
            lv[j].first = lv[j].last = -1;
    }
    *n_out = m;
    return 0;
}

int pa_nn_plan(const struct pa_graph *g, size_t *offsets, size_t *arena_bytes)
{
    PA_ASSERT(g && offsets && arena_bytes);
    size_t n = (size_t)PA_MAX(g->n_tensors, 1);
    struct live *lv = pa_calloc(n, sizeof(*lv));
    struct live **placed = pa_calloc(n, sizeof(*placed));
    int *index = pa_calloc(n, sizeof(*index));
    int m = 0, ret = PA_ENOMEM;
    size_t total = 0, sum = 0;
    if (!lv || !placed || !index)
        goto done;
    if ((ret = collect(g, lv, index, &m)) < 0)
        goto done;
    qsort(lv, (size_t)m, sizeof(*lv), cmp_size_desc);
    for (int j = 0; j < m; j++) {
        struct live *t = &lv[j];
        t->off = find_offset(t, placed, j);
        // Insert into `placed`, kept sorted by offset.
        int k = j;
        while (k > 0 && placed[k - 1]->off > t->off) {
            placed[k] = placed[k - 1];
            k--;
        }
        placed[k] = t;
        total = PA_MAX(total, t->off + t->size);
        sum += t->size;
    }
    memset(offsets, 0, (size_t)g->n_tensors * sizeof(*offsets));
    for (int j = 0; j < m; j++)
        offsets[lv[j].id] = lv[j].off;
    *arena_bytes = total;
    pa_log_debug("nn", "%s: arena %zu bytes for %d tensors (%zu without reuse)", g->name, total, m,
                 sum);
    ret = 0;
done:
    pa_free(index);
    pa_free(placed);
    pa_free(lv);
    return ret;
}

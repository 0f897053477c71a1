/** @file
 * The one fusion the XNNPACK backend does itself: BlazeFace-style residual blocks that widen
 * the channels, PAD(x, channels C -> C') -> ADD(that, y) [-> RELU/RELU6], become a single
 * pass out = clamp(y + [x, 0]) between two XNNPACK runtimes.
 *
 * Why: this XNNPACK version has no strided or concatenating ops, so the channel pad is a full
 * copy of x into a wider buffer (about 10% of the face detector's time) before the add reads
 * it again. The fused pass reads x and y once and writes the result once; its arithmetic is
 * the reference's (y + x on the first C channels, y + 0 on the others, then the clamp), so it
 * is exact with respect to the reference kernels.
 *
 * Algorithm digest (safety against the arena planner's buffer sharing): the pass replaces the
 * adjacent nodes PAD (k), ADD (k+1) and maybe RELU (k+2). The planner saw x die at k and y at
 * k+1 and the output born at k+1 or k+2, so the output may share bytes with x or y (it often
 * takes x's slot). Pixel p reads x[p*C .. +C) and y[p*C' .. +C') and writes out[p*C' .. +C').
 *  - No overlap: any order; rows are split over the pool.
 *  - out starts at or after x and y (where it overlaps them): going through the pixels
 *    backwards, the write of pixel p ends above everything still to be read (x and y of the
 *    pixels below p start lower and have strides C <= C'), so only pixel p's own inputs can be
 *    hit: such a pixel is computed into a small buffer before it is stored.
 *  - out starts at or before y, and ends its last pixel's x-lag before x (out_base +
 *    pixels*(C'-C) <= x_base) where it overlaps x: the same forwards.
 *  - Otherwise the pattern is left to XNNPACK and the reference kernels.
 * y must be computed before k; the pad's output and the ADD's output (when the RELU is
 * absorbed) must have no other reader and not be graph outputs, since the pass never writes
 * them.
 */
#include <math.h>
#include <string.h>

#include "core/parallel.h"
#include "nn/backend_xnn_internal.h"

/** Pixels per job below which waking the pool costs more than the pass (~1 ns per value). */
#define PADD_MIN_PIXELS_PER_JOB 2048
/** Widest pixel for the in-order (overlapping) passes, which stage one pixel on the stack. */
#define PADD_MAX_STAGED 1024

struct padd_ctx {
    const struct pa__xnn_padd *f;
    const float *x, *y;
    float *out;
};

static int consumers(const struct pa_graph *g, int id)
{
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            count += g->nodes[i].in[k] == id;
    for (int k = 0; k < g->n_outputs; k++)
        count += g->outputs[k] == id;
    return count;
}

static int overlap(float *const *ptr, const struct pa_graph *g, int a, int b)
{
    uintptr_t pa = (uintptr_t)ptr[a], pb = (uintptr_t)ptr[b];
    return pa < pb + g->tensors[b].count * sizeof(float) &&
           pb < pa + g->tensors[a].count * sizeof(float);
}

/* Which pixel order keeps the pass correct with these buffers (see the digest), or -1. */
static int pick_order(const struct pa_graph *g, float *const *ptr, const struct pa__xnn_padd *f)
{
    int ox = overlap(ptr, g, f->out, f->x), oy = overlap(ptr, g, f->out, f->y);
    uintptr_t o = (uintptr_t)ptr[f->out], x = (uintptr_t)ptr[f->x], y = (uintptr_t)ptr[f->y];
    size_t lag = f->pixels * (size_t)(f->c_out - f->c_in) * sizeof(float);
    if (!ox && !oy)
        return PA__XNN_PADD_PARALLEL;
    if (f->c_out > PADD_MAX_STAGED)
        return -1;
    if ((!ox || o >= x) && (!oy || o >= y))
        return PA__XNN_PADD_BACKWARD;
    if ((!ox || o + lag <= x) && (!oy || o <= y))
        return PA__XNN_PADD_FORWARD;
    return -1;
}

/* PAD of the last dim only, after the data: x [..., C] -> [..., C'], the rest untouched. */
static int is_channel_pad(const struct pa_graph *g, const struct pa_node *n)
{
    if (n->op != PA_OP_PAD || n->n_out != 1 || n->in[0] < 0)
        return 0;
    const struct pa_tensor *x = &g->tensors[n->in[0]], *z = &g->tensors[n->out[0]];
    int last = x->ndim - 1;
    if (x->kind == PA_TENSOR_CONST || x->ndim < 1 || z->ndim != x->ndim)
        return 0;
    for (int k = 1; k < n->n_in; k++)
        if (n->in[k] >= 0 && g->tensors[n->in[k]].kind != PA_TENSOR_CONST)
            return 0;
    for (int d = 0; d < x->ndim; d++) {
        int after = d == last ? n->p.pad[d][1] : 0;
        if (n->p.pad[d][0] != 0 || n->p.pad[d][1] != after || z->dims[d] != x->dims[d] + after)
            return 0;
    }
    return n->p.pad[last][1] > 0;
}

int pa__xnn_padd_match(const struct pa_graph *g, float *const *ptr, int k, struct pa__xnn_padd *out)
{
    if (k + 1 >= g->n_nodes || !is_channel_pad(g, &g->nodes[k]))
        return 0;
    const struct pa_node *pad = &g->nodes[k], *add = &g->nodes[k + 1];
    int x = pad->in[0], z = pad->out[0];
    if (add->op != PA_OP_ADD || add->n_in != 2 || add->n_out != 1 || consumers(g, z) != 1)
        return 0;
    int y = add->in[0] == z ? add->in[1] : add->in[0];
    if ((add->in[0] != z && add->in[1] != z) || y < 0 || y == z)
        return 0;
    const struct pa_tensor *ty = &g->tensors[y], *tz = &g->tensors[z];
    if (ty->kind == PA_TENSOR_CONST || ty->ndim != tz->ndim || ty->count != tz->count)
        return 0;
    for (int d = 0; d < tz->ndim; d++)
        if (ty->dims[d] != tz->dims[d])
            return 0;
    /* y must be ready when the PAD runs */
    for (int i = k; i < g->n_nodes; i++)
        for (int o = 0; o < g->nodes[i].n_out; o++)
            if (g->nodes[i].out[o] == y)
                return 0;

    struct pa__xnn_padd f = {.first = k, .n_nodes = 2, .x = x, .y = y, .out = add->out[0]};
    f.act = add->p.activation;
    if (add->p.activation == PA_ACT_NONE && k + 2 < g->n_nodes && consumers(g, add->out[0]) == 1) {
        const struct pa_node *relu = &g->nodes[k + 2];
        if ((relu->op == PA_OP_RELU || relu->op == PA_OP_RELU6) && relu->n_in == 1 &&
            relu->in[0] == add->out[0] && relu->n_out == 1) {
            f.n_nodes = 3;
            f.out = relu->out[0];
            f.act = relu->op == PA_OP_RELU ? PA_ACT_RELU : PA_ACT_RELU6;
        }
    }
    const struct pa_tensor *tx = &g->tensors[x], *to = &g->tensors[f.out];
    if (to->count != tz->count)
        return 0;
    f.c_in = tx->dims[tx->ndim - 1];
    f.c_out = tz->dims[tz->ndim - 1];
    f.pixels = tx->count / (size_t)f.c_in;
    if ((f.order = pick_order(g, ptr, &f)) < 0)
        return 0;
    *out = f;
    return 1;
}

static void act_bounds(enum pa_activation act, float *lo, float *hi)
{
    *lo = act == PA_ACT_NONE ? -INFINITY : act == PA_ACT_RELU_N1_TO_1 ? -1.0f : 0.0f;
    *hi = act == PA_ACT_RELU6 ? 6.0f : act == PA_ACT_RELU_N1_TO_1 ? 1.0f : INFINITY;
}

/* One pixel: o = clamp(y + [x, 0]); o must not overlap x or y. */
static inline void padd_pixel(const float *restrict x, const float *restrict y, float *restrict o,
                              size_t ci, size_t co, float lo, float hi)
{
    for (size_t k = 0; k < ci; k++) {
        float v = y[k] + x[k];
        v = v < lo ? lo : v;
        o[k] = v > hi ? hi : v;
    }
    for (size_t k = ci; k < co; k++) {
        float v = y[k] + 0.0f; /* the reference adds the pad's zero */
        v = v < lo ? lo : v;
        o[k] = v > hi ? hi : v;
    }
}

static void padd_slice(void *arg, int job, int n_jobs)
{
    const struct padd_ctx *c = arg;
    const struct pa__xnn_padd *f = c->f;
    size_t p0 = f->pixels * (size_t)job / (size_t)n_jobs;
    size_t p1 = f->pixels * (size_t)(job + 1) / (size_t)n_jobs;
    const size_t ci = (size_t)f->c_in, co = (size_t)f->c_out;
    float lo, hi;
    act_bounds(f->act, &lo, &hi);
    for (size_t p = p0; p < p1; p++)
        padd_pixel(c->x + p * ci, c->y + p * co, c->out + p * co, ci, co, lo, hi);
}

static int ranges_meet(const float *a, size_t na, const float *b, size_t nb)
{
    return (uintptr_t)a < (uintptr_t)(b + nb) && (uintptr_t)b < (uintptr_t)(a + na);
}

/* Buffers overlap: one pixel at a time in the safe order, staged when the pixel's output
 * meets its own inputs. */
static void padd_ordered(const struct padd_ctx *c)
{
    const struct pa__xnn_padd *f = c->f;
    const size_t ci = (size_t)f->c_in, co = (size_t)f->c_out, n = f->pixels;
    float stage[PADD_MAX_STAGED];
    float lo, hi;
    act_bounds(f->act, &lo, &hi);
    for (size_t i = 0; i < n; i++) {
        size_t p = f->order == PA__XNN_PADD_BACKWARD ? n - 1 - i : i;
        const float *x = c->x + p * ci, *y = c->y + p * co;
        float *o = c->out + p * co;
        if (!ranges_meet(o, co, x, ci) && !ranges_meet(o, co, y, co)) {
            padd_pixel(x, y, o, ci, co, lo, hi);
            continue;
        }
        padd_pixel(x, y, stage, ci, co, lo, hi);
        memcpy(o, stage, co * sizeof(float));
    }
}

void pa__xnn_padd_run(const struct pa__xnn_padd *f, float *const *ptr, struct pa_parallel *par)
{
    struct padd_ctx c = {f, ptr[f->x], ptr[f->y], ptr[f->out]};
    if (f->order != PA__XNN_PADD_PARALLEL) {
        padd_ordered(&c);
        return;
    }
    size_t jobs = f->pixels / PADD_MIN_PIXELS_PER_JOB;
    int threads = pa_parallel_threads(par);
    if (jobs > (size_t)threads)
        jobs = (size_t)threads;
    pa_parallel_for(par, padd_slice, &c, jobs > 0 ? (int)jobs : 1);
}

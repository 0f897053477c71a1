/** @file
 * Broadcasting binary ops: ADD, MUL (with fused activation) and the PRELU core.
 *
 * Algorithm digest: both operand shapes are right-aligned to the output's 4 dims (missing
 * leading dims are 1, as in NumPy); an operand's stride is 0 along a dim where its size is 1,
 * so it repeats. Adjacent dims are then merged wherever both operands stay contiguous (or both
 * stay broadcast) across them, so the common cases become one long loop:
 *   same shape            -> 1 dim, both strides 1
 *   [1,H,W,C] op [C]      -> 2 dims (H*W, C): b's stride 0 on the outer, 1 on the inner
 *   scalar                -> 1 dim, b's stride 0
 * and the innermost merged dim always has stride 0 or 1 per operand, which the three
 * vectorizable inner loops below cover. Any operand may be the broadcast one. The second
 * case (PRELU's usual alpha [C]) gets its own path with the short row tiled on the stack.
 */
#include <string.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

struct bin_ctx {
    const float *a, *b;
    float *out;
    int dims[4];           ///< merged output dims, outermost first
    size_t sa[4], sb[4];   ///< element strides of a and b per merged dim (0 = repeat)
    size_t count;
    enum pa_ref_binop op;
    float lo, hi;
};

static inline float binop(enum pa_ref_binop op, float x, float y)
{
    switch (op) {
    case PA_REF_BIN_ADD:
        return x + y;
    case PA_REF_BIN_MUL:
        return x * y;
    case PA_REF_BIN_PRELU:
        break;
    }
    return x >= 0.0f ? x : x * y;
}

static inline float clampf(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* One contiguous run of the innermost dim. `op` is a constant after inlining into
 * segment(), so each loop below compiles to a plain vector loop. */
static inline void segment_op(enum pa_ref_binop op, const float *a, size_t sa, const float *b,
                              size_t sb, float *out, size_t len, float lo, float hi)
{
    if (sa && sb) {
        for (size_t i = 0; i < len; i++)
            out[i] = clampf(binop(op, a[i], b[i]), lo, hi);
    } else if (sa) {
        const float y = b[0];
        for (size_t i = 0; i < len; i++)
            out[i] = clampf(binop(op, a[i], y), lo, hi);
    } else if (sb) {
        const float x = a[0];
        for (size_t i = 0; i < len; i++)
            out[i] = clampf(binop(op, x, b[i]), lo, hi);
    } else {
        const float v = clampf(binop(op, a[0], b[0]), lo, hi);
        for (size_t i = 0; i < len; i++)
            out[i] = v;
    }
}

static void segment(enum pa_ref_binop op, const float *a, size_t sa, const float *b, size_t sb,
                    float *out, size_t len, float lo, float hi)
{
    switch (op) {
    case PA_REF_BIN_ADD:
        segment_op(PA_REF_BIN_ADD, a, sa, b, sb, out, len, lo, hi);
        return;
    case PA_REF_BIN_MUL:
        segment_op(PA_REF_BIN_MUL, a, sa, b, sb, out, len, lo, hi);
        return;
    case PA_REF_BIN_PRELU:
        segment_op(PA_REF_BIN_PRELU, a, sa, b, sb, out, len, lo, hi);
        return;
    }
}

/* A job covers a flat range of output elements, walked as runs of the innermost dim; the
 * 4-D index is decomposed once and then carried forward (a division per run would cost
 * more than the run itself when the inner dim is a few channels). */
static void bin_slice(void *arg, int job, int n_jobs)
{
    const struct bin_ctx *c = arg;
    size_t e = c->count * (size_t)job / (size_t)n_jobs;
    const size_t end = c->count * (size_t)(job + 1) / (size_t)n_jobs;
    size_t idx[4], rest = e, off_a = 0, off_b = 0;
    for (int d = 3; d >= 0; d--) {
        idx[d] = rest % (size_t)c->dims[d];
        rest /= (size_t)c->dims[d];
        off_a += idx[d] * c->sa[d];
        off_b += idx[d] * c->sb[d];
    }
    while (e < end) {
        const size_t len = PA_MIN((size_t)c->dims[3] - idx[3], end - e);
        segment(c->op, c->a + off_a, c->sa[3], c->b + off_b, c->sb[3], c->out + e, len, c->lo,
                c->hi);
        e += len;
        /* Advance to the start of the next run: innermost index back to 0, carry outward. */
        off_a -= idx[3] * c->sa[3];
        off_b -= idx[3] * c->sb[3];
        idx[3] = 0;
        for (int d = 2; d >= 0; d--) {
            off_a += c->sa[d];
            off_b += c->sb[d];
            if (++idx[d] < (size_t)c->dims[d])
                break;
            off_a -= idx[d] * c->sa[d];
            off_b -= idx[d] * c->sb[d];
            idx[d] = 0;
        }
    }
}

/* Floats of stack used to tile a short repeating operand (see rows_slice). */
#define TILE_FLOATS 1024

/* [R, C] op [C] (or [C] op [R, C]) with a short C: the repeating row is copied m times into
 * a stack tile, so each call of segment() covers m rows in one long vector loop instead of
 * paying a loop's setup for every few channels. Jobs split the R rows. */
static void rows_slice(void *arg, int job, int n_jobs)
{
    const struct bin_ctx *c = arg;
    const size_t C = (size_t)c->dims[3], R = (size_t)c->dims[2];
    const size_t r0 = R * (size_t)job / (size_t)n_jobs;
    const size_t r1 = R * (size_t)(job + 1) / (size_t)n_jobs;
    const bool a_repeats = c->sa[2] == 0;
    const float *row = a_repeats ? c->a : c->b;
    float tile[TILE_FLOATS];
    const size_t m = TILE_FLOATS / C;
    for (size_t i = 0; i < m; i++)
        memcpy(tile + i * C, row, C * sizeof(*tile));
    for (size_t r = r0; r < r1; r += m) {
        const size_t len = PA_MIN(m, r1 - r) * C;
        if (a_repeats)
            segment(c->op, tile, 1, c->b + r * C, 1, c->out + r * C, len, c->lo, c->hi);
        else
            segment(c->op, c->a + r * C, 1, tile, 1, c->out + r * C, len, c->lo, c->hi);
    }
}

/* Right-align `t`'s dims to 4 and compute per-dim strides, 0 where the dim is 1. */
static void broadcast_strides(const struct pa_tensor *t, size_t strides[4])
{
    int dims[4] = {1, 1, 1, 1};
    for (int d = 0; d < t->ndim; d++)
        dims[4 - t->ndim + d] = t->dims[d];
    size_t s = 1;
    for (int d = 3; d >= 0; d--) {
        strides[d] = dims[d] == 1 ? 0 : s;
        s *= (size_t)dims[d];
    }
}

void pa_ref_binary(const struct pa_tensor *ta, const float *a, const struct pa_tensor *tb,
                   const float *b, const struct pa_tensor *tout, float *out,
                   enum pa_ref_binop op, enum pa_activation act, struct pa_parallel *par)
{
    struct bin_ctx c = {.a = a, .b = b, .out = out, .count = tout->count, .op = op};
    pa_ref_act_bounds(act, &c.lo, &c.hi);
    int od[4] = {1, 1, 1, 1};
    for (int d = 0; d < tout->ndim; d++)
        od[4 - tout->ndim + d] = tout->dims[d];
    size_t sa[4], sb[4];
    broadcast_strides(ta, sa);
    broadcast_strides(tb, sb);

    /* Merge dims from the innermost out; m[0] is the innermost merged dim. */
    int md[4] = {1, 1, 1, 1}, k = 0;
    size_t ma[4] = {0}, mb[4] = {0};
    for (int d = 3; d >= 0; d--) {
        if (od[d] == 1)
            continue;
        if (k > 0 && sa[d] == ma[k - 1] * (size_t)md[k - 1] &&
            sb[d] == mb[k - 1] * (size_t)md[k - 1]) {
            md[k - 1] *= od[d];
            continue;
        }
        md[k] = od[d];
        ma[k] = sa[d];
        mb[k] = sb[d];
        k++;
    }
    if (k == 0) { // every dim is 1: a single element
        ma[0] = mb[0] = 1;
        k = 1;
    }
    for (int i = 0; i < 4; i++) {
        c.dims[3 - i] = md[i];
        c.sa[3 - i] = i < k ? ma[i] : 0;
        c.sb[3 - i] = i < k ? mb[i] : 0;
    }
    /* Two merged dims, both contiguous inside a row and one operand repeating per row. */
    const bool rows_case = k == 2 && ma[0] == 1 && mb[0] == 1 && md[0] <= TILE_FLOATS / 4 &&
                           ((ma[1] == 0 && mb[1] == (size_t)md[0]) ||
                            (mb[1] == 0 && ma[1] == (size_t)md[0]));
    if (rows_case) {
        pa_parallel_for(par, rows_slice, &c, pa_ref_jobs(par, md[1], c.count));
        return;
    }
    int rows = (int)PA_MIN(c.count, (size_t)1 << 20);
    pa_parallel_for(par, bin_slice, &c, pa_ref_jobs(par, rows, c.count));
}

void pa_ref_add(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                struct pa_parallel *par)
{
    pa_ref_binary(&g->tensors[n->in[0]], ptr[n->in[0]], &g->tensors[n->in[1]], ptr[n->in[1]],
                  &g->tensors[n->out[0]], ptr[n->out[0]], PA_REF_BIN_ADD, n->p.activation, par);
}

void pa_ref_mul(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                struct pa_parallel *par)
{
    pa_ref_binary(&g->tensors[n->in[0]], ptr[n->in[0]], &g->tensors[n->in[1]], ptr[n->in[1]],
                  &g->tensors[n->out[0]], ptr[n->out[0]], PA_REF_BIN_MUL, n->p.activation, par);
}

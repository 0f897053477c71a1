/** @file
 * Activations (RELU, RELU6, PRELU, LOGISTIC, HARD_SWISH) and the fused-activation clamp used
 * by conv, depthwise conv, fully connected, add, mul, pools and concatenation.
 *
 * Algorithm digest (TFLite builtin semantics):
 *   RELU       y = max(x, 0)            RELU6  y = min(max(x, 0), 6)
 *   PRELU      y = x >= 0 ? x : alpha * x, alpha broadcast like a binary op's second
 *              operand (usually [C] or [1,1,C] over the channels)
 *   LOGISTIC   y = 1 / (1 + exp(-x))
 *   HARD_SWISH y = x * relu6(x + 3) / 6
 *   fused      NONE, RELU [0,inf), RELU_N1_TO_1 [-1,1], RELU6 [0,6] as a clamp of the output.
 */
#include <math.h>

#include "core/parallel.h"
#include "nn/ref/ref.h"

void pa_ref_act_bounds(enum pa_activation act, float *lo, float *hi)
{
    switch (act) {
    case PA_ACT_RELU:
        *lo = 0.0f;
        *hi = INFINITY;
        return;
    case PA_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        return;
    case PA_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        return;
    case PA_ACT_NONE:
        break;
    }
    *lo = -INFINITY;
    *hi = INFINITY;
}

static void clamp(float *restrict x, size_t count, float lo, float hi)
{
    for (size_t i = 0; i < count; i++) {
        float v = x[i];
        v = v < lo ? lo : v;
        x[i] = v > hi ? hi : v;
    }
}

void pa_ref_act_apply(enum pa_activation act, float *x, size_t count)
{
    if (act == PA_ACT_NONE)
        return;
    float lo, hi;
    pa_ref_act_bounds(act, &lo, &hi);
    clamp(x, count, lo, hi);
}

/* Unary element-wise ops: each job takes a contiguous slice of the flat tensor. */
enum unary_op { UN_RELU, UN_RELU6, UN_LOGISTIC, UN_HARD_SWISH };

struct unary_ctx {
    const float *in;
    float *out;
    size_t count;
    enum unary_op op;
};

/* Element-wise functions take no `restrict`: the memory plan may run them in place. */
static void relu(const float *x, float *y, size_t count, float hi)
{
    for (size_t i = 0; i < count; i++) {
        float v = x[i] < 0.0f ? 0.0f : x[i];
        y[i] = v > hi ? hi : v;
    }
}

static void logistic(const float *x, float *y, size_t count)
{
    for (size_t i = 0; i < count; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void hard_swish(const float *x, float *y, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        float r = x[i] + 3.0f;
        r = r < 0.0f ? 0.0f : r;
        r = r > 6.0f ? 6.0f : r;
        y[i] = x[i] * r * (1.0f / 6.0f);
    }
}

static void unary_slice(void *arg, int job, int n_jobs)
{
    const struct unary_ctx *c = arg;
    size_t i0 = c->count * (size_t)job / (size_t)n_jobs;
    size_t i1 = c->count * (size_t)(job + 1) / (size_t)n_jobs;
    const float *x = c->in + i0;
    float *y = c->out + i0;
    size_t len = i1 - i0;
    switch (c->op) {
    case UN_RELU:
        relu(x, y, len, INFINITY);
        break;
    case UN_RELU6:
        relu(x, y, len, 6.0f);
        break;
    case UN_LOGISTIC:
        logistic(x, y, len);
        break;
    case UN_HARD_SWISH:
        hard_swish(x, y, len);
        break;
    }
}

static void unary(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                  struct pa_parallel *par, enum unary_op op)
{
    struct unary_ctx c = {
        .in = ptr[n->in[0]],
        .out = ptr[n->out[0]],
        .count = g->tensors[n->out[0]].count,
        .op = op,
    };
    size_t cost = op == UN_LOGISTIC ? 16 * c.count : c.count;
    int rows = (int)PA_MIN(c.count, (size_t)1 << 20);
    pa_parallel_for(par, unary_slice, &c, pa_ref_jobs(par, rows, cost));
}

void pa_ref_relu(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                 struct pa_parallel *par)
{
    unary(g, n, ptr, par, UN_RELU);
}

void pa_ref_relu6(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                  struct pa_parallel *par)
{
    unary(g, n, ptr, par, UN_RELU6);
}

void pa_ref_logistic(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                     struct pa_parallel *par)
{
    unary(g, n, ptr, par, UN_LOGISTIC);
}

void pa_ref_hard_swish(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                       struct pa_parallel *par)
{
    unary(g, n, ptr, par, UN_HARD_SWISH);
}

void pa_ref_prelu(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                  struct pa_parallel *par)
{
    pa_ref_binary(&g->tensors[n->in[0]], ptr[n->in[0]], &g->tensors[n->in[1]], ptr[n->in[1]],
                  &g->tensors[n->out[0]], ptr[n->out[0]], PA_REF_BIN_PRELU, PA_ACT_NONE, par);
}

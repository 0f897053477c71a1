/** @file
 * Shared helpers of the reference-kernel tests (test_ref_ops*.c): a one-node pa_graph built by
 * hand with random tensor contents, a deterministic RNG, the run-at-1-and-2-threads driver
 * and the tolerance check (1e-5 relative to the magnitude of the summed terms).
 */
#ifndef PA_TEST_REF_UTIL_H
#define PA_TEST_REF_UTIL_H

#include "pa_test.h"

#include "core/parallel.h"
#include "nn/ref/ref.h"

#define MAX_T 8

struct tcase {
    struct pa_graph g;
    struct pa_tensor t[MAX_T];
    struct pa_node n;
    float *ptr[MAX_T];
};

static uint32_t rng = 0x1234567u;

static inline uint32_t next_u32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Uniform integer in [lo, hi]. */
static inline int irand(int lo, int hi)
{
    return lo + (int)(next_u32() % (uint32_t)(hi - lo + 1));
}

static inline float frand(void)
{
    return (float)(next_u32() >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

static inline void tc_init(struct tcase *c, enum pa_op op)
{
    memset(c, 0, sizeof(*c));
    c->g.name = "test";
    c->g.tensors = c->t;
    c->n.op = op;
    c->n.p.stride_w = c->n.p.stride_h = 1;
    c->n.p.dilation_w = c->n.p.dilation_h = 1;
    c->n.p.depth_multiplier = 1;
}

/* Add a tensor of `ndim` dims (the first ndim of d) filled with random values. */
static inline int tensor(struct tcase *c, int ndim, const int *d)
{
    int id = c->g.n_tensors++;
    ASSERT_TRUE(id < MAX_T);
    struct pa_tensor *t = &c->t[id];
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = d[i];
        t->count *= (size_t)d[i];
    }
    c->ptr[id] = malloc(t->count * sizeof(float)); // exact size: ASan catches over-reads
    ASSERT_TRUE(c->ptr[id] != NULL);
    for (size_t i = 0; i < t->count; i++)
        c->ptr[id][i] = frand();
    return id;
}

static inline int tensor4(struct tcase *c, int d0, int d1, int d2, int d3)
{
    const int d[4] = {d0, d1, d2, d3};
    return tensor(c, 4, d);
}

static inline void add_in(struct tcase *c, int id)
{
    c->n.in[c->n.n_in++] = id;
}

static inline void add_out(struct tcase *c, int id)
{
    c->n.out[c->n.n_out++] = id;
}

static inline void tc_free(struct tcase *c)
{
    for (int i = 0; i < c->g.n_tensors; i++)
        free(c->ptr[i]);
}

/* Run the node's kernel (through the dispatch table) with outputs poisoned first. */
static inline void run(struct tcase *c, struct pa_parallel *par)
{
    for (int k = 0; k < c->n.n_out; k++)
        for (size_t i = 0; i < c->t[c->n.out[k]].count; i++)
            c->ptr[c->n.out[k]][i] = NAN;
    pa_ref_kernel(c->n.op)(&c->g, &c->n, c->ptr, par);
}

/* |got - want| <= 1e-5 * max(1, mag) where mag is the sum of |terms| (or |want|). */
static inline void check(const struct tcase *c, const double *want, const double *mag,
                         int threads)
{
    const struct pa_tensor *t = &c->t[c->n.out[0]];
    const float *got = c->ptr[c->n.out[0]];
    for (size_t i = 0; i < t->count; i++) {
        double m = mag ? mag[i] : fabs(want[i]);
        double tol = 1e-5 * (m > 1.0 ? m : 1.0);
        if (!(fabs((double)got[i] - want[i]) <= tol))
            PA__FAIL("%s (%d threads) out[%zu]: got %.9g want %.9g (tol %g), dims %dx%dx%dx%d",
                     pa_op_name(c->n.op), threads, i, (double)got[i], want[i], tol, t->dims[0],
                     t->dims[1], t->dims[2], t->dims[3]);
    }
}

/* Run at 1 and 2 threads and compare both runs with `want`. */
static inline void run_check(struct tcase *c, struct pa_parallel *par2, const double *want,
                      const double *mag)
{
    run(c, NULL);
    check(c, want, mag, 1);
    run(c, par2);
    check(c, want, mag, 2);
}

static inline double act(double v, enum pa_activation a)
{
    switch (a) {
    case PA_ACT_RELU:
        return v < 0 ? 0 : v;
    case PA_ACT_RELU_N1_TO_1:
        return v < -1 ? -1 : v > 1 ? 1 : v;
    case PA_ACT_RELU6:
        return v < 0 ? 0 : v > 6 ? 6 : v;
    case PA_ACT_NONE:
        break;
    }
    return v;
}

static inline enum pa_activation rand_act(void)
{
    return (enum pa_activation)irand(0, 3);
}

/* TFLite's output size and leading pad for one spatial axis. */
static inline int out_size(int in, int k, int s, int d, enum pa_padding pad)
{
    int eff = (k - 1) * d + 1;
    return pad == PA_PAD_SAME ? (in + s - 1) / s : (in - eff) / s + 1;
}

static inline int pad_before(int in, int out, int k, int s, int d, enum pa_padding pad)
{
    int total = (out - 1) * s + (k - 1) * d + 1 - in;
    return pad == PA_PAD_SAME && total > 0 ? total / 2 : 0;
}

static inline double *dalloc(size_t n)
{
    double *p = calloc(n, sizeof(double));
    ASSERT_TRUE(p != NULL);
    return p;
}

static inline struct pa_parallel *make_pool(void)
{
    struct pa_parallel *par;
    ASSERT_OK(pa_parallel_create(&par, 2));
    return par;
}

#endif /* PA_TEST_REF_UTIL_H */

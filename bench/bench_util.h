/** @file
 * Helpers shared by the bench_* programs (each is its own executable, so these are static
 * inline): a monotonic clock, a double comparator for qsort, strict integer parsing.
 */
#ifndef PA_BENCH_UTIL_H
#define PA_BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "core/mem.h"

/** Monotonic wall clock in milliseconds. */
static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/** qsort comparator for doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/** Parse a whole decimal integer in [lo, hi]. @return 0, or -1. */
static inline int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/**
 * Time fn(ctx): one warm-up call (its failure is returned), then at least 5 calls and until
 * budget_ms has passed (at most max). t gets the sorted times in ms; *allocs the mean
 * number of allocations per call. @return the number of timed calls, or -1.
 */
static inline int bench_sample(int (*fn)(void *), void *ctx, double budget_ms, double *t,
                               int max, double *allocs)
{
    if (fn(ctx) < 0)
        return -1;
    uint64_t a0 = pa_mem_alloc_count();
    double start = now_ms();
    int n = 0;
    while (n < max && (n < 5 || now_ms() - start < budget_ms)) {
        double t0 = now_ms();
        fn(ctx);
        t[n++] = now_ms() - t0;
    }
    *allocs = (double)(pa_mem_alloc_count() - a0) / n;
    qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
    return n;
}

#endif /* PA_BENCH_UTIL_H */

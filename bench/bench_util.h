/** @file
 * Helpers shared by the bench_* programs (each is its own executable, so these are static
 * inline): a monotonic clock, a double comparator for qsort, strict integer parsing.
 */
#ifndef PA_BENCH_UTIL_H
#define PA_BENCH_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <time.h>

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

#endif /* PA_BENCH_UTIL_H */

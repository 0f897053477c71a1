/** @file
 * Small always-available helpers: assertions, min/max, array size, attributes.
 * Every internal .c file may include this; it depends on libc only.
 */
#ifndef PA_CORE_COMMON_H
#define PA_CORE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/** pi as a double (M_PI is not part of strict C11). */
#define PA_PI 3.14159265358979323846

#define PA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PA_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PA_MAX(a, b) ((a) > (b) ? (a) : (b))
#define PA_CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))

#if defined(__GNUC__)
#define PA_LIKELY(x) __builtin_expect(!!(x), 1)
#define PA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PA_NORETURN __attribute__((noreturn))
#define PA_UNUSED __attribute__((unused))
#else
#define PA_LIKELY(x) (x)
#define PA_UNLIKELY(x) (x)
#define PA_PRINTF(fmt, args)
#define PA_NORETURN
#define PA_UNUSED
#endif

PA_NORETURN void pa__assert_fail(const char *file, int line, const char *expr);

/** Always-on contract check (ggml's GGML_ASSERT): for programmer errors, never for input. */
#define PA_ASSERT(x)                                                                              \
    do {                                                                                          \
        if (PA_UNLIKELY(!(x)))                                                                    \
            pa__assert_fail(__FILE__, __LINE__, #x);                                              \
    } while (0)

#define PA_UNREACHABLE() pa__assert_fail(__FILE__, __LINE__, "unreachable")

#endif /* PA_CORE_COMMON_H */

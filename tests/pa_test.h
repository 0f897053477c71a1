/** @file
 * Header-only test runner in the spirit of libuv's task.h.
 *
 *   #include "pa_test.h"
 *   PA_TEST(image_alloc) { ASSERT_OK(pa_image_alloc(&img, 4, 4, PA_PIX_RGB24)); ... }
 *   PA_TEST_MAIN()
 *
 * Tests self-register (a constructor per test). `test_x` runs every case and prints the
 * closing line "N passed, N failed, N skipped"; `test_x NAME` runs one case (CMake registers
 * each PA_TEST with ctest this way, found by a regex over the source, so every case gets its
 * own process and timeout). A failed assertion prints both values and ends the case.
 *
 * Data: pa_test_shared(path) resolves under PA_SHARED_DIR (../shared), pa_test_model(name)
 * under PA_MODELS_DIR (models/), pa_test_tmp(name) under a per-process temporary directory.
 */
#ifndef PA_TEST_H
#define PA_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "panim.h"

typedef void (*pa_test_fn)(void);

struct pa_test_case {
    const char *name;
    pa_test_fn fn;
};

#define PA_TEST_MAX 512
static struct pa_test_case pa__tests[PA_TEST_MAX];
static int pa__n_tests;
static jmp_buf pa__jmp;
static int pa__skipped;

static inline void pa__register(const char *name, pa_test_fn fn)
{
    if (pa__n_tests < PA_TEST_MAX)
        pa__tests[pa__n_tests++] = (struct pa_test_case){name, fn};
}

#define PA_TEST(name)                                                                             \
    static void pa_test_##name(void);                                                             \
    __attribute__((constructor)) static void pa__reg_##name(void)                                 \
    {                                                                                             \
        pa__register(#name, pa_test_##name);                                                      \
    }                                                                                             \
    static void pa_test_##name(void)

#define PA__FAIL(...)                                                                             \
    do {                                                                                          \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                           \
        fprintf(stderr, __VA_ARGS__);                                                             \
        fputc('\n', stderr);                                                                      \
        longjmp(pa__jmp, 1);                                                                      \
    } while (0)

#define PA_SKIP(why)                                                                              \
    do {                                                                                          \
        fprintf(stderr, "skipped: %s\n", why);                                                    \
        pa__skipped = 1;                                                                          \
        longjmp(pa__jmp, 2);                                                                      \
    } while (0)

#define ASSERT_TRUE(x)                                                                            \
    do {                                                                                          \
        if (!(x))                                                                                 \
            PA__FAIL("assertion failed: %s", #x);                                                 \
    } while (0)

#define ASSERT_EQ(a, b)                                                                           \
    do {                                                                                          \
        long long pa__a = (long long)(a), pa__b = (long long)(b);                                 \
        if (pa__a != pa__b)                                                                       \
            PA__FAIL("%s == %s failed: %lld != %lld", #a, #b, pa__a, pa__b);                      \
    } while (0)

#define ASSERT_NE(a, b)                                                                           \
    do {                                                                                          \
        long long pa__a = (long long)(a), pa__b = (long long)(b);                                 \
        if (pa__a == pa__b)                                                                       \
            PA__FAIL("%s != %s failed: both %lld", #a, #b, pa__a);                                \
    } while (0)

#define ASSERT_LT(a, b)                                                                           \
    do {                                                                                          \
        double pa__a = (double)(a), pa__b = (double)(b);                                          \
        if (!(pa__a < pa__b))                                                                     \
            PA__FAIL("%s < %s failed: %g >= %g", #a, #b, pa__a, pa__b);                           \
    } while (0)

#define ASSERT_GT(a, b) ASSERT_LT(b, a)

#define ASSERT_OK(expr)                                                                           \
    do {                                                                                          \
        int pa__r = (expr);                                                                       \
        if (pa__r < 0)                                                                            \
            PA__FAIL("%s failed: %d (%s)", #expr, pa__r, pa_strerror(pa__r));                     \
    } while (0)

#define ASSERT_ERR(expr, code)                                                                    \
    do {                                                                                          \
        int pa__r = (expr);                                                                       \
        if (pa__r != (code))                                                                      \
            PA__FAIL("%s returned %d (%s), expected %s", #expr, pa__r, pa_strerror(pa__r), #code); \
    } while (0)

#define ASSERT_NEAR(a, b, eps)                                                                    \
    do {                                                                                          \
        double pa__a = (double)(a), pa__b = (double)(b);                                          \
        if (!(fabs(pa__a - pa__b) <= (eps)))                                                      \
            PA__FAIL("|%s - %s| <= %g failed: %.9g vs %.9g", #a, #b, (double)(eps), pa__a,        \
                     pa__b);                                                                      \
    } while (0)

#define ASSERT_ARRAY_NEAR(a, b, n, eps)                                                           \
    do {                                                                                          \
        for (size_t pa__i = 0; pa__i < (size_t)(n); pa__i++) {                                    \
            double pa__x = (double)(a)[pa__i], pa__y = (double)(b)[pa__i];                        \
            if (!(fabs(pa__x - pa__y) <= (eps)))                                                  \
                PA__FAIL("%s[%zu] vs %s[%zu]: %.9g vs %.9g (eps %g)", #a, pa__i, #b, pa__i,       \
                         pa__x, pa__y, (double)(eps));                                            \
        }                                                                                         \
    } while (0)

static char pa__path_buf[8][4096];
static int pa__path_i;

static inline const char *pa__join(const char *env, const char *def, const char *rel)
{
    const char *base = getenv(env);
    char *out = pa__path_buf[pa__path_i++ & 7];
    snprintf(out, 4096, "%s/%s", base && *base ? base : def, rel);
    return out;
}

/** Path under ../shared (PA_SHARED_DIR), e.g. "testdata/source/astronaut.png". */
static inline const char *pa_test_shared(const char *rel)
{
    return pa__join("PA_SHARED_DIR", "../shared", rel);
}

/** Path of an installed model file (PA_MODELS_DIR), e.g. "face_landmark.tflite". */
static inline const char *pa_test_model(const char *name)
{
    return pa__join("PA_MODELS_DIR", "models", name);
}

/** Path in a per-process scratch directory (created on first use). */
static inline const char *pa_test_tmp(const char *name)
{
    static char dir[256];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/pa_test_%d", t && *t ? t : "/tmp", (int)getpid());
        mkdir(dir, 0700);
    }
    char *out = pa__path_buf[pa__path_i++ & 7];
    snprintf(out, 4096, "%s/%s", dir, name);
    return out;
}

static inline int pa__run_case(const struct pa_test_case *t)
{
    pa__skipped = 0;
    int r = setjmp(pa__jmp);
    if (r == 0) {
        t->fn();
        return 0;
    }
    return r;
}

static inline int pa_test_main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0, found = 0;
    for (int i = 0; i < pa__n_tests; i++) {
        const struct pa_test_case *t = &pa__tests[i];
        if (argc > 1 && strcmp(argv[1], t->name) != 0)
            continue;
        found++;
        int r = pa__run_case(t);
        if (r == 0) {
            passed++;
            printf("ok %s\n", t->name);
        } else if (r == 2) {
            skipped++;
            printf("skip %s\n", t->name);
        } else {
            failed++;
            printf("FAIL %s\n", t->name);
        }
        fflush(stdout);
    }
    if (argc > 1 && !found) {
        fprintf(stderr, "no test named '%s'\n", argv[1]);
        return 2;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (failed)
        return 1;
    /* 77: ctest's SKIP_RETURN_CODE, so a skipped single case shows as skipped, not passed. */
    return (argc > 1 && skipped) ? 77 : 0;
}

#define PA_TEST_MAIN()                                                                            \
    int main(int argc, char **argv)                                                               \
    {                                                                                             \
        return pa_test_main(argc, argv);                                                          \
    }

#endif /* PA_TEST_H */

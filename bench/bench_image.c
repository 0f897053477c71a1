/** @file
 * Image hot paths: decoding each shared photo, resizing (1280x720 -> 640x360 and the
 * 3511x3511 portrait -> 512x512), and the tracker's per-frame 192x192 face-crop warp out
 * of a 1280x720 frame (u8 and f32 network input). For each case: one warm-up call, then
 * calls until the time budget is spent (at least 5); prints median and p95 ms per call,
 * calls per second, and pa_malloc calls per call.
 *
 * Usage: bench_image [shared_dir [seconds_per_case]]; shared_dir defaults to $PA_SHARED_DIR,
 * then ../shared and ../../shared (run from the build folder).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/image.h"
#include "core/mem.h"
#include "panim.h"

#include "bench_util.h"

#define MAX_RUNS 20000

typedef int (*bench_fn)(void *ctx);

static double g_budget_ms = 1000;

static int run_case(const char *name, bench_fn fn, void *ctx)
{
    static double t[MAX_RUNS];
    double allocs;
    int n = bench_sample(fn, ctx, g_budget_ms, t, MAX_RUNS, &allocs);
    if (n < 0) {
        fprintf(stderr, "%s: failed\n", name);
        return -1;
    }
    double med = t[n / 2], p95 = t[(int)ceil(0.95 * n) - 1];
    printf("%-34s %6d runs  median %9.3f ms  p95 %9.3f ms  %9.1f calls/s  %4.1f allocs/call\n",
           name, n, med, p95, 1e3 / med, allocs);
    return 0;
}

struct decode_ctx {
    uint8_t *bytes;
    size_t size;
};

static int do_decode(void *p)
{
    struct decode_ctx *c = p;
    struct pa_image img;
    int r = pa_image_decode(&img, c->bytes, c->size, "bench");
    pa_image_free(&img);
    return r;
}

struct resize_ctx {
    const struct pa_image *src;
    struct pa_image *dst;
};

static int do_resize(void *p)
{
    struct resize_ctx *c = p;
    return pa_image_resize(c->src, c->dst);
}

struct warp_ctx {
    const struct pa_image *src;
    struct pa_image *dst;
    float *f;
    float m[6];
};

static int do_warp_u8(void *p)
{
    struct warp_ctx *c = p;
    return pa_image_warp_affine(c->src, c->dst, c->m, NULL);
}

static int do_warp_f32(void *p)
{
    struct warp_ctx *c = p;
    return pa_image_warp_affine_f32(c->src, c->f, 192, 192, c->m, 1.0f / 127.5f, -1.0f);
}

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static const char *find_shared(int argc, char **argv)
{
    static const char *const guesses[] = {"../shared", "../../shared"};
    if (argc > 1)
        return argv[1];
    const char *env = getenv("PA_SHARED_DIR");
    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++)
        if (access(guesses[i], R_OK) == 0)
            return guesses[i];
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"astronaut.png", "lp_s9.jpg", "lp_s12.jpg", "lp_s42.jpg",
                                        "hallo_7.jpg"};
    const char *shared = find_shared(argc, argv);
    if (argc > 2)
        g_budget_ms = atof(argv[2]) * 1e3;
    if (!shared) {
        fprintf(stderr, "usage: bench_image [shared_dir [seconds]] (shared dir not found)\n");
        return 1;
    }
    char path[4096];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/testdata/source/%s", shared, names[i]);
        struct decode_ctx c;
        c.bytes = read_all(path, &c.size);
        if (!c.bytes) {
            fprintf(stderr, "%s: cannot read\n", path);
            return 1;
        }
        char name[64];
        snprintf(name, sizeof(name), "decode %s", names[i]);
        run_case(name, do_decode, &c);
        free(c.bytes);
    }

    struct pa_image portrait, hallo, frame, half, small, crop;
    snprintf(path, sizeof(path), "%s/testdata/source/lp_s9.jpg", shared);
    if (pa_image_load(&portrait, path) < 0)
        return 1;
    snprintf(path, sizeof(path), "%s/testdata/source/hallo_7.jpg", shared);
    if (pa_image_load(&hallo, path) < 0)
        return 1;
    if (pa_image_alloc(&frame, 1280, 720, PA_PIX_RGB24) < 0 ||
        pa_image_alloc(&half, 640, 360, PA_PIX_RGB24) < 0 ||
        pa_image_alloc(&small, 512, 512, PA_PIX_RGB24) < 0 ||
        pa_image_alloc(&crop, 192, 192, PA_PIX_RGB24) < 0)
        return 1;
    pa_image_resize(&portrait, &frame); // a real-looking 1280x720 frame

    struct resize_ctx r1 = {&frame, &half}, r2 = {&hallo, &small};
    run_case("resize 1280x720 -> 640x360", do_resize, &r1);
    run_case("resize 3511x3511 -> 512x512", do_resize, &r2);

    /* A face 400 px wide, rotated 15 degrees, centred in the frame -> 192x192. */
    struct warp_ctx w = {&frame, &crop, malloc(sizeof(float) * 192 * 192 * 3), {0}};
    const double s = 400.0 / 192, a = 15 * 3.14159265358979 / 180;
    w.m[0] = (float)(s * cos(a));
    w.m[1] = (float)(-s * sin(a));
    w.m[3] = (float)(s * sin(a));
    w.m[4] = (float)(s * cos(a));
    w.m[2] = (float)(640 - (w.m[0] + w.m[1]) * 96);
    w.m[5] = (float)(360 - (w.m[3] + w.m[4]) * 96);
    run_case("warp 1280x720 -> 192x192 u8", do_warp_u8, &w);
    run_case("warp 1280x720 -> 192x192x3 f32", do_warp_f32, &w);

    free(w.f);
    pa_image_free(&portrait);
    pa_image_free(&hallo);
    pa_image_free(&frame);
    pa_image_free(&half);
    pa_image_free(&small);
    pa_image_free(&crop);
    return 0;
}

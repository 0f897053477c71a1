/** @file
 * Renderer hot paths at 1 and 2 threads: the mesh warp of a 512x512 face crop through a
 * ~1000-triangle perturbed grid (with and without depth/alpha), the paste-back of that
 * crop into 1280x720 and 1920x1080 frames (scaled + rotated placement with a feathered
 * mask, and a 1:1 integer placement), and the mask feather/erode helpers. For each case:
 * one warm-up call, then calls until the time budget is spent (at least 5); prints median
 * and p95 wall ms, the fastest call, calls per second (from the median), the median process
 * CPU time the kernel reports (on a busy shared machine the 1-thread CPU time and the
 * minimum are the steadier numbers; pool workers' time may be under-counted) and pa_malloc
 * calls per call.
 *
 * Usage: bench_raster [--json] [--seconds S] [shared_dir]. The source crop is a real
 * portrait (testdata/source/lp_s9.jpg resized) when shared_dir (default $PA_SHARED_DIR,
 * ../shared, ../../shared) is found, else a synthetic pattern.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "animate/composite.h"
#include "animate/raster.h"
#include "core/image.h"
#include "core/mem.h"
#include "panim.h"

#include "bench_util.h"

#define MAX_RUNS 20000
#define CROP 512
#define GRID_X 23
#define GRID_Y 22
#define NV ((GRID_X + 1) * (GRID_Y + 1))
#define NT (2 * GRID_X * GRID_Y)

typedef int (*bench_fn)(void *ctx);

static double g_budget_ms = 1000;
static int g_json;
static int g_first_json = 1;

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int run_case(const char *name, int threads, bench_fn fn, void *ctx)
{
    static double t[MAX_RUNS], cpu[MAX_RUNS];
    if (fn(ctx) < 0) {
        fprintf(stderr, "%s: failed\n", name);
        return -1;
    }
    uint64_t a0 = pa_mem_alloc_count();
    double start = now_ms();
    int n = 0;
    while (n < MAX_RUNS && (n < 5 || now_ms() - start < g_budget_ms)) {
        double t0 = now_ms(), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        fn(ctx);
        cpu[n] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        t[n++] = now_ms() - t0;
    }
    double allocs = (double)(pa_mem_alloc_count() - a0) / n;
    qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
    qsort(cpu, (size_t)n, sizeof(cpu[0]), cmp_double);
    double med = t[n / 2], p95 = t[(int)ceil(0.95 * n) - 1], cpu_med = cpu[n / 2], best = t[0];
    if (g_json) {
        printf("%s\n  {\"case\": \"%s\", \"threads\": %d, \"runs\": %d, \"median_ms\": %.4f, "
               "\"p95_ms\": %.4f, \"min_ms\": %.4f, \"fps\": %.1f, \"cpu_ms\": %.4f, "
               "\"allocs_per_call\": %.2f}",
               g_first_json ? "[" : ",", name, threads, n, med, p95, best, 1e3 / med, cpu_med,
               allocs);
        g_first_json = 0;
    } else {
        printf("%-36s %dT %5d runs  median %6.3f ms  p95 %6.3f  min %6.3f  %6.1f fps  cpu %6.3f"
               "  %3.1f allocs\n",
               name, threads, n, med, p95, best, 1e3 / med, cpu_med, allocs);
    }
    return 0;
}

struct warp_ctx {
    struct pa_raster *r;
    struct pa_warp_mesh mesh;
    const struct pa_image *src;
    struct pa_image *dst;
    struct pa_parallel *par;
};

static int do_warp(void *p)
{
    struct warp_ctx *c = p;
    return pa_raster_warp(c->r, &c->mesh, c->src, c->dst, c->par);
}

struct paste_ctx {
    struct pa_image *frame;
    const struct pa_image *crop;
    const uint8_t *mask;
    int mask_stride;
    float m[6];
    struct pa_parallel *par;
};

static int do_paste(void *p)
{
    struct paste_ctx *c = p;
    return pa_composite_paste(c->frame, c->crop, c->mask, c->mask_stride, c->m, c->par);
}

struct mask_ctx {
    uint8_t *mask, *work, *scratch;
    int radius, erode;
};

static int do_mask(void *p)
{
    struct mask_ctx *c = p;
    memcpy(c->work, c->mask, (size_t)CROP * CROP);
    if (c->erode)
        pa_mask_erode(c->work, CROP, CROP, CROP, 3 * c->radius, c->scratch);
    pa_mask_feather(c->work, CROP, CROP, CROP, c->radius, c->scratch);
    return 0;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* A grid over [-2, CROP + 2]^2 with interior vertices jittered by 30 % of a cell (dst), a
 * smooth swirl for the source positions, a depth bump and alpha fading toward the rim. */
static void make_mesh(float *dxy, float *sxy, float *depth, float *alpha, int32_t *tri)
{
    uint32_t seed = 12345;
    const float cw = (CROP + 4.0f) / GRID_X, chh = (CROP + 4.0f) / GRID_Y;
    for (int j = 0; j <= GRID_Y; j++) {
        for (int i = 0; i <= GRID_X; i++) {
            int k = j * (GRID_X + 1) + i;
            float x = -2.0f + cw * (float)i, y = -2.0f + chh * (float)j;
            int inner = i > 0 && i < GRID_X && j > 0 && j < GRID_Y;
            float jx = inner ? ((float)(lcg(&seed) % 1000) / 1000.0f - 0.5f) * 0.6f * cw : 0;
            float jy = inner ? ((float)(lcg(&seed) % 1000) / 1000.0f - 0.5f) * 0.6f * chh : 0;
            dxy[2 * k] = x + jx;
            dxy[2 * k + 1] = y + jy;
            float dx = x - CROP / 2.0f, dy = y - CROP / 2.0f;
            float rr = sqrtf(dx * dx + dy * dy) / (CROP / 2.0f);
            float a = 0.15f * expf(-rr * rr * 2.0f);
            sxy[2 * k] = CROP / 2.0f + dx * cosf(a) - dy * sinf(a);
            sxy[2 * k + 1] = CROP / 2.0f + dx * sinf(a) + dy * cosf(a);
            depth[k] = -expf(-rr * rr * 3.0f);
            alpha[k] = rr < 0.8f ? 1.0f : fmaxf(0.0f, (1.0f - rr) * 5.0f);
        }
    }
    int t = 0;
    for (int j = 0; j < GRID_Y; j++) {
        for (int i = 0; i < GRID_X; i++) {
            int32_t a = j * (GRID_X + 1) + i, b = a + 1, c = a + GRID_X + 1, d = c + 1;
            int32_t q[6] = {a, b, d, a, d, c};
            memcpy(tri + 3 * t, q, sizeof(q));
            t += 2;
        }
    }
}

static const char *find_shared(const char *arg)
{
    static const char *const guesses[] = {"../shared", "../../shared"};
    if (arg)
        return arg;
    const char *env = getenv("PA_SHARED_DIR");
    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++)
        if (access(guesses[i], R_OK) == 0)
            return guesses[i];
    return NULL;
}

static int load_crop(struct pa_image *crop, const char *shared)
{
    if (pa_image_alloc(crop, CROP, CROP, PA_PIX_RGB24) < 0)
        return -1;
    char path[4096];
    struct pa_image photo;
    if (shared) {
        snprintf(path, sizeof(path), "%s/testdata/source/lp_s9.jpg", shared);
        if (pa_image_load(&photo, path) == 0) {
            int r = pa_image_resize(&photo, crop);
            pa_image_free(&photo);
            return r;
        }
    }
    for (int y = 0; y < CROP; y++)
        for (int x = 0; x < CROP; x++)
            for (int c = 0; c < 3; c++)
                pa_image_px(crop, x, y)[c] =
                    (uint8_t)(128 + 100 * sin(0.05 * x + c) * cos(0.04 * y));
    return 0;
}

int main(int argc, char **argv)
{
    const char *shared_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            g_json = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            g_budget_ms = atof(argv[++i]) * 1e3;
        else
            shared_arg = argv[i];
    }
    static float dxy[2 * NV], sxy[2 * NV], depth[NV], alpha[NV];
    static int32_t tri[3 * NT];
    make_mesh(dxy, sxy, depth, alpha, tri);

    struct pa_image src, dst, frame720, frame1080;
    if (load_crop(&src, find_shared(shared_arg)) < 0 ||
        pa_image_alloc(&dst, CROP, CROP, PA_PIX_RGB24) < 0 ||
        pa_image_alloc(&frame720, 1280, 720, PA_PIX_RGB24) < 0 ||
        pa_image_alloc(&frame1080, 1920, 1080, PA_PIX_RGB24) < 0)
        return 1;
    struct pa_raster *r;
    if (pa_raster_create(&r, CROP, CROP) < 0)
        return 1;
    // The paste mask: the coverage of a depth+alpha warp, eroded and feathered.
    struct pa_warp_mesh full = {NV, dxy, sxy, depth, alpha, NT, tri};
    if (pa_raster_warp(r, &full, &src, &dst, NULL) < 0)
        return 1;
    uint8_t *mask = malloc((size_t)CROP * CROP), *work = malloc((size_t)CROP * CROP);
    uint8_t *scratch = malloc(pa_mask_scratch_size(CROP, CROP));
    int cs;
    const uint8_t *cov = pa_raster_coverage(r, &cs);
    for (int y = 0; y < CROP; y++)
        memcpy(mask + (size_t)y * CROP, cov + (size_t)y * (size_t)cs, CROP);
    memcpy(work, mask, (size_t)CROP * CROP);
    pa_mask_erode(work, CROP, CROP, CROP, 24, scratch);
    pa_mask_feather(work, CROP, CROP, CROP, 8, scratch);

    for (int threads = 1; threads <= 2; threads++) {
        struct pa_parallel *par;
        if (pa_parallel_create(&par, threads) < 0)
            return 1;
        struct warp_ctx w = {r, full, &src, &dst, par};
        run_case("warp 512x512 1012 tris depth+alpha", threads, do_warp, &w);
        w.mesh.depth = NULL;
        w.mesh.alpha = NULL;
        run_case("warp 512x512 1012 tris plain", threads, do_warp, &w);

        // 1280x720: the crop shrunk to ~400 px and tilted 8 degrees; 1920x1080: enlarged to
        // ~700 px. Plus 1:1 integer placements.
        const double a = 8 * 3.14159265358979 / 180;
        struct paste_ctx p = {&frame720, &dst, work, CROP, {0}, par};
        double s = 400.0 / CROP;
        p.m[0] = (float)(s * cos(a)), p.m[1] = (float)(-s * sin(a)), p.m[2] = 450.3f;
        p.m[3] = (float)(s * sin(a)), p.m[4] = (float)(s * cos(a)), p.m[5] = 140.7f;
        run_case("paste 512 -> 1280x720 s0.78 rot8", threads, do_paste, &p);
        float ident720[6] = {1, 0, 384, 0, 1, 104};
        memcpy(p.m, ident720, sizeof(p.m));
        run_case("paste 512 -> 1280x720 1:1", threads, do_paste, &p);
        p.frame = &frame1080;
        s = 700.0 / CROP;
        p.m[0] = (float)(s * cos(a)), p.m[1] = (float)(-s * sin(a)), p.m[2] = 640.3f;
        p.m[3] = (float)(s * sin(a)), p.m[4] = (float)(s * cos(a)), p.m[5] = 150.7f;
        run_case("paste 512 -> 1920x1080 s1.37 rot8", threads, do_paste, &p);
        float ident1080[6] = {1, 0, 704, 0, 1, 284};
        memcpy(p.m, ident1080, sizeof(p.m));
        run_case("paste 512 -> 1920x1080 1:1", threads, do_paste, &p);
        pa_parallel_destroy(par);
    }
    struct mask_ctx mc = {mask, work, scratch, 8, 0};
    run_case("mask feather 512x512 r8", 1, do_mask, &mc);
    mc.erode = 1;
    run_case("mask erode r24 + feather r8", 1, do_mask, &mc);
    if (g_json)
        printf("\n]\n");

    free(mask);
    free(work);
    free(scratch);
    pa_raster_destroy(r);
    pa_image_free(&src);
    pa_image_free(&dst);
    pa_image_free(&frame720);
    pa_image_free(&frame1080);
    return 0;
}

/** @file
 * Animator benchmark: rig build, and one rendered frame (motion, mesh, mouth, paste-back)
 * for portraits of several sizes on 1 and 2 threads. Reports median and p95 wall-clock ms
 * per call, the median CPU ms per call (all threads of the process: on a busy machine the
 * single-thread CPU time is the stable number) and the allocations per call (must be 0 for
 * rendering).
 *
 *   bench_animate [--json] [--seconds S] [--threads N] [--size WxH] [--shared DIR]
 *                 [--models DIR]
 *
 * Portraits: astronaut.png (512×512; its face gives a 265-px working crop) and the same
 * photo scaled into 1280×720 and 1920×1080 frames (centred, scaled to the frame height;
 * crops of 373 and 512 px) and into 1024×1024 (a full 512×512 crop with a 1024² output).
 * The face comes from panim's tracker on the photo, scaled with it; the person mask from the
 * segmenter on each portrait (so the shoulders and the hair outline are rigged as in real
 * use). The driver cycles through 24 states of
 * the portrait's own face with the head turned (yaw ±15°, pitch ±8°, roll ±5°) and moved,
 * so the whole face region moves in every frame (the expensive case); the "+mouth" cases
 * also force the lip-open override (procedural mouth fill).
 * --json prints one object: {"cases":[{"case":..,"output":"WxH","crop":N,"threads":T,
 * "median_ms":..,"p95_ms":..,"cpu_ms":..,"allocs_per_call":..},...]}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "animate/rig.h"
#include "core/image.h"
#include "core/mem.h"
#include "pa_config.h"
#include "panim.h"

#include "bench_util.h"

#define MAX_RUNS 20000
#define N_DRIVERS 24

struct opts {
    int json;
    int threads; ///< 0 = both 1 and 2
    int w, h;    ///< only this portrait size (0 = all)
    double seconds;
    const char *shared, *models;
};

struct result {
    double median_ms, p95_ms, cpu_ms, allocs;
};

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

typedef int (*bench_fn)(void *ctx, int i);

/* One warm-up call, then calls until the budget is spent (at least 5). */
static int timed(bench_fn fn, void *ctx, double budget_ms, struct result *r)
{
    static double t[MAX_RUNS], c[MAX_RUNS];
    if (fn(ctx, 0) < 0)
        return -1;
    uint64_t a0 = pa_mem_alloc_count();
    double start = now_ms();
    int n = 0;
    while (n < MAX_RUNS && (n < 5 || now_ms() - start < budget_ms)) {
        double t0 = now_ms(), c0 = cpu_ms();
        if (fn(ctx, n + 1) < 0)
            return -1;
        c[n] = cpu_ms() - c0;
        t[n++] = now_ms() - t0;
    }
    r->allocs = (double)(pa_mem_alloc_count() - a0) / n;
    qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
    qsort(c, (size_t)n, sizeof(c[0]), cmp_double);
    r->cpu_ms = c[n / 2];
    r->median_ms = t[n / 2];
    r->p95_ms = t[(int)ceil(0.95 * n) - 1];
    return 0;
}

struct rig_ctx {
    const struct pa_image *img, *mask;
    const struct pa_face_state *face;
};

static int do_rig(void *p, int i)
{
    (void)i;
    struct rig_ctx *c = p;
    struct pa_rig *rig;
    int r = pa_rig_create(&rig, c->img, c->face, c->mask, NULL);
    pa_rig_destroy(rig);
    return r;
}

struct render_ctx {
    struct pa_animator *anim;
    struct pa_face_state drv[N_DRIVERS];
    struct pa_image out;
};

static int do_render(void *p, int i)
{
    struct render_ctx *c = p;
    struct pa_face_state *d = &c->drv[(i % (N_DRIVERS - 1)) + 1]; // drv[0] is the reference
    d->t = i / 30.0;
    return pa_animator_render(c->anim, d, NULL, &c->out);
}

/* The driver states: the portrait's face with its head turned and moved. */
static void make_drivers(const struct pa_face_state *face, struct pa_face_state *drv)
{
    for (int i = 0; i < N_DRIVERS; i++) {
        float ph = 2.0f * 3.14159265f * (float)i / N_DRIVERS;
        float yaw = i ? 15.0f * sinf(ph) : 0, pitch = i ? 8.0f * sinf(2 * ph) : 0;
        float roll = i ? 5.0f * cosf(ph) : 0, d[9];
        drv[i] = *face;
        pa_pose_rotation_from_angles(yaw, pitch, roll, d);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                drv[i].pose.rot[3 * r + c] = d[3 * r] * face->pose.rot[c] +
                                             d[3 * r + 1] * face->pose.rot[3 + c] +
                                             d[3 * r + 2] * face->pose.rot[6 + c];
        drv[i].pose.tx += i ? 0.03f * face->pose.scale * sinf(ph) : 0;
    }
}

/* The astronaut scaled to the frame height and centred in a grey frame of w×h, and its face
 * state moved the same way (the short-range detector misses faces this small in a wide
 * frame, and the state of the scaled photo is the scaled state). */
static int make_portrait(const struct pa_image *src, const struct pa_face_state *src_face, int w,
                         int h, struct pa_image *out, struct pa_face_state *face)
{
    int ret = pa_image_alloc(out, w, h, PA_PIX_RGB24);
    if (ret < 0)
        return ret;
    memset(out->data, 128, (size_t)out->stride * (size_t)h);
    int side = PA_MIN(w, h), ox = (w - side) / 2, oy = (h - side) / 2;
    struct pa_image view;
    if ((ret = pa_image_view(&view, out, ox, oy, side, side)) < 0)
        return ret;
    float s = (float)side / (float)src->w;
    *face = *src_face;
    for (int i = 0; i < face->n_points; i++) {
        face->pts[i][0] = face->pts[i][0] * s + (float)ox;
        face->pts[i][1] = face->pts[i][1] * s + (float)oy;
        face->pts[i][2] *= s;
    }
    for (int k = 0; k < 4; k++)
        face->box[k] = face->box[k] * s + (float)(k % 2 ? oy : ox);
    face->pose.scale *= s;
    face->pose.tx = face->pose.tx * s + (float)ox;
    face->pose.ty = face->pose.ty * s + (float)oy;
    face->pose.tz *= s;
    return pa_image_resize(src, &view);
}

static void report(const struct opts *o, int *first, const char *name, const struct pa_image *img,
                   int crop, int threads, const struct result *r)
{
    if (o->json) {
        printf("%s{\"case\":\"%s\",\"output\":\"%dx%d\",\"crop\":%d,\"threads\":%d,"
               "\"median_ms\":%.4f,\"p95_ms\":%.4f,\"cpu_ms\":%.4f,\"allocs_per_call\":%.2f}",
               *first ? "" : ",", name, img->w, img->h, crop, threads, r->median_ms, r->p95_ms,
               r->cpu_ms, r->allocs);
        *first = 0;
    } else {
        printf("%-12s %4dx%-4d crop %3d  %d thr  median %7.3f ms  p95 %7.3f ms  cpu %7.3f ms  "
               "%.1f allocs\n",
               name, img->w, img->h, crop, threads, r->median_ms, r->p95_ms, r->cpu_ms, r->allocs);
    }
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){0, 0, 0, 0, 1.0, getenv("PA_SHARED_DIR"), getenv("PA_MODELS_DIR")};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            o->json = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            o->seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            o->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &o->w, &o->h);
        else if (!strcmp(argv[i], "--shared") && i + 1 < argc)
            o->shared = argv[++i];
        else if (!strcmp(argv[i], "--models") && i + 1 < argc)
            o->models = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--json] [--seconds S] [--threads N] [--size WxH] [--shared DIR] "
                    "[--models DIR]\n",
                    argv[0]);
            return -1;
        }
    }
    if (!o->shared || !*o->shared)
        o->shared = access("../shared", R_OK) == 0 ? "../shared" : "../../shared";
    if (!o->models || !*o->models)
        o->models = *PA_DEFAULT_MODELS_DIR ? PA_DEFAULT_MODELS_DIR : "../models";
    return 0;
}

/* Every render case of one portrait size, 1 and 2 threads, with and without the mouth. */
static int bench_size(const struct opts *o, struct pa_segmenter *seg, const struct pa_image *src,
                      const struct pa_face_state *src_face, int w, int h, int *first)
{
    struct pa_image img, mask;
    struct pa_face_state face;
    if (make_portrait(src, src_face, w, h, &img, &face) < 0 ||
        pa_image_alloc(&mask, w, h, PA_PIX_GRAY8) < 0 || pa_segmenter_run(seg, &img, &mask) < 0)
        return -1;
    struct pa_rig *rig;
    if (pa_rig_create(&rig, &img, &face, &mask, NULL) < 0)
        return -1;
    struct rig_ctx rc = {&img, &mask, &face};
    struct result r;
    if (timed(do_rig, &rc, o->seconds * 1e3, &r) < 0)
        return -1;
    report(o, first, "rig", &img, rig->cs, 1, &r);
    static struct render_ctx c;
    make_drivers(&face, c.drv);
    if (pa_image_alloc(&c.out, w, h, PA_PIX_RGB24) < 0)
        return -1;
    for (int threads = 1; threads <= 2; threads++) {
        if (o->threads > 0 && threads != o->threads)
            continue;
        for (int mouth = 0; mouth < 2; mouth++) {
            struct pa_parallel *par;
            struct pa_anim_params p = pa_anim_default_params();
            p.lip_open_ratio = mouth ? 0.25f : -1.0f;
            if (pa_parallel_create(&par, threads) < 0 ||
                pa_animator_create(&c.anim, rig, &p, par) < 0)
                return -1;
            if (pa_animator_render(c.anim, &c.drv[0], NULL, &c.out) < 0 ||
                timed(do_render, &c, o->seconds * 1e3, &r) < 0)
                return -1;
            report(o, first, mouth ? "render+mouth" : "render", &img, rig->cs, threads, &r);
            pa_animator_destroy(c.anim);
            pa_parallel_destroy(par);
        }
    }
    pa_image_free(&c.out);
    pa_rig_destroy(rig);
    pa_image_free(&img);
    pa_image_free(&mask);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, &o) < 0)
        return 2;
    char path[4096];
    snprintf(path, sizeof(path), "%s/testdata/source/astronaut.png", o.shared);
    struct pa_image src;
    if (pa_image_load(&src, path) < 0)
        return 1;
    struct pa_tracker *tr;
    struct pa_segmenter *seg;
    struct pa_face_state face;
    if (pa_tracker_create(&tr, o.models, NULL, NULL) < 0 ||
        pa_segmenter_create(&seg, o.models, PA_NN_BACKEND_AUTO, NULL) < 0 ||
        pa_tracker_process(tr, &src, 0, &face) < 0 || !face.found) {
        fprintf(stderr, "%s: no face tracked\n", path);
        return 1;
    }
    static const int sizes[][2] = {{512, 512}, {1280, 720}, {1920, 1080}, {1024, 1024}};
    int first = 1, ret = 0;
    if (o.json)
        printf("{\"cases\":[");
    for (size_t i = 0; i < PA_ARRAY_SIZE(sizes) && ret == 0; i++)
        if (!o.w || (o.w == sizes[i][0] && o.h == sizes[i][1]))
            ret = bench_size(&o, seg, &src, &face, sizes[i][0], sizes[i][1], &first);
    if (o.json)
        printf("]}\n");
    pa_tracker_destroy(tr);
    pa_segmenter_destroy(seg);
    pa_image_free(&src);
    return ret < 0 ? 1 : 0;
}

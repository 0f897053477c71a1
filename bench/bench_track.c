/** @file
 * Tracker benchmark: milliseconds per pa_tracker_process call on real video frames, for
 * 640×480 and 1280×720 input, tracking mode (landmarks only, ROI from the previous frame) and
 * detect-every-frame mode, 1 and 2 threads, XNNPACK and reference backends; then where the
 * time of one 720p tracking frame goes (crop warp, landmark network, pose, smoothing,
 * expression) and the cost of a detection.
 *
 *   bench_track [--json] [--frames N] [--runs N] [--ref-runs N] [--backend ref|xnnpack]
 *               [--landmarks 468|478] [--clip FILE] [--models DIR]
 *
 * --landmarks picks the landmark model (default 478: the attention model, as panim track).
 *
 * Input: the first N frames (default 60) of a shared driving clip (default
 * ../shared/testdata/driving/lp_d3.mp4, 512×512, a woman turning her head), each scaled to the
 * output height and centred on a black canvas of the output size (pillarboxed, as a webcam
 * frame with the face in the middle). Frames are fed in a ping-pong order (0..N-1, N-2..0,
 * ...) at 30 fps timestamps so the motion stays continuous. Scaling happens outside the timed
 * region. The first 5 calls of each configuration are warm-up and not counted.
 *
 * Besides wall-clock median and 95th percentile, cpu_ms is the median CPU time of the whole
 * process per call (all threads): on a shared machine the wall time stretches with other
 * processes' load, the CPU time much less (with 2 threads it includes the pool's spinning).
 *
 * --json prints exactly one JSON object:
 *   {"track":[{"size":"1280x720","mode":"tracking","backend":"xnnpack","threads":1,
 *              "median_ms":...,"p95_ms":...,"cpu_ms":...,"found":N,"frames":N,"allocs":0},...],
 *    "landmarks":478,
 *    "breakdown":{"size":"1280x720","threads":1,"backend":"xnnpack","crop_ms":...,
 *                 "landmark_net_ms":...,"pose_ms":...,"smooth_ms":...,"expression_ms":...,
 *                 "detector_ms":...}}
 * Exit status: 0; 1 when something failed to load or run, or a timed loop allocated; 2 for
 * bad arguments.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/image.h"
#include "core/mem.h"
#include "io/source.h"
#include "pa_config.h"
#include "panim.h"
#include "track/detector.h"
#include "track/expression.h"
#include "track/geometry.h"
#include "track/landmarks.h"
#include "track/pose.h"
#include "track/smooth.h"

#include "bench_util.h"

#define WARMUP 5

struct opts {
    int json, frames, runs, ref_runs, backend, landmarks;
    const char *clip, *models;
};

struct clip {
    int n;
    struct pa_image *f; ///< n decoded frames, RGB24
};

/* CPU time of the whole process (every thread), ms: what the work costs even when other
 * processes share the cores and stretch the wall-clock time. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void stats(double *t, int n, double *median, double *p95)
{
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    *median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    int i95 = (int)ceil(0.95 * n) - 1;
    *p95 = t[i95 < 0 ? 0 : i95];
}

static int load_clip(const char *path, int max, struct clip *c)
{
    struct pa_source *src = NULL;
    int ret = pa_source_open(&src, path);
    if (ret < 0)
        return ret;
    c->f = calloc((size_t)max, sizeof(*c->f));
    if (!c->f) {
        pa_source_close(src);
        return PA_ENOMEM;
    }
    struct pa_image frame;
    double t;
    while (c->n < max && (ret = pa_source_read(src, &frame, &t, 25.0)) == 0) {
        if ((ret = pa_image_alloc(&c->f[c->n], frame.w, frame.h, PA_PIX_RGB24)) < 0)
            break;
        pa_image_copy(&c->f[c->n++], &frame);
    }
    pa_source_close(src);
    return c->n > 0 ? 0 : (ret < 0 && ret != PA_EOF ? ret : PA_EINVALDATA);
}

/* Frame k of the ping-pong sequence 0..n-1, n-2..1, 0.. */
static int pingpong(int k, int n)
{
    if (n < 2)
        return 0;
    int period = 2 * (n - 1), m = k % period;
    return m < n ? m : period - m;
}

/* Scale a frame to the canvas height (keeping its aspect) and centre it on black. */
static int compose(const struct pa_image *src, struct pa_image *canvas)
{
    memset(canvas->data, 0, (size_t)canvas->stride * (size_t)canvas->h);
    int h = canvas->h, w = (int)lround((double)src->w * h / src->h);
    if (w > canvas->w) {
        w = canvas->w;
        h = (int)lround((double)src->h * w / src->w);
    }
    struct pa_image view;
    int ret = pa_image_view(&view, canvas, (canvas->w - w) / 2, (canvas->h - h) / 2, w, h);
    return ret < 0 ? ret : pa_image_resize(src, &view);
}

struct result {
    double median, p95, cpu_median;
    uint64_t allocs;
    int found;
};

static int bench_tracker(const struct opts *o, const struct clip *c, struct pa_image *canvas,
                         enum pa_nn_backend backend, int def, int threads, int runs,
                         struct result *r)
{
    struct pa_parallel *par = NULL;
    struct pa_tracker *tr = NULL;
    double *times = calloc((size_t)runs, sizeof(double));
    double *cpu = calloc((size_t)runs, sizeof(double));
    struct pa_tracker_params p = pa_tracker_default_params();
    p.backend = backend;
    p.detect_every_frame = def;
    p.landmarks = o->landmarks;
    int ret = times && cpu ? pa_parallel_create(&par, threads) : PA_ENOMEM;
    if (ret == 0)
        ret = pa_tracker_create(&tr, o->models, &p, par);
    static struct pa_face_state st;
    uint64_t allocs = 0;
    r->found = 0;
    for (int k = 0; ret == 0 && k < WARMUP + runs; k++) {
        if ((ret = compose(&c->f[pingpong(k, c->n)], canvas)) < 0)
            break;
        uint64_t a0 = pa_mem_alloc_count();
        double t0 = now_ms(), c0 = cpu_ms();
        ret = pa_tracker_process(tr, canvas, k / 30.0, &st);
        double dt = now_ms() - t0, dc = cpu_ms() - c0;
        if (k >= WARMUP) {
            times[k - WARMUP] = dt;
            cpu[k - WARMUP] = dc;
            allocs += pa_mem_alloc_count() - a0;
            r->found += st.found;
        }
    }
    if (ret == 0) {
        double unused;
        stats(times, runs, &r->median, &r->p95);
        stats(cpu, runs, &r->cpu_median, &unused);
        r->allocs = allocs;
    }
    pa_tracker_destroy(tr);
    pa_parallel_destroy(par);
    free(times);
    free(cpu);
    return ret;
}

/* Median of `runs` timings of one stage. */
#define TIME_STAGE(out, runs, stmt)                                                               \
    do {                                                                                          \
        for (int k_ = 0; k_ < (runs); k_++) {                                                     \
            double t0_ = now_ms();                                                                \
            stmt;                                                                                 \
            tt[k_] = now_ms() - t0_;                                                              \
        }                                                                                         \
        double p95_;                                                                              \
        stats(tt, (runs), &(out), &p95_);                                                         \
    } while (0)

struct breakdown {
    double crop, net, pose, smooth, expr, detector;
};

/* The stages of one 720p tracking frame, timed one by one on frame 0's face. */
static int bench_stages(const struct opts *o, const struct clip *c, struct pa_image *canvas,
                        enum pa_nn_backend backend, struct breakdown *b)
{
    char path[4096];
    struct pa_nn_model *dm = NULL, *lm_model = NULL;
    struct pa_detector *det = NULL;
    struct pa_landmarker *lm = NULL;
    struct pa_nn_session *s = NULL;
    struct pa_geometry *geo = NULL;
    struct pa_euro_bank *bank = NULL;
    static float pts[PA_LM_MAX][3], out[PA_LM_MAX][3], canon[PA_LM_MAX][3];
    float *crop = malloc(sizeof(float) * 192 * 192 * 3);
    double tt[200];
    const int np = o->landmarks;
    int runs = 200, ret = crop ? compose(&c->f[0], canvas) : PA_ENOMEM;
    snprintf(path, sizeof(path), "%s/face_detection_short_range.tflite", o->models);
    if (ret == 0)
        ret = pa_nn_model_load(&dm, path);
    snprintf(path, sizeof(path), "%s/%s", o->models,
             o->landmarks == 478 ? "face_landmark_with_attention.tflite" : "face_landmark.tflite");
    if (ret == 0)
        ret = pa_nn_model_load(&lm_model, path);
    snprintf(path, sizeof(path), "%s/geometry_pipeline_metadata_landmarks.binarypb", o->models);
    if (ret == 0)
        ret = pa_geometry_load_file(path, &geo);
    if (ret == 0)
        ret = pa_detector_create(&det, dm, NULL, backend, NULL);
    if (ret == 0)
        ret = pa_landmarker_create(&lm, lm_model, backend, NULL);
    if (ret == 0)
        ret = pa_nn_session_create(&s, lm_model, backend, NULL);
    struct pa_euro_params ep = pa_euro_default_params();
    if (ret == 0)
        ret = pa_euro_bank_create(np * 3, &ep, &bank);
    struct pa_detection d[4];
    int n = 0;
    if (ret == 0)
        ret = pa_detector_run(det, canvas, d, 4, &n);
    if (ret < 0 || n < 1)
        goto done;
    struct pa_roi roi;
    float presence, m[6];
    pa_roi_from_box(&roi, d[0].box, d[0].kp[0], d[0].kp[1]);
    ret = pa_landmarker_run(lm, canvas, &roi, pts, &presence);
    if (ret < 0)
        goto done;
    pa_roi_from_landmarks(&roi, (const float(*)[3])pts, np);
    pa_roi_matrix(&roi, 192, m);
    TIME_STAGE(b->detector, 50, pa_detector_run(det, canvas, d, 4, &n));
    TIME_STAGE(b->crop, runs,
               pa_image_warp_affine_f32(canvas, crop, 192, 192, m, 1.0f / 255.0f, 0.0f));
    TIME_STAGE(b->net, runs, pa_nn_session_run(s));
    struct pa_pose pose;
    TIME_STAGE(b->pose, runs, pa_pose_estimate(geo, &pts[0][0], np, &pose));
    struct pa_pose_filter pf;
    pa_pose_filter_init(&pf);
    /* Smoothing as the tracker does it: the landmark bank, the pose again, the pose filter. */
    TIME_STAGE(b->smooth, runs, {
        pa_euro_bank_filter(bank, &pts[0][0], &out[0][0], np * 3, k_ / 30.0, pose.s);
        pa_pose_estimate(geo, &out[0][0], np, &pose);
        pa_pose_filter_apply(&pf, &pose, k_ / 30.0);
    });
    struct pa_expression e;
    TIME_STAGE(b->expr, runs, {
        pa_pose_to_canonical(&pose, &out[0][0], np, &canon[0][0]);
        pa_expression_compute(&canon[0][0], np, &e);
    });
done:
    if (ret == 0 && n < 1)
        ret = PA_ENOFACE;
    pa_euro_bank_destroy(bank);
    pa_nn_session_destroy(s);
    pa_landmarker_destroy(lm);
    pa_detector_destroy(det);
    pa_geometry_destroy(geo);
    pa_nn_model_destroy(lm_model);
    pa_nn_model_destroy(dm);
    free(crop);
    return ret;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    const char *env = getenv("PA_MODELS_DIR");
    const char *shared = getenv("PA_SHARED_DIR");
    static char clip[4096];
    /* Default layout: models/ in the checkout, shared/ beside the checkout. */
    snprintf(clip, sizeof(clip), "%s/testdata/driving/lp_d3.mp4",
             shared && *shared ? shared : PA_DEFAULT_MODELS_DIR "/../../shared");
    *o = (struct opts){0, 60, 200, 20, -1, 478, clip, env && *env ? env : PA_DEFAULT_MODELS_DIR};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--frames") && v && parse_int(v, 1, 1000, &o->frames) == 0) {
            i++;
        } else if (!strcmp(a, "--runs") && v && parse_int(v, 1, 100000, &o->runs) == 0) {
            i++;
        } else if (!strcmp(a, "--ref-runs") && v && parse_int(v, 1, 100000, &o->ref_runs) == 0) {
            i++;
        } else if (!strcmp(a, "--backend") && v && (!strcmp(v, "ref") || !strcmp(v, "xnnpack"))) {
            o->backend = !strcmp(v, "ref") ? PA_NN_BACKEND_REF : PA_NN_BACKEND_XNNPACK;
            i++;
        } else if (!strcmp(a, "--landmarks") && v && (!strcmp(v, "468") || !strcmp(v, "478"))) {
            o->landmarks = atoi(argv[++i]);
        } else if (!strcmp(a, "--clip") && v) {
            o->clip = argv[++i];
        } else if (!strcmp(a, "--models") && v) {
            o->models = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: %s [--json] [--frames N] [--runs N] [--ref-runs N] "
                    "[--backend ref|xnnpack] [--landmarks 468|478] [--clip FILE] [--models DIR]\n",
                    argv[0]);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const int sizes[2][2] = {{640, 480}, {1280, 720}};
    struct opts o;
    struct clip c = {0};
    struct pa_image canvas[2] = {{0}};
    int status = 0, n_out = 0;
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    if (load_clip(o.clip, o.frames, &c) < 0) {
        fprintf(stderr, "bench_track: cannot read frames from %s\n", o.clip);
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        if (pa_image_alloc(&canvas[i], sizes[i][0], sizes[i][1], PA_PIX_RGB24) < 0)
            return 1;
    }
    if (o.json)
        printf("{\"track\":[");
    else
        printf("%d frames of %s (%dx%d), %d-point model\n%-10s %-18s %-8s %3s %10s %10s %10s %7s "
               "%6s\n",
               c.n, o.clip, c.f[0].w, c.f[0].h, o.landmarks, "size", "mode", "backend", "thr",
               "median_ms", "p95_ms", "cpu_ms", "found", "allocs");
    for (int b = PA_NN_BACKEND_XNNPACK; b >= PA_NN_BACKEND_REF; b--) {
        if ((o.backend >= 0 && b != o.backend) ||
            (b == PA_NN_BACKEND_XNNPACK && !pa_nn_have_xnnpack()))
            continue;
        int runs = b == PA_NN_BACKEND_REF ? o.ref_runs : o.runs;
        const char *bname = pa_nn_backend_name((enum pa_nn_backend)b);
        for (int si = 0; si < 2; si++) {
            for (int def = 0; def <= 1; def++) {
                for (int threads = 1; threads <= 2; threads++) {
                    struct result r = {0};
                    char size[32];
                    snprintf(size, sizeof(size), "%dx%d", sizes[si][0], sizes[si][1]);
                    const char *mode = def ? "detect_every_frame" : "tracking";
                    int ret = bench_tracker(&o, &c, &canvas[si], (enum pa_nn_backend)b, def,
                                            threads, runs, &r);
                    if (ret < 0) {
                        fprintf(stderr, "bench_track: %s %s %s %d thread(s): %s\n", size, mode,
                                bname, threads, pa_strerror(ret));
                        status = 1;
                        continue;
                    }
                    if (r.allocs)
                        status = 1;
                    if (o.json)
                        printf("%s{\"size\":\"%s\",\"mode\":\"%s\",\"backend\":\"%s\","
                               "\"threads\":%d,\"median_ms\":%.4f,\"p95_ms\":%.4f,"
                               "\"cpu_ms\":%.4f,\"found\":%d,\"frames\":%d,\"allocs\":%llu}",
                               n_out ? "," : "", size, mode, bname, threads, r.median, r.p95,
                               r.cpu_median, r.found, runs, (unsigned long long)r.allocs);
                    else
                        printf("%-10s %-18s %-8s %3d %10.3f %10.3f %10.3f %3d/%-3d %5llu\n", size,
                               mode, bname, threads, r.median, r.p95, r.cpu_median, r.found, runs,
                               (unsigned long long)r.allocs);
                    n_out++;
                    fflush(stdout);
                }
            }
        }
    }
    enum pa_nn_backend bb = o.backend >= 0 ? (enum pa_nn_backend)o.backend : PA_NN_BACKEND_AUTO;
    struct breakdown bd = {0};
    int ret = bench_stages(&o, &c, &canvas[1], bb, &bd);
    if (ret < 0) {
        fprintf(stderr, "bench_track: stage timing failed: %s\n", pa_strerror(ret));
        status = 1;
    }
    const char *bname = pa_nn_backend_name(bb == PA_NN_BACKEND_AUTO && pa_nn_have_xnnpack()
                                               ? PA_NN_BACKEND_XNNPACK
                                               : bb == PA_NN_BACKEND_AUTO ? PA_NN_BACKEND_REF : bb);
    if (o.json)
        printf("],\"landmarks\":%d,\"breakdown\":{\"size\":\"1280x720\",\"threads\":1,"
               "\"backend\":\"%s\","
               "\"crop_ms\":%.4f,\"landmark_net_ms\":%.4f,\"pose_ms\":%.4f,\"smooth_ms\":%.4f,"
               "\"expression_ms\":%.4f,\"detector_ms\":%.4f}}\n",
               o.landmarks, bname, bd.crop, bd.net, bd.pose, bd.smooth, bd.expr, bd.detector);
    else
        printf("\nstages of one 1280x720 frame (%s, 1 thread, medians): crop warp %.3f ms, "
               "landmark net %.3f ms, pose %.3f ms, smoothing (filters + 2nd pose) %.3f ms, "
               "expression %.3f ms; a detection %.3f ms\n",
               bname, bd.crop, bd.net, bd.pose, bd.smooth, bd.expr, bd.detector);
    for (int i = 0; i < c.n; i++)
        pa_image_free(&c.f[i]);
    free(c.f);
    pa_image_free(&canvas[0]);
    pa_image_free(&canvas[1]);
    return status;
}

/** @file
 * `panim eval -d CLIP`: self-reenactment quality. The clip's first frame is the portrait and
 * the clip itself the driver; every later frame (up to 300) of the animation is compared
 * with the real frame. Definitions (docs/QUALITY.md, src/core/metrics.h):
 *  - PSNR (RGB) and SSIM (Rec.601 luma, 11×11 Gaussian window, sigma 1.5) over the face
 *    box and over the whole frame; the face box is the bounding box of the first frame's
 *    landmarks padded by 15% of its width on every side, clamped to the frame;
 *  - NME: the output frame is tracked by its own tracker and its landmarks are compared
 *    with the driver's, normalised by the driver's outer-eye-corner distance;
 *  - pose error: mean |Δyaw|, |Δpitch|, |Δroll| (degrees) between the two tracked poses;
 *  - expression error: mean absolute difference over the pa_face_expr fields.
 * Landmark metrics skip frames where either tracker finds no face ("lost" counts them).
 * Per-frame PSNR is capped at 100 dB (a duplicated frame would be infinite) before averaging.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/anim_common.h"
#include "app/cli.h"
#include "app/progress.h"
#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "io/source.h"

#define EVAL_MAX_FRAMES 300
#define PSNR_CAP 100.0
#define N_EXPR 13

struct eval_opts {
    const char *clip, *models;
    enum pa_anim_method methods[3];
    int n_methods, json, max_frames, threads, quiet;
    enum pa_nn_backend backend;
};

/** Sums over the scored frames of one method. */
struct eval_acc {
    enum pa_anim_method method;
    int64_t n_img, n_lm, lost;
    double psnr_face, ssim_face, psnr_full, ssim_full;
    double nme, dyaw, dpitch, droll, expr;
    double ms_render;
};

static void usage(FILE *f)
{
    fprintf(f,
        "usage: panim eval -d CLIP [options]\n"
        "\n"
        "Self-reenactment: animate the clip's first frame with the clip itself and compare\n"
        "every later frame (up to %d) of the result with the real one: PSNR and SSIM over\n"
        "the face box and the whole frame, landmark NME of the re-tracked output, head-pose\n"
        "and expression errors. Definitions: docs/QUALITY.md.\n"
        "\n"
        "options:\n"
        "  -d, --driver CLIP         the video (frames are used at its own size)\n"
        "      --method M            mesh, affine2d, static or all (default all)\n"
        "      --frames N            score at most N frames after the first (default %d)\n"
        "      --json                print one JSON object instead of the table\n"
        "      --backend auto|ref|xnnpack  neural-network backend (default auto)\n"
        "  -j, --threads N           worker threads (default 1)\n"
        "      --models DIR          model folder (default: %s)\n"
        "  -q, --quiet               no progress bar\n",
        EVAL_MAX_FRAMES, EVAL_MAX_FRAMES, pa_cli_models_dir());
}

static int parse(int argc, char **argv, struct eval_opts *o)
{
    enum { O_METHOD = 256, O_FRAMES, O_JSON, O_BACKEND, O_MODELS };
    static const struct option lo[] = {
        {"driver", required_argument, 0, 'd'}, {"method", required_argument, 0, O_METHOD},
        {"frames", required_argument, 0, O_FRAMES}, {"json", no_argument, 0, O_JSON},
        {"backend", required_argument, 0, O_BACKEND}, {"threads", required_argument, 0, 'j'},
        {"models", required_argument, 0, O_MODELS}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *method = "all";
    o->max_frames = EVAL_MAX_FRAMES;
    // One thread by default, as `panim track`: pthreadpool workers spin while they wait, and on
    // a busy 2-core machine -j2 measured 8-20x slower than -j1 (docs/QUALITY.md).
    o->threads = 1;
    o->models = pa_cli_models_dir();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:j:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->clip = optarg; break;
        case O_METHOD: method = optarg; break;
        case O_FRAMES: o->max_frames = atoi(optarg); break;
        case O_JSON: o->json = 1; break;
        case O_BACKEND:
            if (pa_cli_parse_backend(optarg, &o->backend) < 0)
                return 2;
            break;
        case 'j': o->threads = atoi(optarg); break;
        case O_MODELS: o->models = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc && !o->clip)
        o->clip = argv[optind++];
    if (optind != argc || !o->clip) {
        fprintf(stderr, "panim eval: expected -d CLIP (see 'panim eval --help')\n");
        return 2;
    }
    if (!strcmp(method, "all")) {
        o->n_methods = 3;
        o->methods[0] = PA_ANIM_MESH, o->methods[1] = PA_ANIM_AFFINE2D;
        o->methods[2] = PA_ANIM_STATIC;
    } else if (pa_cli_parse_method(method, &o->methods[0]) == 0) {
        o->n_methods = 1;
    } else {
        fprintf(stderr, "panim eval: --method must be mesh, affine2d, static or all\n");
        return 2;
    }
    if (o->max_frames < 1 || o->max_frames > EVAL_MAX_FRAMES || o->threads < 1 ||
        o->threads > 64) {
        fprintf(stderr, "panim eval: --frames must be 1..%d and --threads 1..64\n",
                EVAL_MAX_FRAMES);
        return 2;
    }
    return 0;
}

struct eval_run {
    struct eval_opts *o;
    struct pa_parallel *par;
    struct pa_source *src;
    struct pa_cli_portrait portrait;
    struct pa_face_state *drv; ///< driver states of frames 0..n
    double *t;                 ///< their timestamps
    int n;                     ///< frames scored (1..n)
    struct pa_rect box, full;
    struct pa_image out;
    struct pa_face_state ost;
    struct eval_acc acc[3];
};

static void expr_fields(const struct pa_face_expr *e, float v[N_EXPR])
{
    const float f[N_EXPR] = {e->eye_open[0], e->eye_open[1], e->gaze_x[0], e->gaze_x[1],
                             e->gaze_y[0], e->gaze_y[1], e->mouth_open, e->mouth_width,
                             e->smile, e->pucker, e->brow_raise[0], e->brow_raise[1], e->jaw_x};
    memcpy(v, f, sizeof(f));
}

static struct pa_tracker *new_tracker(const struct eval_opts *o, struct pa_parallel *par,
                                      int *ret)
{
    struct pa_tracker_params tp = pa_tracker_default_params();
    tp.backend = o->backend;
    struct pa_tracker *tr = NULL;
    *ret = pa_tracker_create(&tr, o->models, &tp, par);
    return tr;
}

/* First pass: the portrait (frame 0), the face box and the driver's states. */
static int first_pass(struct eval_run *r)
{
    struct pa_image frame;
    double t;
    int ret = pa_source_read(r->src, &frame, &t, 25.0);
    if (ret < 0) {
        if (ret == PA_EOF)
            pa_log_error("app", "%s: no frames", r->o->clip);
        return ret == PA_EOF ? PA_EINVALDATA : ret;
    }
    struct pa_anim_params ap = pa_anim_default_params();
    if ((ret = pa_cli_portrait_prepare(&r->portrait, &frame, r->o->clip, r->o->models, &ap,
                                       r->o->backend, r->par)) < 0)
        return ret;
    const struct pa_face_state *pf = &r->portrait.face;
    if ((ret = pa_metric_face_box(&pf->pts[0][0], pf->n_points, frame.w, frame.h, &r->box)) < 0)
        return ret;
    r->full = (struct pa_rect){0, 0, frame.w, frame.h};
    if ((ret = pa_image_alloc(&r->out, frame.w, frame.h, PA_PIX_RGB24)) < 0)
        return ret;
    r->drv = pa_calloc((size_t)r->o->max_frames + 1, sizeof(*r->drv));
    r->t = pa_calloc((size_t)r->o->max_frames + 1, sizeof(*r->t));
    if (!r->drv || !r->t)
        return PA_ENOMEM;
    struct pa_tracker *tr = new_tracker(r->o, r->par, &ret);
    for (int i = 0; ret == 0; i++) {
        r->t[i] = t;
        if ((ret = pa_tracker_process(tr, &frame, t, &r->drv[i])) < 0)
            break;
        r->n = i;
        if (i == r->o->max_frames)
            break;
        ret = pa_source_read(r->src, &frame, &t, 25.0);
        if (ret == 0 && (frame.w != r->out.w || frame.h != r->out.h)) {
            pa_log_error("app", "%s: the frame size changes mid-clip", r->o->clip);
            ret = PA_EINVALDATA;
        }
    }
    pa_tracker_destroy(tr);
    if (ret == PA_EOF)
        ret = 0;
    if (ret == 0 && r->n < 1) {
        pa_log_error("app", "%s: needs at least 2 frames", r->o->clip);
        ret = PA_EINVALDATA;
    }
    return ret;
}

static int score_images(struct eval_acc *a, const struct eval_run *r, const struct pa_image *real)
{
    double v[4];
    int ret = pa_metric_psnr(&r->out, real, &r->box, &v[0]);
    if (ret == 0)
        ret = pa_metric_ssim(&r->out, real, &r->box, &v[1]);
    if (ret == 0)
        ret = pa_metric_psnr(&r->out, real, &r->full, &v[2]);
    if (ret == 0)
        ret = pa_metric_ssim(&r->out, real, &r->full, &v[3]);
    if (ret < 0)
        return ret;
    a->psnr_face += fmin(v[0], PSNR_CAP);
    a->ssim_face += v[1];
    a->psnr_full += fmin(v[2], PSNR_CAP);
    a->ssim_full += v[3];
    a->n_img++;
    return 0;
}

static void score_landmarks(struct eval_acc *a, const struct pa_face_state *d,
                            const struct pa_face_state *o)
{
    if (!d->found || !o->found) {
        a->lost++;
        return;
    }
    double nme;
    if (pa_metric_nme(&o->pts[0][0], &d->pts[0][0], PA_MIN(d->n_points, o->n_points), &nme) < 0) {
        a->lost++;
        return;
    }
    a->nme += nme;
    a->dyaw += fabs((double)o->pose.yaw - d->pose.yaw);
    a->dpitch += fabs((double)o->pose.pitch - d->pose.pitch);
    a->droll += fabs((double)o->pose.roll - d->pose.roll);
    float ve[N_EXPR], vd[N_EXPR];
    expr_fields(&o->expr, ve);
    expr_fields(&d->expr, vd);
    double s = 0.0;
    for (int k = 0; k < N_EXPR; k++)
        s += fabs((double)ve[k] - vd[k]);
    a->expr += s / N_EXPR;
    a->n_lm++;
}

/* Animate the clip with one method and score every frame after the first. */
static int eval_method(struct eval_run *r, struct eval_acc *a, struct pa_progress *prog,
                       int64_t *done)
{
    struct pa_animator *anim = NULL;
    struct pa_anim_params ap = pa_anim_default_params();
    ap.method = a->method;
    int ret = pa_animator_create(&anim, r->portrait.rig, &ap, r->par);
    struct pa_tracker *tr = ret == 0 ? new_tracker(r->o, r->par, &ret) : NULL;
    if (ret == 0)
        ret = pa_source_rewind(r->src);
    for (int i = 0; ret == 0 && i <= r->n; i++) {
        struct pa_image frame;
        double t;
        if ((ret = pa_source_read(r->src, &frame, &t, 25.0)) < 0)
            break;
        double t0 = pa_cli_now_ms();
        if ((ret = pa_animator_render(anim, &r->drv[i], &frame, &r->out)) < 0)
            break;
        a->ms_render += pa_cli_now_ms() - t0;
        if ((ret = pa_tracker_process(tr, &r->out, r->t[i], &r->ost)) < 0)
            break;
        if (i == 0)
            continue; // the portrait itself: its reference frame, not scored
        if ((ret = score_images(a, r, &frame)) < 0)
            break;
        score_landmarks(a, &r->drv[i], &r->ost);
        pa_progress_update(prog, ++*done);
    }
    if (ret == PA_EOF) {
        pa_log_error("app", "%s: fewer frames on the second read", r->o->clip);
        ret = PA_EINVALDATA;
    }
    pa_tracker_destroy(tr);
    pa_animator_destroy(anim);
    return ret;
}

static double mean(double sum, int64_t n)
{
    return n > 0 ? sum / (double)n : NAN;
}

/* A JSON string literal (quotes, backslashes and control characters escaped). */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* ,"key":value with null for a mean over no frames. */
static void json_num(const char *key, double v, int prec)
{
    if (isfinite(v))
        printf(",\"%s\":%.*f", key, prec, v);
    else
        printf(",\"%s\":null", key);
}

static void print_json(const struct eval_run *r)
{
    printf("{\"clip\":");
    json_string(r->o->clip);
    printf(",\"width\":%d,\"height\":%d,\"frames\":%d,"
           "\"face_box\":[%d,%d,%d,%d],\"methods\":[",
           r->out.w, r->out.h, r->n, r->box.x0, r->box.y0, r->box.x1, r->box.y1);
    for (int m = 0; m < r->o->n_methods; m++) {
        const struct eval_acc *a = &r->acc[m];
        printf("%s{\"method\":\"%s\"", m ? "," : "", pa_cli_method_name(a->method));
        json_num("psnr_face", mean(a->psnr_face, a->n_img), 3);
        json_num("ssim_face", mean(a->ssim_face, a->n_img), 4);
        json_num("psnr_full", mean(a->psnr_full, a->n_img), 3);
        json_num("ssim_full", mean(a->ssim_full, a->n_img), 4);
        json_num("nme", mean(a->nme, a->n_lm), 5);
        json_num("yaw_err", mean(a->dyaw, a->n_lm), 3);
        json_num("pitch_err", mean(a->dpitch, a->n_lm), 3);
        json_num("roll_err", mean(a->droll, a->n_lm), 3);
        json_num("expr_err", mean(a->expr, a->n_lm), 5);
        printf(",\"tracked\":%lld,\"lost\":%lld", (long long)a->n_lm, (long long)a->lost);
        json_num("render_ms", mean(a->ms_render, a->n_img + 1), 2);
        putchar('}');
    }
    printf("]}\n");
}

static void print_table(const struct eval_run *r)
{
    printf("%s: %dx%d, %d frames scored, face box [%d,%d)x[%d,%d)\n", r->o->clip, r->out.w,
           r->out.h, r->n, r->box.x0, r->box.x1, r->box.y0, r->box.y1);
    printf("%-9s %9s %9s %9s %9s %8s %6s %6s %6s %7s %5s %9s\n", "method", "PSNRface",
           "SSIMface", "PSNRfull", "SSIMfull", "NME", "yaw", "pitch", "roll", "expr", "lost",
           "render_ms");
    for (int m = 0; m < r->o->n_methods; m++) {
        const struct eval_acc *a = &r->acc[m];
        printf("%-9s %9.2f %9.4f %9.2f %9.4f %8.4f %6.2f %6.2f %6.2f %7.4f %5lld %9.1f\n",
               pa_cli_method_name(a->method), mean(a->psnr_face, a->n_img),
               mean(a->ssim_face, a->n_img), mean(a->psnr_full, a->n_img),
               mean(a->ssim_full, a->n_img), mean(a->nme, a->n_lm), mean(a->dyaw, a->n_lm),
               mean(a->dpitch, a->n_lm), mean(a->droll, a->n_lm), mean(a->expr, a->n_lm),
               (long long)a->lost, mean(a->ms_render, a->n_img + 1));
    }
}

static int run(int argc, char **argv)
{
    struct eval_opts o = {0};
    int ret = parse(argc, argv, &o);
    if (ret)
        return ret;
    struct eval_run r = {.o = &o};
    if ((ret = pa_cli_check_models(o.models, 478)) < 0)
        goto done;
    if ((ret = pa_parallel_create(&r.par, o.threads)) < 0)
        goto done;
    if ((ret = pa_source_open(&r.src, o.clip)) < 0)
        goto done;
    if ((ret = first_pass(&r)) < 0)
        goto done;
    struct pa_progress prog;
    pa_progress_init(&prog, "eval", (int64_t)r.n * o.n_methods, o.quiet);
    int64_t done = 0;
    for (int m = 0; m < o.n_methods && ret == 0; m++) {
        r.acc[m].method = o.methods[m];
        ret = eval_method(&r, &r.acc[m], &prog, &done);
    }
    pa_progress_done(&prog);
    if (ret == 0) {
        if (o.json)
            print_json(&r);
        else
            print_table(&r);
    }
done:
    pa_image_free(&r.out);
    pa_free(r.drv);
    pa_free(r.t);
    pa_cli_portrait_free(&r.portrait);
    pa_source_close(r.src);
    pa_parallel_destroy(r.par);
    return ret < 0 ? 1 : 0;
}

const struct pa_cli_command pa_cmd_eval = {
    .name = "eval",
    .summary = "measure animation quality by self-reenactment of a clip (PSNR, SSIM, NME)",
    .run = run,
};

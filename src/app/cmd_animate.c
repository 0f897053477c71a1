/** @file
 * `panim animate -s PORTRAIT -d DRIVER -o OUT.mp4|DIR/`: animate a portrait with the motion
 * of a driving video, image, folder of images, or procedural idle motion.
 *
 * Frame-rate conversion picks, for each output time T_k = k / fps_out, the driver frame
 * whose display interval [t_i - d/2, t_i + d/2) holds it (d = 1 / driver fps): after
 * reading driver frame i every output frame with T_k < t_i + d/2 is emitted from it, and
 * at the end of the stream the last frame covers T_k < t_last + d. Every driver frame is
 * tracked (the tracker's filters need the whole stream); only the frames that are picked
 * are rendered. Equal rates give a 1:1 mapping.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/anim_common.h"
#include "app/progress.h"
#include "core/image.h"
#include "core/log.h"
#include "io/source.h"
#include "io/video.h"

struct animate_opts {
    const char *portrait, *driver, *output, *models;
    struct pa_anim_params ap;
    int absolute_given;
    double duration, fps; ///< fps 0 = the driver's
    int out_w, out_h;     ///< 0 = the portrait's size
    int crf, threads, quiet;
    uint32_t seed;
    enum pa_nn_backend backend;
};

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: panim animate -s PORTRAIT -d DRIVER -o OUTPUT [options]\n"
        "\n"
        "Animate PORTRAIT (an image with a face) with the head and face motion of DRIVER:\n"
        "a video, an image, a folder of images, or 'idle' (procedural breathing, blinks,\n"
        "glances and smiles; no camera needed). OUTPUT is an .mp4 file (the driving video's\n"
        "audio is copied), a folder ending in '/' for numbered PNG frames, or a .png/.jpg\n"
        "for a single driving image.\n"
        "\n"
        "options:\n"
        "  -s, --source PORTRAIT     the still portrait to animate\n"
        "  -d, --driver DRIVER       video, image, folder, or 'idle'\n"
        "  -o, --output OUTPUT       OUT.mp4, DIR/ or OUT.png\n"
        "      --method M            mesh (default), affine2d or static (baselines)\n"
        "      --absolute            copy the driver's expression instead of its change\n"
        "                            since the first frame (default for an image driver)\n"
        "      --relative            force relative mode\n"
        "      --absolute-pose       with --absolute: also copy the driver's head pose\n"
        "      --expr-scale X        scale the transferred expression (default 1)\n"
        "      --yaw-mul X, --pitch-mul X, --roll-mul X   head-rotation multipliers\n"
        "      --eye-open R          force the eye openness (0 closed .. 1); default: follow\n"
        "      --lip-open R          force the mouth openness; default: follow\n"
        "      --follow LIST         pose,expression,eyes,lips or all (default all)\n"
        "      --no-stitching        let the shoulders and crop border move with the head\n"
        "      --mouth M             auto (default), driver, procedural or none\n"
        "      --duration SEC        length of idle animation (default 10)\n"
        "      --seed N              idle motion seed (default 1)\n"
        "      --fps F               output frame rate (default: the driver's; 25 otherwise)\n"
        "      --size WxH            output size (the portrait is scaled first)\n"
        "      --crf N               x264 quality, lower is better (default 20)\n"
        "      --backend auto|ref|xnnpack  neural-network backend (default auto)\n"
        "  -j, --threads N           worker threads (default 1)\n"
        "      --models DIR          model folder (default: %s)\n"
        "  -q, --quiet               no progress bar or summary\n"
        "\n"
        "Ctrl-C stops early and still finishes the file with the frames so far (exit 130).\n",
        pa_cli_models_dir());
}

static int parse_follow(const char *s, unsigned *out)
{
    static const struct { const char *name; unsigned bit; } names[] = {
        {"pose", PA_FOLLOW_POSE}, {"expression", PA_FOLLOW_EXPRESSION},
        {"eyes", PA_FOLLOW_EYES}, {"lips", PA_FOLLOW_LIPS}, {"all", PA_FOLLOW_ALL},
        {"none", 0}};
    unsigned bits = 0;
    const char *p = s;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t i = 0;
        for (; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == len && !strncmp(p, names[i].name, len))
                break;
        if (i == sizeof(names) / sizeof(names[0]))
            return PA_EINVAL;
        bits |= names[i].bit;
        p += len + (p[len] == ',');
    }
    *out = bits;
    return 0;
}

static int parse_mouth(const char *s, enum pa_mouth_fill *out)
{
    static const char *const names[] = {"auto", "driver", "procedural", "none"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            *out = (enum pa_mouth_fill)i;
            return 0;
        }
    }
    return PA_EINVAL;
}

/* A float option; prints the error. */
static int opt_float(const char *name, const char *arg, float lo, float hi, float *out)
{
    char *end;
    float v = strtof(arg, &end);
    if (end == arg || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "panim animate: --%s must be a number in [%g, %g]\n", name, lo, hi);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, struct animate_opts *o)
{
    enum { O_METHOD = 256, O_ABS, O_REL, O_ABSPOSE, O_EXPR, O_YAW, O_PITCH, O_ROLL, O_EYE,
           O_LIP, O_FOLLOW, O_NOSTITCH, O_MOUTH, O_DUR, O_SEED, O_FPS, O_SIZE, O_CRF,
           O_BACKEND, O_MODELS };
    static const struct option lo[] = {
        {"source", required_argument, 0, 's'}, {"driver", required_argument, 0, 'd'},
        {"output", required_argument, 0, 'o'}, {"method", required_argument, 0, O_METHOD},
        {"absolute", no_argument, 0, O_ABS}, {"relative", no_argument, 0, O_REL},
        {"absolute-pose", no_argument, 0, O_ABSPOSE},
        {"expr-scale", required_argument, 0, O_EXPR}, {"yaw-mul", required_argument, 0, O_YAW},
        {"pitch-mul", required_argument, 0, O_PITCH}, {"roll-mul", required_argument, 0, O_ROLL},
        {"eye-open", required_argument, 0, O_EYE}, {"lip-open", required_argument, 0, O_LIP},
        {"follow", required_argument, 0, O_FOLLOW}, {"no-stitching", no_argument, 0, O_NOSTITCH},
        {"mouth", required_argument, 0, O_MOUTH}, {"duration", required_argument, 0, O_DUR},
        {"seed", required_argument, 0, O_SEED}, {"fps", required_argument, 0, O_FPS},
        {"size", required_argument, 0, O_SIZE}, {"crf", required_argument, 0, O_CRF},
        {"backend", required_argument, 0, O_BACKEND}, {"threads", required_argument, 0, 'j'},
        {"models", required_argument, 0, O_MODELS}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    o->ap = pa_anim_default_params();
    o->duration = 10.0;
    o->seed = 1;
    o->crf = 20;
    // One thread by default, as `panim track`: pthreadpool workers spin while they wait, and on
    // a busy 2-core machine -j2 measured 8-20x slower than -j1 (docs/QUALITY.md).
    o->threads = 1;
    o->models = pa_cli_models_dir();
    int c, r = 0;
    optind = 1;
    while (r == 0 && (c = getopt_long(argc, argv, "s:d:o:j:qh", lo, NULL)) != -1) {
        switch (c) {
        case 's': o->portrait = optarg; break;
        case 'd': o->driver = optarg; break;
        case 'o': o->output = optarg; break;
        case O_METHOD:
            if (pa_cli_parse_method(optarg, &o->ap.method) < 0) {
                fprintf(stderr, "panim animate: --method must be mesh, affine2d or static\n");
                r = 2;
            }
            break;
        case O_ABS: o->ap.absolute = 1, o->absolute_given = 1; break;
        case O_REL: o->ap.absolute = 0, o->absolute_given = 1; break;
        case O_ABSPOSE: o->ap.absolute_pose = 1; break;
        case O_EXPR: r = opt_float("expr-scale", optarg, 0, 5, &o->ap.expr_scale); break;
        case O_YAW: r = opt_float("yaw-mul", optarg, -5, 5, &o->ap.yaw_mul); break;
        case O_PITCH: r = opt_float("pitch-mul", optarg, -5, 5, &o->ap.pitch_mul); break;
        case O_ROLL: r = opt_float("roll-mul", optarg, -5, 5, &o->ap.roll_mul); break;
        case O_EYE: r = opt_float("eye-open", optarg, 0, 1, &o->ap.eye_open_ratio); break;
        case O_LIP: r = opt_float("lip-open", optarg, 0, 1, &o->ap.lip_open_ratio); break;
        case O_FOLLOW:
            if (parse_follow(optarg, &o->ap.follow) < 0) {
                fprintf(stderr, "panim animate: --follow takes pose,expression,eyes,lips or all\n");
                r = 2;
            }
            break;
        case O_NOSTITCH: o->ap.stitching = 0; break;
        case O_MOUTH:
            if (parse_mouth(optarg, &o->ap.mouth) < 0) {
                fprintf(stderr,
                        "panim animate: --mouth must be auto, driver, procedural or none\n");
                r = 2;
            }
            break;
        case O_DUR: o->duration = atof(optarg); break;
        case O_SEED: o->seed = (uint32_t)strtoul(optarg, NULL, 0); break;
        case O_FPS: o->fps = atof(optarg); break;
        case O_SIZE:
            if (sscanf(optarg, "%dx%d", &o->out_w, &o->out_h) != 2 || o->out_w < 16 ||
                o->out_h < 16 || o->out_w > 8192 || o->out_h > 8192) {
                fprintf(stderr, "panim animate: --size must be WxH, each 16..8192\n");
                r = 2;
            }
            break;
        case O_CRF: o->crf = atoi(optarg); break;
        case O_BACKEND: r = pa_cli_parse_backend(optarg, &o->backend) < 0 ? 2 : 0; break;
        case 'j': o->threads = atoi(optarg); break;
        case O_MODELS: o->models = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (r)
        return r;
    if (optind != argc || !o->portrait || !o->driver || !o->output) {
        fprintf(stderr, "panim animate: need -s PORTRAIT -d DRIVER -o OUTPUT "
                        "(see 'panim animate --help')\n");
        return 2;
    }
    if (o->threads < 1 || o->threads > 64 || o->fps < 0 || o->fps > 240 ||
        !(o->duration > 0 && o->duration <= 24 * 3600) || o->crf < 1 || o->crf > 51) {
        fprintf(stderr, "panim animate: --threads 1..64, --fps 0..240, --duration > 0, "
                        "--crf 1..51\n");
        return 2;
    }
    return 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

enum out_kind { OUT_MP4, OUT_FOLDER, OUT_IMAGE };

struct animate_run {
    struct animate_opts *o;
    struct pa_parallel *par;
    struct pa_cli_portrait portrait;
    struct pa_animator *anim;
    struct pa_tracker *tr;
    struct pa_source *src; ///< NULL for idle
    struct pa_idle *idle;
    enum out_kind out_kind;
    struct pa_video_writer *vw;
    struct pa_image out;
    struct pa_face_state st;
    double fps_in, fps_out;
    int64_t n_out, n_driver, n_noface;
    double ms_track, ms_render, ms_write;
};

/* Write the current output image as output frame r->n_out. */
static int emit(struct animate_run *r)
{
    double t0 = pa_cli_now_ms();
    int ret = 0;
    if (r->out_kind == OUT_MP4) {
        ret = pa_video_writer_write(r->vw, &r->out);
    } else {
        char path[4096];
        if (r->out_kind == OUT_IMAGE)
            snprintf(path, sizeof(path), "%s", r->o->output);
        else
            snprintf(path, sizeof(path), "%s/%06lld.png", r->o->output, (long long)r->n_out);
        ret = pa_image_save(&r->out, path, 95);
    }
    r->ms_write += pa_cli_now_ms() - t0;
    if (ret == 0)
        r->n_out++;
    return ret;
}

static int render(struct animate_run *r, const struct pa_image *frame)
{
    double t0 = pa_cli_now_ms();
    int ret = pa_animator_render(r->anim, &r->st, frame, &r->out);
    r->ms_render += pa_cli_now_ms() - t0;
    return ret;
}

static int run_idle(struct animate_run *r, struct pa_progress *prog)
{
    int64_t total = (int64_t)llround(r->o->duration * r->fps_out);
    for (int64_t k = 0; k < total && !g_interrupted; k++) {
        int ret = pa_idle_next(r->idle, (double)k / r->fps_out, &r->st);
        if (ret < 0 || (ret = render(r, NULL)) < 0 || (ret = emit(r)) < 0)
            return ret;
        r->n_driver++;
        pa_progress_update(prog, r->n_out);
    }
    return 0;
}

static int run_source(struct animate_run *r, struct pa_progress *prog)
{
    struct pa_image frame;
    double t, t_last = 0.0, d = 1.0 / r->fps_in;
    int ret = 0, rendered = 0, still = pa_source_kind(r->src) != PA_SOURCE_VIDEO;
    while (!g_interrupted && (ret = pa_source_read(r->src, &frame, &t, r->fps_out)) == 0) {
        if (still)
            pa_tracker_reset(r->tr); // unrelated stills: no tracking across files
        double t0 = pa_cli_now_ms();
        if ((ret = pa_tracker_process(r->tr, &frame, t, &r->st)) < 0)
            return ret;
        r->ms_track += pa_cli_now_ms() - t0;
        r->n_driver++;
        r->n_noface += !r->st.found;
        t_last = t;
        int rendered_this = 0;
        while ((double)r->n_out / r->fps_out < t + 0.5 * d && !g_interrupted) {
            if (!rendered_this && (ret = render(r, &frame)) < 0)
                return ret;
            rendered_this = rendered = 1;
            if ((ret = emit(r)) < 0)
                return ret;
            pa_progress_update(prog, r->n_out);
        }
    }
    if (ret != PA_EOF && ret != 0)
        return ret;
    // The last driver frame also covers the second half of its display interval.
    while (rendered && !g_interrupted && (double)r->n_out / r->fps_out < t_last + d - 1e-6) {
        if ((ret = emit(r)) < 0)
            return ret;
    }
    return 0;
}

/* Open the driver: idle motion or a frame source, and the rates on both sides. */
static int open_driver(struct animate_run *r)
{
    struct animate_opts *o = r->o;
    struct stat sb;
    if (!strcmp(o->driver, "idle") && stat(o->driver, &sb) != 0) {
        r->fps_in = r->fps_out = o->fps > 0 ? o->fps : 25.0;
        return pa_idle_create(&r->idle, &r->portrait.face, o->seed);
    }
    int ret = pa_source_open(&r->src, o->driver);
    if (ret < 0)
        return ret;
    double f = pa_source_fps(r->src);
    r->fps_out = o->fps > 0 ? o->fps : f > 0 ? f : 25.0;
    r->fps_in = f > 0 ? f : r->fps_out;
    if (pa_source_kind(r->src) == PA_SOURCE_IMAGE && !o->absolute_given) {
        // One still has no "first frame" to be relative to: copy its expression.
        o->ap.absolute = 1;
    }
    return 0;
}

static int open_output(struct animate_run *r)
{
    struct animate_opts *o = r->o;
    struct stat sb;
    size_t len = strlen(o->output);
    int is_dir = (len && o->output[len - 1] == '/') ||
                 (stat(o->output, &sb) == 0 && S_ISDIR(sb.st_mode));
    if (is_dir) {
        r->out_kind = OUT_FOLDER;
        if (mkdir(o->output, 0755) != 0 && errno != EEXIST) {
            pa_log_error("app", "%s: cannot create folder: %s", o->output, strerror(errno));
            return PA_EIO;
        }
        if (access(o->output, W_OK) != 0) {
            pa_log_error("app", "%s: folder is not writable", o->output);
            return PA_EIO;
        }
        return 0;
    }
    if (ends_with(o->output, ".png") || ends_with(o->output, ".jpg") ||
        ends_with(o->output, ".jpeg")) {
        if (!r->src || pa_source_kind(r->src) != PA_SOURCE_IMAGE) {
            pa_log_error("app", "%s: an image output needs an image driver; use .mp4 or DIR/",
                         o->output);
            return PA_EINVAL;
        }
        r->out_kind = OUT_IMAGE;
        return 0;
    }
    r->out_kind = OUT_MP4;
    struct pa_video_writer_params vp = {.w = r->out.w, .h = r->out.h, .fps = r->fps_out,
                                        .crf = o->crf};
    if (r->src && pa_source_kind(r->src) == PA_SOURCE_VIDEO)
        vp.audio_from = o->driver;
    return pa_video_writer_open(&r->vw, o->output, &vp);
}

/* Load the portrait (scaled to --size) and prepare its rig. */
static int load_portrait(struct animate_run *r)
{
    struct animate_opts *o = r->o;
    struct pa_image img = {0}, scaled = {0};
    int ret = pa_image_load(&img, o->portrait);
    if (ret == 0 && o->out_w && (o->out_w != img.w || o->out_h != img.h)) {
        if ((ret = pa_image_alloc(&scaled, o->out_w, o->out_h, PA_PIX_RGB24)) == 0)
            ret = pa_image_resize(&img, &scaled);
    }
    if (ret == 0)
        ret = pa_cli_portrait_prepare(&r->portrait, scaled.data ? &scaled : &img, o->portrait,
                                      o->models, &o->ap, o->backend, r->par);
    pa_image_free(&img);
    pa_image_free(&scaled);
    return ret;
}

static int setup(struct animate_run *r)
{
    struct animate_opts *o = r->o;
    int ret;
    if ((ret = pa_cli_check_models(o->models, 478)) < 0)
        return ret;
    if ((ret = pa_parallel_create(&r->par, o->threads)) < 0)
        return ret;
    if ((ret = load_portrait(r)) < 0)
        return ret;
    if ((ret = open_driver(r)) < 0)
        return ret;
    if ((ret = pa_animator_create(&r->anim, r->portrait.rig, &o->ap, r->par)) < 0)
        return ret;
    if (r->src) {
        struct pa_tracker_params tp = pa_tracker_default_params();
        tp.backend = o->backend;
        if ((ret = pa_tracker_create(&r->tr, o->models, &tp, r->par)) < 0)
            return ret;
    }
    if ((ret = pa_image_alloc(&r->out, r->portrait.img.w, r->portrait.img.h, PA_PIX_RGB24)) < 0)
        return ret;
    return open_output(r);
}

static int64_t expected_frames(const struct animate_run *r)
{
    if (r->idle)
        return (int64_t)llround(r->o->duration * r->fps_out);
    int64_t n = pa_source_frames(r->src);
    if (n <= 0 || pa_source_kind(r->src) != PA_SOURCE_VIDEO)
        return n;
    return (int64_t)llround((double)n / r->fps_in * r->fps_out);
}

static int run(int argc, char **argv)
{
    struct animate_opts o = {0};
    int ret = parse(argc, argv, &o);
    if (ret)
        return ret;
    struct animate_run r = {.o = &o};
    double t_start = pa_cli_now_ms();
    g_interrupted = 0;
    struct sigaction sa = {.sa_handler = on_sigint}, old_sa;
    sa.sa_flags = SA_RESETHAND; // a second Ctrl-C kills at once
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sa);

    if ((ret = setup(&r)) < 0)
        goto done;
    double t_loop = pa_cli_now_ms();
    struct pa_progress prog;
    pa_progress_init(&prog, "animate", expected_frames(&r), o.quiet);
    ret = r.idle ? run_idle(&r, &prog) : run_source(&r, &prog);
    pa_progress_done(&prog);
    if (ret == 0 && r.n_out == 0 && !g_interrupted) {
        pa_log_error("app", "%s: no frames", o.driver);
        ret = PA_EINVALDATA;
    }
    if (ret == 0 && r.vw && r.n_out > 0) {
        ret = pa_video_writer_finish(r.vw); // also after Ctrl-C: a valid, shorter file
        r.vw = NULL;
    }
    if (ret == 0 && !o.quiet) {
        double now = pa_cli_now_ms(), secs = (now - t_loop) / 1000.0;
        double n = r.n_driver > 0 ? (double)r.n_driver : 1.0;
        printf("%s: %lld frames %dx%d at %.2f fps%s in %.1f s = %.1f frames/s (setup %.1f s; "
               "per driver frame: track %.1f ms, render %.1f ms; encode %.1f ms per frame)",
               o.output, (long long)r.n_out, r.out.w, r.out.h, r.fps_out,
               g_interrupted ? " (interrupted)" : "", secs, (double)r.n_out / secs,
               (t_loop - t_start) / 1000.0, r.ms_track / n, r.ms_render / n,
               r.n_out ? r.ms_write / (double)r.n_out : 0.0);
        if (r.n_noface)
            printf("; no face in %lld driver frames", (long long)r.n_noface);
        printf("\n");
    }
done:
    pa_video_writer_abort(r.vw);
    pa_image_free(&r.out);
    pa_tracker_destroy(r.tr);
    pa_animator_destroy(r.anim);
    pa_idle_destroy(r.idle);
    pa_source_close(r.src);
    pa_cli_portrait_free(&r.portrait);
    pa_parallel_destroy(r.par);
    sigaction(SIGINT, &old_sa, NULL);
    if (ret < 0)
        return 1; // the failing module printed one line naming the file and the problem
    return g_interrupted ? 130 : 0;
}

const struct pa_cli_command pa_cmd_animate = {
    .name = "animate",
    .summary = "animate a portrait from a driving video, images or idle motion",
    .run = run,
};

/** @file
 * `panim track INPUT [-o OUT.jsonl] [--overlay OUT.mp4|OUT.png]`: run the face tracker over
 * an image, a folder of images or a video and write one JSON object per frame.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/cli.h"
#include "app/overlay.h"
#include "app/progress.h"
#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"
#include "io/source.h"
#include "io/video.h"
#include "pa_config.h"
#include "track/geometry.h"

struct track_opts {
    const char *input, *out_jsonl, *overlay, *models;
    struct pa_tracker_params tp;
    int threads;
    double fps;
    int quiet;
};

static void usage(FILE *f)
{
    fprintf(f,
        "usage: panim track INPUT [options]\n"
        "\n"
        "Track the face in INPUT (an image, a folder of .png/.jpg images, or a video) and\n"
        "report landmarks, head pose and expression for every frame.\n"
        "\n"
        "options:\n"
        "  -o, --output FILE.jsonl   one JSON object per frame (default: a summary only)\n"
        "      --overlay FILE        draw mesh, irises and pose axes: .png for a single image,\n"
        "                            .mp4 for videos and folders\n"
        "      --landmarks 468|478   plain mesh model or attention model with irises (478)\n"
        "      --select largest|central|N   which face when there are several (default largest)\n"
        "      --detect-every-frame  run the detector on every frame instead of tracking\n"
        "      --no-smooth           disable the One Euro filter\n"
        "      --min-cutoff HZ, --beta B   One Euro parameters (see docs/TRACKING.md)\n"
        "      --backend auto|ref|xnnpack  neural-network backend (default auto)\n"
        "  -j, --threads N           threads for the networks (default 1)\n"
        "      --fps F               frame rate assumed for folders (default 25)\n"
        "      --models DIR          model folder (default: %s)\n"
        "  -q, --quiet               no progress bar\n"
        "\n"
        "JSON per frame: {\"frame\",\"t\",\"found\",\"faces\",\"score\",\n"
        "  \"landmarks\":[[x,y,z],...],\"pose\":{yaw,pitch,roll,tx,ty,tz,scale},\"expr\":{...}}\n"
        "with x, y in input pixels (format and conventions: docs/TRACKING.md).\n"
        "A frame without a face has \"found\":false; that is not an error (exit 0).\n",
        pa_cli_models_dir());
}

static int parse(int argc, char **argv, struct track_opts *o)
{
    enum { O_OVERLAY = 256, O_LM, O_SELECT, O_DEF, O_NOSMOOTH, O_MINCUT, O_BETA, O_BACKEND,
           O_FPS, O_MODELS };
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'}, {"overlay", required_argument, 0, O_OVERLAY},
        {"landmarks", required_argument, 0, O_LM}, {"select", required_argument, 0, O_SELECT},
        {"detect-every-frame", no_argument, 0, O_DEF}, {"no-smooth", no_argument, 0, O_NOSMOOTH},
        {"min-cutoff", required_argument, 0, O_MINCUT}, {"beta", required_argument, 0, O_BETA},
        {"backend", required_argument, 0, O_BACKEND}, {"threads", required_argument, 0, 'j'},
        {"fps", required_argument, 0, O_FPS}, {"models", required_argument, 0, O_MODELS},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    o->tp = pa_tracker_default_params();
    o->threads = 1;
    o->fps = 25.0;
    o->models = pa_cli_models_dir();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o->out_jsonl = optarg; break;
        case O_OVERLAY: o->overlay = optarg; break;
        case O_LM: o->tp.landmarks = atoi(optarg); break;
        case O_SELECT:
            if (!strcmp(optarg, "largest"))
                o->tp.select = PA_FACE_LARGEST;
            else if (!strcmp(optarg, "central"))
                o->tp.select = PA_FACE_CENTRAL;
            else {
                char *end;
                long v = strtol(optarg, &end, 10);
                if (end == optarg || *end || v < 0 || v >= 16) {
                    fprintf(stderr, "panim track: --select takes largest, central or a face "
                                    "index 0..15\n");
                    return 2;
                }
                o->tp.select = PA_FACE_INDEX;
                o->tp.select_index = (int)v;
            }
            break;
        case O_DEF: o->tp.detect_every_frame = 1; break;
        case O_NOSMOOTH: o->tp.smooth = 0; break;
        case O_MINCUT: o->tp.smooth_min_cutoff = strtof(optarg, NULL); break;
        case O_BETA: o->tp.smooth_beta = strtof(optarg, NULL); break;
        case O_BACKEND:
            if (pa_cli_parse_backend(optarg, &o->tp.backend) < 0)
                return 2;
            break;
        case 'j': o->threads = atoi(optarg); break;
        case O_FPS: o->fps = atof(optarg); break;
        case O_MODELS: o->models = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "panim track: expected one INPUT (see 'panim track --help')\n");
        return 2;
    }
    if (o->tp.landmarks != 468 && o->tp.landmarks != 478) {
        fprintf(stderr, "panim track: --landmarks must be 468 or 478\n");
        return 2;
    }
    if (!(o->tp.smooth_min_cutoff > 0.0f) || !(o->tp.smooth_beta >= 0.0f)) {
        fprintf(stderr, "panim track: --min-cutoff must be > 0 and --beta >= 0\n");
        return 2;
    }
    if (o->threads < 1 || o->threads > 64 || !(o->fps > 0)) {
        fprintf(stderr, "panim track: --threads must be 1..64 and --fps > 0\n");
        return 2;
    }
    o->input = argv[optind];
    return 0;
}

static void write_json(FILE *f, int64_t frame, const struct pa_face_state *st)
{
    fprintf(f, "{\"frame\":%lld,\"t\":%.4f,\"found\":%s,\"faces\":%d,\"score\":%.4f",
            (long long)frame, st->t, st->found ? "true" : "false", st->num_faces, st->score);
    if (st->found) {
        fputs(",\"landmarks\":[", f);
        for (int i = 0; i < st->n_points; i++)
            fprintf(f, "%s[%.2f,%.2f,%.2f]", i ? "," : "", st->pts[i][0], st->pts[i][1],
                    st->pts[i][2]);
        const struct pa_head_pose *p = &st->pose;
        fprintf(f, "],\"pose\":{\"yaw\":%.2f,\"pitch\":%.2f,\"roll\":%.2f,\"tx\":%.2f,"
                   "\"ty\":%.2f,\"tz\":%.2f,\"scale\":%.4f}",
                p->yaw, p->pitch, p->roll, p->tx, p->ty, p->tz, p->scale);
        const struct pa_face_expr *e = &st->expr;
        fprintf(f, ",\"expr\":{\"eye_open_r\":%.3f,\"eye_open_l\":%.3f,\"gaze_x_r\":%.3f,"
                   "\"gaze_y_r\":%.3f,\"gaze_x_l\":%.3f,\"gaze_y_l\":%.3f,\"mouth_open\":%.3f,"
                   "\"mouth_width\":%.3f,\"smile\":%.3f,\"pucker\":%.3f,\"brow_raise_r\":%.3f,"
                   "\"brow_raise_l\":%.3f,\"jaw_x\":%.3f}",
                e->eye_open[0], e->eye_open[1], e->gaze_x[0], e->gaze_y[0], e->gaze_x[1],
                e->gaze_y[1], e->mouth_open, e->mouth_width, e->smile, e->pucker,
                e->brow_raise[0], e->brow_raise[1], e->jaw_x);
    }
    fputs("}\n", f);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

struct track_run {
    struct track_opts *o;
    struct pa_source *src;
    struct pa_tracker *tr;
    struct pa_parallel *par;
    struct pa_geometry *geo;
    struct pa_video_writer *vw;
    struct pa_image canvas;
    FILE *json;
    char json_part[4096];
    struct pa_face_state st;
};

/* Overlay one frame: the PNG for single images, or one more video frame. */
static int overlay_frame(struct track_run *r, const struct pa_image *frame)
{
    if (!r->canvas.data && pa_image_alloc(&r->canvas, frame->w, frame->h, PA_PIX_RGB24) < 0)
        return PA_ENOMEM;
    if (frame->w != r->canvas.w || frame->h != r->canvas.h) {
        pa_log_error("app", "%s: frame size changed; the overlay video needs one size",
                     pa_source_frame_name(r->src));
        return PA_EINVALDATA;
    }
    pa_image_copy(&r->canvas, frame);
    pa_overlay_face(&r->canvas, &r->st, r->geo);
    if (ends_with(r->o->overlay, ".png"))
        return pa_image_save(&r->canvas, r->o->overlay, 95);
    if (!r->vw) {
        double fps = pa_source_fps(r->src) > 0 ? pa_source_fps(r->src) : r->o->fps;
        struct pa_video_writer_params vp = {.w = frame->w, .h = frame->h, .fps = fps};
        int ret = pa_video_writer_open(&r->vw, r->o->overlay, &vp);
        if (ret < 0)
            return ret;
    }
    return pa_video_writer_write(r->vw, &r->canvas);
}

static int track_loop(struct track_run *r, int64_t *n_frames, int64_t *n_found, double *ms)
{
    struct pa_progress prog;
    pa_progress_init(&prog, "track", pa_source_frames(r->src), r->o->quiet);
    struct pa_image frame;
    double t;
    int ret;
    while ((ret = pa_source_read(r->src, &frame, &t, r->o->fps)) == 0) {
        if (pa_source_kind(r->src) == PA_SOURCE_FOLDER)
            pa_tracker_reset(r->tr); /* unrelated stills: no tracking across files */
        double t0 = pa_cli_now_ms();
        if ((ret = pa_tracker_process(r->tr, &frame, t, &r->st)) < 0)
            break;
        *ms += pa_cli_now_ms() - t0;
        *n_found += r->st.found;
        if (r->json)
            write_json(r->json, *n_frames, &r->st);
        if (r->o->overlay && (ret = overlay_frame(r, &frame)) < 0)
            break;
        (*n_frames)++;
        pa_progress_update(&prog, *n_frames);
    }
    pa_progress_done(&prog);
    if (ret != PA_EOF)
        return ret;
    /* FFmpeg ends a truncated file with a plain end of stream; the container's own frame
     * count (exact for MP4/MOV) tells a cut-off file from a complete one. A couple of frames
     * of slack covers edit lists that drop a leading frame. */
    int64_t expected = pa_source_frames(r->src);
    if (pa_source_kind(r->src) == PA_SOURCE_VIDEO && expected > 0 &&
        *n_frames < expected - 2 - expected / 50) {
        pa_log_error("app", "%s: truncated or corrupt video: %lld of %lld frames decoded",
                     r->o->input, (long long)*n_frames, (long long)expected);
        return PA_EINVALDATA;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    struct track_opts o = {0};
    int ret = parse(argc, argv, &o);
    if (ret)
        return ret;
    struct track_run r = {.o = &o};
    int64_t n_frames = 0, n_found = 0;
    double ms = 0;
    if ((ret = pa_source_open(&r.src, o.input)) < 0)
        goto done;
    if (o.overlay && ends_with(o.overlay, ".png") && pa_source_frames(r.src) != 1) {
        fprintf(stderr, "panim track: --overlay .png needs a single image; use .mp4\n");
        ret = PA_EINVAL;
        goto done;
    }
    if (o.overlay && !ends_with(o.overlay, ".png") && !ends_with(o.overlay, ".mp4")) {
        fprintf(stderr, "panim track: --overlay must end in .png or .mp4\n");
        ret = PA_EINVAL;
        goto done;
    }
    if ((ret = pa_cli_check_models(o.models, o.tp.landmarks)) < 0)
        goto done;
    if ((ret = pa_parallel_create(&r.par, o.threads)) < 0)
        goto done;
    if ((ret = pa_tracker_create(&r.tr, o.models, &o.tp, r.par)) < 0)
        goto done;
    if (o.overlay) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/geometry_pipeline_metadata_landmarks.binarypb", o.models);
        if ((ret = pa_geometry_load_file(path, &r.geo)) < 0)
            goto done;
    }
    if (o.out_jsonl) {
        snprintf(r.json_part, sizeof(r.json_part), "%s.part", o.out_jsonl);
        r.json = fopen(r.json_part, "w");
        if (!r.json) {
            pa_log_error("app", "%s: cannot create: %s", o.out_jsonl, strerror(errno));
            ret = PA_EIO;
            goto done;
        }
    }
    ret = track_loop(&r, &n_frames, &n_found, &ms);
    if (ret == 0 && r.vw) {
        ret = pa_video_writer_finish(r.vw);
        r.vw = NULL;
    }
    if (r.json) {
        int bad = ferror(r.json) | (fclose(r.json) != 0);
        r.json = NULL;
        if (ret == 0 && bad) {
            pa_log_error("app", "%s: write failed (disk full?)", o.out_jsonl);
            ret = PA_EIO;
        }
        if (ret == 0 && rename(r.json_part, o.out_jsonl) != 0)
            ret = PA_EIO;
        if (ret < 0)
            remove(r.json_part);
    }
    if (ret == 0) {
        printf("%s: %lld frame(s), face found in %lld", o.input, (long long)n_frames,
               (long long)n_found);
        if (n_frames == 1 && r.st.found)
            printf(" (score %.3f, %d points, yaw %.1f pitch %.1f roll %.1f)", r.st.score,
                   r.st.n_points, r.st.pose.yaw, r.st.pose.pitch, r.st.pose.roll);
        else if (n_frames == 1)
            printf(" — no face in this image");
        else if (n_found == 0)
            printf(" — no face in any frame");
        printf("; %.2f ms/frame tracking\n", n_frames ? ms / (double)n_frames : 0.0);
    }
done:
    if (r.json) {
        fclose(r.json);
        remove(r.json_part);
    }
    pa_video_writer_abort(r.vw);
    pa_image_free(&r.canvas);
    pa_geometry_destroy(r.geo);
    pa_tracker_destroy(r.tr);
    pa_parallel_destroy(r.par);
    pa_source_close(r.src);
    /* The failing module already printed one line naming the file and the problem. */
    return ret < 0 ? 1 : 0;
}

const struct pa_cli_command pa_cmd_track = {
    .name = "track",
    .summary = "track face landmarks, head pose and expression in an image or video",
    .run = run,
};

/** @file
 * `panim live -s PORTRAIT -d DRIVER --output SPEC [--output SPEC ...]`: the streamer's
 * command. Capture -> track -> animate -> outputs on their own threads (app/pipeline.c).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/pipeline.h"
#include "core/log.h"

static struct pa_pipeline *volatile g_pipeline;

static void on_signal(int sig)
{
    (void)sig;
    if (g_pipeline)
        pa_pipeline_stop(g_pipeline);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: panim live -s PORTRAIT -d DRIVER --output SPEC [--output SPEC ...] [options]\n"
        "\n"
        "Animate PORTRAIT live from DRIVER and send the result to every output at once.\n"
        "\n"
        "DRIVER:  webcam | webcam:/dev/videoN | idle | a video file or URL | an image | a folder\n"
        "         (default: idle, the built-in procedural motion; no camera needed)\n"
        "SPEC:    window                 a window (keys: F fullscreen, O stats, L landmarks,\n"
        "                                S side-by-side, N/P next/previous portrait,\n"
        "                                C calibrate, Q quit)\n"
        "         v4l2:/dev/videoN       virtual camera for OBS/Zoom/Meet (v4l2loopback)\n"
        "         file:OUT.mp4|OUT.mkv   H.264 recording\n"
        "         stream:rtmp://...|srt://...  live stream\n"
        "         mjpeg:PORT             MJPEG over HTTP on 127.0.0.1:PORT (OBS browser source)\n"
        "         ndi:NAME               NDI sender (needs the NDI runtime)\n"
        "\n"
        "options:\n"
        "  -s, --portrait FILE     portrait image (repeat for several; N/P switch between them)\n"
        "  -d, --driver SRC        see DRIVER above\n"
        "  -o, --output SPEC       see SPEC above (repeatable, at least one)\n"
        "      --duration SEC      stop after SEC seconds\n"
        "      --frames N          stop after N output frames\n"
        "      --loop              loop a file driver\n"
        "      --offline           process every frame in order, as fast as possible (default\n"
        "                          when the driver is a file and every output is file:)\n"
        "      --realtime          pace file drivers in real time even for file outputs\n"
        "      --size WxH          output size (default: the first portrait's size)\n"
        "      --fps F             frame rate of idle/image drivers (default 30)\n"
        "      --watch DIR         switch to any new image that appears in DIR\n"
        "      --metrics-csv FILE  one row of metrics per second\n"
        "      --status SEC        status line every SEC seconds (0 = none, default 5)\n"
        "      --track-threads N, --anim-threads N   thread pools (sum <= cores)\n"
        "      --method mesh|affine2d|static, --absolute, --expr-scale S   animation\n"
        "      --models DIR        model folder (default: %s)\n"
        "\n"
        "Stop with Ctrl-C: outputs are flushed and files stay valid.\n",
        pa_cli_models_dir());
}

static int parse_size(const char *s, int *w, int *h)
{
    return sscanf(s, "%dx%d", w, h) == 2 && *w >= 16 && *h >= 16 && *w <= 8192 && *h <= 8192
               ? 0
               : PA_EINVAL;
}

static int parse(int argc, char **argv, struct pa_pipeline_opts *o, int *realtime)
{
    enum { O_DUR = 256, O_FRAMES, O_LOOP, O_OFFLINE, O_RT, O_SIZE, O_FPS, O_WATCH, O_CSV,
           O_STATUS, O_TT, O_AT, O_METHOD, O_ABS, O_EXPR, O_MODELS };
    static const struct option lo[] = {
        {"portrait", required_argument, 0, 's'}, {"driver", required_argument, 0, 'd'},
        {"output", required_argument, 0, 'o'}, {"duration", required_argument, 0, O_DUR},
        {"frames", required_argument, 0, O_FRAMES}, {"loop", no_argument, 0, O_LOOP},
        {"offline", no_argument, 0, O_OFFLINE}, {"realtime", no_argument, 0, O_RT},
        {"size", required_argument, 0, O_SIZE}, {"fps", required_argument, 0, O_FPS},
        {"watch", required_argument, 0, O_WATCH}, {"metrics-csv", required_argument, 0, O_CSV},
        {"status", required_argument, 0, O_STATUS},
        {"track-threads", required_argument, 0, O_TT},
        {"anim-threads", required_argument, 0, O_AT}, {"method", required_argument, 0, O_METHOD},
        {"absolute", no_argument, 0, O_ABS}, {"expr-scale", required_argument, 0, O_EXPR},
        {"models", required_argument, 0, O_MODELS}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    pa_pipeline_default_opts(o);
    o->models = pa_cli_models_dir();
    o->driver = "idle";
    int c, offline = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:d:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            if (o->n_portraits == PA_PIPELINE_MAX_PORTRAITS)
                return 2;
            o->portraits[o->n_portraits++] = optarg;
            break;
        case 'd': o->driver = optarg; break;
        case 'o':
            if (o->n_outputs == PA_PIPELINE_MAX_OUTPUTS) {
                fprintf(stderr, "panim live: at most %d outputs\n", PA_PIPELINE_MAX_OUTPUTS);
                return 2;
            }
            o->outputs[o->n_outputs++] = optarg;
            break;
        case O_DUR: o->duration = atof(optarg); break;
        case O_FRAMES: o->frames = atoll(optarg); break;
        case O_LOOP: o->loop = 1; break;
        case O_OFFLINE: offline = 1; break;
        case O_RT: *realtime = 1; offline = 0; break;
        case O_SIZE:
            if (parse_size(optarg, &o->out_w, &o->out_h) < 0) {
                fprintf(stderr, "panim live: --size must be WxH (16..8192)\n");
                return 2;
            }
            break;
        case O_FPS: o->fps = atof(optarg); break;
        case O_WATCH: o->watch_dir = optarg; break;
        case O_CSV: o->metrics_csv = optarg; break;
        case O_STATUS: o->status_every = atoi(optarg); break;
        case O_TT: o->track_threads = atoi(optarg); break;
        case O_AT: o->anim_threads = atoi(optarg); break;
        case O_METHOD:
            if (!strcmp(optarg, "mesh"))
                o->anim.method = PA_ANIM_MESH;
            else if (!strcmp(optarg, "affine2d"))
                o->anim.method = PA_ANIM_AFFINE2D;
            else if (!strcmp(optarg, "static"))
                o->anim.method = PA_ANIM_STATIC;
            else {
                fprintf(stderr, "panim live: --method must be mesh, affine2d or static\n");
                return 2;
            }
            break;
        case O_ABS: o->anim.absolute = 1; break;
        case O_EXPR: o->anim.expr_scale = (float)atof(optarg); break;
        case O_MODELS: o->models = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || o->n_portraits == 0 || o->n_outputs == 0) {
        fprintf(stderr, "panim live: needs -s PORTRAIT and at least one --output "
                        "(see 'panim live --help')\n");
        return 2;
    }
    if (!(o->fps > 0) || o->duration < 0 || o->frames < 0 || o->track_threads < 1 ||
        o->anim_threads < 1) {
        fprintf(stderr, "panim live: --fps > 0, --duration/--frames >= 0, threads >= 1\n");
        return 2;
    }
    if (offline < 0) {
        /* File in, files out: nothing is live, so keep every frame. */
        int all_files = 1;
        for (int i = 0; i < o->n_outputs; i++)
            all_files &= !strncmp(o->outputs[i], "file:", 5);
        int file_driver = strcmp(o->driver, "idle") && strncmp(o->driver, "webcam", 6);
        offline = all_files && (file_driver || o->duration > 0 || o->frames > 0);
    }
    o->offline = offline;
    return 0;
}

static int run(int argc, char **argv)
{
    struct pa_pipeline_opts o;
    int realtime = 0;
    int ret = parse(argc, argv, &o, &realtime);
    if (ret)
        return ret;
    if ((ret = pa_cli_check_models(o.models, o.track.landmarks)) < 0)
        return 1;
    struct pa_pipeline *pl = NULL;
    ret = pa_pipeline_create(&pl, &o);
    if (ret == 0) {
        g_pipeline = pl;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN); /* a vanished HTTP client must not kill the stream */
        signal(SIGXFSZ, SIG_IGN); /* a file-size limit fails that output's write, not us */
        ret = pa_pipeline_run(pl);
        g_pipeline = NULL;
        struct pa_pipeline_status st;
        pa_pipeline_get_status(pl, &st);
        printf("live: %lld frames out in %.1f s, dropped %lld, latency p95 %.1f ms, portrait "
               "switches %d ok / %d refused\n",
               (long long)st.frames_out, st.uptime_s, (long long)st.dropped, st.lat_p95,
               st.switches_ok, st.switches_failed);
    }
    pa_pipeline_destroy(pl);
    return ret < 0 ? 1 : 0;
}

const struct pa_cli_command pa_cmd_live = {
    .name = "live",
    .summary = "animate a portrait live from a webcam, video or idle motion to outputs",
    .run = run,
};

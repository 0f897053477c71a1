/** @file
 * `panim live -s PORTRAIT -d DRIVER --output SPEC [--output SPEC ...]`: the streamer's
 * command. Capture -> track -> animate -> outputs on their own threads (app/pipeline.c).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/config.h"
#include "app/control.h"
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

/* The control API talks to the pipeline through these (all safe while it runs). */
static void ctl_status(void *c, struct pa_pipeline_status *s)
{
    pa_pipeline_get_status(c, s);
}
static int ctl_switch(void *c, const char *p)
{
    return pa_pipeline_switch_portrait(c, p);
}
static void ctl_calibrate(void *c)
{
    pa_pipeline_calibrate(c);
}
static void ctl_get_params(void *c, struct pa_anim_params *a)
{
    pa_pipeline_get_params(c, a);
}
static void ctl_set_params(void *c, const struct pa_anim_params *a)
{
    pa_pipeline_set_params(c, a);
}
static const struct pa_control_ops k_ctl_ops = {ctl_status, ctl_switch, ctl_calibrate,
                                                ctl_get_params, ctl_set_params};

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a vanished HTTP client must not kill the stream */
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit fails that output's write, not us */
}

static int run(int argc, char **argv)
{
    struct pa_config *cfg = NULL;
    struct pa_live_opts o;
    struct pa_pipeline *pl = NULL;
    struct pa_control *ctl = NULL;
    int status = 1;
    if (pa_config_create(&cfg) < 0)
        return 1;
    int ret = pa_config_parse_args(cfg, &o, argc, argv);
    if (ret == PA_CONFIG_HELP) {
        usage(stdout);
        fputs("\nall options (also settable in a YAML --config file or with --set "
              "section.key=value; see docs/CONFIG.md):\n",
              stdout);
        pa_config_print_flags(stdout);
        status = 0;
        goto done;
    }
    status = 2;
    if (ret < 0)
        goto done;
    if (!o.pl.models)
        o.pl.models = pa_cli_models_dir();
    if (pa_config_finish(&o, PA_CONFIG_NEED_IO) < 0)
        goto done;
    status = 1;
    if (pa_cli_check_models(o.pl.models, o.pl.track.landmarks) < 0)
        goto done;
    if (pa_pipeline_create(&pl, &o.pl) < 0)
        goto done;
    if (o.ctl.port > 0 && pa_control_start(&ctl, &o.ctl, &k_ctl_ops, pl) < 0)
        goto done;
    if (ctl)
        fprintf(stderr, "live: control API on http://%s:%d/status\n",
                o.ctl.bind ? o.ctl.bind : "127.0.0.1", pa_control_port(ctl));
    g_pipeline = pl;
    install_signals();
    ret = pa_pipeline_run(pl);
    g_pipeline = NULL;
    pa_control_stop(ctl);
    ctl = NULL;
    struct pa_pipeline_status st;
    pa_pipeline_get_status(pl, &st);
    printf("live: %lld frames out in %.1f s, dropped %lld, latency p95 %.1f ms, max frame gap "
           "%.1f ms, portrait switches %d ok / %d refused\n",
           (long long)st.frames_out, st.uptime_s, (long long)st.dropped, st.lat_p95,
           st.max_gap_ms, st.switches_ok, st.switches_failed);
    status = ret < 0 ? 1 : 0;
done:
    pa_control_stop(ctl);
    pa_pipeline_destroy(pl);
    pa_config_destroy(cfg); /* last: the option strings live in cfg */
    return status;
}

const struct pa_cli_command pa_cmd_live = {
    .name = "live",
    .summary = "animate a portrait live from a webcam, video or idle motion to outputs",
    .run = run,
};

/** @file
 * `panim devices`: the V4L2 cameras this machine has, with what each can send (format, frame
 * sizes, frame rates), the mode `-d webcam` would pick, and any v4l2loopback virtual cameras.
 * No camera is not an error: "no cameras found", exit 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "core/mem.h"
#include "io/v4l2_dev.h"
#include "io/v4l2_util.h"

#define MAX_DEVICES 32

static const char g_usage[] =
    "usage: panim devices [--all]\n"
    "\n"
    "List the webcams (V4L2 capture devices, /dev/video*) with their card name, driver,\n"
    "and every pixel format, frame size and frame rate they offer. The mode marked '*' is\n"
    "what `panim live -d webcam` picks for the default request (1280x720 at 30 fps).\n"
    "v4l2loopback virtual cameras are listed separately.\n"
    "\n"
    "options:\n"
    "  --all    also list /dev/video* nodes that are not capture devices (metadata nodes,\n"
    "           encoders, ...)\n";

static void print_rates(const struct pa_v4l2_devinfo *d, int first, int chosen)
{
    const struct pa_v4l2_mode *m0 = &d->modes[first];
    char cc[8];
    printf("    %-5s %5dx%-5d ", pa_v4l2_fourcc_name(m0->fourcc, cc), m0->w, m0->h);
    const char *sep = "";
    for (int i = first; i < d->n_modes; i++) {
        const struct pa_v4l2_mode *m = &d->modes[i];
        if (m->fourcc != m0->fourcc || m->w != m0->w || m->h != m0->h)
            continue;
        if (m->fps > 0)
            printf("%s%.4g%s", sep, m->fps, i == chosen ? "*" : "");
        else
            printf("%s? fps%s", sep, i == chosen ? "*" : "");
        sep = ", ";
    }
    printf(" fps\n");
}

/* One line per (format, size), listing its rates; keeps the driver's order. */
static void print_modes(const struct pa_v4l2_devinfo *d)
{
    int chosen = pa_v4l2_choose_mode(d->modes, d->n_modes, 0, 0, 0);
    for (int i = 0; i < d->n_modes; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            seen = d->modes[j].fourcc == d->modes[i].fourcc && d->modes[j].w == d->modes[i].w &&
                   d->modes[j].h == d->modes[i].h;
        }
        if (!seen)
            print_rates(d, i, chosen);
    }
    if (d->n_modes == 0)
        printf("    (the driver lists no formats)\n");
    else if (chosen < 0)
        printf("    none of these formats can be read by panim (MJPEG, YUYV, NV12, YU12)\n");
    if (d->n_modes >= PA_V4L2_MAX_MODES)
        printf("    (list truncated at %d modes)\n", PA_V4L2_MAX_MODES);
}

static int run(int argc, char **argv)
{
    int all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(g_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--all")) {
            all = 1;
            continue;
        }
        fprintf(stderr, "panim devices: unknown option '%s'\n%s", argv[i], g_usage);
        return 2;
    }
    struct pa_v4l2_devinfo *devs = pa_calloc(MAX_DEVICES, sizeof(*devs));
    if (!devs) {
        fprintf(stderr, "panim devices: out of memory\n");
        return 1;
    }
    int n = pa_v4l2_list(devs, MAX_DEVICES, 1), cameras = 0, loops = 0, denied = 0;
    for (int i = 0; i < n; i++) {
        const struct pa_v4l2_devinfo *d = &devs[i];
        if (d->open_errno) {
            denied += d->open_errno == EACCES || d->open_errno == EPERM;
            if (all || d->open_errno == EACCES || d->open_errno == EPERM)
                printf("%s  cannot open: %s\n", d->path, strerror(d->open_errno));
            continue;
        }
        if (d->loopback) {
            loops++;
            continue;
        }
        if (!d->capture) {
            if (all)
                printf("%s  %s (%s): not a capture device\n", d->path, d->card, d->driver);
            continue;
        }
        printf("%s%s  %s (%s, %s)\n", cameras ? "\n" : "", d->path, d->card, d->driver, d->bus);
        print_modes(d);
        cameras++;
    }
    if (!cameras)
        printf("no cameras found\n");
    if (denied)
        printf("note: %d device(s) could not be opened: add your user to the 'video' group "
               "(sudo usermod -aG video $USER, then log in again)\n",
               denied);
    if (loops) {
        printf("\nvirtual cameras (v4l2loopback; panim writes to these with "
               "--output v4l2:DEVICE):\n");
        for (int i = 0; i < n; i++) {
            if (!devs[i].open_errno && devs[i].loopback)
                printf("  %s  %s%s\n", devs[i].path, devs[i].card,
                       devs[i].capture ? " (a program is writing to it)" : "");
        }
    }
    pa_free(devs);
    return 0;
}

const struct pa_cli_command pa_cmd_devices = {
    .name = "devices",
    .summary = "list webcams (V4L2) with their formats, sizes and frame rates",
    .run = run,
};

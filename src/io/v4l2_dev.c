/** @file
 * V4L2 device discovery (/dev/videoN, VIDIOC_QUERYCAP), mode enumeration and mode choice.
 *
 * Mode choice digest. For a request of W×H at F fps (default 1280×720 at 30), every mode
 * with a decodable format gets a cost, lowest wins:
 *   size  |ln(area / W·H)| + |ln(aspect / (W/H))| + 0.5 when narrower or shorter than asked
 *   rate  0 when fps >= 0.95 F; else 2·ln(F / fps) (720p at 10 fps costs 2.2, more than
 *         the 1.9 of 640x480 at 30: a live driver needs frames more than pixels); 0.1 when
 *         the driver does not say
 * Ties (equal cost within 1e-6) go to the preferred format, then to the rate nearest F, then
 * to the larger frame. Format preference: for requests of 720p30 and more, MJPEG first (USB2
 * cannot carry raw 720p30: 1280·720·2·30 = 55 MB/s, so cameras list YUYV 720p at 10 fps or
 * less), then YUYV, NV12, YU12; below that the raw formats first (no decode, no JPEG
 * artefacts), MJPEG last.
 */
#include "io/v4l2_dev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "core/pa_common.h"
#include "io/v4l2_util.h"
#include "panim.h"

static void copy_str(char *dst, size_t n, const uint8_t *src, size_t src_n)
{
    size_t len = strnlen((const char *)src, src_n);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
}

int pa_v4l2_fourcc_supported(uint32_t fourcc)
{
    return fourcc == V4L2_PIX_FMT_MJPEG || fourcc == V4L2_PIX_FMT_JPEG ||
           fourcc == V4L2_PIX_FMT_YUYV || fourcc == V4L2_PIX_FMT_NV12 ||
           fourcc == V4L2_PIX_FMT_YUV420;
}

/* ---- enumeration ------------------------------------------------------------------------ */

static const int k_sizes[][2] = {{320, 240},   {640, 360},  {640, 480},  {800, 600},
                                 {1024, 576},  {1280, 720}, {1280, 960}, {1920, 1080},
                                 {2560, 1440}, {3840, 2160}};
static const double k_rates[] = {5, 10, 15, 20, 24, 25, 30, 50, 60, 90, 120};

struct mode_list {
    struct pa_v4l2_mode *m;
    int n, max;
};

static void add_mode(struct mode_list *l, uint32_t fourcc, int w, int h, double fps)
{
    for (int i = 0; i < l->n; i++) {
        const struct pa_v4l2_mode *o = &l->m[i];
        if (o->fourcc == fourcc && o->w == w && o->h == h && fabs(o->fps - fps) < 1e-3)
            return;
    }
    if (l->n < l->max)
        l->m[l->n++] = (struct pa_v4l2_mode){fourcc, w, h, fps};
}

static double interval_fps(const struct v4l2_fract *f)
{
    return f->numerator ? (double)f->denominator / f->numerator : 0.0;
}

/* Rates of one (format, size): discrete list, or samples of a stepwise/continuous range. */
static void add_rates(int fd, struct mode_list *l, uint32_t fourcc, int w, int h)
{
    struct v4l2_frmivalenum iv = {
        .index = 0, .pixel_format = fourcc, .width = (uint32_t)w, .height = (uint32_t)h};
    int any = 0;
    while (pa_xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) == 0) {
        if (iv.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            add_mode(l, fourcc, w, h, interval_fps(&iv.discrete));
            any = 1;
            iv.index++;
            continue;
        }
        /* Stepwise or continuous: min interval = max rate. */
        double hi = interval_fps(&iv.stepwise.min), lo = interval_fps(&iv.stepwise.max);
        for (size_t i = 0; i < PA_ARRAY_SIZE(k_rates); i++) {
            if (k_rates[i] >= lo - 1e-6 && k_rates[i] <= hi + 1e-6)
                add_mode(l, fourcc, w, h, k_rates[i]);
        }
        if (hi > 0)
            add_mode(l, fourcc, w, h, hi);
        any = 1;
        break;
    }
    if (!any)
        add_mode(l, fourcc, w, h, 0.0);
}

static int in_range(int v, uint32_t lo, uint32_t hi, uint32_t step)
{
    if (v < (int64_t)lo || v > (int64_t)hi)
        return 0;
    return step <= 1 || ((uint32_t)v - lo) % step == 0;
}

int pa_v4l2_enum_modes(int fd, struct pa_v4l2_mode *modes, int max)
{
    struct mode_list l = {modes, 0, max};
    struct v4l2_fmtdesc fd_desc = {.index = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    for (; pa_xioctl(fd, VIDIOC_ENUM_FMT, &fd_desc) == 0; fd_desc.index++) {
        uint32_t cc = fd_desc.pixelformat;
        if (fd_desc.flags & V4L2_FMT_FLAG_EMULATED)
            continue; /* libv4l's software conversions: not what the device sends */
        struct v4l2_frmsizeenum fs = {.index = 0, .pixel_format = cc};
        int any = 0;
        while (pa_xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) == 0) {
            any = 1;
            if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                add_rates(fd, &l, cc, (int)fs.discrete.width, (int)fs.discrete.height);
                fs.index++;
                continue;
            }
            const struct v4l2_frmsize_stepwise *s = &fs.stepwise;
            for (size_t i = 0; i < PA_ARRAY_SIZE(k_sizes); i++) {
                if (in_range(k_sizes[i][0], s->min_width, s->max_width, s->step_width) &&
                    in_range(k_sizes[i][1], s->min_height, s->max_height, s->step_height))
                    add_rates(fd, &l, cc, k_sizes[i][0], k_sizes[i][1]);
            }
            add_rates(fd, &l, cc, (int)s->max_width, (int)s->max_height);
            break;
        }
        if (!any) {
            /* No size enumeration (some loopback and old drivers): take the current size. */
            struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
            if (pa_xioctl(fd, VIDIOC_G_FMT, &f) == 0 && f.fmt.pix.pixelformat == cc)
                add_rates(fd, &l, cc, (int)f.fmt.pix.width, (int)f.fmt.pix.height);
        }
    }
    return l.n;
}

int pa_v4l2_query(const char *path, struct pa_v4l2_devinfo *info, int with_modes)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->path, sizeof(info->path), "%s", path);
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        info->open_errno = errno;
        return errno == ENOENT || errno == ENODEV || errno == ENXIO ? PA_ENOENT : PA_EIO;
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof(cap));
    if (pa_xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
        info->open_errno = errno;
        close(fd);
        return PA_EIO;
    }
    copy_str(info->card, sizeof(info->card), cap.card, sizeof(cap.card));
    copy_str(info->driver, sizeof(info->driver), cap.driver, sizeof(cap.driver));
    copy_str(info->bus, sizeof(info->bus), cap.bus_info, sizeof(cap.bus_info));
    info->caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    info->capture = (info->caps & V4L2_CAP_VIDEO_CAPTURE) && (info->caps & V4L2_CAP_STREAMING);
    info->output = !!(info->caps & V4L2_CAP_VIDEO_OUTPUT);
    info->loopback = !strcmp(info->driver, "v4l2 loopback");
    if (with_modes && (info->caps & V4L2_CAP_VIDEO_CAPTURE))
        info->n_modes = pa_v4l2_enum_modes(fd, info->modes, PA_V4L2_MAX_MODES);
    close(fd);
    return 0;
}

static int video_filter(const struct dirent *d)
{
    int n, end = 0;
    return sscanf(d->d_name, "video%d%n", &n, &end) == 1 && d->d_name[end] == 0 && n >= 0;
}

static int video_cmp(const struct dirent **a, const struct dirent **b)
{
    return atoi((*a)->d_name + 5) - atoi((*b)->d_name + 5);
}

int pa_v4l2_list(struct pa_v4l2_devinfo *info, int max, int with_modes)
{
    struct dirent **names = NULL;
    int n = scandir("/dev", &names, video_filter, video_cmp);
    if (n < 0)
        return 0;
    int out = 0;
    for (int i = 0; i < n; i++) {
        if (out < max) {
            char path[32];
            snprintf(path, sizeof(path), "/dev/%.20s", names[i]->d_name);
            if (pa_v4l2_query(path, &info[out], with_modes) != PA_ENOENT)
                out++;
        }
        free(names[i]); /* scandir's own malloc */
    }
    free(names);
    return out;
}

int pa_v4l2_find_camera(char *path, size_t n)
{
    struct dirent **names = NULL;
    int count = scandir("/dev", &names, video_filter, video_cmp), found = 0;
    for (int i = 0; i < count; i++) {
        if (!found) {
            struct pa_v4l2_devinfo info; /* without modes: only the header is filled */
            char p[32];
            snprintf(p, sizeof(p), "/dev/%.20s", names[i]->d_name);
            if (pa_v4l2_query(p, &info, 0) == 0 && info.capture && !info.loopback) {
                snprintf(path, n, "%s", p);
                found = 1;
            }
        }
        free(names[i]);
    }
    free(names);
    return found ? 0 : PA_ENOENT;
}

/* ---- choice ----------------------------------------------------------------------------- */

static int format_rank(uint32_t cc, int hd)
{
    static const uint32_t raw[] = {V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420};
    if (cc == V4L2_PIX_FMT_MJPEG || cc == V4L2_PIX_FMT_JPEG)
        return hd ? 0 : 3;
    for (int i = 0; i < 3; i++) {
        if (cc == raw[i])
            return hd ? i + 1 : i;
    }
    return 9;
}

static double mode_cost(const struct pa_v4l2_mode *m, int w, int h, double fps)
{
    double size = fabs(log((double)m->w * m->h / ((double)w * h))) +
                  fabs(log((double)m->w / m->h * h / w)) + (m->w < w || m->h < h ? 0.5 : 0.0);
    double rate = m->fps <= 0 ? 0.1 : m->fps >= 0.95 * fps ? 0.0 : 2.0 * log(fps / m->fps);
    return size + rate;
}

int pa_v4l2_choose_mode(const struct pa_v4l2_mode *modes, int n, int want_w, int want_h,
                        double want_fps)
{
    if (want_w <= 0 || want_h <= 0) {
        want_w = 1280;
        want_h = 720;
    }
    if (!(want_fps > 0))
        want_fps = 30.0;
    int hd = (int64_t)want_w * want_h >= 1280 * 720 && want_fps >= 29.0;
    int best = PA_EUNSUPPORTED;
    double best_cost = 0;
    for (int i = 0; i < n; i++) {
        const struct pa_v4l2_mode *m = &modes[i];
        if (!pa_v4l2_fourcc_supported(m->fourcc) || m->w <= 0 || m->h <= 0)
            continue;
        double c = mode_cost(m, want_w, want_h, want_fps);
        if (best >= 0) {
            const struct pa_v4l2_mode *b = &modes[best];
            if (c > best_cost + 1e-6)
                continue;
            if (c > best_cost - 1e-6) { /* a tie: format, then nearest rate, then bigger */
                int rm = format_rank(m->fourcc, hd), rb = format_rank(b->fourcc, hd);
                if (rm != rb) {
                    if (rm > rb)
                        continue;
                } else {
                    double dm = fabs(m->fps - want_fps), db = fabs(b->fps - want_fps);
                    if (dm > db + 1e-6 || (dm > db - 1e-6 && m->w * m->h <= b->w * b->h))
                        continue;
                }
            }
        }
        best = i;
        best_cost = c;
    }
    return best;
}

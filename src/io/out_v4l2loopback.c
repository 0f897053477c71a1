/** @file
 * Virtual camera output through the v4l2loopback kernel module ("v4l2:/dev/videoN", with an
 * optional ":yuyv" (default) or ":rgb24" suffix). OBS, browsers, Zoom and Meet then see a
 * camera named after the module's card_label.
 *
 * The loopback protocol is the plain write() one: open the device write-only, set the
 * OUTPUT format once with VIDIOC_S_FMT, then write() one whole frame (sizeimage bytes) per
 * call. The module hands each frame to whichever readers are attached and never blocks for
 * long. YUYV is the default because every consumer (browsers in particular) accepts it; the
 * conversion is BT.601 limited range (v4l2_util.c), the colorimetry webcams use.
 *
 * With exclusive_caps=1 the device only advertises CAPTURE after a writer has set a format,
 * which is what Chrome needs to list it; a reader already attached with another format makes
 * S_FMT return a different size, which we report rather than write garbage.
 */
#include "io/output.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "io/v4l2_util.h"

#define LOOPBACK_DRIVER "v4l2 loopback"

struct v4l2_out {
    char path[256];
    int fd;
    int w, h; ///< frame size written (w even for YUYV)
    uint32_t fourcc;
    size_t size;   ///< bytes per frame (sizeimage)
    size_t stride; ///< bytes per row in buf
    uint8_t *buf;  ///< one converted frame, allocated at open
};

/* The N of /dev/videoN for the modprobe hint; 10 when the path does not end in digits. */
static int video_nr(const char *path)
{
    size_t n = strlen(path), i = n;
    while (i > 0 && path[i - 1] >= '0' && path[i - 1] <= '9')
        i--;
    if (i == n || n - i > 3)
        return 10;
    return atoi(path + i);
}

static int parse_arg(struct v4l2_out *s, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    size_t n = strlen(arg);
    s->fourcc = V4L2_PIX_FMT_YUYV;
    if (colon) {
        if (strcmp(colon + 1, "rgb24") == 0) {
            s->fourcc = V4L2_PIX_FMT_RGB24;
        } else if (strcmp(colon + 1, "yuyv") != 0) {
            pa_log_error("io", "v4l2:%s: unknown pixel format '%s' (use yuyv or rgb24)", arg,
                         colon + 1);
            return PA_EINVAL;
        }
        n = (size_t)(colon - arg);
    }
    if (n == 0 || n >= sizeof(s->path)) {
        pa_log_error("io", "v4l2: give the loopback device, e.g. v4l2:/dev/video10");
        return PA_EINVAL;
    }
    memcpy(s->path, arg, n);
    s->path[n] = 0;
    return 0;
}

static void log_modprobe(const char *path)
{
    int n = video_nr(path);
    pa_log_error("io",
                 "v4l2: %s not found: load the virtual camera with `sudo modprobe v4l2loopback "
                 "devices=1 video_nr=%d card_label=panim exclusive_caps=1`",
                 path, n);
}

/* Open and check that the device is a loopback output. */
static int open_device(struct v4l2_out *s)
{
    s->fd = open(s->path, O_WRONLY | O_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENXIO || e == ENODEV) {
            log_modprobe(s->path);
            return PA_ENOENT;
        }
        pa_log_error("io", "v4l2: %s: cannot open: %s%s", s->path, strerror(e),
                     e == EACCES ? " (add yourself to the 'video' group)" : "");
        return PA_EIO;
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof(cap));
    int is_v4l2 = pa_xioctl(s->fd, VIDIOC_QUERYCAP, &cap) == 0;
    uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    cap.driver[sizeof(cap.driver) - 1] = 0;
    if (!is_v4l2 || strcmp((const char *)cap.driver, LOOPBACK_DRIVER) != 0 ||
        !(caps & V4L2_CAP_VIDEO_OUTPUT)) {
        char what[64];
        if (is_v4l2)
            snprintf(what, sizeof(what), "a \"%s\" device", (const char *)cap.driver);
        else
            snprintf(what, sizeof(what), "not a V4L2 device");
        pa_log_error("io",
                     "v4l2: %s is %s, not a v4l2loopback output: load the virtual camera with "
                     "`sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=panim "
                     "exclusive_caps=1` and use v4l2:/dev/video10",
                     s->path, what);
        return PA_EINVAL;
    }
    return 0;
}

static int set_format(struct v4l2_out *s, double fps)
{
    struct v4l2_format f;
    memset(&f, 0, sizeof(f));
    f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    f.fmt.pix.width = (uint32_t)s->w;
    f.fmt.pix.height = (uint32_t)s->h;
    f.fmt.pix.pixelformat = s->fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    f.fmt.pix.bytesperline = (uint32_t)s->stride;
    f.fmt.pix.sizeimage = (uint32_t)s->size;
    if (s->fourcc == V4L2_PIX_FMT_YUYV) {
        f.fmt.pix.colorspace = V4L2_COLORSPACE_SMPTE170M;
        f.fmt.pix.ycbcr_enc = V4L2_YCBCR_ENC_601;
        f.fmt.pix.quantization = V4L2_QUANTIZATION_LIM_RANGE;
    } else {
        f.fmt.pix.colorspace = V4L2_COLORSPACE_SRGB;
    }
    char a[8], b[8];
    if (pa_xioctl(s->fd, VIDIOC_S_FMT, &f) < 0) {
        pa_log_error("io", "v4l2: %s: cannot set %dx%d %s: %s", s->path, s->w, s->h,
                     pa_v4l2_fourcc_name(s->fourcc, a), strerror(errno));
        return PA_EIO;
    }
    if ((int)f.fmt.pix.width != s->w || (int)f.fmt.pix.height != s->h ||
        f.fmt.pix.pixelformat != s->fourcc) {
        pa_log_error("io",
                     "v4l2: %s: asked for %dx%d %s, the device keeps %ux%u %s (a reader is "
                     "attached with another format: close it, or reload the module)",
                     s->path, s->w, s->h, pa_v4l2_fourcc_name(s->fourcc, a), f.fmt.pix.width,
                     f.fmt.pix.height, pa_v4l2_fourcc_name(f.fmt.pix.pixelformat, b));
        return PA_EINVAL;
    }
    if (f.fmt.pix.bytesperline >= s->stride && f.fmt.pix.sizeimage >= s->size) {
        s->stride = f.fmt.pix.bytesperline;
        s->size = f.fmt.pix.sizeimage;
    }
    /* The frame rate is advisory (readers see it in VIDIOC_G_PARM); older modules reject it. */
    struct v4l2_streamparm parm;
    memset(&parm, 0, sizeof(parm));
    parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    parm.parm.output.timeperframe.numerator = 1000;
    parm.parm.output.timeperframe.denominator = (uint32_t)(fps * 1000.0 + 0.5);
    if (pa_xioctl(s->fd, VIDIOC_S_PARM, &parm) < 0)
        pa_log_debug("io", "v4l2: %s: VIDIOC_S_PARM: %s (ignored)", s->path, strerror(errno));
    return 0;
}

static int v4l2_close(void *state);

static int v4l2_open(void **state, const char *arg, const struct pa_output_params *p)
{
    struct v4l2_out *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    s->fd = -1;
    int ret = parse_arg(s, arg);
    if (ret < 0)
        goto fail;
    /* YUYV pairs pixels: an odd last column is dropped, as the H.264 writer does. */
    s->w = s->fourcc == V4L2_PIX_FMT_YUYV ? p->width & ~1 : p->width;
    s->h = p->height;
    if (s->w < 2 || s->h < 1) {
        ret = PA_EINVAL;
        goto fail;
    }
    s->stride = (size_t)s->w * (s->fourcc == V4L2_PIX_FMT_YUYV ? 2 : 3);
    if ((ret = pa_size_mul(s->stride, (size_t)s->h, &s->size)) < 0)
        goto fail;
    if ((ret = open_device(s)) < 0 || (ret = set_format(s, p->fps > 0 ? p->fps : 30.0)) < 0)
        goto fail;
    s->buf = pa_calloc(1, s->size);
    if (!s->buf) {
        ret = PA_ENOMEM;
        goto fail;
    }
    pa_log_info("io", "v4l2: writing %dx%d %s to %s", s->w, s->h,
                s->fourcc == V4L2_PIX_FMT_YUYV ? "YUYV" : "RGB24", s->path);
    *state = s;
    return 0;
fail:
    v4l2_close(s);
    return ret;
}

static int v4l2_write(void *state, const struct pa_image *frame, const struct pa_output_info *info)
{
    struct v4l2_out *s = state;
    (void)info;
    if (frame->fmt != PA_PIX_RGB24 || frame->w < s->w || frame->h != s->h)
        return PA_EINVAL;
    for (int y = 0; y < s->h; y++) {
        const uint8_t *src = frame->data + (size_t)y * (size_t)frame->stride;
        uint8_t *dst = s->buf + (size_t)y * s->stride;
        if (s->fourcc == V4L2_PIX_FMT_YUYV)
            pa_v4l2_rgb24_to_yuyv_row(src, dst, s->w);
        else
            memcpy(dst, src, (size_t)s->w * 3);
    }
    size_t done = 0;
    while (done < s->size) {
        ssize_t n = write(s->fd, s->buf + done, s->size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* ENODEV: the module was unloaded under us; the pipeline drops this output. */
            pa_log_error("io", "v4l2: %s: write failed: %s", s->path,
                         n < 0 ? strerror(errno) : "device accepted nothing");
            return PA_EIO;
        }
        done += (size_t)n;
    }
    return 0;
}

static int v4l2_close(void *state)
{
    struct v4l2_out *s = state;
    if (!s)
        return 0;
    if (s->fd >= 0)
        close(s->fd);
    pa_free(s->buf);
    pa_free(s);
    return 0;
}

const struct pa_output_ops pa_output_v4l2_ops = {
    .prefix = "v4l2",
    .open = v4l2_open,
    .write = v4l2_write,
    .close = v4l2_close,
};

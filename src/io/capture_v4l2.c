/** @file
 * V4L2 webcam capture ("webcam" = the first camera, "webcam:/dev/videoN", "/dev/videoN"):
 * mmap streaming in the way of GStreamer's v4l2src, minus everything a webcam does not need.
 *
 * open:  QUERYCAP (single-planar capture + streaming) → enumerate modes and choose one
 *        (v4l2_dev.c) → S_FMT (the driver may adjust: its answer is what we use) →
 *        S_PARM for the rate when the driver supports it → REQBUFS 4 mmap buffers → QBUF all
 *        → STREAMON. The RGB24 frame and, for MJPEG, the Huffman-fix scratch are allocated
 *        here, once.
 * read:  poll() up to 2 s (nothing: PA_EAGAIN) → DQBUF → convert (YUYV/NV12/YU12 in
 *        core/pixfmt.c; MJPEG through pa_image_decode after inserting the default Huffman
 *        tables when the frame has none) → QBUF the buffer back, whatever happened.
 *        Unplugging shows up as POLLERR or ENODEV/EIO from DQBUF: PA_EIO with one line, and
 *        the pipeline reopens. A frame the driver flags as corrupt, or a JPEG that does not
 *        decode (common in the first frames after STREAMON), is skipped with PA_EAGAIN.
 * Timestamps: V4L2 stamps buffers with CLOCK_MONOTONIC at capture (the
 * TIMESTAMP_MONOTONIC flag), the same clock as pa_capture_now_ns(), so that is the latency
 * origin; drivers without the flag get the dequeue time.
 *
 * Per frame this allocates nothing for raw formats; MJPEG decoding allocates the decoded
 * image inside pa_image_decode (libjpeg-turbo allocates per decode anyway).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pixfmt.h"
#include "io/capture.h"
#include "io/v4l2_dev.h"
#include "io/v4l2_util.h"

#define N_BUFFERS 4
#define POLL_TIMEOUT_MS 2000

struct v4l2_buf {
    void *start;
    size_t length;
};

struct v4l2_state {
    int fd;
    char path[64];
    enum pa_rawfmt fmt;
    int w, h, stride;
    size_t frame_bytes; ///< bytes a raw frame needs (0 for MJPEG)
    double fps;
    struct v4l2_buf bufs[N_BUFFERS];
    int n_bufs;
    int streaming;
    struct pa_image rgb; ///< the frame handed out (allocated at open)
    uint8_t *jpeg;       ///< MJPEG with the default Huffman tables inserted
    size_t jpeg_cap;
    int64_t t0_ns, seq;
    int bad_frames; ///< corrupt frames since the last good one (logged once per run)
};

static int v4l2_probe(const char *uri)
{
    return uri && (!strcmp(uri, "webcam") || !strncmp(uri, "webcam:", 7) ||
                   !strncmp(uri, "/dev/video", 10));
}

static void v4l2_close(void *state)
{
    struct v4l2_state *s = state;
    if (!s)
        return;
    if (s->streaming) {
        enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        pa_xioctl(s->fd, VIDIOC_STREAMOFF, &type);
    }
    for (int i = 0; i < s->n_bufs; i++) {
        if (s->bufs[i].start && s->bufs[i].start != MAP_FAILED)
            munmap(s->bufs[i].start, s->bufs[i].length);
    }
    if (s->fd >= 0) {
        struct v4l2_requestbuffers rb = {
            .count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        pa_xioctl(s->fd, VIDIOC_REQBUFS, &rb); /* release the driver's buffers */
        close(s->fd);
    }
    pa_image_free(&s->rgb);
    pa_free(s->jpeg);
    pa_free(s);
}

/* Resolve the URI to a device path. */
static int resolve_path(const char *uri, char *path, size_t n)
{
    if (!strcmp(uri, "webcam")) {
        if (pa_v4l2_find_camera(path, n) < 0) {
            pa_log_error("io", "webcam: no camera found (no V4L2 capture device in "
                               "/dev/video*); run 'panim devices', or use a video file or "
                               "'idle' as the driver");
            return PA_ENOENT;
        }
        return 0;
    }
    const char *p = !strncmp(uri, "webcam:", 7) ? uri + 7 : uri;
    if (!*p || strlen(p) >= n) {
        pa_log_error("io", "%s: expected webcam:/dev/videoN", uri);
        return PA_EINVAL;
    }
    snprintf(path, n, "%s", p);
    return 0;
}

/* Choose, then set, the format and rate. */
static int negotiate(struct v4l2_state *s, const struct pa_capture_params *p)
{
    struct pa_v4l2_mode *modes = pa_calloc(PA_V4L2_MAX_MODES, sizeof(*modes));
    if (!modes)
        return PA_ENOMEM;
    int n = pa_v4l2_enum_modes(s->fd, modes, PA_V4L2_MAX_MODES);
    int best = pa_v4l2_choose_mode(modes, n, p->width, p->height, p->fps);
    struct pa_v4l2_mode m = best >= 0 ? modes[best] : (struct pa_v4l2_mode){0};
    pa_free(modes);
    if (best < 0) {
        pa_log_error("io",
                     "%s: the camera offers no format panim reads (MJPEG, YUYV, NV12, "
                     "YU12); see 'panim devices'",
                     s->path);
        return PA_EUNSUPPORTED;
    }
    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    f.fmt.pix.width = (uint32_t)m.w;
    f.fmt.pix.height = (uint32_t)m.h;
    f.fmt.pix.pixelformat = m.fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    char cc[8];
    if (pa_xioctl(s->fd, VIDIOC_S_FMT, &f) < 0) {
        pa_log_error("io", "%s: cannot set %s %dx%d: %s", s->path,
                     pa_v4l2_fourcc_name(m.fourcc, cc), m.w, m.h, strerror(errno));
        return errno == EBUSY ? PA_EIO : PA_EUNSUPPORTED;
    }
    int fmt = pa_rawfmt_from_fourcc(f.fmt.pix.pixelformat);
    if (fmt < 0 || f.fmt.pix.width == 0 || f.fmt.pix.height == 0 || f.fmt.pix.width > 16384 ||
        f.fmt.pix.height > 16384) {
        pa_log_error("io", "%s: the driver answered %s %ux%u, which panim cannot read", s->path,
                     pa_v4l2_fourcc_name(f.fmt.pix.pixelformat, cc), f.fmt.pix.width,
                     f.fmt.pix.height);
        return PA_EUNSUPPORTED;
    }
    s->fmt = (enum pa_rawfmt)fmt;
    s->w = (int)f.fmt.pix.width;
    s->h = (int)f.fmt.pix.height;
    uint32_t bpl = f.fmt.pix.bytesperline;
    if (bpl == 0) /* some drivers leave it 0 for packed formats: then rows are tight */
        bpl = s->fmt == PA_RAWFMT_YUYV ? 2 * f.fmt.pix.width : f.fmt.pix.width;
    s->stride = bpl > (uint32_t)INT32_MAX ? 0 : (int)bpl;
    if (pa_rawfmt_frame_size(s->fmt, s->w, s->h, s->stride, &s->frame_bytes) < 0) {
        pa_log_error("io", "%s: the driver answered a bad row size (%u bytes for %d pixels)",
                     s->path, bpl, s->w);
        return PA_EUNSUPPORTED;
    }

    s->fps = m.fps;
    struct v4l2_streamparm sp = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    if (m.fps > 0 && pa_xioctl(s->fd, VIDIOC_G_PARM, &sp) == 0 &&
        (sp.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
        sp.parm.capture.timeperframe.numerator = 1000;
        sp.parm.capture.timeperframe.denominator = (uint32_t)lround(m.fps * 1000.0);
        if (pa_xioctl(s->fd, VIDIOC_S_PARM, &sp) < 0)
            pa_log_warn("io", "%s: cannot set %.4g fps: %s", s->path, m.fps, strerror(errno));
        else if (sp.parm.capture.timeperframe.numerator)
            s->fps = (double)sp.parm.capture.timeperframe.denominator /
                     sp.parm.capture.timeperframe.numerator;
    }
    pa_log_info("io", "%s: %s %dx%d at %.4g fps", s->path, pa_rawfmt_name(s->fmt), s->w, s->h,
                s->fps);
    return 0;
}

static int start_streaming(struct v4l2_state *s)
{
    struct v4l2_requestbuffers rb = {
        .count = N_BUFFERS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (pa_xioctl(s->fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 2) {
        pa_log_error("io", "%s: cannot get mmap buffers: %s", s->path,
                     rb.count < 2 ? "fewer than 2" : strerror(errno));
        return PA_EIO;
    }
    s->n_bufs = (int)PA_MIN(rb.count, (uint32_t)N_BUFFERS);
    for (int i = 0; i < s->n_bufs; i++) {
        struct v4l2_buffer b = {
            .index = (uint32_t)i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        if (pa_xioctl(s->fd, VIDIOC_QUERYBUF, &b) < 0)
            goto fail_errno;
        s->bufs[i].length = b.length;
        s->bufs[i].start =
            mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, (off_t)b.m.offset);
        if (s->bufs[i].start == MAP_FAILED) {
            s->bufs[i].start = NULL;
            goto fail_errno;
        }
        if (pa_xioctl(s->fd, VIDIOC_QBUF, &b) < 0)
            goto fail_errno;
    }
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (pa_xioctl(s->fd, VIDIOC_STREAMON, &type) < 0)
        goto fail_errno;
    s->streaming = 1;
    return 0;

fail_errno:
    pa_log_error("io", "%s: cannot start streaming: %s", s->path, strerror(errno));
    return PA_EIO;
}

static int v4l2_open(void **state, const char *uri, const struct pa_capture_params *p)
{
    *state = NULL;
    struct v4l2_capability cap;
    uint32_t caps = 0;
    memset(&cap, 0, sizeof(cap));
    struct v4l2_state *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    s->fd = -1;
    int ret = resolve_path(uri, s->path, sizeof(s->path));
    if (ret < 0)
        goto fail;
    s->fd = open(s->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (s->fd < 0)
        goto err_open;
    if (pa_xioctl(s->fd, VIDIOC_QUERYCAP, &cap) < 0)
        goto err_not_v4l2;
    caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE))
        goto err_not_capture;
    if (!(caps & V4L2_CAP_STREAMING))
        goto err_no_streaming;
    if ((ret = negotiate(s, p)) < 0)
        goto fail;
    if ((ret = pa_image_alloc(&s->rgb, s->w, s->h, PA_PIX_RGB24)) < 0)
        goto fail;
    if ((ret = start_streaming(s)) < 0)
        goto fail;
    if (s->fmt == PA_RAWFMT_MJPEG) {
        size_t biggest = 0;
        for (int i = 0; i < s->n_bufs; i++)
            biggest = PA_MAX(biggest, s->bufs[i].length);
        s->jpeg_cap = biggest + PA_MJPEG_DHT_BYTES;
        if (!(s->jpeg = pa_malloc(s->jpeg_cap))) {
            ret = PA_ENOMEM;
            goto fail;
        }
    }
    *state = s;
    return 0;

    /* ERRORS */
err_open:
    if (errno == ENOENT || errno == ENODEV || errno == ENXIO) {
        pa_log_error("io", "%s: no such camera (see 'panim devices')", s->path);
        ret = PA_ENOENT;
    } else if (errno == EACCES || errno == EPERM) {
        pa_log_error("io",
                     "%s: permission denied (add your user to the 'video' group: "
                     "sudo usermod -aG video $USER, then log in again)",
                     s->path);
        ret = PA_EIO;
    } else if (errno == EBUSY) {
        pa_log_error("io", "%s: the camera is busy (another program is using it)", s->path);
        ret = PA_EIO;
    } else {
        pa_log_error("io", "%s: cannot open: %s", s->path, strerror(errno));
        ret = PA_EIO;
    }
    goto fail;
err_not_v4l2:
    pa_log_error("io", "%s: not a V4L2 device: %s", s->path, strerror(errno));
    ret = PA_EUNSUPPORTED;
    goto fail;
err_not_capture:
    pa_log_error("io", "%s (%.32s): not a video capture device%s", s->path, (const char *)cap.card,
                 (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ? " (multi-planar capture is not "
                                                          "supported)"
                                                        : "");
    ret = PA_EUNSUPPORTED;
    goto fail;
err_no_streaming:
    pa_log_error("io", "%s (%.32s): the driver does not support streaming I/O", s->path,
                 (const char *)cap.card);
    ret = PA_EUNSUPPORTED;
    goto fail;
fail:
    v4l2_close(s);
    return ret;
}

/* Convert one dequeued buffer into s->rgb. PA_EAGAIN = skip this frame. */
static int convert(struct v4l2_state *s, const uint8_t *data, size_t used)
{
    if (s->fmt != PA_RAWFMT_MJPEG) {
        if (used < s->frame_bytes)
            return PA_EAGAIN; /* a short frame; checked here so it is not logged per frame */
        struct pa_raw_frame raw = {s->fmt, data, used, s->w, s->h, s->stride};
        return pa_rawfmt_to_rgb24(&raw, &s->rgb, NULL) == 0 ? 0 : PA_EAGAIN;
    }
    size_t n;
    if (pa_mjpeg_insert_dht(data, used, s->jpeg, s->jpeg_cap, &n) < 0)
        return PA_EAGAIN; /* not a JPEG header: a broken frame */
    struct pa_image img;
    if (pa_image_decode(&img, s->jpeg, n, s->path) < 0)
        return PA_EAGAIN;
    int ret = (img.w == s->w && img.h == s->h) ? pa_image_copy(&s->rgb, &img)
                                               : pa_image_resize(&img, &s->rgb);
    pa_image_free(&img);
    return ret;
}

static int v4l2_read(void *state, struct pa_capture_frame *f)
{
    struct v4l2_state *s = state;
    struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
    int r = poll(&pfd, 1, POLL_TIMEOUT_MS);
    if (r < 0)
        return errno == EINTR ? PA_EAGAIN : PA_EIO;
    if (r == 0) {
        pa_log_warn("io", "%s: no frame for %d s", s->path, POLL_TIMEOUT_MS / 1000);
        return PA_EAGAIN;
    }
    if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
        goto err_gone;
    struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (pa_xioctl(s->fd, VIDIOC_DQBUF, &b) < 0) {
        if (errno == EAGAIN)
            return PA_EAGAIN;
        goto err_gone;
    }
    int64_t now = pa_capture_now_ns();
    if (b.index >= (uint32_t)s->n_bufs) {
        pa_log_error("io", "%s: the driver returned buffer %u of %d", s->path, b.index, s->n_bufs);
        return PA_EIO;
    }
    const struct v4l2_buf *vb = &s->bufs[b.index];
    size_t used = b.bytesused ? PA_MIN((size_t)b.bytesused, vb->length) : vb->length;
    int ret = (b.flags & V4L2_BUF_FLAG_ERROR) ? PA_EAGAIN : convert(s, vb->start, used);
    if (pa_xioctl(s->fd, VIDIOC_QBUF, &b) < 0)
        goto err_gone;
    if (ret == PA_EAGAIN) {
        if (s->bad_frames++ == 0)
            pa_log_warn("io", "%s: skipping a corrupt frame", s->path);
        return PA_EAGAIN;
    }
    if (ret < 0)
        return ret;
    s->bad_frames = 0;

    int64_t t_ns = now;
    if ((b.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC &&
        b.timestamp.tv_sec > 0) {
        int64_t ts = (int64_t)b.timestamp.tv_sec * 1000000000 + (int64_t)b.timestamp.tv_usec * 1000;
        if (ts <= now)
            t_ns = ts;
    }
    if (s->seq == 0)
        s->t0_ns = t_ns;
    f->img = s->rgb;
    f->img.owner_buf = NULL; /* a view: the capture owns the pixels */
    f->t = (double)(t_ns - s->t0_ns) / 1e9;
    f->capture_ns = t_ns;
    f->seq = s->seq++;
    return 0;

err_gone:
    pa_log_error("io", "%s: camera disconnected (%s)", s->path,
                 r > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) ? "poll error"
                                                                         : strerror(errno));
    return PA_EIO;
}

const struct pa_capture_ops pa_capture_v4l2 = {
    .name = "v4l2",
    .probe = v4l2_probe,
    .open = v4l2_open,
    .read = v4l2_read,
    .close = v4l2_close,
};

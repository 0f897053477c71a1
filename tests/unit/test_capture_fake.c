/** @file
 * V4L2 streaming (io/capture_v4l2.c) against a simulated driver, since test machines have no
 * camera. This executable defines open, close, ioctl, mmap, munmap and poll itself; the
 * linker binds capture_v4l2.c's calls to these definitions, which emulate one UVC-like
 * device at FAKE_PATH (everything else goes on to libc through dlsym(RTLD_NEXT)). The fake
 * follows the V4L2 API contract (ENUM_* indices ending in EINVAL, S_FMT adjusting, buffers
 * cycling through QBUF/DQBUF, ENODEV after unplugging, POLLERR) as documented, not any real
 * driver's quirks; what a real webcam does differently is not covered here.
 *
 * Covered: format negotiation (what S_FMT/S_PARM receive), YUYV frames converted exactly,
 * MJPEG frames without Huffman tables decoded, no allocation per YUYV frame, timestamps and
 * sequence numbers, a flagged-corrupt and a short frame skipped, unplugging (POLLERR and
 * ENODEV) giving PA_EIO, and close releasing buffers, mappings and the descriptor.
 */
#define _GNU_SOURCE
#include "pa_test.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include <jpeglib.h>
#include <linux/videodev2.h>

#include "core/image.h"
#include "core/mem.h"
#include "core/pixfmt.h"
#include "io/capture.h"

#define FAKE_PATH "/dev/video-fake"
#define FAKE_MAX_MODES 8
#define FAKE_BUFS 8

struct fake_mode {
    uint32_t fourcc;
    int w, h, fps;
};

static struct fake {
    int fd; /* a real descriptor (of /dev/null) standing for the device; -1 when closed */
    struct fake_mode modes[FAKE_MAX_MODES];
    int n_modes;
    struct fake_mode cur; /* after S_FMT */
    int parm_fps;         /* after S_PARM */
    int n_bufs, streaming, unplugged, dqbuf_enodev, corrupt_next, short_next;
    uint8_t *buf[FAKE_BUFS];
    size_t buf_len;
    int queued[FAKE_BUFS], mapped[FAKE_BUFS];
    int64_t frames;      /* frames delivered */
    const uint8_t *jpeg; /* MJPEG payload, DHT stripped */
    size_t jpeg_len;
    int hits, reqbufs0, streamoff;
} g_fake = {.fd = -1};

/* ---- libc pass-through ----------------------------------------------------------------- */

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static uint8_t pattern(int64_t frame, int x, int y, int c)
{
    return (uint8_t)(16 + (x * 7 + y * 3 + c * 50 + (int)frame * 11) % 220);
}

static void fill_frame(uint8_t *p, size_t *used)
{
    if (g_fake.cur.fourcc == V4L2_PIX_FMT_MJPEG) {
        memcpy(p, g_fake.jpeg, g_fake.jpeg_len);
        *used = g_fake.jpeg_len;
        return;
    }
    int w = g_fake.cur.w, h = g_fake.cur.h; /* YUYV, stride 2w */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < 2 * w; x++)
            p[(size_t)y * 2 * w + x] = pattern(g_fake.frames, x, y, 0);
    *used = (size_t)w * h * 2;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
    va_end(ap);
    if (strcmp(path, FAKE_PATH) != 0)
        return REAL(open)(path, flags, mode);
    g_fake.hits++;
    if (g_fake.unplugged) {
        errno = ENOENT;
        return -1;
    }
    g_fake.fd = REAL(open)("/dev/null", O_RDWR | O_CLOEXEC, 0);
    return g_fake.fd;
}

int close(int fd)
{
    if (fd >= 0 && fd == g_fake.fd)
        g_fake.fd = -1;
    return REAL(close)(fd);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (fd < 0 || fd != g_fake.fd)
        return REAL(mmap)(addr, len, prot, flags, fd, off);
    size_t i = (size_t)off / 4096;
    if ((size_t)off % 4096 || i >= (size_t)g_fake.n_bufs || len != g_fake.buf_len) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    g_fake.mapped[i] = 1;
    return g_fake.buf[i];
}

int munmap(void *addr, size_t len)
{
    for (int i = 0; i < g_fake.n_bufs; i++) {
        if (addr == g_fake.buf[i]) {
            g_fake.mapped[i] = 0;
            return 0;
        }
    }
    return REAL(munmap)(addr, len);
}

/* glibc declares poll's array write-only (access attribute); the fake must read its fd. */
#pragma GCC diagnostic push
#if defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#else
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (n != 1 || fds[0].fd != g_fake.fd || g_fake.fd < 0)
        return REAL(poll)(fds, n, timeout);
    fds[0].revents = 0;
    if (g_fake.unplugged && !g_fake.dqbuf_enodev)
        fds[0].revents = POLLERR;
    else
        for (int i = 0; i < g_fake.n_bufs; i++)
            fds[0].revents |= g_fake.queued[i] && g_fake.streaming ? POLLIN : 0;
    return fds[0].revents ? 1 : 0;
}
#pragma GCC diagnostic pop

/* ---- the device ------------------------------------------------------------------------- */

static int fail_errno(int e)
{
    errno = e;
    return -1;
}

static int fake_ioctl(unsigned long req, void *arg)
{
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof(*c));
        snprintf((char *)c->driver, sizeof(c->driver), "uvcvideo");
        snprintf((char *)c->card, sizeof(c->card), "Fake Webcam");
        c->capabilities = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_DEVICE_CAPS;
        c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *f = arg;
        uint32_t seen[FAKE_MAX_MODES];
        unsigned n = 0;
        for (int i = 0; i < g_fake.n_modes; i++) {
            unsigned j = 0;
            while (j < n && seen[j] != g_fake.modes[i].fourcc)
                j++;
            if (j == n)
                seen[n++] = g_fake.modes[i].fourcc;
        }
        if (f->index >= n)
            return fail_errno(EINVAL);
        f->pixelformat = seen[f->index];
        f->flags = f->pixelformat == V4L2_PIX_FMT_MJPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES:
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        /* One entry per matching mode, in list order (sizes may repeat across rates). */
        int sizes = req == VIDIOC_ENUM_FRAMESIZES;
        struct v4l2_frmsizeenum *fs = arg;
        struct v4l2_frmivalenum *fi = arg;
        uint32_t cc = sizes ? fs->pixel_format : fi->pixel_format,
                 want = sizes ? fs->index : fi->index;
        uint32_t k = 0;
        for (int i = 0; i < g_fake.n_modes; i++) {
            const struct fake_mode *m = &g_fake.modes[i];
            if (m->fourcc != cc || (!sizes && (m->w != (int)fi->width || m->h != (int)fi->height)))
                continue;
            if (k++ != want)
                continue;
            if (sizes) {
                fs->type = V4L2_FRMSIZE_TYPE_DISCRETE;
                fs->discrete.width = (uint32_t)m->w;
                fs->discrete.height = (uint32_t)m->h;
            } else {
                fi->type = V4L2_FRMIVAL_TYPE_DISCRETE;
                fi->discrete.numerator = 1;
                fi->discrete.denominator = (uint32_t)m->fps;
            }
            return 0;
        }
        return fail_errno(EINVAL);
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        if (req == VIDIOC_S_FMT) {
            if (g_fake.n_bufs)
                return fail_errno(EBUSY);
            /* Adjust like a driver: the first mode of that format with the nearest size. */
            const struct fake_mode *best = NULL;
            for (int i = 0; i < g_fake.n_modes; i++) {
                const struct fake_mode *m = &g_fake.modes[i];
                if (m->fourcc == f->fmt.pix.pixelformat &&
                    (!best ||
                     abs(m->w - (int)f->fmt.pix.width) < abs(best->w - (int)f->fmt.pix.width)))
                    best = m;
            }
            g_fake.cur = best ? *best : g_fake.modes[0];
        }
        f->fmt.pix.pixelformat = g_fake.cur.fourcc;
        f->fmt.pix.width = (uint32_t)g_fake.cur.w;
        f->fmt.pix.height = (uint32_t)g_fake.cur.h;
        f->fmt.pix.bytesperline =
            g_fake.cur.fourcc == V4L2_PIX_FMT_YUYV ? 2u * f->fmt.pix.width : 0;
        f->fmt.pix.sizeimage = 2u * f->fmt.pix.width * f->fmt.pix.height;
        return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
        struct v4l2_streamparm *p = arg;
        if (req == VIDIOC_S_PARM && p->parm.capture.timeperframe.numerator)
            g_fake.parm_fps = (int)(p->parm.capture.timeperframe.denominator /
                                    p->parm.capture.timeperframe.numerator);
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe = (struct v4l2_fract){1, (uint32_t)g_fake.parm_fps};
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *rb = arg;
        if (rb->memory != V4L2_MEMORY_MMAP)
            return fail_errno(EINVAL);
        for (int i = 0; i < g_fake.n_bufs; i++) {
            if (g_fake.mapped[i])
                return fail_errno(EBUSY);
            pa_freep(&g_fake.buf[i]);
        }
        g_fake.n_bufs = (int)PA_MIN(rb->count, (uint32_t)FAKE_BUFS);
        g_fake.reqbufs0 += rb->count == 0;
        g_fake.buf_len = 2u * (size_t)g_fake.cur.w * (size_t)g_fake.cur.h;
        for (int i = 0; i < g_fake.n_bufs; i++) {
            g_fake.buf[i] = pa_malloc(g_fake.buf_len);
            g_fake.queued[i] = 0;
        }
        rb->count = (uint32_t)g_fake.n_bufs;
        return 0;
    }
    case VIDIOC_QUERYBUF:
    case VIDIOC_QBUF:
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (req == VIDIOC_DQBUF) {
            if (g_fake.unplugged)
                return fail_errno(ENODEV);
            int best = -1;
            for (int i = 0; i < g_fake.n_bufs; i++)
                best = g_fake.queued[i] && best < 0 ? i : best;
            if (best < 0 || !g_fake.streaming)
                return fail_errno(EAGAIN);
            g_fake.queued[best] = 0;
            size_t used;
            fill_frame(g_fake.buf[best], &used);
            if (g_fake.short_next)
                used /= 2; /* a frame cut short: bytesused below the format's size */
            g_fake.short_next = 0;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            b->index = (uint32_t)best;
            b->bytesused = (uint32_t)used;
            b->flags =
                V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | (g_fake.corrupt_next ? V4L2_BUF_FLAG_ERROR : 0);
            g_fake.corrupt_next = 0;
            b->timestamp.tv_sec = ts.tv_sec;
            b->timestamp.tv_usec = ts.tv_nsec / 1000;
            b->sequence = (uint32_t)g_fake.frames++;
            return 0;
        }
        if (b->index >= (uint32_t)g_fake.n_bufs)
            return fail_errno(EINVAL);
        if (req == VIDIOC_QBUF) {
            if (g_fake.queued[b->index])
                return fail_errno(EINVAL);
            g_fake.queued[b->index] = 1;
            return 0;
        }
        b->length = (uint32_t)g_fake.buf_len;
        b->m.offset = b->index * 4096u;
        return 0;
    }
    case VIDIOC_STREAMON:
        g_fake.streaming = 1;
        return 0;
    case VIDIOC_STREAMOFF:
        g_fake.streaming = 0;
        g_fake.streamoff++;
        for (int i = 0; i < g_fake.n_bufs; i++)
            g_fake.queued[i] = 0;
        return 0;
    default:
        return fail_errno(ENOTTY);
    }
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (fd < 0 || fd != g_fake.fd)
        return REAL(ioctl)(fd, req, arg);
    return fake_ioctl(req, arg);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void fake_reset(const struct fake_mode *modes, int n)
{
    for (int i = 0; i < g_fake.n_bufs; i++)
        pa_freep(&g_fake.buf[i]);
    memset(&g_fake, 0, sizeof(g_fake));
    g_fake.fd = -1;
    g_fake.parm_fps = 30;
    memcpy(g_fake.modes, modes, (size_t)n * sizeof(*modes));
    g_fake.n_modes = n;
}

static struct pa_capture *open_fake(int w, int h, double fps)
{
    struct pa_capture *c = NULL;
    struct pa_capture_params p = {.width = w, .height = h, .fps = fps};
    ASSERT_OK(pa_capture_open(&c, "webcam:" FAKE_PATH, &p));
    if (!g_fake.hits)
        PA_SKIP("the fake device was not reached (symbol interposition ineffective here)");
    ASSERT_TRUE(g_fake.streaming);
    return c;
}

static void assert_released(void)
{
    ASSERT_EQ(g_fake.fd, -1);
    ASSERT_TRUE(g_fake.streamoff > 0);
    ASSERT_TRUE(g_fake.reqbufs0 > 0);
    for (int i = 0; i < FAKE_BUFS; i++)
        ASSERT_EQ(g_fake.mapped[i], 0);
}

PA_TEST(yuyv_stream)
{
    static const struct fake_mode modes[] = {{V4L2_PIX_FMT_YUYV, 1280, 720, 10},
                                             {V4L2_PIX_FMT_YUYV, 640, 480, 30},
                                             {V4L2_PIX_FMT_YUYV, 640, 480, 15}};
    fake_reset(modes, 3);
    struct pa_capture *c = open_fake(640, 480, 30);
    ASSERT_EQ(g_fake.cur.w, 640);
    ASSERT_EQ(g_fake.parm_fps, 30);
    ASSERT_EQ(g_fake.n_bufs, 4);
    uint8_t yuyv[1280], rgb[640 * 3];
    int64_t prev_ns = 0, first_ns = 0;
    uint64_t allocs = 0;
    for (int k = 0; k < 12; k++) {
        struct pa_capture_frame f;
        int64_t frame = g_fake.frames;
        int64_t before = pa_capture_now_ns();
        if (k == 2)
            allocs = pa_mem_alloc_count();
        ASSERT_OK(pa_capture_read(c, &f));
        ASSERT_EQ(f.seq, k);
        ASSERT_EQ(f.img.w, 640);
        ASSERT_EQ(f.img.h, 480);
        ASSERT_EQ(f.img.fmt, PA_PIX_RGB24);
        ASSERT_TRUE(f.img.owner_buf == NULL);
        ASSERT_TRUE(f.capture_ns <= pa_capture_now_ns() && f.capture_ns >= before - 1000000);
        ASSERT_TRUE(f.capture_ns >= prev_ns);
        if (k == 0)
            first_ns = f.capture_ns;
        ASSERT_NEAR(f.t, (double)(f.capture_ns - first_ns) / 1e9, 1e-6);
        prev_ns = f.capture_ns;
        for (int y = 0; y < 480; y += 97) { /* a few rows, exactly as the row converter */
            for (int x = 0; x < 1280; x++)
                yuyv[x] = pattern(frame, x, y, 0);
            pa_yuyv_to_rgb24_row(yuyv, rgb, 640);
            ASSERT_TRUE(memcmp(pa_image_px(&f.img, 0, y), rgb, sizeof(rgb)) == 0);
        }
    }
    ASSERT_EQ(pa_mem_alloc_count(), allocs); /* frames 2..11: no allocation */
    pa_capture_close(c);
    assert_released();
}

/* A webcam-style JPEG: standard tables, then stripped of its DHT segments. */
static size_t make_mjpeg(const struct pa_image *img, uint8_t **out)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long n = 0;
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &mem, &n);
    ci.image_width = (JDIMENSION)img->w;
    ci.image_height = (JDIMENSION)img->h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 80, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = pa_image_px(img, 0, (int)ci.next_scanline);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    size_t pos = 2, len = n;
    while (pos + 4 <= len && mem[pos] == 0xff && mem[pos + 1] != 0xda) {
        size_t seg = 2 + ((size_t)mem[pos + 2] << 8 | mem[pos + 3]);
        if (mem[pos + 1] == 0xc4) {
            memmove(mem + pos, mem + pos + seg, len - pos - seg);
            len -= seg;
        } else {
            pos += seg;
        }
    }
    *out = mem;
    return len;
}

PA_TEST(mjpeg_stream_without_huffman_tables)
{
    static const struct fake_mode modes[] = {{V4L2_PIX_FMT_YUYV, 1280, 720, 10},
                                             {V4L2_PIX_FMT_MJPEG, 1280, 720, 30},
                                             {V4L2_PIX_FMT_YUYV, 640, 480, 30}};
    fake_reset(modes, 3);
    struct pa_image src, want;
    ASSERT_OK(pa_image_load(&src, pa_test_shared("testdata/source/lp_s9.jpg")));
    ASSERT_OK(pa_image_alloc(&want, 1280, 720, PA_PIX_RGB24));
    struct pa_image top;
    ASSERT_OK(pa_image_view(&top, &src, 0, 0, 720, 405));
    ASSERT_OK(pa_image_resize(&top, &want));
    uint8_t *jpg;
    g_fake.jpeg_len = make_mjpeg(&want, &jpg);
    g_fake.jpeg = jpg;
    ASSERT_EQ(pa_mjpeg_needs_dht(jpg, g_fake.jpeg_len), 1);

    struct pa_capture *c = open_fake(0, 0, 0); /* the default request: 720p30 → MJPEG */
    ASSERT_EQ(g_fake.cur.fourcc, V4L2_PIX_FMT_MJPEG);
    ASSERT_EQ(g_fake.parm_fps, 30);
    /* Expected pixels: the same JPEG with the tables put back, decoded. */
    uint8_t *fixed = pa_malloc(g_fake.jpeg_len + PA_MJPEG_DHT_BYTES);
    size_t nf;
    ASSERT_OK(pa_mjpeg_insert_dht(jpg, g_fake.jpeg_len, fixed, g_fake.jpeg_len + PA_MJPEG_DHT_BYTES,
                                  &nf));
    struct pa_image dec;
    ASSERT_OK(pa_image_decode(&dec, fixed, nf, "expected"));
    for (int k = 0; k < 3; k++) {
        struct pa_capture_frame f;
        ASSERT_OK(pa_capture_read(c, &f));
        ASSERT_EQ(f.img.w, 1280);
        for (int y = 0; y < 720; y++)
            ASSERT_TRUE(memcmp(pa_image_px(&f.img, 0, y), pa_image_px(&dec, 0, y), 3 * 1280) == 0);
    }
    /* A frame cut short (USB packet loss) is skipped, then streaming goes on. */
    size_t full = g_fake.jpeg_len;
    g_fake.jpeg_len = 300;
    struct pa_capture_frame f;
    ASSERT_ERR(pa_capture_read(c, &f), PA_EAGAIN);
    g_fake.jpeg_len = full;
    ASSERT_OK(pa_capture_read(c, &f));
    ASSERT_EQ(f.seq, 3);
    pa_capture_close(c);
    assert_released();
    pa_image_free(&dec);
    pa_free(fixed);
    free(jpg);
    pa_image_free(&want);
    pa_image_free(&src);
}

PA_TEST(corrupt_frame_and_unplug)
{
    static const struct fake_mode modes[] = {{V4L2_PIX_FMT_YUYV, 320, 240, 30}};
    for (int variant = 0; variant < 2; variant++) {
        fake_reset(modes, 1);
        struct pa_capture *c = open_fake(320, 240, 30);
        struct pa_capture_frame f;
        ASSERT_OK(pa_capture_read(c, &f));
        g_fake.corrupt_next = 1; /* the driver flags a damaged buffer */
        ASSERT_ERR(pa_capture_read(c, &f), PA_EAGAIN);
        ASSERT_OK(pa_capture_read(c, &f));
        ASSERT_EQ(f.seq, 1);
        g_fake.short_next = 1;
        ASSERT_ERR(pa_capture_read(c, &f), PA_EAGAIN);
        ASSERT_OK(pa_capture_read(c, &f));
        ASSERT_EQ(f.seq, 2);
        for (int i = 0; i < g_fake.n_bufs; i++) /* every buffer went back to the driver */
            ASSERT_TRUE(g_fake.queued[i]);
        g_fake.unplugged = 1;
        g_fake.dqbuf_enodev = variant; /* 0: poll reports POLLERR; 1: DQBUF fails ENODEV */
        ASSERT_ERR(pa_capture_read(c, &f), PA_EIO);
        ASSERT_ERR(pa_capture_read(c, &f), PA_EIO);
        pa_capture_close(c);
        ASSERT_EQ(g_fake.fd, -1);
        for (int i = 0; i < FAKE_BUFS; i++)
            ASSERT_EQ(g_fake.mapped[i], 0);
        /* Reopening while unplugged: no such camera. */
        struct pa_capture_params p = {0};
        ASSERT_ERR(pa_capture_open(&c, "webcam:" FAKE_PATH, &p), PA_ENOENT);
    }
}

PA_TEST(no_usable_format)
{
    static const struct fake_mode modes[] = {{V4L2_PIX_FMT_H264, 1920, 1080, 30}};
    fake_reset(modes, 1);
    struct pa_capture *c = NULL;
    struct pa_capture_params p = {0};
    ASSERT_ERR(pa_capture_open(&c, "webcam:" FAKE_PATH, &p), PA_EUNSUPPORTED);
    if (!g_fake.hits)
        PA_SKIP("the fake device was not reached");
    ASSERT_TRUE(c == NULL);
    ASSERT_EQ(g_fake.fd, -1);
}

PA_TEST_MAIN()

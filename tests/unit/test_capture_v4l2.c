/** @file
 * V4L2 capture without a camera: the mode choice (io/v4l2_dev.c) on the mode lists of
 * typical webcams, device listing on a machine that may have none, and the error paths of
 * opening a missing or non-V4L2 device (one log line naming the path, the right code).
 * Streaming itself needs a real camera and is not covered here.
 */
#include "pa_test.h"

#include <fcntl.h>

#include <linux/videodev2.h>

#include "core/mem.h"
#include "io/capture.h"
#include "io/v4l2_dev.h"

#define MJPG V4L2_PIX_FMT_MJPEG
#define YUYV V4L2_PIX_FMT_YUYV
#define NV12 V4L2_PIX_FMT_NV12

/* A typical USB2 UVC webcam (C920-like): MJPEG up to 1080p30, YUYV 720p only at 10 fps. */
static const struct pa_v4l2_mode k_usb2[] = {
    {YUYV, 640, 480, 30},   {YUYV, 640, 480, 15}, {YUYV, 1280, 720, 10}, {YUYV, 1280, 720, 5},
    {YUYV, 1920, 1080, 5},  {MJPG, 640, 480, 30}, {MJPG, 1280, 720, 30}, {MJPG, 1280, 720, 15},
    {MJPG, 1920, 1080, 30}, {MJPG, 320, 240, 30},
};

static struct pa_v4l2_mode pick(const struct pa_v4l2_mode *m, int n, int w, int h, double fps)
{
    int i = pa_v4l2_choose_mode(m, n, w, h, fps);
    ASSERT_TRUE(i >= 0 && i < n);
    return m[i];
}

#define ASSERT_MODE(got, cc, W, H, F)                                                              \
    do {                                                                                           \
        struct pa_v4l2_mode pa__m = (got);                                                         \
        if (pa__m.fourcc != (cc) || pa__m.w != (W) || pa__m.h != (H) ||                            \
            fabs(pa__m.fps - (F)) > 1e-6)                                                          \
            PA__FAIL("chose %.4s %dx%d@%g, expected %.4s %dx%d@%g", (const char *)&pa__m.fourcc,   \
                     pa__m.w, pa__m.h, pa__m.fps, (const char *)&(uint32_t){cc}, W, H,             \
                     (double)(F));                                                                 \
    } while (0)

PA_TEST(choose_mode_usb2_webcam)
{
    int n = (int)PA_ARRAY_SIZE(k_usb2);
    /* Default request (0 = 1280x720 at 30): MJPEG, the only way to 720p30 over USB2. */
    ASSERT_MODE(pick(k_usb2, n, 0, 0, 0), MJPG, 1280, 720, 30);
    ASSERT_MODE(pick(k_usb2, n, 1920, 1080, 30), MJPG, 1920, 1080, 30);
    /* Small requests prefer raw YUYV when it reaches the rate (no decode, no artefacts). */
    ASSERT_MODE(pick(k_usb2, n, 640, 480, 30), YUYV, 640, 480, 30);
    ASSERT_MODE(pick(k_usb2, n, 640, 480, 15), YUYV, 640, 480, 15);
    /* 720p at 15 is not "HD 30": YUYV only has 10 fps there, MJPEG has exactly 15. */
    ASSERT_MODE(pick(k_usb2, n, 1280, 720, 15), MJPG, 1280, 720, 15);
    /* An odd request goes to the nearest size that covers it. */
    ASSERT_MODE(pick(k_usb2, n, 1200, 700, 30), MJPG, 1280, 720, 30);
}

PA_TEST(choose_mode_raw_only_cameras)
{
    /* YUYV only, 720p at 10 fps: the live driver gets 640x480 at 30 rather than 10 fps. */
    static const struct pa_v4l2_mode yuyv[] = {
        {YUYV, 1280, 720, 10}, {YUYV, 640, 480, 30}, {YUYV, 320, 240, 30}};
    ASSERT_MODE(pick(yuyv, 3, 1280, 720, 30), YUYV, 640, 480, 30);
    /* ... but 15 fps at the asked size beats 30 fps at a third of the pixels. */
    static const struct pa_v4l2_mode yuyv15[] = {{YUYV, 1280, 720, 15}, {YUYV, 640, 480, 30}};
    ASSERT_MODE(pick(yuyv15, 2, 1280, 720, 30), YUYV, 1280, 720, 15);
    /* NV12-only (CSI cameras, some USB3 ones), with 60 and 30 fps: the asked rate wins. */
    static const struct pa_v4l2_mode nv12[] = {
        {NV12, 1920, 1080, 60}, {NV12, 1280, 720, 60}, {NV12, 1280, 720, 30}};
    ASSERT_MODE(pick(nv12, 3, 1280, 720, 30), NV12, 1280, 720, 30);
    ASSERT_MODE(pick(nv12, 3, 1280, 720, 60), NV12, 1280, 720, 60);
    /* USB3 camera with raw and MJPEG at 720p30: HD requests still take MJPEG (the rule). */
    static const struct pa_v4l2_mode both[] = {
        {YUYV, 1280, 720, 30}, {MJPG, 1280, 720, 30}, {NV12, 1280, 720, 30}};
    ASSERT_MODE(pick(both, 3, 1280, 720, 30), MJPG, 1280, 720, 30);
    ASSERT_MODE(pick(both + 2, 1, 1280, 720, 30), NV12, 1280, 720, 30);
    /* Unknown rates (a driver without interval enumeration) are still usable. */
    static const struct pa_v4l2_mode norate[] = {{YUYV, 640, 480, 0}, {V4L2_PIX_FMT_H264, 0, 0, 0}};
    ASSERT_MODE(pick(norate, 1, 0, 0, 0), YUYV, 640, 480, 0);
}

PA_TEST(choose_mode_nothing_usable)
{
    static const struct pa_v4l2_mode h264[] = {{V4L2_PIX_FMT_H264, 1920, 1080, 30},
                                               {V4L2_PIX_FMT_GREY, 640, 480, 30}};
    ASSERT_ERR(pa_v4l2_choose_mode(h264, 2, 1280, 720, 30), PA_EUNSUPPORTED);
    ASSERT_ERR(pa_v4l2_choose_mode(h264, 0, 1280, 720, 30), PA_EUNSUPPORTED);
    /* Unsupported formats are skipped, not chosen, even when they match exactly. */
    static const struct pa_v4l2_mode mixed[] = {{V4L2_PIX_FMT_H264, 1280, 720, 30},
                                                {YUYV, 640, 480, 30}};
    ASSERT_MODE(pick(mixed, 2, 1280, 720, 30), YUYV, 640, 480, 30);
    ASSERT_TRUE(pa_v4l2_fourcc_supported(V4L2_PIX_FMT_YUV420));
    ASSERT_TRUE(!pa_v4l2_fourcc_supported(V4L2_PIX_FMT_H264));
}

/* Run fn with stderr captured into buf. */
static int capture_stderr(int (*fn)(const char *), const char *arg, char *buf, size_t n)
{
    fflush(stderr);
    int saved = dup(2);
    const char *path = pa_test_tmp("stderr.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    int ret = fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = 0;
    fclose(f);
    return ret;
}

static int open_and_close(const char *uri)
{
    struct pa_capture *c = NULL;
    struct pa_capture_params p = {0};
    int ret = pa_capture_open(&c, uri, &p);
    pa_capture_close(c);
    return ret;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

PA_TEST(open_missing_device_is_enoent)
{
    char err[2048];
    ASSERT_ERR(capture_stderr(open_and_close, "webcam:/dev/video99", err, sizeof(err)), PA_ENOENT);
    printf("message: %s", err);
    ASSERT_TRUE(strstr(err, "/dev/video99") != NULL);
    ASSERT_EQ(count_lines(err), 1);
    ASSERT_ERR(capture_stderr(open_and_close, "/dev/video99", err, sizeof(err)), PA_ENOENT);
    ASSERT_EQ(count_lines(err), 1);
    /* A path that exists but is no V4L2 device: refused by name, one line. */
    ASSERT_ERR(capture_stderr(open_and_close, "webcam:/dev/null", err, sizeof(err)),
               PA_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err, "/dev/null: not a V4L2 device") != NULL);
    ASSERT_EQ(count_lines(err), 1);
    ASSERT_ERR(capture_stderr(open_and_close, "webcam:", err, sizeof(err)), PA_EINVAL);
}

PA_TEST(default_webcam_and_listing)
{
    struct pa_v4l2_devinfo *info = pa_calloc(16, sizeof(*info));
    ASSERT_TRUE(info != NULL);
    int n = pa_v4l2_list(info, 16, 1);
    ASSERT_TRUE(n >= 0 && n <= 16);
    int cameras = 0;
    for (int i = 0; i < n; i++) {
        printf("%s: %s (%s) capture %d loopback %d modes %d errno %d\n", info[i].path, info[i].card,
               info[i].driver, info[i].capture, info[i].loopback, info[i].n_modes,
               info[i].open_errno);
        cameras += info[i].capture && !info[i].loopback;
    }
    char path[64];
    int found = pa_v4l2_find_camera(path, sizeof(path));
    ASSERT_EQ(found == 0, cameras > 0);
    if (!cameras) {
        char err[2048];
        ASSERT_ERR(capture_stderr(open_and_close, "webcam", err, sizeof(err)), PA_ENOENT);
        ASSERT_TRUE(strstr(err, "no camera found") != NULL);
        ASSERT_EQ(count_lines(err), 1);
    }
    struct pa_v4l2_devinfo one;
    ASSERT_ERR(pa_v4l2_query("/dev/video99", &one, 0), PA_ENOENT);
    ASSERT_ERR(pa_v4l2_query("/dev/null", &one, 0), PA_EIO);
    pa_free(info);
}

PA_TEST_MAIN()

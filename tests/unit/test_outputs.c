/** @file
 * Output backends (src/io/output.c and out_*.c), without camera, GPU or kernel modules:
 *  - file: 30 frames of a moving pattern to .mp4 and .mkv, decoded back (count, size,
 *    PSNR > 30 dB); unwritable paths fail at open with PA_EIO; a write error mid-recording
 *    (RLIMIT_FSIZE) closes the output; live mode stamps frames by the clock.
 *  - stream: a refused RTMP connection fails at open; RTMP and SRT streams to a local
 *    `ffmpeg` listener (127.0.0.1) arrive complete and decode (skipped without ffmpeg).
 *  - mjpeg: see test_out_mjpeg.c.
 *  - v4l2 / ndi / window: the error paths and their exact hints; the window itself when a
 *    display is there (tests/cli/window.sh runs window_show under Xvfb).
 * Frames come from out_test_util.h's indexed pattern.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "out_test_util.h"

#include "io/jpeg.h"
#include "io/v4l2_util.h"
#include "io/video.h"
#include "pa_config.h"
#if PA_HAVE_SDL2
#include <SDL.h>
#endif

/* ---- registry, JPEG, YUYV --------------------------------------------------------------- */

PA_TEST(registry_rejects_unknown_specs)
{
    struct pa_output *o = (struct pa_output *)1;
    struct pa_output_params p = params();
    ASSERT_ERR(pa_output_open(&o, "bogus:1", &p), PA_EINVAL);
    ASSERT_TRUE(o == NULL);
    ASSERT_ERR(pa_output_open(&o, "", &p), PA_EINVAL);
    /* Backends left out of the build say so instead of "unknown". */
    const int ffmpeg_err = PA_HAVE_FFMPEG ? PA_EINVAL : PA_EUNSUPPORTED;
    const int mhd_err = PA_HAVE_MICROHTTPD ? PA_EINVAL : PA_EUNSUPPORTED;
    ASSERT_ERR(pa_output_open(&o, "file:clip.avi", &p), ffmpeg_err);
    ASSERT_ERR(pa_output_open(&o, "stream:http://example.com/x", &p), ffmpeg_err);
    ASSERT_ERR(pa_output_open(&o, "mjpeg:notaport", &p), mhd_err);
    ASSERT_ERR(pa_output_open(&o, "mjpeg:70000", &p), mhd_err);
    ASSERT_ERR(pa_output_open(&o, "mjpeg:example.com:80", &p), mhd_err);
#if !PA_HAVE_SDL2
    ASSERT_ERR(pa_output_open(&o, "window", &p), PA_EUNSUPPORTED);
#endif
    ASSERT_ERR(pa_output_open(&o, "ndi:", &p), PA_EINVAL);
    ASSERT_ERR(pa_output_open(&o, "v4l2:/dev/video99:bgr", &p), PA_EINVAL);
    p.width = 0;
    ASSERT_ERR(pa_output_open(&o, "ndi:x", &p), PA_EINVAL);
    ASSERT_EQ(pa_output_close(NULL), 0);
}

PA_TEST(jpeg_encode_into_fixed_buffer)
{
    struct pa_image img, dec;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    make_pattern(&img, 77);
    size_t cap = pa_jpeg_bound(W, H), size = 0;
    ASSERT_TRUE(cap > (size_t)W * H);
    uint8_t *buf = malloc(cap);
    ASSERT_OK(pa_jpeg_encode_mem(&img, 90, buf, cap, &size));
    ASSERT_TRUE(size > 100 && size < cap);
    ASSERT_TRUE(buf[0] == 0xFF && buf[1] == 0xD8 && buf[size - 2] == 0xFF && buf[size - 1] == 0xD9);
    ASSERT_OK(pa_image_decode(&dec, buf, size, "mem.jpg"));
    ASSERT_EQ(dec.w, W);
    ASSERT_EQ(dec.h, H);
    ASSERT_EQ(pattern_index(&dec), 77);
    ASSERT_GT(psnr(&img, &dec), 30.0);
    pa_image_free(&dec);
    /* Too small a buffer: an error, no overrun (the guard bytes stay intact). */
    memset(buf, 0xAB, cap);
    ASSERT_ERR(pa_jpeg_encode_mem(&img, 90, buf, 500, &size), PA_EOVERFLOW);
    for (size_t i = 500; i < 600; i++)
        ASSERT_EQ(buf[i], 0xAB);
    ASSERT_ERR(pa_jpeg_encode_mem(&img, 0, buf, cap, &size), PA_EINVAL);
    free(buf);
    pa_image_free(&img);
}

PA_TEST(yuyv_conversion_is_bt601_limited)
{
    const uint8_t rgb[12] = {255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0};
    uint8_t out[8];
    pa_v4l2_rgb24_to_yuyv_row(rgb, out, 4);
    ASSERT_EQ(out[0], 235); /* white */
    ASSERT_EQ(out[1], 128);
    ASSERT_EQ(out[2], 235);
    ASSERT_EQ(out[3], 128);
    ASSERT_EQ(out[4], 16); /* black */
    ASSERT_EQ(out[6], 82); /* red: Y = 16 + 65.481 */
    /* Random pixels against the floating-point BT.601 formulas. */
    srand(7);
    for (int t = 0; t < 1000; t++) {
        uint8_t px[6];
        for (int k = 0; k < 6; k++)
            px[k] = (uint8_t)(rand() & 255);
        pa_v4l2_rgb24_to_yuyv_row(px, out, 2);
        double r = (px[0] + px[3]) / 2.0, g = (px[1] + px[4]) / 2.0, b = (px[2] + px[5]) / 2.0;
        double y0 = 16 + (65.481 * px[0] + 128.553 * px[1] + 24.966 * px[2]) / 255.0;
        double u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
        double v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
        ASSERT_NEAR(out[0], y0, 1.01);
        ASSERT_NEAR(out[1], u, 1.01);
        ASSERT_NEAR(out[3], v, 1.01);
    }
    char name[8];
    ASSERT_TRUE(strcmp(pa_v4l2_fourcc_name(0x56595559u, name), "YUYV") == 0);
}

/* ---- file / stream ---------------------------------------------------------------------- */

#if PA_HAVE_FFMPEG
static void roundtrip(const char *name)
{
    const char *path = pa_test_tmp(name);
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s", path);
    struct pa_output_params p = params();
    struct pa_output *o;
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_output_open(&o, spec, &p));
    for (int i = 0; i < 30; i++) {
        make_pattern(&img, i);
        ASSERT_OK(pa_output_write(o, &img, NULL));
    }
    ASSERT_OK(pa_output_close(o));

    struct pa_video_reader *r;
    ASSERT_OK(pa_video_reader_open(&r, path));
    ASSERT_EQ(pa_video_reader_info(r)->w, W);
    ASSERT_EQ(pa_video_reader_info(r)->h, H);
    struct pa_image f;
    double t, worst = 99;
    int n = 0;
    while (pa_video_reader_read(r, &f, &t) == 0) {
        ASSERT_EQ(f.w, W);
        ASSERT_EQ(f.h, H);
        ASSERT_EQ(pattern_index(&f), n);
        make_pattern(&img, n);
        worst = PA_MIN(worst, psnr(&img, &f));
        n++;
    }
    pa_video_reader_close(r);
    printf("%s: %d frames, worst PSNR %.1f dB\n", name, n, worst);
    ASSERT_EQ(n, 30);
    ASSERT_GT(worst, 30.0);
    pa_image_free(&img);
}
#endif

PA_TEST(file_mp4_roundtrip)
{
#if PA_HAVE_FFMPEG
    roundtrip("out.mp4");
#else
    PA_SKIP("built without FFmpeg");
#endif
}

PA_TEST(file_mkv_roundtrip)
{
#if PA_HAVE_FFMPEG
    roundtrip("out.mkv");
#else
    PA_SKIP("built without FFmpeg");
#endif
}

PA_TEST(file_unwritable_fails_at_open)
{
#if PA_HAVE_FFMPEG
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    ASSERT_ERR(pa_output_open(&o, "file:/proc/x.mp4", &p), PA_EIO);
    ASSERT_TRUE(o == NULL);
    ASSERT_ERR(pa_output_open(&o, "file:/nonexistent-dir-panim/x.mkv", &p), PA_EIO);
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s/missing/x.mp4", pa_test_tmp(""));
    ASSERT_ERR(pa_output_open(&o, spec, &p), PA_EIO);
#else
    PA_SKIP("built without FFmpeg");
#endif
}

PA_TEST(file_write_error_closes_the_output)
{
#if PA_HAVE_FFMPEG
    /* A 256 KB file size limit makes write() fail with EFBIG after a few noisy frames. */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 256 * 1024;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    const char *path = pa_test_tmp("full.mp4");
    char spec[4200], part[4200];
    snprintf(spec, sizeof(spec), "file:%s", path);
    snprintf(part, sizeof(part), "%s.part", path);
    struct pa_output_params p = params();
    p.live = 1;
    struct pa_output *o;
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_output_open(&o, spec, &p));
    int ret = 0, i;
    srand(1);
    for (i = 0; i < 200 && ret == 0; i++) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W * 3; x++)
                img.data[(size_t)y * (size_t)img.stride + (size_t)x] = (uint8_t)rand();
        ret = pa_output_write(o, &img, NULL);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_sig);
    printf("write failed after %d frames: %s\n", i, pa_strerror(ret));
    ASSERT_ERR(ret, PA_EIO);
    ASSERT_TRUE(access(part, F_OK) != 0); /* the output closed itself and removed it */
    double t0 = now_s();
    ASSERT_ERR(pa_output_write(o, &img, NULL), PA_EIO); /* stays closed, returns at once */
    ASSERT_LT(now_s() - t0, 0.01);
    ASSERT_ERR(pa_output_close(o), PA_EIO);
    ASSERT_TRUE(access(path, F_OK) != 0);
    pa_image_free(&img);
#else
    PA_SKIP("built without FFmpeg");
#endif
}

PA_TEST(file_live_mode_stamps_by_clock)
{
#if PA_HAVE_FFMPEG
    const char *path = pa_test_tmp("live.mkv");
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s", path);
    struct pa_output_params p = params();
    p.live = 1;
    struct pa_output *o;
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_output_open(&o, spec, &p));
    double sent[8];
    for (int i = 0; i < 8; i++) { /* ~15 fps delivered to a 30 fps output */
        make_pattern(&img, i);
        sent[i] = now_s();
        ASSERT_OK(pa_output_write(o, &img, NULL));
        sleep_ms(66);
    }
    ASSERT_OK(pa_output_close(o));
    struct pa_video_reader *r;
    ASSERT_OK(pa_video_reader_open(&r, path));
    struct pa_image f;
    double t, t0 = 0;
    int n = 0;
    while (pa_video_reader_read(r, &f, &t) == 0) {
        if (n == 0)
            t0 = t;
        /* Each frame sits where the clock said, not at n / 30 s. */
        if (n < 8)
            ASSERT_NEAR(t - t0, sent[n] - sent[0], 0.01);
        n++;
    }
    pa_video_reader_close(r);
    ASSERT_EQ(n, 8);
    ASSERT_GT(sent[7] - sent[0], 7 * 0.066 - 0.001);
    pa_image_free(&img);
#else
    PA_SKIP("built without FFmpeg");
#endif
}

PA_TEST(stream_refused_fails_at_open)
{
#if PA_HAVE_FFMPEG
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    double t0 = now_s();
    int ret = pa_output_open(&o, "stream:rtmp://127.0.0.1:1/live/key", &p);
    ASSERT_TRUE(ret < 0);
    ASSERT_ERR(ret, PA_EIO);
    ASSERT_LT(now_s() - t0, 10.0);
#else
    PA_SKIP("built without FFmpeg");
#endif
}

#if PA_HAVE_FFMPEG
extern char **environ;

/* A free TCP port on 127.0.0.1 (bound then released; the caller uses it at once). */
static int free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Wait for pid up to `seconds`, killing it after that. @return its exit status or -1. */
static int wait_child(pid_t pid, double seconds)
{
    double end = now_s() + seconds;
    int st;
    while (now_s() < end) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

/* Stream 30 pattern frames to `url` while a local `ffmpeg -i LISTEN_URL -c copy` records
 * them, then decode the recording: the real network path, only on 127.0.0.1. */
static void stream_to_local_ffmpeg(const char *listen_url, int rtmp, const char *url,
                                   const char *out, int linger_ms)
{
    char *ffmpeg_argv[16];
    int k = 0;
    ffmpeg_argv[k++] = "ffmpeg";
    ffmpeg_argv[k++] = "-nostdin";
    ffmpeg_argv[k++] = "-loglevel";
    ffmpeg_argv[k++] = "error";
    if (rtmp) { /* makes the rtmp input a server */
        ffmpeg_argv[k++] = "-listen";
        ffmpeg_argv[k++] = "1";
    }
    ffmpeg_argv[k++] = "-i";
    ffmpeg_argv[k++] = (char *)listen_url;
    ffmpeg_argv[k++] = "-c";
    ffmpeg_argv[k++] = "copy";
    ffmpeg_argv[k++] = "-y";
    ffmpeg_argv[k++] = (char *)out;
    ffmpeg_argv[k] = NULL;
    pid_t pid;
    if (posix_spawnp(&pid, "ffmpeg", NULL, NULL, ffmpeg_argv, environ) != 0)
        PA_SKIP("no ffmpeg program to receive the stream");
    char spec[512];
    snprintf(spec, sizeof(spec), "stream:%s", url);
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    double give_up = now_s() + 5.0;
    while (pa_output_open(&o, spec, &p) != 0 && now_s() < give_up)
        sleep_ms(100); /* the listener is still starting */
    if (!o)
        wait_child(pid, 0);
    ASSERT_TRUE(o != NULL);
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    for (int i = 0; i < 30; i++) {
        make_pattern(&img, i);
        ASSERT_OK(pa_output_write(o, &img, NULL));
        sleep_ms(20);
    }
    sleep_ms(linger_ms);
    ASSERT_OK(pa_output_close(o));
    ASSERT_EQ(wait_child(pid, 10.0), 0);

    struct pa_video_reader *r;
    ASSERT_OK(pa_video_reader_open(&r, out));
    struct pa_image f;
    double t, worst = 99;
    int n = 0;
    while (pa_video_reader_read(r, &f, &t) == 0) {
        ASSERT_EQ(pattern_index(&f), n);
        make_pattern(&img, n);
        worst = PA_MIN(worst, psnr(&img, &f));
        n++;
    }
    pa_video_reader_close(r);
    printf("%s: %d frames received, worst PSNR %.1f dB\n", url, n, worst);
    ASSERT_EQ(n, 30);
    ASSERT_GT(worst, 30.0);
    pa_image_free(&img);
}
#endif

PA_TEST(stream_rtmp_to_local_ffmpeg)
{
#if PA_HAVE_FFMPEG
    int port = free_port(SOCK_STREAM);
    ASSERT_GT(port, 0);
    char url[128];
    snprintf(url, sizeof(url), "rtmp://127.0.0.1:%d/live/test", port);
    stream_to_local_ffmpeg(url, 1, url, pa_test_tmp("rtmp.flv"), 0);
#else
    PA_SKIP("built without FFmpeg");
#endif
}

PA_TEST(stream_srt_to_local_ffmpeg)
{
#if PA_HAVE_FFMPEG
    int port = free_port(SOCK_DGRAM);
    ASSERT_GT(port, 0);
    char listen_url[160], url[128];
    snprintf(listen_url, sizeof(listen_url), "srt://127.0.0.1:%d?mode=listener", port);
    snprintf(url, sizeof(url), "srt://127.0.0.1:%d", port);
    /* An SRT receiver holds ~120 ms of packets (TSBPD latency) and drops them when the
     * sender leaves, so give the last frames time to be delivered before closing. */
    stream_to_local_ffmpeg(listen_url, 0, url, pa_test_tmp("srt.ts"), 500);
#else
    PA_SKIP("built without FFmpeg");
#endif
}

/* ---- v4l2, ndi, window ------------------------------------------------------------------ */

PA_TEST(v4l2_missing_device_says_modprobe)
{
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    if (access("/dev/video99", F_OK) == 0)
        PA_SKIP("/dev/video99 exists here");
    capture_begin();
    int ret = pa_output_open(&o, "v4l2:/dev/video99", &p);
    const char *log = capture_end();
    ASSERT_ERR(ret, PA_ENOENT);
    ASSERT_TRUE(strstr(log, "v4l2: /dev/video99 not found: load the virtual camera with `sudo "
                            "modprobe v4l2loopback devices=1 video_nr=99 card_label=panim "
                            "exclusive_caps=1`") != NULL);
    /* Something that is not a V4L2 device at all. */
    capture_begin();
    ret = pa_output_open(&o, "v4l2:/dev/null", &p);
    log = capture_end();
    ASSERT_ERR(ret, PA_EINVAL);
    ASSERT_TRUE(strstr(log, "not a v4l2loopback output") != NULL);
    ASSERT_TRUE(strstr(log, "sudo modprobe v4l2loopback") != NULL);
}

PA_TEST(ndi_absent_runtime_is_unsupported)
{
    void *lib = dlopen("libndi.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        lib = dlopen("libndi.so", RTLD_NOW | RTLD_LOCAL);
    if (lib) {
        dlclose(lib);
        PA_SKIP("an NDI runtime is installed here");
    }
    unsetenv("NDI_RUNTIME_DIR_V5");
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    capture_begin();
    int ret = pa_output_open(&o, "ndi:panim", &p);
    const char *log = capture_end();
    ASSERT_ERR(ret, PA_EUNSUPPORTED);
    ASSERT_TRUE(o == NULL);
    ASSERT_TRUE(strstr(log, "ndi: NDI runtime not found (libndi.so.5); install the NDI SDK from "
                            "ndi.video and make sure libndi.so.5 is on the library path") != NULL);
}

PA_TEST(window_without_display_fails_clearly)
{
#if PA_HAVE_SDL2
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    unsetenv("SDL_VIDEODRIVER");
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    capture_begin();
    int ret = pa_output_open(&o, "window", &p);
    const char *log = capture_end();
    ASSERT_ERR(ret, PA_EUNSUPPORTED);
    ASSERT_TRUE(strstr(log, "window: no display (set DISPLAY, or use --output "
                            "file:/mjpeg:/v4l2:)") != NULL);
#else
    PA_SKIP("built without SDL2");
#endif
}

#if PA_HAVE_SDL2
static void push_key(SDL_Keycode key)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = key;
    SDL_PushEvent(&ev);
}
#endif

/* Shows a magenta frame for PA_TEST_WINDOW_MS (default 1000) ms (tests/cli/window.sh runs
 * this under Xvfb and checks a screenshot), then drives the hotkeys with synthetic key
 * events: O, L and S toggle drawing paths (overlay text, driver points, side view), and
 * N, P, C, Q come back from poll as events. Skipped without a display. */
PA_TEST(window_show)
{
#if PA_HAVE_SDL2
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        PA_SKIP("no display (tests/cli/window.sh runs this under Xvfb)");
    const char *ms_env = getenv("PA_TEST_WINDOW_MS");
    int ms = ms_env ? atoi(ms_env) : 1000;
    struct pa_output_params p = params();
    struct pa_output *o;
    struct pa_image img, drv;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&drv, 160, 90, PA_PIX_RGB24));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *q = img.data + (size_t)y * (size_t)img.stride + (size_t)x * 3;
            q[0] = 230, q[1] = 30, q[2] = 200;
        }
    memset(drv.data, 90, (size_t)drv.stride * (size_t)drv.h);
    static struct pa_face_state face;
    face.found = 1;
    face.n_points = 3;
    for (int k = 0; k < 3; k++)
        face.pts[k][0] = 40.0f + 30.0f * (float)k, face.pts[k][1] = 45.0f;
    ASSERT_OK(pa_output_open(&o, "window", &p));
    struct pa_output_info info = {
        .fps_in = 30, .fps_out = 29.5, .latency_ms = 42, .driver = &face, .driver_frame = &drv};
    double t_end = now_s() + ms / 1000.0;
    int frames = 0;
    while (now_s() < t_end) {
        ASSERT_OK(pa_output_write(o, &img, &info));
        ASSERT_EQ(pa_output_poll(o), PA_OUT_EV_NONE);
        frames++;
        sleep_ms(30);
    }
    printf("window: %d frames shown\n", frames);
    ASSERT_GT(frames, 0);
    const SDL_Keycode toggles[] = {SDLK_o, SDLK_l, SDLK_s, SDLK_l, SDLK_s, SDLK_f, SDLK_f};
    for (size_t k = 0; k < PA_ARRAY_SIZE(toggles); k++) {
        push_key(toggles[k]);
        ASSERT_EQ(pa_output_poll(o), PA_OUT_EV_NONE);
        ASSERT_OK(pa_output_write(o, &img, &info));
    }
    push_key(SDLK_n);
    push_key(SDLK_p);
    push_key(SDLK_c);
    push_key(SDLK_ESCAPE);
    ASSERT_EQ(pa_output_poll(o), PA_OUT_EV_NEXT_PORTRAIT);
    ASSERT_EQ(pa_output_poll(o), PA_OUT_EV_PREV_PORTRAIT);
    ASSERT_EQ(pa_output_poll(o), PA_OUT_EV_CALIBRATE);
    ASSERT_EQ(pa_output_poll(o), PA_OUT_EV_QUIT);
    ASSERT_OK(pa_output_write(o, &img, NULL)); /* no info: overlay says so, no crash */
    ASSERT_OK(pa_output_close(o));
    pa_image_free(&img);
    pa_image_free(&drv);
#else
    PA_SKIP("built without SDL2");
#endif
}

PA_TEST_MAIN()

/** @file
 * Output backends (src/io/output.c and out_*.c), without camera, GPU or kernel modules:
 *  - file: 30 frames of a moving pattern to .mp4 and .mkv, decoded back (count, size,
 *    PSNR > 30 dB); unwritable paths fail at open with PA_EIO; a write error mid-recording
 *    (RLIMIT_FSIZE) closes the output; live mode stamps frames by the clock.
 *  - stream: a refused RTMP connection fails at open.
 *  - mjpeg: a real socket client on 127.0.0.1 parses the multipart stream and decodes the
 *    JPEGs; a client leaving mid-part disturbs neither the writer nor another client; a slow
 *    client skips frames without slowing the writer; garbage and oversized requests get a
 *    4xx or a close and the server keeps serving.
 *  - v4l2 / ndi / window: the error paths and their exact hints; the window itself when a
 *    display is there (tests/cli/window.sh runs window_show under Xvfb).
 * Frames carry their index in two flat 16×16 grey blocks, so a decoded frame tells which
 * pattern to compare it with.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "pa_test.h"

#include "core/mem.h"
#include "io/jpeg.h"
#include "io/output.h"
#include "io/v4l2_util.h"
#include "io/video.h"
#include "pa_config.h"
#if PA_HAVE_SDL2
#include <SDL.h>
#endif

#define W 320
#define H 240

/* ---- helpers ---------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Moving gradient + a moving bright square; frame index i (0..255) in two grey blocks. */
static void make_pattern(struct pa_image *img, int i)
{
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = img->data + (size_t)y * (size_t)img->stride;
        for (int x = 0; x < img->w; x++, p += 3) {
            p[0] = (uint8_t)(40 + (x + 3 * i) % 160);
            p[1] = (uint8_t)(40 + (y * 2 + i) % 160);
            p[2] = (uint8_t)(200 - (x + y) / 4);
            int sx = 60 + 4 * i % 200, sy = 80 + 2 * i % 100;
            if (x >= sx && x < sx + 40 && y >= sy && y < sy + 40)
                p[0] = p[1] = p[2] = 235;
        }
    }
    for (int b = 0; b < 2; b++) {
        int v = 16 * ((b ? i : i >> 4) & 15) + 8;
        for (int y = 0; y < 16; y++)
            memset(img->data + (size_t)y * (size_t)img->stride + (size_t)b * 48, v, 48);
    }
}

/* The index a decoded frame carries (from the centre of its two grey blocks). */
static int pattern_index(const struct pa_image *img)
{
    int d[2];
    for (int b = 0; b < 2; b++) {
        const uint8_t *p = img->data + (size_t)8 * (size_t)img->stride + (size_t)(b * 16 + 8) * 3;
        d[b] = p[1] / 16; /* 0..15: the block value is 16 k + 8 */
    }
    return d[0] * 16 + d[1];
}

static double psnr(const struct pa_image *a, const struct pa_image *b)
{
    double se = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w * 3; x++) {
            double d = (double)a->data[(size_t)y * (size_t)a->stride + (size_t)x] -
                       (double)b->data[(size_t)y * (size_t)b->stride + (size_t)x];
            se += d * d;
        }
    se /= (double)a->w * a->h * 3;
    return se <= 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / se);
}

/* Capture what the library logs to stderr during a call. */
static int saved_fd = -1;
static const char *log_path(void)
{
    return pa_test_tmp("stderr.txt");
}
static void capture_begin(void)
{
    fflush(stderr);
    saved_fd = dup(2);
    int fd = open(log_path(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
}
static char *capture_end(void)
{
    static char text[8192];
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    FILE *f = fopen(log_path(), "rb");
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    fputs(text, stderr); /* still show it in the test log */
    return text;
}

static struct pa_output_params params(void)
{
    return (struct pa_output_params){.width = W, .height = H, .fps = 30};
}

/* ---- registry, JPEG, YUYV --------------------------------------------------------------- */

PA_TEST(registry_rejects_unknown_specs)
{
    struct pa_output *o = (struct pa_output *)1;
    struct pa_output_params p = params();
    ASSERT_ERR(pa_output_open(&o, "bogus:1", &p), PA_EINVAL);
    ASSERT_TRUE(o == NULL);
    ASSERT_ERR(pa_output_open(&o, "", &p), PA_EINVAL);
    ASSERT_ERR(pa_output_open(&o, "file:clip.avi", &p), PA_EINVAL);
    ASSERT_ERR(pa_output_open(&o, "stream:http://example.com/x", &p), PA_EINVAL);
    ASSERT_ERR(pa_output_open(&o, "mjpeg:notaport", &p), PA_EINVAL);
    ASSERT_ERR(pa_output_open(&o, "mjpeg:70000", &p), PA_EINVAL);
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
    for (int i = 0; i < 8; i++) { /* 15 fps delivered to a 30 fps output */
        make_pattern(&img, i);
        ASSERT_OK(pa_output_write(o, &img, NULL));
        sleep_ms(66);
    }
    ASSERT_OK(pa_output_close(o));
    struct pa_video_reader *r;
    ASSERT_OK(pa_video_reader_open(&r, path));
    struct pa_image f;
    double t, prev = -1;
    int n = 0;
    while (pa_video_reader_read(r, &f, &t) == 0) {
        if (n > 0)
            ASSERT_NEAR(t - prev, 0.066, 0.02);
        prev = t;
        n++;
    }
    pa_video_reader_close(r);
    ASSERT_EQ(n, 8);
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

/* ---- mjpeg: a plain socket HTTP client -------------------------------------------------- */

struct http {
    int fd;
    uint8_t *buf;
    size_t len, cap;
    char boundary[80];
};

static int http_connect(struct http *c, int port, int rcvbuf)
{
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    if (rcvbuf) /* a slow link: little room in flight */
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct timeval tv = {5, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
}

static int http_send(struct http *c, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Read more bytes into the buffer. @return bytes read, 0 on close, -1 on error/timeout. */
static int http_fill(struct http *c)
{
    if (c->cap - c->len < 65536) {
        c->cap = c->cap ? c->cap * 2 : 1 << 20;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (k > 0)
        c->len += (size_t)k;
    return (int)k;
}

static void http_consume(struct http *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Index just past "\r\n\r\n", reading as needed; 0 when the peer closed or timed out. */
static size_t http_head_end(struct http *c)
{
    for (;;) {
        for (size_t i = 0; i + 4 <= c->len; i++)
            if (memcmp(c->buf + i, "\r\n\r\n", 4) == 0)
                return i + 4;
        if (http_fill(c) <= 0)
            return 0;
    }
}

static const char *find_header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = head; (p = strchr(p, '\n')) != NULL;) {
        p++;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1 + strspn(p + n + 1, " ");
    }
    return NULL;
}

/* Response status line and headers; fills c->boundary for multipart. @return status or -1. */
static int http_response(struct http *c, char *head, size_t head_cap)
{
    size_t end = http_head_end(c);
    if (!end)
        return -1;
    size_t n = PA_MIN(end, head_cap - 1);
    memcpy(head, c->buf, n);
    head[n] = 0;
    http_consume(c, end);
    int status = -1;
    if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    const char *ct = find_header(head, "Content-Type");
    const char *b = ct ? strstr(ct, "boundary=") : NULL;
    if (b)
        sscanf(b + 9, "%79[^\r\n; ]", c->boundary);
    return status;
}

/* Read one multipart part. @return 0 with *jpeg (malloc'd) and *seq, or -1. If `half`, stop
 * after reading half of the JPEG (the caller then disconnects mid-part). */
static int http_part(struct http *c, uint8_t **jpeg, size_t *size, long long *seq, int half)
{
    size_t end = http_head_end(c);
    if (!end)
        return -1;
    char head[512];
    size_t n = PA_MIN(end, sizeof(head) - 1);
    memcpy(head, c->buf, n);
    head[n] = 0;
    char dash[90];
    snprintf(dash, sizeof(dash), "--%s", c->boundary);
    const char *start = strstr(head, dash), *len = find_header(head, "Content-Length");
    const char *fr = find_header(head, "X-Frame");
    if (!start || !len)
        return -1;
    size_t want = (size_t)atol(len);
    *seq = fr ? atoll(fr) : -1;
    http_consume(c, end);
    size_t need = half ? want / 2 : want + 2;
    while (c->len < need)
        if (http_fill(c) <= 0)
            return -1;
    if (half)
        return 0;
    if (memcmp(c->buf + want, "\r\n", 2) != 0)
        return -1;
    *jpeg = malloc(want);
    memcpy(*jpeg, c->buf, want);
    *size = want;
    http_consume(c, want + 2);
    return 0;
}

static void http_close(struct http *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    c->fd = -1;
    c->buf = NULL;
}

#define GET_STREAM "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

/* A client thread: reads `frames` parts (decoding each unless `nodecode`), `delay_ms` between
 * parts, or leaves after half of its first part. */
struct client_job {
    int port, frames, delay_ms, leave_mid_part, nodecode, rcvbuf;
    /* results */
    int status, got, decoded_ok, failed;
    long long seqs[64];
    atomic_int done;
};

static void *client_main(void *arg)
{
    struct client_job *j = arg;
    struct http c;
    char head[2048];
    if (http_connect(&c, j->port, j->rcvbuf) != 0 ||
        http_send(&c, GET_STREAM, strlen(GET_STREAM)) != 0 ||
        (j->status = http_response(&c, head, sizeof(head))) != 200 || !c.boundary[0]) {
        j->failed = 1;
        goto out;
    }
    while (j->got < j->frames && j->got < 64) {
        uint8_t *jpeg = NULL;
        size_t size = 0;
        long long seq;
        if (http_part(&c, &jpeg, &size, &seq, j->leave_mid_part) != 0) {
            j->failed = 1;
            break;
        }
        if (j->leave_mid_part) {
            j->got = 1;
            break; /* close with the rest of the part unread */
        }
        j->seqs[j->got++] = seq;
        if (!j->nodecode) {
            struct pa_image img, ref;
            if (pa_image_decode(&img, jpeg, size, "part.jpg") == 0) {
                pa_image_alloc(&ref, W, H, PA_PIX_RGB24);
                make_pattern(&ref, pattern_index(&img));
                if (img.w == W && img.h == H && psnr(&ref, &img) > 30.0)
                    j->decoded_ok++;
                pa_image_free(&ref);
                pa_image_free(&img);
            }
        }
        free(jpeg);
        if (j->delay_ms)
            sleep_ms(j->delay_ms);
    }
out:
    http_close(&c);
    atomic_store(&j->done, 1);
    return NULL;
}

#if PA_HAVE_MICROHTTPD
static struct pa_output *open_mjpeg(int *port)
{
    struct pa_output_params p = params();
    struct pa_output *o = NULL;
    if (pa_output_open(&o, "mjpeg:0", &p) < 0)
        return NULL;
    *port = pa_output_port(o);
    return o;
}

/* Write pattern frames every `period_ms` until all jobs are done (or n_max / 10 s); with
 * first < 0, write img unchanged. @return frames written, or -1 when a write failed.
 * `max_write` gets the slowest write (s). */
static int write_frames(struct pa_output *o, struct pa_image *img, struct client_job **jobs,
                        int n_jobs, int first, int n_max, int period_ms, double *max_write)
{
    double t_end = now_s() + 10.0;
    int i = 0;
    if (max_write)
        *max_write = 0;
    for (; i < n_max && now_s() < t_end; i++) {
        int all = 1;
        for (int k = 0; k < n_jobs; k++)
            all &= atomic_load(&jobs[k]->done);
        if (all)
            break;
        if (first >= 0)
            make_pattern(img, (first + i) & 255);
        double t0 = now_s();
        if (pa_output_write(o, img, NULL) != 0) {
            i = -1;
            break;
        }
        if (max_write)
            *max_write = PA_MAX(*max_write, now_s() - t0);
        sleep_ms(period_ms);
    }
    return i;
}

static int write_until_done(struct pa_output *o, struct client_job **jobs, int n_jobs, int first,
                            int n_max, int period_ms)
{
    struct pa_image img;
    if (pa_image_alloc(&img, W, H, PA_PIX_RGB24) < 0)
        return -1;
    int n = write_frames(o, &img, jobs, n_jobs, first, n_max, period_ms, NULL);
    pa_image_free(&img);
    return n;
}
#endif

PA_TEST(mjpeg_stream_to_a_socket_client)
{
#if PA_HAVE_MICROHTTPD
    int port;
    struct pa_output *o = open_mjpeg(&port);
    ASSERT_TRUE(o != NULL);
    ASSERT_TRUE(port > 0 && port < 65536);
    struct client_job j = {.port = port, .frames = 4};
    struct client_job *jobs[] = {&j};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, client_main, &j), 0);
    int written = write_until_done(o, jobs, 1, 0, 250, 15);
    pthread_join(th, NULL);
    printf("wrote %d frames; client got %d parts, %d decoded and matched\n", written, j.got,
           j.decoded_ok);
    ASSERT_OK(pa_output_close(o));
    ASSERT_GT(written, 0);
    ASSERT_EQ(j.status, 200);
    ASSERT_TRUE(!j.failed);
    ASSERT_EQ(j.got, 4);
    ASSERT_GT(j.decoded_ok, 2);
    for (int k = 1; k < j.got; k++)
        ASSERT_GT(j.seqs[k], j.seqs[k - 1]);
#else
    PA_SKIP("built without libmicrohttpd");
#endif
}

PA_TEST(mjpeg_client_leaving_mid_part_disturbs_nothing)
{
#if PA_HAVE_MICROHTTPD
    int port;
    struct pa_output *o = open_mjpeg(&port);
    ASSERT_TRUE(o != NULL);
    struct client_job a = {.port = port, .frames = 1, .leave_mid_part = 1};
    struct client_job b = {.port = port, .frames = 8, .delay_ms = 30};
    struct client_job *jobs[] = {&a, &b};
    pthread_t ta, tb;
    ASSERT_EQ(pthread_create(&tb, NULL, client_main, &b), 0);
    ASSERT_EQ(pthread_create(&ta, NULL, client_main, &a), 0);
    int written = write_until_done(o, jobs, 2, 0, 250, 15);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    printf("wrote %d; A left mid-part (failed=%d); B got %d, %d decoded\n", written, a.failed,
           b.got, b.decoded_ok);
    ASSERT_TRUE(written > 0); /* -1 would mean a write failed */
    ASSERT_TRUE(!a.failed && a.got == 1);
    ASSERT_TRUE(!b.failed);
    ASSERT_EQ(b.got, 8);
    ASSERT_EQ(b.decoded_ok, 8);
    /* The server still serves a newcomer after both left. */
    struct client_job c = {.port = port, .frames = 2};
    struct client_job *jobs_c[] = {&c};
    pthread_t tc;
    ASSERT_EQ(pthread_create(&tc, NULL, client_main, &c), 0);
    ASSERT_GT(write_until_done(o, jobs_c, 1, 100, 250, 15), 0);
    pthread_join(tc, NULL);
    ASSERT_TRUE(!c.failed && c.decoded_ok == 2);
    ASSERT_OK(pa_output_close(o));
#else
    PA_SKIP("built without libmicrohttpd");
#endif
}

PA_TEST(mjpeg_slow_client_skips_frames_writer_never_waits)
{
#if PA_HAVE_MICROHTTPD
    int port;
    struct pa_output *o = open_mjpeg(&port);
    ASSERT_TRUE(o != NULL);
    struct client_job slow = {
        .port = port, .frames = 10, .delay_ms = 100, .nodecode = 1, .rcvbuf = 16 * 1024};
    struct client_job *jobs[] = {&slow};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, client_main, &slow), 0);
    /* Warm up until the first part is out, then count allocations in steady state. */
    struct client_job none = {0};
    struct client_job *nojobs[] = {&none};
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    /* Noise: big JPEGs (~60 KB), so socket buffers hold only a frame or two, as with a
     * 720p camera picture. */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W * 3; x++)
            img.data[(size_t)y * (size_t)img.stride + (size_t)x] =
                (uint8_t)(x * 7 + y * 13 + (x * y) % 251);
    double max_write;
    write_frames(o, &img, nojobs, 1, -1, 10, 10, &max_write);
    uint64_t allocs = pa_mem_alloc_count();
    int written = write_frames(o, &img, jobs, 1, -1, 250, 10, &max_write);
    uint64_t steady = pa_mem_alloc_count() - allocs;
    pa_image_free(&img);
    pthread_join(th, NULL);
    ASSERT_OK(pa_output_close(o));
    long long gaps = 0;
    for (int k = 1; k < slow.got; k++)
        gaps += slow.seqs[k] - slow.seqs[k - 1] - 1;
    printf("wrote %d frames (slowest write %.1f ms, %llu allocations); slow client got %d "
           "parts skipping %lld frames\n",
           written, max_write * 1e3, (unsigned long long)steady, slow.got, gaps);
    ASSERT_TRUE(!slow.failed);
    ASSERT_EQ(slow.got, 10);
    ASSERT_GT(gaps, 10);       /* it skipped to newer frames */
    ASSERT_LT(max_write, 0.1); /* and never held the writer up */
    ASSERT_EQ(steady, 0);      /* no allocation per frame */
#else
    PA_SKIP("built without libmicrohttpd");
#endif
}

#if PA_HAVE_MICROHTTPD
/* Send raw bytes, return the status of the answer (0 when the server just closed). */
static int raw_request(int port, const char *data, size_t n, char *head, size_t head_cap)
{
    struct http c;
    if (http_connect(&c, port, 0) != 0)
        return -1;
    http_send(&c, data, n); /* the server may close early: ignore EPIPE */
    shutdown(c.fd, SHUT_WR);
    int status = http_response(&c, head, head_cap);
    if (status < 0)
        status = c.len == 0 ? 0 : -1; /* closed without a word is fine; half a reply is not */
    http_close(&c);
    return status;
}
#endif

PA_TEST(mjpeg_malformed_requests_get_4xx_or_close)
{
#if PA_HAVE_MICROHTTPD
    int port;
    struct pa_output *o = open_mjpeg(&port);
    ASSERT_TRUE(o != NULL);
    char head[4096];
    static const char garbage[] = "\x16\x03\x01\x02\x00\x01\xff\xfe garbage\r\n\r\n";
    int st = raw_request(port, garbage, sizeof(garbage) - 1, head, sizeof(head));
    printf("garbage -> %d\n", st);
    ASSERT_TRUE(st == 0 || (st >= 400 && st < 500));

    size_t big = 10 * 1024;
    char *req = malloc(big + 256);
    int n = snprintf(req, 256, "GET /stream HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    st = raw_request(port, req, (size_t)n + big + 4, head, sizeof(head));
    printf("10 KB header -> %d\n", st);
    ASSERT_TRUE(st == 0 || (st >= 400 && st < 500));
    free(req);

    static const char post[] = "POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    st = raw_request(port, post, sizeof(post) - 1, head, sizeof(head));
    ASSERT_EQ(st, 405);
    static const char nope[] = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(raw_request(port, nope, sizeof(nope) - 1, head, sizeof(head)), 404);
    static const char half[] = "GET /str";
    st = raw_request(port, half, sizeof(half) - 1, head, sizeof(head));
    ASSERT_TRUE(st == 0 || (st >= 400 && st < 500));

    /* Still alive: the page and its <img>. */
    struct http c;
    static const char page[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(http_connect(&c, port, 0), 0);
    ASSERT_EQ(http_send(&c, page, sizeof(page) - 1), 0);
    ASSERT_EQ(http_response(&c, head, sizeof(head)), 200);
    ASSERT_TRUE(strstr(head, "text/html") != NULL);
    while (http_fill(&c) > 0) {
    }
    ASSERT_TRUE(c.len > 0);
    c.buf[c.len - 1] = 0;
    ASSERT_TRUE(strstr((char *)c.buf, "<img src=\"/stream\"") != NULL);
    http_close(&c);
    ASSERT_OK(pa_output_close(o));
#else
    PA_SKIP("built without libmicrohttpd");
#endif
}

PA_TEST(mjpeg_port_in_use_fails)
{
#if PA_HAVE_MICROHTTPD
    int port;
    struct pa_output *a = open_mjpeg(&port), *b = NULL;
    ASSERT_TRUE(a != NULL);
    char spec[64];
    snprintf(spec, sizeof(spec), "mjpeg:127.0.0.1:%d", port);
    struct pa_output_params p = params();
    ASSERT_ERR(pa_output_open(&b, spec, &p), PA_EIO);
    ASSERT_OK(pa_output_close(a));
#else
    PA_SKIP("built without libmicrohttpd");
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

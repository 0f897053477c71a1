/** @file
 * The MJPEG-over-HTTP output (src/io/out_mjpeg_http.c) against a plain socket HTTP client on
 * 127.0.0.1: the client parses the multipart boundary and decodes the JPEGs; a client leaving
 * mid-part disturbs neither the writer nor another client; a slow client skips frames
 * without slowing the writer (and no frame allocates); garbage and oversized requests get a
 * 4xx or a close and the server keeps serving; close is prompt with clients attached.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "out_test_util.h"

#include "core/mem.h"
#include "pa_config.h"

/* ---- a plain socket HTTP client --------------------------------------------------------- */

#if PA_HAVE_MICROHTTPD

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

PA_TEST(mjpeg_close_with_clients_attached_is_prompt)
{
#if PA_HAVE_MICROHTTPD
    int port;
    struct pa_output *o = open_mjpeg(&port);
    ASSERT_TRUE(o != NULL);
    /* x never reads (its socket fills up); y connects after the last frame and waits. */
    struct http x, y;
    ASSERT_EQ(http_connect(&x, port, 16 * 1024), 0);
    ASSERT_EQ(http_send(&x, GET_STREAM, strlen(GET_STREAM)), 0);
    sleep_ms(100);
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, W, H, PA_PIX_RGB24));
    for (int i = 0; i < 30; i++) {
        for (int r = 0; r < H; r++)
            for (int c = 0; c < W * 3; c++)
                img.data[(size_t)r * (size_t)img.stride + (size_t)c] = (uint8_t)(r * c + i);
        ASSERT_OK(pa_output_write(o, &img, NULL));
        sleep_ms(5);
    }
    ASSERT_EQ(http_connect(&y, port, 0), 0);
    ASSERT_EQ(http_send(&y, GET_STREAM, strlen(GET_STREAM)), 0);
    sleep_ms(100);
    double t0 = now_s();
    ASSERT_OK(pa_output_close(o));
    double dt = now_s() - t0;
    printf("close with two clients attached took %.0f ms\n", dt * 1e3);
    ASSERT_LT(dt, 3.0);
    http_close(&x);
    http_close(&y);
    pa_image_free(&img);
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

PA_TEST_MAIN()

/** @file
 * Shared by test_control.c and test_control_abuse.c: a fake pipeline behind struct
 * pa_control_ops, server start/stop on an ephemeral 127.0.0.1 port, and a minimal HTTP/1.1
 * client over plain sockets (one request per connection, read until the server closes).
 */
#ifndef PA_TEST_CONTROL_CLIENT_H
#define PA_TEST_CONTROL_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "app/control.h"
#include "core/pa_common.h"
#include "pa_config.h"
#include "pa_test.h"

/* ---- the fake pipeline ------------------------------------------------------------------ */

struct fake {
    pthread_mutex_t mu;
    struct pa_anim_params params;
    int calibrations, switches, switch_ret;
    char last_path[4096];
    unsigned char last_bytes[64]; ///< head of the file at switch time (uploads are temporary)
    size_t last_size;
    struct pa_pipeline_status st;
};

static inline void f_status(void *ctx, struct pa_pipeline_status *st)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    *st = f->st;
    pthread_mutex_unlock(&f->mu);
}

static inline int f_switch(void *ctx, const char *path)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    snprintf(f->last_path, sizeof(f->last_path), "%s", path);
    f->switches++;
    FILE *fp = fopen(path, "rb");
    f->last_size = 0;
    if (fp) {
        fseek(fp, 0, SEEK_END);
        f->last_size = (size_t)ftell(fp);
        fseek(fp, 0, SEEK_SET);
        if (fread(f->last_bytes, 1, sizeof(f->last_bytes), fp) == 0)
            f->last_size = 0;
        fclose(fp);
    }
    int ret = f->switch_ret;
    pthread_mutex_unlock(&f->mu);
    return ret;
}

static inline void f_calibrate(void *ctx)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->calibrations++;
    pthread_mutex_unlock(&f->mu);
}

static inline void f_get(void *ctx, struct pa_anim_params *ap)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    *ap = f->params;
    pthread_mutex_unlock(&f->mu);
}

static inline void f_set(void *ctx, const struct pa_anim_params *ap)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->params = *ap;
    pthread_mutex_unlock(&f->mu);
}

static const struct pa_control_ops g_ops = {f_status, f_switch, f_calibrate, f_get, f_set};

static struct fake g_fake;

/* A locked copy of the fake's state (the server thread writes it). */
static inline struct fake snap(void)
{
    pthread_mutex_lock(&g_fake.mu);
    struct fake copy = g_fake;
    pthread_mutex_unlock(&g_fake.mu);
    return copy;
}
static struct pa_control *g_ctl;
static int g_port;

static inline void start(const char *token)
{
    if (!PA_HAVE_MICROHTTPD)
        PA_SKIP("built without libmicrohttpd");
    memset(&g_fake, 0, sizeof(g_fake));
    pthread_mutex_init(&g_fake.mu, NULL);
    g_fake.params = pa_anim_default_params();
    g_fake.st = (struct pa_pipeline_status){.uptime_s = 12.5,
                                            .fps_in = 30.25,
                                            .fps_out = 29.5,
                                            .cpu_percent = 140,
                                            .rss_mib = 100.5,
                                            .frames_in = 377,
                                            .frames_out = 369,
                                            .dropped = 8,
                                            .lat_p50 = 41.5,
                                            .lat_p95 = 63.25,
                                            .lat_max = 90,
                                            .track_p50 = 9.5,
                                            .track_p95 = 12,
                                            .anim_p50 = 14.5,
                                            .anim_p95 = 19,
                                            .outputs_alive = 2,
                                            .switches_ok = 3,
                                            .switches_failed = 1,
                                            .portrait = "portraits/a \"b\".png"};
    struct pa_control_opts o = {"127.0.0.1", 0, token};
    ASSERT_OK(pa_control_start(&g_ctl, &o, &g_ops, &g_fake));
    g_port = pa_control_port(g_ctl);
    ASSERT_GT(g_port, 0);
}

static inline void stop(void)
{
    pa_control_stop(g_ctl);
    g_ctl = NULL;
}

/* ---- a minimal HTTP client -------------------------------------------------------------- */

struct resp {
    int status; ///< 0 when the server closed without an answer
    char head[8192];
    char *body;
    size_t len;
};

static inline int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send raw bytes (a send error is fine: the server may answer early and close), then read
 * the whole answer until the server closes. No asserts: also used on helper threads.
 * @return 0, or -1 when the connection or memory failed. */
static inline int fetch(const void *req, size_t len, struct resp *r)
{
    memset(r, 0, sizeof(*r));
    int fd = connect_local(g_port);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < len;) {
        ssize_t w = send(fd, (const char *)req + done, len - done, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (!buf)
        return -1;
    buf[n] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (n > 12 && !strncmp(buf, "HTTP/1.", 7) && end) {
        r->status = atoi(buf + 9);
        size_t hl = (size_t)(end - buf);
        snprintf(r->head, sizeof(r->head), "%.*s", (int)PA_MIN(hl, sizeof(r->head) - 1), buf);
        r->len = n - hl - 4;
        r->body = malloc(r->len + 1);
        if (r->body)
            memcpy(r->body, end + 4, r->len + 1);
    }
    free(buf);
    return r->status && !r->body ? -1 : 0;
}

static inline void raw(const void *req, size_t len, struct resp *r)
{
    ASSERT_OK(fetch(req, len, r));
}

static inline void http(const char *method, const char *path, const char *headers, const void *body,
                        size_t len, struct resp *r)
{
    char head[16384];
    int h = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, headers ? headers : "", len);
    ASSERT_TRUE(h > 0 && (size_t)h < sizeof(head));
    char *req = malloc((size_t)h + len);
    ASSERT_TRUE(req != NULL);
    memcpy(req, head, (size_t)h);
    if (len)
        memcpy(req + h, body, len);
    raw(req, (size_t)h + len, r);
    free(req);
}

static inline void get(const char *path, struct resp *r)
{
    http("GET", path, NULL, NULL, 0, r);
}

static inline void post_json(const char *path, const char *json, struct resp *r)
{
    http("POST", path, "Content-Type: application/json\r\n", json, strlen(json), r);
}

static inline void done(struct resp *r)
{
    free(r->body);
    r->body = NULL;
}

#define ASSERT_HAS(s, part)                                                                        \
    do {                                                                                           \
        if (!(s) || !strstr((s), (part)))                                                          \
            PA__FAIL("'%s' does not contain '%s'", (s) ? (s) : "(null)", (part));                  \
    } while (0)

#endif /* PA_TEST_CONTROL_CLIENT_H */

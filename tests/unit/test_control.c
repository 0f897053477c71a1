/** @file
 * The HTTP control API (src/app/control*.c) against a fake pipeline behind struct
 * pa_control_ops, driven by a plain socket client on 127.0.0.1 (ephemeral ports): every
 * endpoint, auth, 404/405/413/415, hostile requests, Prometheus syntax, concurrency.
 */
#include "pa_test.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "app/control.h"
#include "core/image.h"
#include "core/log.h"
#include "pa_config.h"

#ifdef PA_TEST_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

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

static void f_status(void *ctx, struct pa_pipeline_status *st)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    *st = f->st;
    pthread_mutex_unlock(&f->mu);
}

static int f_switch(void *ctx, const char *path)
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

static void f_calibrate(void *ctx)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->calibrations++;
    pthread_mutex_unlock(&f->mu);
}

static void f_get(void *ctx, struct pa_anim_params *ap)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    *ap = f->params;
    pthread_mutex_unlock(&f->mu);
}

static void f_set(void *ctx, const struct pa_anim_params *ap)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->params = *ap;
    pthread_mutex_unlock(&f->mu);
}

static const struct pa_control_ops g_ops = {f_status, f_switch, f_calibrate, f_get, f_set};

static struct fake g_fake;

/* A locked copy of the fake's state (the server thread writes it). */
static struct fake snap(void)
{
    pthread_mutex_lock(&g_fake.mu);
    struct fake copy = g_fake;
    pthread_mutex_unlock(&g_fake.mu);
    return copy;
}
static struct pa_control *g_ctl;
static int g_port;

static void start(const char *token)
{
    if (!PA_HAVE_MICROHTTPD)
        PA_SKIP("built without libmicrohttpd");
    memset(&g_fake, 0, sizeof(g_fake));
    pthread_mutex_init(&g_fake.mu, NULL);
    g_fake.params = pa_anim_default_params();
    g_fake.st = (struct pa_pipeline_status){
        .uptime_s = 12.5, .fps_in = 30.25, .fps_out = 29.5, .cpu_percent = 140,
        .rss_mib = 100.5, .frames_in = 377, .frames_out = 369, .dropped = 8,
        .lat_p50 = 41.5, .lat_p95 = 63.25, .lat_max = 90, .track_p50 = 9.5, .track_p95 = 12,
        .anim_p50 = 14.5, .anim_p95 = 19, .outputs_alive = 2, .switches_ok = 3,
        .switches_failed = 1, .portrait = "portraits/a \"b\".png"};
    struct pa_control_opts o = {"127.0.0.1", 0, token};
    ASSERT_OK(pa_control_start(&g_ctl, &o, &g_ops, &g_fake));
    g_port = pa_control_port(g_ctl);
    ASSERT_GT(g_port, 0);
}

static void stop(void)
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

static int connect_local(int port)
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
static int fetch(const void *req, size_t len, struct resp *r)
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

static void raw(const void *req, size_t len, struct resp *r)
{
    ASSERT_OK(fetch(req, len, r));
}

static void http(const char *method, const char *path, const char *headers, const void *body,
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

static void get(const char *path, struct resp *r)
{
    http("GET", path, NULL, NULL, 0, r);
}

static void post_json(const char *path, const char *json, struct resp *r)
{
    http("POST", path, "Content-Type: application/json\r\n", json, strlen(json), r);
}

static void done(struct resp *r)
{
    free(r->body);
    r->body = NULL;
}

#define ASSERT_HAS(s, part)                                                                       \
    do {                                                                                          \
        if (!(s) || !strstr((s), (part)))                                                         \
            PA__FAIL("'%s' does not contain '%s'", (s) ? (s) : "(null)", (part));                 \
    } while (0)

/* ---- tests ------------------------------------------------------------------------------ */

PA_TEST(status_json)
{
    struct resp r;
    start(NULL);
    get("/status", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.head, "application/json");
#ifdef PA_TEST_HAVE_CJSON
    cJSON *j = cJSON_Parse(r.body);
    ASSERT_TRUE(j != NULL);
    ASSERT_NEAR(cJSON_GetObjectItem(j, "uptime_s")->valuedouble, 12.5, 1e-9);
    ASSERT_NEAR(cJSON_GetObjectItem(j, "fps_out")->valuedouble, 29.5, 1e-9);
    ASSERT_EQ(cJSON_GetObjectItem(j, "dropped")->valueint, 8);
    ASSERT_EQ(cJSON_GetObjectItem(j, "outputs_alive")->valueint, 2);
    cJSON *lat = cJSON_GetObjectItem(j, "latency_ms");
    ASSERT_NEAR(cJSON_GetObjectItem(lat, "p95")->valuedouble, 63.25, 1e-9);
    ASSERT_TRUE(!strcmp(cJSON_GetObjectItem(j, "portrait")->valuestring, "portraits/a \"b\".png"));
    cJSON_Delete(j);
#endif
    done(&r);
    stop();
}

/* One exposition line: # HELP / # TYPE, or name{label="v",...} value. */
static int prom_line_ok(const char *line, char *name, size_t n)
{
    if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
        const char *p = line + 7;
        size_t k = strcspn(p, " ");
        if (!k || k >= n || !p[k])
            return 0;
        if (!strncmp(line, "# TYPE ", 7)) {
            const char *t = p + k + 1;
            return !strcmp(t, "gauge") || !strcmp(t, "counter") || !strcmp(t, "summary") ||
                   !strcmp(t, "histogram") || !strcmp(t, "untyped");
        }
        return 1;
    }
    const char *p = line;
    if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':'))
        return 0;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
        p++;
    snprintf(name, n, "%.*s", (int)(p - line), line);
    if (*p == '{') {
        p++;
        while (*p != '}') {
            if (!(isalpha((unsigned char)*p) || *p == '_'))
                return 0;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            if (*p++ != '=' || *p++ != '"')
                return 0;
            while (*p && *p != '"')
                p += *p == '\\' ? 2 : 1;
            if (*p++ != '"')
                return 0;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return 0;
        }
        p++;
    }
    if (*p++ != ' ')
        return 0;
    if (!strcmp(p, "NaN") || !strcmp(p, "+Inf") || !strcmp(p, "-Inf"))
        return 1;
    char *end;
    strtod(p, &end);
    return end != p && *end == '\0';
}

static double metric_value(const char *text, const char *series)
{
    char pat[256];
    snprintf(pat, sizeof(pat), "\n%s ", series);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

PA_TEST(metrics_are_prometheus_text)
{
    struct resp r;
    start(NULL);
    get("/metrics", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.head, "text/plain; version=0.0.4");
    ASSERT_TRUE(r.len > 0 && r.body[r.len - 1] == '\n');
    char typed[64][64];
    int n_typed = 0, samples = 0;
    for (char *line = strtok(r.body, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (!prom_line_ok(line, name, sizeof(name)))
            PA__FAIL("not a Prometheus line: '%s'", line);
        if (!strncmp(line, "# TYPE ", 7)) {
            ASSERT_TRUE(n_typed < 64);
            snprintf(typed[n_typed++], 64, "%.*s", (int)strcspn(line + 7, " "), line + 7);
        } else if (line[0] != '#') {
            int found = 0; // every sample follows the TYPE line of its family
            for (int i = 0; i < n_typed; i++)
                found |= !strcmp(typed[i], name);
            if (!found)
                PA__FAIL("sample '%s' has no # TYPE", line);
            samples++;
        }
        line[strlen(line)] = '\n'; // undo strtok for the value lookups below
    }
    ASSERT_GT(samples, 15);
    ASSERT_NEAR(metric_value(r.body, "panim_fps_in"), 30.25, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_fps_out"), 29.5, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_latency_ms{quantile=\"0.5\"}"), 41.5, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_latency_ms{quantile=\"0.95\"}"), 63.25, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_frames_total"), 369, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_dropped_frames_total"), 8, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_stage_ms{stage=\"track\",quantile=\"0.95\"}"), 12, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_rss_bytes"), 100.5 * 1048576, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_portrait_switches_total{result=\"ok\"}"), 3, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_portrait_switches_total{result=\"refused\"}"), 1, 0);
    done(&r);
    stop();
}

PA_TEST(params_get_and_post)
{
    struct resp r;
    start(NULL);
    get("/params", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.body, "\"expr_scale\":1");
    ASSERT_HAS(r.body, "\"method\":\"mesh\"");
    ASSERT_HAS(r.body, "\"follow\":[\"pose\",\"expression\",\"eyes\",\"lips\"]");
    done(&r);
    post_json("/params", "{\"expr_scale\": 1.5, \"method\": \"affine2d\", \"absolute\": true, "
                         "\"follow\": [\"pose\", \"eyes\"], \"crop_size\": 384}",
              &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.body, "\"expr_scale\":1.5");
    done(&r);
    ASSERT_TRUE(snap().params.expr_scale == 1.5f);
    ASSERT_EQ(snap().params.method, PA_ANIM_AFFINE2D);
    ASSERT_EQ(snap().params.absolute, 1);
    ASSERT_EQ(snap().params.follow, PA_FOLLOW_POSE | PA_FOLLOW_EYES);
    ASSERT_EQ(snap().params.crop_size, 384);
    // curl -d sends form encoding by default: the body is JSON all the same.
    http("POST", "/params", "Content-Type: application/x-www-form-urlencoded\r\n",
         "{\"yaw_mul\":-1}", 14, &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    ASSERT_TRUE(snap().params.yaw_mul == -1.0f);
    stop();
}

PA_TEST(params_errors_name_the_field_and_change_nothing)
{
    static const struct {
        const char *body, *field, *msg;
    } bad[] = {
        {"{\"expr_scale\": 2, \"crop_scale\": 9}", "crop_scale", "9 is out of range 1.5..4"},
        {"{\"expr_scal\": 1}", "expr_scal", "did you mean 'expr_scale'?"},
        {"{\"threads\": 2}", "threads", "cannot change while running"},
        {"{\"crop_size\": 512.5}", "crop_size", "is not an integer"},
        {"{\"method\": \"warp\"}", "method", "is not one of mesh, affine2d, static"},
        {"{\"follow\": [\"pose\", 3]}", "follow", "list"},
        {"{\"expr_scale\": {\"a\": 1}}", "expr_scale", "object"},
        {"{\"expr_scale\": null}", "expr_scale", "needs a value"},
        {"{\"expr_scale\": [1]}", "expr_scale", "found a list"},
        {"{\"absolute\": \"maybe\"}", "absolute", "not true or false"},
        {"[1, 2]", NULL, "JSON object"},
        {"{\"expr_scale\": ", NULL, "JSON object"},
        {"", NULL, "JSON object"},
    };
    struct resp r;
    start(NULL);
    pa_log_set("quiet");
    struct pa_anim_params before = snap().params;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        post_json("/params", bad[i].body, &r);
        if (r.status != 400)
            PA__FAIL("case %zu: status %d for %s", i, r.status, bad[i].body);
        ASSERT_HAS(r.body, bad[i].msg);
        if (bad[i].field) {
            char want[96];
            snprintf(want, sizeof(want), "\"field\":\"%s\"", bad[i].field);
            ASSERT_HAS(r.body, want);
        }
        done(&r);
    }
    struct pa_anim_params after = snap().params;
    ASSERT_EQ(memcmp(&before, &after, sizeof(before)), 0); // all or nothing
    stop();
}

PA_TEST(portrait_by_path)
{
    struct resp r;
    start(NULL);
    const char *png = pa_test_tmp("p.png");
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, 8, 8, PA_PIX_RGB24));
    ASSERT_OK(pa_image_save(&img, png, 90));
    pa_image_free(&img);
    char body[4200];
    snprintf(body, sizeof(body), "{\"path\": \"%s\"}", png);
    post_json("/portrait", body, &r);
    ASSERT_EQ(r.status, 202);
    done(&r);
    ASSERT_TRUE(!strcmp(snap().last_path, png));
    post_json("/portrait", "{\"path\": \"/nonexistent/x.png\"}", &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_HAS(r.body, "no such file");
    done(&r);
    post_json("/portrait", "{\"file\": 1}", &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    pthread_mutex_lock(&g_fake.mu);
    g_fake.switch_ret = PA_EINVAL; // the pipeline refuses
    pthread_mutex_unlock(&g_fake.mu);
    post_json("/portrait", body, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_HAS(r.body, "refused");
    done(&r);
    ASSERT_EQ(snap().switches, 2);
    stop();
}

PA_TEST(portrait_upload)
{
    struct resp r;
    start(NULL);
    const char *png = pa_test_tmp("u.png");
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, 32, 24, PA_PIX_RGB24));
    memset(img.data, 200, (size_t)img.stride * 24);
    ASSERT_OK(pa_image_save(&img, png, 90));
    pa_image_free(&img);
    FILE *f = fopen(png, "rb");
    ASSERT_TRUE(f != NULL);
    unsigned char bytes[8192];
    size_t n = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    ASSERT_GT(n, 8);
    http("POST", "/portrait", "Content-Type: image/png\r\n", bytes, n, &r);
    ASSERT_EQ(r.status, 202);
    done(&r);
    ASSERT_EQ(snap().last_size, n); // the pipeline got a file with exactly these bytes
    ASSERT_EQ(memcmp(snap().last_bytes, bytes, PA_MIN(n, sizeof(snap().last_bytes))), 0);
    // Exactly at the 20 MiB limit: streamed to the file, accepted.
    size_t at_limit = PA_CONTROL_MAX_IMAGE;
    unsigned char *huge = malloc(at_limit);
    ASSERT_TRUE(huge != NULL);
    memset(huge, 0x5A, at_limit);
    memcpy(huge, bytes, 8);
    http("POST", "/portrait", "Content-Type: image/png\r\n", huge, at_limit, &r);
    free(huge);
    ASSERT_EQ(r.status, 202);
    done(&r);
    ASSERT_EQ(snap().last_size, at_limit);
    char kept[4096];
    snprintf(kept, sizeof(kept), "%s", snap().last_path);
    ASSERT_EQ(access(kept, R_OK), 0);
    // Not an image, the wrong type, nothing at all.
    http("POST", "/portrait", "Content-Type: image/jpeg\r\n", "hello", 5, &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    http("POST", "/portrait", "Content-Type: image/gif\r\n", "GIF89a", 6, &r);
    ASSERT_EQ(r.status, 415);
    done(&r);
    http("POST", "/portrait", "Content-Type: image/png\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    ASSERT_EQ(snap().switches, 2);
    stop();
    ASSERT_TRUE(access(kept, F_OK) != 0); // stop deletes the uploads
}

PA_TEST(oversized_bodies_get_413)
{
    struct resp r;
    start(NULL);
    // Announced too big: refused from the headers alone.
    char req[512];
    snprintf(req, sizeof(req),
             "POST /portrait HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
             "Content-Length: %u\r\n\r\n\x89PNG",
             PA_CONTROL_MAX_IMAGE + 1);
    raw(req, strlen(req), &r);
    ASSERT_EQ(r.status, 413);
    done(&r);
    // JSON over 64 KiB, sent in full.
    size_t big = PA_CONTROL_MAX_JSON + 100;
    char *body = malloc(big);
    ASSERT_TRUE(body != NULL);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    post_json("/params", "{}", &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    http("POST", "/params", "Content-Type: application/json\r\n", body, big, &r);
    ASSERT_EQ(r.status, 413);
    done(&r);
    // Chunked, no length: cut off when it passes the limit.
    char *chunked = malloc(big + 256);
    ASSERT_TRUE(chunked != NULL);
    int h = snprintf(chunked, 256,
                     "POST /params HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "%zx\r\n",
                     big);
    memcpy(chunked + h, body, big);
    memcpy(chunked + h + big, "\r\n0\r\n\r\n", 7);
    raw(chunked, (size_t)h + big + 7, &r);
    ASSERT_TRUE(r.status == 413 || r.status == 0);
    done(&r);
    free(chunked);
    free(body);
    // A body on GET is refused; the server still answers afterwards.
    http("GET", "/status", NULL, "x", 1, &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    get("/status", &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    stop();
}

PA_TEST(auth_with_token)
{
    struct resp r;
    start("s3cret-token");
    get("/status", &r);
    ASSERT_EQ(r.status, 401);
    ASSERT_HAS(r.head, "WWW-Authenticate: Bearer");
    done(&r);
    http("GET", "/status", "Authorization: Bearer wrong\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 401);
    done(&r);
    http("GET", "/status", "Authorization: Bearer s3cret-toke\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 401);
    done(&r);
    http("GET", "/status", "Authorization: Basic czNjcmV0LXRva2Vu\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 401);
    done(&r);
    post_json("/calibrate", "", &r); // writes need it as much as reads
    ASSERT_EQ(r.status, 401);
    done(&r);
    ASSERT_EQ(snap().calibrations, 0);
    get("/nope", &r); // unknown paths are not revealed either
    ASSERT_EQ(r.status, 401);
    done(&r);
    http("GET", "/status", "Authorization: Bearer s3cret-token\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    http("POST", "/calibrate", "Authorization: bearer s3cret-token\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    ASSERT_EQ(snap().calibrations, 1);
    stop();
}

PA_TEST(bind_rules)
{
    if (!PA_HAVE_MICROHTTPD)
        PA_SKIP("built without libmicrohttpd");
    struct pa_control *c = NULL;
    struct fake f;
    memset(&f, 0, sizeof(f));
    pa_log_set("quiet");
    struct pa_control_opts open_bind = {"0.0.0.0", 0, NULL};
    ASSERT_ERR(pa_control_start(&c, &open_bind, &g_ops, &f), PA_EINVAL);
    ASSERT_TRUE(c == NULL);
    struct pa_control_opts empty_token = {"0.0.0.0", 0, ""};
    ASSERT_ERR(pa_control_start(&c, &empty_token, &g_ops, &f), PA_EINVAL);
    struct pa_control_opts junk = {"not-an-address", 0, "t"};
    ASSERT_ERR(pa_control_start(&c, &junk, &g_ops, &f), PA_EINVAL);
    struct pa_control_opts port = {"127.0.0.1", 70000, NULL};
    ASSERT_ERR(pa_control_start(&c, &port, &g_ops, &f), PA_EINVAL);
    struct pa_control_opts with_token = {"0.0.0.0", 0, "t"};
    ASSERT_OK(pa_control_start(&c, &with_token, &g_ops, &f));
    ASSERT_GT(pa_control_port(c), 0);
    // The same port twice cannot be bound.
    struct pa_control *c2 = NULL;
    struct pa_control_opts same = {"0.0.0.0", pa_control_port(c), "t"};
    ASSERT_ERR(pa_control_start(&c2, &same, &g_ops, &f), PA_EIO);
    pa_control_stop(c);
    pa_control_stop(NULL);
    ASSERT_TRUE(pa_control_bind_is_loopback("127.0.0.1"));
    ASSERT_TRUE(pa_control_bind_is_loopback("127.1.2.3"));
    ASSERT_TRUE(pa_control_bind_is_loopback("::1"));
    ASSERT_TRUE(pa_control_bind_is_loopback("localhost"));
    ASSERT_TRUE(!pa_control_bind_is_loopback("0.0.0.0"));
    ASSERT_TRUE(!pa_control_bind_is_loopback("192.168.1.2"));
    ASSERT_TRUE(!pa_control_bind_is_loopback("::"));
}

PA_TEST(not_found_and_wrong_methods)
{
    struct resp r;
    start(NULL);
    get("/nope", &r);
    ASSERT_EQ(r.status, 404);
    done(&r);
    get("/status/", &r);
    ASSERT_EQ(r.status, 404);
    done(&r);
    http("DELETE", "/status", NULL, NULL, 0, &r);
    ASSERT_EQ(r.status, 405);
    ASSERT_HAS(r.head, "Allow: GET, HEAD");
    done(&r);
    get("/calibrate", &r);
    ASSERT_EQ(r.status, 405);
    done(&r);
    post_json("/status", "{}", &r);
    ASSERT_EQ(r.status, 405);
    done(&r);
    http("HEAD", "/metrics", NULL, NULL, 0, &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.len, 0);
    done(&r);
    get("/status?verbose=1", &r); // a query string does not change the route
    ASSERT_EQ(r.status, 200);
    done(&r);
    post_json("/calibrate", "", &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    ASSERT_EQ(snap().calibrations, 1);
    stop();
}

PA_TEST(hostile_requests_do_not_hurt)
{
    struct resp r;
    start(NULL);
    // A 10 KB header.
    size_t big = 10 * 1024;
    char *req = malloc(big + 256);
    ASSERT_TRUE(req != NULL);
    int h = snprintf(req, 256, "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + h, 'a', big);
    memcpy(req + h + big, "\r\n\r\n", 5);
    raw(req, strlen(req), &r);
    ASSERT_TRUE(r.status == 0 || (r.status >= 400 && r.status < 500));
    done(&r);
    // Garbage bytes, a request line without a version, a half request, binary noise.
    uint32_t rng = 7;
    for (size_t i = 0; i < big; i++) {
        rng = rng * 1103515245u + 12345u;
        req[i] = (char)(rng >> 16);
    }
    memcpy(req + big - 4, "\r\n\r\n", 4);
    raw(req, big, &r);
    ASSERT_TRUE(r.status == 0 || (r.status >= 400 && r.status < 500));
    done(&r);
    static const char *const junk[] = {
        "GET\r\n\r\n",
        "GET /status\r\n\r\n",
        "GET /status HTTP/9.9\r\n\r\n",
        "POST /params HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
        "POST /params HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "POST /params HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", // body never comes
        "\r\n\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        // Close our side after sending so requests waiting for more bytes end.
        // (A server may also wait for the rest of a request until its timeout: fine.)
        int fd = connect_local(g_port);
        ASSERT_TRUE(fd >= 0);
        struct timeval tv = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ASSERT_TRUE(send(fd, junk[i], strlen(junk[i]), MSG_NOSIGNAL) > 0);
        shutdown(fd, SHUT_WR);
        char buf[4096];
        ssize_t k = recv(fd, buf, sizeof(buf) - 1, 0);
        close(fd);

        if (k > 12) {
            buf[k] = '\0';
            int status = atoi(buf + 9);
            if (status < 400 || status >= 600)
                PA__FAIL("junk %zu answered %d", i, status);
        }
    }
    // Connect and vanish without a byte. Connections over the per-address limit (16) are
    // closed at once until the server has noticed these are gone, so allow it a moment.
    for (int i = 0; i < 40; i++)
        close(connect_local(g_port));
    free(req);
    int status = 0;
    for (int tries = 0; tries < 50 && status != 200; tries++) {
        if (tries)
            nanosleep(&(struct timespec){0, 20000000}, NULL);
        get("/status", &r);
        status = r.status;
        done(&r);
    }
    ASSERT_EQ(status, 200);
    stop();
}

static void *hammer(void *arg)
{
    int *ok = arg;
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < 25; i++) {
        struct resp r;
        *ok += fetch(req, sizeof(req) - 1, &r) == 0 && r.status == 200;
        done(&r);
    }
    return NULL;
}

PA_TEST(concurrent_clients)
{
    start(NULL);
    pthread_t t[4];
    int ok[4] = {0};
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(pthread_create(&t[i], NULL, hammer, &ok[i]), 0);
    struct resp r;
    for (int i = 0; i < 25; i++) {
        post_json("/params", i % 2 ? "{\"expr_scale\": 2}" : "{\"expr_scale\": 0.5}", &r);
        ASSERT_EQ(r.status, 200);
        done(&r);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ASSERT_EQ(ok[i], 25);
    }
    ASSERT_TRUE(snap().params.expr_scale == 0.5f); // the last post (i = 24) wins
    stop();
}

PA_TEST_MAIN()

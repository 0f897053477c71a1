/** @file
 * The HTTP control API under abuse: bearer tokens, bind rules, 404/405, bodies over the
 * limits (413), oversized headers, garbage bytes, half requests, connection storms and
 * concurrent clients. The server must answer 4xx or close, and keep serving.
 */
#include "pa_test.h"

#include "control_client.h"
#include "core/log.h"

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

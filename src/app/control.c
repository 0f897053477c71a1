/** @file
 * The control API's HTTP server (libmicrohttpd, one internal polling thread, so handlers
 * never run concurrently): address and token checks at start, per-request state, auth,
 * routing, body limits, and the hand-off to control_routes.c.
 *
 * Request life cycle in libmicrohttpd: the access handler is called once when the headers
 * are in (*con_cls == NULL), then once per body chunk (*upload_data_size > 0), then once
 * more with no data. Every rejection that the headers allow (401, 404, 405, 413 from
 * Content-Length, 415) is answered at the first call, before any body byte is read; a body
 * that grows past the limit without a Content-Length is cut off with 413 at that point.
 * The MHD connection memory limit (8 KiB) bounds the header block: larger requests are
 * refused by libmicrohttpd itself with a 4xx.
 */
#include "app/control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/control_impl.h"
#include "core/log.h"
#include "core/mem.h"
#include "pa_config.h"

#if PA_HAVE_MICROHTTPD

#include <microhttpd.h>

#define MEMORY_LIMIT (8u << 10)

enum route { R_STATUS, R_METRICS, R_PARAMS, R_PORTRAIT, R_CALIBRATE };

static const struct {
    const char *path;
    const char *allow; ///< methods, as in the Allow header
} g_routes[] = {
    [R_STATUS] = {"/status", "GET, HEAD"},       [R_METRICS] = {"/metrics", "GET, HEAD"},
    [R_PARAMS] = {"/params", "GET, HEAD, POST"}, [R_PORTRAIT] = {"/portrait", "POST"},
    [R_CALIBRATE] = {"/calibrate", "POST"},
};

/* Per-request state (MHD's *con_cls). */
struct request {
    enum route route;
    int post;
    int to_file;    ///< POST /portrait with image bytes: the body goes to a temp file
    size_t limit;   ///< body bytes allowed
    size_t len;     ///< body bytes received
    char *buf;      ///< JSON body (limit bytes)
    int answered;   ///< an error was queued: ignore the rest of this request
    int fd;         ///< temp file, -1 when none
    char *tmp_path; ///< its name (pa_malloc), NULL once handed over
};

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct pa_control_reply *rep)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_COPY);
    pa_freep(&rep->body);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep->type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rep->allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rep->allow);
    if (rep->status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"panim\"");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rep->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *msg,
                                  const char *allow)
{
    struct pa_control_reply rep = {0};
    pa_control_error(&rep, status, NULL, "%s", msg);
    rep.allow = allow;
    return send_reply(conn, &rep);
}

/* Constant-time comparison of the bearer token (no early exit on the first difference). */
static int authorized(const struct pa_control *c, struct MHD_Connection *conn)
{
    if (!c->token)
        return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return 0;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    unsigned diff = n != c->token_len;
    for (size_t i = 0; i < c->token_len; i++)
        diff |= (unsigned char)c->token[i] ^ (unsigned char)(i < n ? h[i] : 0);
    return diff == 0;
}

static int find_route(const char *url)
{
    for (size_t i = 0; i < PA_ARRAY_SIZE(g_routes); i++)
        if (!strcmp(url, g_routes[i].path))
            return (int)i;
    return -1;
}

static int method_allowed(int route, const char *method)
{
    const char *allow = g_routes[route].allow;
    size_t n = strlen(method);
    for (const char *p = allow; (p = strstr(p, method)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || !p[n]))
            return 1;
    return 0;
}

/* Content-Type without parameters ("image/png; x=y" -> image/png), compared loosely. */
static int is_type(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && !strncasecmp(ct, want, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* First call: everything decided from the headers. @return 0 to go on, or a status. */
static int start_request(struct pa_control *c, struct MHD_Connection *conn, const char *url,
                         const char *method, struct request *rq, const char **msg)
{
    rq->fd = -1;
    if (!authorized(c, conn)) {
        *msg = "missing or wrong bearer token";
        return MHD_HTTP_UNAUTHORIZED;
    }
    int route = find_route(url);
    if (route < 0) {
        *msg = "no such endpoint (try /status, /metrics, /params, /portrait, /calibrate)";
        return MHD_HTTP_NOT_FOUND;
    }
    rq->route = (enum route)route;
    if (!method_allowed(route, method)) {
        *msg = "method not allowed";
        return MHD_HTTP_METHOD_NOT_ALLOWED;
    }
    rq->post = !strcmp(method, "POST");
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    rq->limit = PA_CONTROL_MAX_JSON;
    if (rq->route == R_PORTRAIT && ct && !strncasecmp(ct, "image/", 6)) {
        if (!is_type(ct, "image/png") && !is_type(ct, "image/jpeg")) {
            *msg = "send the portrait as image/png or image/jpeg, or JSON {\"path\": ...}";
            return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        }
        rq->to_file = 1;
        rq->limit = PA_CONTROL_MAX_IMAGE;
    }
    if (!rq->post)
        rq->limit = 0;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > rq->limit) {
        *msg = rq->post ? "request body too large" : "this method takes no body";
        return rq->post ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_BAD_REQUEST;
    }
    return 0;
}

static int open_temp(struct request *rq)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/panim-portrait-XXXXXX", dir && *dir ? dir : "/tmp");
    rq->fd = mkstemp(path); // mode 0600: nobody else reads what was uploaded
    if (rq->fd < 0) {
        pa_log_error("control", "cannot create a temporary file in %s: %s",
                     dir && *dir ? dir : "/tmp", strerror(errno));
        return PA_EIO;
    }
    rq->tmp_path = pa_strdup(path);
    return rq->tmp_path ? 0 : PA_ENOMEM;
}

/* Take one body chunk. @return 0, or a status code to answer with. */
static int take_chunk(struct request *rq, const char *data, size_t n)
{
    if (n > rq->limit - rq->len)
        return MHD_HTTP_CONTENT_TOO_LARGE;
    if (rq->to_file) {
        if (rq->fd < 0 && open_temp(rq) < 0)
            return MHD_HTTP_INTERNAL_SERVER_ERROR;
        for (size_t done = 0; done < n;) {
            ssize_t w = write(rq->fd, data + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return MHD_HTTP_INSUFFICIENT_STORAGE;
            done += (size_t)w;
        }
    } else {
        if (!rq->buf && !(rq->buf = pa_malloc(rq->limit)))
            return MHD_HTTP_INTERNAL_SERVER_ERROR;
        memcpy(rq->buf + rq->len, data, n);
    }
    rq->len += n;
    return 0;
}

/* Last call: the request is complete; run the endpoint. */
static void finish_request(struct pa_control *c, struct request *rq, struct pa_control_reply *rep)
{
    switch (rq->route) {
    case R_STATUS:
        pa_control_get_status(c, rep);
        return;
    case R_METRICS:
        pa_control_get_metrics(c, rep);
        return;
    case R_CALIBRATE:
        pa_control_post_calibrate(c, rep);
        return;
    case R_PARAMS:
        if (rq->post)
            pa_control_post_params(c, rq->buf, rq->len, rep);
        else
            pa_control_get_params(c, rep);
        return;
    case R_PORTRAIT:
        if (!rq->to_file) {
            pa_control_post_portrait_json(c, rq->buf, rq->len, rep);
            return;
        }
        if (rq->fd < 0) {
            pa_control_error(rep, MHD_HTTP_BAD_REQUEST, NULL, "empty image body");
            return;
        }
        close(rq->fd);
        rq->fd = -1;
        pa_control_post_portrait_file(c, rq->tmp_path, rep);
        rq->tmp_path = NULL; // handed over
        return;
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct pa_control *c = cls;
    struct request *rq = *con_cls;
    (void)version;
    if (!rq) {
        if (!(rq = pa_calloc(1, sizeof(*rq))))
            return MHD_NO;
        *con_cls = rq;
        const char *msg = "";
        int status = start_request(c, conn, url, method, rq, &msg);
        if (status) {
            rq->answered = 1;
            return send_error(conn, status, msg,
                              status == MHD_HTTP_METHOD_NOT_ALLOWED ? g_routes[rq->route].allow
                                                                    : NULL);
        }
        return MHD_YES;
    }
    if (rq->answered) { // never run an endpoint for a refused request
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        int status = take_chunk(rq, upload_data, n);
        if (status) {
            rq->answered = 1;
            return send_error(conn, status,
                              status == MHD_HTTP_CONTENT_TOO_LARGE
                                  ? "request body too large"
                                  : "cannot store the request body",
                              NULL);
        }
        return MHD_YES;
    }
    struct pa_control_reply rep = {0};
    finish_request(c, rq, &rep);
    return send_reply(conn, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!rq)
        return;
    if (rq->fd >= 0)
        close(rq->fd);
    if (rq->tmp_path) {
        unlink(rq->tmp_path); // an aborted or refused upload
        pa_free(rq->tmp_path);
    }
    pa_free(rq->buf);
    pa_free(rq);
    *con_cls = NULL;
}

int pa_control_start(struct pa_control **out, const struct pa_control_opts *opts,
                     const struct pa_control_ops *ops, void *ctx)
{
    *out = NULL;
    const char *bind = opts->bind && *opts->bind ? opts->bind : "127.0.0.1";
    int has_token = opts->token && *opts->token;
    if (!pa_control_bind_is_loopback(bind) && !has_token) {
        pa_log_error("control", "refusing to serve on %s without a token (set control.token)",
                     bind);
        return PA_EINVAL;
    }
    if (opts->port < 0 || opts->port > 65535) {
        pa_log_error("control", "port %d is out of range 0..65535", opts->port);
        return PA_EINVAL;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (!strcmp(bind, "localhost") || inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        if (!strcmp(bind, "localhost"))
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)opts->port);
    } else if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)opts->port);
        flags |= MHD_USE_IPv6;
    } else {
        pa_log_error("control", "'%s' is not an IPv4 or IPv6 address", bind);
        return PA_EINVAL;
    }
    struct pa_control *c = pa_calloc(1, sizeof(*c));
    if (!c)
        return PA_ENOMEM;
    c->ops = ops;
    c->ctx = ctx;
    if (has_token) {
        c->token_len = strlen(opts->token);
        if (!(c->token = pa_strdup(opts->token))) {
            pa_free(c);
            return PA_ENOMEM;
        }
    }
    c->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, c, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u,
        MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)MEMORY_LIMIT, MHD_OPTION_NOTIFY_COMPLETED, on_completed, c, MHD_OPTION_END);
    if (!c->daemon) {
        pa_log_error("control",
                     "cannot listen on %s port %d (in use, or not an address of "
                     "this machine?)",
                     bind, opts->port);
        pa_control_stop(c);
        return PA_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(c->daemon, MHD_DAEMON_INFO_BIND_PORT);
    c->port = info ? info->port : opts->port;
    pa_log_info("control", "control API on http://%s:%d/ (%s)", bind, c->port,
                c->token ? "token required" : "no token");
    *out = c;
    return 0;
}

int pa_control_port(const struct pa_control *c)
{
    return c ? c->port : 0;
}

void pa_control_stop(struct pa_control *c)
{
    if (!c)
        return;
    if (c->daemon)
        MHD_stop_daemon(c->daemon); // joins the server thread: no handler runs after this
    for (int i = 0; i < PA_CONTROL_KEEP_UPLOADS; i++) {
        if (c->uploads[i])
            unlink(c->uploads[i]);
        pa_free(c->uploads[i]);
    }
    pa_free(c->token);
    pa_free(c);
}

#else /* !PA_HAVE_MICROHTTPD */

int pa_control_start(struct pa_control **out, const struct pa_control_opts *opts,
                     const struct pa_control_ops *ops, void *ctx)
{
    (void)opts;
    (void)ops;
    (void)ctx;
    *out = NULL;
    pa_log_error("control", "built without libmicrohttpd: no control API "
                            "(apt-get install libmicrohttpd-dev and rebuild)");
    return PA_EUNSUPPORTED;
}

int pa_control_port(const struct pa_control *c)
{
    (void)c;
    return 0;
}

void pa_control_stop(struct pa_control *c)
{
    (void)c;
}

#endif

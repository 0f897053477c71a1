/** @file
 * MJPEG over HTTP ("mjpeg:PORT" or "mjpeg:HOST:PORT", default 127.0.0.1:8080; port 0 picks a
 * free one, see pa_output_port). GET / serves a tiny page with <img src="/stream">;
 * GET /stream is multipart/x-mixed-replace, one JPEG per part, the format browsers, OBS's
 * Browser and Media sources and ffmpeg all read:
 *
 *   --panimframe\r\n Content-Type: image/jpeg\r\n Content-Length: N\r\n X-Frame: SEQ\r\n \r\n
 *   <N bytes of JPEG>\r\n
 *
 * Threads: libmicrohttpd runs its listening thread and one thread per client (the library
 * owns them: started in open, joined in MHD_stop_daemon in close); the pipeline's output
 * thread only calls write. They meet in a small pool of JPEG slots guarded by one mutex:
 *  - write encodes into a slot nobody holds and that is not the latest (outside the lock),
 *    then publishes it as the latest and wakes the clients;
 *  - each client, between parts, drops its slot and takes a reference on the latest one,
 *    then sends that part at its own pace. A slow client therefore skips to the newest frame
 *    and never blocks the writer; when every spare slot is held, write skips the frame.
 *    (Skipping starts once the socket buffers are full, so the kernel send buffer is kept
 *    to about two frames.)
 *  - a client that disconnects (even mid-part) only makes libmicrohttpd call stream_free,
 *    which returns its slot.
 * No frame allocates: slots are sized for any JPEG of the frame (pa_jpeg_bound) at open.
 * With no client watching, write encodes nothing.
 *
 * Requests are untrusted: anything but GET/HEAD gets 405, unknown paths 404, headers over
 * MAX_HEADER_BYTES in total 431; garbage is answered 400 by libmicrohttpd itself. The
 * server binds to 127.0.0.1 unless a HOST is given, and has no authentication.
 */
#include "io/output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "io/jpeg.h"

#define BOUNDARY "panimframe"
#define N_SLOTS 6 ///< latest + one being encoded + frames held by slow clients
#define MAX_CLIENTS 16
#define MAX_HEADER_BYTES 4096
#define JPEG_QUALITY 80
#define KEEPALIVE_S 1 ///< resend the latest frame this often (seconds) when no new one comes

static const char page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>panim</title>"
    "<style>body{margin:0;background:#000}img{display:block;margin:auto;max-width:100vw;"
    "max-height:100vh}</style></head><body><img src=\"/stream\" alt=\"panim\"></body></html>\n";

struct slot {
    uint8_t *jpeg;
    size_t size;
    int refs;    ///< clients sending this slot (guarded by lock)
    int64_t seq; ///< frame number it holds
};

struct mjpeg {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* Guarded by lock: */
    struct slot slots[N_SLOTS];
    int latest;  ///< slot index of the newest frame, -1 before the first
    int64_t seq; ///< frames published
    int clients; ///< /stream responses alive
    int stopping;
    /* Immutable after open: */
    size_t cap;
    int w, h, port;
    char where[64]; ///< "HOST:PORT" for logs
    /* Output thread only: */
    int64_t skipped;
};

struct client {
    struct mjpeg *m;
    int slot;    ///< held slot, -1 none
    int64_t seq; ///< frame of the part being sent
    char head[160];
    size_t head_len, part_len, off;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = 0;
    pa_log_debug("io", "mjpeg: %s", msg);
}

/* Take the newest frame for c, waiting for one newer than the last sent (or resending it
 * after KEEPALIVE_S seconds, which also notices dead clients). @return 0, or -1 when stopping. */
static int next_part(struct client *c)
{
    struct mjpeg *m = c->m;
    pthread_mutex_lock(&m->lock);
    if (c->slot >= 0)
        m->slots[c->slot].refs--;
    c->slot = -1;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += KEEPALIVE_S;
    int timed_out = 0;
    while (!m->stopping && (m->latest < 0 || (m->slots[m->latest].seq == c->seq && !timed_out))) {
        if (pthread_cond_timedwait(&m->cond, &m->lock, &until) != ETIMEDOUT)
            continue;
        timed_out = 1;
        if (m->latest < 0) /* no frame at all yet: keep waiting */
            until.tv_sec += KEEPALIVE_S;
    }
    if (m->stopping) {
        pthread_mutex_unlock(&m->lock);
        return -1;
    }
    struct slot *s = &m->slots[m->latest];
    c->slot = m->latest;
    s->refs++;
    c->seq = s->seq;
    size_t size = s->size;
    pthread_mutex_unlock(&m->lock);
    int n = snprintf(c->head, sizeof(c->head),
                     "--" BOUNDARY "\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n"
                     "X-Frame: %lld\r\n\r\n",
                     size, (long long)c->seq);
    c->head_len = (size_t)n;
    c->part_len = c->head_len + size + 2;
    c->off = 0;
    return 0;
}

/* libmicrohttpd's content reader, on the client's own thread: copy the next bytes of the
 * current part; the slot stays referenced until the part is complete. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct client *c = cls;
    (void)pos;
    if ((c->slot < 0 || c->off == c->part_len) && next_part(c) < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    const struct slot *s = &c->m->slots[c->slot];
    size_t n = 0;
    while (n < max && c->off < c->part_len) {
        size_t off = c->off, take;
        if (off < c->head_len) {
            take = PA_MIN(max - n, c->head_len - off);
            memcpy(buf + n, c->head + off, take);
        } else if (off < c->head_len + s->size) {
            off -= c->head_len;
            take = PA_MIN(max - n, s->size - off);
            memcpy(buf + n, s->jpeg + off, take);
        } else {
            off -= c->head_len + s->size;
            take = PA_MIN(max - n, 2 - off);
            static const char crlf[2] = {'\r', '\n'};
            memcpy(buf + n, crlf + off, take);
        }
        n += take;
        c->off += take;
    }
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct client *c = cls;
    struct mjpeg *m = c->m;
    pthread_mutex_lock(&m->lock);
    if (c->slot >= 0)
        m->slots[c->slot].refs--;
    m->clients--;
    pthread_mutex_unlock(&m->lock);
    pa_free(c);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *type,
                             const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Frames that fit in the kernel's send buffer are frames a slow client sees late, since
 * skipping only happens once that buffer is full: keep it to about two JPEGs (a JPEG at
 * quality 80 is roughly w·h/8 bytes). */
static void limit_send_buffer(const struct mjpeg *m, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int bytes = PA_CLAMP(m->w * m->h / 4, 16 * 1024, 1024 * 1024);
    if (ci && setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0)
        pa_log_debug("io", "mjpeg: SO_SNDBUF: %s", strerror(errno));
}

static enum MHD_Result start_stream(struct mjpeg *m, struct MHD_Connection *conn)
{
    limit_send_buffer(m, conn);
    struct client *c = pa_calloc(1, sizeof(*c));
    if (!c)
        return MHD_NO;
    c->m = m;
    c->slot = -1;
    c->seq = -1;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, c, stream_free);
    if (!r) {
        pa_free(c);
        return MHD_NO;
    }
    pthread_mutex_lock(&m->lock);
    m->clients++;
    pthread_mutex_unlock(&m->lock);
    /* Plain bytes until close (no chunked encoding): what MJPEG readers expect. */
    MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "multipart/x-mixed-replace;boundary=" BOUNDARY);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, no-store");
    MHD_add_response_header(r, MHD_HTTP_HEADER_PRAGMA, "no-cache");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* stream_free runs when the connection is done with it */
    return ret;
}

static enum MHD_Result add_len(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req)
{
    struct mjpeg *m = cls;
    (void)version;
    (void)upload_data;
    (void)req;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
    if (*upload_size != 0)
        return reply(conn, MHD_HTTP_BAD_REQUEST, "text/plain", "no body expected\n");
    size_t header_bytes = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_len, &header_bytes);
    if (header_bytes > MAX_HEADER_BYTES)
        return reply(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "text/plain",
                     "headers too large\n");
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
        return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", page);
    if (strcmp(url, "/stream") == 0 || strcmp(url, "/stream.mjpg") == 0)
        return start_stream(m, conn);
    return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try / or /stream\n");
}

/* "PORT" or "HOST:PORT" (IPv4 dotted or "localhost"); "" = 127.0.0.1:8080. */
static int parse_arg(const char *arg, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *colon = strrchr(arg, ':'), *port = colon ? colon + 1 : arg;
    if (colon) {
        char host[64];
        size_t n = (size_t)(colon - arg);
        if (n == 0 || n >= sizeof(host))
            goto bad;
        memcpy(host, arg, n);
        host[n] = 0;
        if (strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, &sa->sin_addr) != 1)
            goto bad;
    }
    long p = 8080;
    if (*port) {
        char *end;
        errno = 0;
        p = strtol(port, &end, 10);
        if (errno || *end || p < 0 || p > 65535)
            goto bad;
    }
    sa->sin_port = htons((uint16_t)p);
    return 0;
bad:
    pa_log_error("io",
                 "mjpeg:%s: expected mjpeg:PORT or mjpeg:HOST:PORT (IPv4 HOST, PORT "
                 "0..65535, 0 = any free port)",
                 arg);
    return PA_EINVAL;
}

static int mjpeg_close(void *state);

static int mjpeg_open(void **state, const char *arg, const struct pa_output_params *p)
{
    struct sockaddr_in sa;
    int ret = parse_arg(arg, &sa);
    if (ret < 0)
        return ret;
    struct mjpeg *m = pa_calloc(1, sizeof(*m));
    if (!m)
        return PA_ENOMEM;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    m->latest = -1;
    m->w = p->width;
    m->h = p->height;
    m->cap = pa_jpeg_bound(p->width, p->height);
    ret = PA_ENOMEM;
    for (int i = 0; i < N_SLOTS; i++) {
        m->slots[i].seq = -1;
        if (!m->cap || !(m->slots[i].jpeg = pa_malloc(m->cap)))
            goto fail;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
    m->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                     MHD_USE_AUTO | MHD_USE_ERROR_LOG,
                                 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)MAX_CLIENTS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!m->daemon) {
        pa_log_error("io", "mjpeg: cannot listen on %s:%u (port in use, or not allowed)", ip,
                     (unsigned)ntohs(sa.sin_port));
        ret = PA_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : ntohs(sa.sin_port);
    snprintf(m->where, sizeof(m->where), "%s:%d", ip, m->port);
    if (sa.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
        pa_log_warn("io", "mjpeg: serving on %s to the network, without authentication", m->where);
    pa_log_info("io", "mjpeg: stream at http://%s/stream (page at http://%s/)", m->where, m->where);
    *state = m;
    return 0;
fail:
    mjpeg_close(m);
    return ret;
}

static int mjpeg_write(void *state, const struct pa_image *frame, const struct pa_output_info *info)
{
    struct mjpeg *m = state;
    (void)info;
    if (frame->fmt != PA_PIX_RGB24 || frame->w != m->w || frame->h != m->h)
        return PA_EINVAL;
    int free_slot = -1;
    pthread_mutex_lock(&m->lock);
    if (m->clients == 0)
        m->latest =
            -1; /* nobody watches: encode nothing, and a new viewer waits for a fresh frame */
    for (int i = 0; i < N_SLOTS && m->clients > 0 && free_slot < 0; i++)
        if (i != m->latest && m->slots[i].refs == 0)
            free_slot = i;
    pthread_mutex_unlock(&m->lock);
    if (free_slot < 0) {
        m->skipped++;
        return 0;
    }
    /* Safe without the lock: clients only take the latest slot, and this one is not it. */
    size_t size;
    int ret = pa_jpeg_encode_mem(frame, JPEG_QUALITY, m->slots[free_slot].jpeg, m->cap, &size);
    if (ret < 0) {
        pa_log_warn("io", "mjpeg: frame skipped (%s)", pa_strerror(ret));
        return ret == PA_EOVERFLOW ? 0 : ret;
    }
    pthread_mutex_lock(&m->lock);
    m->slots[free_slot].size = size;
    m->slots[free_slot].seq = m->seq++;
    m->latest = free_slot;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static int mjpeg_port(void *state)
{
    return ((const struct mjpeg *)state)->port;
}

static int mjpeg_close(void *state)
{
    struct mjpeg *m = state;
    if (!m)
        return 0;
    if (m->daemon) {
        pthread_mutex_lock(&m->lock);
        m->stopping = 1;
        pthread_cond_broadcast(&m->cond);
        pthread_mutex_unlock(&m->lock);
        MHD_stop_daemon(m->daemon); /* joins every client thread; their slots come back */
        pa_log_debug("io", "mjpeg: %s closed (%lld frames not encoded while slots were busy)",
                     m->where, (long long)m->skipped);
    }
    for (int i = 0; i < N_SLOTS; i++)
        pa_free(m->slots[i].jpeg);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    pa_free(m);
    return 0;
}

const struct pa_output_ops pa_output_mjpeg_ops = {
    .prefix = "mjpeg",
    .open = mjpeg_open,
    .write = mjpeg_write,
    .port = mjpeg_port,
    .close = mjpeg_close,
};

/** @file
 * HTTP control API of `panim live` (libmicrohttpd, one internal thread):
 *
 *   GET  /status     JSON snapshot: uptime, fps, latency, dropped frames, portrait, outputs
 *   GET  /metrics    Prometheus text exposition (format 0.0.4), panim_* metrics
 *   GET  /params     the current animation controls as JSON (keys of the config's
 *                    `animate` section that can change while running)
 *   POST /params     JSON object with any subset of those keys; validated with the config
 *                    option table (same ranges, same messages) and applied all at once;
 *                    a bad value is 400 {"error": "...", "field": "name"} and changes nothing
 *   POST /portrait   {"path": "FILE"} (Content-Type application/json), or the raw bytes of a
 *                    PNG/JPEG (Content-Type image/png or image/jpeg, at most 20 MiB), which
 *                    are stored in a private temporary file first
 *   POST /calibrate  the next driver frame becomes the neutral reference
 *
 * Security: binds 127.0.0.1 by default. Any other address needs a token, and the server
 * refuses to start without one. With a token every endpoint wants
 * `Authorization: Bearer TOKEN` (401 otherwise). Requests are untrusted input: headers
 * above ~8 KiB, bodies above the limit (413), unknown paths (404), wrong methods (405),
 * bad JSON (400) and unsupported content types (415) are answered and forgotten; no
 * request reaches the pipeline before it was fully validated.
 *
 * The module talks to the pipeline only through struct pa_control_ops, so tests run it
 * against a fake. The live command's adapter is five one-line functions:
 *
 *   static void st(void *c, struct pa_pipeline_status *s) { pa_pipeline_get_status(c, s); }
 *   static int sw(void *c, const char *p) { return pa_pipeline_switch_portrait(c, p); }
 *   static void cal(void *c) { pa_pipeline_calibrate(c); }
 *   static void gp(void *c, struct pa_anim_params *a) { pa_pipeline_get_params(c, a); }
 *   static void sp(void *c, const struct pa_anim_params *a) { pa_pipeline_set_params(c, a); }
 *   static const struct pa_control_ops ops = {st, sw, cal, gp, sp};
 *   ...
 *   struct pa_control *ctl = NULL;
 *   if (o.ctl.port > 0 && pa_control_start(&ctl, &o.ctl, &ops, pipeline) < 0)
 *       goto fail;                 // already logged (bad address, port in use, no token)
 *   pa_pipeline_run(pipeline);
 *   pa_control_stop(ctl);          // before pa_pipeline_destroy: handlers use the pipeline
 *
 * Threading: the ops are called on the server's thread (one at a time); they must be safe
 * to call while the pipeline runs (the pa_pipeline_* functions above are).
 */
#ifndef PA_APP_CONTROL_H
#define PA_APP_CONTROL_H

#include <stddef.h>

#include "app/pipeline.h"
#include "panim.h"

/** Largest accepted POST /portrait image body. */
#define PA_CONTROL_MAX_IMAGE (20u << 20)
/** Largest accepted JSON body (POST /params, POST /portrait with a path). */
#define PA_CONTROL_MAX_JSON (64u << 10)

/** The `control` section of the configuration. Strings are borrowed (see config.h). */
struct pa_control_opts {
    const char *bind;  ///< IPv4/IPv6 address or "localhost" (default "127.0.0.1")
    int port;          ///< TCP port; for pa_control_start 0 = any free port (see _port())
    const char *token; ///< bearer token, NULL = none (only allowed on loopback)
};

/** What the control API may do to the pipeline; ctx is passed through untouched. */
struct pa_control_ops {
    void (*get_status)(void *ctx, struct pa_pipeline_status *st);
    /** Queue a portrait switch; @return 0, or a negative code (answered as 400). */
    int (*switch_portrait)(void *ctx, const char *path);
    void (*calibrate)(void *ctx);
    void (*get_params)(void *ctx, struct pa_anim_params *ap);
    void (*set_params)(void *ctx, const struct pa_anim_params *ap);
};

struct pa_control;

/**
 * Start serving on opts->bind:opts->port.
 * @param opts read during the call only (the token is copied).
 * @param ops, ctx must outlive the server (until pa_control_stop returns).
 * @return 0; PA_EINVAL (bad address, or a non-loopback address without a token);
 *         PA_EIO (the port cannot be bound); PA_EUNSUPPORTED (built without libmicrohttpd).
 */
int pa_control_start(struct pa_control **out, const struct pa_control_opts *opts,
                     const struct pa_control_ops *ops, void *ctx);

/** @return the TCP port really bound (useful after port 0). */
int pa_control_port(const struct pa_control *c);

/**
 * Stop the server: close the socket, wait for running handlers, delete the temporary
 * portrait files it wrote. Accepts NULL.
 */
void pa_control_stop(struct pa_control *c);

/** @return 1 when `bind` names a loopback address (127.0.0.0/8, ::1, "localhost"), else 0. */
int pa_control_bind_is_loopback(const char *bind);

#endif /* PA_APP_CONTROL_H */

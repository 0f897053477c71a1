/** @file
 * Internals of the control API shared by control.c (HTTP server, request bodies, auth)
 * and control_routes.c (what each endpoint answers). Not for other modules.
 */
#ifndef PA_APP_CONTROL_IMPL_H
#define PA_APP_CONTROL_IMPL_H

#include <stddef.h>

#include "app/control.h"
#include "core/pa_common.h"

/** Temporary portrait files kept alive for the pipeline's builder (the oldest is deleted). */
#define PA_CONTROL_KEEP_UPLOADS 4

struct pa_control {
    struct MHD_Daemon *daemon;
    const struct pa_control_ops *ops;
    void *ctx;
    char *token; ///< NULL = no authentication
    size_t token_len;
    int port;
    /* Uploaded portraits, touched only on the server thread (and in stop, after it ended). */
    char *uploads[PA_CONTROL_KEEP_UPLOADS];
    int next_upload;
};

/** An answer: status code, content type, body (owned, pa_malloc'ed). */
struct pa_control_reply {
    int status;
    const char *type;  ///< Content-Type
    const char *allow; ///< for 405: the Allow header
    char *body;
    size_t len;
};

/** Fill `rep` with a JSON error {"error": msg[, "field": field]}; field may be NULL. */
void pa_control_error(struct pa_control_reply *rep, int status, const char *field, const char *fmt,
                      ...) PA_PRINTF(4, 5);

void pa_control_get_status(struct pa_control *c, struct pa_control_reply *rep);
void pa_control_get_metrics(struct pa_control *c, struct pa_control_reply *rep);
void pa_control_get_params(struct pa_control *c, struct pa_control_reply *rep);
/** body: JSON text of len bytes (not NUL-terminated). */
void pa_control_post_params(struct pa_control *c, const char *body, size_t len,
                            struct pa_control_reply *rep);
void pa_control_post_portrait_json(struct pa_control *c, const char *body, size_t len,
                                   struct pa_control_reply *rep);
/**
 * `path`: a complete temporary file (pa_malloc'ed name, ownership taken) written from the
 * request body. Its first bytes are checked here; on success it is kept until
 * PA_CONTROL_KEEP_UPLOADS newer uploads arrived or the server stops, else deleted now.
 */
void pa_control_post_portrait_file(struct pa_control *c, char *path, struct pa_control_reply *rep);
void pa_control_post_calibrate(struct pa_control *c, struct pa_control_reply *rep);

#endif /* PA_APP_CONTROL_IMPL_H */

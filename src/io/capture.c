/** @file
 * Capture registry: picks a backend for a URI and forwards to its vtable.
 */
#include "io/capture.h"

#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "pa_config.h"

extern const struct pa_capture_ops pa_capture_idle;
extern const struct pa_capture_ops pa_capture_v4l2;
extern const struct pa_capture_ops pa_capture_source;

/* Probe order matters: specific schemes first, the catch-all file/URL source last. */
static const struct pa_capture_ops *const g_captures[] = {
    &pa_capture_idle,
    &pa_capture_v4l2,
    &pa_capture_source,
};

struct pa_capture {
    const struct pa_capture_ops *ops;
    void *state;
};

int64_t pa_capture_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int pa_capture_open(struct pa_capture **out, const char *uri, const struct pa_capture_params *p)
{
    *out = NULL;
    const struct pa_capture_ops *ops = NULL;
    for (size_t i = 0; i < PA_ARRAY_SIZE(g_captures) && !ops; i++) {
        if (g_captures[i]->probe(uri))
            ops = g_captures[i];
    }
    if (!ops) {
        pa_log_error("io", "%s: no capture backend for this source", uri);
        return PA_EUNSUPPORTED;
    }
    struct pa_capture *c = pa_calloc(1, sizeof(*c));
    if (!c)
        return PA_ENOMEM;
    c->ops = ops;
    int ret = ops->open(&c->state, uri, p);
    if (ret < 0) {
        pa_free(c);
        return ret;
    }
    *out = c;
    return 0;
}

int pa_capture_read(struct pa_capture *c, struct pa_capture_frame *f)
{
    return c->ops->read(c->state, f);
}

const char *pa_capture_name(const struct pa_capture *c)
{
    return c->ops->name;
}

int pa_capture_is_idle(const struct pa_capture *c)
{
    return c->ops == &pa_capture_idle;
}

void pa_capture_close(struct pa_capture *c)
{
    if (!c)
        return;
    c->ops->close(c->state);
    pa_free(c);
}

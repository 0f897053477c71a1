/** @file
 * Null output ("null" or "null:NAME"): accepts every frame and only counts it. It is the
 * sink of `panim bench pipeline`, so that the measured CPU and latency are the pipeline's
 * own (capture, track, animate, hand-over) and not an encoder's or a socket's. The count is
 * logged at debug level on close ("io:debug" in PA_DEBUG).
 */
#include "io/output.h"

#include <stdint.h>

#include "core/log.h"
#include "core/mem.h"

struct null_out {
    int w, h;
    int64_t frames;
};

static int null_open(void **state, const char *arg, const struct pa_output_params *p)
{
    (void)arg;
    struct null_out *n = pa_calloc(1, sizeof(*n));
    if (!n)
        return PA_ENOMEM;
    n->w = p->width;
    n->h = p->height;
    *state = n;
    return 0;
}

static int null_write(void *state, const struct pa_image *frame, const struct pa_output_info *info)
{
    (void)info;
    struct null_out *n = state;
    if (frame->w != n->w || frame->h != n->h) {
        pa_log_error("io", "null: frame is %dx%d, opened for %dx%d", frame->w, frame->h, n->w,
                     n->h);
        return PA_EINVAL;
    }
    n->frames++;
    return 0;
}

static int null_close(void *state)
{
    struct null_out *n = state;
    if (!n)
        return 0;
    pa_log_debug("io", "null: %lld frames", (long long)n->frames);
    pa_free(n);
    return 0;
}

const struct pa_output_ops pa_output_null_ops = {
    .prefix = "null",
    .open = null_open,
    .write = null_write,
    .close = null_close,
};

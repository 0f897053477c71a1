/** @file
 * The output registry: one table from spec prefix to backend (FFmpeg's allfilters.c in
 * small), plus the thin pa_output_* wrappers that make a failed output "sticky": once a write
 * fails, the output is treated as closed and the same error comes back without calling the
 * backend again, so one broken sink never stalls or spams the pipeline.
 */
#include "io/output.h"

#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "pa_config.h"

static const struct pa_output_ops *const outputs[] = {
#if PA_HAVE_SDL2
    &pa_output_window_ops,
#endif
    &pa_output_v4l2_ops,
#if PA_HAVE_FFMPEG
    &pa_output_file_ops,   &pa_output_stream_ops,
#endif
#if PA_HAVE_MICROHTTPD
    &pa_output_mjpeg_ops,
#endif
    &pa_output_ndi_ops,
    &pa_output_null_ops,
};

/* Known prefixes whose backend may be missing from this build, and what to install. */
static const struct {
    const char *prefix, *hint;
} optional[] = {
    {"window", "SDL2 (libsdl2-dev)"},
    {"file", "FFmpeg (libavformat-dev libavcodec-dev libswscale-dev)"},
    {"stream", "FFmpeg (libavformat-dev libavcodec-dev libswscale-dev)"},
    {"mjpeg", "libmicrohttpd (libmicrohttpd-dev)"},
};

struct pa_output {
    const struct pa_output_ops *ops;
    void *state;
    char *spec;
    int error; ///< sticky write error, 0 while healthy
};

static const struct pa_output_ops *find_ops(const char *spec, const char **arg)
{
    size_t n = strcspn(spec, ":");
    for (size_t i = 0; i < PA_ARRAY_SIZE(outputs); i++) {
        const char *pre = outputs[i]->prefix;
        if (strlen(pre) == n && strncmp(spec, pre, n) == 0) {
            *arg = spec[n] == ':' ? spec + n + 1 : spec + n;
            return outputs[i];
        }
    }
    return NULL;
}

static int unknown_spec(const char *spec)
{
    size_t n = strcspn(spec, ":");
    for (size_t i = 0; i < PA_ARRAY_SIZE(optional); i++) {
        if (strlen(optional[i].prefix) == n && strncmp(spec, optional[i].prefix, n) == 0) {
            pa_log_error("io", "%s: this build has no '%s' output (rebuild with %s)", spec,
                         optional[i].prefix, optional[i].hint);
            return PA_EUNSUPPORTED;
        }
    }
    pa_log_error("io",
                 "%s: unknown output (use window, v4l2:/dev/videoN, file:PATH.mp4|.mkv, "
                 "stream:rtmp://...|srt://..., mjpeg:PORT, ndi:NAME or null)",
                 spec);
    return PA_EINVAL;
}

int pa_output_open(struct pa_output **out, const char *spec, const struct pa_output_params *p)
{
    *out = NULL;
    if (!spec || !p || p->width < 1 || p->height < 1) {
        pa_log_error("io", "%s: bad output parameters (%dx%d)", spec ? spec : "(null)",
                     p ? p->width : 0, p ? p->height : 0);
        return PA_EINVAL;
    }
    const char *arg = NULL;
    const struct pa_output_ops *ops = find_ops(spec, &arg);
    if (!ops)
        return unknown_spec(spec);
    struct pa_output *o = pa_calloc(1, sizeof(*o));
    if (!o)
        return PA_ENOMEM;
    o->ops = ops;
    o->spec = pa_strdup(spec);
    if (!o->spec) {
        pa_free(o);
        return PA_ENOMEM;
    }
    int ret = ops->open(&o->state, arg, p);
    if (ret < 0) {
        pa_free(o->spec);
        pa_free(o);
        return ret;
    }
    *out = o;
    return 0;
}

int pa_output_write(struct pa_output *o, const struct pa_image *frame,
                    const struct pa_output_info *info)
{
    if (o->error)
        return o->error;
    int ret = o->ops->write(o->state, frame, info);
    if (ret < 0)
        o->error = ret; /* the backend logged why; the app decides what to say about it */
    return ret;
}

enum pa_output_event pa_output_poll(struct pa_output *o)
{
    return o->ops->poll ? o->ops->poll(o->state) : PA_OUT_EV_NONE;
}

const char *pa_output_spec(const struct pa_output *o)
{
    return o->spec;
}

int pa_output_port(const struct pa_output *o)
{
    return o->ops->port ? o->ops->port(o->state) : PA_EUNSUPPORTED;
}

int pa_output_close(struct pa_output *o)
{
    if (!o)
        return 0;
    int ret = o->ops->close(o->state);
    if (o->error)
        ret = o->error;
    pa_free(o->spec);
    pa_free(o);
    return ret;
}

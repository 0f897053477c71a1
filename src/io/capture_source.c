/** @file
 * Capture backends over offline sources: video files and URLs (FFmpeg), still images and
 * folders (io/source.h), paced in real time when asked; and the idle clock, which produces
 * timed ticks without pixels (the pipeline turns them into procedural face states).
 */
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "io/capture.h"
#include "io/source.h"

struct src_state {
    struct pa_source *src;
    struct pa_capture_params p;
    int64_t start_ns; ///< wall time of stream time 0 (real-time pacing)
    double t_offset;  ///< added to source times after each loop
    double t_last;
    int64_t seq;
};

static void sleep_until(int64_t target_ns)
{
    int64_t now = pa_capture_now_ns();
    if (target_ns <= now)
        return;
    int64_t d = target_ns - now;
    struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
    nanosleep(&ts, NULL);
}

static int src_probe(const char *uri)
{
    return uri && *uri;
}

static int src_open(void **state, const char *uri, const struct pa_capture_params *p)
{
    struct src_state *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    s->p = *p;
    if (!(s->p.fps > 0))
        s->p.fps = 30.0;
    int ret = pa_source_open(&s->src, uri);
    if (ret < 0) {
        pa_free(s);
        return ret;
    }
    *state = s;
    return 0;
}

static int src_read(void *state, struct pa_capture_frame *f)
{
    struct src_state *s = state;
    double t;
    int ret = pa_source_read(s->src, &f->img, &t, s->p.fps);
    if (ret == PA_EOF && s->p.loop && s->seq > 0) {
        s->t_offset = s->t_last + 1.0 / s->p.fps;
        if ((ret = pa_source_rewind(s->src)) < 0)
            return ret;
        ret = pa_source_read(s->src, &f->img, &t, s->p.fps);
    }
    if (ret < 0)
        return ret;
    t += s->t_offset;
    s->t_last = t;
    if (s->p.realtime) {
        if (s->seq == 0)
            s->start_ns = pa_capture_now_ns() - (int64_t)(t * 1e9);
        sleep_until(s->start_ns + (int64_t)(t * 1e9));
    }
    f->t = t;
    f->seq = s->seq++;
    f->capture_ns = pa_capture_now_ns();
    return 0;
}

static void src_close(void *state)
{
    struct src_state *s = state;
    if (!s)
        return;
    pa_source_close(s->src);
    pa_free(s);
}

const struct pa_capture_ops pa_capture_source = {
    .name = "file",
    .probe = src_probe,
    .open = src_open,
    .read = src_read,
    .close = src_close,
};

struct idle_state {
    double fps;
    int realtime;
    int64_t start_ns, seq;
};

static int idle_probe(const char *uri)
{
    return uri && !strcmp(uri, "idle");
}

static int idle_open(void **state, const char *uri, const struct pa_capture_params *p)
{
    (void)uri;
    struct idle_state *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    s->fps = p->fps > 0 ? p->fps : 30.0;
    s->realtime = p->realtime;
    s->start_ns = pa_capture_now_ns();
    *state = s;
    return 0;
}

static int idle_read(void *state, struct pa_capture_frame *f)
{
    struct idle_state *s = state;
    double t = (double)s->seq / s->fps;
    if (s->realtime)
        sleep_until(s->start_ns + (int64_t)(t * 1e9));
    memset(&f->img, 0, sizeof(f->img));
    f->t = t;
    f->seq = s->seq++;
    f->capture_ns = pa_capture_now_ns();
    return 0;
}

static void idle_close(void *state)
{
    pa_free(state);
}

const struct pa_capture_ops pa_capture_idle = {
    .name = "idle",
    .probe = idle_probe,
    .open = idle_open,
    .read = idle_read,
    .close = idle_close,
};

/** @file
 * Live pipeline threads (see pipeline.h for the thread/ownership map).
 *
 * Flow of one frame: the capture thread fills a pooled driver frame and posts it; the track
 * thread attaches the driver's face state (tracked, or procedural for "idle") and posts the
 * same frame on; the animate thread renders the current portrait into a pooled output frame
 * and posts it, with one reference per output, to every live output's mailbox. In live mode
 * every mailbox keeps only the newest frame (stale ones are dropped and counted); offline
 * mode makes every mailbox lossless so a file gets every frame in order.
 *
 * Shutdown cascades: the capture thread stops and closes the track mailbox, each stage
 * closes the next one when its input is closed and empty, and the outputs flush on close.
 */
#include "app/pipeline_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"

static double now_ms(void)
{
    return (double)pa_capture_now_ns() / 1e6;
}

/* ---- capture ---------------------------------------------------------------------------- */

/* Copy (or resize) a captured image into a pooled frame, creating the pool on first use. */
static int fill_driver_frame(struct pa_pipeline *pl, const struct pa_capture_frame *cf,
                             struct pa_frame **out)
{
    *out = NULL;
    if (!pl->drv_pool) {
        /* In flight at once: two per stage, plus one linked to each output frame. */
        int n = 2 * pl->o.n_outputs + 3 + 6;
        int ret = pa_frame_pool_create(&pl->drv_pool, n, cf->img.w, cf->img.h);
        if (ret < 0)
            return ret;
    }
    struct pa_frame *f;
    while (!(f = pa_frame_pool_get(pl->drv_pool))) {
        if (!pl->o.offline || atomic_load(&pl->abort))
            return 0; /* live: every buffer is in flight, drop this capture */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (cf->img.w > 0) {
        int ret = (f->img.w == cf->img.w && f->img.h == cf->img.h)
                      ? pa_image_copy(&f->img, &cf->img)
                      : pa_image_resize(&cf->img, &f->img);
        if (ret < 0) {
            pa_frame_unref(f);
            return ret;
        }
    }
    f->t = cf->t;
    f->seq = cf->seq;
    f->capture_ns = cf->capture_ns;
    *out = f;
    return 0;
}

/* A device vanished (webcam unplugged): keep the stream alive — the outputs keep showing
 * the last frame — and try to open it again once a second until it is back or we stop. */
static int reopen_capture(struct pa_pipeline *pl)
{
    pa_log_warn("app", "%s: driver lost; retrying every second (the output holds the last "
                       "frame)", pl->o.driver);
    pa_capture_close(pl->cap);
    pl->cap = NULL;
    while (!atomic_load(&pl->stop)) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        if (pa_capture_open(&pl->cap, pl->o.driver, &pl->cap_params) == 0) {
            pa_log_warn("app", "%s: driver is back", pl->o.driver);
            return 0;
        }
    }
    return PA_EOF;
}

static void *capture_main(void *arg)
{
    struct pa_pipeline *pl = arg;
    const struct pa_pipeline_opts *o = &pl->o;
    int64_t produced = 0;
    while (!atomic_load(&pl->stop)) {
        struct pa_capture_frame cf;
        double t0 = now_ms();
        int ret = pa_capture_read(pl->cap, &cf);
        if (ret == PA_EAGAIN)
            continue;
        if (ret == PA_EIO && !o->offline) {
            if (reopen_capture(pl) < 0)
                break;
            continue;
        }
        if (ret == PA_EOF) {
            pa_log_info("app", "driver ended");
            break;
        }
        if (ret < 0) {
            pa_log_error("app", "driver failed: %s", pa_strerror(ret));
            pl->capture_failed = 1;
            break;
        }
        /* Offline runs of endless sources (idle, --loop) stop at their stream-time limit. */
        if (o->offline && ((o->duration > 0 && cf.t >= o->duration - 1e-9) ||
                           (o->frames > 0 && produced >= o->frames)))
            break;
        struct pa_frame *f;
        if ((ret = fill_driver_frame(pl, &cf, &f)) < 0) {
            pa_log_error("app", "driver frame: %s", pa_strerror(ret));
            break;
        }
        if (!f) {
            pa_stats_drop(&pl->st_capture, 1);
            continue;
        }
        pa_stats_add(&pl->st_capture, now_ms() - t0);
        produced++;
        if (pa_mailbox_post(pl->mb_track, f) < 0)
            break;
    }
    pa_mailbox_close(pl->mb_track);
    return NULL;
}

/* ---- track ------------------------------------------------------------------------------ */

/* Idle: (re)build the generator around the current portrait's face when it changed. The
 * lock only covers copying the face: the animate thread takes it when it adopts a portrait. */
static int idle_state(struct pa_pipeline *pl, double t, struct pa_face_state *out)
{
    pthread_mutex_lock(&pl->neutral_lock);
    int gen = pl->neutral_gen, stale = gen != pl->idle_gen || !pl->idle;
    if (stale)
        *out = pl->neutral; /* out doubles as scratch for the neutral face */
    pthread_mutex_unlock(&pl->neutral_lock);
    if (stale) {
        pa_idle_destroy(pl->idle);
        pl->idle = NULL;
        int ret = pa_idle_create(&pl->idle, out, pl->o.seed);
        if (ret < 0)
            return ret;
        pl->idle_gen = gen;
    }
    return pa_idle_next(pl->idle, t, out);
}

static void *track_main(void *arg)
{
    struct pa_pipeline *pl = arg;
    struct pa_frame *f;
    while ((f = pa_mailbox_take(pl->mb_track, -1))) {
        double t0 = now_ms();
        int ret = pl->idle_driver ? idle_state(pl, f->t, f->face)
                                  : pa_tracker_process(pl->tracker, &f->img, f->t, f->face);
        if (ret < 0) {
            pa_log_error("app", "tracking failed: %s", pa_strerror(ret));
            pa_frame_unref(f);
            continue;
        }
        f->has_face = 1;
        pa_stats_add(&pl->st_track, now_ms() - t0);
        if (pa_mailbox_post(pl->mb_anim, f) < 0)
            break;
    }
    pa_stats_drop(&pl->st_track, pa_mailbox_dropped(pl->mb_track));
    pa_mailbox_close(pl->mb_anim);
    return NULL;
}

/* ---- animate ---------------------------------------------------------------------------- */

static void adopt_pending(struct pa_pipeline *pl)
{
    struct pa_portrait *p = atomic_exchange(&pl->pending, NULL);
    if (!p)
        return;
    /* The builder frees the old one on its next wake-up; if it has not yet freed the one
     * before (switches faster than it runs), free that one here. */
    pa_portrait_destroy(atomic_exchange(&pl->retired, pl->current));
    pl->current = p;
    pa_pipeline_publish_portrait(pl, p);
}

/* An output frame: wait for one in offline mode, drop the frame in live mode. */
static struct pa_frame *get_out_frame(struct pa_pipeline *pl)
{
    struct pa_frame *of;
    while (!(of = pa_frame_pool_get(pl->out_pool))) {
        if (!pl->o.offline || atomic_load(&pl->abort))
            return NULL;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return of;
}

static int render_one(struct pa_pipeline *pl, struct pa_frame *f)
{
    struct pa_portrait *p = pl->current;
    if (atomic_exchange(&pl->calibrate, 0))
        pa_animator_calibrate(p->anim);
    if (atomic_load(&pl->params_dirty)) {
        pthread_mutex_lock(&pl->params_lock);
        struct pa_anim_params ap = pl->params;
        atomic_store(&pl->params_dirty, 0);
        pthread_mutex_unlock(&pl->params_lock);
        pa_animator_set_params(p->anim, &ap);
    }
    int ret = pa_animator_render(p->anim, f->face, f->img.w ? &f->img : NULL, &p->render);
    if (ret < 0)
        return ret;
    struct pa_frame *of = get_out_frame(pl);
    if (!of) {
        pa_stats_drop(&pl->st_anim, 1);
        return 0;
    }
    ret = (of->img.w == p->render.w && of->img.h == p->render.h)
              ? pa_image_copy(&of->img, &p->render)
              : pa_image_resize(&p->render, &of->img);
    of->t = f->t;
    of->seq = f->seq;
    of->capture_ns = f->capture_ns;
    *of->face = *f->face;
    of->has_face = 1;
    if (f->img.w > 0) {
        pa_frame_ref(f); /* the side-by-side view shows the driver frame this came from */
        of->link = f;
    }
    for (int i = 0; ret == 0 && i < pl->n_outs; i++) {
        if (!atomic_load(&pl->outs[i].alive))
            continue;
        pa_frame_ref(of);
        pa_mailbox_post(pl->outs[i].mb, of);
    }
    pa_frame_unref(of);
    atomic_fetch_add(&pl->frames_out, 1);
    return ret;
}

static void *animate_main(void *arg)
{
    struct pa_pipeline *pl = arg;
    struct pa_frame *f;
    double last_done = 0.0;
    while ((f = pa_mailbox_take(pl->mb_anim, -1))) {
        adopt_pending(pl);
        double t0 = now_ms();
        int ret = render_one(pl, f);
        pa_frame_unref(f);
        if (ret < 0) {
            pa_log_error("app", "render failed: %s", pa_strerror(ret));
            continue;
        }
        double t1 = now_ms();
        pa_stats_add(&pl->st_anim, t1 - t0);
        if (last_done > 0.0 && t1 - last_done > atomic_load(&pl->max_gap_ms))
            atomic_store(&pl->max_gap_ms, t1 - last_done);
        last_done = t1;
        if (pl->o.frames > 0 && atomic_load(&pl->frames_out) >= pl->o.frames)
            atomic_store(&pl->stop, 1);
    }
    pa_stats_drop(&pl->st_anim, pa_mailbox_dropped(pl->mb_anim));
    for (int i = 0; i < pl->n_outs; i++)
        pa_mailbox_close(pl->outs[i].mb);
    atomic_store(&pl->anim_done, 1);
    return NULL;
}

/* ---- outputs ---------------------------------------------------------------------------- */

static void handle_event(struct pa_pipeline *pl, enum pa_output_event ev)
{
    switch (ev) {
    case PA_OUT_EV_QUIT:
        atomic_store(&pl->stop, 1);
        break;
    case PA_OUT_EV_NEXT_PORTRAIT:
    case PA_OUT_EV_PREV_PORTRAIT: {
        int n = pl->o.n_portraits;
        if (n > 1) {
            int step = ev == PA_OUT_EV_NEXT_PORTRAIT ? 1 : n - 1;
            int i = (atomic_load(&pl->portrait_index) + step) % n;
            atomic_store(&pl->portrait_index, i);
            pa_pipeline_switch_portrait(pl, pl->o.portraits[i]);
        }
        break;
    }
    case PA_OUT_EV_CALIBRATE:
        pa_pipeline_calibrate(pl);
        break;
    case PA_OUT_EV_NONE:
        break;
    }
}

static void *output_main(void *arg)
{
    struct pa_out_slot *s = arg;
    struct pa_pipeline *pl = s->pl;
    int ret = pa_output_open(&s->out, s->spec, &s->params);
    if (ret < 0) {
        pa_log_error("app", "output %s failed to open: %s", s->spec, pa_strerror(ret));
        atomic_store(&s->alive, 0);
    }
    atomic_store(&s->opened, 1);
    struct pa_frame *f;
    while ((f = pa_mailbox_take(s->mb, s->out ? 50 : -1)) || !pa_mailbox_closed(s->mb)) {
        if (f && atomic_load(&s->alive)) {
            struct pa_output_info info = {
                .fps_in = atomic_load(&pl->fps_in), .fps_out = atomic_load(&pl->fps_out),
                .latency_ms = atomic_load(&pl->lat_p50),
                .driver = f->has_face ? f->face : NULL,
                .driver_frame = f->link ? &f->link->img : NULL};
            double t0 = now_ms();
            ret = pa_output_write(s->out, &f->img, &info);
            if (ret < 0) {
                pa_log_error("app", "output %s failed: %s; closing it, others keep going",
                             s->spec, pa_strerror(ret));
                atomic_store(&s->alive, 0);
            } else {
                double end = now_ms();
                pa_stats_add(&s->stats, end - t0);
                pa_stats_add(&pl->st_latency, end - (double)f->capture_ns / 1e6);
            }
        }
        pa_frame_unref(f);
        enum pa_output_event ev;
        while (s->out && atomic_load(&s->alive) && (ev = pa_output_poll(s->out)) != PA_OUT_EV_NONE)
            handle_event(pl, ev);
    }
    pa_stats_drop(&s->stats, pa_mailbox_dropped(s->mb));
    if (s->out && pa_output_close(s->out) < 0)
        pa_log_error("app", "output %s: closing failed (file may be incomplete)", s->spec);
    s->out = NULL;
    return NULL;
}

/* ---- run -------------------------------------------------------------------------------- */

int pa_pipeline_start_threads(struct pa_pipeline *pl)
{
    for (int i = 0; i < pl->n_outs; i++) {
        if (pthread_create(&pl->outs[i].th, NULL, output_main, &pl->outs[i]) != 0)
            return PA_ENOMEM;
        pl->outs[i].started = 1;
    }
    if (pthread_create(&pl->th_anim, NULL, animate_main, pl) != 0)
        return PA_ENOMEM;
    pl->anim_started = 1;
    if (pthread_create(&pl->th_track, NULL, track_main, pl) != 0)
        return PA_ENOMEM;
    pl->track_started = 1;
    if (pthread_create(&pl->th_cap, NULL, capture_main, pl) != 0)
        return PA_ENOMEM;
    pl->cap_started = 1;
    return 0;
}

void pa_pipeline_join_threads(struct pa_pipeline *pl)
{
    atomic_store(&pl->stop, 1);
    if (pl->cap_started)
        pthread_join(pl->th_cap, NULL);
    pl->cap_started = 0;
    if (pl->track_started)
        pthread_join(pl->th_track, NULL);
    pl->track_started = 0;
    if (pl->anim_started)
        pthread_join(pl->th_anim, NULL);
    pl->anim_started = 0;
    for (int i = 0; i < pl->n_outs; i++) {
        if (pl->outs[i].started)
            pthread_join(pl->outs[i].th, NULL);
        pl->outs[i].started = 0;
    }
}

/** @file
 * Live pipeline control: option defaults, setup and teardown, the portrait builder thread,
 * the run loop (stop conditions, status lines, metrics CSV, watched folder) and status.
 */
/* Per-thread nice (setpriority on a thread id) is a Linux extension. */
#define _GNU_SOURCE
#include "app/pipeline_impl.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"

void pa_pipeline_default_opts(struct pa_pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->fps = 30.0;
    o->track_threads = 1;
    o->anim_threads = 1;
    o->track = pa_tracker_default_params();
    o->anim = pa_anim_default_params();
    o->status_every = 5;
    o->seed = 1;
}

void pa_pipeline_publish_portrait(struct pa_pipeline *pl, const struct pa_portrait *p)
{
    pthread_mutex_lock(&pl->neutral_lock);
    pl->neutral = p->face;
    pl->neutral_gen++;
    snprintf(pl->portrait_name, sizeof(pl->portrait_name), "%s", p->path);
    pthread_mutex_unlock(&pl->neutral_lock);
}

/* ---- builder thread: portrait switches off the hot path ---------------------------------- */

static void *build_main(void *arg)
{
    struct pa_pipeline *pl = arg;
    /* Rig building (tracker, segmenter) should yield the CPU to the live stages. A nice
     * value rather than SCHED_IDLE: an idle-class thread preempted while holding a shared
     * lock (malloc's arena, say) can stall the animate thread for hundreds of ms. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
        pa_log_debug("app", "portrait builder: cannot lower its priority");
    pthread_mutex_lock(&pl->build_lock);
    for (;;) {
        while (!pl->build_req && !pl->build_quit)
            pthread_cond_wait(&pl->build_cond, &pl->build_lock);
        if (pl->build_quit)
            break;
        char path[512];
        snprintf(path, sizeof(path), "%s", pl->build_path);
        pl->build_req = 0;
        pthread_mutex_unlock(&pl->build_lock);
        /* Free the portrait the animate thread retired, here rather than on the hot path. */
        pa_portrait_destroy(atomic_exchange(&pl->retired, NULL));

        pthread_mutex_lock(&pl->params_lock);
        struct pa_anim_params ap = pl->params;
        pthread_mutex_unlock(&pl->params_lock);
        struct pa_portrait *p = NULL;
        int ret = pa_portrait_build(&p, path, pl->b_tracker, pl->b_seg, &ap, pl->anim_par);
        if (ret < 0) {
            pa_log_error("app", "%s: portrait refused (%s); keeping the current one", path,
                         pa_strerror(ret));
            atomic_fetch_add(&pl->switches_failed, 1);
        } else {
            /* Hand over; if the animate thread has not taken the previous one, replace it. */
            pa_portrait_destroy(atomic_exchange(&pl->pending, p));
            atomic_fetch_add(&pl->switches_ok, 1);
            pa_log_info("app", "portrait switched to %s", path);
        }
        pthread_mutex_lock(&pl->build_lock);
    }
    pthread_mutex_unlock(&pl->build_lock);
    return NULL;
}

int pa_pipeline_switch_portrait(struct pa_pipeline *pl, const char *path)
{
    if (!path || strlen(path) >= sizeof(pl->build_path))
        return PA_EINVAL;
    pthread_mutex_lock(&pl->build_lock);
    snprintf(pl->build_path, sizeof(pl->build_path), "%s", path);
    pl->build_req = 1;
    pthread_cond_signal(&pl->build_cond);
    pthread_mutex_unlock(&pl->build_lock);
    return 0;
}

void pa_pipeline_calibrate(struct pa_pipeline *pl)
{
    atomic_store(&pl->calibrate, 1);
}

void pa_pipeline_set_params(struct pa_pipeline *pl, const struct pa_anim_params *ap)
{
    pthread_mutex_lock(&pl->params_lock);
    pl->params = *ap;
    atomic_store(&pl->params_dirty, 1);
    pthread_mutex_unlock(&pl->params_lock);
}

void pa_pipeline_get_params(struct pa_pipeline *pl, struct pa_anim_params *ap)
{
    pthread_mutex_lock(&pl->params_lock);
    *ap = pl->params;
    pthread_mutex_unlock(&pl->params_lock);
}

void pa_pipeline_stop(struct pa_pipeline *pl)
{
    atomic_store(&pl->stop, 1);
}

/* ---- setup ------------------------------------------------------------------------------ */

static int open_outputs(struct pa_pipeline *pl, int w, int h)
{
    const struct pa_pipeline_opts *o = &pl->o;
    for (int i = 0; i < o->n_outputs; i++) {
        struct pa_out_slot *s = &pl->outs[i];
        s->pl = pl;
        s->spec = o->outputs[i];
        s->params = (struct pa_output_params){.width = w, .height = h, .fps = o->fps,
                                              .live = !o->offline};
        atomic_store(&s->alive, 1);
        pa_stats_init(&s->stats, s->spec);
        /* A recording keeps every rendered frame (the encoder is fast enough to block on);
         * interactive outputs always show the newest frame. */
        int ret = pa_mailbox_create(&s->mb, o->offline || !strncmp(s->spec, "file:", 5));
        if (ret < 0)
            return ret;
        pl->n_outs++;
    }
    return 0;
}

int pa_pipeline_create(struct pa_pipeline **out, const struct pa_pipeline_opts *o)
{
    *out = NULL;
    if (o->n_portraits < 1 || !o->driver || o->n_outputs < 1) {
        pa_log_error("app", "live needs a portrait (-s), a driver (-d) and an output (--output)");
        return PA_EINVAL;
    }
    struct pa_pipeline *pl = pa_calloc(1, sizeof(*pl));
    if (!pl)
        return PA_ENOMEM;
    pl->o = *o;
    pl->params = o->anim;
    pthread_mutex_init(&pl->build_lock, NULL);
    pthread_cond_init(&pl->build_cond, NULL);
    pthread_mutex_init(&pl->params_lock, NULL);
    pthread_mutex_init(&pl->neutral_lock, NULL);
    pa_stats_init(&pl->st_capture, "capture");
    pa_stats_init(&pl->st_track, "track");
    pa_stats_init(&pl->st_anim, "animate");
    pa_stats_init(&pl->st_latency, "latency");
    *out = pl; /* destroy works on a partial pipeline from here on */
    int ret;
    if ((ret = pa_parallel_create(&pl->track_par, o->track_threads)) < 0 ||
        (ret = pa_parallel_create(&pl->anim_par, o->anim_threads)) < 0)
        return ret;
    if ((ret = pa_tracker_create(&pl->tracker, o->models, &o->track, pl->track_par)) < 0 ||
        (ret = pa_tracker_create(&pl->b_tracker, o->models, &o->track, NULL)) < 0)
        return ret;
    if (pa_segmenter_create(&pl->b_seg, o->models, o->track.backend, NULL) < 0)
        pa_log_warn("app", "person segmentation unavailable: only the face region will move");
    if ((ret = pa_portrait_build(&pl->current, o->portraits[0], pl->b_tracker, pl->b_seg,
                                 &o->anim, pl->anim_par)) < 0)
        return ret;
    pa_pipeline_publish_portrait(pl, pl->current);
    int w = o->out_w > 0 ? o->out_w : pl->current->img.w;
    int h = o->out_h > 0 ? o->out_h : pl->current->img.h;
    pl->cap_params = (struct pa_capture_params){.fps = o->fps, .loop = o->loop,
                                                .realtime = !o->offline, .seed = o->seed};
    if ((ret = pa_capture_open(&pl->cap, o->driver, &pl->cap_params)) < 0)
        return ret;
    pl->idle_driver = pa_capture_is_idle(pl->cap);
    if ((ret = pa_mailbox_create(&pl->mb_track, o->offline)) < 0 ||
        (ret = pa_mailbox_create(&pl->mb_anim, o->offline)) < 0)
        return ret;
    if ((ret = pa_frame_pool_create(&pl->out_pool, 2 * o->n_outputs + 3, w & ~1, h & ~1)) < 0)
        return ret;
    if ((ret = open_outputs(pl, w & ~1, h & ~1)) < 0)
        return ret;
    if (pthread_create(&pl->th_build, NULL, build_main, pl) != 0)
        return PA_ENOMEM;
    pl->build_started = 1;
    return 0;
}

void pa_pipeline_destroy(struct pa_pipeline *pl)
{
    if (!pl)
        return;
    atomic_store(&pl->abort, 1);
    pa_pipeline_join_threads(pl);
    if (pl->build_started) {
        pthread_mutex_lock(&pl->build_lock);
        pl->build_quit = 1;
        pthread_cond_signal(&pl->build_cond);
        pthread_mutex_unlock(&pl->build_lock);
        pthread_join(pl->th_build, NULL);
    }
    for (int i = 0; i < pl->n_outs; i++) {
        pa_mailbox_destroy(pl->outs[i].mb);
        pa_stats_destroy(&pl->outs[i].stats);
    }
    pa_mailbox_destroy(pl->mb_track);
    pa_mailbox_destroy(pl->mb_anim);
    pa_portrait_destroy(atomic_exchange(&pl->pending, NULL));
    pa_portrait_destroy(atomic_exchange(&pl->retired, NULL));
    pa_portrait_destroy(pl->current);
    pa_frame_pool_destroy(pl->out_pool);
    pa_frame_pool_destroy(pl->drv_pool);
    pa_capture_close(pl->cap);
    pa_idle_destroy(pl->idle);
    pa_segmenter_destroy(pl->b_seg);
    pa_tracker_destroy(pl->b_tracker);
    pa_tracker_destroy(pl->tracker);
    pa_parallel_destroy(pl->anim_par);
    pa_parallel_destroy(pl->track_par);
    pa_stats_destroy(&pl->st_capture);
    pa_stats_destroy(&pl->st_track);
    pa_stats_destroy(&pl->st_anim);
    pa_stats_destroy(&pl->st_latency);
    pthread_mutex_destroy(&pl->build_lock);
    pthread_cond_destroy(&pl->build_cond);
    pthread_mutex_destroy(&pl->params_lock);
    pthread_mutex_destroy(&pl->neutral_lock);
    pa_free(pl);
}

/* ---- status and the run loop ------------------------------------------------------------ */

void pa_pipeline_get_status(struct pa_pipeline *pl, struct pa_pipeline_status *st)
{
    memset(st, 0, sizeof(*st));
    double now = (double)pa_capture_now_ns() / 1e6;
    st->uptime_s = (now - atomic_load(&pl->start_ms)) / 1000.0;
    struct pa_stats_summary cap, trk, anim, lat;
    pa_stats_get(&pl->st_capture, &cap);
    pa_stats_get(&pl->st_track, &trk);
    pa_stats_get(&pl->st_anim, &anim);
    pa_stats_get(&pl->st_latency, &lat);
    st->frames_in = cap.frames;
    st->frames_out = (int64_t)atomic_load(&pl->frames_out);
    st->dropped = cap.dropped + pa_mailbox_dropped(pl->mb_track) + pa_mailbox_dropped(pl->mb_anim);
    for (int i = 0; i < pl->n_outs; i++) {
        st->dropped += pa_mailbox_dropped(pl->outs[i].mb);
        st->outputs_alive += atomic_load(&pl->outs[i].alive);
    }
    st->lat_p50 = lat.p50;
    st->lat_p95 = lat.p95;
    st->lat_max = lat.max;
    st->track_p50 = trk.p50;
    st->track_p95 = trk.p95;
    st->anim_p50 = anim.p50;
    st->anim_p95 = anim.p95;
    st->max_gap_ms = atomic_load(&pl->max_gap_ms);
    st->fps_in = atomic_load(&pl->fps_in);
    st->fps_out = atomic_load(&pl->fps_out);
    st->rss_mib = pa_stats_rss_mib();
    st->switches_ok = atomic_load(&pl->switches_ok);
    st->switches_failed = atomic_load(&pl->switches_failed);
    pthread_mutex_lock(&pl->neutral_lock);
    snprintf(st->portrait, sizeof(st->portrait), "%s", pl->portrait_name);
    pthread_mutex_unlock(&pl->neutral_lock);
}

void pa_pipeline_reset_stats(struct pa_pipeline *pl)
{
    pa_stats_reset(&pl->st_capture);
    pa_stats_reset(&pl->st_track);
    pa_stats_reset(&pl->st_anim);
    pa_stats_reset(&pl->st_latency);
    for (int i = 0; i < pl->n_outs; i++)
        pa_stats_reset(&pl->outs[i].stats);
    atomic_store(&pl->max_gap_ms, 0.0);
}

/* Newest .png/.jpg in the watched folder that is newer than *since; path into buf. */
static int newest_image(const char *dir, time_t *since, char *buf, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !dot ||
            (strcasecmp(dot, ".png") && strcasecmp(dot, ".jpg") && strcasecmp(dot, ".jpeg")))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) == 0 && sb.st_mtime > *since) {
            *since = sb.st_mtime;
            snprintf(buf, n, "%s", path);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

struct run_clock {
    double last_ms, cpu_last;
    int64_t in_last, out_last;
};

/* Once a second: rates, CPU, CSV row, and every status_every seconds a status line. */
static void tick(struct pa_pipeline *pl, struct run_clock *rc, FILE *csv, int *n_ticks)
{
    struct pa_pipeline_status st;
    pa_pipeline_get_status(pl, &st);
    double now = (double)pa_capture_now_ns() / 1e6, dt = (now - rc->last_ms) / 1000.0;
    double cpu = pa_stats_cpu_seconds();
    atomic_store(&pl->fps_in, (double)(st.frames_in - rc->in_last) / dt);
    atomic_store(&pl->fps_out, (double)(st.frames_out - rc->out_last) / dt);
    atomic_store(&pl->lat_p50, st.lat_p50);
    double cpu_pct = 100.0 * (cpu - rc->cpu_last) / dt;
    rc->last_ms = now;
    rc->cpu_last = cpu;
    rc->in_last = st.frames_in;
    rc->out_last = st.frames_out;
    if (csv)
        fprintf(csv, "%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.1f,%.1f,%lld,%lld\n", st.uptime_s,
                atomic_load(&pl->fps_in), atomic_load(&pl->fps_out), st.lat_p50, st.lat_p95,
                st.lat_max, st.track_p50, st.anim_p50, cpu_pct, st.rss_mib,
                (long long)st.frames_out, (long long)st.dropped);
    if (csv)
        fflush(csv); /* one row a second, readable while the stream runs */
    if (pl->o.status_every > 0 && ++*n_ticks % pl->o.status_every == 0)
        fprintf(stderr,
                "live: %.1f fps in, %.1f out | latency p50 %.1f p95 %.1f ms | track %.1f, "
                "animate %.1f ms | dropped %lld | cpu %.0f%% | %.0f MiB | outputs %d\n",
                atomic_load(&pl->fps_in), atomic_load(&pl->fps_out), st.lat_p50, st.lat_p95,
                st.track_p50, st.anim_p50, (long long)st.dropped, cpu_pct, st.rss_mib,
                st.outputs_alive);
}

int pa_pipeline_run(struct pa_pipeline *pl)
{
    FILE *csv = NULL;
    if (pl->o.metrics_csv) {
        csv = fopen(pl->o.metrics_csv, "w");
        if (!csv) {
            pa_log_error("app", "%s: cannot create metrics file", pl->o.metrics_csv);
            return PA_EIO;
        }
        fputs("uptime_s,fps_in,fps_out,latency_p50_ms,latency_p95_ms,latency_max_ms,"
              "track_p50_ms,animate_p50_ms,cpu_percent,rss_mib,frames_out,dropped\n",
              csv);
    }
    double start = (double)pa_capture_now_ns() / 1e6;
    atomic_store(&pl->start_ms, start);
    struct run_clock rc = {.last_ms = start, .cpu_last = pa_stats_cpu_seconds()};
    int ret = pa_pipeline_start_threads(pl), n_ticks = 0;
    time_t watch_since = time(NULL);
    double next_tick = start + 1000.0;
    while (ret == 0 && !atomic_load(&pl->stop) && !atomic_load(&pl->anim_done)) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        int opened = 0, alive = 0;
        for (int i = 0; i < pl->n_outs; i++) {
            opened += atomic_load(&pl->outs[i].opened);
            alive += atomic_load(&pl->outs[i].alive);
        }
        if (opened == pl->n_outs && alive == 0) {
            pa_log_error("app", "every output has failed; stopping");
            break;
        }
        double now = (double)pa_capture_now_ns() / 1e6;
        if (!pl->o.offline && pl->o.duration > 0 && now - start >= pl->o.duration * 1e3)
            break;
        if (now >= next_tick) {
            next_tick += 1000.0;
            tick(pl, &rc, csv, &n_ticks);
            char path[1024];
            if (pl->o.watch_dir && newest_image(pl->o.watch_dir, &watch_since, path, sizeof(path)))
                pa_pipeline_switch_portrait(pl, path);
        }
    }
    pa_pipeline_join_threads(pl);
    tick(pl, &rc, csv, &n_ticks);
    if (csv && fclose(csv) != 0 && ret == 0)
        ret = PA_EIO;
    int alive = 0;
    for (int i = 0; i < pl->n_outs; i++)
        alive += atomic_load(&pl->outs[i].alive);
    if (ret == 0 && (pl->capture_failed || alive == 0))
        ret = PA_EIO;
    return ret;
}

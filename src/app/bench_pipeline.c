/** @file
 * One `panim bench pipeline` case (see bench_pipeline.h) and the row formats.
 *
 * Method: the pipeline is created exactly as `panim live` creates it (portrait built, models
 * loaded, capture opened) with a single null output, so every cost measured is the
 * pipeline's own. pa_pipeline_run runs on a helper thread in live mode (drivers paced in
 * real time, late frames dropped). The calling thread sleeps through the warm-up, resets
 * the percentile rings (pa_pipeline_reset_stats) and snapshots counters and process CPU
 * time, sleeps through the window, snapshots again and stops the pipeline. Rates, drops and
 * CPU are differences of the two snapshots; percentiles cover the window (the rings hold the
 * last 512 frames, which is the whole window up to 8.5 s at 60 fps).
 */
#include "app/bench_pipeline.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/config.h"
#include "app/pipeline.h"
#include "app/stats.h"
#include "core/log.h"
#include "io/capture.h"
#include "io/video.h"

void pa_bench_machine_get(struct pa_bench_machine *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->cpu, sizeof(m->cpu), "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        colon++;
        colon += strspn(colon, " \t");
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
        break;
    }
    if (f)
        fclose(f);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->cores = n > 0 ? (int)n : 1;
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &m->load1) != 1)
            m->load1 = -1.0;
        fclose(f);
    }
#ifdef NDEBUG
    m->build = "release";
#else
    m->build = "debug";
#endif
}

double pa_bench_video_fps(const char *path)
{
    struct pa_video_reader *r = NULL;
    if (pa_video_reader_open(&r, path) < 0)
        return 0.0;
    double fps = pa_video_reader_info(r)->fps;
    pa_video_reader_close(r);
    return fps;
}

/* ---- one run ---------------------------------------------------------------------------- */

struct runner {
    struct pa_pipeline *pl;
    int ret;
    atomic_int done;
};

static void *run_main(void *arg)
{
    struct runner *rn = arg;
    rn->ret = pa_pipeline_run(rn->pl);
    atomic_store(&rn->done, 1);
    return NULL;
}

struct snapshot {
    double wall_s, cpu_s;
    struct pa_pipeline_status st;
};

static void take(struct pa_pipeline *pl, struct snapshot *s)
{
    s->wall_s = (double)pa_capture_now_ns() / 1e9;
    s->cpu_s = pa_stats_cpu_seconds();
    pa_pipeline_get_status(pl, &s->st);
}

/* Sleep up to `seconds`; 0 when the time passed, 1 when stopped or the run ended early. */
static int wait_for(double seconds, struct runner *rn, volatile sig_atomic_t *stop)
{
    double end = (double)pa_capture_now_ns() / 1e9 + seconds;
    for (;;) {
        if ((stop && *stop) || atomic_load(&rn->done))
            return 1;
        double left = end - (double)pa_capture_now_ns() / 1e9;
        if (left <= 0.0)
            return 0;
        double step = left < 0.05 ? left : 0.05;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void fill_result(struct pa_bench_result *r, const struct snapshot *a,
                        const struct snapshot *b, int cores)
{
    double dt = b->wall_s - a->wall_s;
    r->window_s = dt;
    if (dt <= 0.0)
        return;
    r->fps_in = (double)(b->st.frames_in - a->st.frames_in) / dt;
    r->fps_out = (double)(b->st.frames_out - a->st.frames_out) / dt;
    r->frames_out = b->st.frames_out - a->st.frames_out;
    r->dropped = b->st.dropped - a->st.dropped;
    r->track_p50 = b->st.track_p50;
    r->track_p95 = b->st.track_p95;
    r->anim_p50 = b->st.anim_p50;
    r->anim_p95 = b->st.anim_p95;
    r->lat_p50 = b->st.lat_p50;
    r->lat_p95 = b->st.lat_p95;
    r->lat_max = b->st.lat_max;
    r->max_gap_ms = b->st.max_gap_ms;
    r->rss_mib = b->st.rss_mib;
    r->cpu_pct = 100.0 * (b->cpu_s - a->cpu_s) / (dt * (double)cores);
    r->meets_fps = r->fps_out >= PA_BENCH_FPS_TOLERANCE * r->c.fps;
}

int pa_bench_pipeline_run(const struct pa_bench_env *env, const struct pa_bench_case *c,
                          volatile sig_atomic_t *stop, struct pa_bench_result *r)
{
    memset(r, 0, sizeof(*r));
    r->c = *c;
    r->failed = 1;
    struct pa_pipeline_opts o;
    pa_pipeline_default_opts(&o);
    o.portraits[0] = env->portrait;
    o.n_portraits = 1;
    o.driver = c->driver;
    o.outputs[0] = "null:bench";
    o.n_outputs = 1;
    o.models = env->models;
    o.loop = 1;
    o.offline = 0;
    o.out_w = c->w;
    o.out_h = c->h;
    o.fps = c->fps;
    o.track_threads = c->track_threads;
    o.anim_threads = c->anim_threads;
    o.anim.crop_size = c->crop_size;
    o.status_every = 0;

    struct runner rn = {0};
    int ret = pa_pipeline_create(&rn.pl, &o);
    if (ret < 0) {
        pa_log_error("app", "bench: pipeline %dx%d %s: %s", c->w, c->h, c->driver_name,
                     pa_strerror(ret));
        pa_pipeline_destroy(rn.pl);
        return ret;
    }
    pthread_t th;
    if (pthread_create(&th, NULL, run_main, &rn) != 0) {
        pa_pipeline_destroy(rn.pl);
        return PA_ENOMEM;
    }
    struct pa_bench_machine m;
    pa_bench_machine_get(&m);
    struct snapshot a, b;
    int early = wait_for(env->warmup_s, &rn, stop);
    pa_pipeline_reset_stats(rn.pl);
    take(rn.pl, &a);
    if (!early)
        early = wait_for(env->duration_s, &rn, stop);
    take(rn.pl, &b);
    pa_pipeline_stop(rn.pl);
    pthread_join(th, NULL);
    fill_result(r, &a, &b, m.cores);
    r->failed = early || rn.ret < 0;
    ret = rn.ret;
    pa_pipeline_destroy(rn.pl);
    if (ret < 0)
        pa_log_error("app", "bench: pipeline %dx%d %s failed: %s", c->w, c->h, c->driver_name,
                     pa_strerror(ret));
    return ret < 0 ? ret : 0;
}

/* ---- reports ---------------------------------------------------------------------------- */

void pa_bench_print_header(FILE *f)
{
    fprintf(f, "  %-9s %-9s %4s %5s %4s %7s %12s %11s %18s %5s %5s %6s %7s\n", "size", "driver",
            "thr", "crop", "tgt", "fps out", "track p50/95", "anim p50/95", "latency p50/95/max",
            "drop", "cpu%", "RSS", "gap ms");
}

void pa_bench_print_row(FILE *f, const struct pa_bench_result *r, int mark)
{
    char size[24], drv[24], thr[16], trk[24], anim[24], lat[32];
    snprintf(size, sizeof(size), "%dx%d", r->c.w, r->c.h);
    snprintf(drv, sizeof(drv), "%s@%.0f", r->c.driver_name, r->c.fps);
    snprintf(thr, sizeof(thr), "%d+%d", r->c.track_threads, r->c.anim_threads);
    snprintf(trk, sizeof(trk), "%.1f/%.1f", r->track_p50, r->track_p95);
    snprintf(anim, sizeof(anim), "%.1f/%.1f", r->anim_p50, r->anim_p95);
    snprintf(lat, sizeof(lat), "%.1f/%.1f/%.1f", r->lat_p50, r->lat_p95, r->lat_max);
    fprintf(f, "%c %-9s %-9s %4s %5d %4.0f %6.1f%c %12s %11s %18s %5lld %5.1f %6.0f %7.1f%s\n",
            mark > 0 ? '*' : ' ', size, drv, thr, r->c.crop_size, r->c.fps, r->fps_out,
            r->meets_fps ? ' ' : '!', trk, anim, lat, (long long)r->dropped, r->cpu_pct, r->rss_mib,
            r->max_gap_ms, r->failed ? "  FAILED" : "");
}

void pa_bench_print_targets(FILE *f, const struct pa_bench_result *rows, int n)
{
    for (int i = 0; i < n; i++) {
        const struct pa_bench_result *r = &rows[i];
        if (r->c.h != 720 || r->failed)
            continue;
        fprintf(f,
                "  target 720p %s@%.0f t%d+a%d crop %d: %.0f fps %s | CPU %.0f%% %s half | "
                "latency p95 %.1f ms %s %.0f ms\n",
                r->c.driver_name, r->c.fps, r->c.track_threads, r->c.anim_threads, r->c.crop_size,
                r->c.fps, r->meets_fps ? "reached" : "MISSED", r->cpu_pct,
                r->cpu_pct < PA_BENCH_TARGET_CPU_PCT ? "<" : ">=", r->lat_p95,
                r->lat_p95 <= PA_BENCH_TARGET_LAT_MS ? "<=" : ">", PA_BENCH_TARGET_LAT_MS);
    }
}

int pa_bench_write_csv(const char *path, const struct pa_bench_result *rows, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        pa_log_error("app", "%s: cannot create the CSV file", path);
        return PA_EIO;
    }
    fputs("width,height,driver,target_fps,track_threads,anim_threads,crop_size,window_s,"
          "fps_in,fps_out,meets_fps,track_p50_ms,track_p95_ms,anim_p50_ms,anim_p95_ms,"
          "latency_p50_ms,latency_p95_ms,latency_max_ms,max_gap_ms,frames_out,dropped,"
          "cpu_percent,rss_mib,failed\n",
          f);
    for (int i = 0; i < n; i++) {
        const struct pa_bench_result *r = &rows[i];
        fprintf(f,
                "%d,%d,%s,%.2f,%d,%d,%d,%.3f,%.2f,%.2f,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
                "%.3f,%lld,%lld,%.2f,%.1f,%d\n",
                r->c.w, r->c.h, r->c.driver_name, r->c.fps, r->c.track_threads, r->c.anim_threads,
                r->c.crop_size, r->window_s, r->fps_in, r->fps_out, r->meets_fps, r->track_p50,
                r->track_p95, r->anim_p50, r->anim_p95, r->lat_p50, r->lat_p95, r->lat_max,
                r->max_gap_ms, (long long)r->frames_out, (long long)r->dropped, r->cpu_pct,
                r->rss_mib, r->failed);
    }
    if (fclose(f) != 0) {
        pa_log_error("app", "%s: write failed", path);
        return PA_EIO;
    }
    return 0;
}

struct cJSON *pa_bench_row_json(const struct pa_bench_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "width", r->c.w);
    cJSON_AddNumberToObject(o, "height", r->c.h);
    cJSON_AddStringToObject(o, "driver", r->c.driver_name);
    cJSON_AddNumberToObject(o, "target_fps", r->c.fps);
    cJSON_AddNumberToObject(o, "track_threads", r->c.track_threads);
    cJSON_AddNumberToObject(o, "anim_threads", r->c.anim_threads);
    cJSON_AddNumberToObject(o, "crop_size", r->c.crop_size);
    cJSON_AddNumberToObject(o, "window_s", r->window_s);
    cJSON_AddNumberToObject(o, "fps_in", r->fps_in);
    cJSON_AddNumberToObject(o, "fps_out", r->fps_out);
    cJSON_AddBoolToObject(o, "meets_fps", r->meets_fps);
    cJSON_AddBoolToObject(o, "meets_cpu", r->cpu_pct < PA_BENCH_TARGET_CPU_PCT);
    cJSON_AddBoolToObject(o, "meets_latency", r->lat_p95 <= PA_BENCH_TARGET_LAT_MS);
    cJSON_AddNumberToObject(o, "track_p50_ms", r->track_p50);
    cJSON_AddNumberToObject(o, "track_p95_ms", r->track_p95);
    cJSON_AddNumberToObject(o, "anim_p50_ms", r->anim_p50);
    cJSON_AddNumberToObject(o, "anim_p95_ms", r->anim_p95);
    cJSON_AddNumberToObject(o, "latency_p50_ms", r->lat_p50);
    cJSON_AddNumberToObject(o, "latency_p95_ms", r->lat_p95);
    cJSON_AddNumberToObject(o, "latency_max_ms", r->lat_max);
    cJSON_AddNumberToObject(o, "max_gap_ms", r->max_gap_ms);
    cJSON_AddNumberToObject(o, "frames_out", (double)r->frames_out);
    cJSON_AddNumberToObject(o, "dropped", (double)r->dropped);
    cJSON_AddNumberToObject(o, "cpu_percent", r->cpu_pct);
    cJSON_AddNumberToObject(o, "rss_mib", r->rss_mib);
    cJSON_AddBoolToObject(o, "failed", r->failed);
    return o;
}

int pa_bench_write_config(const char *path, const struct pa_bench_case *c, const char *portrait,
                          const struct pa_bench_machine *m)
{
    struct pa_live_opts lo, back;
    pa_config_defaults(&lo);
    lo.pl.portraits[0] = portrait;
    lo.pl.n_portraits = 1;
    lo.pl.out_w = c->w;
    lo.pl.out_h = c->h;
    lo.pl.fps = c->fps;
    lo.pl.track_threads = c->track_threads;
    lo.pl.anim_threads = c->anim_threads;
    lo.pl.anim.crop_size = c->crop_size;
    FILE *f = fopen(path, "w");
    if (!f) {
        pa_log_error("app", "%s: cannot create the config file", path);
        return PA_EIO;
    }
    fprintf(f,
            "# Tuned by 'panim bench pipeline --tune' for %dx%d on %s (%d cores): track.threads,\n"
            "# animate.threads and animate.crop_size. Add outputs: panim live --config %s -o "
            "window\n",
            c->w, c->h, m->cpu, m->cores, path);
    int ret = pa_config_dump(&lo, f);
    if (fclose(f) != 0 && ret == 0)
        ret = PA_EIO;
    if (ret < 0) {
        pa_log_error("app", "%s: write failed", path);
        return ret;
    }
    /* Read it back the way `panim live --config` will: the file must mean what we chose. */
    struct pa_config *cfg = NULL;
    if ((ret = pa_config_create(&cfg)) < 0)
        return ret;
    pa_config_defaults(&back);
    const struct pa_config_option *diff = NULL;
    ret = pa_config_load_file(cfg, &back, path);
    if (ret == 0 && !pa_config_equal(&lo, &back, &diff)) {
        pa_log_error("app", "%s: reads back with a different %s.%s", path,
                     diff ? diff->section : "?", diff ? diff->key : "?");
        ret = PA_EBUG;
    }
    pa_config_destroy(cfg);
    return ret;
}

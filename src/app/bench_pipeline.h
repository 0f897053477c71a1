/** @file
 * `panim bench pipeline`: the real live pipeline (pa_pipeline_*) run in real time into the
 * null output for a fixed window, measured from outside the way a user would see it:
 * frames per second out, per-stage and end-to-end latency, drops, CPU share and RSS.
 * cmd_bench.c drives the matrix, --tune and the reports; this module runs one case and
 * formats rows.
 */
#ifndef PA_APP_BENCH_PIPELINE_H
#define PA_APP_BENCH_PIPELINE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/** A measured run reaches its target when fps out >= this share of the target rate. */
#define PA_BENCH_FPS_TOLERANCE 0.97
/** Targets of the live app (reported against, not asserted): CPU share below this... */
#define PA_BENCH_TARGET_CPU_PCT 50.0
/** ...and end-to-end latency p95 at most this. */
#define PA_BENCH_TARGET_LAT_MS 20.0

/** What stays the same for every case of one `panim bench pipeline` call. */
struct pa_bench_env {
    const char *portrait; ///< portrait image
    const char *models;   ///< model folder
    double warmup_s;      ///< run before measuring (thread start, first frames, caches)
    double duration_s;    ///< measured window
};

/** One scenario and the settings under test. */
struct pa_bench_case {
    int w, h;                ///< output size
    const char *driver;      ///< "idle" or a video file (looped, paced in real time)
    const char *driver_name; ///< label: "idle" or "video"
    double fps;              ///< idle: the driver's rate; video: the file's rate (the target)
    int track_threads, anim_threads;
    int crop_size; ///< animated crop resolution (animate.crop_size)
};

struct pa_bench_result {
    struct pa_bench_case c;
    double window_s;                  ///< measured wall time
    double fps_in, fps_out;           ///< frames captured / rendered per second in the window
    double track_p50, track_p95;      ///< ms per frame in the track stage
    double anim_p50, anim_p95;        ///< ms per frame in the animate stage
    double lat_p50, lat_p95, lat_max; ///< capture timestamp -> output written, ms
    double max_gap_ms;                ///< longest pause between two rendered frames
    int64_t frames_out, dropped;      ///< in the window
    double cpu_pct;                   ///< process CPU / (window x online cores), 100 = all busy
    double rss_mib;                   ///< resident memory at the end of the window
    int meets_fps;                    ///< fps_out >= PA_BENCH_FPS_TOLERANCE x c.fps
    int failed;                       ///< the pipeline could not be created or stopped early
};

/** The machine, for report headers. */
struct pa_bench_machine {
    char cpu[128];     ///< model name from /proc/cpuinfo
    int cores;         ///< online CPUs
    double load1;      ///< 1-minute load average when the benchmark started
    const char *build; ///< "release" (NDEBUG) or "debug"
};

void pa_bench_machine_get(struct pa_bench_machine *m);

/**
 * Create the pipeline for `c`, run it for warm-up + window and fill `r`. `*stop` (may be
 * NULL) is polled: setting it from a signal handler ends the run early (r->failed = 1).
 * @return 0, or the error from creating or running the pipeline (logged).
 */
int pa_bench_pipeline_run(const struct pa_bench_env *env, const struct pa_bench_case *c,
                          volatile sig_atomic_t *stop, struct pa_bench_result *r);

/** @return a video file's frame rate, or 0 when it cannot be opened. */
double pa_bench_video_fps(const char *path);

/** Text table: header once, then one line per row (`mark` flags the chosen row, or -1). */
void pa_bench_print_header(FILE *f);
void pa_bench_print_row(FILE *f, const struct pa_bench_result *r, int mark);

/** One line per 720p row: the row against the targets (fps, CPU under half, latency p95). */
void pa_bench_print_targets(FILE *f, const struct pa_bench_result *rows, int n);

/** CSV with a header line. @return 0 or PA_EIO (logged with the path). */
int pa_bench_write_csv(const char *path, const struct pa_bench_result *rows, int n);

/** JSON object of one row; the caller owns the result (cJSON_Delete). */
struct cJSON *pa_bench_row_json(const struct pa_bench_result *r);

/**
 * Write a `panim live --config` file (the config module's dump): defaults, then the portrait,
 * c's output size, idle rate (c->fps), thread split and crop size; read back and compared.
 * @return 0; PA_EIO (logged); PA_EBUG when it does not read back the same.
 */
int pa_bench_write_config(const char *path, const struct pa_bench_case *c, const char *portrait,
                          const struct pa_bench_machine *m);

#endif

/** @file
 * The live pipeline: capture -> track -> animate -> outputs, one thread per stage and per
 * output, joined by latest-frame mailboxes (offline mode: lossless, every frame in order).
 *
 * Threads and ownership (docs/threading.md):
 *  - capture thread: owns the capture and the driver frame pool;
 *  - track thread: owns the driver tracker and the idle generator;
 *  - animate thread: owns the current portrait (rig + animator) and the output frame pool;
 *    it swaps in a new portrait published by the builder thread (one atomic pointer);
 *  - builder thread: builds rigs for portrait switches off the hot path;
 *  - one thread per output: owns that output; a failed output closes alone;
 *  - the caller's thread (pa_pipeline_run) starts everything, prints status, handles stop.
 */
#ifndef PA_APP_PIPELINE_H
#define PA_APP_PIPELINE_H

#include <stdint.h>

#include "panim.h"

#define PA_PIPELINE_MAX_OUTPUTS 8
#define PA_PIPELINE_MAX_PORTRAITS 64

struct pa_pipeline_opts {
    const char *portraits[PA_PIPELINE_MAX_PORTRAITS]; ///< -s (first is shown first)
    int n_portraits;
    const char *driver;                      ///< capture URI: webcam, file, folder, idle
    const char *outputs[PA_PIPELINE_MAX_OUTPUTS];
    int n_outputs;
    const char *models;
    double duration;  ///< seconds, 0 = until the source ends or a signal
    int64_t frames;   ///< output frames, 0 = unlimited
    int loop;         ///< loop file drivers
    int offline;      ///< lossless, as fast as possible (file -> file)
    int out_w, out_h; ///< output size, 0 = the first portrait's
    double fps;       ///< idle / still driver rate (default 30)
    int track_threads, anim_threads;
    struct pa_tracker_params track;
    struct pa_anim_params anim;
    const char *metrics_csv;
    const char *watch_dir; ///< folder watched for new portraits
    int status_every;      ///< seconds between status lines (0 = quiet)
    uint32_t seed;
};

void pa_pipeline_default_opts(struct pa_pipeline_opts *o);

struct pa_pipeline;

/** Validate options, load models, build the first portrait, open capture and outputs. */
int pa_pipeline_create(struct pa_pipeline **out, const struct pa_pipeline_opts *o);
/** Run until the source ends, duration/frames are reached, or pa_pipeline_stop. */
int pa_pipeline_run(struct pa_pipeline *pl);
/** Ask the pipeline to stop (async-signal-safe: sets an atomic flag). */
void pa_pipeline_stop(struct pa_pipeline *pl);
/** Request a portrait switch (any thread). The result is reported by the builder. */
int pa_pipeline_switch_portrait(struct pa_pipeline *pl, const char *path);
/** Replace the animation controls from the next frame on (any thread). */
void pa_pipeline_set_params(struct pa_pipeline *pl, const struct pa_anim_params *ap);
/** Current animation controls (any thread). */
void pa_pipeline_get_params(struct pa_pipeline *pl, struct pa_anim_params *ap);
/** Make the next driver frame the neutral reference (any thread). */
void pa_pipeline_calibrate(struct pa_pipeline *pl);
void pa_pipeline_destroy(struct pa_pipeline *pl);

/** Snapshot for status lines, /status and /metrics. */
struct pa_pipeline_status {
    double uptime_s, fps_in, fps_out, cpu_percent, rss_mib;
    int64_t frames_in, frames_out, dropped;
    double lat_p50, lat_p95, lat_max; ///< capture -> output written, ms
    double track_p50, track_p95, anim_p50, anim_p95;
    double max_gap_ms; ///< longest pause between two rendered frames (after the first)
    int outputs_alive;
    int switches_ok, switches_failed;
    char portrait[512];
};
void pa_pipeline_get_status(struct pa_pipeline *pl, struct pa_pipeline_status *st);
/**
 * Start a new measurement window (any thread): the latency and per-stage percentiles and
 * the max frame gap forget what came before; frame and drop counters keep counting
 * (`panim bench pipeline` leaves out the warm-up this way).
 */
void pa_pipeline_reset_stats(struct pa_pipeline *pl);

#endif

/** @file
 * Private state of the live pipeline, shared by pipeline.c (stage threads) and
 * pipeline_ctl.c (setup, builder, run loop, status). Field ownership is noted per group.
 */
#ifndef PA_APP_PIPELINE_IMPL_H
#define PA_APP_PIPELINE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "app/pipeline.h"
#include "app/portrait.h"
#include "app/stats.h"
#include "core/mailbox.h"
#include "io/capture.h"
#include "io/output.h"

struct pa_pipeline;

struct pa_out_slot {
    struct pa_pipeline *pl;
    const char *spec;
    struct pa_output_params params;
    struct pa_output *out;       ///< output thread only
    struct pa_mailbox *mb;
    pthread_t th;
    int started;
    atomic_int alive, opened;
    struct pa_stage_stats stats;
};

struct pa_pipeline {
    struct pa_pipeline_opts o;     ///< immutable after create
    struct pa_parallel *track_par, *anim_par;
    /* track thread */
    struct pa_tracker *tracker;
    struct pa_idle *idle;
    int idle_gen, idle_driver;
    /* builder thread */
    struct pa_tracker *b_tracker;
    struct pa_segmenter *b_seg;
    pthread_t th_build;
    int build_started;
    pthread_mutex_t build_lock;
    pthread_cond_t build_cond;
    char build_path[512];
    int build_req, build_quit;
    /* capture thread */
    struct pa_capture *cap;
    struct pa_capture_params cap_params; ///< kept to reopen a vanished device
    struct pa_frame_pool *drv_pool;
    int capture_failed;
    /* animate thread */
    struct pa_portrait *current;
    struct pa_frame_pool *out_pool;
    _Atomic(struct pa_portrait *) pending; ///< builder -> animate hand-over
    _Atomic(struct pa_portrait *) retired; ///< animate -> builder, to be freed off the hot path
    atomic_int calibrate, params_dirty;
    pthread_mutex_t params_lock;
    struct pa_anim_params params;  ///< guarded by params_lock
    /* neutral face of the current portrait, for idle (guarded by neutral_lock) */
    pthread_mutex_t neutral_lock;
    struct pa_face_state neutral;
    int neutral_gen;
    char portrait_name[512];
    /* mailboxes and threads */
    struct pa_mailbox *mb_track, *mb_anim;
    struct pa_out_slot outs[PA_PIPELINE_MAX_OUTPUTS];
    int n_outs;
    pthread_t th_cap, th_track, th_anim;
    int cap_started, track_started, anim_started;
    atomic_int stop, abort, anim_done;
    atomic_int_fast64_t frames_out;
    atomic_int switches_ok, switches_failed;
    atomic_int portrait_index; ///< hotkey position in o.portraits (output threads)
    /* statistics */
    struct pa_stage_stats st_capture, st_track, st_anim, st_latency;
    _Atomic double start_ms; ///< set by the run loop, read by status (control API thread)
    _Atomic double max_gap_ms;     ///< longest time between two rendered frames (animate)
    _Atomic double fps_in, fps_out, lat_p50; ///< written by the run loop, read by overlays
};

int pa_pipeline_start_threads(struct pa_pipeline *pl);
void pa_pipeline_join_threads(struct pa_pipeline *pl);
/** Animate thread: record the newly adopted portrait for idle and status. */
void pa_pipeline_publish_portrait(struct pa_pipeline *pl, const struct pa_portrait *p);

#endif

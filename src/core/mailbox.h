/** @file
 * Frames between pipeline threads: a fixed pool of refcounted frames and a single-slot
 * "latest frame wins" mailbox. A producer posts; if the consumer has not taken the previous
 * frame yet, that stale frame is dropped (returned to its pool) and counted, so latency stays
 * one frame deep. The one thread-safe operation on a mailbox is post (libuv's uv_async_send
 * rule); take is for its single consumer; close wakes everyone for shutdown.
 *
 * Offline mode sets `lossless`: post then waits for the slot to be free instead of dropping.
 */
#ifndef PA_CORE_MAILBOX_H
#define PA_CORE_MAILBOX_H

#include <stdatomic.h>

#include "pa_common.h"

#include "panim.h"

struct pa_frame_pool;

/** A pooled frame. Read-only once posted. */
struct pa_frame {
    struct pa_image img;        ///< RGB24, allocated once by the pool
    double t;                   ///< stream time, seconds
    int64_t capture_ns;         ///< when the source frame was captured (monotonic ns)
    int64_t seq;                ///< sequence number from the source
    struct pa_face_state *face; ///< pool-allocated face state (driver), valid with the frame
    int has_face;               ///< face holds a tracked state
    struct pa_frame *link;      ///< another frame kept alive with this one (e.g. the driver
                                ///< frame an output frame was rendered from), or NULL
    atomic_int refs;
    struct pa_frame_pool *pool;
};

/** Pool of n frames of w×h RGB24 (w or h 0: no pixels, face states only). */
int pa_frame_pool_create(struct pa_frame_pool **out, int n, int w, int h);
void pa_frame_pool_destroy(struct pa_frame_pool *p);
/** Get a free frame with refs = 1, or NULL when all are in use (the caller drops its work). */
struct pa_frame *pa_frame_pool_get(struct pa_frame_pool *p);
void pa_frame_ref(struct pa_frame *f);
/** Drop one reference; the last one returns the frame to its pool. Accepts NULL. */
void pa_frame_unref(struct pa_frame *f);

struct pa_mailbox;

int pa_mailbox_create(struct pa_mailbox **out, int lossless);
void pa_mailbox_destroy(struct pa_mailbox *mb); ///< unrefs a frame still in the slot
/**
 * Hand a frame to the consumer; the mailbox takes over the caller's reference.
 * @return 0; PA_EOF when the mailbox is closed (the frame is unref'd).
 */
int pa_mailbox_post(struct pa_mailbox *mb, struct pa_frame *f);
/**
 * Take the newest frame (the caller owns the reference), waiting up to timeout_ms
 * (-1 = forever). @return the frame, or NULL on timeout or when closed and empty.
 */
struct pa_frame *pa_mailbox_take(struct pa_mailbox *mb, int timeout_ms);
/** Close: posts fail, takes return NULL once empty. */
void pa_mailbox_close(struct pa_mailbox *mb);
int pa_mailbox_closed(struct pa_mailbox *mb);
/** Frames dropped because a newer one replaced them. */
int64_t pa_mailbox_dropped(struct pa_mailbox *mb);

#endif /* PA_CORE_MAILBOX_H */

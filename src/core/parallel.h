/** @file
 * Data parallelism for kernels: pa_parallel_for over a caller-owned pool (pthreadpool, the
 * same pool XNNPACK uses). Library code never creates threads; the app layer creates pools.
 */
#ifndef PA_CORE_PARALLEL_H
#define PA_CORE_PARALLEL_H

#include "pa_common.h"

#include "panim.h"

/**
 * Slice worker: handles job `job` of `n_jobs` (FFmpeg's execute(ctx, arg, job, n_jobs)).
 * Rows [h*job/n_jobs, h*(job+1)/n_jobs) is the usual split.
 */
typedef void (*pa_slice_fn)(void *ctx, int job, int n_jobs);

/**
 * Run fn for job = 0..n_jobs-1, on the pool's threads when par is non-NULL and has more than
 * one thread, else serially on the caller. Returns when all jobs are done.
 */
void pa_parallel_for(struct pa_parallel *par, pa_slice_fn fn, void *ctx, int n_jobs);

/** @return the underlying pthreadpool_t (as void *) for XNNPACK, or NULL for serial. */
void *pa_parallel_pthreadpool(struct pa_parallel *par);

#endif /* PA_CORE_PARALLEL_H */

/** @file
 * Per-stage timing statistics: a fixed ring of recent samples per stage (p50/p95/max over the
 * last few seconds), frame counters and rates. Each stage writes its own struct; the status
 * printer reads them under the struct's mutex.
 */
#ifndef PA_APP_STATS_H
#define PA_APP_STATS_H

#include <pthread.h>
#include <stdint.h>

#define PA_STATS_RING 512

struct pa_stage_stats {
    pthread_mutex_t lock;
    const char *name;
    float ring[PA_STATS_RING]; ///< milliseconds
    int n, head;
    int64_t frames;            ///< frames this stage completed
    int64_t dropped;           ///< frames this stage dropped (stale or no free buffer)
};

struct pa_stats_summary {
    double p50, p95, max; ///< ms over the ring
    int64_t frames, dropped;
};

void pa_stats_init(struct pa_stage_stats *s, const char *name);
void pa_stats_destroy(struct pa_stage_stats *s);
void pa_stats_add(struct pa_stage_stats *s, double ms);
void pa_stats_drop(struct pa_stage_stats *s, int64_t n);
void pa_stats_get(struct pa_stage_stats *s, struct pa_stats_summary *out);
/** Empty the ring (p50/p95/max start over); the frame and drop counters keep counting. */
void pa_stats_reset(struct pa_stage_stats *s);

/** Process CPU time in seconds (user + system) and resident memory in MiB. */
double pa_stats_cpu_seconds(void);
double pa_stats_rss_mib(void);

#endif

/** @file
 * Stage statistics (see stats.h). Percentiles are computed on a copy of the ring by
 * insertion sort: at most 512 samples, a few times a second, off the hot path.
 */
#include "app/stats.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

void pa_stats_init(struct pa_stage_stats *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->name = name;
}

void pa_stats_destroy(struct pa_stage_stats *s)
{
    pthread_mutex_destroy(&s->lock);
}

void pa_stats_add(struct pa_stage_stats *s, double ms)
{
    pthread_mutex_lock(&s->lock);
    s->ring[s->head] = (float)ms;
    s->head = (s->head + 1) % PA_STATS_RING;
    if (s->n < PA_STATS_RING)
        s->n++;
    s->frames++;
    pthread_mutex_unlock(&s->lock);
}

void pa_stats_drop(struct pa_stage_stats *s, int64_t n)
{
    pthread_mutex_lock(&s->lock);
    s->dropped += n;
    pthread_mutex_unlock(&s->lock);
}

void pa_stats_get(struct pa_stage_stats *s, struct pa_stats_summary *out)
{
    float v[PA_STATS_RING];
    pthread_mutex_lock(&s->lock);
    int n = s->n;
    memcpy(v, s->ring, sizeof(float) * (size_t)n);
    out->frames = s->frames;
    out->dropped = s->dropped;
    pthread_mutex_unlock(&s->lock);
    for (int i = 1; i < n; i++) {
        float x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
    out->p50 = n ? v[n / 2] : 0.0;
    out->p95 = n ? v[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1] : 0.0;
    out->max = n ? v[n - 1] : 0.0;
}

void pa_stats_reset(struct pa_stage_stats *s)
{
    pthread_mutex_lock(&s->lock);
    s->n = 0;
    s->head = 0;
    pthread_mutex_unlock(&s->lock);
}

double pa_stats_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double pa_stats_rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0.0;
    long pages = 0, rss = 0;
    int n = fscanf(f, "%ld %ld", &pages, &rss);
    fclose(f);
    return n == 2 ? (double)rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0) : 0.0;
}

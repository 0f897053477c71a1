/** @file
 * Frame pool and latest-value mailbox (see mailbox.h). Mutex + condition variable; the
 * critical sections only move pointers, so contention is negligible at video rates.
 */
#include "mailbox.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "mem.h"

struct pa_frame_pool {
    pthread_mutex_t lock;
    int n, n_free;
    struct pa_frame *frames;
    struct pa_frame **free_list;
};

int pa_frame_pool_create(struct pa_frame_pool **out, int n, int w, int h)
{
    *out = NULL;
    if (n <= 0 || n > 64)
        return PA_EINVAL;
    struct pa_frame_pool *p = pa_calloc(1, sizeof(*p));
    if (!p)
        return PA_ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    p->frames = pa_calloc((size_t)n, sizeof(*p->frames));
    p->free_list = pa_calloc((size_t)n, sizeof(*p->free_list));
    int ret = PA_ENOMEM;
    if (!p->frames || !p->free_list)
        goto fail;
    p->n = n;
    for (int i = 0; i < n; i++) {
        struct pa_frame *f = &p->frames[i];
        f->pool = p;
        f->face = pa_calloc(1, sizeof(*f->face));
        if (!f->face)
            goto fail;
        if (w > 0 && h > 0 && (ret = pa_image_alloc(&f->img, w, h, PA_PIX_RGB24)) < 0)
            goto fail;
        p->free_list[p->n_free++] = f;
    }
    *out = p;
    return 0;
fail:
    pa_frame_pool_destroy(p);
    return ret;
}

void pa_frame_pool_destroy(struct pa_frame_pool *p)
{
    if (!p)
        return;
    for (int i = 0; p->frames && i < p->n; i++) {
        pa_image_free(&p->frames[i].img);
        pa_free(p->frames[i].face);
    }
    pa_free(p->frames);
    pa_free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    pa_free(p);
}

struct pa_frame *pa_frame_pool_get(struct pa_frame_pool *p)
{
    pthread_mutex_lock(&p->lock);
    struct pa_frame *f = p->n_free ? p->free_list[--p->n_free] : NULL;
    pthread_mutex_unlock(&p->lock);
    if (f) {
        atomic_store(&f->refs, 1);
        f->has_face = 0;
        f->link = NULL;
    }
    return f;
}

void pa_frame_ref(struct pa_frame *f)
{
    atomic_fetch_add(&f->refs, 1);
}

void pa_frame_unref(struct pa_frame *f)
{
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    struct pa_frame *link = f->link;
    f->link = NULL;
    struct pa_frame_pool *p = f->pool;
    pthread_mutex_lock(&p->lock);
    PA_ASSERT(p->n_free < p->n);
    p->free_list[p->n_free++] = f;
    pthread_mutex_unlock(&p->lock);
    pa_frame_unref(link);
}

struct pa_mailbox {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct pa_frame *slot;
    int closed, lossless;
    int64_t dropped;
};

int pa_mailbox_create(struct pa_mailbox **out, int lossless)
{
    struct pa_mailbox *mb = pa_calloc(1, sizeof(*mb));
    if (!mb)
        return PA_ENOMEM;
    pthread_mutex_init(&mb->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&mb->cond, &attr);
    pthread_condattr_destroy(&attr);
    mb->lossless = lossless;
    *out = mb;
    return 0;
}

void pa_mailbox_destroy(struct pa_mailbox *mb)
{
    if (!mb)
        return;
    pa_frame_unref(mb->slot);
    pthread_cond_destroy(&mb->cond);
    pthread_mutex_destroy(&mb->lock);
    pa_free(mb);
}

int pa_mailbox_post(struct pa_mailbox *mb, struct pa_frame *f)
{
    struct pa_frame *stale = NULL;
    pthread_mutex_lock(&mb->lock);
    while (mb->lossless && mb->slot && !mb->closed)
        pthread_cond_wait(&mb->cond, &mb->lock);
    if (mb->closed) {
        pthread_mutex_unlock(&mb->lock);
        pa_frame_unref(f);
        return PA_EOF;
    }
    if (mb->slot) {
        stale = mb->slot;
        mb->dropped++;
    }
    mb->slot = f;
    pthread_cond_broadcast(&mb->cond);
    pthread_mutex_unlock(&mb->lock);
    pa_frame_unref(stale);
    return 0;
}

static void deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

struct pa_frame *pa_mailbox_take(struct pa_mailbox *mb, int timeout_ms)
{
    struct timespec ts;
    if (timeout_ms >= 0)
        deadline(&ts, timeout_ms);
    pthread_mutex_lock(&mb->lock);
    while (!mb->slot && !mb->closed) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&mb->cond, &mb->lock);
        } else if (pthread_cond_timedwait(&mb->cond, &mb->lock, &ts) == ETIMEDOUT) {
            break;
        }
    }
    struct pa_frame *f = mb->slot;
    mb->slot = NULL;
    pthread_cond_broadcast(&mb->cond); /* a lossless producer may wait for the free slot */
    pthread_mutex_unlock(&mb->lock);
    return f;
}

void pa_mailbox_close(struct pa_mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    mb->closed = 1;
    pthread_cond_broadcast(&mb->cond);
    pthread_mutex_unlock(&mb->lock);
}

int pa_mailbox_closed(struct pa_mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    int c = mb->closed;
    pthread_mutex_unlock(&mb->lock);
    return c;
}

int64_t pa_mailbox_dropped(struct pa_mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    int64_t d = mb->dropped;
    pthread_mutex_unlock(&mb->lock);
    return d;
}

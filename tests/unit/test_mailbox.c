/** @file Frame pool and latest-frame mailbox: drop counting, lossless mode, threads. */
#include <pthread.h>

#include "pa_test.h"

#include "core/mailbox.h"

PA_TEST(pool_hands_out_each_frame_once)
{
    struct pa_frame_pool *p;
    ASSERT_OK(pa_frame_pool_create(&p, 3, 8, 4));
    struct pa_frame *a = pa_frame_pool_get(p), *b = pa_frame_pool_get(p),
                    *c = pa_frame_pool_get(p);
    ASSERT_TRUE(a && b && c && a != b && b != c && a != c);
    ASSERT_TRUE(pa_frame_pool_get(p) == NULL);
    ASSERT_EQ(a->img.w, 8);
    pa_frame_ref(b);
    pa_frame_unref(b);
    ASSERT_TRUE(pa_frame_pool_get(p) == NULL); /* b still holds one reference */
    pa_frame_unref(b);
    ASSERT_TRUE(pa_frame_pool_get(p) == b);
    pa_frame_unref(a);
    pa_frame_unref(b);
    pa_frame_unref(c);
    pa_frame_unref(NULL);
    pa_frame_pool_destroy(p);
}

PA_TEST(latest_frame_wins_and_drops_are_counted)
{
    struct pa_frame_pool *p;
    struct pa_mailbox *mb;
    ASSERT_OK(pa_frame_pool_create(&p, 4, 0, 0));
    ASSERT_OK(pa_mailbox_create(&mb, 0));
    for (int i = 0; i < 3; i++) {
        struct pa_frame *f = pa_frame_pool_get(p);
        ASSERT_TRUE(f != NULL);
        f->seq = i;
        ASSERT_OK(pa_mailbox_post(mb, f));
    }
    struct pa_frame *got = pa_mailbox_take(mb, 0);
    ASSERT_TRUE(got != NULL);
    ASSERT_EQ(got->seq, 2);
    ASSERT_EQ(pa_mailbox_dropped(mb), 2);
    ASSERT_TRUE(pa_mailbox_take(mb, 10) == NULL); /* timeout on empty */
    pa_frame_unref(got);
    /* All four frames are back in the pool: the dropped ones were released. */
    struct pa_frame *all[4];
    for (int i = 0; i < 4; i++)
        ASSERT_TRUE((all[i] = pa_frame_pool_get(p)) != NULL);
    for (int i = 0; i < 4; i++)
        pa_frame_unref(all[i]);
    pa_mailbox_close(mb);
    struct pa_frame *f = pa_frame_pool_get(p);
    ASSERT_ERR(pa_mailbox_post(mb, f), PA_EOF);
    ASSERT_TRUE(pa_mailbox_take(mb, -1) == NULL);
    pa_mailbox_destroy(mb);
    pa_frame_pool_destroy(p);
}

struct producer {
    struct pa_frame_pool *pool;
    struct pa_mailbox *mb;
    int n;
};

static void *produce(void *arg)
{
    struct producer *pr = arg;
    for (int i = 0; i < pr->n; i++) {
        struct pa_frame *f;
        while (!(f = pa_frame_pool_get(pr->pool)))
            ; /* the consumer returns frames; spin briefly */
        f->seq = i;
        if (pa_mailbox_post(pr->mb, f) < 0)
            break;
    }
    pa_mailbox_close(pr->mb);
    return NULL;
}

PA_TEST(lossless_mode_keeps_every_frame_in_order)
{
    struct producer pr = {.n = 2000};
    ASSERT_OK(pa_frame_pool_create(&pr.pool, 3, 0, 0));
    ASSERT_OK(pa_mailbox_create(&pr.mb, 1));
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, produce, &pr), 0);
    int64_t expect = 0;
    struct pa_frame *f;
    while ((f = pa_mailbox_take(pr.mb, -1))) {
        ASSERT_EQ(f->seq, expect);
        expect++;
        pa_frame_unref(f);
    }
    pthread_join(th, NULL);
    ASSERT_EQ(expect, 2000);
    ASSERT_EQ(pa_mailbox_dropped(pr.mb), 0);
    pa_mailbox_destroy(pr.mb);
    pa_frame_pool_destroy(pr.pool);
}

PA_TEST(live_mode_sequence_is_increasing_under_threads)
{
    struct producer pr = {.n = 5000};
    ASSERT_OK(pa_frame_pool_create(&pr.pool, 4, 0, 0));
    ASSERT_OK(pa_mailbox_create(&pr.mb, 0));
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, produce, &pr), 0);
    int64_t last = -1, taken = 0;
    struct pa_frame *f;
    while ((f = pa_mailbox_take(pr.mb, -1))) {
        ASSERT_GT(f->seq, last);
        last = f->seq;
        taken++;
        pa_frame_unref(f);
    }
    pthread_join(th, NULL);
    ASSERT_EQ(taken + pa_mailbox_dropped(pr.mb), 5000);
    pa_mailbox_destroy(pr.mb);
    pa_frame_pool_destroy(pr.pool);
}

PA_TEST_MAIN()

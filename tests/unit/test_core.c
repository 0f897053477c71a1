/** @file Core basics: errors, size arithmetic, images, views, parallel_for, logging. */
#include "pa_test.h"

#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"

PA_TEST(strerror_names_every_code)
{
    ASSERT_TRUE(strcmp(pa_strerror(PA_EINVALDATA), "invalid or corrupt data") == 0);
    ASSERT_TRUE(strcmp(pa_strerror(0), "success") == 0);
    ASSERT_TRUE(strcmp(pa_strerror(-9999), "unknown error") == 0);
}

PA_TEST(size_mul_detects_overflow)
{
    size_t out = 0;
    ASSERT_OK(pa_size_mul(1u << 20, 1u << 10, &out));
    ASSERT_EQ(out, (size_t)1 << 30);
    ASSERT_ERR(pa_size_mul(SIZE_MAX / 2, 3, &out), PA_EOVERFLOW);
    ASSERT_ERR(pa_size_add(SIZE_MAX, 1, &out), PA_EOVERFLOW);
}

PA_TEST(image_alloc_view_copy)
{
    struct pa_image a, b, v;
    ASSERT_OK(pa_image_alloc(&a, 5, 3, PA_PIX_RGB24));
    ASSERT_EQ(a.stride % 64, 0);
    ASSERT_TRUE(((uintptr_t)a.data & 63) == 0);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++)
            pa_image_px(&a, x, y)[0] = (uint8_t)(y * 10 + x);
    ASSERT_OK(pa_image_view(&v, &a, 1, 1, 3, 2));
    ASSERT_TRUE(v.owner_buf == NULL);
    ASSERT_EQ(pa_image_px(&v, 0, 0)[0], 11);
    ASSERT_ERR(pa_image_view(&v, &a, 3, 0, 3, 1), PA_EINVAL);
    ASSERT_OK(pa_image_alloc(&b, 5, 3, PA_PIX_RGB24));
    ASSERT_OK(pa_image_copy(&b, &a));
    ASSERT_EQ(pa_image_px(&b, 4, 2)[0], 24);
    pa_image_free(&b);
    ASSERT_ERR(pa_image_alloc(&b, 0, 3, PA_PIX_RGB24), PA_EINVAL);
    ASSERT_TRUE(b.data == NULL);
    pa_image_free(&a);
    pa_image_free(&b);
    pa_image_free(NULL);
}

struct sum_ctx {
    int hits[64];
};

static void mark(void *ctx, int job, int n_jobs)
{
    struct sum_ctx *c = ctx;
    c->hits[job] += n_jobs;
}

PA_TEST(parallel_for_runs_each_job_once)
{
    for (int threads = 0; threads <= 2; threads++) {
        struct pa_parallel *par;
        ASSERT_OK(pa_parallel_create(&par, threads));
        struct sum_ctx c = {{0}};
        pa_parallel_for(par, mark, &c, 37);
        for (int j = 0; j < 37; j++)
            ASSERT_EQ(c.hits[j], 37);
        ASSERT_EQ(c.hits[37], 0);
        pa_parallel_destroy(par);
    }
    pa_parallel_destroy(NULL);
}

PA_TEST(log_spec_parsing)
{
    ASSERT_OK(pa_log_set("warn,nn:debug"));
    ASSERT_TRUE(pa_log_enabled("nn", PA_LOG_DEBUG));
    ASSERT_TRUE(!pa_log_enabled("io", PA_LOG_INFO));
    ASSERT_ERR(pa_log_set("loud"), PA_EINVAL);
    ASSERT_OK(pa_log_set("warn"));
}

PA_TEST_MAIN()

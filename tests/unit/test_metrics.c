/** @file Quality metrics (src/core/metrics.c): PSNR, SSIM against a direct implementation,
 * NME and the evaluation face box. */
#include "pa_test.h"

#include "core/image.h"
#include "core/metrics.h"

static uint64_t rng_state = 0x1234567;

static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/* A textured RGB image: gradients, a disc and noise, so SSIM sees structure at every scale. */
static void make_image(struct pa_image *img, int w, int h)
{
    ASSERT_OK(pa_image_alloc(img, w, h, PA_PIX_RGB24));
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t *p = pa_image_px(img, x, y);
            double dx = x - w * 0.4, dy = y - h * 0.6;
            int disc = dx * dx + dy * dy < (w * 0.2) * (w * 0.2);
            p[0] = (uint8_t)(40 + 150 * x / w + 20 * rnd());
            p[1] = (uint8_t)(disc ? 200 : 60 + 100 * y / h + 30 * rnd());
            p[2] = (uint8_t)(128 + 60 * sin(x * 0.3) * cos(y * 0.2));
        }
    }
}

/* SSIM straight from the definition: 2D weights, moments per window, no separability. */
static double naive_ssim(const struct pa_image *a, const struct pa_image *b, struct pa_rect r)
{
    double w[11][11], wsum = 0.0;
    for (int i = 0; i < 11; i++)
        for (int j = 0; j < 11; j++)
            wsum += w[i][j] = exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
    const double c1 = 6.5025, c2 = 58.5225;
    double total = 0.0;
    int count = 0;
    for (int y = r.y0; y + 11 <= r.y1; y++) {
        for (int x = r.x0; x + 11 <= r.x1; x++) {
            double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
            for (int i = 0; i < 11; i++) {
                for (int j = 0; j < 11; j++) {
                    const uint8_t *p = pa_image_px(a, x + j, y + i),
                                  *q = pa_image_px(b, x + j, y + i);
                    double va = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                    double vb = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
                    double k = w[i][j] / wsum;
                    ma += k * va, mb += k * vb;
                    saa += k * va * va, sbb += k * vb * vb, sab += k * va * vb;
                }
            }
            double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
            total +=
                (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            count++;
        }
    }
    return total / count;
}

PA_TEST(identical_images)
{
    struct pa_image a, b;
    make_image(&a, 64, 48);
    ASSERT_OK(pa_image_alloc(&b, 64, 48, PA_PIX_RGB24));
    ASSERT_OK(pa_image_copy(&b, &a));
    double ssim = 0, psnr = 0;
    ASSERT_OK(pa_metric_ssim(&a, &b, NULL, &ssim));
    ASSERT_NEAR(ssim, 1.0, 1e-12);
    ASSERT_OK(pa_metric_psnr(&a, &b, NULL, &psnr));
    ASSERT_TRUE(isinf(psnr) && psnr > 0);
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(psnr_matches_noise_level)
{
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 256, 256, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, 256, 256, PA_PIX_RGB24));
    const double sigma = 5.0;
    for (int y = 0; y < 256; y++) {
        for (int x = 0; x < 256; x++) {
            for (int c = 0; c < 3; c++) {
                // Mid-grey base so no sample clips; Box-Muller for Gaussian noise.
                double u1 = rnd() + 1e-12, u2 = rnd();
                double nz = sigma * sqrt(-2 * log(u1)) * cos(2 * PA_PI * u2);
                int base = 100 + (x + y) % 50;
                pa_image_px(&a, x, y)[c] = (uint8_t)base;
                pa_image_px(&b, x, y)[c] = (uint8_t)lround(base + nz);
            }
        }
    }
    double psnr;
    ASSERT_OK(pa_metric_psnr(&a, &b, NULL, &psnr));
    // Rounding to integers adds the uniform quantisation variance 1/12.
    double expect = 10 * log10(255.0 * 255.0 / (sigma * sigma + 1.0 / 12.0));
    ASSERT_NEAR(psnr, expect, 0.1);
    double ssim;
    ASSERT_OK(pa_metric_ssim(&a, &b, NULL, &ssim));
    ASSERT_LT(ssim, 0.99);
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(psnr_region_ignores_outside)
{
    struct pa_image a, b;
    make_image(&a, 40, 40);
    ASSERT_OK(pa_image_alloc(&b, 40, 40, PA_PIX_RGB24));
    ASSERT_OK(pa_image_copy(&b, &a));
    pa_image_px(&b, 35, 35)[1] ^= 0x40; // outside the region below
    struct pa_rect r = {5, 5, 30, 30};
    double in, all;
    ASSERT_OK(pa_metric_psnr(&a, &b, &r, &in));
    ASSERT_TRUE(isinf(in));
    ASSERT_OK(pa_metric_psnr(&a, &b, NULL, &all));
    double expect = 10 * log10(255.0 * 255.0 / (64.0 * 64.0 / (40.0 * 40.0 * 3.0)));
    ASSERT_NEAR(all, expect, 1e-9);
    struct pa_rect empty = {50, 50, 60, 60};
    ASSERT_ERR(pa_metric_psnr(&a, &b, &empty, &in), PA_EINVAL);
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(ssim_brightened_copy_below_one)
{
    struct pa_image a, b;
    make_image(&a, 80, 60);
    ASSERT_OK(pa_image_alloc(&b, 80, 60, PA_PIX_RGB24));
    for (int y = 0; y < 60; y++)
        for (int x = 0; x < 80; x++)
            for (int c = 0; c < 3; c++) {
                int v = pa_image_px(&a, x, y)[c] + 40;
                pa_image_px(&b, x, y)[c] = (uint8_t)(v > 255 ? 255 : v);
            }
    double ssim;
    ASSERT_OK(pa_metric_ssim(&a, &b, NULL, &ssim));
    ASSERT_LT(ssim, 0.999);
    ASSERT_GT(ssim, 0.5); // a brightness shift keeps the structure
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(ssim_matches_direct_definition)
{
    struct pa_image a, b;
    make_image(&a, 70, 50);
    make_image(&b, 70, 50); // same shapes, different noise
    for (int y = 20; y < 35; y++)
        for (int x = 10; x < 40; x++)
            pa_image_px(&b, x, y)[0] = (uint8_t)(x * 7);
    struct pa_rect regions[] = {{0, 0, 70, 50}, {7, 3, 52, 41}, {20, 10, 31, 21}};
    for (size_t i = 0; i < PA_ARRAY_SIZE(regions); i++) {
        double fast;
        ASSERT_OK(pa_metric_ssim(&a, &b, &regions[i], &fast));
        double slow = naive_ssim(&a, &b, regions[i]);
        ASSERT_NEAR(fast, slow, 1e-10);
        ASSERT_LT(fast, 0.99);
    }
    struct pa_rect tiny = {0, 0, 10, 30};
    double v;
    ASSERT_ERR(pa_metric_ssim(&a, &b, &tiny, &v), PA_EINVAL);
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(ssim_gray_equals_rgb_grey)
{
    struct pa_image a, b, ga, gb;
    ASSERT_OK(pa_image_alloc(&a, 32, 32, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, 32, 32, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&ga, 32, 32, PA_PIX_GRAY8));
    ASSERT_OK(pa_image_alloc(&gb, 32, 32, PA_PIX_GRAY8));
    for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
            uint8_t va = (uint8_t)(255 * rnd()), vb = (uint8_t)((va + x * y) & 255);
            memset(pa_image_px(&a, x, y), va, 3);
            memset(pa_image_px(&b, x, y), vb, 3);
            *pa_image_px(&ga, x, y) = va;
            *pa_image_px(&gb, x, y) = vb;
        }
    }
    double s_rgb, s_gray;
    ASSERT_OK(pa_metric_ssim(&a, &b, NULL, &s_rgb));
    ASSERT_OK(pa_metric_ssim(&ga, &gb, NULL, &s_gray));
    ASSERT_NEAR(s_rgb, s_gray, 1e-9);
    ASSERT_ERR(pa_metric_ssim(&a, &gb, NULL, &s_rgb), PA_EINVAL); // format mismatch
    pa_image_free(&a);
    pa_image_free(&b);
    pa_image_free(&ga);
    pa_image_free(&gb);
}

PA_TEST(nme_and_face_box)
{
    static float ref[300][3], pred[300][3];
    for (int i = 0; i < 300; i++) {
        ref[i][0] = 100 + (float)(i % 20) * 3, ref[i][1] = 80 + (float)(i / 20) * 4;
        pred[i][0] = ref[i][0] + 3, pred[i][1] = ref[i][1] - 4, pred[i][2] = 99;
    }
    ref[33][0] = 110, ref[33][1] = 100; // outer eye corners 50 px apart
    ref[263][0] = 160, ref[263][1] = 100;
    pred[33][0] = 113, pred[33][1] = 96;
    pred[263][0] = 163, pred[263][1] = 96;
    double nme;
    ASSERT_OK(pa_metric_nme(&pred[0][0], &ref[0][0], 300, &nme));
    ASSERT_NEAR(nme, 5.0 / 50.0, 1e-9);
    ASSERT_ERR(pa_metric_nme(&pred[0][0], &ref[0][0], 200, &nme), PA_EINVAL);

    // Box of the reference points: x 100..160 (width 60, pad 9), y 80..136.
    struct pa_rect box;
    ASSERT_OK(pa_metric_face_box(&ref[0][0], 300, 400, 300, &box));
    ASSERT_EQ(box.x0, 91);
    ASSERT_EQ(box.x1, 169);
    ASSERT_EQ(box.y0, 71);
    ASSERT_EQ(box.y1, 145);
    ASSERT_OK(pa_metric_face_box(&ref[0][0], 300, 160, 140, &box)); // clamped
    ASSERT_EQ(box.x1, 160);
    ASSERT_EQ(box.y1, 140);
}

PA_TEST_MAIN()

/** @file
 * Resampling: pa_image_resize (bilinear / area) and the affine warps (u8 and f32), checked
 * against properties that any correct implementation must have (constants stay constant,
 * ramps stay linear, identity copies, integer shifts and 90-degree turns move pixels
 * exactly) and against naive double-precision references written here from the formulas.
 */
#include "pa_test.h"

#include "core/image.h"
#include "core/mem.h"

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void fill_random(struct pa_image *img, uint32_t seed)
{
    int bpp = pa_pixfmt_bpp(img->fmt);
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w * bpp; x++)
            pa_image_px(img, 0, y)[x] = (uint8_t)lcg(&seed);
}

static const enum pa_pixfmt k_fmts[] = {PA_PIX_GRAY8, PA_PIX_RGB24, PA_PIX_RGBA32};

/* ---------------------------------------------------------------------------------------- */
/* Resize                                                                                    */
/* ---------------------------------------------------------------------------------------- */

PA_TEST(resize_constant_stays_constant)
{
    static const int sizes[][4] = {{10, 7, 33, 21},  {64, 64, 9, 5},      {100, 3, 13, 1},
                                   {1, 1, 17, 4},    {257, 129, 31, 127}, {5, 300, 5, 7},
                                   {300, 5, 299, 4}, {7, 7, 7, 7}};
    for (size_t f = 0; f < PA_ARRAY_SIZE(k_fmts); f++) {
        for (size_t i = 0; i < PA_ARRAY_SIZE(sizes); i++) {
            struct pa_image a, b;
            ASSERT_OK(pa_image_alloc(&a, sizes[i][0], sizes[i][1], k_fmts[f]));
            ASSERT_OK(pa_image_alloc(&b, sizes[i][2], sizes[i][3], k_fmts[f]));
            int bpp = pa_pixfmt_bpp(k_fmts[f]);
            for (int v = 0; v <= 255; v += 51) {
                for (int y = 0; y < a.h; y++)
                    memset(pa_image_px(&a, 0, y), v, (size_t)(a.w * bpp));
                ASSERT_OK(pa_image_resize(&a, &b));
                for (int y = 0; y < b.h; y++)
                    for (int x = 0; x < b.w * bpp; x++)
                        ASSERT_EQ(pa_image_px(&b, 0, y)[x], v);
            }
            pa_image_free(&a);
            pa_image_free(&b);
        }
    }
}

PA_TEST(resize_upscale_keeps_ramps_linear)
{
    /* Horizontal ramp in R, vertical ramp in G; 40x30 -> 173x91. */
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 40, 30, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, 173, 91, PA_PIX_RGB24));
    for (int y = 0; y < a.h; y++) {
        for (int x = 0; x < a.w; x++) {
            pa_image_px(&a, x, y)[0] = (uint8_t)(10 + 6 * x);
            pa_image_px(&a, x, y)[1] = (uint8_t)(200 - 5 * y);
            pa_image_px(&a, x, y)[2] = 77;
        }
    }
    ASSERT_OK(pa_image_resize(&a, &b));
    for (int y = 0; y < b.h; y++) {
        for (int x = 0; x < b.w; x++) {
            /* Pixel-centre convention, clamped at the borders (edge replication). */
            double cx = PA_CLAMP((x + 0.5) * a.w / b.w - 0.5, 0.0, a.w - 1.0);
            double cy = PA_CLAMP((y + 0.5) * a.h / b.h - 0.5, 0.0, a.h - 1.0);
            const uint8_t *p = pa_image_px(&b, x, y);
            ASSERT_NEAR(p[0], 10 + 6 * cx, 1.0);
            ASSERT_NEAR(p[1], 200 - 5 * cy, 1.0);
            ASSERT_EQ(p[2], 77);
        }
    }
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(resize_halving_averages_2x2_blocks)
{
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 64, 48, PA_PIX_RGBA32));
    ASSERT_OK(pa_image_alloc(&b, 32, 24, PA_PIX_RGBA32));
    fill_random(&a, 7);
    ASSERT_OK(pa_image_resize(&a, &b));
    for (int y = 0; y < b.h; y++) {
        for (int x = 0; x < b.w; x++) {
            for (int c = 0; c < 4; c++) {
                double s = pa_image_px(&a, 2 * x, 2 * y)[c] + pa_image_px(&a, 2 * x + 1, 2 * y)[c] +
                           pa_image_px(&a, 2 * x, 2 * y + 1)[c] +
                           pa_image_px(&a, 2 * x + 1, 2 * y + 1)[c];
                ASSERT_NEAR(pa_image_px(&b, x, y)[c], s / 4, 0.5 + 1e-3);
            }
        }
    }
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(resize_large_downscale_does_not_alias)
{
    /* A one-pixel checkerboard shrunk 7.3x must become flat grey, not a moire pattern. */
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 730, 511, PA_PIX_GRAY8));
    ASSERT_OK(pa_image_alloc(&b, 100, 70, PA_PIX_GRAY8));
    for (int y = 0; y < a.h; y++)
        for (int x = 0; x < a.w; x++)
            pa_image_px(&a, x, y)[0] = (x + y) & 1 ? 255 : 0;
    ASSERT_OK(pa_image_resize(&a, &b));
    for (int y = 0; y < b.h; y++)
        for (int x = 0; x < b.w; x++)
            ASSERT_NEAR(pa_image_px(&b, x, y)[0], 127.5, 12);
    pa_image_free(&a);
    pa_image_free(&b);
}

/* Naive area average of the source rectangle covered by dst pixel (x, y), channel c. */
static double area_ref(const struct pa_image *a, int dw, int dh, int x, int y, int c)
{
    double sx = (double)a->w / dw, sy = (double)a->h / dh;
    double x0 = x * sx, x1 = (x + 1) * sx, y0 = y * sy, y1 = (y + 1) * sy;
    double sum = 0;
    for (int j = (int)y0; j < a->h && j < y1; j++) {
        double wy = fmin(j + 1, y1) - fmax(j, y0);
        for (int i = (int)x0; i < a->w && i < x1; i++) {
            double wx = fmin(i + 1, x1) - fmax(i, x0);
            sum += wx * wy * pa_image_px(a, i, j)[c];
        }
    }
    return sum / (sx * sy);
}

PA_TEST(resize_hallo_downscale_matches_area_average)
{
    struct pa_image a, b;
    ASSERT_OK(pa_image_load(&a, pa_test_shared("testdata/source/hallo_7.jpg")));
    ASSERT_EQ(a.w, 3511);
    ASSERT_OK(pa_image_alloc(&b, 512, 512, PA_PIX_RGB24));
    ASSERT_OK(pa_image_resize(&a, &b));
    double max_d = 0, sum_d = 0;
    for (int y = 0; y < b.h; y++) {
        for (int x = 0; x < b.w; x++) {
            for (int c = 0; c < 3; c++) {
                double d = fabs(pa_image_px(&b, x, y)[c] - area_ref(&a, b.w, b.h, x, y, c));
                max_d = fmax(max_d, d);
                sum_d += d;
            }
        }
    }
    printf("3511->512 vs naive area average: max |d| %.3f, mean %.4f\n", max_d,
           sum_d / (512.0 * 512 * 3));
    ASSERT_LT(max_d, 1.0); // only the final rounding differs
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(resize_per_frame_sizes_do_not_allocate)
{
    static const int sizes[][5] = {{1280, 720, 640, 360, PA_PIX_RGB24},
                                   {1280, 720, 256, 256, PA_PIX_RGBA32},
                                   {640, 480, 192, 192, PA_PIX_RGB24}};
    for (size_t i = 0; i < PA_ARRAY_SIZE(sizes); i++) {
        struct pa_image a, b;
        ASSERT_OK(pa_image_alloc(&a, sizes[i][0], sizes[i][1], (enum pa_pixfmt)sizes[i][4]));
        ASSERT_OK(pa_image_alloc(&b, sizes[i][2], sizes[i][3], (enum pa_pixfmt)sizes[i][4]));
        uint64_t before = pa_mem_alloc_count();
        ASSERT_OK(pa_image_resize(&a, &b));
        ASSERT_EQ(pa_mem_alloc_count() - before, 0);
        pa_image_free(&a);
        pa_image_free(&b);
    }
}

PA_TEST(resize_rejects_bad_arguments)
{
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 8, 8, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, 4, 4, PA_PIX_GRAY8));
    ASSERT_ERR(pa_image_resize(&a, &b), PA_EINVAL);
    ASSERT_ERR(pa_image_resize(NULL, &b), PA_EINVAL);
    pa_image_free(&a);
    pa_image_free(&b);
}

/* ---------------------------------------------------------------------------------------- */
/* Affine warp                                                                               */
/* ---------------------------------------------------------------------------------------- */

static const float k_identity[6] = {1, 0, 0, 0, 1, 0};

PA_TEST(warp_identity_is_exact_copy)
{
    for (size_t f = 0; f < PA_ARRAY_SIZE(k_fmts); f++) {
        struct pa_image a, b;
        ASSERT_OK(pa_image_alloc(&a, 67, 45, k_fmts[f]));
        ASSERT_OK(pa_image_alloc(&b, 67, 45, k_fmts[f]));
        fill_random(&a, (uint32_t)f + 1);
        ASSERT_OK(pa_image_warp_affine(&a, &b, k_identity, NULL));
        int bpp = pa_pixfmt_bpp(k_fmts[f]);
        for (int y = 0; y < a.h; y++)
            ASSERT_TRUE(memcmp(pa_image_px(&a, 0, y), pa_image_px(&b, 0, y), (size_t)(a.w * bpp)) ==
                        0);
        pa_image_free(&a);
        pa_image_free(&b);
    }
}

PA_TEST(warp_integer_translation_shifts)
{
    static const uint8_t border[4] = {11, 22, 33, 44};
    static const int shifts[][2] = {{5, 3}, {-7, 2}, {0, -9}, {70, 0}, {-3, -4}};
    for (size_t f = 0; f < PA_ARRAY_SIZE(k_fmts); f++) {
        int bpp = pa_pixfmt_bpp(k_fmts[f]);
        struct pa_image a, b;
        ASSERT_OK(pa_image_alloc(&a, 40, 30, k_fmts[f]));
        ASSERT_OK(pa_image_alloc(&b, 50, 20, k_fmts[f]));
        fill_random(&a, 99);
        for (size_t s = 0; s < PA_ARRAY_SIZE(shifts); s++) {
            int tx = shifts[s][0], ty = shifts[s][1];
            const float m[6] = {1, 0, (float)tx, 0, 1, (float)ty};
            ASSERT_OK(pa_image_warp_affine(&a, &b, m, border));
            for (int y = 0; y < b.h; y++) {
                for (int x = 0; x < b.w; x++) {
                    int sx = x + tx, sy = y + ty;
                    int in = sx >= 0 && sy >= 0 && sx < a.w && sy < a.h;
                    const uint8_t *want = in ? pa_image_px(&a, sx, sy) : border;
                    ASSERT_TRUE(memcmp(pa_image_px(&b, x, y), want, (size_t)bpp) == 0);
                }
            }
        }
        pa_image_free(&a);
        pa_image_free(&b);
    }
}

PA_TEST(warp_rotation_90_about_centre)
{
    const int n = 37;
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, n, n, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, n, n, PA_PIX_RGB24));
    fill_random(&a, 5);
    /* Rotation by 90 degrees about the image centre (n/2, n/2), in continuous pixel
     * coordinates: src = R (p - c) + c with R = [[0, 1], [-1, 0]] and c = (n/2, n/2),
     * i.e. src.x = p.y and src.y = n - p.x. */
    const float m[6] = {0, 1, 0, -1, 0, (float)n};
    ASSERT_OK(pa_image_warp_affine(&a, &b, m, NULL));
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            ASSERT_TRUE(memcmp(pa_image_px(&b, x, y), pa_image_px(&a, y, n - 1 - x), 3) == 0);
    pa_image_free(&a);
    pa_image_free(&b);
}

/* Bilinear sample at index-space position (u, v), outside pixels = border. */
static double ref_sample(const struct pa_image *a, double u, double v, int c, double border)
{
    int j = (int)floor(u), i = (int)floor(v);
    double fu = u - j, fv = v - i, acc = 0;
    for (int k = 0; k < 4; k++) {
        int jj = j + (k & 1), ii = i + (k >> 1);
        double w = (k & 1 ? fu : 1 - fu) * (k >> 1 ? fv : 1 - fv);
        int in = jj >= 0 && ii >= 0 && jj < a->w && ii < a->h;
        acc += w * (in ? pa_image_px(a, jj, ii)[c] : border);
    }
    return acc;
}

PA_TEST(warp_general_matches_reference)
{
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 90, 70, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, 64, 48, PA_PIX_RGB24));
    fill_random(&a, 3);
    float *f = malloc(sizeof(float) * 64 * 48 * 3);
    static const uint8_t border[4] = {200, 100, 50, 0};
    uint32_t seed = 42;
    for (int rep = 0; rep < 20; rep++) {
        /* Random rotation, scale and shift, some reaching outside the source. */
        double ang = (lcg(&seed) % 6283) / 1000.0, sc = 0.5 + (lcg(&seed) % 1500) / 1000.0;
        double tx = (double)(lcg(&seed) % 120) - 20, ty = (double)(lcg(&seed) % 100) - 20;
        const float m[6] = {(float)(sc * cos(ang)), (float)(-sc * sin(ang)), (float)tx,
                            (float)(sc * sin(ang)), (float)(sc * cos(ang)),  (float)ty};
        const float scale = 1.0f / 127.5f, offset = -1.0f;
        ASSERT_OK(pa_image_warp_affine(&a, &b, m, border));
        ASSERT_OK(pa_image_warp_affine_f32(&a, f, b.w, b.h, m, scale, offset));
        for (int y = 0; y < b.h; y++) {
            for (int x = 0; x < b.w; x++) {
                double px = x + 0.5, py = y + 0.5;
                double u = m[0] * px + m[1] * py + m[2] - 0.5;
                double v = m[3] * px + m[4] * py + m[5] - 0.5;
                for (int c = 0; c < 3; c++) {
                    /* u8: positions quantised to 1/256 px, so allow one level. */
                    ASSERT_NEAR(pa_image_px(&b, x, y)[c], ref_sample(&a, u, v, c, border[c]), 1.0);
                    double want = ref_sample(&a, u, v, c, 0) * scale + offset;
                    ASSERT_NEAR(f[(y * b.w + x) * 3 + c], want, 1e-3);
                }
            }
        }
    }
    free(f);
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(warp_f32_scale_offset_and_border)
{
    struct pa_image a;
    ASSERT_OK(pa_image_alloc(&a, 16, 12, PA_PIX_RGB24));
    fill_random(&a, 8);
    float out[20 * 12 * 3];
    /* Identity: every value is v * scale + offset exactly (up to float rounding). */
    ASSERT_OK(pa_image_warp_affine_f32(&a, out, 16, 12, k_identity, 1.0f / 255, 0.25f));
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 16; x++)
            for (int c = 0; c < 3; c++)
                ASSERT_NEAR(out[(y * 16 + x) * 3 + c], pa_image_px(&a, x, y)[c] / 255.0 + 0.25,
                            1e-6);
    /* Half-pixel shift right: the average of two neighbours; past the right edge the last
     * column blends with a zero border, and the four columns after that are pure offset. */
    const float m[6] = {1, 0, 0.5f, 0, 1, 0};
    ASSERT_OK(pa_image_warp_affine_f32(&a, out, 20, 12, m, 2.0f, -1.0f));
    for (int y = 0; y < 12; y++) {
        for (int x = 0; x < 20; x++) {
            for (int c = 0; c < 3; c++) {
                double l = x < 16 ? pa_image_px(&a, x, y)[c] : 0;
                double r = x + 1 < 16 ? pa_image_px(&a, x + 1, y)[c] : 0;
                ASSERT_NEAR(out[(y * 20 + x) * 3 + c], (l + r) / 2 * 2 - 1, 1e-4);
            }
        }
    }
    const float bad[6] = {1, 0, NAN, 0, 1, 0};
    ASSERT_ERR(pa_image_warp_affine_f32(&a, out, 16, 12, bad, 1, 0), PA_EINVAL);
    pa_image_free(&a);
}

PA_TEST(warp_extreme_matrices)
{
    /* Coordinates far beyond the fixed-point range take a slower exact path. */
    struct pa_image a, b;
    ASSERT_OK(pa_image_alloc(&a, 30, 20, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, 8, 4, PA_PIX_RGB24));
    fill_random(&a, 11);
    static const uint8_t border[4] = {1, 2, 3, 4};
    float f[8 * 4 * 3];
    const float far[6] = {1, 0, 1e9f, 0, 1, -3e8f};
    ASSERT_OK(pa_image_warp_affine(&a, &b, far, border));
    ASSERT_OK(pa_image_warp_affine_f32(&a, f, 8, 4, far, 2, 0.5f));
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 8; x++) {
            ASSERT_TRUE(memcmp(pa_image_px(&b, x, y), border, 3) == 0);
            for (int c = 0; c < 3; c++)
                ASSERT_EQ(f[(y * 8 + x) * 3 + c], 0.5f);
        }
    }
    /* A huge x scale: dst column 0 lands on src column 10, every other column far right. */
    const float steep[6] = {1e5f, 0, 10.5f - 0.5e5f, 0, 1, 3};
    ASSERT_OK(pa_image_warp_affine(&a, &b, steep, border));
    ASSERT_OK(pa_image_warp_affine_f32(&a, f, 8, 4, steep, 1, 0));
    for (int y = 0; y < 4; y++) {
        ASSERT_TRUE(memcmp(pa_image_px(&b, 0, y), pa_image_px(&a, 10, y + 3), 3) == 0);
        for (int c = 0; c < 3; c++)
            ASSERT_EQ(f[(y * 8) * 3 + c], pa_image_px(&a, 10, y + 3)[c]);
        for (int x = 1; x < 8; x++)
            ASSERT_TRUE(memcmp(pa_image_px(&b, x, y), border, 3) == 0);
    }
    pa_image_free(&a);
    pa_image_free(&b);
}

PA_TEST(warp_does_not_allocate)
{
    struct pa_image frame, crop;
    ASSERT_OK(pa_image_alloc(&frame, 1280, 720, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&crop, 192, 192, PA_PIX_RGB24));
    float *f = malloc(sizeof(float) * 192 * 192 * 3);
    const float m[6] = {1.2f, -0.3f, 500, 0.3f, 1.2f, 200};
    uint64_t before = pa_mem_alloc_count();
    ASSERT_OK(pa_image_warp_affine(&frame, &crop, m, NULL));
    ASSERT_OK(pa_image_warp_affine_f32(&frame, f, 192, 192, m, 1, 0));
    ASSERT_EQ(pa_mem_alloc_count(), before);
    free(f);
    pa_image_free(&frame);
    pa_image_free(&crop);
}

PA_TEST_MAIN()

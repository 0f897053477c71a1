/** @file
 * Paste-back and mask helpers: pixels outside the crop's footprint stay bit-exact, mask
 * 255 / 0 / partial blends follow the documented formula exactly, scaled and rotated
 * placements match a double-precision reference written here, thread counts agree, the
 * feather makes monotonic ramps and the erosion equals a brute-force minimum filter.
 */
#include "pa_test.h"

#include "animate/composite.h"
#include "core/image.h"
#include "core/mem.h"

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void fill_random(struct pa_image *img, uint32_t seed)
{
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w * 3; x++)
            pa_image_px(img, 0, y)[x] = (uint8_t)lcg(&seed);
}

static void fill_smooth(struct pa_image *img, double phase)
{
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            for (int c = 0; c < 3; c++)
                pa_image_px(img, x, y)[c] =
                    (uint8_t)(127.5 + 110 * sin(0.23 * x + phase + c) * cos(0.19 * y - c));
}

/* crop_to_frame = scale * rotation(angle) + (tx, ty). */
static void placement(float m[6], double s, double deg, double tx, double ty, int mirror)
{
    double a = deg * 3.14159265358979 / 180;
    m[0] = (float)(s * cos(a) * (mirror ? -1 : 1));
    m[1] = (float)(-s * sin(a));
    m[2] = (float)tx;
    m[3] = (float)(s * sin(a) * (mirror ? -1 : 1));
    m[4] = (float)(s * cos(a));
    m[5] = (float)ty;
}

/* Crop pixel coordinates of frame pixel (x, y)'s centre, in double. */
static void frame_to_crop(const float m[6], int x, int y, double *qx, double *qy)
{
    double a = m[0], b = m[1], c = m[3], d = m[4], det = a * d - b * c;
    double px = x + 0.5 - m[2], py = y + 0.5 - m[5];
    *qx = (d * px - b * py) / det;
    *qy = (-c * px + a * py) / det;
}

/* Bilinear sample of channel c (or a 1-channel plane when bpp 1), clamped, in double. */
static double ref_sample(const uint8_t *data, int stride, int bpp, int w, int h, int c, double u,
                         double v)
{
    u = u < 0 ? 0 : u > w - 1 ? w - 1 : u;
    v = v < 0 ? 0 : v > h - 1 ? h - 1 : v;
    int j = (int)u, i = (int)v;
    double fu = u - j, fv = v - i;
    int j1 = j < w - 1 ? j + 1 : j, i1 = i < h - 1 ? i + 1 : i;
#define AT(ii, jj) (double)data[(ii)*stride + (jj)*bpp + c]
    return (1 - fv) * ((1 - fu) * AT(i, j) + fu * AT(i, j1)) +
           fv * ((1 - fu) * AT(i1, j) + fu * AT(i1, j1));
#undef AT
}

PA_TEST(paste_leaves_pixels_outside_the_footprint_untouched)
{
    struct pa_image frame, orig, crop;
    ASSERT_OK(pa_image_alloc(&frame, 97, 61, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&orig, 97, 61, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&crop, 23, 17, PA_PIX_RGB24));
    fill_random(&crop, 4);
    static uint8_t mask[17 * 24];
    uint32_t seed = 9;
    for (size_t i = 0; i < sizeof(mask); i++)
        mask[i] = (uint8_t)(1 + lcg(&seed) % 255); // never 0: every footprint pixel changes
    static const double cases[][5] = {
        {1, 0, 10, 20, 0},     {2.3, 17, 40, 5, 0},    {0.7, -40, 60, 30, 1}, {1.6, 90, 40, 30, 0},
        {3.1, 200, 90, 50, 0}, {1, 0, 80.5, 50.25, 0}, {0.45, 33, 30, 2, 1},  {1.0, 45, 50, -5, 0}};
    for (size_t k = 0; k < PA_ARRAY_SIZE(cases); k++) {
        const double *cs = cases[k];
        float m[6];
        placement(m, cs[0], cs[1], cs[2], cs[3], (int)cs[4]);
        fill_random(&frame, (uint32_t)k + 100);
        for (int y = 0; y < 61; y++)
            memcpy(pa_image_px(&orig, 0, y), pa_image_px(&frame, 0, y), 97 * 3);
        ASSERT_OK(pa_composite_paste(&frame, &crop, k % 2 ? mask : NULL, 24, m, NULL));
        int changed = 0, inside = 0;
        for (int y = 0; y < 61; y++) {
            for (int x = 0; x < 97; x++) {
                double qx, qy;
                frame_to_crop(m, x, y, &qx, &qy);
                const double e = 1e-3;
                int out = qx < -e || qy < -e || qx > 23 + e || qy > 17 + e;
                int in = qx > e && qy > e && qx < 23 - e && qy < 17 - e;
                int same = memcmp(pa_image_px(&frame, x, y), pa_image_px(&orig, x, y), 3) == 0;
                if (out && !same)
                    PA__FAIL("case %zu: pixel %d,%d outside the footprint changed", k, x, y);
                inside += in;
                changed += in && !same;
            }
        }
        if (inside <= 10)
            PA__FAIL("case %zu: only %d footprint pixels", k, inside);
        // Random crop and frame: nearly every footprint pixel differs afterwards.
        ASSERT_GT(changed, inside * 0.9);
    }
    pa_image_free(&frame);
    pa_image_free(&orig);
    pa_image_free(&crop);
}

PA_TEST(paste_full_mask_copies_and_zero_mask_keeps)
{
    struct pa_image frame, orig, crop;
    ASSERT_OK(pa_image_alloc(&frame, 64, 48, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&orig, 64, 48, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&crop, 21, 13, PA_PIX_RGB24));
    fill_random(&frame, 1);
    fill_random(&crop, 2);
    for (int y = 0; y < 48; y++)
        memcpy(pa_image_px(&orig, 0, y), pa_image_px(&frame, 0, y), 64 * 3);
    static uint8_t full[13 * 21], none[13 * 21];
    memset(full, 255, sizeof(full));
    // Identity-scale placements: NULL mask and an all-255 mask copy the crop exactly.
    const float at[6] = {1, 0, 30, 0, 1, 20};
    for (int pass = 0; pass < 2; pass++) {
        ASSERT_OK(pa_composite_paste(&frame, &crop, pass ? full : NULL, 21, at, NULL));
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                int in = x >= 30 && x < 51 && y >= 20 && y < 33;
                const uint8_t *want =
                    in ? pa_image_px(&crop, x - 30, y - 20) : pa_image_px(&orig, x, y);
                ASSERT_TRUE(memcmp(pa_image_px(&frame, x, y), want, 3) == 0);
            }
        }
    }
    // A crop hanging over the frame's top-left corner is clipped, never written outside.
    const float corner[6] = {1, 0, -7, 0, 1, -4};
    ASSERT_OK(pa_composite_paste(&frame, &crop, NULL, 0, corner, NULL));
    for (int y = 0; y < 9; y++)
        for (int x = 0; x < 14; x++)
            ASSERT_TRUE(memcmp(pa_image_px(&frame, x, y), pa_image_px(&crop, x + 7, y + 4), 3) ==
                        0);
    // A zero mask leaves every pixel as it was, under any placement.
    for (int y = 0; y < 48; y++)
        memcpy(pa_image_px(&orig, 0, y), pa_image_px(&frame, 0, y), 64 * 3);
    float rot[6];
    placement(rot, 1.7, 23, 10, 5, 0);
    ASSERT_OK(pa_composite_paste(&frame, &crop, none, 21, rot, NULL));
    ASSERT_OK(pa_composite_paste(&frame, &crop, none, 21, at, NULL));
    for (int y = 0; y < 48; y++)
        ASSERT_TRUE(memcmp(pa_image_px(&frame, 0, y), pa_image_px(&orig, 0, y), 64 * 3) == 0);
    pa_image_free(&frame);
    pa_image_free(&orig);
    pa_image_free(&crop);
}

PA_TEST(paste_partial_mask_blends_with_rounding)
{
    struct pa_image frame, orig, crop;
    ASSERT_OK(pa_image_alloc(&frame, 40, 30, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&orig, 40, 30, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&crop, 16, 16, PA_PIX_RGB24));
    fill_random(&frame, 5);
    fill_random(&crop, 6);
    for (int y = 0; y < 30; y++)
        memcpy(pa_image_px(&orig, 0, y), pa_image_px(&frame, 0, y), 40 * 3);
    static uint8_t mask[16 * 16];
    for (int i = 0; i < 256; i++)
        mask[i] = (uint8_t)i; // every mask level once
    const float at[6] = {1, 0, 3, 0, 1, 9};
    ASSERT_OK(pa_composite_paste(&frame, &crop, mask, 16, at, NULL));
    for (int y = 0; y < 16; y++) {
        for (int x = 0; x < 16; x++) {
            int m = mask[y * 16 + x];
            for (int c = 0; c < 3; c++) {
                int cv = pa_image_px(&crop, x, y)[c], fv = pa_image_px(&orig, x + 3, y + 9)[c];
                int want = (cv * m + fv * (255 - m) + 127) / 255; // no ties: 255 is odd
                ASSERT_EQ(pa_image_px(&frame, x + 3, y + 9)[c], want);
            }
        }
    }
    pa_image_free(&frame);
    pa_image_free(&orig);
    pa_image_free(&crop);
}

/* The documented 8-bit-fraction bilinear (animate/bilinear.h) of channel c at index-space
 * position (u, v) in 1/256 pixel, clamped. */
static int doc_sample(const uint8_t *d, int stride, int bpp, int w, int h, int c, int u, int v)
{
    u = PA_CLAMP(u, 0, (w - 1) * 256);
    v = PA_CLAMP(v, 0, (h - 1) * 256);
    int j = u / 256, i = v / 256, fu = u % 256, fv = v % 256;
    int j1 = PA_MIN(j + 1, w - 1), i1 = PA_MIN(i + 1, h - 1);
    int top = d[i * stride + j * bpp + c] * (256 - fu) + d[i * stride + j1 * bpp + c] * fu;
    int bot = d[i1 * stride + j * bpp + c] * (256 - fu) + d[i1 * stride + j1 * bpp + c] * fu;
    if (bpp == 1) // the mask: one rounding at the end
        return (top * (256 - fv) + bot * fv + 32768) >> 16;
    int64_t mid = ((top * (int64_t)(65535 - fv * 256)) >> 16) + ((bot * (int64_t)fv * 256) >> 16);
    return (int)((mid + 128) >> 8);
}

PA_TEST(half_pixel_paste_follows_the_documented_arithmetic)
{
    enum { FW = 90, FH = 70, CW = 80, CH = 60 };
    // Crop packed into an exactly sized block: a sanitizer build sees any read past it.
    uint8_t *packed = malloc((size_t)CW * CH * 3);
    struct pa_image frame, orig, crop = {packed, CW * 3, CW, CH, PA_PIX_RGB24, NULL};
    ASSERT_OK(pa_image_alloc(&frame, FW, FH, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&orig, FW, FH, PA_PIX_RGB24));
    fill_random(&frame, 12);
    fill_random(&crop, 13);
    for (int y = 0; y < FH; y++)
        memcpy(pa_image_px(&orig, 0, y), pa_image_px(&frame, 0, y), FW * 3);
    static uint8_t mask[CH * CW];
    uint32_t seed = 3;
    for (int i = 0; i < CH * CW; i++) {
        uint32_t r = lcg(&seed) % 4; // many 0 and 255 neighbourhoods, the rest anything
        mask[i] = (uint8_t)(r == 0 ? 0 : r == 1 ? 255 : lcg(&seed));
    }
    // Half-pixel shifts on both axes (fu = fv = 128 exactly): interior SSE2 taps, clamped
    // edges and the partial-mask blend all have one exact expected value.
    const float at[6] = {1, 0, 5.5f, 0, 1, 7.5f};
    ASSERT_OK(pa_composite_paste(&frame, &crop, mask, CW, at, NULL));
    for (int y = 0; y < FH; y++) {
        for (int x = 0; x < FW; x++) {
            int u = (x - 6) * 256 + 128, v = (y - 8) * 256 + 128; // index space, 1/256 px
            int in = u >= -128 && u < CW * 256 - 128 && v >= -128 && v < CH * 256 - 128;
            for (int c = 0; c < 3; c++) {
                int f = pa_image_px(&orig, x, y)[c], want = f;
                if (in) {
                    int m = doc_sample(mask, CW, 1, CW, CH, 0, u, v);
                    int cv = doc_sample(crop.data, crop.stride, 3, CW, CH, c, u, v);
                    want = (cv * m + f * (255 - m) + 127) / 255;
                }
                if (pa_image_px(&frame, x, y)[c] != want)
                    PA__FAIL("pixel %d,%d channel %d: %d, want %d", x, y, c,
                             pa_image_px(&frame, x, y)[c], want);
            }
        }
    }
    pa_image_free(&frame);
    pa_image_free(&orig);
    free(packed);
}

PA_TEST(scaled_rotated_paste_matches_reference)
{
    enum { FW = 120, FH = 90, CW = 40, CH = 32 };
    struct pa_image frame, orig, crop;
    ASSERT_OK(pa_image_alloc(&frame, FW, FH, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&orig, FW, FH, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&crop, CW, CH, PA_PIX_RGB24));
    fill_smooth(&crop, 0.3);
    static uint8_t mask[CH * CW];
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++)
            mask[y * CW + x] = (uint8_t)PA_CLAMP(40 + 9 * x - 3 * y, 0, 255);
    static const double cases[][4] = {{1.9, 12, 30, 4}, {0.8, -30, 40, 40}, {2.6, 95, 110, 2}};
    for (size_t k = 0; k < PA_ARRAY_SIZE(cases); k++) {
        fill_smooth(&frame, 2.0 + (double)k);
        for (int y = 0; y < FH; y++)
            memcpy(pa_image_px(&orig, 0, y), pa_image_px(&frame, 0, y), FW * 3);
        float m[6];
        placement(m, cases[k][0], cases[k][1], cases[k][2], cases[k][3], 0);
        ASSERT_OK(pa_composite_paste(&frame, &crop, mask, CW, m, NULL));
        int n = 0;
        for (int y = 0; y < FH; y++) {
            for (int x = 0; x < FW; x++) {
                double qx, qy;
                frame_to_crop(m, x, y, &qx, &qy);
                if (!(qx > 1e-3 && qy > 1e-3 && qx < CW - 1e-3 && qy < CH - 1e-3))
                    continue;
                double mv = ref_sample(mask, CW, 1, CW, CH, 0, qx - 0.5, qy - 0.5) / 255;
                for (int c = 0; c < 3; c++) {
                    double cv =
                        ref_sample(crop.data, crop.stride, 3, CW, CH, c, qx - 0.5, qy - 0.5);
                    double want = cv * mv + pa_image_px(&orig, x, y)[c] * (1 - mv);
                    // Three roundings: crop sample (0.5), mask level (0.5 / 255 of |c - f|
                    // <= 0.5) and the blend (0.5), plus 1/256-pixel positions.
                    ASSERT_NEAR(pa_image_px(&frame, x, y)[c], want, 1.6);
                }
                n++;
            }
        }
        ASSERT_GT(n, 500);
    }
    pa_image_free(&frame);
    pa_image_free(&orig);
    pa_image_free(&crop);
}

PA_TEST(paste_is_the_same_on_any_thread_count)
{
    struct pa_image crop, out[3];
    ASSERT_OK(pa_image_alloc(&crop, 64, 64, PA_PIX_RGB24));
    fill_random(&crop, 3);
    static uint8_t mask[64 * 64];
    uint32_t seed = 1;
    for (size_t i = 0; i < sizeof(mask); i++)
        mask[i] = (uint8_t)lcg(&seed);
    float m[6];
    placement(m, 2.7, 11, 60, -20, 0);
    for (int k = 0; k < 3; k++) {
        struct pa_parallel *par = NULL;
        if (k)
            ASSERT_OK(pa_parallel_create(&par, k + 1));
        ASSERT_OK(pa_image_alloc(&out[k], 300, 200, PA_PIX_RGB24));
        fill_random(&out[k], 77);
        uint64_t before = pa_mem_alloc_count();
        ASSERT_OK(pa_composite_paste(&out[k], &crop, mask, 64, m, par));
        ASSERT_EQ(pa_mem_alloc_count() - before, 0);
        pa_parallel_destroy(par);
        for (int y = 0; y < 200 && k; y++)
            ASSERT_TRUE(memcmp(pa_image_px(&out[k], 0, y), pa_image_px(&out[0], 0, y), 900) == 0);
    }
    for (int k = 0; k < 3; k++)
        pa_image_free(&out[k]);
    pa_image_free(&crop);
}

PA_TEST(paste_rejects_bad_arguments)
{
    struct pa_image frame, crop, gray;
    ASSERT_OK(pa_image_alloc(&frame, 8, 8, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&crop, 4, 4, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&gray, 4, 4, PA_PIX_GRAY8));
    uint8_t mask[16] = {0};
    const float ok[6] = {1, 0, 0, 0, 1, 0}, singular[6] = {1, 2, 0, 2, 4, 0};
    const float nan[6] = {1, 0, NAN, 0, 1, 0}, tiny[6] = {1e-6f, 0, 0, 0, 1e-6f, 0};
    ASSERT_ERR(pa_composite_paste(&frame, &crop, mask, 4, singular, NULL), PA_EINVAL);
    ASSERT_ERR(pa_composite_paste(&frame, &crop, mask, 4, nan, NULL), PA_EINVAL);
    ASSERT_ERR(pa_composite_paste(&frame, &crop, mask, 4, tiny, NULL), PA_EINVAL);
    ASSERT_ERR(pa_composite_paste(&frame, &gray, mask, 4, ok, NULL), PA_EINVAL);
    ASSERT_ERR(pa_composite_paste(&frame, &crop, mask, 3, ok, NULL), PA_EINVAL);
    ASSERT_OK(pa_composite_paste(&frame, &crop, mask, 4, ok, NULL));
    const float far[6] = {1, 0, 1e9f, 0, 1, -1e9f}; // entirely off the frame: a no-op
    ASSERT_OK(pa_composite_paste(&frame, &crop, NULL, 0, far, NULL));
    pa_image_free(&frame);
    pa_image_free(&crop);
    pa_image_free(&gray);
}

PA_TEST(feather_turns_a_step_into_a_monotonic_ramp)
{
    enum { W = 200, H = 80, S = 208, R = 5 };
    static uint8_t mask[H * S], scratch[1 << 16];
    ASSERT_TRUE(pa_mask_scratch_size(W, H) <= sizeof(scratch));
    ASSERT_EQ(pa_mask_scratch_size(0, 5), 0);
    for (int dir = 0; dir < 2; dir++) {
        // dir 0: left half 255; dir 1: top half 255 (a vertical step).
        for (int y = 0; y < H; y++)
            for (int x = 0; x < S; x++)
                mask[y * S + x] = x >= W ? 123 : (dir ? y < H / 2 : x < W / 2) ? 255 : 0;
        pa_mask_feather(mask, W, H, S, R, scratch);
        for (int y = 0; y < H; y++)
            for (int x = W; x < S; x++)
                ASSERT_EQ(mask[y * S + x], 123); // stride padding untouched
        int n = dir ? H : W, reach = 3 * R;
        for (int line = reach; line < (dir ? W : H) - reach; line++) {
            const uint8_t *p = dir ? mask + line : mask + line * S;
            ptrdiff_t step = dir ? S : 1;
            for (int i = reach; i < n - 1; i++)
                ASSERT_TRUE(p[i * step] >= p[(i + 1) * step]); // non-increasing across the step
            for (int i = reach; i < n / 2 - reach; i++)
                ASSERT_EQ(p[i * step], 255);
            for (int i = n / 2 + reach; i < n; i++)
                ASSERT_EQ(p[i * step], 0);
            ASSERT_TRUE(p[(n / 2 - 1) * step] > 0 && p[(n / 2 - 1) * step] < 255);
            ASSERT_TRUE(p[(n / 2) * step] > 0 && p[(n / 2) * step] < 255);
            for (int d = 0; d < reach; d++) // the ramp is symmetric about the step
                ASSERT_NEAR(p[(n / 2 - 1 - d) * step] + p[(n / 2 + d) * step], 255, 3);
            // Outside counts as 0: the near border fades too.
            ASSERT_TRUE(p[0] < 255 && p[0] > 0);
            for (int i = 0; i < reach; i++)
                ASSERT_TRUE(p[i * step] <= p[(i + 1) * step]);
        }
    }
    pa_mask_feather(mask, W, H, S, 0, scratch);   // radius 0: no-op, no crash
    pa_mask_feather(mask, W, H, S, 999, scratch); // window larger than the mask
}

/* One exact box pass (window 2r + 1, outside 0) over n values `step` apart, in double. */
static void ref_box(double *v, int n, ptrdiff_t step, int r, double *tmp)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = i - r; k <= i + r; k++)
            s += k >= 0 && k < n ? v[k * step] : 0;
        tmp[i] = s / (2 * r + 1);
    }
    for (int i = 0; i < n; i++)
        v[i * step] = tmp[i];
}

PA_TEST(feather_matches_three_exact_box_passes)
{
    enum { W = 53, H = 41, S = 64 };
    static uint8_t mask[H * S], scratch[1 << 14];
    static double ref[H * W], tmp[64];
    uint32_t seed = 23;
    for (int r = 1; r <= 7; r += 3) {
        // Noise, so that any window error shows.
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                ref[y * W + x] = mask[y * S + x] = (uint8_t)lcg(&seed);
        pa_mask_feather(mask, W, H, S, r, scratch);
        for (int pass = 0; pass < 3; pass++)
            for (int y = 0; y < H; y++)
                ref_box(ref + y * W, W, 1, r, tmp);
        for (int pass = 0; pass < 3; pass++)
            for (int x = 0; x < W; x++)
                ref_box(ref + x, H, W, r, tmp);
        // Six roundings to whole levels, each at most 0.5 off.
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                ASSERT_NEAR(mask[y * S + x], ref[y * W + x], 3.0);
    }
}

PA_TEST(erode_equals_a_brute_force_minimum)
{
    enum { W = 37, H = 29, S = 40 };
    static uint8_t mask[H * S], want[H * S], scratch[1 << 14];
    ASSERT_TRUE(pa_mask_scratch_size(W, H) <= sizeof(scratch));
    uint32_t seed = 17;
    for (int r = 1; r <= 16; r += (r < 6 ? 1 : 5)) {
        for (int i = 0; i < H * S; i++)
            mask[i] = (uint8_t)(200 + lcg(&seed) % 56); // high values: minima are visible
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int mn = 255;
                for (int yy = y - r; yy <= y + r; yy++)
                    for (int xx = x - r; xx <= x + r; xx++)
                        mn = PA_MIN(mn,
                                    yy < 0 || xx < 0 || yy >= H || xx >= W ? 0 : mask[yy * S + xx]);
                want[y * S + x] = (uint8_t)mn;
            }
            for (int x = W; x < S; x++)
                want[y * S + x] = mask[y * S + x];
        }
        pa_mask_erode(mask, W, H, S, r, scratch);
        for (int i = 0; i < H * S; i++)
            if (mask[i] != want[i])
                PA__FAIL("radius %d: pixel %d,%d is %d, want %d", r, i % S, i / S, mask[i],
                         want[i]);
    }
}

PA_TEST(erode_then_feather_reaches_zero_at_the_border)
{
    enum { W = 64, H = 48, R = 4 };
    static uint8_t mask[W * H], scratch[1 << 14];
    memset(mask, 255, sizeof(mask));
    pa_mask_erode(mask, W, H, W, 3 * R, scratch);
    pa_mask_feather(mask, W, H, W, R, scratch);
    for (int x = 0; x < W; x++)
        ASSERT_TRUE(mask[x] == 0 && mask[(H - 1) * W + x] == 0);
    for (int y = 0; y < H; y++)
        ASSERT_TRUE(mask[y * W] == 0 && mask[y * W + W - 1] == 0);
    ASSERT_EQ(mask[(H / 2) * W + W / 2], 255);
    for (int x = 0; x < W / 2; x++) // rises monotonically from the border to the centre
        ASSERT_TRUE(mask[(H / 2) * W + x] <= mask[(H / 2) * W + x + 1]);
}

PA_TEST_MAIN()

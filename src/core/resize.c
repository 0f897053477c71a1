/** @file
 * pa_image_resize: separable resampling of 8-bit interleaved images (1, 3 or 4 bytes/pixel).
 *
 * Algorithm digest. Each axis gets a coefficient table: output index i reads `taps`
 * consecutive inputs starting at start[i], with float weights summing to 1. With
 * s = n_in / n_out:
 *  - s == 1: identity (1 tap).
 *  - s <= 2 (upscale or mild downscale): bilinear with the pixel-centre convention. Output
 *    centre i + 0.5 maps to input coordinate c = (i + 0.5) * s - 0.5 (in input index
 *    units); c is clamped to [0, n_in - 1] (edge replication) and the weights are
 *    (1 - f, f) on floor(c) and floor(c) + 1, f = c - floor(c). This is OpenCV's
 *    INTER_LINEAR and PIL's BILINEAR for upscales.
 *  - s > 2: area averaging (OpenCV INTER_AREA). Output i covers the input interval
 *    [i s, (i + 1) s); input pixel j gets weight |[j, j+1) ∩ [i s, (i+1) s)| / s, so every
 *    input pixel contributes exactly once in total and high frequencies cannot alias.
 *    taps = ceil(s) + 1.
 * Tables whose window would run past the end are shifted left and padded with zero
 * weights, so the inner loops have a fixed tap count and never test bounds.
 *
 * The horizontal pass turns one source row into floats (w_dst * bpp values); a ring of
 * `taps_y` such rows feeds the vertical pass, which rounds to 8 bits. Because start[]
 * is monotonic in the output index, every source row is filtered horizontally at most once.
 *
 * Memory: tables and the ring live in one scratch block, on the stack when it fits in
 * RESIZE_STACK_BYTES, else in one pa_malloc per call. The block holds about
 * 4 * (w_dst * taps_x + h_dst * taps_y + taps_y * w_dst * bpp) bytes, so per-frame sizes
 * such as 1280x720 -> 640x360 RGB (27 KiB) or 1280x720 -> 256x256 RGBA (29 KiB) never
 * allocate; a 3511 -> 512 shrink (taps 8) allocates once per call.
 */
#include "image.h"

#include <string.h>

#include "mem.h"

#define RESIZE_STACK_BYTES 32768

struct axis {
    int n_in, n_out, taps;
    int32_t *start; ///< first input index per output index
    float *w;       ///< n_out * taps weights
};

static int axis_taps(int n_in, int n_out)
{
    int taps;
    if (n_in == n_out)
        taps = 1;
    else if (n_in <= 2 * n_out)
        taps = 2;
    else
        taps = (n_in + n_out - 1) / n_out + 1;
    return PA_MIN(taps, n_in);
}

/*
 * Window of output i: start[i] = j0 moved left where j0 + taps would pass n_in. Returns
 * the weight slot of input index j0 (zeroed); the caller fills cnt weights from there.
 */
static float *axis_slot(struct axis *ax, int i, int j0)
{
    int start = PA_MIN(j0, ax->n_in - ax->taps);
    float *w = ax->w + (size_t)i * (size_t)ax->taps;
    memset(w, 0, (size_t)ax->taps * sizeof(*w));
    ax->start[i] = start;
    return w + (j0 - start);
}

/* Rescale output i's weights to sum to exactly 1 (up to float rounding). */
static void axis_normalize(struct axis *ax, int i)
{
    float *w = ax->w + (size_t)i * (size_t)ax->taps;
    float sum = 0;
    for (int t = 0; t < ax->taps; t++)
        sum += w[t];
    for (int t = 0; t < ax->taps; t++)
        w[t] /= sum;
}

static void axis_build(struct axis *ax)
{
    const double s = (double)ax->n_in / ax->n_out;
    for (int i = 0; i < ax->n_out; i++) {
        if (ax->n_in == ax->n_out || ax->n_in == 1) {
            axis_slot(ax, i, ax->n_in == 1 ? 0 : i)[0] = 1.0f;
        } else if (ax->n_in <= 2 * ax->n_out) {
            double c = PA_CLAMP((i + 0.5) * s - 0.5, 0.0, (double)(ax->n_in - 1));
            int j = PA_MIN((int)c, ax->n_in - 2);
            double f = c - j;
            float *w = axis_slot(ax, i, j);
            w[0] = (float)(1.0 - f);
            w[1] = (float)f;
        } else {
            /* Window bounds in exact integer arithmetic, so they never exceed `taps`. */
            int64_t num = (int64_t)i * ax->n_in, den = ax->n_out;
            int j0 = (int)(num / den);
            int j1 = (int)((num + ax->n_in + den - 1) / den);
            double b = i * s, e = (i + 1) * s;
            float *w = axis_slot(ax, i, j0);
            for (int j = j0; j < j1; j++)
                w[j - j0] = (float)((PA_MIN(j + 1.0, e) - PA_MAX((double)j, b)) / s);
            axis_normalize(ax, i);
        }
    }
}

/* The row kernels are specialised per bpp; a constant bpp lets the channel code unroll. */
#if defined(__GNUC__)
#define FORCE_INLINE inline __attribute__((always_inline))
#else
#define FORCE_INLINE inline
#endif

/* One source row to floats: out[i*bpp + c] = sum_t w[i][t] * src[(start[i] + t)*bpp + c]. */
static FORCE_INLINE void hpass(const uint8_t *src, float *out, const struct axis *ax, const int bpp)
{
    const int taps = ax->taps;
    if (taps == 2) {
        /* The bilinear case, by far the most common: no inner loop. */
        for (int i = 0; i < ax->n_out; i++, out += bpp) {
            const uint8_t *p = src + (size_t)ax->start[i] * (size_t)bpp;
            const float w0 = ax->w[2 * i], w1 = ax->w[2 * i + 1];
#pragma GCC unroll 4
            for (int c = 0; c < bpp; c++)
                out[c] = w0 * (float)p[c] + w1 * (float)p[c + bpp];
        }
        return;
    }
    for (int i = 0; i < ax->n_out; i++, out += bpp) {
        const uint8_t *p = src + (size_t)ax->start[i] * (size_t)bpp;
        const float *w = ax->w + (size_t)i * (size_t)taps;
        /* Two accumulator sets (even and odd taps) halve the floating-point add chain. */
        float a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
        int t = 0;
        for (; t + 1 < taps; t += 2, p += 2 * bpp) {
#pragma GCC unroll 4
            for (int c = 0; c < bpp; c++) {
                a[c] += w[t] * (float)p[c];
                b[c] += w[t + 1] * (float)p[c + bpp];
            }
        }
        if (t < taps) {
#pragma GCC unroll 4
            for (int c = 0; c < bpp; c++)
                a[c] += w[t] * (float)p[c];
        }
#pragma GCC unroll 4
        for (int c = 0; c < bpp; c++)
            out[c] = a[c] + b[c];
    }
}

static void hpass_any(const uint8_t *src, float *out, const struct axis *ax, int bpp)
{
    switch (bpp) {
    case 1:
        hpass(src, out, ax, 1);
        break;
    case 3:
        hpass(src, out, ax, 3);
        break;
    default:
        hpass(src, out, ax, 4);
        break;
    }
}

/*
 * Weights are non-negative and sum to 1, so v lies in [0, 255] up to float rounding
 * (|error| < 1e-3): v + 0.5 stays in (0, 256) and truncation rounds without clamping.
 */
static inline uint8_t to_u8(float v)
{
    return (uint8_t)(int)(v + 0.5f);
}

/* One output row from `taps` float rows. */
static void vpass(float *const *rows, const float *w, int taps, uint8_t *dst, int n)
{
    if (taps == 1) {
        for (int x = 0; x < n; x++)
            dst[x] = to_u8(rows[0][x]);
    } else if (taps == 2) {
        const float *r0 = rows[0], *r1 = rows[1], w0 = w[0], w1 = w[1];
        for (int x = 0; x < n; x++)
            dst[x] = to_u8(w0 * r0[x] + w1 * r1[x]);
    } else {
        for (int x = 0; x < n; x++) {
            float a = 0;
            for (int t = 0; t < taps; t++)
                a += w[t] * rows[t][x];
            dst[x] = to_u8(a);
        }
    }
}

/* Carve n bytes (64-aligned) out of the scratch block. */
static void *carve(uint8_t **p, size_t n)
{
    void *r = *p;
    *p += (n + 63) & ~(size_t)63;
    return r;
}

int pa_image_resize(const struct pa_image *src, struct pa_image *dst)
{
    if (!src || !dst || !src->data || !dst->data || src->fmt != dst->fmt || src->w <= 0 ||
        src->h <= 0 || dst->w <= 0 || dst->h <= 0 || pa_pixfmt_bpp(src->fmt) == 0)
        return PA_EINVAL;
    if (src->w == dst->w && src->h == dst->h)
        return pa_image_copy(dst, src);
    const int bpp = pa_pixfmt_bpp(src->fmt);
    struct axis ax = {.n_in = src->w, .n_out = dst->w, .taps = axis_taps(src->w, dst->w)};
    struct axis ay = {.n_in = src->h, .n_out = dst->h, .taps = axis_taps(src->h, dst->h)};
    const size_t row_len = (size_t)dst->w * (size_t)bpp;

    /* Sizes are bounded by pa_image limits (16384), so these products cannot overflow. */
    size_t sz_x = (size_t)ax.n_out * (size_t)ax.taps * sizeof(float);
    size_t sz_y = (size_t)ay.n_out * (size_t)ay.taps * sizeof(float);
    size_t sz_ring = (size_t)ay.taps * row_len * sizeof(float);
    size_t need = 6 * 64 + sz_x + sz_y + sz_ring + (size_t)ax.n_out * sizeof(int32_t) +
                  (size_t)ay.n_out * sizeof(int32_t) + 2 * (size_t)ay.taps * sizeof(float *);
    _Alignas(64) uint8_t stack[RESIZE_STACK_BYTES];
    uint8_t *heap = NULL, *p = stack;
    if (need > sizeof(stack)) {
        heap = pa_malloc(need);
        if (!heap)
            return PA_ENOMEM;
        p = heap;
    }
    ax.w = carve(&p, sz_x);
    ay.w = carve(&p, sz_y);
    float *ring = carve(&p, sz_ring);
    ax.start = carve(&p, (size_t)ax.n_out * sizeof(int32_t));
    ay.start = carve(&p, (size_t)ay.n_out * sizeof(int32_t));
    float **rows = carve(&p, 2 * (size_t)ay.taps * sizeof(float *));
    axis_build(&ax);
    axis_build(&ay);

    int next = 0; // all source rows below `next` have been filtered (or skipped)
    for (int y = 0; y < dst->h; y++) {
        const int sy = ay.start[y];
        for (; next < sy + ay.taps; next++) {
            if (next < sy)
                continue; // never needed: a mild downscale skips rows
            float *slot = ring + (size_t)(next % ay.taps) * row_len;
            hpass_any(src->data + (size_t)next * (size_t)src->stride, slot, &ax, bpp);
        }
        for (int t = 0; t < ay.taps; t++)
            rows[t] = ring + (size_t)((sy + t) % ay.taps) * row_len;
        vpass(rows, ay.w + (size_t)y * (size_t)ay.taps, ay.taps,
              dst->data + (size_t)y * (size_t)dst->stride, (int)row_len);
    }
    pa_free(heap);
    return 0;
}

/** @file
 * Affine warps with bilinear sampling: 8-bit → 8-bit (any bpp) and RGB24 → float HxWx3
 * (network inputs). The tracker cuts its face crops with these every frame, so they do
 * not allocate and keep the inner loop short.
 *
 * Algorithm digest. M (2x3, row-major) maps dst pixel coordinates to src pixel coordinates,
 * both with pixel centres at +0.5. For dst pixel (x, y) the sample position in src *index*
 * space (centre of pixel j at j) is
 *     u = m0 (x + 0.5) + m1 (y + 0.5) + m2 - 0.5,   v = m3 (x + 0.5) + m4 (y + 0.5) + m5 - 0.5,
 * which along a row is u = u_row + x m0, v = v_row + x m3 (one multiply-add per coordinate,
 * no accumulated drift). With j = floor(u), i = floor(v), fu = u - j, fv = v - i, the value is
 *     (1-fu)(1-fv) S[i][j] + fu (1-fv) S[i][j+1] + (1-fu) fv S[i+1][j] + fu fv S[i+1][j+1],
 * where any S outside the image is the border colour (so a sample straddling the edge
 * blends with the border). A dst pixel with u < -1, u >= w, v < -1 or v >= h touches no
 * source pixel and is the border colour outright; NaN positions land there too.
 *
 * The u8 path quantises positions to 1/2048 pixel (round to nearest), so weights are
 * integers (2048 - fu)(2048 - fv) etc. summing to 2^22; the result is rounded with
 * + 2^21 >> 22. An identity or integer-translation matrix gives fu = fv = 0 and an exact copy.
 * The f32 path keeps float weights.
 */
#include "image.h"

#include <math.h>
#include <string.h>

/* The per-bpp row kernels must be specialised for a constant bpp to unroll channel loops. */
#if defined(__GNUC__)
#define FORCE_INLINE inline __attribute__((always_inline))
#else
#define FORCE_INLINE inline
#endif

/* Sample positions are offset by this before truncation so that (int) acts as floor. */
#define POS_BIAS 2.0f
/* 11 fractional bits: weights are products of two 11-bit fractions, and 255 * 2^22 still
 * fits an int, while position rounding stays below 0.13 levels. */
#define SUB_BITS 11
#define SUB_ONE (1 << SUB_BITS)
#define W_SHIFT (2 * SUB_BITS)

static int check_matrix(const float m[6])
{
    for (int i = 0; i < 6; i++) {
        if (!isfinite(m[i]))
            return PA_EINVAL;
    }
    return 0;
}

/* True when the sample touches at least one source pixel (also false for NaN). */
static inline int touches(float u, float v, int w, int h)
{
    return u >= -1.0f && u < (float)w && v >= -1.0f && v < (float)h;
}

/* Positions in 32.32 fixed point: exact integer steps along a row, no float->int per pixel. */
#define FIX_BITS 32
#define FIX_ONE 4294967296.0
/* Rows whose coordinates exceed this (in pixels) take the float path; keeps int64 safe. */
#define FIX_LIMIT 1048576.0

/*
 * The source as plain values. The kernels work on a local copy: stores through the
 * uint8_t output pointer may alias anything reachable through a struct pa_image pointer,
 * which would make the compiler reload data/stride/w/h after every pixel.
 */
struct sampler {
    const uint8_t *data;
    size_t stride;
    int w, h;
};

/* Neighbour (j + k%2, i + k/2) of pixel (j, i) for k = 0..3, or `outside` when off-image. */
static FORCE_INLINE void neighbours(const struct sampler *s, int j, int i, const int bpp,
                                    const uint8_t *outside, const uint8_t *q[4])
{
    if (PA_LIKELY((unsigned)j < (unsigned)(s->w - 1) && (unsigned)i < (unsigned)(s->h - 1))) {
        q[0] = s->data + (size_t)i * s->stride + (size_t)j * (size_t)bpp;
        q[1] = q[0] + bpp;
        q[2] = q[0] + s->stride;
        q[3] = q[2] + bpp;
        return;
    }
    for (int k = 0; k < 4; k++) {
        int jj = j + (k & 1), ii = i + (k >> 1);
        q[k] = jj >= 0 && ii >= 0 && jj < s->w && ii < s->h
                   ? s->data + (size_t)ii * s->stride + (size_t)jj * (size_t)bpp
                   : outside;
    }
}

/* Blend the four neighbours of (j, i) with integer weights (fu, fv in 1/SUB_ONE px). */
static FORCE_INLINE void blend_u8(const struct sampler *s, uint8_t *out, int j, int i, int fu,
                                  int fv, const uint8_t *border, const int bpp)
{
    const int w00 = (SUB_ONE - fu) * (SUB_ONE - fv), w01 = fu * (SUB_ONE - fv);
    const int w10 = (SUB_ONE - fu) * fv, w11 = fu * fv;
    const uint8_t *q[4];
    neighbours(s, j, i, bpp, border, q);
#pragma GCC unroll 4
    for (int c = 0; c < bpp; c++) {
        int acc = w00 * q[0][c] + w01 * q[1][c] + w10 * q[2][c] + w11 * q[3][c];
        out[c] = (uint8_t)((acc + (1 << (W_SHIFT - 1))) >> W_SHIFT);
    }
}

/* True when a row's positions stay small enough for the 32.32 fixed-point stepping. */
static int row_fits_fixed(float u, float v, float du, float dv, int n)
{
    double lim = FIX_LIMIT - (double)n * (fabs((double)du) + fabs((double)dv));
    return fabs((double)u) < lim && fabs((double)v) < lim; // false for NaN / inf too
}

/* One dst row of the u8 warp; bpp is a constant after inlining. */
static FORCE_INLINE void warp_row_u8(const struct sampler *s, uint8_t *out, int n, float u, float v,
                                     float du, float dv, const uint8_t *border, const int bpp)
{
    const int w = s->w, h = s->h;
    if (PA_UNLIKELY(!row_fits_fixed(u, v, du, dv, n))) {
        /* Far-away or huge positions: per-pixel float arithmetic, same rounding. */
        for (int x = 0; x < n; x++, out += bpp) {
            float uu = u + (float)x * du, vv = v + (float)x * dv;
            if (!touches(uu, vv, w, h)) {
                memcpy(out, border, (size_t)bpp);
                continue;
            }
            /* Positions are >= -1 here, so the biased value is positive and (int) floors. */
            int iu = (int)((uu + POS_BIAS) * (float)SUB_ONE + 0.5f);
            int iv = (int)((vv + POS_BIAS) * (float)SUB_ONE + 0.5f);
            blend_u8(s, out, (iu >> SUB_BITS) - (int)POS_BIAS, (iv >> SUB_BITS) - (int)POS_BIAS,
                     iu & (SUB_ONE - 1), iv & (SUB_ONE - 1), border, bpp);
        }
        return;
    }
    /* Half a subpixel step added once turns the truncation below into round-to-nearest. */
    const int64_t half = (int64_t)1 << (FIX_BITS - SUB_BITS - 1);
    int64_t U = (int64_t)((double)u * FIX_ONE) + half, V = (int64_t)((double)v * FIX_ONE) + half;
    const int64_t dU = (int64_t)((double)du * FIX_ONE), dV = (int64_t)((double)dv * FIX_ONE);
    for (int x = 0; x < n; x++, out += bpp, U += dU, V += dV) {
        /* Arithmetic shifts: floor for negative positions too (GCC/Clang semantics). */
        int j = (int)(U >> FIX_BITS), i = (int)(V >> FIX_BITS);
        if (PA_UNLIKELY(j < -1 || j >= w || i < -1 || i >= h)) {
            memcpy(out, border, (size_t)bpp);
            continue;
        }
        int fu = (int)(U >> (FIX_BITS - SUB_BITS)) & (SUB_ONE - 1);
        int fv = (int)(V >> (FIX_BITS - SUB_BITS)) & (SUB_ONE - 1);
        blend_u8(s, out, j, i, fu, fv, border, bpp);
    }
}

int pa_image_warp_affine(const struct pa_image *src, struct pa_image *dst, const float m[6],
                         const uint8_t border[4])
{
    static const uint8_t black[4] = {0, 0, 0, 0};
    if (!src || !dst || !m || !src->data || !dst->data || src->fmt != dst->fmt || src->w <= 0 ||
        src->h <= 0 || dst->w <= 0 || dst->h <= 0 || check_matrix(m) < 0)
        return PA_EINVAL;
    if (!border)
        border = black;
    const struct sampler s = {src->data, (size_t)src->stride, src->w, src->h};
    const int bpp = pa_pixfmt_bpp(src->fmt);
    for (int y = 0; y < dst->h; y++) {
        float yc = (float)y + 0.5f;
        float u = m[0] * 0.5f + m[1] * yc + m[2] - 0.5f;
        float v = m[3] * 0.5f + m[4] * yc + m[5] - 0.5f;
        uint8_t *out = dst->data + (size_t)y * (size_t)dst->stride;
        switch (bpp) {
        case 1:
            warp_row_u8(&s, out, dst->w, u, v, m[0], m[3], border, 1);
            break;
        case 3:
            warp_row_u8(&s, out, dst->w, u, v, m[0], m[3], border, 3);
            break;
        case 4:
            warp_row_u8(&s, out, dst->w, u, v, m[0], m[3], border, 4);
            break;
        default:
            return PA_EINVAL;
        }
    }
    return 0;
}

/* Weighted sum of the four RGB24 neighbours of (j, i); outside ones count as 0. */
static FORCE_INLINE void blend_f32(const struct sampler *s, float *out, int j, int i, float fu,
                                   float fv, float scale, float offset)
{
    static const uint8_t zero[3] = {0, 0, 0};
    /* Fold the output scale into the weights: 4 multiplies per channel, no extra. */
    const float w00 = (1.0f - fu) * (1.0f - fv) * scale, w01 = fu * (1.0f - fv) * scale;
    const float w10 = (1.0f - fu) * fv * scale, w11 = fu * fv * scale;
    const uint8_t *q[4];
    neighbours(s, j, i, 3, zero, q);
#pragma GCC unroll 3
    for (int c = 0; c < 3; c++)
        out[c] = w00 * (float)q[0][c] + w01 * (float)q[1][c] + w10 * (float)q[2][c] +
                 w11 * (float)q[3][c] + offset;
}

/* One dst row of the float warp from RGB24: value * scale + offset, border 0 before scaling. */
static void warp_row_f32(const struct sampler *s, float *out, int n, float u, float v, float du,
                         float dv, float scale, float offset)
{
    const int w = s->w, h = s->h;
    if (PA_UNLIKELY(!row_fits_fixed(u, v, du, dv, n))) {
        for (int x = 0; x < n; x++, out += 3) {
            float uu = u + (float)x * du, vv = v + (float)x * dv;
            if (!touches(uu, vv, w, h)) {
                out[0] = out[1] = out[2] = offset;
                continue;
            }
            float bu = uu + POS_BIAS, bv = vv + POS_BIAS;
            int j = (int)bu, i = (int)bv;
            blend_f32(s, out, j - (int)POS_BIAS, i - (int)POS_BIAS, bu - (float)j, bv - (float)i,
                      scale, offset);
        }
        return;
    }
    const float frac = (float)(1.0 / FIX_ONE);
    int64_t U = (int64_t)((double)u * FIX_ONE), V = (int64_t)((double)v * FIX_ONE);
    const int64_t dU = (int64_t)((double)du * FIX_ONE), dV = (int64_t)((double)dv * FIX_ONE);
    for (int x = 0; x < n; x++, out += 3, U += dU, V += dV) {
        int j = (int)(U >> FIX_BITS), i = (int)(V >> FIX_BITS);
        if (PA_UNLIKELY(j < -1 || j >= w || i < -1 || i >= h)) {
            out[0] = out[1] = out[2] = offset;
            continue;
        }
        /* The low 32 bits are the fraction: exact, no float rounding of the position. */
        blend_f32(s, out, j, i, (float)(uint32_t)U * frac, (float)(uint32_t)V * frac, scale,
                  offset);
    }
}

int pa_image_warp_affine_f32(const struct pa_image *src, float *dst, int w, int h, const float m[6],
                             float scale, float offset)
{
    if (!src || !dst || !m || !src->data || src->fmt != PA_PIX_RGB24 || src->w <= 0 ||
        src->h <= 0 || w <= 0 || h <= 0 || check_matrix(m) < 0)
        return PA_EINVAL;
    const struct sampler s = {src->data, (size_t)src->stride, src->w, src->h};
    for (int y = 0; y < h; y++) {
        float yc = (float)y + 0.5f;
        float u = m[0] * 0.5f + m[1] * yc + m[2] - 0.5f;
        float v = m[3] * 0.5f + m[4] * yc + m[5] - 0.5f;
        warp_row_f32(&s, dst + (size_t)y * (size_t)w * 3, w, u, v, m[0], m[3], scale, offset);
    }
    return 0;
}

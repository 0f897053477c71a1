/** @file
 * Bilinear RGB24 sampling shared by the rasterizer and the compositor (internal to
 * animate/). Positions are fixed point in source *index* space (pixel j's centre at j),
 * 16 fractional bits; the blend uses the top 8 fractional bits.
 *
 * Arithmetic (identical in the SSE2 and the scalar path, so they agree bit for bit):
 *     a = 256 - fu, b = fu                       (fu, fv: 8-bit fractions)
 *     top = t0 a + t1 b,  bot = b0 a + b1 b      (exact, <= 65280)
 *     mid = (top (65535 - 256 fv)) >> 16 + (bot (256 fv)) >> 16
 *     out = (mid + 128) >> 8
 * The vertical weights sum to 65535 rather than 65536 so they fit 16-bit lanes; the bias
 * is below 0.004 levels, and fu = fv = 0 still returns t0 exactly (an identity warp copies).
 *
 * The SSE2 path (baseline on x86-64, no -march needed) reads 8 bytes at the top-left tap
 * and 8 at the tap below, so it needs j <= w - 3 and i <= h - 2; callers test
 * pa_bilin_fast_ok and use pa_bilin_rgb24_clamped elsewhere (edges, outside positions).
 */
#ifndef PA_ANIMATE_BILINEAR_H
#define PA_ANIMATE_BILINEAR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define PA_BILIN_HAVE_SSE2 1
#else
#define PA_BILIN_HAVE_SSE2 0
#endif

#define PA_BILIN_FRAC 16
#define PA_BILIN_ONE (1 << PA_BILIN_FRAC)

/** Limits of the fast path for a w × h source: u < ulim and v < vlim (unsigned compare, so
 * negative positions fail too). Both 0 when the source is too small for it. */
struct pa_bilin_limits {
    uint32_t ulim, vlim;
};

static inline struct pa_bilin_limits pa_bilin_limits(int w, int h)
{
    struct pa_bilin_limits l = {0, 0};
    if (PA_BILIN_HAVE_SSE2 && w >= 3 && h >= 2) {
        l.ulim = (uint32_t)(w - 2) << PA_BILIN_FRAC;
        l.vlim = (uint32_t)(h - 1) << PA_BILIN_FRAC;
    }
    return l;
}

static inline int pa_bilin_fast_ok(struct pa_bilin_limits l, int32_t u, int32_t v)
{
    return (uint32_t)u < l.ulim && (uint32_t)v < l.vlim;
}

/** Scalar blend of four taps with 8-bit fractions; writes 3 bytes. */
static inline void pa_bilin_rgb24_taps(const uint8_t *t0, const uint8_t *t1, const uint8_t *b0,
                                       const uint8_t *b1, int fu, int fv, uint8_t *out)
{
    const uint32_t a = 256u - (uint32_t)fu, b = (uint32_t)fu;
    const uint32_t wb = (uint32_t)fv << 8, wt = 65535u - wb;
    for (int c = 0; c < 3; c++) {
        uint32_t top = t0[c] * a + t1[c] * b, bot = b0[c] * a + b1[c] * b;
        uint32_t mid = ((top * wt) >> 16) + ((bot * wb) >> 16);
        out[c] = (uint8_t)((mid + 128) >> 8);
    }
}

/** Sample at any fixed-point index position: clamped to the image (edge replication). */
static inline void pa_bilin_rgb24_clamped(const uint8_t *data, size_t stride, int w, int h,
                                          int32_t u, int32_t v, uint8_t *out)
{
    const int32_t umax = (int32_t)(w - 1) << PA_BILIN_FRAC;
    const int32_t vmax = (int32_t)(h - 1) << PA_BILIN_FRAC;
    u = u < 0 ? 0 : u > umax ? umax : u;
    v = v < 0 ? 0 : v > vmax ? vmax : v;
    int j = u >> PA_BILIN_FRAC, i = v >> PA_BILIN_FRAC;
    int fu = (u >> 8) & 255, fv = (v >> 8) & 255;
    const uint8_t *t0 = data + (size_t)i * stride + (size_t)j * 3;
    const uint8_t *b0 = i < h - 1 ? t0 + stride : t0;
    size_t dj = j < w - 1 ? 3 : 0;
    pa_bilin_rgb24_taps(t0, t0 + dj, b0, b0 + dj, fu, fv, out);
}

/** Clamp a float index-space position to the image and make it fixed point (NaN -> 0). */
static inline int32_t pa_bilin_fix_clamped(float u, int n)
{
    const float umax = (float)(n - 1);
    u = u > 0.0f ? u : 0.0f;
    u = u < umax ? u : umax;
    return (int32_t)(u * (float)PA_BILIN_ONE + 0.5f);
}

/** Store the low 3 bytes of x (R, G, B) without touching the byte after them. */
static inline void pa_store_rgb24(uint8_t *o, uint32_t x)
{
    uint16_t lo = (uint16_t)x;
    memcpy(o, &lo, 2);
    o[2] = (uint8_t)(x >> 16);
}

#if PA_BILIN_HAVE_SSE2
/**
 * SSE2 sample; p0 = the top-left tap (row i, column j, which must pass pa_bilin_fast_ok).
 * @return R, G, B (0..255) in 16-bit lanes 0..2; the other lanes are garbage.
 */
static inline __m128i pa_bilin_rgb24_sse2_u16(const uint8_t *p0, size_t stride, int fu, int fv)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i sign = _mm_setr_epi16(-1, -1, -1, 1, 1, 1, 0, 0);
    const __m128i base = _mm_setr_epi16(256, 256, 256, 0, 0, 0, 0, 0);
    // Lanes: R0 G0 B0 R1 G1 B1 x x (pixels j and j + 1), as 16-bit.
    __m128i t = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(const void *)p0), zero);
    __m128i b =
        _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(const void *)(p0 + stride)), zero);
    // [a a a b b b 0 0]: horizontal weights, then fold lanes 3..5 onto 0..2.
    __m128i wh = _mm_add_epi16(_mm_mullo_epi16(_mm_set1_epi16((short)fu), sign), base);
    t = _mm_mullo_epi16(t, wh);
    b = _mm_mullo_epi16(b, wh);
    t = _mm_add_epi16(t, _mm_srli_si128(t, 6));
    b = _mm_add_epi16(b, _mm_srli_si128(b, 6));
    __m128i wb = _mm_set1_epi16((short)(fv << 8));
    __m128i wt = _mm_xor_si128(wb, _mm_cmpeq_epi16(zero, zero)); // 65535 - wb
    __m128i mid = _mm_add_epi16(_mm_mulhi_epu16(t, wt), _mm_mulhi_epu16(b, wb));
    return _mm_srli_epi16(_mm_add_epi16(mid, _mm_set1_epi16(128)), 8);
}

/** The same sample packed: R, G, B in the low 3 bytes (the fourth is garbage). */
static inline uint32_t pa_bilin_rgb24_sse2(const uint8_t *p0, size_t stride, int fu, int fv)
{
    __m128i v = pa_bilin_rgb24_sse2_u16(p0, stride, fu, fv);
    return (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(v, v));
}
#endif

#endif /* PA_ANIMATE_BILINEAR_H */

/** @file
 * Span kernels of the rasterizer: per-pixel depth test, bilinear source sample (SSE2 inside
 * the source, clamped scalar at its edges: animate/bilinear.h) or interpolated colour, and
 * the coverage byte. Each combination of warp/fill, depth and alpha is its own function
 * (chosen once per call), so the inner loops carry no mode branches.
 */
#include "animate/raster_span.h"

#include "core/pa_common.h"

static inline uint8_t alpha_u8(float a)
{
    a = a > 0.0f ? a : 0.0f;
    a = a < 1.0f ? a : 1.0f;
    return (uint8_t)(a * 255.0f + 0.5f);
}

static inline uint8_t level_u8(float v)
{
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    return (uint8_t)(v + 0.5f);
}

static inline void sample_fixed(const struct pa_raster_sampler *s, int32_t u, int32_t v, uint8_t *o)
{
#if PA_BILIN_HAVE_SSE2
    if (PA_LIKELY(pa_bilin_fast_ok(s->lim, u, v))) {
        const uint8_t *p0 =
            s->data + (size_t)(v >> PA_BILIN_FRAC) * s->stride + (size_t)(u >> PA_BILIN_FRAC) * 3;
        pa_store_rgb24(o, pa_bilin_rgb24_sse2(p0, s->stride, (u >> 8) & 255, (v >> 8) & 255));
        return;
    }
#endif
    pa_bilin_rgb24_clamped(s->data, s->stride, s->w, s->h, u, v, o);
}

/* Depth test at span pixel i; updates the depth buffer. `zt` is a constant. */
static inline int depth_pass(const int zt, float *zbuf, int i, float z)
{
    if (!zt)
        return 1;
    if (!(z < zbuf[i]))
        return 0;
    zbuf[i] = z;
    return 1;
}

/* One warp span; `zt` (depth test) and `alpha` are constants after inlining. */
static inline __attribute__((always_inline)) void warp_span(const struct pa_raster_span *sp,
                                                            const struct pa_raster_sampler *src,
                                                            const int zt, const int alpha)
{
    const struct pa_raster_sampler s = *src;
    uint8_t *const rgb = sp->rgb, *const cov = sp->cov;
    float *const zbuf = sp->zbuf;
    const float z0 = sp->z, dz = sp->dz, a0 = sp->a, da = sp->da;
    const int n = sp->n;
    if (PA_LIKELY(sp->fixed)) {
        int32_t u = sp->u, v = sp->v;
        const int32_t du = sp->du, dv = sp->dv;
        for (int i = 0; i < n; i++, u += du, v += dv) {
            if (!depth_pass(zt, zbuf, i, z0 + (float)i * dz))
                continue;
            sample_fixed(&s, u, v, rgb + (size_t)i * 3);
            cov[i] = alpha ? alpha_u8(a0 + (float)i * da) : 255;
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        float fi = (float)i;
        if (!depth_pass(zt, zbuf, i, z0 + fi * dz))
            continue;
        int32_t u = pa_bilin_fix_clamped(sp->uf + fi * sp->duf, s.w);
        int32_t v = pa_bilin_fix_clamped(sp->vf + fi * sp->dvf, s.h);
        pa_bilin_rgb24_clamped(s.data, s.stride, s.w, s.h, u, v, rgb + (size_t)i * 3);
        cov[i] = alpha ? alpha_u8(a0 + fi * da) : 255;
    }
}

/* One fill span (interpolated colours). */
static inline __attribute__((always_inline)) void fill_span(const struct pa_raster_span *sp,
                                                            const int zt, const int alpha)
{
    uint8_t *const rgb = sp->rgb, *const cov = sp->cov;
    float *const zbuf = sp->zbuf;
    for (int i = 0; i < sp->n; i++) {
        float fi = (float)i;
        if (!depth_pass(zt, zbuf, i, sp->z + fi * sp->dz))
            continue;
        for (int c = 0; c < 3; c++)
            rgb[(size_t)i * 3 + (size_t)c] = level_u8(sp->col[c] + fi * sp->dcol[c]);
        cov[i] = alpha ? alpha_u8(sp->a + fi * sp->da) : 255;
    }
}

#define PA_SPAN_VARIANT(name, body)                                                                \
    static void name(const struct pa_raster_span *sp, const struct pa_raster_sampler *s)           \
    {                                                                                              \
        (void)s;                                                                                   \
        body;                                                                                      \
    }
PA_SPAN_VARIANT(span_warp, warp_span(sp, s, 0, 0))
PA_SPAN_VARIANT(span_warp_a, warp_span(sp, s, 0, 1))
PA_SPAN_VARIANT(span_warp_z, warp_span(sp, s, 1, 0))
PA_SPAN_VARIANT(span_warp_za, warp_span(sp, s, 1, 1))
PA_SPAN_VARIANT(span_fill, fill_span(sp, 0, 0))
PA_SPAN_VARIANT(span_fill_a, fill_span(sp, 0, 1))
PA_SPAN_VARIANT(span_fill_z, fill_span(sp, 1, 0))
PA_SPAN_VARIANT(span_fill_za, fill_span(sp, 1, 1))
#undef PA_SPAN_VARIANT

pa_raster_span_fn pa_raster_span_kernel(int fill, int depth, int alpha)
{
    static const pa_raster_span_fn fns[8] = {span_warp, span_warp_a, span_warp_z, span_warp_za,
                                             span_fill, span_fill_a, span_fill_z, span_fill_za};
    return fns[(fill ? 4 : 0) + (depth ? 2 : 0) + (alpha ? 1 : 0)];
}

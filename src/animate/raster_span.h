/** @file
 * Internal to the rasterizer: one row span of one triangle and the per-pixel kernels that
 * draw it (raster_span.c), specialised for warp/fill, depth test and alpha.
 */
#ifndef PA_ANIMATE_RASTER_SPAN_H
#define PA_ANIMATE_RASTER_SPAN_H

#include <stddef.h>
#include <stdint.h>

#include "animate/bilinear.h"

/** One row span of one triangle: start values and per-pixel steps. */
struct pa_raster_span {
    int n;
    int fixed;              ///< source positions in fixed point (else float, clamped per pixel)
    int32_t u, v, du, dv;   ///< fixed 16.16 source index-space position and step
    float uf, vf, duf, dvf; ///< float position and step (far-off positions, huge gradients)
    float col[3], dcol[3];  ///< fill colours
    float z, dz, a, da;     ///< depth, alpha
    uint8_t *rgb;           ///< dst pixel of the first span pixel
    float *zbuf;            ///< depth of the first span pixel
    uint8_t *cov;           ///< coverage of the first span pixel
};

/** Source fields in locals, so byte stores to dst cannot force reloads. */
struct pa_raster_sampler {
    const uint8_t *data;
    size_t stride;
    int w, h;
    struct pa_bilin_limits lim; ///< fast-path limits; zero when SIMD is off
};

/** Draws one span (s is ignored by fill kernels). */
typedef void (*pa_raster_span_fn)(const struct pa_raster_span *sp,
                                  const struct pa_raster_sampler *s);

/** @return the kernel for a fill (1) or warp (0), with or without depth test and alpha. */
pa_raster_span_fn pa_raster_span_kernel(int fill, int depth, int alpha);

#endif /* PA_ANIMATE_RASTER_SPAN_H */

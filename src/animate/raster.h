/** @file
 * Triangle mesh warper / rasterizer: the animator's renderer. A 2D-projected mesh says, per
 * vertex, where it lands in the destination and where to sample the source; every
 * destination pixel inside a triangle samples the source at the interpolated position
 * (inverse mapping, bilinear, clamped to the source edges), with an optional depth test so
 * nearer triangles win (the nose hides the far cheek on yaw).
 *
 * Coordinates are pixels with the centre of the top-left pixel at (0.5, 0.5), in both the
 * destination and the source (panim.h convention).
 *
 * Coverage rule: a pixel belongs to a triangle when its centre is strictly inside, or lies
 * exactly on a "top" or "left" edge (D3D/OpenGL top-left rule, evaluated exactly on
 * vertices snapped to 1/256 pixel). A mesh whose triangles share edges therefore covers
 * every pixel of its area exactly once: no cracks, no double blending. Both windings are
 * drawn (a folded mesh is resolved by depth, not by culling).
 *
 * Threads: a pa_raster is scratch for one caller at a time (one per animate stage); the
 * calls below split rows over `par` themselves. Nothing here allocates after create.
 */
#ifndef PA_ANIMATE_RASTER_H
#define PA_ANIMATE_RASTER_H

#include <stdint.h>

struct pa_image;
struct pa_parallel;

/** Vertices must lie within this many pixels of the origin; triangles reaching further are
 * skipped (keeps the exact edge arithmetic inside 64 bits without a clipper). */
#define PA_RASTER_GUARD 16384.0f

/**
 * A triangle mesh; every array is borrowed for the duration of one call.
 * Triangles with a non-finite or out-of-guard-band value, or zero snapped area, are
 * skipped silently (they are what a degenerate pose produces, not an API misuse).
 */
struct pa_warp_mesh {
    int n_vertices;
    const float *dst_xy; ///< n_vertices × 2: destination pixel coordinates
    const float *src_xy; ///< n_vertices × 2: source pixel coordinates (ignored by fill)
    const float *depth;  ///< n_vertices, smaller = nearer; NULL = no depth test (draw order)
    const float *alpha;  ///< n_vertices, opacity 0..1 for the coverage plane; NULL = 1
    int n_triangles;
    const int32_t *tri; ///< n_triangles × 3 vertex indices, each in [0, n_vertices)
};

/** Renderer scratch: a float depth buffer and a uint8 coverage plane of a maximum size. */
struct pa_raster;

/**
 * Allocate scratch for destinations up to max_w × max_h pixels.
 * @return 0; PA_EINVAL for non-positive sizes; PA_ENOMEM / PA_EOVERFLOW.
 */
int pa_raster_create(struct pa_raster **out, int max_w, int max_h);
void pa_raster_destroy(struct pa_raster *r);

/**
 * Warp `src` through the mesh into `dst` (both RGB24; dst no larger than the create size,
 * src at most 16384 pixels a side). Sampling: bilinear with 1/256-pixel weights, source
 * positions clamped to the source's edge pixels.
 * Pixels covered by no triangle keep their previous dst value; the coverage plane tells
 * which pixels were written (see pa_raster_coverage). Depth test: LESS against a buffer
 * cleared to +inf, so at equal depth the earlier triangle wins; with depth == NULL later
 * triangles overwrite earlier ones. Output is bit-identical for every thread count.
 * @param par row-slice pool, may be NULL (calling thread only).
 * @return 0; PA_EINVAL for bad images, sizes, NULL arrays or an out-of-range vertex index.
 */
int pa_raster_warp(struct pa_raster *r, const struct pa_warp_mesh *m, const struct pa_image *src,
                   struct pa_image *dst, struct pa_parallel *par);

/**
 * Same rasterization, but each pixel gets the interpolated per-vertex colour (rgb:
 * n_vertices × 3, 0..255, rounded to nearest) instead of a source sample. For tests and
 * procedural regions (mouth cavity). m->src_xy is ignored and may be NULL.
 */
int pa_raster_fill(struct pa_raster *r, const struct pa_warp_mesh *m, const float *rgb,
                   struct pa_image *dst, struct pa_parallel *par);
/* (Errors as pa_raster_warp; rgb may only be NULL for a mesh with no triangles.) */

/** Tests and benchmarks: 0 = sample with the scalar reference path only (bit-identical
 * to the SIMD path by design, so tests can compare them), 1 = default. */
void pa_raster_set_simd(struct pa_raster *r, int enable);

/**
 * The coverage plane of the last warp or fill: w × h of that call's dst, row stride
 * *stride bytes; 0 where no triangle drew, else round(255 × interpolated vertex alpha,
 * clamped to 0..1) of the triangle that won the pixel (so a drawn pixel whose alpha is 0
 * also reads 0). Borrowed from r, valid until its next warp or fill.
 */
const uint8_t *pa_raster_coverage(const struct pa_raster *r, int *stride);

#endif /* PA_ANIMATE_RASTER_H */

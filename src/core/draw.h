/** @file
 * Minimal drawing on RGB24 images for overlays and contact sheets: dots, lines, rectangles.
 * Everything clips to the image; coordinates are pixel-centre floats.
 */
#ifndef PA_CORE_DRAW_H
#define PA_CORE_DRAW_H

#include "pa_common.h"

#include "panim.h"

/** Filled disc of radius r (pixels) at (x, y). */
void pa_draw_dot(struct pa_image *img, float x, float y, float r, const uint8_t rgb[3]);
/** Line of width ~1 px from (x0, y0) to (x1, y1) (DDA, clipped). */
void pa_draw_line(struct pa_image *img, float x0, float y0, float x1, float y1,
                  const uint8_t rgb[3]);
/** Rectangle outline. */
void pa_draw_rect(struct pa_image *img, float x0, float y0, float x1, float y1,
                  const uint8_t rgb[3]);

#endif /* PA_CORE_DRAW_H */

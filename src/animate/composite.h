/** @file
 * Paste-back: blend a rendered crop into the full-resolution frame through an affine
 * placement and a soft mask, plus the mask helpers that make the mask soft (feather) and
 * pull it away from the crop border (erode).
 *
 * Coordinates are pixels with the centre of the top-left pixel at (0.5, 0.5) (panim.h).
 * Masks are 8-bit planes, 0 = keep the frame, 255 = take the crop.
 * Threads: the functions keep no state; paste splits frame rows over `par`.
 */
#ifndef PA_ANIMATE_COMPOSITE_H
#define PA_ANIMATE_COMPOSITE_H

#include <stddef.h>
#include <stdint.h>

struct pa_image;
struct pa_parallel;

/**
 * Blend `crop` into `frame` (both RGB24). crop_to_frame is a 2x3 row-major affine map
 * from crop pixel coordinates to frame pixel coordinates (e.g. {s, 0, tx, 0, s, ty}).
 * The footprint is the set of frame pixels whose centre maps back (through the inverse,
 * in 1/65536-pixel fixed point) into [0, cw) x [0, ch) of the crop; only those pixels
 * change. Each one samples the crop and the mask bilinearly at that position (1/256-pixel
 * weights, clamped to the crop edges) and becomes round((crop m + frame (255 - m)) / 255);
 * mask 0 leaves the pixel unchanged and 255 takes the sample exactly. An identity or
 * integer-translation placement samples whole pixels, so crop pixels are copied exactly
 * where the mask is 255.
 * @param mask cw × ch plane with row stride mask_stride bytes, or NULL = 255 everywhere;
 *        borrowed for the call (a feathered pa_raster_coverage plane fits here).
 * @param par row-slice pool, may be NULL.
 * @return 0; PA_EINVAL for bad images (crop sides up to 16384), a non-finite or singular
 *         matrix or one shrinking the crop more than 4096 times, a short mask stride.
 */
int pa_composite_paste(struct pa_image *frame, const struct pa_image *crop, const uint8_t *mask,
                       int mask_stride, const float crop_to_frame[6], struct pa_parallel *par);

/** @return bytes of scratch pa_mask_feather and pa_mask_erode need for a w × h mask
 * (0 on overflow). */
size_t pa_mask_scratch_size(int w, int h);

/**
 * Soften a mask in place: three box blurs of radius `radius` (window 2r + 1) along x, then
 * three along y, which approximates a Gaussian of sigma ~ sqrt(r (r + 1)) and reaches 3r
 * pixels. Outside the mask counts as 0, so the result also fades toward the mask border.
 * A step edge becomes a monotonic ramp; constant regions further than 3r from any change
 * and from the border are unchanged. radius <= 0 does nothing.
 * @param scratch at least pa_mask_scratch_size(w, h) bytes, any alignment; no allocation.
 */
void pa_mask_feather(uint8_t *mask, int w, int h, int stride, int radius, uint8_t *scratch);

/**
 * Erode a mask in place: each pixel becomes the minimum over the (2r+1)^2 square around
 * it, with outside = 0, so everything within r pixels of the border becomes 0. Eroding by
 * 3 × the feather radius before feathering makes the feathered mask exactly 0 at the crop
 * border, so the paste has no seam at its footprint edge. O(1) per pixel (van Herk /
 * Gil-Werman). radius <= 0 does nothing.
 * @param scratch at least pa_mask_scratch_size(w, h) bytes.
 */
void pa_mask_erode(uint8_t *mask, int w, int h, int stride, int radius, uint8_t *scratch);

#endif /* PA_ANIMATE_COMPOSITE_H */

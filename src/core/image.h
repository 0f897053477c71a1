/** @file
 * Internal image helpers beyond the public struct pa_image API in panim.h.
 */
#ifndef PA_CORE_IMAGE_H
#define PA_CORE_IMAGE_H

#include "pa_common.h"

#include "panim.h"

/** Pointer to pixel (x, y) of img; no bounds check. */
static inline uint8_t *pa_image_px(const struct pa_image *img, int x, int y)
{
    return img->data + (size_t)y * (size_t)img->stride + (size_t)x * (size_t)pa_pixfmt_bpp(img->fmt);
}

/** Copy pixels between two images of the same size and format (strides may differ). */
int pa_image_copy(struct pa_image *dst, const struct pa_image *src);

#endif /* PA_CORE_IMAGE_H */

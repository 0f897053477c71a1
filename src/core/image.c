/** @file
 * struct pa_image: allocation with aligned, padded rows; views; copies.
 */
#include "image.h"

#include <string.h>

#include "log.h"
#include "mem.h"

int pa_pixfmt_bpp(enum pa_pixfmt fmt)
{
    switch (fmt) {
    case PA_PIX_GRAY8:
        return 1;
    case PA_PIX_RGB24:
        return 3;
    case PA_PIX_RGBA32:
        return 4;
    }
    return 0;
}

/* Large enough for 16k x 16k RGBA, small enough that w*h*4 never overflows an int stride. */
#define PA_IMAGE_MAX_DIM 16384

int pa_image_alloc(struct pa_image *img, int w, int h, enum pa_pixfmt fmt)
{
    memset(img, 0, sizeof(*img));
    int bpp = pa_pixfmt_bpp(fmt);
    if (w <= 0 || h <= 0 || w > PA_IMAGE_MAX_DIM || h > PA_IMAGE_MAX_DIM || bpp == 0)
        return PA_EINVAL;
    int stride = (w * bpp + PA_ALIGN - 1) / PA_ALIGN * PA_ALIGN;
    size_t bytes = (size_t)stride * (size_t)h;
    uint8_t *buf = pa_calloc(1, bytes);
    if (!buf)
        return PA_ENOMEM;
    img->data = buf;
    img->owner_buf = buf;
    img->stride = stride;
    img->w = w;
    img->h = h;
    img->fmt = fmt;
    return 0;
}

void pa_image_free(struct pa_image *img)
{
    if (!img)
        return;
    pa_free(img->owner_buf);
    memset(img, 0, sizeof(*img));
}

int pa_image_view(struct pa_image *view, const struct pa_image *src, int x, int y, int w, int h)
{
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x > src->w - w || y > src->h - h)
        return PA_EINVAL;
    *view = *src;
    view->data = pa_image_px(src, x, y);
    view->w = w;
    view->h = h;
    view->owner_buf = NULL;
    return 0;
}

int pa_image_copy(struct pa_image *dst, const struct pa_image *src)
{
    if (dst->w != src->w || dst->h != src->h || dst->fmt != src->fmt)
        return PA_EINVAL;
    size_t row = (size_t)src->w * (size_t)pa_pixfmt_bpp(src->fmt);
    for (int y = 0; y < src->h; y++)
        memcpy(dst->data + (size_t)y * (size_t)dst->stride,
               src->data + (size_t)y * (size_t)src->stride, row);
    return 0;
}

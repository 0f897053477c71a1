/** @file
 * JPEG encoding into a caller-owned memory buffer for per-frame outputs (MJPEG over HTTP):
 * the buffer is allocated once at open, so no frame allocates on our side. (core's
 * pa_jpeg_encode in core/image_codec.h writes files; this one writes memory.)
 */
#ifndef PA_IO_JPEG_H
#define PA_IO_JPEG_H

#include "core/pa_common.h"
#include "panim.h"

/**
 * A capacity that holds any baseline 4:2:0 JPEG of a w×h image (libjpeg-turbo's
 * tjBufSize rule: 16-pixel padded area × 3 bytes + 2 KB of headers). 0 on overflow.
 */
size_t pa_jpeg_bound(int w, int h);

/**
 * Encode an RGB24 image as a baseline JPEG (4:2:0, given quality) into buf.
 * @param quality 1..100. @param buf, cap caller-owned output; @param size gets the bytes used.
 * Thread-safe (no shared state); libjpeg's own working memory is its business.
 * @return 0; PA_EINVAL (bad image or quality); PA_EOVERFLOW when cap is too small (nothing
 *         useful in buf); PA_EEXTERNAL for a libjpeg error (logged).
 */
int pa_jpeg_encode_mem(const struct pa_image *img, int quality, uint8_t *buf, size_t cap,
                       size_t *size);

#endif /* PA_IO_JPEG_H */

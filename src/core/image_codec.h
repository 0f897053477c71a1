/** @file
 * Internal PNG and JPEG codecs behind pa_image_load / pa_image_decode / pa_image_save
 * (image_io.c sniffs the format and handles files; image_png.c and image_jpeg.c wrap libpng
 * and libjpeg-turbo with setjmp/longjmp error managers so corrupt input never exits or
 * crashes). Every function logs once with `what` (the file name) and returns an enum pa_err.
 */
#ifndef PA_CORE_IMAGE_CODEC_H
#define PA_CORE_IMAGE_CODEC_H

#include <stdio.h>

#include "pa_common.h"

#include "panim.h"

/** Decompression-bomb guard: largest accepted decoded side, in pixels. */
#define PA_IMAGE_LOAD_MAX_SIDE 16384
/** Decompression-bomb guard: largest accepted decoded area, in pixels (100 Mpixel). */
#define PA_IMAGE_LOAD_MAX_PIXELS 100000000ULL

/**
 * Check decoded dimensions against the limits above.
 * @return 0, or PA_EINVALDATA (logged, naming `what`) for zero or oversized images.
 */
int pa_image_check_dims(unsigned long long w, unsigned long long h, const char *what);

/** Decode a PNG held in memory as RGB24 into *img (allocated here; zeroed on failure). */
int pa_png_decode(struct pa_image *img, const uint8_t *bytes, size_t size, const char *what);

/** Decode a JPEG held in memory as RGB24 into *img, EXIF orientation applied. */
int pa_jpeg_decode(struct pa_image *img, const uint8_t *bytes, size_t size, const char *what);

/**
 * Encode img (GRAY8, RGB24 or RGBA32) to an open stream. The caller flushes and closes f.
 * @return 0, or PA_EIO for a write failure (logged with `what` and errno's text).
 */
int pa_png_encode(const struct pa_image *img, FILE *f, const char *what);

/** Same for JPEG; RGBA32 drops alpha. @param quality 1..100, checked by the caller. */
int pa_jpeg_encode(const struct pa_image *img, FILE *f, int quality, const char *what);

#endif /* PA_CORE_IMAGE_CODEC_H */

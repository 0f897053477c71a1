/** @file
 * Camera pixel formats and their conversion to RGB24: packed YUYV 4:2:2, NV12 and I420
 * 4:2:0 (BT.601, limited range, as UVC webcams send them), plus the one fix-up MJPEG frames
 * need before a generic JPEG decoder sees them (the default Huffman tables most webcams
 * leave out).
 *
 * The converters are row-range functions (`y0..y1`), so a caller may split a frame across a
 * pool with pa_parallel_for (pa_rawfmt_to_rgb24 does that); they keep no state, never
 * allocate and may run on any thread.
 */
#ifndef PA_CORE_PIXFMT_H
#define PA_CORE_PIXFMT_H

#include "pa_common.h"

#include "panim.h"

/** X-macro: name, V4L2 FourCC characters, description. */
#define PA_RAWFMT_LIST(X)                                                                          \
    X(YUYV, 'Y', 'U', 'Y', 'V', "packed 4:2:2, Y0 U Y1 V")                                         \
    X(NV12, 'N', 'V', '1', '2', "4:2:0, Y plane then interleaved U V plane")                       \
    X(I420, 'Y', 'U', '1', '2', "4:2:0, Y plane then U plane then V plane")                        \
    X(MJPEG, 'M', 'J', 'P', 'G', "Motion-JPEG, one JPEG per frame")

enum pa_rawfmt {
#define PA__RAWFMT_ENUM(name, a, b, c, d, desc) PA_RAWFMT_##name,
    PA_RAWFMT_LIST(PA__RAWFMT_ENUM)
#undef PA__RAWFMT_ENUM
        PA_RAWFMT_COUNT
};

/** @return the format's V4L2 FourCC (v4l2_fourcc(a, b, c, d)). */
uint32_t pa_rawfmt_fourcc(enum pa_rawfmt fmt);
/** @return the format with this FourCC (JPEG is accepted as MJPEG), or -1. */
int pa_rawfmt_from_fourcc(uint32_t fourcc);
/** @return "YUYV", "NV12", ... ("?" for an unknown value). */
const char *pa_rawfmt_name(enum pa_rawfmt fmt);

/**
 * A raw camera frame (borrowed bytes). Layout, with `stride` = bytes per row of the first
 * plane (V4L2's bytesperline):
 *  - YUYV: h rows of stride bytes, stride >= 2 * round_up_even(w).
 *  - NV12: Y: h rows of stride bytes (>= w); then UV: ceil(h/2) rows of stride bytes
 *    holding ceil(w/2) U V pairs.
 *  - I420: Y as NV12; then U: ceil(h/2) rows of cstride = ceil(stride/2) bytes; then V the
 *    same (V4L2 single-planar YUV420 / YU12).
 *  - MJPEG: `size` bytes of one JPEG; w, h and stride are ignored by the decoder.
 */
struct pa_raw_frame {
    enum pa_rawfmt fmt;
    const uint8_t *data;
    size_t size; ///< bytes available at data (camera buffers are untrusted: checked)
    int w, h;
    int stride;
};

/**
 * Bytes a raw frame of this format, size and stride must hold (0 for MJPEG).
 * @return 0; PA_EINVAL for a bad size or a stride too small; PA_EOVERFLOW.
 */
int pa_rawfmt_frame_size(enum pa_rawfmt fmt, int w, int h, int stride, size_t *out);

/** One row of w pixels (w may be odd: the last pixel uses its pair's chroma). */
void pa_yuyv_to_rgb24_row(const uint8_t *yuyv, uint8_t *rgb, int w);
/** One row: luma row y, chroma row uv (interleaved U V, one pair per 2 pixels). */
void pa_nv12_to_rgb24_row(const uint8_t *y, const uint8_t *uv, uint8_t *rgb, int w);
/** One row: luma row y, chroma rows u and v (one sample per 2 pixels). */
void pa_i420_to_rgb24_row(const uint8_t *y, const uint8_t *u, const uint8_t *v, uint8_t *rgb,
                          int w);

/**
 * Convert rows [y0, y1) of a YUYV / NV12 / I420 frame into the same rows of dst (RGB24,
 * src->w × src->h). The frame's size is validated on every call (cheap), so a short camera
 * buffer gives PA_EINVALDATA instead of a read past its end.
 * @return 0; PA_EINVAL (dst mismatch, bad rows); PA_EINVALDATA (frame too short);
 *         PA_EUNSUPPORTED for MJPEG.
 */
int pa_rawfmt_to_rgb24_rows(const struct pa_raw_frame *src, struct pa_image *dst, int y0, int y1);

/** The whole frame, split into row slices over `par` (NULL = this thread). */
int pa_rawfmt_to_rgb24(const struct pa_raw_frame *src, struct pa_image *dst,
                       struct pa_parallel *par);

/** Size of the DHT segment pa_mjpeg_insert_dht adds (marker included). */
#define PA_MJPEG_DHT_BYTES 420

/**
 * Does this JPEG need the default Huffman tables? Walks the marker segments up to the first
 * SOS (bounds-checked; the bytes are untrusted).
 * @return 1 when no DHT segment precedes the first SOS, 0 when one does, PA_EINVALDATA for
 *         bytes that are not a walkable JPEG header.
 */
int pa_mjpeg_needs_dht(const uint8_t *jpeg, size_t size);

/**
 * Copy a JPEG into out[cap], inserting the default tables (ITU-T T.81 Annex K.3, the ones
 * UVC's MJPEG payload implies) just before the first SOS when it has none; a JPEG that
 * already has tables is copied unchanged. cap >= size + PA_MJPEG_DHT_BYTES always suffices.
 * @return 0 with *out_size set; PA_EINVALDATA (not a JPEG header); PA_EOVERFLOW (cap).
 */
int pa_mjpeg_insert_dht(const uint8_t *jpeg, size_t size, uint8_t *out, size_t cap,
                        size_t *out_size);

#endif /* PA_CORE_PIXFMT_H */

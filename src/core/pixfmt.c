/** @file
 * Camera pixel formats → RGB24, and the MJPEG Huffman-table fix-up.
 *
 * Algorithm digest (YCbCr → RGB, ITU-R BT.601, 8-bit limited range: Y 16..235, Cb/Cr
 * 16..240 around 128; Kr = 0.299, Kb = 0.114, Kg = 0.587):
 *   R = 255/219 (Y-16)                                   + 255/224·2(1-Kr)       (Cr-128)
 *   G = 255/219 (Y-16) - 255/224·2(1-Kb)·Kb/Kg (Cb-128)  - 255/224·2(1-Kr)·Kr/Kg (Cr-128)
 *   B = 255/219 (Y-16) + 255/224·2(1-Kb)       (Cb-128)
 * i.e. 1.164384, 1.596027, 0.391762, 0.812968, 2.017232. They run in 16.16 fixed point
 * (coefficients × 65536, rounded), add 0.5 and clamp to 0..255; the worst sum (about
 * 3.5e7) fits an int32 easily. The rounding error is below 0.003 of a level, so the result
 * equals the correctly rounded float formula except where that lands within 0.003 of .5.
 * Chroma is replicated: each Cb/Cr sample serves its 2 (4:2:2) or 2×2 (4:2:0) pixels, which
 * is what libv4l and most capture paths do (a webcam's chroma is soft anyway).
 *
 * MJPEG: the UVC payload format lets a camera drop the DHT segment and imply the example
 * tables of ITU-T T.81 Annex K.3 (FFmpeg's mjpeg decoder and libjpeg-turbo fall back to
 * them; other decoders and browsers do not). pa_mjpeg_insert_dht walks the marker segments
 * up to SOS and, when no DHT came by, writes one DHT segment with the four K.3 tables just
 * before SOS.
 */
#include "pixfmt.h"

#include <string.h>

#include "image.h"
#include "log.h"
#include "mem.h"
#include "parallel.h"

/* ---- format table --------------------------------------------------------------------- */

static uint32_t fourcc4(char a, char b, char c, char d)
{
    return (uint32_t)(uint8_t)a | (uint32_t)(uint8_t)b << 8 | (uint32_t)(uint8_t)c << 16 |
           (uint32_t)(uint8_t)d << 24;
}

uint32_t pa_rawfmt_fourcc(enum pa_rawfmt fmt)
{
    switch (fmt) {
#define PA__RAWFMT_CC(name, a, b, c, d, desc)                                                      \
    case PA_RAWFMT_##name:                                                                         \
        return fourcc4(a, b, c, d);
        PA_RAWFMT_LIST(PA__RAWFMT_CC)
#undef PA__RAWFMT_CC
    case PA_RAWFMT_COUNT:
        break;
    }
    return 0;
}

int pa_rawfmt_from_fourcc(uint32_t fourcc)
{
    for (int f = 0; f < PA_RAWFMT_COUNT; f++) {
        if (pa_rawfmt_fourcc((enum pa_rawfmt)f) == fourcc)
            return f;
    }
    if (fourcc == fourcc4('J', 'P', 'E', 'G'))
        return PA_RAWFMT_MJPEG;
    return -1;
}

const char *pa_rawfmt_name(enum pa_rawfmt fmt)
{
    switch (fmt) {
#define PA__RAWFMT_NAME(name, a, b, c, d, desc)                                                    \
    case PA_RAWFMT_##name:                                                                         \
        return #name;
        PA_RAWFMT_LIST(PA__RAWFMT_NAME)
#undef PA__RAWFMT_NAME
    case PA_RAWFMT_COUNT:
        break;
    }
    return "?";
}

int pa_rawfmt_frame_size(enum pa_rawfmt fmt, int w, int h, int stride, size_t *out)
{
    *out = 0;
    if (fmt == PA_RAWFMT_MJPEG)
        return 0;
    if (w <= 0 || h <= 0 || stride <= 0 || (unsigned)fmt >= PA_RAWFMT_COUNT)
        return PA_EINVAL;
    size_t cw = ((size_t)w + 1) / 2, ch = ((size_t)h + 1) / 2, luma, chroma = 0;
    size_t min_stride = fmt == PA_RAWFMT_YUYV ? 4 * cw : (size_t)w;
    if ((size_t)stride < min_stride)
        return PA_EINVAL;
    if (pa_size_mul((size_t)stride, (size_t)h, &luma) < 0)
        return PA_EOVERFLOW;
    if (fmt == PA_RAWFMT_NV12) {
        if ((size_t)stride < 2 * cw)
            return PA_EINVAL;
        chroma = (size_t)stride * ch; /* <= luma: cannot overflow */
    } else if (fmt == PA_RAWFMT_I420) {
        chroma = 2 * (((size_t)stride + 1) / 2) * ch; /* <= luma + ch + stride */
    }
    return pa_size_add(luma, chroma, out);
}

/* ---- YCbCr → RGB ------------------------------------------------------------------------ */

enum {
    K_Y = 76309,   ///< 255/219 · 65536
    K_RV = 104597, ///< 1.596027 · 65536 (R from Cr)
    K_GU = 25675,  ///< 0.391762 · 65536 (G from Cb)
    K_GV = 53279,  ///< 0.812968 · 65536 (G from Cr)
    K_BU = 132201, ///< 2.017232 · 65536 (B from Cb)
};

static inline uint8_t fix_to_u8(int v)
{
    /* Round half up; negatives clamp before the shift (no shift of < 0). Written as two
     * selects so the compiler emits cmov/min/max: camera noise makes branches mispredict. */
    v += 1 << 15;
    v = v < 0 ? 0 : v;
    v >>= 16;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* Chroma contributions shared by the pixels of one chroma sample. */
struct chroma {
    int r, g, b;
};

static inline struct chroma chroma_of(int u, int v)
{
    int du = u - 128, dv = v - 128;
    return (struct chroma){K_RV * dv, -K_GU * du - K_GV * dv, K_BU * du};
}

static inline void put_px(uint8_t *rgb, int y, struct chroma c)
{
    int yy = K_Y * (y - 16);
    rgb[0] = fix_to_u8(yy + c.r);
    rgb[1] = fix_to_u8(yy + c.g);
    rgb[2] = fix_to_u8(yy + c.b);
}

void pa_yuyv_to_rgb24_row(const uint8_t *yuyv, uint8_t *rgb, int w)
{
    int x = 0;
    for (; x + 1 < w; x += 2, yuyv += 4, rgb += 6) {
        struct chroma c = chroma_of(yuyv[1], yuyv[3]);
        put_px(rgb, yuyv[0], c);
        put_px(rgb + 3, yuyv[2], c);
    }
    if (x < w)
        put_px(rgb, yuyv[0], chroma_of(yuyv[1], yuyv[3]));
}

void pa_nv12_to_rgb24_row(const uint8_t *y, const uint8_t *uv, uint8_t *rgb, int w)
{
    int x = 0;
    for (; x + 1 < w; x += 2, y += 2, uv += 2, rgb += 6) {
        struct chroma c = chroma_of(uv[0], uv[1]);
        put_px(rgb, y[0], c);
        put_px(rgb + 3, y[1], c);
    }
    if (x < w)
        put_px(rgb, y[0], chroma_of(uv[0], uv[1]));
}

void pa_i420_to_rgb24_row(const uint8_t *y, const uint8_t *u, const uint8_t *v, uint8_t *rgb, int w)
{
    int x = 0;
    for (; x + 1 < w; x += 2, y += 2, u++, v++, rgb += 6) {
        struct chroma c = chroma_of(*u, *v);
        put_px(rgb, y[0], c);
        put_px(rgb + 3, y[1], c);
    }
    if (x < w)
        put_px(rgb, y[0], chroma_of(*u, *v));
}

static int check_args(const struct pa_raw_frame *src, const struct pa_image *dst)
{
    if (src->fmt == PA_RAWFMT_MJPEG)
        return PA_EUNSUPPORTED;
    if (!dst->data || dst->fmt != PA_PIX_RGB24 || dst->w != src->w || dst->h != src->h)
        return PA_EINVAL;
    size_t need;
    int ret = pa_rawfmt_frame_size(src->fmt, src->w, src->h, src->stride, &need);
    if (ret < 0)
        return ret;
    if (!src->data || src->size < need) {
        pa_log_error("core", "%s frame %dx%d (stride %d): %zu bytes, %zu needed",
                     pa_rawfmt_name(src->fmt), src->w, src->h, src->stride, src->size, need);
        return PA_EINVALDATA;
    }
    return 0;
}

/* Rows [y0, y1) of a validated frame. */
static void convert_rows(const struct pa_raw_frame *src, struct pa_image *dst, int y0, int y1)
{
    size_t stride = (size_t)src->stride, luma = stride * (size_t)src->h;
    size_t cstride = (stride + 1) / 2, ch = ((size_t)src->h + 1) / 2;
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = src->data + (size_t)y * stride;
        uint8_t *out = pa_image_px(dst, 0, y);
        size_t cy = (size_t)y / 2;
        switch (src->fmt) {
        case PA_RAWFMT_YUYV:
            pa_yuyv_to_rgb24_row(row, out, src->w);
            break;
        case PA_RAWFMT_NV12:
            pa_nv12_to_rgb24_row(row, src->data + luma + cy * stride, out, src->w);
            break;
        case PA_RAWFMT_I420: {
            const uint8_t *u = src->data + luma + cy * cstride;
            pa_i420_to_rgb24_row(row, u, u + cstride * ch, out, src->w);
            break;
        }
        case PA_RAWFMT_MJPEG:
        case PA_RAWFMT_COUNT:
            PA_UNREACHABLE();
        }
    }
}

int pa_rawfmt_to_rgb24_rows(const struct pa_raw_frame *src, struct pa_image *dst, int y0, int y1)
{
    int ret = check_args(src, dst);
    if (ret < 0)
        return ret;
    if (y0 < 0 || y1 > src->h || y0 > y1)
        return PA_EINVAL;
    convert_rows(src, dst, y0, y1);
    return 0;
}

struct slice_ctx {
    const struct pa_raw_frame *src;
    struct pa_image *dst;
};

static void convert_slice(void *ctx, int job, int n_jobs)
{
    struct slice_ctx *c = ctx;
    int h = c->src->h;
    int y0 = (int)((int64_t)h * job / n_jobs), y1 = (int)((int64_t)h * (job + 1) / n_jobs);
    convert_rows(c->src, c->dst, y0, y1);
}

int pa_rawfmt_to_rgb24(const struct pa_raw_frame *src, struct pa_image *dst,
                       struct pa_parallel *par)
{
    int ret = check_args(src, dst);
    if (ret < 0)
        return ret;
    int jobs = par ? pa_parallel_threads(par) : 1;
    if (jobs > 1)
        jobs = PA_MIN(jobs * 4, src->h); /* a few slices per thread evens out the load */
    struct slice_ctx ctx = {src, dst};
    pa_parallel_for(jobs > 1 ? par : NULL, convert_slice, &ctx, jobs);
    return 0;
}

/* ---- MJPEG: default Huffman tables -------------------------------------------------------- */

/* ITU-T T.81 Annex K.3: BITS (codes per length 1..16) then HUFFVAL, for DC/AC luma/chroma. */
static const uint8_t k_dc_bits[2][16] = {
    {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
    {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
};
static const uint8_t k_dc_vals[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t k_ac_bits[2][16] = {
    {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
    {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77},
};
static const uint8_t k_ac_vals[2][162] = {
    {0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
     0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
     0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
     0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
     0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
     0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
     0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
     0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
     0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
     0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
     0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa},
    {0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
     0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
     0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
     0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
     0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
     0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
     0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
     0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
     0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
     0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
     0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa},
};

static uint8_t *put_table(uint8_t *p, int tc_th, const uint8_t bits[16], const uint8_t *vals,
                          size_t n_vals)
{
    *p++ = (uint8_t)tc_th;
    memcpy(p, bits, 16);
    memcpy(p + 16, vals, n_vals);
    return p + 16 + n_vals;
}

/* Write the DHT segment (PA_MJPEG_DHT_BYTES bytes). */
static void write_dht(uint8_t *p)
{
    uint8_t *start = p;
    size_t len = PA_MJPEG_DHT_BYTES - 2; /* the length field counts itself, not the marker */
    *p++ = 0xff;
    *p++ = 0xc4;
    *p++ = (uint8_t)(len >> 8);
    *p++ = (uint8_t)(len & 0xff);
    p = put_table(p, 0x00, k_dc_bits[0], k_dc_vals, sizeof(k_dc_vals));
    p = put_table(p, 0x01, k_dc_bits[1], k_dc_vals, sizeof(k_dc_vals));
    p = put_table(p, 0x10, k_ac_bits[0], k_ac_vals[0], sizeof(k_ac_vals[0]));
    p = put_table(p, 0x11, k_ac_bits[1], k_ac_vals[1], sizeof(k_ac_vals[1]));
    PA_ASSERT(p - start == PA_MJPEG_DHT_BYTES);
}

/* Walk markers to the first SOS. *sos = its offset; *has_dht = a DHT came before it. */
static int find_sos(const uint8_t *b, size_t n, size_t *sos, int *has_dht)
{
    *has_dht = 0;
    if (n < 4 || b[0] != 0xff || b[1] != 0xd8)
        return PA_EINVALDATA;
    size_t pos = 2;
    for (;;) {
        while (pos + 1 < n && b[pos] == 0xff && b[pos + 1] == 0xff)
            pos++; /* fill bytes before a marker */
        if (pos + 1 >= n || b[pos] != 0xff)
            return PA_EINVALDATA;
        uint8_t m = b[pos + 1];
        if (m == 0xda) {
            *sos = pos;
            return 0;
        }
        if (m == 0xd9 || m == 0x00)
            return PA_EINVALDATA; /* EOI or a stuffed byte before any scan */
        if (m == 0xc4)
            *has_dht = 1;
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) {
            pos += 2; /* standalone markers carry no length */
            continue;
        }
        if (pos + 4 > n)
            return PA_EINVALDATA;
        size_t len = (size_t)b[pos + 2] << 8 | b[pos + 3];
        if (len < 2 || len > n - pos - 2)
            return PA_EINVALDATA;
        pos += 2 + len;
    }
}

int pa_mjpeg_needs_dht(const uint8_t *jpeg, size_t size)
{
    size_t sos;
    int has_dht;
    int ret = find_sos(jpeg, size, &sos, &has_dht);
    return ret < 0 ? ret : !has_dht;
}

int pa_mjpeg_insert_dht(const uint8_t *jpeg, size_t size, uint8_t *out, size_t cap,
                        size_t *out_size)
{
    size_t sos;
    int has_dht;
    *out_size = 0;
    int ret = find_sos(jpeg, size, &sos, &has_dht);
    if (ret < 0)
        return ret;
    size_t total = size + (has_dht ? 0 : PA_MJPEG_DHT_BYTES);
    if (total > cap)
        return PA_EOVERFLOW;
    if (has_dht) {
        memcpy(out, jpeg, size);
    } else {
        memcpy(out, jpeg, sos);
        write_dht(out + sos);
        memcpy(out + sos + PA_MJPEG_DHT_BYTES, jpeg + sos, size - sos);
    }
    *out_size = total;
    return 0;
}

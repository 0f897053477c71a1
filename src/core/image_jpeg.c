/** @file
 * JPEG through libjpeg-turbo: decode from memory to RGB24 with EXIF orientation applied,
 * encode GRAY8/RGB24/RGBA32 to a stream.
 *
 * Errors: libjpeg's default error_exit calls exit(). Our error manager formats the message
 * and longjmp()s back to the setjmp in the function that drives the codec; everything that
 * must survive the jump lives in a caller-owned struct. libjpeg only *warns* about a
 * premature end of data (it pads with a fake EOI and returns a half-grey picture); those
 * warnings (JWRN_JPEG_EOF, JWRN_HIT_MARKER) are promoted to errors here, because a
 * truncated file must fail rather than animate a grey face. A progress monitor caps the
 * number of progressive scans, the known way to make a tiny file decode for minutes.
 *
 * EXIF orientation: APP1 markers are kept (jpeg_save_markers) and parsed by hand:
 * "Exif\0\0", a TIFF header ("II"/"MM", 42, IFD0 offset), IFD0 entries of 12 bytes; tag
 * 0x0112 (SHORT, count 1) holds 1..8. Every offset is bounds-checked against the marker
 * length; anything malformed means "no orientation" (1). The picture is then remapped:
 * display pixel (x, y) reads stored pixel
 *   1 (x, y)      2 (W-1-x, y)      3 (W-1-x, H-1-y)      4 (x, H-1-y)
 *   5 (y, x)      6 (y, H-1-x)      7 (W-1-y, H-1-x)      8 (W-1-y, x)
 * (5..8 swap width and height; 6 is "rotate 90° clockwise to display", 8 counter-clockwise).
 */
#include "image_codec.h"

#include <errno.h>
#include <setjmp.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image.h"
#include "log.h"
#include "mem.h"

#ifndef JCS_EXTENSIONS
#error "libjpeg-turbo is required (JCS_EXT_RGBA for saving RGBA32 images)"
#endif

/* Real encoders write about 10 progressive scans; libjpeg-turbo suggests capping at 500. */
#define MAX_SCANS 500

struct jpeg_err {
    struct jpeg_error_mgr pub; ///< first member: libjpeg casts cinfo->err to this
    jmp_buf jump;
    const char *what;
    int saved_errno;
    char msg[JMSG_LENGTH_MAX];
};

static void err_exit(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
    e->saved_errno = errno;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void err_emit(j_common_ptr cinfo, int level)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
    if (level >= 0)
        return; // trace messages
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)
        err_exit(cinfo);
    cinfo->err->num_warnings++;
    if (pa_log_enabled("core", PA_LOG_DEBUG)) {
        char msg[JMSG_LENGTH_MAX];
        cinfo->err->format_message(cinfo, msg);
        pa_log_debug("core", "%s: libjpeg warning: %s", e->what, msg);
    }
}

static void err_output(j_common_ptr cinfo)
{
    (void)cinfo; // never print to stderr behind the logger's back
}

static void err_init(struct jpeg_err *e, const char *what)
{
    memset(e, 0, sizeof(*e));
    jpeg_std_error(&e->pub);
    e->pub.error_exit = err_exit;
    e->pub.emit_message = err_emit;
    e->pub.output_message = err_output;
    e->what = what;
}

struct jpeg_dec {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err err;
    struct jpeg_progress_mgr progress;
    int created;
    struct pa_image stored; ///< decoded pixels before orientation (unused for orientation 1)
    struct pa_image *img;   ///< output, owned by the caller
};

static void on_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > MAX_SCANS) {
        struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
        snprintf(e->msg, sizeof(e->msg), "more than %d progressive scans", MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

static unsigned rd16(const uint8_t *p, int le)
{
    return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | (unsigned)p[1];
}

static uint32_t rd32(const uint8_t *p, int le)
{
    return le ? (uint32_t)rd16(p, 1) | (uint32_t)rd16(p + 2, 1) << 16
              : (uint32_t)rd16(p, 0) << 16 | (uint32_t)rd16(p + 2, 0);
}

/* Orientation from one APP1 payload; 0 when it holds no valid orientation tag. */
static int exif_orientation(const uint8_t *p, size_t n)
{
    if (n < 6 + 8 || memcmp(p, "Exif\0\0", 6) != 0)
        return 0;
    p += 6; // offsets below are relative to the TIFF header
    n -= 6;
    int le = p[0] == 'I' && p[1] == 'I';
    if (!le && !(p[0] == 'M' && p[1] == 'M'))
        return 0;
    if (rd16(p + 2, le) != 42)
        return 0;
    uint32_t ifd = rd32(p + 4, le);
    if (ifd > n || n - ifd < 2)
        return 0;
    unsigned count = rd16(p + ifd, le);
    for (unsigned i = 0; i < count; i++) {
        size_t off = (size_t)ifd + 2 + (size_t)i * 12;
        if (off > n || n - off < 12)
            return 0;
        if (rd16(p + off, le) != 0x0112)
            continue;
        unsigned type = rd16(p + off + 2, le);
        uint32_t cnt = rd32(p + off + 4, le);
        unsigned v = rd16(p + off + 8, le);
        return type == 3 && cnt == 1 && v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

static int find_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1)
            continue;
        int o = exif_orientation(m->data, m->data_length);
        if (o)
            return o;
    }
    return 1;
}

/* Remap src (as stored) into dst (as displayed); see the table in the file comment. */
static void apply_orientation(const struct pa_image *src, struct pa_image *dst, int o)
{
    const ptrdiff_t s = src->stride, px = 3;
    const ptrdiff_t W1 = src->w - 1, H1 = src->h - 1;
    for (int y = 0; y < dst->h; y++) {
        ptrdiff_t sx, sy, step;
        switch (o) {
        case 2:
            sx = W1, sy = y, step = -px;
            break;
        case 3:
            sx = W1, sy = H1 - y, step = -px;
            break;
        case 4:
            sx = 0, sy = H1 - y, step = px;
            break;
        case 5:
            sx = y, sy = 0, step = s;
            break;
        case 6:
            sx = y, sy = H1, step = -s;
            break;
        case 7:
            sx = W1 - y, sy = H1, step = -s;
            break;
        case 8:
            sx = W1 - y, sy = 0, step = s;
            break;
        default:
            sx = 0, sy = y, step = px;
            break;
        }
        const uint8_t *sp = src->data + sy * s + sx * px;
        uint8_t *dp = dst->data + (size_t)y * (size_t)dst->stride;
        for (int x = 0; x < dst->w; x++, sp += step, dp += 3) {
            dp[0] = sp[0];
            dp[1] = sp[1];
            dp[2] = sp[2];
        }
    }
}

/* Runs under setjmp; allocations stay in *d for the caller to release. */
static int decode_body(struct jpeg_dec *d, const uint8_t *bytes, size_t size)
{
    j_decompress_ptr cinfo = &d->cinfo;
    const char *what = d->err.what;
    if (setjmp(d->err.jump)) {
        pa_log_error("core", "%s: corrupt JPEG: %s", what, d->err.msg);
        return PA_EINVALDATA;
    }
    cinfo->err = &d->err.pub;
    jpeg_create_decompress(cinfo);
    d->created = 1;
    d->progress.progress_monitor = on_progress;
    cinfo->progress = &d->progress;
    jpeg_mem_src(cinfo, bytes, (unsigned long)size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(cinfo, TRUE);

    int ret = pa_image_check_dims(cinfo->image_width, cinfo->image_height, what);
    if (ret < 0)
        return ret;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB:
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        pa_log_error("core", "%s: CMYK JPEG is not supported", what);
        return PA_EUNSUPPORTED;
    default:
        pa_log_error("core", "%s: JPEG colour space %d is not supported", what,
                     (int)cinfo->jpeg_color_space);
        return PA_EUNSUPPORTED;
    }
    int orient = find_orientation(cinfo);
    cinfo->out_color_space = JCS_RGB;
    jpeg_start_decompress(cinfo);
    if (cinfo->output_components != 3) {
        pa_log_error("core", "%s: libjpeg produced %d components", what, cinfo->output_components);
        return PA_EBUG;
    }
    int w = (int)cinfo->output_width, h = (int)cinfo->output_height;
    ret = orient >= 5 ? pa_image_alloc(d->img, h, w, PA_PIX_RGB24)
                      : pa_image_alloc(d->img, w, h, PA_PIX_RGB24);
    if (ret == 0 && orient != 1)
        ret = pa_image_alloc(&d->stored, w, h, PA_PIX_RGB24);
    if (ret < 0)
        return ret;
    struct pa_image *target = orient == 1 ? d->img : &d->stored;
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW rows[8];
        JDIMENSION y0 = cinfo->output_scanline;
        JDIMENSION n = PA_MIN(cinfo->output_height - y0, (JDIMENSION)PA_ARRAY_SIZE(rows));
        for (JDIMENSION i = 0; i < n; i++)
            rows[i] = target->data + (size_t)(y0 + i) * (size_t)target->stride;
        if (jpeg_read_scanlines(cinfo, rows, n) == 0) {
            pa_log_error("core", "%s: JPEG decoder stalled", what);
            return PA_EINVALDATA;
        }
    }
    jpeg_finish_decompress(cinfo);
    if (orient != 1)
        apply_orientation(&d->stored, d->img, orient);
    return 0;
}

int pa_jpeg_decode(struct pa_image *img, const uint8_t *bytes, size_t size, const char *what)
{
    memset(img, 0, sizeof(*img));
    struct jpeg_dec *d = pa_calloc(1, sizeof(*d));
    if (!d)
        return PA_ENOMEM;
    err_init(&d->err, what);
    d->img = img;
    int ret = decode_body(d, bytes, size);
    if (d->created)
        jpeg_destroy_decompress(&d->cinfo);
    pa_image_free(&d->stored);
    if (ret < 0)
        pa_image_free(img);
    pa_free(d);
    return ret;
}

struct jpeg_enc {
    struct jpeg_compress_struct cinfo;
    struct jpeg_err err;
    int created;
};

static int encode_body(struct jpeg_enc *e, const struct pa_image *img, FILE *f, int quality)
{
    j_compress_ptr cinfo = &e->cinfo;
    if (setjmp(e->err.jump)) {
        if (e->err.saved_errno)
            pa_log_error("core", "%s: %s (%s)", e->err.what, strerror(e->err.saved_errno),
                         e->err.msg);
        else
            pa_log_error("core", "%s: JPEG encoder failed: %s", e->err.what, e->err.msg);
        return PA_EIO;
    }
    cinfo->err = &e->err.pub;
    jpeg_create_compress(cinfo);
    e->created = 1;
    jpeg_stdio_dest(cinfo, f);
    cinfo->image_width = (JDIMENSION)img->w;
    cinfo->image_height = (JDIMENSION)img->h;
    cinfo->input_components = pa_pixfmt_bpp(img->fmt);
    cinfo->in_color_space = img->fmt == PA_PIX_GRAY8   ? JCS_GRAYSCALE
                            : img->fmt == PA_PIX_RGB24 ? JCS_RGB
                                                       : JCS_EXT_RGBA;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    cinfo->optimize_coding = TRUE;
    /* High qualities keep full-resolution chroma (4:4:4), as most photo tools do. */
    if (quality >= 90 && cinfo->num_components == 3) {
        cinfo->comp_info[0].h_samp_factor = 1;
        cinfo->comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        /* libjpeg's API is not const-correct; it only reads the rows. */
        JSAMPROW row = (JSAMPROW)(img->data + (size_t)cinfo->next_scanline * (size_t)img->stride);
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    return 0;
}

int pa_jpeg_encode(const struct pa_image *img, FILE *f, int quality, const char *what)
{
    struct jpeg_enc *e = pa_calloc(1, sizeof(*e));
    if (!e)
        return PA_ENOMEM;
    err_init(&e->err, what);
    errno = 0;
    int ret = encode_body(e, img, f, quality);
    if (e->created)
        jpeg_destroy_compress(&e->cinfo);
    pa_free(e);
    return ret;
}

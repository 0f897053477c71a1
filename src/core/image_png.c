/** @file
 * PNG through libpng 1.6: decode from memory to RGB24, encode GRAY8/RGB24/RGBA32 to a stream.
 *
 * Decoding normalises every PNG flavour to 8-bit RGB: palette expanded, 1/2/4-bit grey
 * expanded to 8 bits, 16-bit samples stripped to their high byte, alpha and tRNS dropped,
 * grey replicated to R=G=B. Colour management is deliberately absent: iCCP, gAMA, cHRM and
 * sRGB (and the text chunks) are told to libpng as "never keep", so they are skipped without
 * being inflated or checked.
 *
 * Errors: libpng reports fatal errors through png_error, which must not return. Our handler
 * records the message and png_longjmp()s back to the setjmp(png_jmpbuf()) in the function
 * that drives libpng. All state that must survive the longjmp (the image, the row table)
 * lives in a struct owned by the caller of that function, never in its own locals.
 * The IHDR size is checked from the raw bytes before libpng allocates anything, so a forged
 * 2^31-pixel-wide header gets a clear "too large" error.
 */
#include "image_codec.h"

#include <errno.h>
#include <png.h>
#include <string.h>

#include "log.h"
#include "mem.h"

struct png_ctx {
    png_structp png;
    png_infop info;
    const char *what;
    const uint8_t *bytes; ///< decode: input
    size_t size, pos;
    FILE *f;              ///< encode: output
    int write_errno;      ///< encode: errno of the failed fwrite
    struct pa_image *img; ///< decode: output (owned by the caller's struct)
    uint8_t **rows;       ///< decode: row pointers into img
    char msg[160];
};

static void on_error(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    pa_log_debug("core", "%s: libpng warning: %s", c->what, msg);
}

static void read_cb(png_structp png, png_bytep out, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (n > c->size - c->pos)
        png_error(png, "unexpected end of data (file truncated)");
    memcpy(out, c->bytes + c->pos, n);
    c->pos += n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Runs under setjmp; returns 0 or a negative code, leaves allocations in *c for the caller. */
static int decode_body(struct png_ctx *c)
{
    /* Ancillary chunks that would only matter for colour management or metadata. */
    static const png_byte skip[] = "iCCP\0gAMA\0cHRM\0sRGB\0tEXt\0zTXt\0iTXt\0tIME\0eXIf\0";
    png_structp png = c->png;
    png_infop info = c->info;
    if (setjmp(png_jmpbuf(png))) {
        pa_log_error("core", "%s: corrupt PNG: %s", c->what, c->msg);
        return PA_EINVALDATA;
    }
    png_set_read_fn(png, c, read_cb);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skip, (int)(sizeof(skip) / 5));
    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, type, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
    int ret = pa_image_check_dims(w, h, c->what);
    if (ret < 0)
        return ret;
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);
    /* Palette expansion also turns tRNS into an alpha channel, which is dropped too. */
    if ((type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3 || png_get_channels(png, info) != 3) {
        pa_log_error("core", "%s: unexpected PNG layout after conversion", c->what);
        return PA_EBUG;
    }

    ret = pa_image_alloc(c->img, (int)w, (int)h, PA_PIX_RGB24);
    if (ret < 0)
        return ret;
    c->rows = pa_calloc(h, sizeof(*c->rows));
    if (!c->rows)
        return PA_ENOMEM;
    for (png_uint_32 y = 0; y < h; y++)
        c->rows[y] = c->img->data + (size_t)y * (size_t)c->img->stride;
    png_read_image(png, c->rows);
    /* Read up to IEND so truncation after the last IDAT is caught too. */
    png_read_end(png, NULL);
    return 0;
}

int pa_png_decode(struct pa_image *img, const uint8_t *bytes, size_t size, const char *what)
{
    memset(img, 0, sizeof(*img));
    /* Signature (8), IHDR length (4), "IHDR", width, height: check before libpng sees it. */
    if (size >= 24 && memcmp(bytes + 12, "IHDR", 4) == 0) {
        int ret = pa_image_check_dims(be32(bytes + 16), be32(bytes + 20), what);
        if (ret < 0)
            return ret;
    }
    struct png_ctx c = {.what = what, .bytes = bytes, .size = size, .img = img};
    c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    if (c.png)
        c.info = png_create_info_struct(c.png);
    if (!c.png || !c.info) {
        png_destroy_read_struct(c.png ? &c.png : NULL, NULL, NULL);
        return PA_ENOMEM;
    }
    int ret = decode_body(&c);
    png_destroy_read_struct(&c.png, &c.info, NULL);
    pa_free(c.rows);
    if (ret < 0)
        pa_image_free(img);
    return ret;
}

static void write_cb(png_structp png, png_bytep data, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (fwrite(data, 1, n, c->f) != n) {
        c->write_errno = errno;
        png_error(png, "write failed");
    }
}

static void flush_cb(png_structp png)
{
    (void)png; // the caller flushes and fsyncs once at the end
}

static int encode_body(struct png_ctx *c, const struct pa_image *img)
{
    png_structp png = c->png;
    if (setjmp(png_jmpbuf(png))) {
        if (c->write_errno)
            pa_log_error("core", "%s: %s", c->what, strerror(c->write_errno));
        else
            pa_log_error("core", "%s: PNG encoder failed: %s", c->what, c->msg);
        return PA_EIO;
    }
    int type = img->fmt == PA_PIX_GRAY8   ? PNG_COLOR_TYPE_GRAY
               : img->fmt == PA_PIX_RGB24 ? PNG_COLOR_TYPE_RGB
                                          : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_write_fn(png, c, write_cb, flush_cb);
    png_set_IHDR(png, c->info, (png_uint_32)img->w, (png_uint_32)img->h, 8, type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* zlib level 6 is the libpng default; 3 is ~2x faster for ~5 % larger files. */
    png_set_compression_level(png, 3);
    png_write_info(png, c->info);
    for (int y = 0; y < img->h; y++)
        png_write_row(png, img->data + (size_t)y * (size_t)img->stride);
    png_write_end(png, NULL);
    return 0;
}

int pa_png_encode(const struct pa_image *img, FILE *f, const char *what)
{
    struct png_ctx c = {.what = what, .f = f};
    c.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    if (c.png)
        c.info = png_create_info_struct(c.png);
    if (!c.png || !c.info) {
        png_destroy_write_struct(c.png ? &c.png : NULL, NULL);
        return PA_ENOMEM;
    }
    int ret = encode_body(&c, img);
    png_destroy_write_struct(&c.png, &c.info);
    return ret;
}

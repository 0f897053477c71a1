/** @file
 * JPEG into a fixed memory buffer with libjpeg(-turbo). A custom destination manager points
 * libjpeg at the caller's buffer; when the buffer fills up, empty_output_buffer raises an
 * error instead of growing anything, and the error manager longjmp()s back here (libjpeg's
 * default error_exit would call exit()).
 */
#include "io/jpeg.h"

#include <setjmp.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "core/log.h"
#include "core/mem.h"

struct mem_dest {
    struct jpeg_destination_mgr pub; ///< first: libjpeg casts cinfo->dest to this
    uint8_t *buf;
    size_t cap;
    int overflow;
};

struct err_mgr {
    struct jpeg_error_mgr pub; ///< first: libjpeg casts cinfo->err to this
    jmp_buf jump;
};

static void on_error(j_common_ptr cinfo)
{
    longjmp(((struct err_mgr *)cinfo->err)->jump, 1);
}

static void on_message(j_common_ptr cinfo)
{
    (void)cinfo; /* warnings while compressing are harmless; stay quiet */
}

static void dest_init(j_compress_ptr cinfo)
{
    struct mem_dest *d = (struct mem_dest *)cinfo->dest;
    d->pub.next_output_byte = d->buf;
    d->pub.free_in_buffer = d->cap;
}

static boolean dest_full(j_compress_ptr cinfo)
{
    ((struct mem_dest *)cinfo->dest)->overflow = 1;
    ERREXIT(cinfo, JERR_BUFFER_SIZE);
    return FALSE;
}

static void dest_term(j_compress_ptr cinfo)
{
    (void)cinfo;
}

size_t pa_jpeg_bound(int w, int h)
{
    if (w < 1 || h < 1)
        return 0;
    size_t pw = ((size_t)w + 15) & ~(size_t)15, ph = ((size_t)h + 15) & ~(size_t)15, n;
    if (pa_size_mul(pw, ph, &n) < 0 || pa_size_mul(n, 3, &n) < 0 || pa_size_add(n, 2048, &n) < 0)
        return 0;
    return n;
}

/* Everything between setjmp and the end lives in *c / *d (not in locals), so nothing the
 * longjmp skips over needs to be volatile. */
static int encode(struct jpeg_compress_struct *c, struct err_mgr *e, struct mem_dest *d,
                  const struct pa_image *img, int quality)
{
    if (setjmp(e->jump))
        return d->overflow ? PA_EOVERFLOW : PA_EEXTERNAL;
    jpeg_create_compress(c);
    c->dest = &d->pub;
    c->image_width = (JDIMENSION)img->w;
    c->image_height = (JDIMENSION)img->h;
    c->input_components = 3;
    c->in_color_space = JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, quality, TRUE);
    jpeg_start_compress(c, TRUE);
    while (c->next_scanline < c->image_height) {
        JSAMPROW row = (JSAMPROW)(img->data + (size_t)c->next_scanline * (size_t)img->stride);
        jpeg_write_scanlines(c, &row, 1);
    }
    jpeg_finish_compress(c);
    return 0;
}

int pa_jpeg_encode_mem(const struct pa_image *img, int quality, uint8_t *buf, size_t cap,
                       size_t *size)
{
    *size = 0;
    if (!img || img->fmt != PA_PIX_RGB24 || img->w < 1 || img->h < 1 || quality < 1 ||
        quality > 100 || !buf)
        return PA_EINVAL;
    struct jpeg_compress_struct c;
    struct err_mgr e;
    struct mem_dest d = {.buf = buf, .cap = cap};
    memset(&c, 0, sizeof(c));
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = on_error;
    e.pub.output_message = on_message;
    d.pub.init_destination = dest_init;
    d.pub.empty_output_buffer = dest_full;
    d.pub.term_destination = dest_term;
    int ret = encode(&c, &e, &d, img, quality);
    if (ret == 0) {
        *size = cap - d.pub.free_in_buffer;
    } else if (ret == PA_EEXTERNAL) {
        char msg[JMSG_LENGTH_MAX];
        e.pub.format_message((j_common_ptr)&c, msg);
        pa_log_error("io", "jpeg: cannot encode %dx%d: %s", img->w, img->h, msg);
    }
    jpeg_destroy_compress(&c);
    return ret;
}

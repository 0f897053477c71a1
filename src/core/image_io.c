/** @file
 * Image files: pa_image_load / pa_image_decode sniff the format from the first bytes (PNG
 * signature, JPEG SOI FF D8 FF) and dispatch to image_png.c / image_jpeg.c; pa_image_save
 * picks the encoder from the extension and writes atomically.
 *
 * Atomic save: the encoder writes "<path>.tmp.<pid>", which is flushed, fsync'ed, closed and
 * then renamed over <path>. Any failure (encoder error, disk full, fsync, rename) unlinks
 * the temporary file, so <path> either keeps its old content or gets the complete new one.
 */
#include "image_codec.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "log.h"
#include "mem.h"

/* Files larger than this are not images we want to hold in memory at once. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

int pa_image_check_dims(unsigned long long w, unsigned long long h, const char *what)
{
    if (w == 0 || h == 0) {
        pa_log_error("core", "%s: image has zero size (%llux%llu)", what, w, h);
        return PA_EINVALDATA;
    }
    if (w > PA_IMAGE_LOAD_MAX_SIDE || h > PA_IMAGE_LOAD_MAX_SIDE ||
        w * h > PA_IMAGE_LOAD_MAX_PIXELS) {
        pa_log_error("core",
                     "%s: image %llux%llu is too large (limit %d px per side and %llu Mpixel)",
                     what, w, h, PA_IMAGE_LOAD_MAX_SIDE, PA_IMAGE_LOAD_MAX_PIXELS / 1000000);
        return PA_EINVALDATA;
    }
    return 0;
}

int pa_image_decode(struct pa_image *img, const uint8_t *bytes, size_t size, const char *what)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(img, 0, sizeof(*img));
    if (!what)
        what = "image";
    if (bytes && size >= sizeof(png_sig) && memcmp(bytes, png_sig, sizeof(png_sig)) == 0)
        return pa_png_decode(img, bytes, size, what);
    if (bytes && size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
        return pa_jpeg_decode(img, bytes, size, what);
    pa_log_error("core", "%s: not a PNG or JPEG file", what);
    return PA_EINVALDATA;
}

/* Read a whole regular file into a pa_malloc'ed buffer. */
static int read_file(const char *path, uint8_t **out, size_t *out_size)
{
    uint8_t *buf = NULL;
    int ret = PA_EIO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        pa_log_error("core", "%s: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR ? PA_ENOENT : PA_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        pa_log_error("core", "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        pa_log_error("core", "%s: not a regular file", path);
        goto fail;
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > MAX_FILE_BYTES) {
        pa_log_error("core", "%s: file too large for an image (%lld bytes)", path,
                     (long long)st.st_size);
        ret = PA_EINVALDATA;
        goto fail;
    }
    size_t size = (size_t)st.st_size;
    buf = pa_malloc(size ? size : 1);
    if (!buf) {
        ret = PA_ENOMEM;
        goto fail;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            pa_log_error("core", "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break; // the file shrank under us: decode what is there
        got += (size_t)n;
    }
    close(fd);
    *out = buf;
    *out_size = got;
    return 0;
fail:
    pa_free(buf);
    close(fd);
    return ret;
}

int pa_image_load(struct pa_image *img, const char *path)
{
    memset(img, 0, sizeof(*img));
    uint8_t *bytes = NULL;
    size_t size = 0;
    int ret = read_file(path, &bytes, &size);
    if (ret < 0)
        return ret;
    ret = pa_image_decode(img, bytes, size, path);
    pa_free(bytes);
    return ret;
}

enum save_kind { SAVE_NONE, SAVE_PNG, SAVE_JPEG };

static enum save_kind kind_from_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return SAVE_NONE;
    if (strcasecmp(dot, ".png") == 0)
        return SAVE_PNG;
    if (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0)
        return SAVE_JPEG;
    return SAVE_NONE;
}

static int check_image(const struct pa_image *img, const char *path)
{
    int bpp = img ? pa_pixfmt_bpp(img->fmt) : 0;
    if (!img || !img->data || bpp == 0 || img->w <= 0 || img->h <= 0 ||
        img->w > PA_IMAGE_LOAD_MAX_SIDE || img->h > PA_IMAGE_LOAD_MAX_SIDE ||
        img->stride < img->w * bpp) {
        pa_log_error("core", "%s: cannot save an empty or malformed image", path);
        return PA_EINVAL;
    }
    return 0;
}

/* Flush user-space and kernel buffers, then close; any failure is an I/O error. */
static int finish_file(FILE *f, const char *path)
{
    int ret = 0;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        pa_log_error("core", "%s: %s", path, strerror(errno));
        ret = PA_EIO;
    }
    if (fclose(f) != 0 && ret == 0) {
        pa_log_error("core", "%s: %s", path, strerror(errno));
        ret = PA_EIO;
    }
    return ret;
}

int pa_image_save(const struct pa_image *img, const char *path, int quality)
{
    enum save_kind kind = kind_from_path(path);
    if (kind == SAVE_NONE) {
        pa_log_error("core", "%s: unknown image extension (use .png, .jpg or .jpeg)", path);
        return PA_EINVAL;
    }
    int ret = check_image(img, path);
    if (ret < 0)
        return ret;
    if (kind == SAVE_JPEG && (quality < 1 || quality > 100)) {
        pa_log_error("core", "%s: JPEG quality %d is outside 1..100", path, quality);
        return PA_EINVAL;
    }

    size_t len = strlen(path) + 32;
    char *tmp = pa_malloc(len);
    if (!tmp)
        return PA_ENOMEM;
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        pa_log_error("core", "%s: %s", path, strerror(errno));
        pa_free(tmp);
        return PA_EIO;
    }
    if (kind == SAVE_PNG)
        ret = pa_png_encode(img, f, path);
    else
        ret = pa_jpeg_encode(img, f, quality, path);
    if (ret < 0)
        fclose(f);
    else
        ret = finish_file(f, path);
    if (ret == 0 && rename(tmp, path) != 0) {
        pa_log_error("core", "%s: %s", path, strerror(errno));
        ret = PA_EIO;
    }
    if (ret < 0)
        unlink(tmp);
    pa_free(tmp);
    return ret;
}

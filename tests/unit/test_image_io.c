/** @file
 * Image files: PNG/JPEG decoding of the shared test photos checked against FFmpeg's own
 * decoders (run through popen), save/load round trips, EXIF orientation, atomic saves, and
 * corrupt input (truncated, mutated, random, zero-length, forged sizes) that must fail
 * cleanly with PA_EINVALDATA. Run under ASan, the corrupt-input cases double as a fuzz smoke.
 */
#include "pa_test.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include <jpeglib.h>
#include <png.h>

#include "core/image.h"
#include "core/mem.h"

static const char *const k_jpegs[] = {"lp_s9.jpg", "lp_s12.jpg", "lp_s42.jpg", "hallo_7.jpg"};

static const char *src_path(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "testdata/source/%s", name);
    return pa_test_shared(rel);
}

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void write_all(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(p, 1, n, f), n);
    ASSERT_EQ(fclose(f), 0);
}

/* FFmpeg's decode of `path` as packed RGB24 (w*h*3 bytes), or NULL when ffmpeg is missing. */
static uint8_t *ffmpeg_rgb(const char *path, int w, int h)
{
    char cmd[4400];
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -v error -i '%s' -f rawvideo -pix_fmt rgb24 "
             "-sws_flags accurate_rnd+full_chroma_int+bitexact - 2>/dev/null",
             path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t n = (size_t)w * (size_t)h * 3;
    uint8_t *buf = malloc(n + 1);
    size_t got = fread(buf, 1, n + 1, p);
    int st = pclose(p);
    if (st != 0 || got != n) {
        free(buf);
        return NULL;
    }
    return buf;
}

struct diff {
    double mean_abs, psnr;
    int max_abs;
    double frac_over_8; ///< fraction of samples differing by more than 8 levels
};

/* Compare an RGB24 image with packed rgb24 bytes. */
static struct diff diff_rgb(const struct pa_image *img, const uint8_t *ref)
{
    double sum = 0, sq = 0;
    size_t over = 0, n = (size_t)img->w * (size_t)img->h * 3;
    int mx = 0;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *a = pa_image_px(img, 0, y);
        const uint8_t *b = ref + (size_t)y * (size_t)img->w * 3;
        for (int x = 0; x < img->w * 3; x++) {
            int d = abs(a[x] - b[x]);
            sum += d;
            sq += (double)d * d;
            mx = d > mx ? d : mx;
            over += d > 8;
        }
    }
    struct diff r = {sum / (double)n, 0, mx, (double)over / (double)n};
    double mse = sq / (double)n;
    r.psnr = mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99.0;
    return r;
}

static double psnr_images(const struct pa_image *a, const struct pa_image *b)
{
    double sq = 0;
    int bpp = pa_pixfmt_bpp(a->fmt);
    for (int y = 0; y < a->h; y++) {
        const uint8_t *p = pa_image_px(a, 0, y), *q = pa_image_px(b, 0, y);
        for (int x = 0; x < a->w * bpp; x++)
            sq += (double)(p[x] - q[x]) * (p[x] - q[x]);
    }
    double mse = sq / ((double)a->w * a->h * bpp);
    return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99.0;
}

PA_TEST(png_matches_ffmpeg_exactly)
{
    struct pa_image img;
    const char *path = src_path("astronaut.png");
    ASSERT_OK(pa_image_load(&img, path));
    ASSERT_EQ(img.w, 512);
    ASSERT_EQ(img.h, 512);
    ASSERT_EQ(img.fmt, PA_PIX_RGB24);
    uint8_t *ref = ffmpeg_rgb(path, 512, 512);
    if (!ref) {
        pa_image_free(&img);
        PA_SKIP("ffmpeg not available");
    }
    struct diff d = diff_rgb(&img, ref);
    ASSERT_EQ(d.max_abs, 0);
    free(ref);
    pa_image_free(&img);
}

PA_TEST(jpegs_match_ffmpeg)
{
    static const int sizes[][2] = {{720, 1280}, {375, 500}, {512, 512}, {3511, 3511}};
    for (size_t i = 0; i < PA_ARRAY_SIZE(k_jpegs); i++) {
        struct pa_image img;
        const char *path = src_path(k_jpegs[i]);
        ASSERT_OK(pa_image_load(&img, path));
        ASSERT_EQ(img.w, sizes[i][0]);
        ASSERT_EQ(img.h, sizes[i][1]);
        uint8_t *ref = ffmpeg_rgb(path, img.w, img.h);
        if (!ref) {
            pa_image_free(&img);
            PA_SKIP("ffmpeg not available");
        }
        struct diff d = diff_rgb(&img, ref);
        printf("%s: mean |d| %.3f, max %d, psnr %.2f dB, >8 levels %.5f%%\n", k_jpegs[i],
               d.mean_abs, d.max_abs, d.psnr, 100 * d.frac_over_8);
        /* Different IDCTs and chroma upsamplers: close, not equal. */
        ASSERT_LT(d.mean_abs, 0.6);
        ASSERT_GT(d.psnr, 45.0);
        ASSERT_LT(d.frac_over_8, 1e-4);
        free(ref);
        pa_image_free(&img);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* PNG flavours, written with libpng's low-level API so the expected pixels are known        */
/* ---------------------------------------------------------------------------------------- */

struct membuf {
    uint8_t *p;
    size_t n, cap;
};

static void mem_write(png_structp png, png_bytep data, size_t n)
{
    struct membuf *m = png_get_io_ptr(png);
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, data, n);
    m->n += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* Sample value of channel c at (x, y) as stored in the file, for a given bit depth. */
static unsigned sample(int x, int y, int c, int depth)
{
    unsigned v = (unsigned)(x * 37 + y * 101 + c * 71 + x * y);
    return depth == 16 ? (v * 2654435761u) >> 16 : v & ((1u << depth) - 1);
}

/* Write a w x h PNG with every sample from sample(); palette images use a ramp palette. */
static struct membuf make_png(int type, int depth, int interlace, int w, int h)
{
    struct membuf m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type, interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        png_byte trns[256];
        for (int i = 0; i < 256; i++) {
            pal[i] = (png_color){(png_byte)i, (png_byte)(255 - i), (png_byte)(i * 7)};
            trns[i] = (png_byte)(i * 3);
        }
        png_set_PLTE(png, info, pal, 1 << depth);
        png_set_tRNS(png, info, trns, 1 << depth, NULL);
    }
    png_write_info(png, info);
    int ch = png_get_channels(png, info);
    int passes = png_set_interlace_handling(png);
    size_t rowbytes = ((size_t)w * (size_t)ch * (size_t)depth + 7) / 8;
    uint8_t *row = calloc(1, rowbytes);
    for (int pass = 0; pass < passes; pass++) {
        for (int y = 0; y < h; y++) {
            memset(row, 0, rowbytes);
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < ch; c++) {
                    unsigned v = sample(x, y, c, depth);
                    size_t bit = ((size_t)x * (size_t)ch + (size_t)c) * (size_t)depth;
                    if (depth == 16) {
                        row[bit / 8] = (uint8_t)(v >> 8);
                        row[bit / 8 + 1] = (uint8_t)v;
                    } else {
                        row[bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
                    }
                }
            }
            png_write_row(png, row);
        }
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return m;
}

/* What RGB24 decoding must give for pixel (x, y) of make_png(type, depth). */
static void expected_rgb(int type, int depth, int x, int y, uint8_t out[3])
{
    int colour = type & PNG_COLOR_MASK_COLOR;
    for (int c = 0; c < 3; c++) {
        unsigned v = sample(x, y, colour && type != PNG_COLOR_TYPE_PALETTE ? c : 0, depth);
        if (type == PNG_COLOR_TYPE_PALETTE) {
            uint8_t pal[3] = {(uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v * 7)};
            out[c] = pal[c];
        } else if (depth == 16) {
            out[c] = (uint8_t)(v >> 8);
        } else {
            out[c] = (uint8_t)(v * 255 / ((1u << depth) - 1)); // grey 1/2/4-bit scale up
        }
    }
}

PA_TEST(png_flavours)
{
    static const int cases[][3] = {
        {PNG_COLOR_TYPE_GRAY, 1, 0},
        {PNG_COLOR_TYPE_GRAY, 2, 0},
        {PNG_COLOR_TYPE_GRAY, 4, 0},
        {PNG_COLOR_TYPE_GRAY, 8, 0},
        {PNG_COLOR_TYPE_GRAY, 16, 0},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0},
        {PNG_COLOR_TYPE_RGB, 8, 0},
        {PNG_COLOR_TYPE_RGB, 16, 0},
        {PNG_COLOR_TYPE_RGB_ALPHA, 8, 0},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16, 0},
        {PNG_COLOR_TYPE_PALETTE, 4, 0},
        {PNG_COLOR_TYPE_PALETTE, 8, 0},
        {PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7},
        {PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_ADAM7},
    };
    const int w = 19, h = 13;
    for (size_t k = 0; k < PA_ARRAY_SIZE(cases); k++) {
        int type = cases[k][0], depth = cases[k][1];
        struct membuf m = make_png(type, depth, cases[k][2], w, h);
        struct pa_image img;
        int r = pa_image_decode(&img, m.p, m.n, "flavour.png");
        if (r < 0)
            PA__FAIL("case %zu (type %d depth %d): %s", k, type, depth, pa_strerror(r));
        ASSERT_EQ(img.fmt, PA_PIX_RGB24);
        ASSERT_EQ(img.w, w);
        ASSERT_EQ(img.h, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                uint8_t e[3];
                expected_rgb(type, depth, x, y, e);
                const uint8_t *p = pa_image_px(&img, x, y);
                if (memcmp(p, e, 3) != 0)
                    PA__FAIL("case %zu (type %d depth %d) at (%d,%d): %d %d %d vs %d %d %d", k,
                             type, depth, x, y, p[0], p[1], p[2], e[0], e[1], e[2]);
            }
        }
        pa_image_free(&img);
        free(m.p);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Save and round trips                                                                      */
/* ---------------------------------------------------------------------------------------- */

static void fill_pattern(struct pa_image *img)
{
    int bpp = pa_pixfmt_bpp(img->fmt);
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            for (int c = 0; c < bpp; c++)
                pa_image_px(img, x, y)[c] = (uint8_t)(x * 3 + y * 5 + c * 60 + (x ^ y));
}

PA_TEST(png_round_trip_exact)
{
    struct pa_image src, back;
    ASSERT_OK(pa_image_load(&src, src_path("astronaut.png")));
    const char *path = pa_test_tmp("rt.png");
    ASSERT_OK(pa_image_save(&src, path, 0));
    ASSERT_OK(pa_image_load(&back, path));
    ASSERT_EQ(psnr_images(&src, &back), 99.0);
    pa_image_free(&back);

    /* A view (stride larger than the row) saves only its rectangle. */
    struct pa_image view;
    ASSERT_OK(pa_image_view(&view, &src, 100, 50, 77, 33));
    ASSERT_OK(pa_image_save(&view, path, 0));
    ASSERT_OK(pa_image_load(&back, path));
    ASSERT_EQ(back.w, 77);
    ASSERT_EQ(back.h, 33);
    ASSERT_EQ(psnr_images(&view, &back), 99.0);
    pa_image_free(&back);
    pa_image_free(&src);

    /* GRAY8 comes back as R = G = B; RGBA32 loses alpha only. */
    static const enum pa_pixfmt fmts[] = {PA_PIX_GRAY8, PA_PIX_RGBA32};
    for (size_t i = 0; i < PA_ARRAY_SIZE(fmts); i++) {
        ASSERT_OK(pa_image_alloc(&src, 45, 31, fmts[i]));
        fill_pattern(&src);
        ASSERT_OK(pa_image_save(&src, path, 0));
        ASSERT_OK(pa_image_load(&back, path));
        ASSERT_EQ(back.w, 45);
        for (int y = 0; y < src.h; y++)
            for (int x = 0; x < src.w; x++)
                for (int c = 0; c < 3; c++)
                    ASSERT_EQ(pa_image_px(&back, x, y)[c],
                              pa_image_px(&src, x, y)[fmts[i] == PA_PIX_GRAY8 ? 0 : c]);
        pa_image_free(&src);
        pa_image_free(&back);
    }
}

PA_TEST(jpeg_round_trip_psnr)
{
    struct pa_image src, back;
    ASSERT_OK(pa_image_load(&src, src_path("astronaut.png")));
    const char *path = pa_test_tmp("rt.JPG"); // extension match is case-insensitive
    ASSERT_OK(pa_image_save(&src, path, 95));
    ASSERT_OK(pa_image_load(&back, path));
    double p95 = psnr_images(&src, &back);
    ASSERT_OK(pa_image_save(&src, pa_test_tmp("rt.jpeg"), 60));
    pa_image_free(&back);
    ASSERT_OK(pa_image_load(&back, pa_test_tmp("rt.jpeg")));
    double p60 = psnr_images(&src, &back);
    printf("JPEG round trip: q95 %.2f dB, q60 %.2f dB\n", p95, p60);
    ASSERT_GT(p95, 35.0);
    ASSERT_GT(p95, p60); // quality really reaches the encoder
    pa_image_free(&back);
    pa_image_free(&src);

    /* Grey and RGBA inputs. */
    ASSERT_OK(pa_image_alloc(&src, 64, 48, PA_PIX_GRAY8));
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++)
            pa_image_px(&src, x, y)[0] = (uint8_t)(x * 2 + y);
    ASSERT_OK(pa_image_save(&src, path, 95));
    ASSERT_OK(pa_image_load(&back, path));
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++)
            for (int c = 0; c < 3; c++)
                ASSERT_NEAR(pa_image_px(&back, x, y)[c], pa_image_px(&src, x, y)[0], 3);
    pa_image_free(&back);
    pa_image_free(&src);
    ASSERT_OK(pa_image_alloc(&src, 64, 48, PA_PIX_RGBA32));
    ASSERT_OK(pa_image_save(&src, path, 80));
    ASSERT_OK(pa_image_load(&back, path));
    ASSERT_EQ(back.w, 64);
    pa_image_free(&back);
    pa_image_free(&src);
}

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

PA_TEST(save_errors_leave_no_files)
{
    struct pa_image img, back;
    ASSERT_OK(pa_image_load(&img, src_path("astronaut.png")));
    ASSERT_ERR(pa_image_save(&img, pa_test_tmp("x.gif"), 90), PA_EINVAL);
    ASSERT_ERR(pa_image_save(&img, pa_test_tmp("noext"), 90), PA_EINVAL);
    ASSERT_ERR(pa_image_save(&img, pa_test_tmp("x.jpg"), 0), PA_EINVAL);
    ASSERT_ERR(pa_image_save(&img, pa_test_tmp("x.jpg"), 101), PA_EINVAL);
    ASSERT_ERR(pa_image_save(&img, pa_test_tmp("no/such/dir/x.png"), 0), PA_EIO);

    /* Disk full, simulated with a file-size limit: writes fail with EFBIG. */
    const char *path = pa_test_tmp("keep.png");
    struct pa_image small;
    ASSERT_OK(pa_image_alloc(&small, 8, 8, PA_PIX_RGB24));
    fill_pattern(&small);
    ASSERT_OK(pa_image_save(&small, path, 0));
    struct rlimit old, lim;
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 20000;
    signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int r_png = pa_image_save(&img, path, 0);
    int r_jpg = pa_image_save(&img, pa_test_tmp("full.jpg"), 100);
    setrlimit(RLIMIT_FSIZE, &old);
    ASSERT_ERR(r_png, PA_EIO);
    ASSERT_ERR(r_jpg, PA_EIO);
    /* The old file is intact, the failed JPEG does not exist, no temporary file remains. */
    ASSERT_OK(pa_image_load(&back, path));
    ASSERT_EQ(back.w, 8);
    ASSERT_EQ(psnr_images(&small, &back), 99.0);
    ASSERT_TRUE(access(pa_test_tmp("full.jpg"), F_OK) != 0);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", pa_test_tmp("."));
    ASSERT_EQ(count_tmp_files(dir), 0);
    pa_image_free(&back);
    pa_image_free(&small);
    pa_image_free(&img);
}

PA_TEST(load_errors)
{
    struct pa_image img;
    ASSERT_ERR(pa_image_load(&img, pa_test_tmp("missing.png")), PA_ENOENT);
    ASSERT_TRUE(img.data == NULL);
    ASSERT_ERR(pa_image_load(&img, pa_test_tmp(".")), PA_EIO); // a directory
    static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    write_all(pa_test_tmp("x.gif"), gif, sizeof(gif) - 1);
    ASSERT_ERR(pa_image_load(&img, pa_test_tmp("x.gif")), PA_EINVALDATA);
    write_all(pa_test_tmp("empty.png"), gif, 0);
    ASSERT_ERR(pa_image_load(&img, pa_test_tmp("empty.png")), PA_EINVALDATA);
    ASSERT_ERR(pa_image_decode(&img, NULL, 0, NULL), PA_EINVALDATA);
    ASSERT_TRUE(img.data == NULL && img.owner_buf == NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* EXIF orientation                                                                          */
/* ---------------------------------------------------------------------------------------- */

/* APP1 "Exif" segment with IFD0 holding one Orientation entry (or a malformed variant). */
static size_t make_exif(uint8_t *out, int orientation, int big_endian, int malformed)
{
    uint8_t tiff[26];
    size_t n = 0;
#define PUT16(v)                                                                                   \
    do {                                                                                           \
        unsigned pv = (unsigned)(v);                                                               \
        tiff[n++] = (uint8_t)(big_endian ? pv >> 8 : pv);                                          \
        tiff[n++] = (uint8_t)(big_endian ? pv : pv >> 8);                                          \
    } while (0)
#define PUT32(v)                                                                                   \
    do {                                                                                           \
        uint32_t qv = (uint32_t)(v);                                                               \
        if (big_endian) {                                                                          \
            PUT16(qv >> 16);                                                                       \
            PUT16(qv);                                                                             \
        } else {                                                                                   \
            PUT16(qv);                                                                             \
            PUT16(qv >> 16);                                                                       \
        }                                                                                          \
    } while (0)
    tiff[n++] = big_endian ? 'M' : 'I';
    tiff[n++] = big_endian ? 'M' : 'I';
    PUT16(42);
    PUT32(malformed == 1 ? 0xfffffff0u : 8); // 1: IFD offset far outside the segment
    PUT16(1);
    PUT16(0x0112);
    PUT16(3);
    PUT32(1);
    PUT16(orientation);
    PUT16(0);
    PUT32(0);
#undef PUT16
#undef PUT32
    if (malformed == 2)
        n = 14; // 2: the segment ends inside the entry (its value lies past the end)
    size_t len = 2 + 6 + n;
    out[0] = 0xff;
    out[1] = 0xe1;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    memcpy(out + 4, "Exif\0\0", 6);
    memcpy(out + 10, tiff, n);
    return 2 + len;
}

/* Insert an APP1 segment right after SOI. */
static uint8_t *with_exif(const uint8_t *jpg, size_t n, const uint8_t *app1, size_t an,
                          size_t *out_n)
{
    uint8_t *o = malloc(n + an);
    memcpy(o, jpg, 2);
    memcpy(o + 2, app1, an);
    memcpy(o + 2 + an, jpg + 2, n - 2);
    *out_n = n + an;
    return o;
}

enum side { TOP, BOTTOM, LEFT, RIGHT };

static enum side opposite(enum side s)
{
    return (enum side)(s ^ 1);
}

PA_TEST(jpeg_exif_orientation)
{
    /* Quadrants: red top-left, green top-right, blue bottom-left, white bottom-right. */
    static const uint8_t quad[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    const int W = 48, H = 32;
    struct pa_image src;
    ASSERT_OK(pa_image_alloc(&src, W, H, PA_PIX_RGB24));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            memcpy(pa_image_px(&src, x, y), quad[(y >= H / 2) * 2 + (x >= W / 2)], 3);
    const char *path = pa_test_tmp("orient.jpg");
    ASSERT_OK(pa_image_save(&src, path, 100));
    size_t n;
    uint8_t *jpg = read_all(path, &n);
    ASSERT_TRUE(jpg != NULL);
    struct pa_image stored;
    ASSERT_OK(pa_image_decode(&stored, jpg, n, "plain"));

    /* EXIF 2.3, tag 0x0112: where the stored 0th row and 0th column appear on display. */
    static const enum side row0[9] = {0, TOP, TOP, BOTTOM, BOTTOM, LEFT, RIGHT, RIGHT, LEFT};
    static const enum side col0[9] = {0, LEFT, RIGHT, RIGHT, LEFT, TOP, TOP, BOTTOM, BOTTOM};
    for (int o = 1; o <= 8; o++) {
        for (int be = 0; be <= 1; be++) {
            uint8_t app1[64];
            size_t an = make_exif(app1, o, be, 0), jn;
            uint8_t *j2 = with_exif(jpg, n, app1, an, &jn);
            struct pa_image img;
            ASSERT_OK(pa_image_decode(&img, j2, jn, "exif"));
            free(j2);
            ASSERT_EQ(img.w, o >= 5 ? H : W);
            ASSERT_EQ(img.h, o >= 5 ? W : H);
            /* Stored corner q (row side r, column side c) shows at the display corner on sides
             * {row0 or its opposite} x {col0 or its opposite}. */
            for (int q = 0; q < 4; q++) {
                enum side a = q >= 2 ? opposite(row0[o]) : row0[o];
                enum side b = q & 1 ? opposite(col0[o]) : col0[o];
                int right = a == RIGHT || b == RIGHT, bottom = a == BOTTOM || b == BOTTOM;
                int x = right ? img.w - 3 : 2, y = bottom ? img.h - 3 : 2;
                for (int c = 0; c < 3; c++)
                    if (abs(pa_image_px(&img, x, y)[c] - quad[q][c]) > 24)
                        PA__FAIL("orientation %d (%s): corner %d at (%d,%d) ch %d is %d, want %d",
                                 o, be ? "MM" : "II", q, x, y, c, pa_image_px(&img, x, y)[c],
                                 quad[q][c]);
            }
            /* Orientation 6 is "rotate 90 degrees clockwise": check every pixel exactly. */
            if (o == 6) {
                for (int y = 0; y < img.h; y++)
                    for (int x = 0; x < img.w; x++)
                        ASSERT_TRUE(memcmp(pa_image_px(&img, x, y),
                                           pa_image_px(&stored, y, H - 1 - x), 3) == 0);
            }
            pa_image_free(&img);
        }
    }
    /* Malformed EXIF is ignored (orientation 1), never read out of bounds. */
    for (int bad = 1; bad <= 3; bad++) {
        uint8_t app1[64];
        size_t an = make_exif(app1, bad == 3 ? 9 : 6, 0, bad == 3 ? 0 : bad), jn; // 3: value 9
        uint8_t *j2 = with_exif(jpg, n, app1, an, &jn);
        struct pa_image img;
        ASSERT_OK(pa_image_decode(&img, j2, jn, "bad exif"));
        ASSERT_EQ(img.w, W);
        pa_image_free(&img);
        free(j2);
    }
    pa_image_free(&stored);
    pa_image_free(&src);
    free(jpg);
}

/* ---------------------------------------------------------------------------------------- */
/* Corrupt input                                                                             */
/* ---------------------------------------------------------------------------------------- */

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

PA_TEST(png_forged_sizes_rejected)
{
    size_t n;
    uint8_t *png = read_all(src_path("astronaut.png"), &n);
    ASSERT_TRUE(png != NULL);
    static const uint32_t sizes[][2] = {
        {100000, 512}, {512, 0x7fffffffu}, {16000, 16000}, {0, 512}, {0xffffffffu, 1}};
    for (size_t i = 0; i < PA_ARRAY_SIZE(sizes); i++) {
        for (int fix_crc = 0; fix_crc <= 1; fix_crc++) {
            uint8_t *p = malloc(n);
            memcpy(p, png, n);
            put_be32(p + 16, sizes[i][0]);
            put_be32(p + 20, sizes[i][1]);
            if (fix_crc)
                put_be32(p + 29, crc32_png(p + 12, 17)); // over "IHDR" + 13 data bytes
            struct pa_image img;
            ASSERT_ERR(pa_image_decode(&img, p, n, "forged.png"), PA_EINVALDATA);
            free(p);
        }
    }
    /* The same size written by a real encoder, but with too little data, fails too. */
    struct pa_image img;
    uint8_t *p = malloc(n);
    memcpy(p, png, n);
    put_be32(p + 20, 4096);
    put_be32(p + 29, crc32_png(p + 12, 17));
    ASSERT_ERR(pa_image_decode(&img, p, n, "short.png"), PA_EINVALDATA);
    free(p);
    free(png);
}

PA_TEST(jpeg_forged_size_and_cmyk)
{
    size_t n;
    uint8_t *jpg = read_all(src_path("lp_s42.jpg"), &n);
    ASSERT_TRUE(jpg != NULL);
    /* Find SOF0/SOF2 and claim 60000 x 60000. */
    size_t sof = 0;
    for (size_t i = 2; i + 9 < n; i++) {
        if (jpg[i] == 0xff && (jpg[i + 1] == 0xc0 || jpg[i + 1] == 0xc2)) {
            sof = i;
            break;
        }
    }
    ASSERT_TRUE(sof > 0);
    jpg[sof + 5] = 0xea; // height 0xea60 = 60000
    jpg[sof + 6] = 0x60;
    jpg[sof + 7] = 0xea;
    jpg[sof + 8] = 0x60;
    struct pa_image img;
    ASSERT_ERR(pa_image_decode(&img, jpg, n, "huge.jpg"), PA_EINVALDATA);
    free(jpg);

    /* A genuine CMYK JPEG (written with libjpeg here) is reported as unsupported. */
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = 16;
    c.image_height = 16;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    uint8_t row[16 * 4];
    for (int i = 0; i < 64; i++)
        row[i] = (uint8_t)(i * 4);
    JSAMPROW rp = row;
    while (c.next_scanline < c.image_height)
        jpeg_write_scanlines(&c, &rp, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    ASSERT_ERR(pa_image_decode(&img, buf, size, "cmyk.jpg"), PA_EUNSUPPORTED);
    ASSERT_TRUE(img.data == NULL);
    free(buf);
}

/* Every prefix length in the list must fail cleanly; the full file must decode. */
static void check_truncations(const char *name)
{
    size_t n;
    uint8_t *full = read_all(src_path(name), &n);
    ASSERT_TRUE(full != NULL);
    const size_t lens[] = {1,    2,     3,     4,     8,          9,       16,     33,    100,  700,
                           2000, n / 5, n / 3, n / 2, n * 9 / 10, n - 100, n - 13, n - 2, n - 1};
    for (size_t i = 0; i < PA_ARRAY_SIZE(lens); i++) {
        /* A copy of exactly the prefix, so ASan sees any read past it. */
        uint8_t *p = malloc(lens[i]);
        memcpy(p, full, lens[i]);
        struct pa_image img;
        int r = pa_image_decode(&img, p, lens[i], name);
        if (r != PA_EINVALDATA)
            PA__FAIL("%s cut at %zu of %zu bytes: got %d, want PA_EINVALDATA", name, lens[i], n, r);
        ASSERT_TRUE(img.data == NULL);
        free(p);
    }
    /* Through a file too. */
    write_all(pa_test_tmp("cut.bin"), full, n / 2);
    struct pa_image img;
    ASSERT_ERR(pa_image_load(&img, pa_test_tmp("cut.bin")), PA_EINVALDATA);
    ASSERT_OK(pa_image_decode(&img, full, n, name));
    pa_image_free(&img);
    free(full);
}

PA_TEST(truncated_files_fail)
{
    check_truncations("astronaut.png");
    check_truncations("lp_s9.jpg");  // baseline
    check_truncations("lp_s12.jpg"); // progressive
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

PA_TEST(random_and_mutated_bytes_never_crash)
{
    uint32_t seed = 12345;
    /* Random bytes behind each signature, and with none. */
    static const uint8_t sigs[][8] = {{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                                      {0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0},
                                      {0xff, 0xd8, 0xff, 0xdb, 0, 0x43, 0, 0},
                                      {'R', 'I', 'F', 'F', 0, 0, 0, 0}};
    for (size_t s = 0; s < PA_ARRAY_SIZE(sigs); s++) {
        for (int rep = 0; rep < 20; rep++) {
            size_t n = 8 + lcg(&seed) % 3000;
            uint8_t *p = malloc(n);
            for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)lcg(&seed);
            memcpy(p, sigs[s], s == 1 || s == 2 ? 4 : 8);
            struct pa_image img;
            int r = pa_image_decode(&img, p, n, "random");
            ASSERT_TRUE(r == PA_EINVALDATA || r == PA_EUNSUPPORTED);
            free(p);
        }
    }
    /* Mutated real files: a few bytes changed; the result is an error or a sane image. */
    static const char *const names[] = {"lp_s12.jpg", "lp_s42.jpg", "astronaut.png"};
    int failures = 0, total = 0;
    for (size_t f = 0; f < PA_ARRAY_SIZE(names); f++) {
        size_t n;
        uint8_t *full = read_all(src_path(names[f]), &n);
        ASSERT_TRUE(full != NULL);
        for (int rep = 0; rep < 40; rep++) {
            uint8_t *p = malloc(n);
            memcpy(p, full, n);
            int k = 1 + (int)(lcg(&seed) % 8);
            for (int i = 0; i < k; i++) {
                /* Half the mutations hit the first 2 KiB, where the headers live. */
                size_t at = lcg(&seed) % (rep & 1 ? n : PA_MIN(n, 2048));
                p[at] = (uint8_t)lcg(&seed);
            }
            struct pa_image img;
            int r = pa_image_decode(&img, p, n, names[f]);
            ASSERT_TRUE(r == 0 || r == PA_EINVALDATA || r == PA_EUNSUPPORTED);
            if (r == 0) {
                ASSERT_TRUE(img.w > 0 && img.w <= 16384 && img.h > 0 && img.h <= 16384);
                pa_image_free(&img);
            }
            failures += r < 0;
            total++;
            free(p);
        }
        free(full);
    }
    printf("mutated files rejected: %d of %d\n", failures, total);
}

PA_TEST_MAIN()

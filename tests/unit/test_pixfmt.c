/** @file
 * Camera pixel formats (core/pixfmt.c): YUYV / NV12 / I420 → RGB24 against a double-precision
 * BT.601 limited-range reference (every Y, Cb, Cr combination for YUYV; odd sizes and padded
 * strides for all three), short buffers, slice-parallel equality, a round trip through the
 * v4l2loopback RGB → YUYV converter, and the MJPEG default-Huffman-table fix-up on a real
 * JPEG whose DHT segments were stripped.
 */
#include "pa_test.h"

#include <time.h>

#include <jpeglib.h>

#include "core/image.h"
#include "core/mem.h"
#include "core/pixfmt.h"
#include "io/v4l2_util.h"

/* The reference: the BT.601 formula in doubles, rounded to nearest, clamped. */
static void ref_px(int y, int u, int v, uint8_t out[3])
{
    double yy = 255.0 / 219.0 * (y - 16), du = u - 128, dv = v - 128;
    const double kr = 0.299, kb = 0.114, kg = 1.0 - kr - kb, c = 255.0 / 224.0;
    double rgb[3] = {yy + c * 2 * (1 - kr) * dv,
                     yy - c * 2 * (1 - kb) * kb / kg * du - c * 2 * (1 - kr) * kr / kg * dv,
                     yy + c * 2 * (1 - kb) * du};
    for (int i = 0; i < 3; i++) {
        double r = floor(rgb[i] + 0.5);
        out[i] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
}

static uint32_t g_rng = 12345;
static uint8_t rnd8(void)
{
    g_rng = g_rng * 1664525u + 1013904223u;
    return (uint8_t)(g_rng >> 24);
}

struct diff_stats {
    int max;
    long off_by_one, total;
};

static void compare_px(const uint8_t *got, const uint8_t want[3], struct diff_stats *st)
{
    for (int c = 0; c < 3; c++) {
        int d = abs(got[c] - want[c]);
        st->max = d > st->max ? d : st->max;
        st->off_by_one += d != 0;
        st->total++;
    }
}

PA_TEST(yuyv_every_ycbcr_matches_reference)
{
    /* 65536 rows (one per Cb, Cr pair) of 256 pixels (Y = 0..255): all 2^24 inputs. */
    uint8_t yuyv[512], rgb[768];
    struct diff_stats st = {0};
    for (int u = 0; u < 256; u++) {
        for (int v = 0; v < 256; v++) {
            for (int x = 0; x < 256; x += 2) {
                yuyv[2 * x + 0] = (uint8_t)x;
                yuyv[2 * x + 1] = (uint8_t)u;
                yuyv[2 * x + 2] = (uint8_t)(x + 1);
                yuyv[2 * x + 3] = (uint8_t)v;
            }
            pa_yuyv_to_rgb24_row(yuyv, rgb, 256);
            for (int y = 0; y < 256; y++) {
                uint8_t want[3];
                ref_px(y, u, v, want);
                compare_px(rgb + 3 * y, want, &st);
            }
        }
    }
    printf("YUYV over all 2^24 inputs: max diff %d, %ld of %ld channel values off by one\n", st.max,
           st.off_by_one, st.total);
    ASSERT_TRUE(st.max <= 1);
    ASSERT_LT(st.off_by_one, st.total / 1000); /* only near-ties at .5 may round the other way */
    /* Spot values: video black, video white, the 75% colour bars' pure red. */
    uint8_t p[4] = {16, 128, 16, 128}, o[6];
    pa_yuyv_to_rgb24_row(p, o, 2);
    ASSERT_EQ(o[0], 0);
    ASSERT_EQ(o[5], 0);
    p[0] = p[2] = 235;
    pa_yuyv_to_rgb24_row(p, o, 2);
    ASSERT_EQ(o[0], 255);
    ASSERT_EQ(o[4], 255);
}

/* Fill a random frame of format fmt with stride padding; return the buffer (pa_malloc). */
static uint8_t *random_frame(enum pa_rawfmt fmt, int w, int h, int stride, size_t *size)
{
    ASSERT_OK(pa_rawfmt_frame_size(fmt, w, h, stride, size));
    uint8_t *buf = pa_malloc(*size);
    ASSERT_TRUE(buf != NULL);
    for (size_t i = 0; i < *size; i++)
        buf[i] = rnd8();
    return buf;
}

/* Reference reader of one pixel, straight from the layout described in pixfmt.h. */
static void ref_frame_px(const struct pa_raw_frame *f, int x, int y, uint8_t out[3])
{
    size_t s = (size_t)f->stride, luma = s * (size_t)f->h, ch = ((size_t)f->h + 1) / 2;
    size_t cs = (s + 1) / 2;
    const uint8_t *d = f->data;
    int Y, U, V;
    switch (f->fmt) {
    case PA_RAWFMT_YUYV: {
        const uint8_t *pair = d + (size_t)y * s + 4 * (size_t)(x / 2);
        Y = pair[2 * (x & 1)];
        U = pair[1];
        V = pair[3];
        break;
    }
    case PA_RAWFMT_NV12:
        Y = d[(size_t)y * s + (size_t)x];
        U = d[luma + (size_t)(y / 2) * s + 2 * (size_t)(x / 2)];
        V = d[luma + (size_t)(y / 2) * s + 2 * (size_t)(x / 2) + 1];
        break;
    case PA_RAWFMT_I420:
        Y = d[(size_t)y * s + (size_t)x];
        U = d[luma + (size_t)(y / 2) * cs + (size_t)(x / 2)];
        V = d[luma + cs * ch + (size_t)(y / 2) * cs + (size_t)(x / 2)];
        break;
    default:
        PA__FAIL("bad format");
    }
    ref_px(Y, U, V, out);
}

static void check_format(enum pa_rawfmt fmt)
{
    static const int sizes[][3] = {
        /* w, h, extra stride bytes */
        {1, 1, 0}, {2, 2, 0}, {3, 5, 0}, {17, 9, 7}, {64, 3, 64}, {639, 11, 1}, {640, 8, 0},
    };
    for (size_t k = 0; k < PA_ARRAY_SIZE(sizes); k++) {
        int w = sizes[k][0], h = sizes[k][1];
        int min_stride = fmt == PA_RAWFMT_YUYV ? 4 * ((w + 1) / 2)
                                               : (fmt == PA_RAWFMT_NV12 ? 2 * ((w + 1) / 2) : w);
        int stride = min_stride + sizes[k][2];
        size_t size;
        uint8_t *buf = random_frame(fmt, w, h, stride, &size);
        struct pa_raw_frame f = {fmt, buf, size, w, h, stride};
        struct pa_image img;
        ASSERT_OK(pa_image_alloc(&img, w, h, PA_PIX_RGB24));
        ASSERT_OK(pa_rawfmt_to_rgb24(&f, &img, NULL));
        struct diff_stats st = {0};
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                uint8_t want[3];
                ref_frame_px(&f, x, y, want);
                compare_px(pa_image_px(&img, x, y), want, &st);
            }
        }
        if (st.max > 1)
            PA__FAIL("%s %dx%d stride %d: max diff %d", pa_rawfmt_name(fmt), w, h, stride, st.max);
        /* The last byte the layout allows must be enough: one byte less is refused. */
        f.size = size - 1;
        ASSERT_ERR(pa_rawfmt_to_rgb24(&f, &img, NULL), PA_EINVALDATA);
        pa_image_free(&img);
        pa_free(buf);
    }
}

PA_TEST(yuyv_odd_sizes_and_strides)
{
    check_format(PA_RAWFMT_YUYV);
}

PA_TEST(nv12_odd_sizes_and_strides)
{
    check_format(PA_RAWFMT_NV12);
}

PA_TEST(i420_odd_sizes_and_strides)
{
    check_format(PA_RAWFMT_I420);
}

PA_TEST(bad_arguments_are_refused)
{
    size_t size;
    ASSERT_ERR(pa_rawfmt_frame_size(PA_RAWFMT_YUYV, 4, 4, 7, &size), PA_EINVAL); /* < 2w */
    ASSERT_ERR(pa_rawfmt_frame_size(PA_RAWFMT_NV12, 0, 4, 8, &size), PA_EINVAL);
    ASSERT_OK(pa_rawfmt_frame_size(PA_RAWFMT_I420, 5, 3, 6, &size));
    ASSERT_EQ(size, 6 * 3 + 2 * 3 * 2); /* Y 6x3, U and V 3x2 each */
    uint8_t buf[64] = {0};
    struct pa_raw_frame f = {PA_RAWFMT_YUYV, buf, sizeof(buf), 4, 4, 8};
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, 4, 3, PA_PIX_RGB24));
    ASSERT_ERR(pa_rawfmt_to_rgb24(&f, &img, NULL), PA_EINVAL); /* size mismatch */
    f.h = 3;
    ASSERT_OK(pa_rawfmt_to_rgb24_rows(&f, &img, 1, 3));
    ASSERT_ERR(pa_rawfmt_to_rgb24_rows(&f, &img, 2, 4), PA_EINVAL);
    f.fmt = PA_RAWFMT_MJPEG;
    ASSERT_ERR(pa_rawfmt_to_rgb24(&f, &img, NULL), PA_EUNSUPPORTED);
    pa_image_free(&img);
    ASSERT_EQ(pa_rawfmt_from_fourcc(pa_rawfmt_fourcc(PA_RAWFMT_NV12)), PA_RAWFMT_NV12);
    ASSERT_EQ(pa_rawfmt_from_fourcc(0x47504a4d /* "MJPG" */), PA_RAWFMT_MJPEG);
    ASSERT_EQ(pa_rawfmt_from_fourcc(0x34363248 /* "H264" */), -1);
    ASSERT_TRUE(strcmp(pa_rawfmt_name(PA_RAWFMT_I420), "I420") == 0);
}

PA_TEST(parallel_slices_equal_serial)
{
    const int w = 1280, h = 720;
    static const enum pa_rawfmt fmts[] = {PA_RAWFMT_YUYV, PA_RAWFMT_NV12, PA_RAWFMT_I420};
    struct pa_parallel *par;
    ASSERT_OK(pa_parallel_create(&par, 2));
    for (size_t k = 0; k < PA_ARRAY_SIZE(fmts); k++) {
        int stride = fmts[k] == PA_RAWFMT_YUYV ? 2 * w : w;
        size_t size;
        uint8_t *buf = random_frame(fmts[k], w, h, stride, &size);
        struct pa_raw_frame f = {fmts[k], buf, size, w, h, stride};
        struct pa_image a, b;
        ASSERT_OK(pa_image_alloc(&a, w, h, PA_PIX_RGB24));
        ASSERT_OK(pa_image_alloc(&b, w, h, PA_PIX_RGB24));
        ASSERT_OK(pa_rawfmt_to_rgb24(&f, &a, NULL));
        uint64_t allocs = pa_mem_alloc_count();
        ASSERT_OK(pa_rawfmt_to_rgb24(&f, &b, par));
        ASSERT_EQ(pa_mem_alloc_count(), allocs);
        for (int y = 0; y < h; y++)
            ASSERT_TRUE(memcmp(pa_image_px(&a, 0, y), pa_image_px(&b, 0, y), 3 * (size_t)w) == 0);
        pa_image_free(&a);
        pa_image_free(&b);
        pa_free(buf);
    }
    pa_parallel_destroy(par);
}

PA_TEST(round_trip_through_loopback_yuyv)
{
    /* RGB → YUYV (io/v4l2_util.c, the virtual-camera path) → RGB: both ends agree on BT.601
     * limited range. Pixel pairs share a colour so chroma subsampling loses nothing; what is
     * left is 8-bit quantisation of Y and CbCr (up to ~2 levels per channel). */
    uint8_t rgb[6], yuyv[4], back[6];
    int max = 0;
    for (int i = 0; i < 20000; i++) {
        rgb[0] = rgb[3] = rnd8();
        rgb[1] = rgb[4] = rnd8();
        rgb[2] = rgb[5] = rnd8();
        pa_v4l2_rgb24_to_yuyv_row(rgb, yuyv, 2);
        pa_yuyv_to_rgb24_row(yuyv, back, 2);
        for (int c = 0; c < 6; c++)
            max = PA_MAX(max, abs(back[c] - rgb[c]));
    }
    printf("RGB -> YUYV -> RGB: max error %d levels\n", max);
    ASSERT_TRUE(max <= 3);
}

/* Encode like an MJPEG webcam: baseline, 4:2:0, the standard (Annex K) Huffman tables. */
static size_t encode_standard_jpeg(const struct pa_image *img, unsigned char **out)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    unsigned long n = 0;
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, out, &n);
    ci.image_width = (JDIMENSION)img->w;
    ci.image_height = (JDIMENSION)img->h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 85, TRUE);
    ci.optimize_coding = FALSE;
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = pa_image_px(img, 0, (int)ci.next_scanline);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    return (size_t)n;
}

/* Remove every DHT segment before SOS; returns the new size. */
static size_t strip_dht(uint8_t *b, size_t n)
{
    size_t pos = 2;
    while (pos + 4 <= n && b[pos] == 0xff && b[pos + 1] != 0xda) {
        size_t len = (size_t)b[pos + 2] << 8 | b[pos + 3];
        if (b[pos + 1] == 0xc4) {
            memmove(b + pos, b + pos + 2 + len, n - pos - 2 - len);
            n -= 2 + len;
        } else {
            pos += 2 + len;
        }
    }
    return n;
}

static void decode_equal(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    struct pa_image ia, ib;
    ASSERT_OK(pa_image_decode(&ia, a, na, "original"));
    ASSERT_OK(pa_image_decode(&ib, b, nb, "fixed"));
    ASSERT_EQ(ia.w, ib.w);
    ASSERT_EQ(ia.h, ib.h);
    for (int y = 0; y < ia.h; y++)
        ASSERT_TRUE(memcmp(pa_image_px(&ia, 0, y), pa_image_px(&ib, 0, y), 3 * (size_t)ia.w) == 0);
    pa_image_free(&ia);
    pa_image_free(&ib);
}

PA_TEST(mjpeg_default_huffman_tables)
{
    struct pa_image src;
    ASSERT_OK(pa_image_load(&src, pa_test_shared("testdata/source/lp_s42.jpg")));
    unsigned char *jpg = NULL;
    size_t n = encode_standard_jpeg(&src, &jpg);
    ASSERT_TRUE(n > 1000);
    ASSERT_EQ(pa_mjpeg_needs_dht(jpg, n), 0);

    uint8_t *stripped = pa_malloc(n);
    memcpy(stripped, jpg, n);
    size_t ns = strip_dht(stripped, n);
    /* libjpeg writes the four tables as four DHT segments (marker, length, class/id, 16 counts,
     * values each). */
    ASSERT_EQ(n - ns, 4 * (2 + 2 + 1 + 16) + 2 * 12 + 2 * 162);
    ASSERT_EQ(pa_mjpeg_needs_dht(stripped, ns), 1);
    struct pa_image tmp;
    int plain = pa_image_decode(&tmp, stripped, ns, "stripped (decoder's own fallback)");
    printf("this libjpeg %s frames without DHT by itself\n", plain == 0 ? "decodes" : "refuses");
    pa_image_free(&tmp);

    size_t cap = ns + PA_MJPEG_DHT_BYTES, nf;
    uint8_t *fixed = pa_malloc(cap);
    ASSERT_ERR(pa_mjpeg_insert_dht(stripped, ns, fixed, cap - 1, &nf), PA_EOVERFLOW);
    ASSERT_OK(pa_mjpeg_insert_dht(stripped, ns, fixed, cap, &nf));
    ASSERT_EQ(nf, ns + PA_MJPEG_DHT_BYTES);
    ASSERT_EQ(pa_mjpeg_needs_dht(fixed, nf), 0);
    decode_equal(jpg, n, fixed, nf);

    /* A JPEG with its own (optimised) tables, as pa_image_save writes, passes unchanged. */
    const char *path = pa_test_tmp("opt.jpg");
    ASSERT_OK(pa_image_save(&src, path, 90));
    FILE *f = fopen(path, "rb");
    ASSERT_TRUE(f != NULL);
    static uint8_t saved[1 << 20], copy[(1 << 20) + PA_MJPEG_DHT_BYTES];
    size_t nsaved = fread(saved, 1, sizeof(saved), f);
    fclose(f);
    ASSERT_TRUE(nsaved > 0 && nsaved < sizeof(saved));
    ASSERT_EQ(pa_mjpeg_needs_dht(saved, nsaved), 0);
    ASSERT_OK(pa_mjpeg_insert_dht(saved, nsaved, copy, sizeof(copy), &nf));
    ASSERT_EQ(nf, nsaved);
    ASSERT_TRUE(memcmp(saved, copy, nsaved) == 0);

    /* Untrusted bytes: garbage, a header cut short, a segment length past the end. */
    static const uint8_t junk[] = {0x89, 'P', 'N', 'G', 0, 0};
    ASSERT_ERR(pa_mjpeg_needs_dht(junk, sizeof(junk)), PA_EINVALDATA);
    ASSERT_ERR(pa_mjpeg_needs_dht(stripped, 20), PA_EINVALDATA);
    stripped[4] = 0xff; /* APP0 length → 65xxx */
    ASSERT_ERR(pa_mjpeg_insert_dht(stripped, ns, fixed, cap, &nf), PA_EINVALDATA);
    size_t sos = 2;
    while (sos + 1 < n && !(jpg[sos] == 0xff && jpg[sos + 1] == 0xda))
        sos++;
    for (size_t cut = 0; cut < sos + 2; cut++) /* every cut before the SOS marker fails */
        ASSERT_ERR(pa_mjpeg_needs_dht(jpg, cut), PA_EINVALDATA);
    ASSERT_EQ(pa_mjpeg_needs_dht(jpg, sos + 2), 0);

    pa_free(fixed);
    pa_free(stripped);
    free(jpg);
    pa_image_free(&src);
}

PA_TEST(yuyv_720p_speed)
{
    /* Informational: 1280x720 YUYV → RGB24 on one thread (no assertion on time). */
    const int w = 1280, h = 720;
    size_t size;
    uint8_t *buf = random_frame(PA_RAWFMT_YUYV, w, h, 2 * w, &size);
    struct pa_raw_frame f = {PA_RAWFMT_YUYV, buf, size, w, h, 2 * w};
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, w, h, PA_PIX_RGB24));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int runs = 20;
    for (int i = 0; i < runs; i++)
        ASSERT_OK(pa_rawfmt_to_rgb24(&f, &img, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    printf("1280x720 YUYV -> RGB24: %.2f ms per frame (this build's flags)\n", ms / runs);
    pa_image_free(&img);
    pa_free(buf);
}

PA_TEST_MAIN()

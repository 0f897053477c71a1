/** @file
 * Camera frame conversion (core/pixfmt.c): 1280x720 and 1920x1080 YUYV / NV12 / I420 →
 * RGB24 on one thread and on a 2-thread pool, and a 1280x720 MJPEG frame without Huffman
 * tables (table insertion + pa_image_decode), the per-frame cost of each capture format.
 * For each case: one warm-up call, then calls until the time budget is spent (at least 5);
 * prints min, median and p95 ms per call, megapixels per second (at the median) and
 * pa_malloc calls per call.
 *
 * Usage: bench_pixfmt [seconds_per_case]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>

#include "core/image.h"
#include "core/mem.h"
#include "core/pixfmt.h"
#include "panim.h"

#include "bench_util.h"

#define MAX_RUNS 20000

typedef int (*bench_fn)(void *ctx);

static double g_budget_ms = 1000;

static int run_case(const char *name, double mpix, bench_fn fn, void *ctx)
{
    static double t[MAX_RUNS];
    double allocs;
    int n = bench_sample(fn, ctx, g_budget_ms, t, MAX_RUNS, &allocs);
    if (n < 0) {
        fprintf(stderr, "%s: failed\n", name);
        return -1;
    }
    double med = t[n / 2], p95 = t[(int)ceil(0.95 * n) - 1];
    /* The minimum too: on a loaded machine it is the closest to the undisturbed cost. */
    printf("%-32s %6d runs  min %7.3f  median %7.3f  p95 %7.3f ms  %6.1f Mpix/s  %3.1f allocs\n",
           name, n, t[0], med, p95, mpix / (med / 1e3), allocs);
    return 0;
}

struct conv_ctx {
    struct pa_raw_frame raw;
    struct pa_image *dst;
    struct pa_parallel *par;
};

static int do_convert(void *p)
{
    struct conv_ctx *c = p;
    return pa_rawfmt_to_rgb24(&c->raw, c->dst, c->par);
}

struct mjpeg_ctx {
    const uint8_t *jpeg;
    size_t size;
    uint8_t *scratch;
    size_t cap;
    struct pa_image *dst;
};

static int do_mjpeg(void *p)
{
    struct mjpeg_ctx *c = p;
    size_t n;
    struct pa_image img;
    int ret = pa_mjpeg_insert_dht(c->jpeg, c->size, c->scratch, c->cap, &n);
    if (ret >= 0)
        ret = pa_image_decode(&img, c->scratch, n, "bench");
    if (ret >= 0) {
        ret = pa_image_copy(c->dst, &img);
        pa_image_free(&img);
    }
    return ret;
}

/* A smooth 4:2:2 camera-like frame (JPEG-compressible, unlike noise). */
static void fill_frame(uint8_t *buf, size_t size, int w)
{
    for (size_t i = 0; i < size; i++) {
        size_t x = i % (size_t)(2 * w), y = i / (size_t)(2 * w);
        buf[i] = (uint8_t)(i & 1 ? 96 + (x / 2 + y) % 64 : 16 + (x / 2 + y) % 200);
    }
}

static size_t encode_mjpeg(const struct pa_image *img, unsigned char **out)
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
    jpeg_set_quality(&ci, 80, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = pa_image_px(img, 0, (int)ci.next_scanline);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    /* Drop the DHT segments, as UVC cameras do. */
    size_t pos = 2, len = n;
    unsigned char *b = *out;
    while (pos + 4 <= len && b[pos] == 0xff && b[pos + 1] != 0xda) {
        size_t seg = 2 + ((size_t)b[pos + 2] << 8 | b[pos + 3]);
        if (b[pos + 1] == 0xc4) {
            memmove(b + pos, b + pos + seg, len - pos - seg);
            len -= seg;
        } else {
            pos += seg;
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_budget_ms = atof(argv[1]) * 1e3;
    struct pa_parallel *par2 = NULL;
    if (pa_parallel_create(&par2, 2) < 0)
        return 1;
    static const int sizes[2][2] = {{1280, 720}, {1920, 1080}};
    static const enum pa_rawfmt fmts[] = {PA_RAWFMT_YUYV, PA_RAWFMT_NV12, PA_RAWFMT_I420};
    int status = 0;
    for (int s = 0; s < 2; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        struct pa_image dst;
        if (pa_image_alloc(&dst, w, h, PA_PIX_RGB24) < 0)
            return 1;
        for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
            int stride = fmts[f] == PA_RAWFMT_YUYV ? 2 * w : w;
            size_t size;
            pa_rawfmt_frame_size(fmts[f], w, h, stride, &size);
            uint8_t *buf = pa_malloc(size);
            fill_frame(buf, size, w);
            struct conv_ctx c = {{fmts[f], buf, size, w, h, stride}, &dst, NULL};
            for (int threads = 1; threads <= 2; threads++) {
                char name[64];
                snprintf(name, sizeof(name), "%dx%d %s -> RGB24, %d thr", w, h,
                         pa_rawfmt_name(fmts[f]), threads);
                c.par = threads == 2 ? par2 : NULL;
                status |= run_case(name, (double)w * h / 1e6, do_convert, &c);
            }
            if (s == 0 && fmts[f] == PA_RAWFMT_YUYV) {
                /* The same picture as a DHT-less MJPEG frame. */
                unsigned char *jpg = NULL;
                do_convert(&c);
                size_t n = encode_mjpeg(&dst, &jpg);
                struct mjpeg_ctx m = {jpg, n, pa_malloc(n + PA_MJPEG_DHT_BYTES),
                                      n + PA_MJPEG_DHT_BYTES, &dst};
                char name[64];
                snprintf(name, sizeof(name), "%dx%d MJPEG (%zu KiB) -> RGB24", w, h, n / 1024);
                status |= run_case(name, (double)w * h / 1e6, do_mjpeg, &m);
                pa_free(m.scratch);
                free(jpg);
            }
            pa_free(buf);
        }
        pa_image_free(&dst);
    }
    pa_parallel_destroy(par2);
    return status ? 1 : 0;
}

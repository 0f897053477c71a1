/** @file
 * Shared helpers of the output tests (test_outputs.c, test_out_mjpeg.c): a synthetic moving
 * pattern that carries its frame index in two flat 16×16 grey blocks (so a decoded frame
 * tells which pattern to compare it with), PSNR, clocks, and capturing what the library logs.
 */
#ifndef PA_TEST_OUT_TEST_UTIL_H
#define PA_TEST_OUT_TEST_UTIL_H

#include <fcntl.h>
#include <time.h>

#include "pa_test.h"

#include "io/output.h"

#define W 320
#define H 240

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 0..159..0 triangle wave: a moving gradient without hard wrap-around edges. */
static inline int tri(int v)
{
    v %= 320;
    return v < 160 ? v : 319 - v;
}

/* Moving gradient + a moving bright square; frame index i (0..255) in two grey blocks. */
static inline void make_pattern(struct pa_image *img, int i)
{
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = img->data + (size_t)y * (size_t)img->stride;
        for (int x = 0; x < img->w; x++, p += 3) {
            p[0] = (uint8_t)(40 + tri(x + 3 * i));
            p[1] = (uint8_t)(40 + tri(y * 2 + i));
            p[2] = (uint8_t)(200 - (x + y) / 4);
            int sx = 60 + 4 * i % 200, sy = 80 + 2 * i % 100;
            if (x >= sx && x < sx + 40 && y >= sy && y < sy + 40)
                p[0] = p[1] = p[2] = 235;
        }
    }
    for (int b = 0; b < 2; b++) {
        int v = 16 * ((b ? i : i >> 4) & 15) + 8;
        for (int y = 0; y < 16; y++)
            memset(img->data + (size_t)y * (size_t)img->stride + (size_t)b * 48, v, 48);
    }
}

/* The index a decoded frame carries (from the centre of its two grey blocks). */
static inline int pattern_index(const struct pa_image *img)
{
    int d[2];
    for (int b = 0; b < 2; b++) {
        const uint8_t *p = img->data + (size_t)8 * (size_t)img->stride + (size_t)(b * 16 + 8) * 3;
        d[b] = p[1] / 16; /* 0..15: the block value is 16 k + 8 */
    }
    return d[0] * 16 + d[1];
}

static inline double psnr(const struct pa_image *a, const struct pa_image *b)
{
    double se = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w * 3; x++) {
            double d = (double)a->data[(size_t)y * (size_t)a->stride + (size_t)x] -
                       (double)b->data[(size_t)y * (size_t)b->stride + (size_t)x];
            se += d * d;
        }
    se /= (double)a->w * a->h * 3;
    return se <= 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / se);
}

/* Capture what the library logs to stderr during a call. */
static int saved_fd = -1;
static inline const char *log_path(void)
{
    return pa_test_tmp("stderr.txt");
}
static inline void capture_begin(void)
{
    fflush(stderr);
    saved_fd = dup(2);
    int fd = open(log_path(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
}
static inline char *capture_end(void)
{
    static char text[8192];
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    FILE *f = fopen(log_path(), "rb");
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    fputs(text, stderr); /* still show it in the test log */
    return text;
}

static inline struct pa_output_params params(void)
{
    return (struct pa_output_params){.width = W, .height = H, .fps = 30};
}

#endif /* PA_TEST_OUT_TEST_UTIL_H */

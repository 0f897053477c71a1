/** @file
 * Paste-back compositor and mask helpers (feather = repeated box blur, erode = running
 * minimum).
 *
 * Algorithm digest.
 *  - Paste. With crop_to_frame = [A | t], a frame pixel centre p maps to the crop point
 *    q = A^-1 (p - t). Along a frame row q moves by the first column of A^-1 per pixel, so
 *    each row gets a conservative x range from the four half-planes 0 <= q < (cw, ch)
 *    (double, one pixel of margin) and then an exact per-pixel float test, the same one
 *    that positions the sample: a pixel is in the footprint iff its computed q is inside.
 *    The crop and the mask are sampled at q - 0.5 (index space) with 1/2048-pixel integer
 *    bilinear weights, clamped to the crop edges; the blend is
 *    out = round((c m + f (255 - m)) / 255), exact at m = 0 and m = 255.
 *  - Feather. A box filter of width k = 2r + 1 applied three times has a piecewise
 *    quadratic kernel close to a Gaussian of variance 3 (k^2 - 1) / 12 = r (r + 1)
 *    (Wells 1986). Each pass keeps a running sum (O(1) per pixel); vertical passes keep
 *    one sum per column and walk rows, so memory access stays sequential.
 *  - Erode. Minimum over a window of k uses van Herk / Gil-Werman: with blocks of k
 *    samples, g = running min from each block start, h = running min to each block end;
 *    min(x[a..a+k-1]) = min(h[a], g[a+k-1]). Windows that leave the mask give 0.
 */
#include "composite.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "panim.h"

#define SAMPLE_BITS 11
#define SAMPLE_ONE (1 << SAMPLE_BITS)
#define WEIGHT_SHIFT (2 * SAMPLE_BITS)
#define MIN_BAND_ROWS 16
#define MAX_RADIUS 65536

/* ------------------------------------------------------------------------------------------ */
/* Paste                                                                                       */
/* ------------------------------------------------------------------------------------------ */

struct paste_call {
    struct pa_image *frame;
    const struct pa_image *crop;
    const uint8_t *mask;
    size_t mask_stride;
    double inv[6]; ///< frame pixel coordinates -> crop pixel coordinates
    int y0, y1;    ///< frame rows that may intersect the footprint
};

/* round(t / 255) for t in [0, 255 * 255]. */
static inline int div255(int t)
{
    t += 128;
    return (t + (t >> 8)) >> 8;
}

/* Conservative [lo, hi) of row positions x where 0 <= q0 + dq x < n, widened by a pixel. */
static void axis_range(double q0, double dq, double n, double *lo, double *hi)
{
    if (dq == 0.0) {
        if (!(q0 >= -1.0 && q0 <= n + 1.0))
            *lo = 1.0, *hi = 0.0;
        return;
    }
    double a = -q0 / dq, b = (n - q0) / dq;
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    *lo = fmax(*lo, a - 1.0);
    *hi = fmin(*hi, b + 1.0);
}

static void paste_row(const struct paste_call *c, int y)
{
    const struct pa_image *crop = c->crop;
    const int cw = crop->w, ch = crop->h;
    const double yc = y + 0.5;
    const double qx0 = c->inv[0] * 0.5 + c->inv[1] * yc + c->inv[2];
    const double qy0 = c->inv[3] * 0.5 + c->inv[4] * yc + c->inv[5];
    double lo = 0.0, hi = (double)c->frame->w;
    axis_range(qx0, c->inv[0], cw, &lo, &hi);
    axis_range(qy0, c->inv[3], ch, &lo, &hi);
    if (!(lo < hi))
        return;
    const int xa = (int)fmax(ceil(lo), 0.0), xb = (int)fmin(floor(hi) + 1.0, c->frame->w);
    // Per-pixel positions are float q0 + x dq, identical whatever the span bounds are.
    const float fqx = (float)qx0, fqy = (float)qy0;
    const float dqx = (float)c->inv[0], dqy = (float)c->inv[3];
    const float fcw = (float)cw, fch = (float)ch, umax = (float)(cw - 1), vmax = (float)(ch - 1);
    const uint8_t *cdata = crop->data, *mdata = c->mask;
    const size_t cstride = (size_t)crop->stride, mstride = c->mask_stride;
    uint8_t *out = c->frame->data + (size_t)y * (size_t)c->frame->stride;
    for (int x = xa; x < xb; x++) {
        float qx = fqx + (float)x * dqx, qy = fqy + (float)x * dqy;
        if (!(qx >= 0.0f && qx < fcw && qy >= 0.0f && qy < fch))
            continue;
        float u = qx - 0.5f, v = qy - 0.5f;
        u = u > 0.0f ? u : 0.0f;
        u = u < umax ? u : umax;
        v = v > 0.0f ? v : 0.0f;
        v = v < vmax ? v : vmax;
        int iu = (int)(u * (float)SAMPLE_ONE + 0.5f), iv = (int)(v * (float)SAMPLE_ONE + 0.5f);
        int j = iu >> SAMPLE_BITS, i = iv >> SAMPLE_BITS;
        int fu = iu & (SAMPLE_ONE - 1), fv = iv & (SAMPLE_ONE - 1);
        int w00 = (SAMPLE_ONE - fu) * (SAMPLE_ONE - fv), w01 = fu * (SAMPLE_ONE - fv);
        int w10 = (SAMPLE_ONE - fu) * fv, w11 = fu * fv;
        int dj = j < cw - 1, next_row = i < ch - 1;
        int m = 255;
        if (mdata) {
            const uint8_t *m0 = mdata + (size_t)i * mstride + (size_t)j;
            const uint8_t *m1 = next_row ? m0 + mstride : m0;
            int acc = w00 * m0[0] + w01 * m0[dj] + w10 * m1[0] + w11 * m1[dj];
            m = (acc + (1 << (WEIGHT_SHIFT - 1))) >> WEIGHT_SHIFT;
            if (m == 0)
                continue;
        }
        const uint8_t *p0 = cdata + (size_t)i * cstride + (size_t)j * 3;
        const uint8_t *p1 = next_row ? p0 + cstride : p0;
        const int d3 = dj * 3;
        uint8_t *o = out + (size_t)x * 3;
        for (int k = 0; k < 3; k++) {
            int acc = w00 * p0[k] + w01 * p0[k + d3] + w10 * p1[k] + w11 * p1[k + d3];
            int cv = (acc + (1 << (WEIGHT_SHIFT - 1))) >> WEIGHT_SHIFT;
            o[k] = (uint8_t)(m == 255 ? cv : div255(cv * m + o[k] * (255 - m)));
        }
    }
}

static void paste_job(void *ctx, int job, int n_jobs)
{
    const struct paste_call *c = ctx;
    int rows = c->y1 - c->y0;
    int ya = c->y0 + (int)((int64_t)rows * job / n_jobs);
    int yb = c->y0 + (int)((int64_t)rows * (job + 1) / n_jobs);
    for (int y = ya; y < yb; y++)
        paste_row(c, y);
}

/* Invert the 2x3 placement; @return 0, or PA_EINVAL when non-finite or singular. */
static int invert_placement(const float m[6], double inv[6])
{
    for (int i = 0; i < 6; i++) {
        if (!isfinite(m[i]))
            return PA_EINVAL;
    }
    double a = m[0], b = m[1], cc = m[3], d = m[4];
    double det = a * d - b * cc;
    if (!isfinite(det) || fabs(det) < 1e-12)
        return PA_EINVAL;
    inv[0] = d / det;
    inv[1] = -b / det;
    inv[3] = -cc / det;
    inv[4] = a / det;
    inv[2] = -(inv[0] * m[2] + inv[1] * m[5]);
    inv[5] = -(inv[3] * m[2] + inv[4] * m[5]);
    return 0;
}

int pa_composite_paste(struct pa_image *frame, const struct pa_image *crop,
                       const uint8_t *mask, int mask_stride, const float crop_to_frame[6],
                       struct pa_parallel *par)
{
    if (!frame || !crop || !crop_to_frame || !frame->data || !crop->data ||
        frame->fmt != PA_PIX_RGB24 || crop->fmt != PA_PIX_RGB24 || frame->w <= 0 ||
        frame->h <= 0 || crop->w <= 0 || crop->h <= 0 || crop->w > (1 << 19) ||
        crop->h > (1 << 19) || (mask && mask_stride < crop->w)) {
        pa_log_error("animate", "paste: needs RGB24 frame and crop, mask stride >= crop width");
        return PA_EINVAL;
    }
    struct paste_call c = {frame, crop, mask, mask ? (size_t)mask_stride : 0, {0}, 0, 0};
    if (invert_placement(crop_to_frame, c.inv) < 0) {
        pa_log_error("animate", "paste: placement matrix is singular or not finite");
        return PA_EINVAL;
    }
    // Rows the footprint can reach: the crop's corners in frame space, plus a pixel.
    const float *m = crop_to_frame;
    double ymin = INFINITY, ymax = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double cx = (k & 1) ? crop->w : 0, cy = (k & 2) ? crop->h : 0;
        double fy = (double)m[3] * cx + (double)m[4] * cy + (double)m[5];
        ymin = fmin(ymin, fy);
        ymax = fmax(ymax, fy);
    }
    c.y0 = (int)fmax(floor(ymin) - 1.0, 0.0);
    c.y1 = (int)fmin(ceil(ymax) + 1.0, frame->h);
    if (c.y0 >= c.y1)
        return 0;
    int threads = pa_parallel_threads(par);
    int n_jobs = threads > 1 ? threads * 4 : 1;
    n_jobs = PA_MAX(1, PA_MIN(n_jobs, (c.y1 - c.y0) / MIN_BAND_ROWS));
    pa_parallel_for(par, paste_job, &c, n_jobs);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Mask helpers                                                                                */
/* ------------------------------------------------------------------------------------------ */

size_t pa_mask_scratch_size(int w, int h)
{
    size_t img, line, total;
    if (w <= 0 || h <= 0 || pa_size_mul((size_t)w, (size_t)h, &img) < 0 ||
        pa_size_mul((size_t)w, 3 + sizeof(uint32_t), &line) < 0 ||
        pa_size_add(img, line, &total) < 0 || pa_size_add(total, 64, &total) < 0)
        return 0;
    return total;
}

/** Scratch layout: a w*h image, a uint32 per column, three w-byte lines. */
struct mask_scratch {
    uint8_t *img;
    uint32_t *sum;
    uint8_t *line[3];
};

static struct mask_scratch split_scratch(uint8_t *scratch, int w, int h)
{
    struct mask_scratch s;
    s.img = scratch;
    uintptr_t p = (uintptr_t)(scratch + (size_t)w * (size_t)h);
    p = (p + 15) & ~(uintptr_t)15;
    s.sum = (uint32_t *)p;
    s.line[0] = (uint8_t *)(s.sum + w);
    s.line[1] = s.line[0] + w;
    s.line[2] = s.line[1] + w;
    return s;
}

/* One box pass along a row: out[x] = round(sum in[x-r..x+r] / k), outside = 0. */
static void box_row(const uint8_t *in, uint8_t *out, int n, int r, float inv_k)
{
    uint32_t sum = 0;
    for (int x = 0; x < PA_MIN(r, n - 1) + 1; x++)
        sum += in[x];
    for (int x = 0; x < n; x++) {
        out[x] = (uint8_t)((float)sum * inv_k + 0.5f);
        if (x + r + 1 < n)
            sum += in[x + r + 1];
        if (x - r >= 0)
            sum -= in[x - r];
    }
}

/* One box pass along columns, all columns at once with a running sum per column. */
static void box_cols(const uint8_t *in, size_t in_stride, uint8_t *out, size_t out_stride,
                     int w, int h, int r, float inv_k, uint32_t *sum)
{
    memset(sum, 0, (size_t)w * sizeof(*sum));
    for (int y = 0; y < PA_MIN(r, h - 1) + 1; y++) {
        const uint8_t *row = in + (size_t)y * in_stride;
        for (int x = 0; x < w; x++)
            sum[x] += row[x];
    }
    for (int y = 0; y < h; y++) {
        uint8_t *o = out + (size_t)y * out_stride;
        for (int x = 0; x < w; x++)
            o[x] = (uint8_t)((float)sum[x] * inv_k + 0.5f);
        if (y + r + 1 < h) {
            const uint8_t *add = in + (size_t)(y + r + 1) * in_stride;
            for (int x = 0; x < w; x++)
                sum[x] += add[x];
        }
        if (y - r >= 0) {
            const uint8_t *sub = in + (size_t)(y - r) * in_stride;
            for (int x = 0; x < w; x++)
                sum[x] -= sub[x];
        }
    }
}

void pa_mask_feather(uint8_t *mask, int w, int h, int stride, int radius, uint8_t *scratch)
{
    if (radius <= 0 || w <= 0 || h <= 0)
        return;
    PA_ASSERT(mask && scratch && stride >= w);
    const int r = PA_MIN(radius, MAX_RADIUS);
    const float inv_k = 1.0f / (float)(2 * r + 1);
    struct mask_scratch s = split_scratch(scratch, w, h);
    for (int y = 0; y < h; y++) {
        uint8_t *row = mask + (size_t)y * (size_t)stride;
        box_row(row, s.line[0], w, r, inv_k);
        box_row(s.line[0], s.line[1], w, r, inv_k);
        box_row(s.line[1], row, w, r, inv_k);
    }
    const size_t ms = (size_t)stride, ws = (size_t)w;
    box_cols(mask, ms, s.img, ws, w, h, r, inv_k, s.sum);
    box_cols(s.img, ws, mask, ms, w, h, r, inv_k, s.sum);
    box_cols(mask, ms, s.img, ws, w, h, r, inv_k, s.sum);
    for (int y = 0; y < h; y++)
        memcpy(mask + (size_t)y * ms, s.img + (size_t)y * ws, ws);
}

/* Running-min erosion of one row (van Herk / Gil-Werman), outside = 0. */
static void erode_row(uint8_t *row, int n, int r, uint8_t *g, uint8_t *hh)
{
    const int k = 2 * r + 1;
    for (int x = 0; x < n; x++)
        g[x] = (x % k == 0) ? row[x] : PA_MIN(g[x - 1], row[x]);
    for (int x = n - 1; x >= 0; x--)
        hh[x] = (x == n - 1 || (x + 1) % k == 0) ? row[x] : PA_MIN(hh[x + 1], row[x]);
    for (int x = 0; x < n; x++)
        row[x] = (x < r || x + r >= n) ? 0 : PA_MIN(hh[x - r], g[x + r]);
}

/* Column erosion: g rows go to scratch, h is rolled backward in one line, and each
 * output row is written once its input row has been consumed. */
static void erode_cols(uint8_t *mask, size_t ms, int w, int h, int r, const struct mask_scratch *s)
{
    const int k = 2 * r + 1;
    for (int y = 0; y < h; y++) {
        const uint8_t *in = mask + (size_t)y * ms;
        uint8_t *g = s->img + (size_t)y * (size_t)w;
        if (y % k == 0) {
            memcpy(g, in, (size_t)w);
            continue;
        }
        const uint8_t *gp = g - w;
        for (int x = 0; x < w; x++)
            g[x] = PA_MIN(gp[x], in[x]);
    }
    uint8_t *hl = s->line[0];
    for (int a = h - 1; a >= 0; a--) {
        const uint8_t *in = mask + (size_t)a * ms;
        int restart = a == h - 1 || (a + 1) % k == 0;
        for (int x = 0; x < w; x++)
            hl[x] = restart ? in[x] : PA_MIN(hl[x], in[x]);
        // Row a + r is the centre of the window [a, a + 2r]; rows a+1.. were consumed.
        if (a + 2 * r < h) {
            uint8_t *o = mask + (size_t)(a + r) * ms;
            const uint8_t *g = s->img + (size_t)(a + 2 * r) * (size_t)w;
            for (int x = 0; x < w; x++)
                o[x] = PA_MIN(hl[x], g[x]);
        }
    }
    for (int y = 0; y < h; y++) {
        if (y < r || y >= h - r)
            memset(mask + (size_t)y * ms, 0, (size_t)w);
    }
}

void pa_mask_erode(uint8_t *mask, int w, int h, int stride, int radius, uint8_t *scratch)
{
    if (radius <= 0 || w <= 0 || h <= 0)
        return;
    PA_ASSERT(mask && scratch && stride >= w);
    const int r = PA_MIN(radius, MAX_RADIUS);
    struct mask_scratch s = split_scratch(scratch, w, h);
    for (int y = 0; y < h; y++)
        erode_row(mask + (size_t)y * (size_t)stride, w, r, s.line[0], s.line[1]);
    erode_cols(mask, (size_t)stride, w, h, r, &s);
}

/** @file
 * Paste-back compositor and mask helpers (feather = repeated box blur, erode = running
 * minimum).
 *
 * Algorithm digest.
 *  - Paste. With crop_to_frame = [A | t], a frame pixel centre p maps to the crop point
 *    q = A^-1 (p - t). Along a frame row q moves by the first column of A^-1 per pixel, so
 *    each row's positions are P0 + x dP in 16.16 fixed point (index space), and the
 *    footprint is exactly the x range where -0.5 <= P < n - 0.5 on both axes (integer
 *    floor divisions). Inside it, a sub-range whose bilinear taps all lie inside the crop
 *    takes the SSE2 path without clamping; the ends clamp. An integer translation copies
 *    whole pixels. Crop and mask are sampled at q - 0.5 (index space) with 8-bit bilinear
 *    fractions (animate/bilinear.h), clamped to the crop edges; the blend is
 *    out = round((c m + f (255 - m)) / 255), exact at m = 0 and m = 255, and pixels whose
 *    mask sample is 0 are not written at all.
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

#include "animate/bilinear.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "panim.h"

#define MIN_BAND_ROWS 16
#define MAX_RADIUS 65536
/* Crop sides and the per-pixel inverse step are bounded so that 16.16 positions over a
 * whole frame row stay far inside int64 and sample positions inside int32. */
#define MAX_CROP_DIM 16384
#define MAX_FRAME_DIM 65536
#define MAX_INV_STEP 4096.0

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

/* floor(a / b) for b > 0. */
static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Intersect [*lo, *hi) with the x where 0 <= a0 + x d < L (exact integer arithmetic). */
static void lin_range(int64_t a0, int64_t d, int64_t L, int64_t *lo, int64_t *hi)
{
    if (d == 0) {
        if (a0 < 0 || a0 >= L)
            *hi = *lo;
        return;
    }
    int64_t first, last; // inclusive
    if (d > 0) {
        first = -floor_div(a0, d); // ceil(-a0 / d)
        last = floor_div(L - 1 - a0, d);
    } else {
        first = -floor_div(L - 1 - a0, -d); // ceil((a0 - L + 1) / -d)
        last = floor_div(a0, -d);
    }
    *lo = PA_MAX(*lo, first);
    *hi = PA_MIN(*hi, last + 1);
    if (*hi < *lo)
        *hi = *lo;
}

/* Bilinear mask value at a clamped fixed-point index position (8-bit fractions). */
static inline int mask_sample(const uint8_t *mask, size_t stride, int w, int h, int32_t u,
                              int32_t v)
{
    int j = u >> PA_BILIN_FRAC, i = v >> PA_BILIN_FRAC;
    int fu = (u >> 8) & 255, fv = (v >> 8) & 255;
    const uint8_t *m0 = mask + (size_t)i * stride + (size_t)j;
    const uint8_t *m1 = i < h - 1 ? m0 + stride : m0;
    int dj = j < w - 1;
    int top = m0[0] * (256 - fu) + m0[dj] * fu, bot = m1[0] * (256 - fu) + m1[dj] * fu;
    return (top * (256 - fv) + bot * fv + 32768) >> 16;
}

/* round((c m + f (255 - m)) / 255) per channel; exact at m = 0 and m = 255. */
static inline void blend_rgb(uint8_t *o, const uint8_t *c, int m)
{
    if (m == 255) {
        memcpy(o, c, 3);
        return;
    }
    for (int k = 0; k < 3; k++) {
        int t = c[k] * m + o[k] * (255 - m) + 128;
        o[k] = (uint8_t)((t + (t >> 8)) >> 8);
    }
}

/** One frame row: its footprint span and positions. */
struct paste_row {
    const struct paste_call *c;
    uint8_t *out;           ///< frame row
    int64_t p0, q0, dp, dq; ///< crop index-space position of frame pixel x: (p0, q0) + x (dp, dq)
};

/* Pixels [xa, xb) with positions clamped to the crop (edges of the footprint). */
static void paste_clamped(const struct paste_row *pr, int64_t xa, int64_t xb)
{
    const struct paste_call *c = pr->c;
    const int cw = c->crop->w, ch = c->crop->h;
    const int32_t umax = (cw - 1) << PA_BILIN_FRAC, vmax = (ch - 1) << PA_BILIN_FRAC;
    for (int64_t x = xa; x < xb; x++) {
        int64_t p = pr->p0 + x * pr->dp, q = pr->q0 + x * pr->dq;
        int32_t u = (int32_t)PA_CLAMP(p, 0, umax), v = (int32_t)PA_CLAMP(q, 0, vmax);
        int m = c->mask ? mask_sample(c->mask, c->mask_stride, cw, ch, u, v) : 255;
        if (m == 0)
            continue;
        uint8_t px[3];
        pa_bilin_rgb24_clamped(c->crop->data, (size_t)c->crop->stride, cw, ch, u, v, px);
        blend_rgb(pr->out + x * 3, px, m);
    }
}

#if PA_BILIN_HAVE_SSE2
/* Mask value when the four taps are inside: all-255 and all-0 neighbourhoods (most of a
 * feathered mask) skip the arithmetic. */
static inline int mask_sample_inner(const uint8_t *m0, size_t stride, int32_t u, int32_t v)
{
    uint16_t t, b;
    memcpy(&t, m0, 2);
    memcpy(&b, m0 + stride, 2);
    uint32_t q = (uint32_t)t | (uint32_t)b << 16;
    if (q == 0xFFFFFFFFu)
        return 255;
    if (q == 0)
        return 0;
    int fu = (u >> 8) & 255, fv = (v >> 8) & 255;
    int top = m0[0] * (256 - fu) + m0[1] * fu, bot = m0[stride] * (256 - fu) + m0[stride + 1] * fu;
    return (top * (256 - fv) + bot * fv + 32768) >> 16;
}

/* blend_rgb on 16-bit lanes: c holds the crop sample (0..255) in lanes 0..2. */
static inline void blend_rgb_sse2(uint8_t *o, __m128i c, int m)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i f = _mm_unpacklo_epi8(_mm_cvtsi32_si128(o[0] | o[1] << 8 | o[2] << 16), zero);
    __m128i mm = _mm_set1_epi16((short)m);
    __m128i t = _mm_add_epi16(_mm_mullo_epi16(c, mm),
                              _mm_mullo_epi16(f, _mm_sub_epi16(_mm_set1_epi16(255), mm)));
    t = _mm_add_epi16(t, _mm_set1_epi16(128)); // <= 65153: no 16-bit overflow below
    t = _mm_srli_epi16(_mm_add_epi16(t, _mm_srli_epi16(t, 8)), 8);
    pa_store_rgb24(o, (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(t, t)));
}
#endif

/* Pixels [xa, xb) whose taps all lie inside the crop: no clamping, SSE2 sampling. */
static void paste_inner(const struct paste_row *pr, int64_t xa, int64_t xb)
{
#if PA_BILIN_HAVE_SSE2
    const struct paste_call *c = pr->c;
    const uint8_t *cdata = c->crop->data, *mdata = c->mask;
    const size_t cstride = (size_t)c->crop->stride, mstride = c->mask_stride;
    const int32_t du = (int32_t)pr->dp, dv = (int32_t)pr->dq;
    int32_t u = (int32_t)(pr->p0 + xa * pr->dp), v = (int32_t)(pr->q0 + xa * pr->dq);
    uint8_t *o = pr->out + xa * 3;
    for (int64_t x = xa; x < xb; x++, u += du, v += dv, o += 3) {
        size_t i = (size_t)(v >> PA_BILIN_FRAC), j = (size_t)(u >> PA_BILIN_FRAC);
        int m = mdata ? mask_sample_inner(mdata + i * mstride + j, mstride, u, v) : 255;
        if (m == 0)
            continue;
        __m128i s = pa_bilin_rgb24_sse2_u16(cdata + i * cstride + j * 3, cstride, (u >> 8) & 255,
                                            (v >> 8) & 255);
        if (m == 255)
            pa_store_rgb24(o, (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(s, s)));
        else
            blend_rgb_sse2(o, s, m);
    }
#else
    paste_clamped(pr, xa, xb);
#endif
}

/* Whole-pixel placement (integer translation): copy or blend pixels, no interpolation. */
static void paste_whole(const struct paste_row *pr, int64_t xa, int64_t xb)
{
    const struct paste_call *c = pr->c;
    int64_t j0 = (pr->p0 >> PA_BILIN_FRAC) + xa, i = pr->q0 >> PA_BILIN_FRAC;
    const uint8_t *src = c->crop->data + (size_t)i * (size_t)c->crop->stride + (size_t)j0 * 3;
    uint8_t *o = pr->out + xa * 3;
    if (!c->mask) {
        memcpy(o, src, (size_t)(xb - xa) * 3);
        return;
    }
    const uint8_t *m = c->mask + (size_t)i * c->mask_stride + (size_t)j0;
    for (int64_t k = 0; k < xb - xa; k++) {
        if (m[k])
            blend_rgb(o + k * 3, src + k * 3, m[k]);
    }
}

static void paste_row(const struct paste_call *c, int y)
{
    const double yc = y + 0.5;
    // Crop pixel coordinates of frame pixel x's centre are (qx0, qy0) + x (inv[0], inv[3]);
    // index space (crop pixel j's centre at j) is 0.5 less.
    const double qx0 = c->inv[0] * 0.5 + c->inv[1] * yc + c->inv[2];
    const double qy0 = c->inv[3] * 0.5 + c->inv[4] * yc + c->inv[5];
    struct paste_row pr = {c,
                           c->frame->data + (size_t)y * (size_t)c->frame->stride,
                           llrint((qx0 - 0.5) * PA_BILIN_ONE),
                           llrint((qy0 - 0.5) * PA_BILIN_ONE),
                           llrint(c->inv[0] * PA_BILIN_ONE),
                           llrint(c->inv[3] * PA_BILIN_ONE)};
    const int64_t half = PA_BILIN_ONE / 2;
    const int64_t cw = c->crop->w, ch = c->crop->h;
    // Footprint: -0.5 <= position < n - 0.5 on both axes.
    int64_t xa = 0, xb = c->frame->w;
    lin_range(pr.p0 + half, pr.dp, cw << PA_BILIN_FRAC, &xa, &xb);
    lin_range(pr.q0 + half, pr.dq, ch << PA_BILIN_FRAC, &xa, &xb);
    if (xa >= xb)
        return;
    if (pr.dp == PA_BILIN_ONE && pr.dq == 0 && ((pr.p0 | pr.q0) & (PA_BILIN_ONE - 1)) == 0 &&
        pr.p0 + xa * pr.dp >= 0 && pr.q0 >= 0) {
        paste_whole(&pr, xa, xb);
        return;
    }
    // Taps fully inside for 0 <= u < ulim, 0 <= v < vlim; clamp only outside that.
    struct pa_bilin_limits lim = pa_bilin_limits((int)cw, (int)ch);
    int64_t fa = xa, fb = xb;
    lin_range(pr.p0, pr.dp, lim.ulim, &fa, &fb);
    lin_range(pr.q0, pr.dq, lim.vlim, &fa, &fb);
    if (fa >= fb) {
        paste_clamped(&pr, xa, xb);
        return;
    }
    paste_clamped(&pr, xa, fa);
    paste_inner(&pr, fa, fb);
    paste_clamped(&pr, fb, xb);
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
    if (!isfinite(det) || det == 0.0)
        return PA_EINVAL;
    inv[0] = d / det;
    inv[1] = -b / det;
    inv[3] = -cc / det;
    inv[4] = a / det;
    for (int i = 0; i < 6; i++) {
        if (i % 3 != 2 && !(fabs(inv[i]) <= MAX_INV_STEP))
            return PA_EINVAL;
    }
    inv[2] = -(inv[0] * m[2] + inv[1] * m[5]);
    inv[5] = -(inv[3] * m[2] + inv[4] * m[5]);
    return 0;
}

int pa_composite_paste(struct pa_image *frame, const struct pa_image *crop, const uint8_t *mask,
                       int mask_stride, const float crop_to_frame[6], struct pa_parallel *par)
{
    if (!frame || !crop || !crop_to_frame || !frame->data || !crop->data ||
        frame->fmt != PA_PIX_RGB24 || crop->fmt != PA_PIX_RGB24 || frame->w <= 0 || frame->h <= 0 ||
        frame->w > MAX_FRAME_DIM || frame->h > MAX_FRAME_DIM || crop->w <= 0 || crop->h <= 0 ||
        crop->w > MAX_CROP_DIM || crop->h > MAX_CROP_DIM || (mask && mask_stride < crop->w)) {
        pa_log_error("animate", "paste: needs RGB24 frame and crop, mask stride >= crop width");
        return PA_EINVAL;
    }
    struct paste_call c = {frame, crop, mask, mask ? (size_t)mask_stride : 0, {0}, 0, 0};
    if (invert_placement(crop_to_frame, c.inv) < 0) {
        pa_log_error("animate",
                     "paste: placement matrix is singular, not finite, or shrinks "
                     "the crop below 1/%g",
                     MAX_INV_STEP);
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
        pa_size_mul((size_t)w, 3 + sizeof(int32_t), &line) < 0 ||
        pa_size_add(img, line, &total) < 0 || pa_size_add(total, 64, &total) < 0)
        return 0;
    return total;
}

/** Scratch layout: a w*h image, a uint32 per column, three w-byte lines. */
struct mask_scratch {
    uint8_t *img;
    int32_t *sum;
    uint8_t *line[3];
};

static struct mask_scratch split_scratch(uint8_t *scratch, int w, int h)
{
    struct mask_scratch s;
    s.img = scratch;
    uintptr_t p = (uintptr_t)(scratch + (size_t)w * (size_t)h);
    p = (p + 15) & ~(uintptr_t)15;
    s.sum = (int32_t *)p;
    s.line[0] = (uint8_t *)(s.sum + w);
    s.line[1] = s.line[0] + w;
    s.line[2] = s.line[1] + w;
    return s;
}

/* One box pass along a row: out[x] = round(sum in[x-r..x+r] / k), outside = 0. Sums are
 * signed 32-bit (< 255 (2 MAX_RADIUS + 1)) so the conversions vectorize with SSE2. */
static void box_row(const uint8_t *in, uint8_t *out, int n, int r, float inv_k)
{
    int32_t sum = 0;
    for (int x = 0; x < PA_MIN(r, n - 1) + 1; x++)
        sum += in[x];
    // Three stretches, so the loop carries no edge tests: the window enters, slides, leaves.
    int a = PA_MIN(r, n), b = PA_MAX(n - r - 1, a);
    for (int x = 0; x < a; x++) {
        out[x] = (uint8_t)((float)sum * inv_k + 0.5f);
        if (x + r + 1 < n)
            sum += in[x + r + 1];
    }
    for (int x = a; x < b; x++) {
        out[x] = (uint8_t)((float)sum * inv_k + 0.5f);
        sum += in[x + r + 1] - in[x - r];
    }
    for (int x = b; x < n; x++) {
        out[x] = (uint8_t)((float)sum * inv_k + 0.5f);
        if (x - r >= 0)
            sum -= in[x - r];
    }
}

/* One box pass along columns, all columns at once with a running sum per column. */
static void box_cols(const uint8_t *in, size_t in_stride, uint8_t *out, size_t out_stride, int w,
                     int h, int r, float inv_k, int32_t *sum)
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
            o[x] = (uint8_t)(int32_t)((float)sum[x] * inv_k + 0.5f);
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

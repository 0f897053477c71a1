/** @file
 * PSNR, SSIM, landmark NME and the evaluation face box (see metrics.h and docs/QUALITY.md).
 *
 * Algorithm digest (SSIM, Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment: from
 * error visibility to structural similarity", IEEE TIP 13(4), 2004). With a normalised
 * Gaussian window w (11×11, sigma 1.5), at each window position the weighted moments
 *     mu_a = Σ w a,  mu_b = Σ w b,  var_a = Σ w a² - mu_a²,  var_b = Σ w b² - mu_b²,
 *     cov = Σ w a b - mu_a mu_b
 * give SSIM = (2 mu_a mu_b + C1)(2 cov + C2) / ((mu_a² + mu_b² + C1)(var_a + var_b + C2)).
 * The window is separable (w = g gᵀ), so the five weighted sums are a horizontal 11-tap
 * pass followed by a vertical one over "valid" positions only. Everything is in double,
 * which keeps the E[x²] - E[x]² cancellation far below the C2 = 58.5 floor.
 */
#include "metrics.h"

#include <math.h>

#include "mem.h"

static int check_pair(const struct pa_image *a, const struct pa_image *b)
{
    if (!a || !b || !a->data || !b->data || a->w != b->w || a->h != b->h || a->fmt != b->fmt)
        return PA_EINVAL;
    if (a->fmt != PA_PIX_GRAY8 && a->fmt != PA_PIX_RGB24)
        return PA_EINVAL;
    return 0;
}

/* The region clamped to the image; PA_EINVAL when nothing is left. */
static int clamp_roi(const struct pa_image *img, const struct pa_rect *roi, struct pa_rect *r)
{
    if (roi) {
        r->x0 = PA_MAX(roi->x0, 0);
        r->y0 = PA_MAX(roi->y0, 0);
        r->x1 = PA_MIN(roi->x1, img->w);
        r->y1 = PA_MIN(roi->y1, img->h);
    } else {
        *r = (struct pa_rect){0, 0, img->w, img->h};
    }
    return r->x1 > r->x0 && r->y1 > r->y0 ? 0 : PA_EINVAL;
}

int pa_metric_psnr(const struct pa_image *a, const struct pa_image *b, const struct pa_rect *roi,
                   double *out)
{
    struct pa_rect r;
    if (check_pair(a, b) < 0 || clamp_roi(a, roi, &r) < 0)
        return PA_EINVAL;
    int bpp = pa_pixfmt_bpp(a->fmt);
    double sum = 0.0;
    for (int y = r.y0; y < r.y1; y++) {
        const uint8_t *pa = a->data + (size_t)y * (size_t)a->stride + (size_t)(r.x0 * bpp);
        const uint8_t *pb = b->data + (size_t)y * (size_t)b->stride + (size_t)(r.x0 * bpp);
        int64_t row = 0; // exact per row: at most 16384 × 3 × 255² < 2^32
        for (int i = 0; i < (r.x1 - r.x0) * bpp; i++) {
            int d = (int)pa[i] - (int)pb[i];
            row += d * d;
        }
        sum += (double)row;
    }
    double mse = sum / ((double)(r.x1 - r.x0) * (double)(r.y1 - r.y0) * bpp);
    *out = mse > 0.0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
    return 0;
}

/* Luma of pixel x of a row (Rec.601 weights for RGB24). */
static double luma(const uint8_t *row, int x, int bpp)
{
    if (bpp == 1)
        return row[x];
    const uint8_t *p = row + 3 * x;
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

static void gaussian_taps(double g[PA_SSIM_WIN])
{
    double sum = 0.0;
    for (int i = 0; i < PA_SSIM_WIN; i++) {
        double d = i - (PA_SSIM_WIN - 1) / 2;
        g[i] = exp(-d * d / (2.0 * PA_SSIM_SIGMA * PA_SSIM_SIGMA));
        sum += g[i];
    }
    for (int i = 0; i < PA_SSIM_WIN; i++)
        g[i] /= sum;
}

/* Horizontal pass: for every row of the region, the 5 windowed sums at each valid x. */
static void ssim_rows(const struct pa_image *a, const struct pa_image *b, const struct pa_rect *r,
                      const double g[PA_SSIM_WIN], double *la, double *lb, double *h5)
{
    int w = r->x1 - r->x0, h = r->y1 - r->y0, vw = w - PA_SSIM_WIN + 1;
    int bpp = pa_pixfmt_bpp(a->fmt);
    for (int y = 0; y < h; y++) {
        const uint8_t *ra = a->data + (size_t)(r->y0 + y) * (size_t)a->stride;
        const uint8_t *rb = b->data + (size_t)(r->y0 + y) * (size_t)b->stride;
        for (int x = 0; x < w; x++) {
            la[x] = luma(ra, r->x0 + x, bpp);
            lb[x] = luma(rb, r->x0 + x, bpp);
        }
        double *o = h5 + (size_t)y * (size_t)vw * 5;
        for (int x = 0; x < vw; x++) {
            double s[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
            for (int k = 0; k < PA_SSIM_WIN; k++) {
                double va = la[x + k], vb = lb[x + k], wk = g[k];
                s[0] += wk * va;
                s[1] += wk * vb;
                s[2] += wk * va * va;
                s[3] += wk * vb * vb;
                s[4] += wk * va * vb;
            }
            for (int c = 0; c < 5; c++)
                o[5 * x + c] = s[c];
        }
    }
}

int pa_metric_ssim(const struct pa_image *a, const struct pa_image *b, const struct pa_rect *roi,
                   double *out)
{
    struct pa_rect r;
    if (check_pair(a, b) < 0 || clamp_roi(a, roi, &r) < 0)
        return PA_EINVAL;
    int w = r.x1 - r.x0, h = r.y1 - r.y0;
    if (w < PA_SSIM_WIN || h < PA_SSIM_WIN)
        return PA_EINVAL;
    int vw = w - PA_SSIM_WIN + 1, vh = h - PA_SSIM_WIN + 1;
    size_t n_h5, bytes;
    if (pa_size_mul((size_t)h * 5, (size_t)vw, &n_h5) < 0 ||
        pa_size_add(n_h5, 2 * (size_t)w, &n_h5) < 0 ||
        pa_size_mul(n_h5, sizeof(double), &bytes) < 0)
        return PA_ENOMEM;
    double *buf = pa_malloc(bytes);
    if (!buf)
        return PA_ENOMEM;
    double *la = buf, *lb = buf + w, *h5 = buf + 2 * (size_t)w;
    double g[PA_SSIM_WIN];
    gaussian_taps(g);
    ssim_rows(a, b, &r, g, la, lb, h5);

    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    double total = 0.0;
    for (int y = 0; y < vh; y++) {
        for (int x = 0; x < vw; x++) {
            double s[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
            for (int k = 0; k < PA_SSIM_WIN; k++) {
                const double *p = h5 + ((size_t)(y + k) * (size_t)vw + (size_t)x) * 5;
                for (int c = 0; c < 5; c++)
                    s[c] += g[k] * p[c];
            }
            double ma = s[0], mb = s[1];
            double va = s[2] - ma * ma, vb = s[3] - mb * mb, cov = s[4] - ma * mb;
            total +=
                (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        }
    }
    pa_free(buf);
    *out = total / ((double)vw * (double)vh);
    return 0;
}

int pa_metric_nme(const float *pred, const float *ref, int n, double *out)
{
    if (!pred || !ref || n < 264)
        return PA_EINVAL;
    double iod =
        hypot((double)ref[3 * 33] - ref[3 * 263], (double)ref[3 * 33 + 1] - ref[3 * 263 + 1]);
    if (!(iod > 0.0))
        return PA_EINVAL;
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += hypot((double)pred[3 * i] - ref[3 * i], (double)pred[3 * i + 1] - ref[3 * i + 1]);
    *out = sum / n / iod;
    return 0;
}

int pa_metric_face_box(const float *pts, int n, int w, int h, struct pa_rect *out)
{
    if (!pts || n < 1)
        return PA_EINVAL;
    double x0 = pts[0], y0 = pts[1], x1 = pts[0], y1 = pts[1];
    for (int i = 0; i < n; i++) {
        double x = pts[3 * i], y = pts[3 * i + 1];
        if (!isfinite(x) || !isfinite(y))
            return PA_EINVAL;
        x0 = fmin(x0, x), x1 = fmax(x1, x);
        y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
    double pad = 0.15 * (x1 - x0);
    // Pixel j covers [j, j + 1) in the half-pixel convention, so floor / ceil round outward.
    double bx0 = floor(x0 - pad), by0 = floor(y0 - pad), bx1 = ceil(x1 + pad), by1 = ceil(y1 + pad);
    out->x0 = (int)PA_CLAMP(bx0, 0.0, (double)w);
    out->y0 = (int)PA_CLAMP(by0, 0.0, (double)h);
    out->x1 = (int)PA_CLAMP(bx1, 0.0, (double)w);
    out->y1 = (int)PA_CLAMP(by1, 0.0, (double)h);
    return out->x1 > out->x0 && out->y1 > out->y0 ? 0 : PA_EINVAL;
}

/** @file
 * The mouth interior: the grid that fills the inner-lip opening, its area, the lip colour
 * statistics used to colour-match a borrowed mouth, and the procedural cavity.
 *
 * Algorithm digest.
 *  - Grid: 11 columns from corner 78 to corner 308; rows are the upper inner lip (row 0),
 *    lerps at 30 % and 42 % of the way to the lower lip (the bottom of the upper teeth and
 *    the start of the dark cavity), and the lower inner lip (row 3). Corner columns collapse
 *    to one point (their triangles are empty and skipped by the rasterizer).
 *  - Colour match: with μ the mean lip colour (3 samples between each of 18 inner/outer lip
 *    point pairs) of the driver (d) and the portrait (p), Y its luma and S its saturation
 *    (max - min) / max, a pixel v of the borrowed mouth with luma y becomes
 *    (Y_p / Y_d) · (y + k (v - y)), k = min(1, S_p / S_d), gain clamped to [0.5, 2]. Only
 *    brightness and saturation move, never the hue: a mean/std transfer (Reinhard et al.
 *    2001) lifted the dark cavity to a flat grey, and per-channel gains turned white teeth
 *    lip-coloured; a black-and-white portrait still gets a grey mouth (S_p = 0).
 *  - Procedural interior: teeth (~(205, 195, 180)) from the upper lip down to row 1, a dark
 *    red-brown cavity below; both darken toward the corners (shading 1 - 0.7 |t|^1.5 with
 *    t in [-1, 1] across the columns). The palette is re-tinted to the portrait: its
 *    brightness scales with the lip luminance and its saturation with the lip saturation,
 *    so a black-and-white photo gets a grey mouth.
 */
#include "rig.h"

#include <math.h>

#include "core/image.h"

static const float k_row_t[PA_MOUTH_ROWS] = {0.0f, 0.30f, 0.42f, 1.0f};

void pa_mouth_grid(const float *pts, int stride, const float *m, float out[PA_MOUTH_NV][2])
{
    for (int c = 0; c < PA_MOUTH_COLS; c++) {
        const float *u = &pts[stride * pa_rig_lip_inner[0][c]];
        const float *l = &pts[stride * pa_rig_lip_inner[1][c]];
        for (int r = 0; r < PA_MOUTH_ROWS; r++) {
            float t = k_row_t[r];
            float x = u[0] + t * (l[0] - u[0]), y = u[1] + t * (l[1] - u[1]);
            float *o = out[r * PA_MOUTH_COLS + c];
            if (m)
                pa_rig_affine(m, x, y, &o[0], &o[1]);
            else {
                o[0] = x;
                o[1] = y;
            }
        }
    }
}

float pa_mouth_area(const float *pts)
{
    /* Shoelace over the loop: upper lip left to right, lower lip back right to left. */
    int loop[2 * PA_MOUTH_COLS - 2];
    int n = 0;
    for (int c = 0; c < PA_MOUTH_COLS; c++)
        loop[n++] = pa_rig_lip_inner[0][c];
    for (int c = PA_MOUTH_COLS - 2; c >= 1; c--)
        loop[n++] = pa_rig_lip_inner[1][c];
    double a = 0;
    for (int i = 0; i < n; i++) {
        const float *p = &pts[3 * loop[i]], *q = &pts[3 * loop[(i + 1) % n]];
        a += (double)p[0] * q[1] - (double)q[0] * p[1];
    }
    return (float)fabs(0.5 * a);
}

/* Bilinear RGB sample at pixel coordinates (x, y), clamped to the image. */
static void sample_rgb(const struct pa_image *img, float x, float y, float out[3])
{
    float fx = fminf(fmaxf(x - 0.5f, 0.0f), (float)(img->w - 1));
    float fy = fminf(fmaxf(y - 0.5f, 0.0f), (float)(img->h - 1));
    int x0 = (int)fx, y0 = (int)fy;
    int x1 = PA_MIN(x0 + 1, img->w - 1), y1 = PA_MIN(y0 + 1, img->h - 1);
    float ax = fx - (float)x0, ay = fy - (float)y0;
    const uint8_t *p00 = pa_image_px(img, x0, y0), *p01 = pa_image_px(img, x1, y0);
    const uint8_t *p10 = pa_image_px(img, x0, y1), *p11 = pa_image_px(img, x1, y1);
    for (int c = 0; c < 3; c++) {
        float top = (float)p00[c] + ax * (float)(p01[c] - p00[c]);
        float bot = (float)p10[c] + ax * (float)(p11[c] - p10[c]);
        out[c] = top + ay * (bot - top);
    }
}

void pa_lip_stats(const struct pa_image *img, const float *pts, const float *m, float mean[3],
                  float std[3])
{
    double s[3] = {0, 0, 0}, s2[3] = {0, 0, 0};
    int n = 0;
    for (int r = 0; r < 2; r++) {
        for (int c = 1; c + 1 < PA_MOUTH_COLS; c++) {
            const float *a = &pts[3 * pa_rig_lip_inner[r][c]],
                        *b = &pts[3 * pa_rig_lip_outer[r][c]];
            for (int k = 1; k <= 3; k++) {
                float t = 0.1f + 0.2f * (float)k, x = a[0] + t * (b[0] - a[0]);
                float y = a[1] + t * (b[1] - a[1]), v[3];
                if (m)
                    pa_rig_affine(m, x, y, &x, &y);
                sample_rgb(img, x, y, v);
                for (int ch = 0; ch < 3; ch++) {
                    s[ch] += v[ch];
                    s2[ch] += (double)v[ch] * v[ch];
                }
                n++;
            }
        }
    }
    for (int ch = 0; ch < 3; ch++) {
        double mu = s[ch] / n;
        mean[ch] = (float)mu;
        std[ch] = (float)fmax(sqrt(fmax(s2[ch] / n - mu * mu, 0.0)), 1.0);
    }
}

void pa_mouth_procedural(const struct pa_rig *rig, float rgb[PA_MOUTH_NV][3])
{
    static const float teeth[3] = {205, 195, 180}, cavity[3] = {70, 28, 30}, deep[3] = {40, 14, 16};
    static const float ref_luma = 110.0f, ref_sat = 0.45f;
    const float *lip = rig->lip_mean;
    float luma = 0.299f * lip[0] + 0.587f * lip[1] + 0.114f * lip[2];
    float mx = fmaxf(lip[0], fmaxf(lip[1], lip[2])), mn = fminf(lip[0], fminf(lip[1], lip[2]));
    float sat = mx > 1.0f ? (mx - mn) / mx : 0.0f;
    float bright = fminf(fmaxf(luma / ref_luma, 0.6f), 1.3f);
    float keep = fminf(sat / ref_sat, 1.0f);
    for (int r = 0; r < PA_MOUTH_ROWS; r++) {
        for (int c = 0; c < PA_MOUTH_COLS; c++) {
            float t = (float)(2 * c - (PA_MOUTH_COLS - 1)) / (float)(PA_MOUTH_COLS - 1);
            float shade = 1.0f - 0.7f * powf(fabsf(t), 1.5f);
            const float *base = r <= 1 ? teeth : r == 2 ? cavity : deep;
            float tone = r == 0 ? 0.8f : 1.0f; // the lip shadows the top of the teeth
            float *o = rgb[r * PA_MOUTH_COLS + c];
            float g = 0.299f * base[0] + 0.587f * base[1] + 0.114f * base[2];
            for (int ch = 0; ch < 3; ch++) {
                float v = g + keep * (base[ch] - g);
                o[ch] = fminf(v * shade * tone * bright, 255.0f);
            }
        }
    }
}

static float saturation(const float c[3])
{
    float mx = fmaxf(c[0], fmaxf(c[1], c[2])), mn = fminf(c[0], fminf(c[1], c[2]));
    return mx > 1.0f ? (mx - mn) / mx : 0.0f;
}

void pa_colour_match(struct pa_image *img, const uint8_t *cov, int cov_stride,
                     const float mean_from[3], const float mean_to[3])
{
    float yf = fmaxf(0.299f * mean_from[0] + 0.587f * mean_from[1] + 0.114f * mean_from[2], 1.0f);
    float yt = fmaxf(0.299f * mean_to[0] + 0.587f * mean_to[1] + 0.114f * mean_to[2], 1.0f);
    float gain = fminf(fmaxf(yt / yf, 0.5f), 2.0f);
    float sf = saturation(mean_from), st = saturation(mean_to);
    float k = sf > 1e-3f ? fminf(st / sf, 1.0f) : 1.0f;
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = pa_image_px(img, 0, y);
        const uint8_t *cv = cov + (size_t)y * (size_t)cov_stride;
        for (int x = 0; x < img->w; x++, p += 3) {
            if (!cv[x])
                continue;
            float luma = 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
            for (int ch = 0; ch < 3; ch++) {
                float v = gain * (luma + k * ((float)p[ch] - luma)) + 0.5f;
                p[ch] = (uint8_t)fminf(fmaxf(v, 0.0f), 255.0f);
            }
        }
    }
}

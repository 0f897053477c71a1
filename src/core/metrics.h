/** @file
 * Image and landmark quality metrics for `panim eval` and tests (definitions in
 * docs/QUALITY.md): PSNR, SSIM, landmark NME and the evaluation face box.
 *
 * Regions are half-open pixel rectangles [x0, x1) × [y0, y1). Both images of a comparison
 * must have the same size and format (GRAY8 or RGB24). The functions keep no state and may
 * run on any thread; SSIM allocates its scratch per call (these are evaluation helpers, not
 * a per-frame path).
 */
#ifndef PA_CORE_METRICS_H
#define PA_CORE_METRICS_H

#include "pa_common.h"

#include "panim.h"

/** Half-open pixel rectangle [x0, x1) × [y0, y1). */
struct pa_rect {
    int x0, y0, x1, y1;
};

/** SSIM window: 11×11 Gaussian, sigma 1.5 (Wang et al. 2004). */
#define PA_SSIM_WIN 11
#define PA_SSIM_SIGMA 1.5

/**
 * Peak signal-to-noise ratio over a region: 10 log10(255² / MSE), the MSE taken over every
 * channel of every pixel in the region.
 * @param roi region, or NULL for the whole image
 * @param out receives the PSNR in dB; INFINITY for identical regions
 * @return 0; PA_EINVAL for mismatched images, an unsupported format or an empty/outside region.
 */
int pa_metric_psnr(const struct pa_image *a, const struct pa_image *b, const struct pa_rect *roi,
                   double *out);

/**
 * Mean structural similarity over a region, on luma (RGB24 is converted to Rec.601 luma
 * Y = 0.299 R + 0.587 G + 0.114 B, kept in floating point; GRAY8 is used as is). The region
 * is cut out first; the 11×11 Gaussian window (sigma 1.5, weights normalised to sum 1) visits
 * every position where it lies wholly inside the region ("valid" filtering, as the reference
 * MATLAB code and scikit-image do), and SSIM per position is
 *     (2 mu_a mu_b + C1)(2 cov_ab + C2) / ((mu_a² + mu_b² + C1)(var_a + var_b + C2)),
 * C1 = (0.01·255)², C2 = (0.03·255)², with population (weighted) moments.
 * @param roi region (at least 11×11 after clamping), or NULL for the whole image
 * @param out receives the mean, 1 for identical regions
 * @return 0; PA_EINVAL as for PSNR or for a region smaller than the window; PA_ENOMEM.
 */
int pa_metric_ssim(const struct pa_image *a, const struct pa_image *b, const struct pa_rect *roi,
                   double *out);

/**
 * Normalised mean landmark error: the mean over n points of |pred_i - ref_i| in (x, y),
 * divided by the inter-ocular distance of the reference (outer eye corners, landmarks 33
 * and 263 of the MediaPipe mesh). Points are n × 3 floats (z ignored).
 * @return 0; PA_EINVAL for n < 264 (no eye corners) or a zero inter-ocular distance.
 */
int pa_metric_nme(const float *pred, const float *ref, int n, double *out);

/**
 * The evaluation face box: the bounding box of n landmarks (n × 3 floats, image pixels,
 * centre of the top-left pixel at (0.5, 0.5)), padded on every side by 15% of its width,
 * rounded outward to whole pixels and clamped to a w × h image.
 * @return 0; PA_EINVAL for n < 1, non-finite points or a box outside the image.
 */
int pa_metric_face_box(const float *pts, int n, int w, int h, struct pa_rect *out);

#endif /* PA_CORE_METRICS_H */

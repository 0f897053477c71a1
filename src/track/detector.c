/** @file
 * BlazeFace short-range detection: letterbox, network, anchor decode, weighted NMS.
 *
 * Algorithm digest (MediaPipe face_detection_short_range.pbtxt):
 *  - input: the image scaled to fit 128×128 keeping its aspect ratio, centred, zero padded,
 *    RGB mapped to [-1, 1];
 *  - outputs: regressors [896][16] = box (x, y, w, h) then 6 keypoints (x, y), all in input
 *    pixels relative to the anchor centre; scores [896] = logits;
 *  - decode: centre = raw / 128 + anchor, size = raw / 128 (anchors are 1×1), score =
 *    sigmoid(clamp(logit, ±100)), keep score >= min_score;
 *  - weighted NMS: take the best remaining candidate, merge every remaining candidate whose
 *    IoU with it exceeds nms_iou into a score-weighted mean of boxes and keypoints (the best
 *    score is kept), drop them, repeat;
 *  - undo the letterbox to get image pixels.
 */
#include "track/detector.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

#define DET_SIZE 128
#define N_COORDS 16

struct pa_detector {
    struct pa_nn_session *session;
    struct pa_detector_params params;
    float anchors[PA_DETECTOR_ANCHORS][2];
    int idx_regressors, idx_scores; ///< output indices
    struct pa_detection cand[PA_DETECTOR_ANCHORS]; ///< decode scratch
    int order[PA_DETECTOR_ANCHORS];
};

struct pa_detector_params pa_detector_default_params(void)
{
    return (struct pa_detector_params){.min_score = 0.5f, .nms_iou = 0.3f};
}

static int check_model(const struct pa_nn_model *model, int *idx_reg, int *idx_scores)
{
    int dims[4], ndim;
    const char *name;
    if (pa_nn_model_num_io(model, 0) != 1 || pa_nn_model_num_io(model, 1) != 2)
        goto bad;
    if (pa_nn_model_io(model, 0, 0, dims, &ndim, &name) < 0 || ndim != 4 || dims[1] != DET_SIZE ||
        dims[2] != DET_SIZE || dims[3] != 3)
        goto bad;
    *idx_reg = *idx_scores = -1;
    for (int i = 0; i < 2; i++) {
        if (pa_nn_model_io(model, 1, i, dims, &ndim, &name) < 0)
            goto bad;
        int last = dims[ndim - 1];
        int count = ndim >= 2 ? dims[ndim - 2] : 0;
        if (count != PA_DETECTOR_ANCHORS)
            goto bad;
        if (last == N_COORDS)
            *idx_reg = i;
        else if (last == 1)
            *idx_scores = i;
    }
    if (*idx_reg < 0 || *idx_scores < 0)
        goto bad;
    return 0;
bad:
    pa_log_error("track", "face detector model: unexpected inputs/outputs (not "
                          "face_detection_short_range.tflite?)");
    return PA_EINVALDATA;
}

int pa_detector_create(struct pa_detector **out, const struct pa_nn_model *model,
                       const struct pa_detector_params *params, enum pa_nn_backend backend,
                       struct pa_parallel *par)
{
    *out = NULL;
    struct pa_detector *d = pa_calloc(1, sizeof(*d));
    if (!d)
        return PA_ENOMEM;
    int ret = check_model(model, &d->idx_regressors, &d->idx_scores);
    if (ret < 0)
        goto fail;
    ret = pa_nn_session_create(&d->session, model, backend, par);
    if (ret < 0)
        goto fail;
    d->params = params ? *params : pa_detector_default_params();
    pa_detector_anchors(d->anchors);
    *out = d;
    return 0;
fail:
    pa_detector_destroy(d);
    return ret;
}

void pa_detector_destroy(struct pa_detector *d)
{
    if (!d)
        return;
    pa_nn_session_destroy(d->session);
    pa_free(d);
}

static float iou(const float *a, const float *b)
{
    float ix0 = PA_MAX(a[0], b[0]), iy0 = PA_MAX(a[1], b[1]);
    float ix1 = PA_MIN(a[2], b[2]), iy1 = PA_MIN(a[3], b[3]);
    if (ix1 <= ix0 || iy1 <= iy0)
        return 0.0f;
    float inter = (ix1 - ix0) * (iy1 - iy0);
    float ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0.0f ? inter / ua : 0.0f;
}

/* Insertion sort by score, descending: candidates above threshold are few (tens). */
static void sort_by_score(const struct pa_detection *c, int *order, int n)
{
    for (int i = 1; i < n; i++) {
        int v = order[i], j = i - 1;
        while (j >= 0 && c[order[j]].score < c[v].score) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

/* Weighted NMS over cand[order[0..n)]; writes merged detections to dets. Consumes order[]. */
static int weighted_nms(const struct pa_detection *cand, int *order, int n, float thr,
                        struct pa_detection *dets, int max)
{
    int n_out = 0;
    while (n > 0 && n_out < max) {
        const struct pa_detection *best = &cand[order[0]];
        struct pa_detection acc;
        memset(&acc, 0, sizeof(acc));
        float wsum = 0.0f;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            const struct pa_detection *c = &cand[order[i]];
            if (i == 0 || iou(best->box, c->box) > thr) {
                float w = c->score;
                for (int k = 0; k < 4; k++)
                    acc.box[k] += w * c->box[k];
                for (int k = 0; k < 6; k++) {
                    acc.kp[k][0] += w * c->kp[k][0];
                    acc.kp[k][1] += w * c->kp[k][1];
                }
                wsum += w;
            } else {
                order[kept++] = order[i];
            }
        }
        for (int k = 0; k < 4; k++)
            acc.box[k] /= wsum;
        for (int k = 0; k < 6; k++) {
            acc.kp[k][0] /= wsum;
            acc.kp[k][1] /= wsum;
        }
        acc.score = best->score;
        dets[n_out++] = acc;
        n = kept;
    }
    return n_out;
}

static int decode(const float *reg, const float *scores,
                  const float anchors[PA_DETECTOR_ANCHORS][2], const struct pa_detector_params *p,
                  struct pa_detection *cand, int *order, struct pa_detection *dets, int max)
{
    int n = 0;
    for (int i = 0; i < PA_DETECTOR_ANCHORS; i++) {
        float logit = PA_CLAMP(scores[i], -100.0f, 100.0f);
        float s = 1.0f / (1.0f + expf(-logit));
        if (!(s >= p->min_score))
            continue;
        const float *r = reg + (size_t)i * N_COORDS;
        float cx = r[0] / DET_SIZE + anchors[i][0];
        float cy = r[1] / DET_SIZE + anchors[i][1];
        float w = r[2] / DET_SIZE, h = r[3] / DET_SIZE;
        if (!(w > 0.0f && h > 0.0f && isfinite(cx) && isfinite(cy)))
            continue;
        struct pa_detection *c = &cand[n];
        c->score = s;
        c->box[0] = cx - 0.5f * w;
        c->box[1] = cy - 0.5f * h;
        c->box[2] = cx + 0.5f * w;
        c->box[3] = cy + 0.5f * h;
        for (int k = 0; k < 6; k++) {
            c->kp[k][0] = r[4 + 2 * k] / DET_SIZE + anchors[i][0];
            c->kp[k][1] = r[5 + 2 * k] / DET_SIZE + anchors[i][1];
        }
        order[n] = n;
        n++;
    }
    sort_by_score(cand, order, n);
    return weighted_nms(cand, order, n, p->nms_iou, dets, max);
}

int pa_detector_decode(const float *reg, const float *scores,
                       const float anchors[PA_DETECTOR_ANCHORS][2],
                       const struct pa_detector_params *p, struct pa_detection *dets, int max)
{
    /* Test entry point: scratch comes from the heap here, from the detector in the run path. */
    struct pa_detection *cand = pa_malloc(sizeof(*cand) * PA_DETECTOR_ANCHORS);
    int *order = pa_malloc(sizeof(*order) * PA_DETECTOR_ANCHORS);
    int n = PA_ENOMEM;
    if (cand && order)
        n = decode(reg, scores, anchors, p, cand, order, dets, max);
    pa_free(cand);
    pa_free(order);
    return n;
}

int pa_detector_run(struct pa_detector *d, const struct pa_image *img, struct pa_detection *dets,
                    int max, int *n)
{
    *n = 0;
    if (img->fmt != PA_PIX_RGB24 || img->w <= 0 || img->h <= 0)
        return PA_EINVAL;
    /* Letterbox: scale so the long side is 128, centre the image; m maps net pixels to image
     * pixels (continuous coordinates, so the half-pixel convention is preserved). */
    float s = (float)PA_MAX(img->w, img->h) / DET_SIZE;
    float offx = 0.5f * (DET_SIZE - (float)img->w / s);
    float offy = 0.5f * (DET_SIZE - (float)img->h / s);
    float m[6] = {s, 0.0f, -offx * s, 0.0f, s, -offy * s};
    float *in = pa_nn_session_input(d->session, 0);
    int ret = pa_image_warp_affine_f32(img, in, DET_SIZE, DET_SIZE, m, 1.0f / 127.5f, -1.0f);
    if (ret < 0)
        return ret;
    ret = pa_nn_session_run(d->session);
    if (ret < 0)
        return ret;
    const float *reg = pa_nn_session_output(d->session, d->idx_regressors);
    const float *scores = pa_nn_session_output(d->session, d->idx_scores);
    int count = decode(reg, scores, (const float(*)[2])d->anchors, &d->params, d->cand, d->order,
                       dets, max);
    /* Normalised letterbox coordinates -> image pixels. */
    for (int i = 0; i < count; i++) {
        for (int k = 0; k < 4; k++) {
            float v = dets[i].box[k] * DET_SIZE;
            dets[i].box[k] = (v - ((k & 1) ? offy : offx)) * s;
        }
        for (int k = 0; k < 6; k++) {
            dets[i].kp[k][0] = (dets[i].kp[k][0] * DET_SIZE - offx) * s;
            dets[i].kp[k][1] = (dets[i].kp[k][1] * DET_SIZE - offy) * s;
        }
    }
    *n = count;
    return 0;
}

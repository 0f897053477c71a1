/** @file
 * Face landmarks on a rotated ROI, the MediaPipe Face Mesh way.
 *
 * Algorithm digest (MediaPipe face_landmark_front / face_landmark graphs):
 *  - ROI: centre of a box, rotation = -atan2(-(y1 - y0), x1 - x0) for the reference points
 *    (eyes of the detection, or landmarks 33 -> 263 when tracking), side = 1.5 × the long
 *    side of the box (RectTransformation scale 1.5, square_long);
 *  - crop: the rotated square resampled to 192×192 (bilinear), RGB in [0, 1]. Where the
 *    square leaves the image the edge pixels are replicated: ImageToTensorCalculator's
 *    default border mode is BORDER_REPLICATE (GL clamp-to-edge). A black border instead
 *    moves the points of faces near an edge by up to 1 % of the eye distance;
 *  - outputs: mesh [468×3] in crop pixels; the attention model adds lips [80×2],
 *    eyes [71×2] ×2 and irises [5×2] ×2 that overwrite/extend the mesh (refine_tables.inc;
 *    the irises take the mean depth of their eye contour); face flag = logit -> sigmoid;
 *  - projection: p = centre + R(rotation) · ((x/192 - 0.5)·w, (y/192 - 0.5)·h), z·w/192.
 */
#include "track/landmarks.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

#define LM_SIZE 192

#include "track/refine_tables.inc"

enum lm_head { H_MESH, H_LIPS, H_LEFT_EYE, H_RIGHT_EYE, H_LEFT_IRIS, H_RIGHT_IRIS, H_FLAG, H_N };

struct pa_landmarker {
    struct pa_nn_session *session;
    int n_points;
    int out_idx[H_N]; ///< session output index per head, -1 when absent
    float crop_m[6];
};

static int name_has(const char *name, const char *needle)
{
    return name && strstr(name, needle) != NULL;
}

/* Identify the heads by element count, and left/right by tensor name (falling back to
 * output order, which is left first in MediaPipe's models). */
static int map_outputs(struct pa_landmarker *lm, const struct pa_nn_model *model)
{
    for (int h = 0; h < H_N; h++)
        lm->out_idx[h] = -1;
    int n_out = pa_nn_model_num_io(model, 1);
    for (int i = 0; i < n_out; i++) {
        int dims[4], ndim;
        const char *name;
        if (pa_nn_model_io(model, 1, i, dims, &ndim, &name) < 0)
            return PA_EINVALDATA;
        size_t count = 1;
        for (int k = 0; k < ndim; k++)
            count *= (size_t)dims[k];
        int *slot = NULL;
        if (count == PA_LM_MESH * 3)
            slot = &lm->out_idx[H_MESH];
        else if (count == 160)
            slot = &lm->out_idx[H_LIPS];
        else if (count == 142)
            slot = (name_has(name, "right") || lm->out_idx[H_LEFT_EYE] >= 0)
                       ? &lm->out_idx[H_RIGHT_EYE] : &lm->out_idx[H_LEFT_EYE];
        else if (count == 10)
            slot = (name_has(name, "right") || lm->out_idx[H_LEFT_IRIS] >= 0)
                       ? &lm->out_idx[H_RIGHT_IRIS] : &lm->out_idx[H_LEFT_IRIS];
        else if (count == 1)
            slot = &lm->out_idx[H_FLAG];
        if (slot && *slot < 0)
            *slot = i;
    }
    if (lm->out_idx[H_MESH] < 0 || lm->out_idx[H_FLAG] < 0)
        return PA_EINVALDATA;
    int refined = 0;
    for (int h = H_LIPS; h <= H_RIGHT_IRIS; h++)
        refined += lm->out_idx[h] >= 0;
    if (refined != 0 && refined != 5)
        return PA_EINVALDATA;
    lm->n_points = refined ? PA_LM_MAX : PA_LM_MESH;
    return 0;
}

int pa_landmarker_create(struct pa_landmarker **out, const struct pa_nn_model *model,
                         enum pa_nn_backend backend, struct pa_parallel *par)
{
    *out = NULL;
    struct pa_landmarker *lm = pa_calloc(1, sizeof(*lm));
    if (!lm)
        return PA_ENOMEM;
    int dims[4], ndim, ret;
    const char *name;
    ret = pa_nn_model_io(model, 0, 0, dims, &ndim, &name);
    if (ret < 0 || ndim != 4 || dims[1] != LM_SIZE || dims[2] != LM_SIZE || dims[3] != 3 ||
        map_outputs(lm, model) < 0) {
        pa_log_error("track",
                     "landmark model: unexpected inputs/outputs (not face_landmark*.tflite?)");
        ret = PA_EINVALDATA;
        goto fail;
    }
    ret = pa_nn_session_create(&lm->session, model, backend, par);
    if (ret < 0)
        goto fail;
    *out = lm;
    return 0;
fail:
    pa_landmarker_destroy(lm);
    return ret;
}

void pa_landmarker_destroy(struct pa_landmarker *lm)
{
    if (!lm)
        return;
    pa_nn_session_destroy(lm->session);
    pa_free(lm);
}

int pa_landmarker_points(const struct pa_landmarker *lm)
{
    return lm->n_points;
}

void pa_roi_matrix(const struct pa_roi *roi, int size, float m[6])
{
    float c = cosf(roi->rotation), s = sinf(roi->rotation);
    float sx = roi->w / (float)size, sy = roi->h / (float)size;
    m[0] = c * sx;
    m[1] = -s * sy;
    m[2] = roi->cx - 0.5f * (c * roi->w - s * roi->h);
    m[3] = s * sx;
    m[4] = c * sy;
    m[5] = roi->cy - 0.5f * (s * roi->w + c * roi->h);
}

void pa_roi_from_box(struct pa_roi *roi, const float box[4], const float p0[2], const float p1[2])
{
    float angle = -atan2f(-(p1[1] - p0[1]), p1[0] - p0[0]);
    /* NormalizeRadians: into [-pi, pi). */
    angle = angle - 2.0f * (float)PA_PI * floorf((angle + (float)PA_PI) / (2.0f * (float)PA_PI));
    float w = box[2] - box[0], h = box[3] - box[1];
    float side = 1.5f * PA_MAX(w, h);
    roi->cx = 0.5f * (box[0] + box[2]);
    roi->cy = 0.5f * (box[1] + box[3]);
    roi->w = roi->h = side;
    roi->rotation = angle;
}

void pa_roi_from_landmarks(struct pa_roi *roi, const float (*pts)[3], int n)
{
    float box[4] = {pts[0][0], pts[0][1], pts[0][0], pts[0][1]};
    for (int i = 1; i < n; i++) {
        box[0] = PA_MIN(box[0], pts[i][0]);
        box[1] = PA_MIN(box[1], pts[i][1]);
        box[2] = PA_MAX(box[2], pts[i][0]);
        box[3] = PA_MAX(box[3], pts[i][1]);
    }
    pa_roi_from_box(roi, box, pts[33], pts[263]);
}

/* Crop pixels (x, y, z) -> image pixels through the crop matrix. */
static void project(const float m[6], float roi_w, float x, float y, float z, float out[3])
{
    out[0] = m[0] * x + m[1] * y + m[2];
    out[1] = m[3] * x + m[4] * y + m[5];
    out[2] = z * roi_w / (float)LM_SIZE;
}

static void refine_xy(const float *m, float roi_w, const float *head, const uint16_t *idx, int n,
                      float (*pts)[3])
{
    for (int i = 0; i < n; i++) {
        float p[3];
        project(m, roi_w, head[2 * i], head[2 * i + 1], 0.0f, p);
        pts[idx[i]][0] = p[0];
        pts[idx[i]][1] = p[1];
    }
}

static void add_iris(const float *m, float roi_w, const float *head, const uint16_t *eye_idx,
                     int first, float (*pts)[3])
{
    float z = 0.0f;
    for (int i = 0; i < K_EYE_CONTOUR; i++)
        z += pts[eye_idx[i]][2];
    z /= K_EYE_CONTOUR;
    for (int i = 0; i < 5; i++) {
        project(m, roi_w, head[2 * i], head[2 * i + 1], 0.0f, pts[first + i]);
        pts[first + i][2] = z;
    }
}

/* True when every bilinear sample of the crop lies inside the image (index space). */
static int crop_inside(const float m[6], int size, int w, int h)
{
    for (int k = 0; k < 4; k++) {
        float x = (k & 1) ? (float)size - 0.5f : 0.5f, y = (k & 2) ? (float)size - 0.5f : 0.5f;
        float u = m[0] * x + m[1] * y + m[2] - 0.5f, v = m[3] * x + m[4] * y + m[5] - 0.5f;
        if (!(u >= 0.0f && u <= (float)(w - 1) && v >= 0.0f && v <= (float)(h - 1)))
            return 0;
    }
    return 1;
}

/* The crop with clamp-to-edge sampling (MediaPipe's BORDER_REPLICATE): positions are
 * clamped to the outermost pixel centres, then blended bilinearly. */
static void crop_replicate(const struct pa_image *img, float *dst, int size, const float m[6],
                           float scale)
{
    float umax = (float)(img->w - 1), vmax = (float)(img->h - 1);
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++, dst += 3) {
            float xc = (float)x + 0.5f, yc = (float)y + 0.5f;
            float u = m[0] * xc + m[1] * yc + m[2] - 0.5f;
            float v = m[3] * xc + m[4] * yc + m[5] - 0.5f;
            u = u > 0.0f ? (u < umax ? u : umax) : 0.0f; /* also maps NaN to 0 */
            v = v > 0.0f ? (v < vmax ? v : vmax) : 0.0f;
            int j = (int)u, i = (int)v;
            float fu = u - (float)j, fv = v - (float)i;
            int j1 = j + 1 < img->w ? j + 1 : j, i1 = i + 1 < img->h ? i + 1 : i;
            const uint8_t *r0 = img->data + (size_t)i * (size_t)img->stride;
            const uint8_t *r1 = img->data + (size_t)i1 * (size_t)img->stride;
            for (int c = 0; c < 3; c++) {
                float top = (float)r0[3 * j + c] + fu * (float)(r0[3 * j1 + c] - r0[3 * j + c]);
                float bot = (float)r1[3 * j + c] + fu * (float)(r1[3 * j1 + c] - r1[3 * j + c]);
                dst[c] = (top + fv * (bot - top)) * scale;
            }
        }
    }
}

int pa_landmarker_run(struct pa_landmarker *lm, const struct pa_image *img,
                      const struct pa_roi *roi, float (*pts)[3], float *presence)
{
    if (img->fmt != PA_PIX_RGB24 || !img->data || img->w <= 0 || img->h <= 0)
        return PA_EINVAL;
    float *m = lm->crop_m;
    pa_roi_matrix(roi, LM_SIZE, m);
    float *in = pa_nn_session_input(lm->session, 0);
    int ret = 0;
    /* Inside the image both paths give the same values; the core warp is faster. */
    if (crop_inside(m, LM_SIZE, img->w, img->h))
        ret = pa_image_warp_affine_f32(img, in, LM_SIZE, LM_SIZE, m, 1.0f / 255.0f, 0.0f);
    else
        crop_replicate(img, in, LM_SIZE, m, 1.0f / 255.0f);
    if (ret < 0)
        return ret;
    ret = pa_nn_session_run(lm->session);
    if (ret < 0)
        return ret;
    const float *flag = pa_nn_session_output(lm->session, lm->out_idx[H_FLAG]);
    *presence = 1.0f / (1.0f + expf(-PA_CLAMP(flag[0], -100.0f, 100.0f)));
    const float *mesh = pa_nn_session_output(lm->session, lm->out_idx[H_MESH]);
    for (int i = 0; i < PA_LM_MESH; i++)
        project(m, roi->w, mesh[3 * i], mesh[3 * i + 1], mesh[3 * i + 2], pts[i]);
    if (lm->n_points == PA_LM_MESH)
        return 0;
    const float *o[H_N];
    for (int h = H_LIPS; h <= H_RIGHT_IRIS; h++)
        o[h] = pa_nn_session_output(lm->session, lm->out_idx[h]);
    refine_xy(m, roi->w, o[H_LIPS], k_lips_idx, 80, pts);
    refine_xy(m, roi->w, o[H_LEFT_EYE], k_left_eye_idx, 71, pts);
    refine_xy(m, roi->w, o[H_RIGHT_EYE], k_right_eye_idx, 71, pts);
    add_iris(m, roi->w, o[H_LEFT_IRIS], k_left_eye_idx, 468, pts);
    add_iris(m, roi->w, o[H_RIGHT_IRIS], k_right_eye_idx, 473, pts);
    return 0;
}

/** @file
 * Person segmentation with MediaPipe's selfie segmentation model (pa_segmenter_*).
 *
 * Model contract (selfie_segmentation.tflite, "mlkit-256x256"; checked at load):
 * input 1×256×256×3 float RGB in [0, 1], output 1×256×256×1 float person probability; the
 * graph already ends in LOGISTIC, so the output is used as is (no extra sigmoid).
 *
 * Algorithm digest. As MediaPipe's selfie segmentation graph (ImageToTensor without keeping
 * the aspect ratio, range [0, 1]): the whole image is resampled to the input size by the
 * plain scale map x_in = x_img · W_in / W_img (pixel centres, bilinear), the network runs,
 * and the probability map is resampled bilinearly back to the mask size (pixel centres,
 * edges clamped) and quantised to 0..255.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"
#include "panim.h"

#define SEG_MODEL "selfie_segmentation.tflite"

struct pa_segmenter {
    struct pa_nn_model *model;
    struct pa_nn_session *sess;
    int in_w, in_h;   ///< network input size
    int out_w, out_h; ///< probability map size
};

/* Read the model's I/O shapes and check them against the contract above. */
static int check_io(struct pa_segmenter *s, const char *path)
{
    int dims[4], nd = 0;
    const char *name = NULL;
    if (pa_nn_model_num_io(s->model, 0) != 1 || pa_nn_model_num_io(s->model, 1) < 1 ||
        pa_nn_model_io(s->model, 0, 0, dims, &nd, &name) < 0 || nd != 4 || dims[0] != 1 ||
        dims[3] != 3 || dims[1] <= 0 || dims[2] <= 0)
        goto bad;
    s->in_h = dims[1];
    s->in_w = dims[2];
    if (pa_nn_model_io(s->model, 1, 0, dims, &nd, &name) < 0 || nd != 4 || dims[0] != 1 ||
        dims[3] != 1 || dims[1] <= 0 || dims[2] <= 0)
        goto bad;
    s->out_h = dims[1];
    s->out_w = dims[2];
    return 0;
bad:
    pa_log_error("track", "%s: expected one 1xHxWx3 input and a 1xHxWx1 output", path);
    return PA_EINVALDATA;
}

int pa_segmenter_create(struct pa_segmenter **out, const char *models_dir,
                        enum pa_nn_backend backend, struct pa_parallel *par)
{
    *out = NULL;
    if (!models_dir)
        return PA_EINVAL;
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s", models_dir, SEG_MODEL) >= (int)sizeof(path))
        return PA_EINVAL;
    struct pa_segmenter *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    int ret = pa_nn_model_load(&s->model, path);
    if (ret < 0 || (ret = check_io(s, path)) < 0)
        goto fail;
    if ((ret = pa_nn_session_create(&s->sess, s->model, backend, par)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    pa_segmenter_destroy(s);
    return ret;
}

void pa_segmenter_destroy(struct pa_segmenter *s)
{
    if (!s)
        return;
    pa_nn_session_destroy(s->sess);
    pa_nn_model_destroy(s->model);
    pa_free(s);
}

/* Bilinear resample of the w×h probability map into a GRAY8 mask (pixel centres). */
static void resample_mask(const float *prob, int w, int h, struct pa_image *mask)
{
    const float sx = (float)w / (float)mask->w, sy = (float)h / (float)mask->h;
    for (int y = 0; y < mask->h; y++) {
        float fy = fminf(fmaxf(((float)y + 0.5f) * sy - 0.5f, 0.0f), (float)(h - 1));
        int y0 = (int)fy, y1 = PA_MIN(y0 + 1, h - 1);
        float ay = fy - (float)y0;
        const float *r0 = prob + (size_t)y0 * (size_t)w, *r1 = prob + (size_t)y1 * (size_t)w;
        uint8_t *dst = pa_image_px(mask, 0, y);
        for (int x = 0; x < mask->w; x++) {
            float fx = fminf(fmaxf(((float)x + 0.5f) * sx - 0.5f, 0.0f), (float)(w - 1));
            int x0 = (int)fx, x1 = PA_MIN(x0 + 1, w - 1);
            float ax = fx - (float)x0;
            float top = r0[x0] + ax * (r0[x1] - r0[x0]);
            float bot = r1[x0] + ax * (r1[x1] - r1[x0]);
            float v = top + ay * (bot - top);
            if (!(v > 0.0f)) // NaN-safe: anything not positive is background
                v = 0.0f;
            dst[x] = (uint8_t)(fminf(v, 1.0f) * 255.0f + 0.5f);
        }
    }
}

int pa_segmenter_run(struct pa_segmenter *s, const struct pa_image *img, struct pa_image *mask)
{
    if (!s || !img || !img->data || img->fmt != PA_PIX_RGB24 || img->w <= 0 || img->h <= 0 ||
        !mask || !mask->data || mask->fmt != PA_PIX_GRAY8 || mask->w <= 0 || mask->h <= 0) {
        pa_log_error("track", "segmenter: need an RGB24 image and a GRAY8 mask");
        return PA_EINVAL;
    }
    float *in = pa_nn_session_input(s->sess, 0);
    const float m[6] = {(float)img->w / (float)s->in_w, 0, 0, 0, (float)img->h / (float)s->in_h, 0};
    int ret = pa_image_warp_affine_f32(img, in, s->in_w, s->in_h, m, 1.0f / 255.0f, 0.0f);
    if (ret < 0 || (ret = pa_nn_session_run(s->sess)) < 0)
        return ret;
    resample_mask(pa_nn_session_output(s->sess, 0), s->out_w, s->out_h, mask);
    return 0;
}

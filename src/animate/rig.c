/** @file
 * Portrait rig creation (pa_rig_create): the working crop and its transforms, the source
 * pose and shape, then the deformation mesh (mesh_build.c) and the lip colour statistics.
 *
 * Algorithm digest. Face size F = the larger side of the 468-point landmark box. The crop is
 * a square of side round(crop_scale · F) portrait pixels centred on the box centre raised by
 * 0.1 F (so hair is included), shifted to lie inside the portrait when it fits, at integer
 * pixel offsets. Its resolution is cs = min(crop_size, side): a small face is never
 * upsampled (the crop is then an exact copy and the paste-back an integer translation, so
 * unmoved pixels stay bit exact); a large one is shrunk to crop_size² (area averaging when
 * shrinking by more than 2×, bilinear otherwise). crop_to_img = [side/cs, 0, x0; 0, side/cs, y0].
 */
#include "rig.h"

#include <math.h>
#include <string.h>

#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"

struct pa_anim_params pa_anim_default_params(void)
{
    return (struct pa_anim_params){
        .method = PA_ANIM_MESH,
        .absolute = 0,
        .absolute_pose = 0,
        .expr_scale = 1.0f,
        .yaw_mul = 1.0f,
        .pitch_mul = 1.0f,
        .roll_mul = 1.0f,
        .eye_open_ratio = -1.0f,
        .lip_open_ratio = -1.0f,
        .follow = PA_FOLLOW_ALL,
        .stitching = 1,
        .mouth = PA_MOUTH_AUTO,
        .crop_scale = 2.5f,
        .crop_size = 512,
        .release_time = 0.3f,
    };
}

static int check_face(const struct pa_face_state *f)
{
    if (f->n_points < PA_FACE_MESH_POINTS || f->n_points > PA_FACE_MAX_POINTS)
        return PA_EINVAL;
    for (int i = 0; i < f->n_points; i++)
        for (int k = 0; k < 3; k++)
            if (!isfinite(f->pts[i][k]))
                return PA_EINVAL;
    for (int i = 0; i < PA_FACE_MESH_POINTS; i++)
        for (int k = 0; k < 3; k++)
            if (!isfinite(f->canonical[i][k]))
                return PA_EINVAL;
    if (!(f->pose.scale > 0) || !isfinite(f->pose.scale) || !isfinite(f->pose.tx) ||
        !isfinite(f->pose.ty) || !isfinite(f->pose.tz))
        return PA_EINVAL;
    return 0;
}

/* Mean colour of the portrait on a coarse grid (the affine baseline's border). */
static void mean_colour(const struct pa_image *img, uint8_t out[4])
{
    double s[3] = {0, 0, 0};
    int n = 0;
    for (int y = 0; y < img->h; y += PA_MAX(1, img->h / 64)) {
        for (int x = 0; x < img->w; x += PA_MAX(1, img->w / 64)) {
            const uint8_t *p = pa_image_px(img, x, y);
            for (int c = 0; c < 3; c++)
                s[c] += p[c];
            n++;
        }
    }
    for (int c = 0; c < 3; c++)
        out[c] = (uint8_t)(s[c] / n + 0.5);
    out[3] = 255;
}

/* Choose the crop square and fill rig->crop with it. */
static int make_crop(struct pa_rig *rig)
{
    const struct pa_face_state *f = &rig->face;
    float x0 = f->pts[0][0], x1 = x0, y0 = f->pts[0][1], y1 = y0;
    for (int i = 1; i < PA_FACE_MESH_POINTS; i++) {
        x0 = fminf(x0, f->pts[i][0]);
        x1 = fmaxf(x1, f->pts[i][0]);
        y0 = fminf(y0, f->pts[i][1]);
        y1 = fmaxf(y1, f->pts[i][1]);
    }
    const struct pa_image *img = &rig->portrait;
    rig->face_size = fmaxf(fmaxf(x1 - x0, y1 - y0), 1.0f);
    rig->face_centre[0] = 0.5f * (x0 + x1);
    rig->face_centre[1] = 0.5f * (y0 + y1);
    float side_f = fminf(rig->params.crop_scale * rig->face_size, 65536.0f);
    int side = PA_MAX(16, (int)lrintf(side_f));
    const int cs = PA_MIN(rig->params.crop_size, side);
    rig->cs = cs;
    float cx = rig->face_centre[0], cy = rig->face_centre[1] - 0.1f * rig->face_size;
    long ox = lrintf(cx - 0.5f * (float)side), oy = lrintf(cy - 0.5f * (float)side);
    if (side <= img->w)
        ox = PA_CLAMP(ox, 0, img->w - side);
    if (side <= img->h)
        oy = PA_CLAMP(oy, 0, img->h - side);
    float a = (float)side / (float)cs;
    const float m[6] = {a, 0, (float)ox, 0, a, (float)oy};
    memcpy(rig->crop_to_img, m, sizeof(m));
    const float inv[6] = {1.0f / a, 0, -(float)ox / a, 0, 1.0f / a, -(float)oy / a};
    memcpy(rig->img_to_crop, inv, sizeof(inv));
    rig->k = 1.0f / a;
    int ret = pa_image_alloc(&rig->crop, cs, cs, PA_PIX_RGB24);
    if (ret < 0)
        return ret;
    if (ox >= 0 && oy >= 0 && ox + side <= img->w && oy + side <= img->h) {
        struct pa_image view;
        if ((ret = pa_image_view(&view, img, (int)ox, (int)oy, side, side)) < 0)
            return ret;
        return pa_image_resize(&view, &rig->crop);
    }
    return pa_image_warp_affine(img, &rig->crop, m, rig->border);
}

int pa_rig_create(struct pa_rig **out, const struct pa_image *portrait,
                  const struct pa_face_state *face, const struct pa_image *person_mask,
                  const struct pa_anim_params *params)
{
    *out = NULL;
    struct pa_anim_params p = params ? *params : pa_anim_default_params();
    if (!portrait || !portrait->data || portrait->fmt != PA_PIX_RGB24 || portrait->w < 16 ||
        portrait->h < 16 || !face) {
        pa_log_error("animate", "rig: need an RGB24 portrait of at least 16x16 and a face");
        return PA_EINVAL;
    }
    if (!face->found)
        return PA_ENOFACE;
    if (check_face(face) < 0) {
        pa_log_error("animate", "rig: face state with %d points or non-finite values",
                     face->n_points);
        return PA_EINVAL;
    }
    if (p.crop_size < 64 || p.crop_size > 4096 || !(p.crop_scale >= 1.0f) ||
        !(p.crop_scale <= 8.0f)) {
        pa_log_error("animate", "rig: crop_size %d (64..4096) or crop_scale %g (1..8) invalid",
                     p.crop_size, (double)p.crop_scale);
        return PA_EINVAL;
    }
    if (person_mask && (!person_mask->data || person_mask->fmt != PA_PIX_GRAY8 ||
                        person_mask->w <= 0 || person_mask->h <= 0)) {
        pa_log_error("animate", "rig: the person mask must be a GRAY8 image");
        return PA_EINVAL;
    }
    struct pa_rig *rig = pa_calloc(1, sizeof(*rig));
    if (!rig)
        return PA_ENOMEM;
    rig->params = p;
    rig->face = *face;
    int ret = pa_image_alloc(&rig->portrait, portrait->w, portrait->h, PA_PIX_RGB24);
    if (ret < 0 || (ret = pa_image_copy(&rig->portrait, portrait)) < 0)
        goto fail;
    mean_colour(&rig->portrait, rig->border);
    if ((ret = make_crop(rig)) < 0)
        goto fail;
    memcpy(rig->pose.r, face->pose.rot, sizeof(rig->pose.r));
    rig->pose.s = face->pose.scale;
    rig->pose.t[0] = face->pose.tx;
    rig->pose.t[1] = face->pose.ty;
    rig->pose.t[2] = face->pose.tz;
    rig->pose.yaw = face->pose.yaw;
    rig->pose.pitch = face->pose.pitch;
    rig->pose.roll = face->pose.roll;
    const float *c33 = face->canonical[33], *c263 = face->canonical[263];
    rig->iod =
        sqrtf((c33[0] - c263[0]) * (c33[0] - c263[0]) + (c33[1] - c263[1]) * (c33[1] - c263[1]) +
              (c33[2] - c263[2]) * (c33[2] - c263[2]));
    rig->has_iris = face->n_points >= PA_FACE_MAX_POINTS;
    rig->has_mask = person_mask != NULL;
    pa_rig_build_mesh(rig, person_mask);
    pa_lip_stats(&rig->crop, &face->pts[0][0], rig->img_to_crop, rig->lip_mean, rig->lip_std);
    *out = rig;
    return 0;
fail:
    pa_rig_destroy(rig);
    return ret;
}

void pa_rig_destroy(struct pa_rig *rig)
{
    if (!rig)
        return;
    pa_image_free(&rig->portrait);
    pa_image_free(&rig->crop);
    pa_free(rig);
}

/** @file
 * The animate stage's entry point: pa_animator_* renders the portrait moved like a driver
 * face state (mesh reenactment), or one of the two baselines (2D similarity, static).
 *
 * Per frame (PA_ANIM_MESH):
 *  1. Motion (motion.c): driver -> expression / pose / gaze deltas, eased out when lost.
 *  2. Pose the mesh (mesh_build.c): target crop positions and depths of every vertex.
 *  3. Active region: a vertex moves when it is displaced by more than 0.05 portrait pixels;
 *     a triangle is active when one of its vertices moves. The bounding box of the active
 *     triangles (plus the feather reach) is the only region rendered, and a motion that
 *     moves nothing returns the portrait untouched (bit exact). Paste alpha: every vertex
 *     of an active triangle gets 1, so the mask is 255 wherever content moved, however
 *     little: a ramp inside moving triangles would show the old silhouette through (a
 *     ghost). When the crop is an exact copy of the portrait (k = 1: faces up to
 *     crop_size / crop_scale pixels) unmoved pixels are exact, so that is all. With a
 *     resampled crop (k < 1) the mask must fall to 0 over unmoved pixels, so the unmoved
 *     neighbours of active triangles are drawn too and carry the ramp, and the crop border
 *     keeps alpha 0 unless it moves (no blurred-square edge).
 *  4. Mouth pass into the box: the portrait's own mouth opening stretched to the target
 *     opening; when the target opening's canonical area exceeds the rest area by more than
 *     5 %, a fill (driver frame's mouth colour-matched to the portrait's lips, or the
 *     procedural cavity) is blended over it with weight f = clamp((A_t - 1.05 A_s - 0.05) /
 *     (0.25 A_s + 0.4), 0, 1) (cm²), so it fades in as the mouth opens.
 *  5. Face pass: the active triangles, and the unmoved face triangles (skin, eyeballs, lids)
 *     touching the box, are warped from the rest crop with the depth test (eyeballs behind
 *     the lids, the far cheek behind the nose); unmoved face triangles reproduce the rest
 *     crop and keep the occlusion right (a still lid over a moving iris). Unmoved ring
 *     triangles lie behind everything and are already in the box as the rest crop.
 *  6. Paste-back: mask = max(mouth-pass coverage, face-pass coverage), i.e. the alpha of
 *     step 3 interpolated per pixel. Its edges lie on unmoved pixels (exact crop) or are
 *     ramps (k < 1), so it is only feathered (pa_mask_feather) when stitching is off,
 *     after zeroing it near the crop border (which then moves). The box of the rendered
 *     crop is blended into a copy of the portrait (pa_composite_paste; the copy is split
 *     over the pool's threads).
 * PA_ANIM_AFFINE2D warps the whole portrait by the similarity (roll delta, scale ratio,
 * translation) about the face centre; PA_ANIM_STATIC copies the portrait.
 * Nothing here allocates after pa_animator_create.
 */
#include <math.h>
#include <string.h>

#include "animate/composite.h"
#include "animate/motion.h"
#include "animate/raster.h"
#include "animate/rig.h"
#include "core/image.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"

struct pa_animator {
    const struct pa_rig *rig;
    struct pa_anim_params p;
    struct pa_parallel *par;
    struct pa_raster *raster;
    struct pa_image work;    ///< the rendered crop (cs², RGB24)
    struct pa_image scratch; ///< mouth fill before blending
    uint8_t *mask;           ///< cs² paste mask, row stride mask_stride
    int mask_stride;
    uint8_t *mask_tmp; ///< pa_mask_feather scratch
    int feather;       ///< feather radius, crop pixels
    struct pa_motion_state ms;
    struct pa_motion motion;
    float canon[PA_RIG_FACE][3];
    struct pa_pose pose;
    float dst_xy[PA_RIG_NV][2], dst_z[PA_RIG_NV], alpha[PA_RIG_NV], off_xy[PA_RIG_NV][2];
    float moved_flag[PA_RIG_NV]; ///< per-vertex "moved" flags
    float src_xy[PA_RIG_NV][2];  ///< this frame's texture positions (pa_rig_lid_sources)
    int n_tri;
    int32_t tri[PA_RIG_MAX_TRI][3];
    uint8_t active[PA_RIG_MAX_TRI]; ///< enum tri_state of each triangle (this frame)
    float m_dst[PA_MOUTH_NV][2], m_off[PA_MOUTH_NV][2], m_drv[PA_MOUTH_NV][2];
    float m_alpha[PA_MOUTH_NV], m_rgb[PA_MOUTH_NV][3];
    int mouth_active; ///< the mouth grid moves or gets a fill (this frame)
};

/* What a triangle does this frame. */
enum tri_state {
    TRI_STILL = 0, ///< no vertex moves
    TRI_ACTIVE,    ///< a vertex moves
    TRI_RAMP,      ///< still, next to an active one: carries the mask ramp (k < 1)
};

/* Integer box [x0, x1) x [y0, y1) in crop pixels. */
struct box {
    int x0, y0, x1, y1;
};

static int check_params(const struct pa_anim_params *p)
{
    if ((unsigned)p->method > PA_ANIM_STATIC || (unsigned)p->mouth > PA_MOUTH_NONE ||
        !isfinite(p->expr_scale) || !isfinite(p->yaw_mul) || !isfinite(p->pitch_mul) ||
        !isfinite(p->roll_mul) || !(p->release_time >= 0) || !isfinite(p->release_time) ||
        !(p->eye_open_ratio <= 1.0f) || !(p->lip_open_ratio <= 1.0f)) {
        pa_log_error("animate", "animator: invalid parameters");
        return PA_EINVAL;
    }
    return 0;
}

int pa_animator_create(struct pa_animator **out, const struct pa_rig *rig,
                       const struct pa_anim_params *params, struct pa_parallel *par)
{
    *out = NULL;
    if (!rig)
        return PA_EINVAL;
    struct pa_anim_params p = params ? *params : rig->params;
    int ret = check_params(&p);
    if (ret < 0)
        return ret;
    struct pa_animator *a = pa_calloc(1, sizeof(*a));
    if (!a)
        return PA_ENOMEM;
    a->rig = rig;
    a->p = p;
    a->par = par;
    const int cs = rig->cs;
    a->feather = PA_MAX(1, (cs + 100) / 200);
    a->mask_stride = (cs + PA_ALIGN - 1) / PA_ALIGN * PA_ALIGN;
    size_t n_mask;
    ret = PA_EOVERFLOW;
    if (pa_size_mul((size_t)a->mask_stride, (size_t)cs, &n_mask) < 0 ||
        pa_mask_scratch_size(cs, cs) == 0)
        goto fail;
    ret = PA_ENOMEM;
    a->mask = pa_calloc(n_mask, 1);
    a->mask_tmp = pa_malloc(pa_mask_scratch_size(cs, cs));
    if (!a->mask || !a->mask_tmp)
        goto fail;
    if ((ret = pa_raster_create(&a->raster, cs, cs)) < 0 ||
        (ret = pa_image_alloc(&a->work, cs, cs, PA_PIX_RGB24)) < 0 ||
        (ret = pa_image_alloc(&a->scratch, cs, cs, PA_PIX_RGB24)) < 0)
        goto fail;
    pa_mouth_procedural(rig, a->m_rgb);
    pa_motion_reset(&a->ms);
    *out = a;
    return 0;
fail:
    pa_animator_destroy(a);
    return ret;
}

void pa_animator_destroy(struct pa_animator *a)
{
    if (!a)
        return;
    pa_raster_destroy(a->raster);
    pa_image_free(&a->work);
    pa_image_free(&a->scratch);
    pa_free(a->mask);
    pa_free(a->mask_tmp);
    pa_free(a);
}

int pa_animator_set_params(struct pa_animator *a, const struct pa_anim_params *params)
{
    if (!a || !params)
        return PA_EINVAL;
    int ret = check_params(params);
    if (ret < 0)
        return ret;
    if (params->absolute != a->p.absolute)
        a->ms.recalibrate = 1;
    a->p = *params;
    return 0;
}

void pa_animator_calibrate(struct pa_animator *a)
{
    if (a)
        a->ms.recalibrate = 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Mesh rendering                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* 1 when a vertex moved by more than 0.05 portrait pixels (k = crop pixels per portrait px). */
static float moved(const float *dst, const float *src, float k)
{
    float dx = dst[0] - src[0], dy = dst[1] - src[1], t = 0.05f * k;
    return dx * dx + dy * dy > t * t ? 1.0f : 0.0f;
}

static void box_add(float b[4], const float *p)
{
    b[0] = fminf(b[0], p[0]);
    b[1] = fminf(b[1], p[1]);
    b[2] = fmaxf(b[2], p[0]);
    b[3] = fmaxf(b[3], p[1]);
}

/* Fill weight of the mouth interior from the target and rest opening areas (cm²). */
static float mouth_fill_weight(const struct pa_animator *a)
{
    if (a->p.mouth == PA_MOUTH_NONE)
        return 0.0f;
    float at = pa_mouth_area(&a->canon[0][0]), as = a->rig->mouth_area;
    return fminf(fmaxf((at - 1.05f * as - 0.05f) / (0.25f * as + 0.4f), 0.0f), 1.0f);
}

/* Alphas, the active float box over moving triangles and the mouth; @return 1 if any. */
static int active_box(struct pa_animator *a, float f, float fb[4])
{
    const struct pa_rig *rig = a->rig;
    fb[0] = fb[1] = INFINITY;
    fb[2] = fb[3] = -INFINITY;
    float *mv = a->moved_flag;
    for (int v = 0; v < PA_RIG_NV; v++) {
        mv[v] = moved(a->dst_xy[v], rig->src_xy[v], rig->k);
        a->alpha[v] = 0.0f;
    }
    const int exact = rig->k == 1.0f;
    const int outer = PA_RIG_V_RING + (PA_RIG_RINGS - 1) * PA_RIG_OVAL;
    int any = 0;
    for (int t = 0; t < rig->n_tri; t++) {
        const int32_t *tr = rig->tri[t];
        a->active[t] = mv[tr[0]] > 0 || mv[tr[1]] > 0 || mv[tr[2]] > 0 ? TRI_ACTIVE : TRI_STILL;
        if (a->active[t]) {
            for (int j = 0; j < 3; j++) {
                a->alpha[tr[j]] = exact || tr[j] < outer ? 1.0f : mv[tr[j]];
                box_add(fb, a->dst_xy[tr[j]]);
            }
            any = 1;
        }
    }
    for (int t = 0; !exact && any && t < rig->n_tri; t++) {
        const int32_t *tr = rig->tri[t];
        if (!a->active[t] && (a->alpha[tr[0]] > 0 || a->alpha[tr[1]] > 0 || a->alpha[tr[2]] > 0)) {
            a->active[t] = TRI_RAMP;
            for (int j = 0; j < 3; j++)
                box_add(fb, a->dst_xy[tr[j]]);
        }
    }
    int mouth = f > 0;
    for (int v = 0; v < PA_MOUTH_NV; v++)
        mouth |= moved(a->m_dst[v], rig->mouth_src[v], rig->k) > 0;
    for (int v = 0; v < PA_MOUTH_NV; v++) {
        a->m_alpha[v] = mouth ? 1.0f : 0.0f;
        if (mouth)
            box_add(fb, a->m_dst[v]);
    }
    a->mouth_active = mouth;
    return any || mouth;
}

/* The active triangles, and the unmoved inner ones whose box meets the active box. */
static void select_triangles(struct pa_animator *a, const float fb[4])
{
    const struct pa_rig *rig = a->rig;
    a->n_tri = 0;
    for (int t = 0; t < rig->n_tri; t++) {
        if (a->active[t]) {
            memcpy(a->tri[a->n_tri++], rig->tri[t], sizeof(a->tri[0]));
            continue;
        }
        if (t >= rig->n_tri_inner)
            continue;
        const float *p0 = a->dst_xy[rig->tri[t][0]], *p1 = a->dst_xy[rig->tri[t][1]];
        const float *p2 = a->dst_xy[rig->tri[t][2]];
        float x0 = fminf(p0[0], fminf(p1[0], p2[0])), x1 = fmaxf(p0[0], fmaxf(p1[0], p2[0]));
        float y0 = fminf(p0[1], fminf(p1[1], p2[1])), y1 = fmaxf(p0[1], fmaxf(p1[1], p2[1]));
        if (x1 < fb[0] || x0 > fb[2] || y1 < fb[1] || y0 > fb[3])
            continue;
        memcpy(a->tri[a->n_tri++], rig->tri[t], sizeof(a->tri[0]));
    }
}

/* Mouth pass: stretch the rest mouth, then blend the fill in with weight f. */
static int render_mouth(struct pa_animator *a, const struct box *b, float f,
                        const struct pa_face_state *drv, const struct pa_image *drv_frame)
{
    const struct pa_rig *rig = a->rig;
    struct pa_image view, sview;
    int ret = pa_image_view(&view, &a->work, b->x0, b->y0, b->x1 - b->x0, b->y1 - b->y0);
    if (ret < 0)
        return ret;
    struct pa_warp_mesh m = {PA_MOUTH_NV, &a->m_off[0][0], &rig->mouth_src[0][0], NULL,
                             a->m_alpha,  PA_MOUTH_NT,     &rig->mouth_tri[0][0]};
    if ((ret = pa_raster_warp(a->raster, &m, &rig->crop, &view, a->par)) < 0)
        return ret;
    int cs_stride;
    const uint8_t *cov = pa_raster_coverage(a->raster, &cs_stride);
    for (int y = 0; y < view.h; y++)
        memcpy(a->mask + (size_t)(y + b->y0) * (size_t)a->mask_stride + (size_t)b->x0,
               cov + (size_t)y * (size_t)cs_stride, (size_t)view.w);
    if (f <= 0)
        return 0;
    if ((ret = pa_image_view(&sview, &a->scratch, b->x0, b->y0, view.w, view.h)) < 0)
        return ret;
    m.alpha = NULL;
    int use_driver = drv_frame && drv->found && drv->n_points >= PA_FACE_MESH_POINTS &&
                     (a->p.mouth == PA_MOUTH_AUTO || a->p.mouth == PA_MOUTH_DRIVER);
    if (use_driver) {
        pa_mouth_grid(&drv->pts[0][0], 3, NULL, a->m_drv);
        m.src_xy = &a->m_drv[0][0];
        if ((ret = pa_raster_warp(a->raster, &m, drv_frame, &sview, a->par)) < 0)
            return ret;
        float mean[3], sd[3];
        pa_lip_stats(drv_frame, &drv->pts[0][0], NULL, mean, sd);
        cov = pa_raster_coverage(a->raster, &cs_stride);
        pa_colour_match(&sview, cov, cs_stride, mean, rig->lip_mean);
    } else {
        if ((ret = pa_raster_fill(a->raster, &m, &a->m_rgb[0][0], &sview, a->par)) < 0)
            return ret;
    }
    cov = pa_raster_coverage(a->raster, &cs_stride);
    const int fw = (int)lrintf(f * 256.0f);
    for (int y = 0; y < view.h; y++) {
        const uint8_t *cv = cov + (size_t)y * (size_t)cs_stride;
        const uint8_t *s = pa_image_px(&sview, 0, y);
        uint8_t *d = pa_image_px(&view, 0, y);
        uint8_t *mk = a->mask + (size_t)(y + b->y0) * (size_t)a->mask_stride + (size_t)b->x0;
        for (int x = 0; x < view.w; x++) {
            if (!cv[x])
                continue;
            int w = fw * cv[x] / 255;
            for (int c = 0; c < 3; c++)
                d[3 * x + c] =
                    (uint8_t)(d[3 * x + c] + (((s[3 * x + c] - d[3 * x + c]) * w + 128) >> 8));
            mk[x] = (uint8_t)PA_MAX(mk[x], PA_MIN(255, w));
        }
    }
    return 0;
}

static int render_face(struct pa_animator *a, const struct box *b)
{
    const struct pa_rig *rig = a->rig;
    struct pa_image view;
    int ret = pa_image_view(&view, &a->work, b->x0, b->y0, b->x1 - b->x0, b->y1 - b->y0);
    if (ret < 0)
        return ret;
    struct pa_warp_mesh m = {PA_RIG_NV, &a->off_xy[0][0], &a->src_xy[0][0], a->dst_z,
                             a->alpha,  a->n_tri,         &a->tri[0][0]};
    if ((ret = pa_raster_warp(a->raster, &m, &rig->crop, &view, a->par)) < 0)
        return ret;
    int cs_stride;
    const uint8_t *cov = pa_raster_coverage(a->raster, &cs_stride);
    for (int y = 0; y < view.h; y++) {
        const uint8_t *cv = cov + (size_t)y * (size_t)cs_stride;
        uint8_t *mk = a->mask + (size_t)(y + b->y0) * (size_t)a->mask_stride + (size_t)b->x0;
        for (int x = 0; x < view.w; x++)
            mk[x] = PA_MAX(mk[x], cv[x]);
    }
    return 0;
}

struct copy_job {
    struct pa_image *dst;
    const struct pa_image *src;
};

static void copy_rows(void *ctx, int job, int n_jobs)
{
    const struct copy_job *c = ctx;
    int y0 = (int)((int64_t)c->dst->h * job / n_jobs),
        y1 = (int)((int64_t)c->dst->h * (job + 1) / n_jobs);
    size_t n = (size_t)c->dst->w * 3;
    for (int y = y0; y < y1; y++)
        memcpy(pa_image_px(c->dst, 0, y), pa_image_px(c->src, 0, y), n);
}

/* out = the portrait, rows split over the pool. */
static void copy_portrait(struct pa_animator *a, struct pa_image *out)
{
    struct copy_job c = {out, &a->rig->portrait};
    int threads = pa_parallel_threads(a->par);
    pa_parallel_for(a->par, copy_rows, &c, threads > 1 ? 2 * threads : 1);
}

/* Feather the mask in the box and blend the box of the rendered crop into out. */
static int paste(struct pa_animator *a, const struct box *b, struct pa_image *out)
{
    const struct pa_rig *rig = a->rig;
    const int cs = rig->cs, w = b->x1 - b->x0, h = b->y1 - b->y0;
    uint8_t *mk = a->mask + (size_t)b->y0 * (size_t)a->mask_stride + (size_t)b->x0;
    if (!a->p.stitching) {
        /* The crop border may move: keep the mask 0 within the feather reach of it. */
        int band = 3 * a->feather + 1;
        for (int y = 0; y < h; y++) {
            int cy = y + b->y0;
            for (int x = 0; x < w; x++) {
                int cx = x + b->x0;
                if (cx < band || cy < band || cx >= cs - band || cy >= cs - band)
                    mk[(size_t)y * (size_t)a->mask_stride + (size_t)x] = 0;
            }
        }
        pa_mask_feather(mk, w, h, a->mask_stride, a->feather, a->mask_tmp);
    }
    copy_portrait(a, out);
    struct pa_image view;
    int ret = pa_image_view(&view, &a->work, b->x0, b->y0, w, h);
    if (ret < 0)
        return ret;
    float m[6];
    memcpy(m, rig->crop_to_img, sizeof(m));
    m[2] += m[0] * (float)b->x0;
    m[5] += m[4] * (float)b->y0;
    return pa_composite_paste(out, &view, mk, a->mask_stride, m, a->par);
}

static int render_mesh(struct pa_animator *a, const struct pa_face_state *drv,
                       const struct pa_image *drv_frame, struct pa_image *out)
{
    const struct pa_rig *rig = a->rig;
    const int cs = rig->cs;
    pa_motion_target(rig, &a->p, &a->motion, a->canon, &a->pose);
    pa_rig_pose_mesh(rig, &a->p, a->canon, &a->pose, a->motion.gaze, a->dst_xy, a->dst_z);
    pa_rig_lid_sources(rig, a->dst_xy, a->src_xy);
    pa_mouth_grid(&a->dst_xy[0][0], 2, NULL, a->m_dst);
    float f = mouth_fill_weight(a), fb[4];
    if (!active_box(a, f, fb)) {
        copy_portrait(a, out);
        return 0;
    }
    select_triangles(a, fb);
    int margin = a->p.stitching ? 2 : 3 * a->feather + 2;
    struct box b = {(int)floorf(fb[0]) - margin, (int)floorf(fb[1]) - margin,
                    (int)ceilf(fb[2]) + margin, (int)ceilf(fb[3]) + margin};
    b.x0 = PA_CLAMP(b.x0, 0, cs - 1);
    b.y0 = PA_CLAMP(b.y0, 0, cs - 1);
    b.x1 = PA_CLAMP(b.x1, b.x0 + 1, cs);
    b.y1 = PA_CLAMP(b.y1, b.y0 + 1, cs);
    for (int y = b.y0; y < b.y1; y++) {
        memcpy(pa_image_px(&a->work, b.x0, y), pa_image_px(&rig->crop, b.x0, y),
               (size_t)(b.x1 - b.x0) * 3);
        memset(a->mask + (size_t)y * (size_t)a->mask_stride + (size_t)b.x0, 0,
               (size_t)(b.x1 - b.x0));
    }
    for (int v = 0; v < PA_RIG_NV; v++) {
        a->off_xy[v][0] = a->dst_xy[v][0] - (float)b.x0;
        a->off_xy[v][1] = a->dst_xy[v][1] - (float)b.y0;
    }
    for (int v = 0; v < PA_MOUTH_NV; v++) {
        a->m_off[v][0] = a->m_dst[v][0] - (float)b.x0;
        a->m_off[v][1] = a->m_dst[v][1] - (float)b.y0;
    }
    /* A still mouth is already in the box as the rest crop. */
    int ret = a->mouth_active ? render_mouth(a, &b, f, drv, drv_frame) : 0;
    if (ret < 0 || (ret = render_face(a, &b)) < 0)
        return ret;
    return paste(a, &b, out);
}

/* ------------------------------------------------------------------------------------------ */
/* Baselines and entry point                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The whole portrait moved by the 2D similarity of the motion about the face centre. */
static int render_affine(struct pa_animator *a, struct pa_image *out)
{
    const struct pa_rig *rig = a->rig;
    const struct pa_motion *mo = &a->motion;
    if (mo->roll == 0 && mo->scale == 1.0f && mo->dt[0] == 0 && mo->dt[1] == 0) {
        copy_portrait(a, out);
        return 0;
    }
    /* Forward: p' = c + s Q (p - c) + d with Q a counter-clockwise turn on screen (y down);
     * the warp needs the inverse p = c + Q^T (p' - c - d) / s. */
    float th = mo->roll * (float)(PA_PI / 180.0), s = fmaxf(mo->scale, 1e-3f);
    float co = cosf(th) / s, si = sinf(th) / s;
    float cx = rig->face_centre[0], cy = rig->face_centre[1];
    float px = cx + mo->dt[0], py = cy + mo->dt[1];
    const float m[6] = {co, -si, cx - (co * px - si * py), si, co, cy - (si * px + co * py)};
    return pa_image_warp_affine(&rig->portrait, out, m, rig->border);
}

int pa_animator_render(struct pa_animator *a, const struct pa_face_state *driver,
                       const struct pa_image *driver_frame, struct pa_image *out)
{
    if (!a || !driver || !out || !out->data || out->fmt != PA_PIX_RGB24 ||
        out->w != a->rig->portrait.w || out->h != a->rig->portrait.h) {
        pa_log_error("animate", "render: need a driver state and an RGB24 output of %dx%d",
                     a ? a->rig->portrait.w : 0, a ? a->rig->portrait.h : 0);
        return PA_EINVAL;
    }
    if (driver_frame && (!driver_frame->data || driver_frame->fmt != PA_PIX_RGB24 ||
                         driver_frame->w <= 0 || driver_frame->h <= 0)) {
        pa_log_error("animate", "render: the driver frame must be RGB24");
        return PA_EINVAL;
    }
    pa_motion_update(&a->ms, a->rig, &a->p, driver, &a->motion);
    switch (a->p.method) {
    case PA_ANIM_STATIC:
        copy_portrait(a, out);
        return 0;
    case PA_ANIM_AFFINE2D:
        return render_affine(a, out);
    case PA_ANIM_MESH:
        return render_mesh(a, driver, driver_frame, out);
    }
    PA_UNREACHABLE();
}

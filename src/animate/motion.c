/** @file
 * Motion transfer from a driver face state to the portrait (see motion.h).
 *
 * Algorithm digest (relative mode, the default; ref = the driver's reference frame):
 *  - Expression: ΔC_i = (C_drv,i - C_ref,i) · (D_src / D_ref) · expr_scale · f_i, where C
 *    are pose-free canonical shapes (cm), D the outer-eye-corner distance 33-263 (so a
 *    driver with a wider face does not stretch the portrait), and f_i = e_i E + l_i L +
 *    (1 - e_i - l_i) X mixes the follow bits (E eyes, L lips, X expression) by the vertex's
 *    eye / lip membership weights from the rig. Target shape C_t = C_src + ΔC.
 *  - Pose (bit PA_FOLLOW_POSE): ΔR = R_drv R_ref^T in view space, turned into angles,
 *    multiplied by yaw/pitch/roll_mul and turned back; R_t = ΔR R_src; s_t = s_src ·
 *    s_drv / s_ref; t_t = t_src + (t_drv - t_ref) · s_src / s_ref, so the head moves in
 *    proportion to its size.
 *  - Gaze (bit PA_FOLLOW_EYES, 478 points on both sides): g = gaze_drv - gaze_ref per eye,
 *    faded out as the driver's eye closes (gaze is meaningless there).
 *  - Absolute mode: C_t = C_drv · D_src / D_drv (expression replaces the portrait's); the
 *    pose stays the portrait's unless absolute_pose, which copies the driver's rotation
 *    (ΔR = R_drv R_src^T); gaze relative to the portrait's own.
 *  - Release: when the driver is lost, every delta (ΔC, angles, log-free scale ratio,
 *    translation, gaze) is multiplied by a = 1 - (t - t_last) / release_time, clamped to
 *    [0, 1], so the portrait eases back to rest and then holds.
 *  - Overrides (LivePortrait-style retargeting), applied to C_t: eye_open_ratio scales each
 *    upper-lid point's offset from its lower partner so that the mean of the three measured
 *    lid gaps over the eye width (expression.h's eye_open) equals the ratio (the crease
 *    above follows by half); lip_open_ratio drops the jaw: every vertex moves down by d times
 *    its jaw weight, with d chosen so that the 13-14 gap over D equals the ratio.
 */
#include "motion.h"

#include <math.h>
#include <string.h>

static float dist3(const float *a, const float *b)
{
    float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

/* out = a · b^T (3x3 row-major). */
static void mul_abt(const float a[9], const float b[9], float out[9])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[3 * i + j] =
                a[3 * i] * b[3 * j] + a[3 * i + 1] * b[3 * j + 1] + a[3 * i + 2] * b[3 * j + 2];
}

/* out = a · b (3x3 row-major). */
static void mul_ab(const float a[9], const float b[9], float out[9])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

void pa_motion_reset(struct pa_motion_state *st)
{
    memset(st, 0, sizeof(*st));
}

static void zero_motion(struct pa_motion *m)
{
    memset(m, 0, sizeof(*m));
    m->scale = 1.0f;
}

static void set_reference(struct pa_motion_state *st, const struct pa_face_state *drv)
{
    memcpy(st->ref_canon, drv->canonical, sizeof(st->ref_canon));
    memcpy(st->ref_r, drv->pose.rot, sizeof(st->ref_r));
    st->ref_s = drv->pose.scale;
    st->ref_t[0] = drv->pose.tx;
    st->ref_t[1] = drv->pose.ty;
    st->ref_t[2] = drv->pose.tz;
    for (int e = 0; e < 2; e++) {
        st->ref_gaze[e][0] = drv->expr.gaze_x[e];
        st->ref_gaze[e][1] = drv->expr.gaze_y[e];
    }
    st->ref_iod = dist3(drv->canonical[33], drv->canonical[263]);
    st->have_ref = 1;
    st->recalibrate = 0;
}

static void rotation_delta(const struct pa_anim_params *p, const float r_drv[9],
                           const float r_ref[9], struct pa_motion *m)
{
    float d[9];
    mul_abt(r_drv, r_ref, d);
    pa_pose_angles_from_rotation(d, &m->yaw, &m->pitch, &m->roll);
    m->yaw *= p->yaw_mul;
    m->pitch *= p->pitch_mul;
    m->roll *= p->roll_mul;
}

/* The motion of a found driver frame. */
static void compute(const struct pa_motion_state *st, const struct pa_rig *rig,
                    const struct pa_anim_params *p, const struct pa_face_state *drv,
                    struct pa_motion *m)
{
    zero_motion(m);
    const int rel = !p->absolute;
    float d_drv = rel ? st->ref_iod : dist3(drv->canonical[33], drv->canonical[263]);
    float sc = d_drv > 1e-3f ? rig->iod / d_drv : 1.0f;
    const float fe = (p->follow & PA_FOLLOW_EYES) ? 1.0f : 0.0f;
    const float fl = (p->follow & PA_FOLLOW_LIPS) ? 1.0f : 0.0f;
    const float fx = (p->follow & PA_FOLLOW_EXPRESSION) ? 1.0f : 0.0f;
    for (int i = 0; i < PA_RIG_FACE; i++) {
        float e = rig->region[i][0], l = rig->region[i][1];
        float f = (e * fe + l * fl + fmaxf(1.0f - e - l, 0.0f) * fx) * p->expr_scale;
        if (f == 0.0f)
            continue;
        for (int k = 0; k < 3; k++) {
            float d = rel ? (drv->canonical[i][k] - st->ref_canon[i][k]) * sc
                          : drv->canonical[i][k] * sc - rig->face.canonical[i][k];
            m->dc[i][k] = d * f;
        }
    }
    if (p->follow & PA_FOLLOW_POSE) {
        if (rel && st->ref_s > 0) {
            rotation_delta(p, drv->pose.rot, st->ref_r, m);
            m->scale = drv->pose.scale / st->ref_s;
            float k = rig->pose.s / st->ref_s;
            m->dt[0] = (drv->pose.tx - st->ref_t[0]) * k;
            m->dt[1] = (drv->pose.ty - st->ref_t[1]) * k;
            m->dt[2] = (drv->pose.tz - st->ref_t[2]) * k;
        } else if (!rel && p->absolute_pose) {
            rotation_delta(p, drv->pose.rot, rig->pose.r, m);
        }
    }
    if ((p->follow & PA_FOLLOW_EYES) && rig->has_iris && drv->n_points >= PA_FACE_MAX_POINTS) {
        for (int e = 0; e < 2; e++) {
            float open = fminf(fmaxf(drv->expr.eye_open[e] / 0.12f, 0.0f), 1.0f);
            float rx = rel ? st->ref_gaze[e][0] : rig->face.expr.gaze_x[e];
            float ry = rel ? st->ref_gaze[e][1] : rig->face.expr.gaze_y[e];
            m->gaze[e][0] = (drv->expr.gaze_x[e] - rx) * open;
            m->gaze[e][1] = (drv->expr.gaze_y[e] - ry) * open;
        }
    }
}

static void scale_motion(const struct pa_motion *in, float a, struct pa_motion *out)
{
    for (int i = 0; i < PA_RIG_FACE; i++)
        for (int k = 0; k < 3; k++)
            out->dc[i][k] = in->dc[i][k] * a;
    out->yaw = in->yaw * a;
    out->pitch = in->pitch * a;
    out->roll = in->roll * a;
    out->scale = 1.0f + (in->scale - 1.0f) * a;
    for (int k = 0; k < 3; k++)
        out->dt[k] = in->dt[k] * a;
    for (int e = 0; e < 2; e++)
        for (int k = 0; k < 2; k++)
            out->gaze[e][k] = in->gaze[e][k] * a;
}

/* A found driver state usable as motion: finite pose with a positive scale, and canonical
 * eye corners that are finite and apart. */
static int usable(const struct pa_face_state *d)
{
    if (!d->found || d->n_points < PA_FACE_MESH_POINTS || !(d->pose.scale > 0) ||
        !isfinite(d->pose.scale) || !isfinite(d->pose.tx) || !isfinite(d->pose.ty) ||
        !isfinite(d->pose.tz))
        return 0;
    for (int k = 0; k < 9; k++)
        if (!isfinite(d->pose.rot[k]))
            return 0;
    float iod = dist3(d->canonical[33], d->canonical[263]);
    return isfinite(iod) && iod > 1e-3f;
}

void pa_motion_update(struct pa_motion_state *st, const struct pa_rig *rig,
                      const struct pa_anim_params *p, const struct pa_face_state *drv,
                      struct pa_motion *out)
{
    if (usable(drv)) {
        if (!p->absolute && (!st->have_ref || st->recalibrate))
            set_reference(st, drv);
        compute(st, rig, p, drv, &st->last);
        st->have_last = 1;
        st->t_last = drv->t;
        memcpy(out, &st->last, sizeof(*out));
        return;
    }
    if (!st->have_last) {
        zero_motion(out);
        return;
    }
    float a = 0.0f;
    if (p->release_time > 0)
        a = 1.0f - (float)((drv->t - st->t_last) / (double)p->release_time);
    a = fminf(fmaxf(a, 0.0f), 1.0f);
    if (a == 0.0f)
        zero_motion(out);
    else
        scale_motion(&st->last, a, out);
}

/* Set both eyes' openness to `ratio` (expression.h's eye_open definition). */
static void override_eyes(float c[PA_RIG_FACE][3], float ratio)
{
    static const float prof[7] = {0.55f, 0.8f, 1.0f, 1.0f, 1.0f, 0.8f, 0.55f};
    const int corners[2][2] = {{33, 133}, {362, 263}};
    for (int e = 0; e < 2; e++) {
        const int *up = pa_rig_eye_upper[e], *lo = pa_rig_eye_lower[e];
        float w = dist3(c[corners[e][0]], c[corners[e][1]]);
        if (w < 1e-4f)
            continue;
        float open = 0;
        for (int k = 2; k <= 4; k++)
            open += dist3(c[up[k]], c[lo[k]]) / (3.0f * w);
        for (int k = 0; k < 7; k++) {
            float *u = c[up[k]], *l = c[lo[k]], old[3] = {u[0], u[1], u[2]};
            if (open > 0.02f) {
                float f = ratio / open;
                for (int j = 0; j < 3; j++)
                    u[j] = l[j] + (u[j] - l[j]) * f;
            } else {
                u[0] = l[0];
                u[1] = l[1] + prof[k] * ratio * w;
                u[2] = l[2];
            }
            float *cr = c[pa_rig_eye_crease[e][k]];
            for (int j = 0; j < 3; j++)
                cr[j] += 0.5f * (u[j] - old[j]);
        }
    }
}

/* Set the mouth openness (13-14 gap over D) to `ratio` by dropping or raising the jaw. */
static void override_lips(const struct pa_rig *rig, float c[PA_RIG_FACE][3], float ratio)
{
    float d = dist3(c[33], c[263]);
    float gap = dist3(c[13], c[14]);
    float lever = rig->jaw_w[14] - rig->jaw_w[13];
    if (d < 1e-4f || lever < 0.1f)
        return;
    float move = (ratio * d - gap) / lever;
    move = fmaxf(move, -gap / lever);
    for (int i = 0; i < PA_RIG_FACE; i++)
        c[i][1] -= move * rig->jaw_w[i];
}

void pa_motion_target(const struct pa_rig *rig, const struct pa_anim_params *p,
                      const struct pa_motion *m, float canon[PA_RIG_FACE][3], struct pa_pose *pose)
{
    for (int i = 0; i < PA_RIG_FACE; i++)
        for (int k = 0; k < 3; k++)
            canon[i][k] = rig->face.canonical[i][k] + m->dc[i][k];
    if (p->eye_open_ratio >= 0)
        override_eyes(canon, p->eye_open_ratio);
    if (p->lip_open_ratio >= 0)
        override_lips(rig, canon, p->lip_open_ratio);
    *pose = rig->pose;
    float d[9];
    pa_pose_rotation_from_angles(m->yaw, m->pitch, m->roll, d);
    mul_ab(d, rig->pose.r, pose->r);
    pose->s = rig->pose.s * m->scale;
    for (int k = 0; k < 3; k++)
        pose->t[k] = rig->pose.t[k] + m->dt[k];
}

/** @file
 * One Euro filter and filter banks (see smooth.h).
 *
 * Algorithm digest (Casiez et al., CHI 2012), for a sample x at time t, dt = t - t_prev:
 *     alpha(fc) = 1 / (1 + tau / dt),  tau = 1 / (2 pi fc)     (exponential smoothing factor)
 *     dx   = (x - x̂_prev) / dt
 *     dx̂   = dx̂_prev + alpha(d_cutoff) (dx - dx̂_prev)
 *     fc   = min_cutoff + beta |dx̂| / scale
 *     x̂    = x̂_prev + alpha(fc) (x - x̂_prev)
 * Computing alpha from the actual dt keeps the filter right at any, even varying, frame rate.
 * On a ramp of constant speed the steady-state lag of the smoothing step is (1 - alpha) /
 * alpha samples, so a fast enough fc (via beta) keeps it under one frame.
 */
#include "track/smooth.h"

#include <math.h>

#include "core/mem.h"
#include "panim.h"
#include "track/pose.h"

#define TWO_PI 6.28318530717958647692
/* A typical webcam distance in cm: a relative change of pose scale per second, times this,
 * is the speed toward the camera in cm/s under weak perspective (s ∝ 1 / distance). */
#define POSE_DISTANCE_CM 60.0f

struct pa_euro_bank {
    struct pa_euro_params p;
    int n;
    struct pa_euro *f;
};

struct pa_euro_params pa_euro_default_params(void)
{
    // With 0.5 px landmark noise on a 300 px face the filtered speed noise is ~0.3 cm/s, so a
    // still face gets fc ~1.5 Hz (jitter / 6); at 2 cm/s (a slow nod) fc ~5 Hz and at 5 cm/s
    // ~9 Hz: under one frame of lag at 30 fps (test_smooth measures both).
    return (struct pa_euro_params){.min_cutoff = 1.0f, .beta = 1.5f, .d_cutoff = 1.0f};
}

struct pa_euro_params pa_euro_default_angle_params(void)
{
    // The same response as the landmarks: a rotation by 1 degree moves the face's points by
    // about 0.09 cm (basis radius ~5 cm), so beta = 1.5 * 0.09 ≈ 0.15 per degree/s.
    return (struct pa_euro_params){.min_cutoff = 1.0f, .beta = 0.15f, .d_cutoff = 1.0f};
}

void pa_euro_reset(struct pa_euro *f)
{
    *f = (struct pa_euro){0};
}

static double smoothing_alpha(double cutoff, double dt)
{
    double tau = 1.0 / (TWO_PI * cutoff);
    return 1.0 / (1.0 + tau / dt);
}

float pa_euro_filter(struct pa_euro *f, const struct pa_euro_params *p, float x, double t,
                     float scale)
{
    if (!f->init) {
        f->init = 1;
        f->t_prev = t;
        f->x_prev = x;
        f->dx_prev = 0.0f;
        return x;
    }
    double dt = t - f->t_prev;
    if (!(dt > 0.0))
        return f->x_prev;
    double dx = (x - f->x_prev) / dt;
    double edx = f->dx_prev + smoothing_alpha(p->d_cutoff, dt) * (dx - f->dx_prev);
    double fc = p->min_cutoff + p->beta * fabs(edx) / scale;
    double xh = f->x_prev + smoothing_alpha(fc, dt) * (x - f->x_prev);
    f->t_prev = t;
    f->x_prev = (float)xh;
    f->dx_prev = (float)edx;
    return f->x_prev;
}

int pa_euro_bank_create(int n, const struct pa_euro_params *p, struct pa_euro_bank **out)
{
    *out = NULL;
    if (n <= 0)
        return PA_EINVAL;
    struct pa_euro_bank *b = pa_calloc(1, sizeof(*b));
    if (!b)
        return PA_ENOMEM;
    b->f = pa_calloc((size_t)n, sizeof(*b->f));
    if (!b->f) {
        pa_free(b);
        return PA_ENOMEM;
    }
    b->n = n;
    b->p = *p;
    *out = b;
    return 0;
}

void pa_euro_bank_destroy(struct pa_euro_bank *b)
{
    if (!b)
        return;
    pa_free(b->f);
    pa_free(b);
}

void pa_euro_bank_reset(struct pa_euro_bank *b)
{
    for (int i = 0; i < b->n; i++)
        pa_euro_reset(&b->f[i]);
}

void pa_euro_bank_set_params(struct pa_euro_bank *b, const struct pa_euro_params *p)
{
    b->p = *p;
}

int pa_euro_bank_filter(struct pa_euro_bank *b, const float *in, float *out, int n, double t,
                        float scale)
{
    if (n != b->n || !(scale > 0.0f))
        return PA_EINVAL;
    for (int i = 0; i < n; i++)
        out[i] = pa_euro_filter(&b->f[i], &b->p, in[i], t, scale);
    return 0;
}

void pa_pose_filter_init(struct pa_pose_filter *pf)
{
    pf->angle = pa_euro_default_angle_params();
    pf->move = pa_euro_default_params();
    pa_pose_filter_reset(pf);
}

void pa_pose_filter_reset(struct pa_pose_filter *pf)
{
    for (int i = 0; i < 7; i++)
        pa_euro_reset(&pf->f[i]);
}

/* Filter an angle in degrees without a jump where it wraps from +180 to -180. */
static float filter_angle(struct pa_euro *f, const struct pa_euro_params *p, float a, double t)
{
    if (f->init)
        a = f->x_prev + remainderf(a - f->x_prev, 360.0f);
    float y = pa_euro_filter(f, p, a, t, 1.0f);
    // Keep the state near the output range so it never drifts by whole turns.
    float wrapped = remainderf(y, 360.0f);
    f->x_prev += wrapped - y;
    return wrapped;
}

void pa_pose_filter_apply(struct pa_pose_filter *pf, struct pa_pose *pose, double t)
{
    pose->yaw = filter_angle(&pf->f[0], &pf->angle, pose->yaw, t);
    pose->pitch = filter_angle(&pf->f[1], &pf->angle, pose->pitch, t);
    pose->roll = filter_angle(&pf->f[2], &pf->angle, pose->roll, t);
    float s = pose->s > 0.0f ? pose->s : 1.0f;
    pose->s = pa_euro_filter(&pf->f[3], &pf->move, pose->s, t, s / POSE_DISTANCE_CM);
    for (int i = 0; i < 3; i++)
        pose->t[i] = pa_euro_filter(&pf->f[4 + i], &pf->move, pose->t[i], t, s);
    pa_pose_rotation_from_angles(pose->yaw, pose->pitch, pose->roll, pose->r);
}

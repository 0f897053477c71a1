/** @file
 * Expression features from a canonical-space face shape (see expression.h for the list).
 *
 * Why canonical space: after pa_pose_to_canonical the head's rotation, scale and position are
 * gone, so "up" is the face's own up and distances are in canonical cm, comparable between
 * frames and people. Each feature is a distance ratio normalised by the outer-eye-corner
 * distance D, which expressions barely move. Eye openness averages three lid pairs, so a
 * single jittery landmark moves it less.
 */
#include "track/expression.h"

#include <math.h>

#include "core/pa_common.h"
#include "panim.h"

/* Mouth width ratio of MediaPipe's canonical mesh, |61-291| / |33-263| = 4.912 / 8.892. */
#define NEUTRAL_MOUTH_WIDTH 0.55f
/* Narrowing of the mouth (in D) that counts as a full pucker. */
#define PUCKER_SPAN 0.25f

struct feature_info {
    const char *name;
    float lo, hi;
};

static const struct feature_info g_features[PA_EXPR_COUNT] = {
#define PA__EXPR_INFO(e, name, lo, hi) [e] = {name, lo, hi},
    PA_EXPR_LIST(PA__EXPR_INFO)
#undef PA__EXPR_INFO
};

const char *pa_expression_name(int feature)
{
    if (feature < 0 || feature >= PA_EXPR_COUNT)
        return "?";
    return g_features[feature].name;
}

void pa_expression_range(int feature, float *lo, float *hi)
{
    if (feature < 0 || feature >= PA_EXPR_COUNT) {
        *lo = *hi = 0.0f;
        return;
    }
    *lo = g_features[feature].lo;
    *hi = g_features[feature].hi;
}

static const float *pt(const float *c, int i)
{
    return &c[3 * i];
}

static float dist(const float *c, int a, int b)
{
    const float *p = pt(c, a), *q = pt(c, b);
    float dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

/* Mean lid opening over three upper/lower pairs, over the corner distance. */
static float eye_open(const float *c, const int lids[3][2], int corner_a, int corner_b)
{
    float open = 0.0f;
    for (int i = 0; i < 3; i++)
        open += dist(c, lids[i][0], lids[i][1]);
    float width = dist(c, corner_a, corner_b);
    return width > 0.0f ? open / (3.0f * width) : 0.0f;
}

/* Iris centre relative to the corner midpoint, in half eye widths (canonical x right, y up). */
static void gaze(const float *c, int iris, int corner_a, int corner_b, float *gx, float *gy)
{
    float half = 0.5f * dist(c, corner_a, corner_b);
    if (!(half > 0.0f)) {
        *gx = *gy = 0.0f;
        return;
    }
    float mx = 0.5f * (pt(c, corner_a)[0] + pt(c, corner_b)[0]);
    float my = 0.5f * (pt(c, corner_a)[1] + pt(c, corner_b)[1]);
    *gx = (pt(c, iris)[0] - mx) / half;
    *gy = (pt(c, iris)[1] - my) / half;
}

int pa_expression_compute(const float *canon, int n, struct pa_expression *e)
{
    static const int lids_r[3][2] = {{160, 144}, {159, 145}, {158, 153}};
    static const int lids_l[3][2] = {{387, 373}, {386, 374}, {385, 380}};
    const float *c = canon;
    if (n < 468)
        return PA_EINVAL;
    for (int i = 0; i < 3 * n; i++)
        if (!isfinite(c[i]))
            return PA_EINVALDATA;
    float d = dist(c, 33, 263);
    if (!(d > 1e-6f))
        return PA_EINVALDATA;

    float *v = e->v;
    v[PA_EXPR_EYE_OPEN_L] = eye_open(c, lids_l, 362, 263);
    v[PA_EXPR_EYE_OPEN_R] = eye_open(c, lids_r, 33, 133);
    e->has_iris = n >= 478;
    if (e->has_iris) {
        gaze(c, 473, 362, 263, &v[PA_EXPR_GAZE_X_L], &v[PA_EXPR_GAZE_Y_L]);
        gaze(c, 468, 33, 133, &v[PA_EXPR_GAZE_X_R], &v[PA_EXPR_GAZE_Y_R]);
    } else {
        v[PA_EXPR_GAZE_X_L] = v[PA_EXPR_GAZE_Y_L] = 0.0f;
        v[PA_EXPR_GAZE_X_R] = v[PA_EXPR_GAZE_Y_R] = 0.0f;
    }

    v[PA_EXPR_MOUTH_OPEN] = dist(c, 13, 14) / d;
    v[PA_EXPR_MOUTH_WIDTH] = dist(c, 61, 291) / d;
    float corner_y = 0.5f * (pt(c, 61)[1] + pt(c, 291)[1]);
    float centre_y = 0.5f * (pt(c, 13)[1] + pt(c, 14)[1]);
    v[PA_EXPR_SMILE] = (corner_y - centre_y) / d;
    // Unclamped below 0 so that a wide mouth is not reported as "clamped"; see below.
    v[PA_EXPR_PUCKER] = (NEUTRAL_MOUTH_WIDTH - v[PA_EXPR_MOUTH_WIDTH]) / PUCKER_SPAN;

    float eye_l_y = 0.5f * (pt(c, 362)[1] + pt(c, 263)[1]);
    float eye_r_y = 0.5f * (pt(c, 33)[1] + pt(c, 133)[1]);
    v[PA_EXPR_BROW_L] = (pt(c, 334)[1] - eye_l_y) / d;
    v[PA_EXPR_BROW_R] = (pt(c, 105)[1] - eye_r_y) / d;
    v[PA_EXPR_JAW_X] = (pt(c, 152)[0] - pt(c, 6)[0]) / d;

    e->clamped = 0;
    for (int i = 0; i < PA_EXPR_COUNT; i++) {
        float lo = g_features[i].lo, hi = g_features[i].hi;
        if (v[i] < lo || v[i] > hi) {
            // A mouth wider than neutral is simply "no pucker", not an out-of-range value.
            if (!(i == PA_EXPR_PUCKER && v[i] < lo))
                e->clamped |= 1u << i;
            v[i] = PA_CLAMP(v[i], lo, hi);
        }
    }
    return 0;
}

void pa_expression_to_public(const struct pa_expression *e, struct pa_face_expr *x)
{
    x->eye_open[0] = e->v[PA_EXPR_EYE_OPEN_R];
    x->eye_open[1] = e->v[PA_EXPR_EYE_OPEN_L];
    x->gaze_x[0] = e->v[PA_EXPR_GAZE_X_R];
    x->gaze_y[0] = e->v[PA_EXPR_GAZE_Y_R];
    x->gaze_x[1] = e->v[PA_EXPR_GAZE_X_L];
    x->gaze_y[1] = e->v[PA_EXPR_GAZE_Y_L];
    x->mouth_open = e->v[PA_EXPR_MOUTH_OPEN];
    x->mouth_width = e->v[PA_EXPR_MOUTH_WIDTH];
    x->smile = e->v[PA_EXPR_SMILE];
    x->pucker = e->v[PA_EXPR_PUCKER];
    x->brow_raise[0] = e->v[PA_EXPR_BROW_R];
    x->brow_raise[1] = e->v[PA_EXPR_BROW_L];
    x->jaw_x = e->v[PA_EXPR_JAW_X];
}

/** @file
 * Idle motion: a procedural driver that makes a portrait look alive without a camera. It
 * produces complete face states (pose, canonical shape, landmarks, expression) around a
 * neutral face, so the animator treats it like any tracked driver.
 *
 * Algorithm digest. Five independent layers, each from its own random stream (splitmix64
 * seeded from the user's seed), summed onto the neutral face:
 *  - breathing: a 0.2-0.3 Hz sine on pitch (~0.5 deg) and on the head's height (~0.8 mm);
 *  - sway: per angle, three sines with incommensurate frequencies (0.03-0.25 Hz) and random
 *    phases; amplitudes keep |yaw| <= 3.0, |pitch| <= 2.2, |roll| <= 1.9 deg (breathing
 *    included). The head turns about a pivot near the neck (canonical (0, -7, -4) cm), not
 *    about the face centre, so tilts also shift the face a little as real heads do;
 *  - blinks: each starts 2-6 s (uniform) after the previous one ended, 12% of them followed
 *    0.15-0.3 s later by a second one; each closes in 100-140 ms (smoothstep), holds
 *    60-100 ms, and reopens more slowly (180-260 ms, ease-out): the asymmetric profile of
 *    real blinks (the lid falls fast and rises slowly). Closure b in [0, 1] moves each
 *    upper-lid vertex 85% of the way to its lower-lid partner and the lower lid 15% up (so
 *    b = 1 closes the gap), and drags the lid-crease ring above by 35%;
 *  - gaze: a saccade every 1-4 s to a new target within +-0.35 (x) / +-0.15 (y) half eye
 *    widths (30% of them back to the centre), 50 ms long, then held; the 5 iris points of
 *    each eye move rigidly in canonical space;
 *  - smile: onsets 10-20 s apart (the first after 3-12 s), rising over 0.5 s, held 1-2 s,
 *    relaxing over 0.6 s, intensity 0.6-1. Mouth corners 61/291 move up 3.5 mm and out
 *    3 mm times a Gaussian falloff (sigma 9 mm) over the nearby vertices, the cheeks rise
 *    (sigma 12 mm, 1.5 mm) and the lower lids lift 10% of the eye gap (a Duchenne squint).
 * Every layer fades in over the first second, so the state at t = 0 is the neutral face.
 * Events are drawn in sequence, independently of how often pa_idle_next is called, so the
 * motion is a pure function of (seed, t): asking for an earlier t replays from the start.
 * The landmarks are the pose applied to the deformed canonical shape (irises included),
 * and the expression features are measured on that shape, so they agree with the motion.
 */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/pa_common.h"
#include "panim.h"
#include "track/expression.h"
#include "track/pose.h"

#define N_MESH PA_FACE_MESH_POINTS
#define N_ALL PA_FACE_MAX_POINTS
#define N_LID 7

/* Upper lid, lower lid (same order, pairwise opposite) and the lid crease above the upper
 * lid, for the person's right eye then left eye (MediaPipe face mesh topology). */
static const int g_upper[2][N_LID] = {{246, 161, 160, 159, 158, 157, 173},
                                      {466, 388, 387, 386, 385, 384, 398}};
static const int g_lower[2][N_LID] = {{7, 163, 144, 145, 153, 154, 155},
                                      {249, 390, 373, 374, 380, 381, 382}};
static const int g_crease[2][N_LID] = {{247, 30, 29, 27, 28, 56, 190},
                                       {467, 260, 259, 257, 258, 286, 414}};
static const int g_corner[2] = {61, 291}; ///< mouth corners, right then left
static const int g_cheek[2] = {205, 425}; ///< cheek centres, right then left
static const int g_iris0[2] = {468, 473}; ///< first of the 5 iris points, right then left

/* Pivot of head rotations in canonical cm (about the top of the neck). */
static const float g_pivot[3] = {0.0f, -7.0f, -4.0f};

enum { STREAM_SWAY, STREAM_BLINK, STREAM_GAZE, STREAM_SMILE, N_STREAMS };

struct blink {
    double t0, close, hold, open; ///< onset (s) and phase durations (s)
};

struct smile {
    double t0, rise, hold, fall; ///< onset (s) and phase durations (s)
    float amount;                ///< 0..1
};

struct gaze {
    double t0;            ///< start of the current saccade (s)
    double next;          ///< start of the next one (s)
    float from[2], to[2]; ///< half eye widths
};

struct pa_idle {
    struct pa_face_state neutral;
    float canon[N_ALL][3];    ///< neutral canonical shape with irises
    float falloff[2][N_MESH]; ///< smile weight of each vertex, per mouth corner
    float cheek[2][N_MESH];   ///< cheek-raise weight of each vertex
    float half_eye;           ///< half the mean eye width, canonical cm
    uint32_t seed;
    /* sway and breathing: fixed at creation */
    float sway_amp[3][3], sway_freq[3][3], sway_phase[3][3]; ///< [angle][component]
    float breath_freq, breath_phase;
    /* event streams */
    uint64_t rng[N_STREAMS];
    struct blink blink;
    int double_pending;
    struct smile smile;
    struct gaze gaze;
    double last_t;
    float work[N_ALL][3]; ///< deformed canonical shape of the current frame
};

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double smoothstep(double x)
{
    x = PA_CLAMP(x, 0.0, 1.0);
    return x * x * (3.0 - 2.0 * x);
}

static void next_blink(struct pa_idle *id, double after)
{
    uint64_t *r = &id->rng[STREAM_BLINK];
    double gap;
    if (id->double_pending) {
        gap = uniform(r, 0.15, 0.3);
        id->double_pending = 0;
    } else {
        gap = uniform(r, 2.0, 6.0);
        id->double_pending = uniform(r, 0.0, 1.0) < 0.12;
    }
    id->blink.t0 = after + gap;
    id->blink.close = uniform(r, 0.10, 0.14);
    id->blink.hold = uniform(r, 0.06, 0.10);
    id->blink.open = uniform(r, 0.18, 0.26);
}

static double blink_end(const struct blink *b)
{
    return b->t0 + b->close + b->hold + b->open;
}

static void next_smile(struct pa_idle *id, double onset)
{
    uint64_t *r = &id->rng[STREAM_SMILE];
    id->smile.t0 = onset;
    id->smile.rise = 0.5;
    id->smile.hold = uniform(r, 1.0, 2.0);
    id->smile.fall = 0.6;
    id->smile.amount = (float)uniform(r, 0.6, 1.0);
}

static void next_gaze_target(struct pa_idle *id, float to[2])
{
    uint64_t *r = &id->rng[STREAM_GAZE];
    int centre = uniform(r, 0.0, 1.0) < 0.3;
    float x = (float)uniform(r, -0.35, 0.35), y = (float)uniform(r, -0.15, 0.15);
    to[0] = centre ? 0.0f : x;
    to[1] = centre ? 0.0f : y;
}

/* Draw everything from the seed, as at t = 0. */
static void restart(struct pa_idle *id)
{
    for (int i = 0; i < N_STREAMS; i++)
        id->rng[i] = ((uint64_t)id->seed << 8) ^ (0xA5A5A5A5ull * (uint64_t)(i + 1));
    uint64_t *r = &id->rng[STREAM_SWAY];
    static const float amp[3][3] = {{1.6f, 0.9f, 0.5f}, {0.9f, 0.5f, 0.3f}, {1.0f, 0.6f, 0.3f}};
    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < 3; k++) {
            id->sway_amp[a][k] = amp[a][k] * (float)uniform(r, 0.7, 1.0);
            // Components spread over separate bands so their sum never looks periodic.
            id->sway_freq[a][k] = (float)uniform(r, 0.03 + 0.07 * k, 0.10 + 0.07 * k);
            id->sway_phase[a][k] = (float)uniform(r, 0.0, 2.0 * PA_PI);
        }
    }
    id->breath_freq = (float)uniform(r, 0.2, 0.3);
    id->breath_phase = (float)uniform(r, 0.0, 2.0 * PA_PI);

    id->double_pending = 0;
    next_blink(id, 0.0);
    id->blink.t0 = uniform(&id->rng[STREAM_BLINK], 0.5, 3.0); // the first one comes sooner
    next_smile(id, uniform(&id->rng[STREAM_SMILE], 3.0, 12.0));
    id->gaze.from[0] = id->gaze.from[1] = 0.0f;
    id->gaze.to[0] = id->gaze.to[1] = 0.0f;
    id->gaze.t0 = -1.0;
    id->gaze.next = uniform(&id->rng[STREAM_GAZE], 1.0, 4.0);
    id->last_t = 0.0;
}

/* Move every event stream forward so its current event covers or follows t. */
static void advance(struct pa_idle *id, double t)
{
    while (t >= blink_end(&id->blink))
        next_blink(id, blink_end(&id->blink));
    struct smile *s = &id->smile;
    while (t >= s->t0 + s->rise + s->hold + s->fall) {
        double end = s->t0 + s->rise + s->hold + s->fall;
        double onset = s->t0 + uniform(&id->rng[STREAM_SMILE], 10.0, 20.0);
        next_smile(id, onset > end + 1.0 ? onset : end + 1.0);
    }
    struct gaze *g = &id->gaze;
    while (t >= g->next) {
        memcpy(g->from, g->to, sizeof(g->from));
        next_gaze_target(id, g->to);
        g->t0 = g->next;
        g->next = g->t0 + 0.05 + uniform(&id->rng[STREAM_GAZE], 1.0, 4.0);
    }
}

/* Lid closure 0 (open) .. 1 (closed) at t. */
static float blink_amount(const struct blink *b, double t)
{
    double u = t - b->t0;
    if (u < 0.0)
        return 0.0f;
    if (u < b->close)
        return (float)smoothstep(u / b->close);
    u -= b->close;
    if (u < b->hold)
        return 1.0f;
    u -= b->hold;
    if (u < b->open) {
        double x = 1.0 - u / b->open; // ease-out: the lid leaves fast and settles slowly
        return (float)(x * x);
    }
    return 0.0f;
}

static float smile_amount(const struct smile *s, double t)
{
    double u = t - s->t0;
    if (u < 0.0)
        return 0.0f;
    if (u < s->rise)
        return s->amount * (float)smoothstep(u / s->rise);
    u -= s->rise;
    if (u < s->hold)
        return s->amount;
    u -= s->hold;
    return s->amount * (float)(1.0 - smoothstep(u / s->fall));
}

static void gaze_at(const struct gaze *g, double t, float out[2])
{
    float w = (float)smoothstep((t - g->t0) / 0.05);
    out[0] = g->from[0] + (g->to[0] - g->from[0]) * w;
    out[1] = g->from[1] + (g->to[1] - g->from[1]) * w;
}

static float dist3(const float *a, const float *b)
{
    float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

/* Neutral canonical shape with irises, per-vertex smile weights and the eye size. */
static void prepare_shape(struct pa_idle *id)
{
    const struct pa_face_state *nf = &id->neutral;
    memcpy(id->canon, nf->canonical, sizeof(nf->canonical));
    if (nf->n_points > N_MESH) {
        struct pa_pose p = {.s = nf->pose.scale, .t = {nf->pose.tx, nf->pose.ty, nf->pose.tz}};
        memcpy(p.r, nf->pose.rot, sizeof(p.r));
        pa_pose_to_canonical(&p, &nf->pts[N_MESH][0], nf->n_points - N_MESH, &id->canon[N_MESH][0]);
    }
    for (int side = 0; side < 2; side++) {
        const float *corner = id->canon[g_corner[side]], *cheek = id->canon[g_cheek[side]];
        for (int i = 0; i < N_MESH; i++) {
            float d = dist3(id->canon[i], corner), e = dist3(id->canon[i], cheek);
            id->falloff[side][i] = expf(-d * d / (2.0f * 0.9f * 0.9f));
            id->cheek[side][i] = expf(-e * e / (2.0f * 1.2f * 1.2f));
        }
    }
    id->half_eye =
        0.25f * (dist3(id->canon[33], id->canon[133]) + dist3(id->canon[263], id->canon[362]));
}

int pa_idle_create(struct pa_idle **out, const struct pa_face_state *neutral, uint32_t seed)
{
    *out = NULL;
    if (!neutral)
        return PA_EINVAL;
    if (!neutral->found || neutral->n_points < N_MESH)
        return PA_ENOFACE;
    struct pa_idle *id = pa_calloc(1, sizeof(*id));
    if (!id)
        return PA_ENOMEM;
    id->neutral = *neutral;
    id->seed = seed;
    prepare_shape(id);
    restart(id);
    *out = id;
    return 0;
}

void pa_idle_destroy(struct pa_idle *idle)
{
    pa_free(idle);
}

/* Deform the neutral canonical shape into id->work: lid closure and smile 0..1, gaze in half
 * eye widths. */
static void deform(struct pa_idle *id, float blink, float smile, const float gaze[2])
{
    float(*c)[3] = id->work;
    memcpy(c, id->canon, sizeof(id->canon));
    // Smile first: it moves the cheeks, then the lids are closed against their new places.
    if (smile > 0.0f) {
        for (int side = 0; side < 2; side++) {
            float out_x = side == 0 ? -1.0f : 1.0f; // x = the person's left
            for (int i = 0; i < N_MESH; i++) {
                float w = smile * id->falloff[side][i], k = smile * id->cheek[side][i];
                c[i][0] += out_x * 0.30f * w;
                c[i][1] += 0.35f * w + 0.15f * k;
            }
        }
    }
    float squint = 0.10f * smile;
    for (int e = 0; e < 2; e++) {
        for (int j = 0; j < N_LID; j++) {
            float *up = c[g_upper[e][j]], *lo = c[g_lower[e][j]], *cr = c[g_crease[e][j]];
            float gap[3] = {lo[0] - up[0], lo[1] - up[1], lo[2] - up[2]};
            float lo_up = 0.15f * blink + squint * (1.0f - blink);
            for (int k = 0; k < 3; k++) {
                float du = 0.85f * blink * gap[k];
                up[k] += du;
                cr[k] += 0.35f * du;
                lo[k] -= lo_up * gap[k];
            }
        }
    }
    if (id->neutral.n_points >= N_ALL) {
        for (int e = 0; e < 2; e++) {
            for (int j = 0; j < 5; j++) {
                c[g_iris0[e] + j][0] += gaze[0] * id->half_eye;
                c[g_iris0[e] + j][1] += gaze[1] * id->half_eye;
            }
        }
    }
}

/* Head pose at t: the neutral one plus sway and breathing, turning about the neck pivot. */
static void pose_at(const struct pa_idle *id, double t, float fade, struct pa_pose *p)
{
    const struct pa_head_pose *n = &id->neutral.pose;
    float d[3] = {0.0f, 0.0f, 0.0f}; // yaw, pitch, roll deltas
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < 3; k++)
            d[a] += id->sway_amp[a][k] *
                    sinf((float)(2.0 * PA_PI * id->sway_freq[a][k] * t) + id->sway_phase[a][k]);
    float breath = sinf((float)(2.0 * PA_PI * id->breath_freq * t) + id->breath_phase);
    d[1] += 0.5f * breath;
    memset(p, 0, sizeof(*p));
    p->yaw = n->yaw + fade * d[0];
    p->pitch = n->pitch + fade * d[1];
    p->roll = n->roll + fade * d[2];
    pa_pose_rotation_from_angles(p->yaw, p->pitch, p->roll, p->r);
    p->s = n->scale;
    // Keep the pivot where the neutral pose puts it: t' = t + s F (R0 - R) pivot.
    float v0[3], v1[3];
    for (int i = 0; i < 3; i++) {
        v0[i] = n->rot[3 * i] * g_pivot[0] + n->rot[3 * i + 1] * g_pivot[1] +
                n->rot[3 * i + 2] * g_pivot[2];
        v1[i] =
            p->r[3 * i] * g_pivot[0] + p->r[3 * i + 1] * g_pivot[1] + p->r[3 * i + 2] * g_pivot[2];
    }
    p->t[0] = n->tx + p->s * (v0[0] - v1[0]);
    p->t[1] = n->ty - p->s * (v0[1] - v1[1]);
    p->t[2] = n->tz - p->s * (v0[2] - v1[2]);
    // Breathing lifts the head (image y is down).
    p->t[1] -= fade * 0.08f * p->s * breath;
}

int pa_idle_next(struct pa_idle *idle, double t, struct pa_face_state *out)
{
    if (!idle || !out || !isfinite(t))
        return PA_EINVAL;
    if (t < idle->last_t)
        restart(idle);
    idle->last_t = t;
    advance(idle, t);
    float fade = (float)smoothstep(t / 1.0);
    float gaze[2];
    gaze_at(&idle->gaze, t, gaze);
    gaze[0] *= fade;
    gaze[1] *= fade;
    deform(idle, fade * blink_amount(&idle->blink, t), fade * smile_amount(&idle->smile, t), gaze);

    struct pa_pose pose;
    pose_at(idle, t, fade, &pose);
    const struct pa_face_state *nf = &idle->neutral;
    int n = nf->n_points;
    memset(out, 0, sizeof(*out));
    out->t = t;
    out->found = 1;
    out->num_faces = 1;
    out->score = nf->score;
    out->n_points = n;
    pa_pose_apply(&pose, &idle->work[0][0], n, &out->pts[0][0]);
    memcpy(out->canonical, idle->work, sizeof(out->canonical));
    out->box[0] = out->box[2] = out->pts[0][0];
    out->box[1] = out->box[3] = out->pts[0][1];
    for (int i = 1; i < n; i++) {
        out->box[0] = fminf(out->box[0], out->pts[i][0]);
        out->box[1] = fminf(out->box[1], out->pts[i][1]);
        out->box[2] = fmaxf(out->box[2], out->pts[i][0]);
        out->box[3] = fmaxf(out->box[3], out->pts[i][1]);
    }
    struct pa_head_pose *hp = &out->pose;
    hp->yaw = pose.yaw;
    hp->pitch = pose.pitch;
    hp->roll = pose.roll;
    hp->tx = pose.t[0];
    hp->ty = pose.t[1];
    hp->tz = pose.t[2];
    hp->scale = pose.s;
    memcpy(hp->rot, pose.r, sizeof(hp->rot));
    struct pa_expression e;
    int ret = pa_expression_compute(&idle->work[0][0], n, &e);
    if (ret < 0)
        return ret;
    pa_expression_to_public(&e, &out->expr);
    return 0;
}

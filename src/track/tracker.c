/** @file
 * The tracking stage: detect-or-track state machine turning frames into face states.
 *
 * Per frame (MediaPipe Face Mesh's video mode, with our smoothing and pose on top):
 *  1. ROI: from the previous frame's raw landmarks when tracking; otherwise run the detector,
 *     pick one face (largest / most central / N-th) and take the ROI from its box and eyes.
 *  2. Landmarks in the ROI. If the presence score falls below min_presence while tracking,
 *     the detector runs on the same frame and the landmarks are retried once, so a face that
 *     comes back is re-acquired on the frame it reappears.
 *  3. Pose by weighted Procrustes on the raw points (its scale normalises the filter speeds),
 *     One Euro smoothing of the points, the pose again on the smoothed points, then a One Euro
 *     pass over the pose itself; the canonical shape and expression features from that pose.
 * The next ROI always comes from the raw points: smoothing must not make the crop lag.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "track/detector.h"
#include "track/expression.h"
#include "track/geometry.h"
#include "track/landmarks.h"
#include "track/pose.h"
#include "track/smooth.h"

struct pa_tracker {
    struct pa_tracker_params p;
    struct pa_nn_model *det_model, *lm_model;
    struct pa_detector *det;
    struct pa_landmarker *lm;
    struct pa_geometry *geo;
    struct pa_euro_bank *bank;
    struct pa_pose_filter pose_filter;
    int n_points;
    int have_prev;                ///< raw landmarks of the previous frame are valid
    int tile_wait;                ///< frames until the next tiled (small-face) search
    int num_faces;
    float raw[PA_FACE_MAX_POINTS][3];
    float smooth[PA_FACE_MAX_POINTS][3];
    float canon[PA_FACE_MAX_POINTS][3]; ///< pose-free shape incl. irises (for gaze)
    struct pa_detection dets[PA_DETECTOR_MAX_FACES];
};

struct pa_tracker_params pa_tracker_default_params(void)
{
    struct pa_euro_params e = pa_euro_default_params();
    return (struct pa_tracker_params){
        .landmarks = 478,
        .select = PA_FACE_LARGEST,
        .min_detection_score = 0.5f,
        .min_presence = 0.5f,
        .smooth = 1,
        .smooth_min_cutoff = e.min_cutoff,
        .smooth_beta = e.beta,
        .smooth_d_cutoff = e.d_cutoff,
        .backend = PA_NN_BACKEND_AUTO,
    };
}

static int load_model(struct pa_nn_model **m, const char *dir, const char *file)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return PA_EINVAL;
    return pa_nn_model_load(m, path);
}

int pa_tracker_create(struct pa_tracker **out, const char *models_dir,
                      const struct pa_tracker_params *params, struct pa_parallel *par)
{
    *out = NULL;
    struct pa_tracker_params p = params ? *params : pa_tracker_default_params();
    if (p.landmarks != 468 && p.landmarks != 478) {
        pa_log_error("track", "landmarks must be 468 or 478 (got %d)", p.landmarks);
        return PA_EINVAL;
    }
    struct pa_tracker *tr = pa_calloc(1, sizeof(*tr));
    if (!tr)
        return PA_ENOMEM;
    tr->p = p;
    int ret = load_model(&tr->det_model, models_dir, "face_detection_short_range.tflite");
    if (ret < 0)
        goto fail;
    ret = load_model(&tr->lm_model, models_dir,
                     p.landmarks == 478 ? "face_landmark_with_attention.tflite"
                                        : "face_landmark.tflite");
    if (ret < 0)
        goto fail;
    char path[4096];
    snprintf(path, sizeof(path), "%s/geometry_pipeline_metadata_landmarks.binarypb", models_dir);
    if ((ret = pa_geometry_load_file(path, &tr->geo)) < 0)
        goto fail;
    struct pa_detector_params dp = pa_detector_default_params();
    dp.min_score = p.min_detection_score;
    if ((ret = pa_detector_create(&tr->det, tr->det_model, &dp, p.backend, par)) < 0)
        goto fail;
    if ((ret = pa_landmarker_create(&tr->lm, tr->lm_model, p.backend, par)) < 0)
        goto fail;
    tr->n_points = pa_landmarker_points(tr->lm);
    struct pa_euro_params ep = {p.smooth_min_cutoff, p.smooth_beta, p.smooth_d_cutoff};
    if ((ret = pa_euro_bank_create(tr->n_points * 3, &ep, &tr->bank)) < 0)
        goto fail;
    pa_pose_filter_init(&tr->pose_filter);
    *out = tr;
    return 0;
fail:
    pa_tracker_destroy(tr);
    return ret;
}

void pa_tracker_destroy(struct pa_tracker *tr)
{
    if (!tr)
        return;
    pa_landmarker_destroy(tr->lm);
    pa_detector_destroy(tr->det);
    pa_nn_model_destroy(tr->lm_model);
    pa_nn_model_destroy(tr->det_model);
    pa_geometry_destroy(tr->geo);
    pa_euro_bank_destroy(tr->bank);
    pa_free(tr);
}

void pa_tracker_reset(struct pa_tracker *tr)
{
    tr->have_prev = 0;
    tr->tile_wait = 0;
    tr->num_faces = 0;
    pa_euro_bank_reset(tr->bank);
    pa_pose_filter_reset(&tr->pose_filter);
}

/* Index of the detection the selection policy picks, or -1. */
static int select_face(const struct pa_tracker *tr, const struct pa_image *img, int n)
{
    if (n <= 0)
        return -1;
    if (tr->p.select == PA_FACE_INDEX)
        return tr->p.select_index >= 0 && tr->p.select_index < n ? tr->p.select_index : -1;
    int best = 0;
    float best_v = 0.0f;
    for (int i = 0; i < n; i++) {
        const float *b = tr->dets[i].box;
        float v;
        if (tr->p.select == PA_FACE_CENTRAL) {
            float dx = 0.5f * (b[0] + b[2]) - 0.5f * (float)img->w;
            float dy = 0.5f * (b[1] + b[3]) - 0.5f * (float)img->h;
            v = -(dx * dx + dy * dy);
        } else {
            v = (b[2] - b[0]) * (b[3] - b[1]);
        }
        if (i == 0 || v > best_v) {
            best = i;
            best_v = v;
        }
    }
    return best;
}

/* Detector pass: sets *roi from the chosen face. @return 1 found, 0 none, <0 error. */
/* Detector on the square sub-image (x, y, side) of img; detections in image pixels. */
static int detect_in(struct pa_tracker *tr, const struct pa_image *img, int x, int y, int side,
                     int *n)
{
    struct pa_image view;
    int ret = pa_image_view(&view, img, x, y, side, side);
    if (ret < 0)
        return ret;
    if ((ret = pa_detector_run(tr->det, &view, tr->dets, PA_DETECTOR_MAX_FACES, n)) < 0)
        return ret;
    for (int i = 0; i < *n; i++) {
        for (int k = 0; k < 4; k++)
            tr->dets[i].box[k] += (float)((k & 1) ? y : x);
        for (int k = 0; k < 6; k++) {
            tr->dets[i].kp[k][0] += (float)x;
            tr->dets[i].kp[k][1] += (float)y;
        }
    }
    return 0;
}

/*
 * The short-range detector sees the whole frame letterboxed to 128×128, so a face under
 * ~10% of the long side (a wide photo, a person in the distance) is too small for it.
 * When the full frame finds nothing, look again in squares: the frame's own height/width
 * along its long side, then half-size squares overlapping by half. Bounded: at most 3 + 9
 * detector runs, and on a stream only every 15th lost frame.
 */
static int detect_tiles(struct pa_tracker *tr, const struct pa_image *img, int *n)
{
    int side = PA_MIN(img->w, img->h);
    for (int level = 0; level < 2 && *n == 0; level++) {
        int s = level == 0 ? side : side / 2;
        if (s < 160 || (level == 0 && side == PA_MAX(img->w, img->h)))
            continue;
        int step = level == 0 ? s : s / 2;
        for (int y = 0; y + s <= img->h && *n == 0; y += step) {
            for (int x = 0; x + s <= img->w && *n == 0; x += step) {
                int ret = detect_in(tr, img, x, y, s, n);
                if (ret < 0)
                    return ret;
            }
            /* the last column/row flush with the border */
            if (*n == 0 && (img->w - s) % step) {
                int ret = detect_in(tr, img, img->w - s, y, s, n);
                if (ret < 0)
                    return ret;
            }
        }
    }
    return 0;
}

/* Detector pass: sets *roi from the chosen face. @return 1 found, 0 none, <0 error. */
static int detect(struct pa_tracker *tr, const struct pa_image *img, struct pa_roi *roi)
{
    int n = 0;
    int ret = pa_detector_run(tr->det, img, tr->dets, PA_DETECTOR_MAX_FACES, &n);
    if (ret < 0)
        return ret;
    if (n == 0 && tr->tile_wait-- <= 0) {
        tr->tile_wait = 15;
        if ((ret = detect_tiles(tr, img, &n)) < 0)
            return ret;
    }
    tr->num_faces = n;
    int i = select_face(tr, img, n);
    if (i < 0)
        return 0;
    tr->tile_wait = 0;
    pa_roi_from_box(roi, tr->dets[i].box, tr->dets[i].kp[0], tr->dets[i].kp[1]);
    return 1;
}

static void not_found(struct pa_tracker *tr, struct pa_face_state *out, float score)
{
    tr->have_prev = 0;
    pa_euro_bank_reset(tr->bank);
    pa_pose_filter_reset(&tr->pose_filter);
    out->found = 0;
    out->score = score;
    out->n_points = 0;
    out->num_faces = tr->num_faces;
}

static void fill_pose(struct pa_head_pose *hp, const struct pa_pose *p)
{
    hp->yaw = p->yaw;
    hp->pitch = p->pitch;
    hp->roll = p->roll;
    hp->tx = p->t[0];
    hp->ty = p->t[1];
    hp->tz = p->t[2];
    hp->scale = p->s;
    memcpy(hp->rot, p->r, sizeof(hp->rot));
}

/* Pose, smoothing, canonical shape and expression from tr->raw. */
static int finish(struct pa_tracker *tr, double t, struct pa_face_state *out)
{
    int n = tr->n_points;
    struct pa_pose pose;
    int ret = pa_pose_estimate(tr->geo, &tr->raw[0][0], n, &pose);
    if (ret < 0)
        return ret;
    if (tr->p.smooth) {
        ret = pa_euro_bank_filter(tr->bank, &tr->raw[0][0], &tr->smooth[0][0], n * 3, t, pose.s);
        if (ret < 0)
            return ret;
        if ((ret = pa_pose_estimate(tr->geo, &tr->smooth[0][0], n, &pose)) < 0)
            return ret;
        pa_pose_filter_apply(&tr->pose_filter, &pose, t);
    } else {
        memcpy(tr->smooth, tr->raw, sizeof(float) * 3 * (size_t)n);
    }
    memcpy(out->pts, tr->smooth, sizeof(float) * 3 * (size_t)n);
    out->n_points = n;
    out->box[0] = out->box[2] = out->pts[0][0];
    out->box[1] = out->box[3] = out->pts[0][1];
    for (int i = 1; i < n; i++) {
        out->box[0] = fminf(out->box[0], out->pts[i][0]);
        out->box[1] = fminf(out->box[1], out->pts[i][1]);
        out->box[2] = fmaxf(out->box[2], out->pts[i][0]);
        out->box[3] = fmaxf(out->box[3], out->pts[i][1]);
    }
    fill_pose(&out->pose, &pose);
    pa_pose_to_canonical(&pose, &out->pts[0][0], n, &tr->canon[0][0]);
    memcpy(out->canonical, tr->canon, sizeof(out->canonical));
    struct pa_expression e;
    if ((ret = pa_expression_compute(&tr->canon[0][0], n, &e)) < 0)
        return ret;
    pa_expression_to_public(&e, &out->expr);
    return 0;
}

int pa_tracker_process(struct pa_tracker *tr, const struct pa_image *img, double t,
                       struct pa_face_state *out)
{
    if (!img || img->fmt != PA_PIX_RGB24 || img->w < 16 || img->h < 16)
        return PA_EINVAL;
    memset(out, 0, sizeof(*out));
    out->t = t;
    struct pa_roi roi;
    int tracking = tr->have_prev && !tr->p.detect_every_frame;
    if (tracking) {
        pa_roi_from_landmarks(&roi, (const float(*)[3])tr->raw, tr->n_points);
    } else {
        int r = detect(tr, img, &roi);
        out->detected = 1;
        if (r <= 0) {
            not_found(tr, out, 0.0f);
            return r < 0 ? r : 0;
        }
    }
    float presence = 0.0f;
    int ret = pa_landmarker_run(tr->lm, img, &roi, tr->raw, &presence);
    if (ret < 0)
        return ret;
    if (presence < tr->p.min_presence && tracking) {
        /* Lost while tracking: look for the face again on this very frame. */
        int r = detect(tr, img, &roi);
        out->detected = 1;
        if (r < 0)
            return r;
        if (r > 0 && (ret = pa_landmarker_run(tr->lm, img, &roi, tr->raw, &presence)) < 0)
            return ret;
        if (r == 0)
            presence = 0.0f;
    }
    if (presence < tr->p.min_presence) {
        not_found(tr, out, presence);
        return 0;
    }
    tr->have_prev = 1;
    out->found = 1;
    out->score = presence;
    out->num_faces = PA_MAX(tr->num_faces, 1);
    ret = finish(tr, t, out);
    if (ret < 0) {
        /* Degenerate points (e.g. all collapsed): treat as a lost face, not a failure. */
        not_found(tr, out, presence);
        return 0;
    }
    return 0;
}

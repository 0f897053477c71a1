/** @file
 * Expression features of a face, read from its pose-free canonical shape (pa_pose_to_canonical
 * of MediaPipe's 468 or 478 landmarks).
 *
 * Every feature is a ratio of canonical-space distances, so it does not depend on image size,
 * head pose or distance to the camera. Lengths are divided by D, the distance between the outer
 * eye corners (landmarks 33 and 263), a rigid part of the face. "Left" and "right" are the
 * person's own (MediaPipe's convention): the left eye is on the image right for a frontal face.
 *
 * Landmark indices (MediaPipe face mesh topology, face_mesh_connections.py):
 *   right eye: corners 33 (outer) / 133 (inner), lids 160-144, 159-145, 158-153 (upper-lower)
 *   left eye:  corners 263 (outer) / 362 (inner), lids 387-373, 386-374, 385-380
 *   irises (478-point model only): centres 468 (right eye) and 473 (left eye)
 *   lips: outer corners 61 / 291, inner lip centre 13 (upper) / 14 (lower)
 *   brows: upper brow 105 (right) / 334 (left); nose bridge 6; chin 152
 *
 * The table lists each feature's name, its documented range, and what it measures; values are
 * clamped to the range and the `clamped` mask records which ones had to be.
 */
#ifndef PA_TRACK_EXPRESSION_H
#define PA_TRACK_EXPRESSION_H

#include <stdint.h>

/* X(ENUM, name, lo, hi) — typical values measured on MediaPipe output of real faces are given
 * in the comments as "neutral ~ / extreme ~". */
#define PA_EXPR_LIST(X)                                                                            \
    /* mean lid opening / eye width: 0 closed, ~0.3 open, ~0.1 looking down, ~0.4 wide */          \
    X(PA_EXPR_EYE_OPEN_L, "eye_open_l", 0.0f, 1.0f)                                                \
    X(PA_EXPR_EYE_OPEN_R, "eye_open_r", 0.0f, 1.0f)                                                \
    /* iris centre from the eye-corner midpoint / half the eye width; +x toward the image right    \
     * (the person's left), +y up; x within ~±0.8, y ~+0.15 looking ahead. 0 without irises       \
     * (468-point input). Meaningless while the eye is closed. */                                  \
    X(PA_EXPR_GAZE_X_L, "gaze_x_l", -1.0f, 1.0f)                                                   \
    X(PA_EXPR_GAZE_Y_L, "gaze_y_l", -1.0f, 1.0f)                                                   \
    X(PA_EXPR_GAZE_X_R, "gaze_x_r", -1.0f, 1.0f)                                                   \
    X(PA_EXPR_GAZE_Y_R, "gaze_y_r", -1.0f, 1.0f)                                                   \
    /* inner lip gap 13-14 / D: ~0.01 closed, ~0.15 talking, ~0.35 wide open */                    \
    X(PA_EXPR_MOUTH_OPEN, "mouth_open", 0.0f, 1.0f)                                                \
    /* mouth corner distance 61-291 / D: ~0.55 neutral, ~0.45 "oo", ~0.8 broad smile */            \
    X(PA_EXPR_MOUTH_WIDTH, "mouth_width", 0.0f, 1.5f)                                              \
    /* mean corner height above the inner-lip centre / D: ~-0.02 neutral, ~+0.07 smile */          \
    X(PA_EXPR_SMILE, "smile", -0.5f, 0.5f)                                                         \
    /* corners drawn together: (0.55 - mouth_width) / 0.25, 0 at the canonical mesh's neutral      \
     * width (0.55) or wider, ~0.35 for an "O", ~0.75 for a tight "oo" */                          \
    X(PA_EXPR_PUCKER, "pucker", 0.0f, 1.0f)                                                        \
    /* brow (334 / 105) height above the eye-corner midpoint / D: ~0.3 neutral, ~0.4 raised */     \
    X(PA_EXPR_BROW_L, "brow_raise_l", 0.0f, 1.0f)                                                  \
    X(PA_EXPR_BROW_R, "brow_raise_r", 0.0f, 1.0f)                                                  \
    /* chin 152 x offset from the nose bridge 6 / D, + toward the person's left: ~±0.05 */        \
    X(PA_EXPR_JAW_X, "jaw_sideways", -0.5f, 0.5f)

enum pa_expr_feature {
#define PA__EXPR_ENUM(e, name, lo, hi) e,
    PA_EXPR_LIST(PA__EXPR_ENUM)
#undef PA__EXPR_ENUM
        PA_EXPR_COUNT
};

/** One face's expression features. */
struct pa_expression {
    float v[PA_EXPR_COUNT]; ///< indexed by enum pa_expr_feature, each inside its range
    uint32_t clamped;       ///< bit i set when feature i was outside its range and clamped
    int has_iris;           ///< 1 when gaze was measured (478-point input)
};

/**
 * Compute the features of one face.
 * @param canon  n × 3 canonical-space landmarks (borrowed), from pa_pose_to_canonical
 * @param n      468 or more; gaze needs 478
 * @return 0; PA_EINVAL when n < 468; PA_EINVALDATA for non-finite or degenerate input
 *         (eye corners on top of each other).
 */
int pa_expression_compute(const float *canon, int n, struct pa_expression *e);

/** @return the feature's name (e.g. "mouth_open"), or "?" for an invalid index. */
const char *pa_expression_name(int feature);

/** Documented range of a feature (lo <= v <= hi). */
void pa_expression_range(int feature, float *lo, float *hi);

struct pa_face_expr;

/** Copy the features into the public struct (index 0 = the person's right side). */
void pa_expression_to_public(const struct pa_expression *e, struct pa_face_expr *x);

#endif /* PA_TRACK_EXPRESSION_H */

/** @file
 * Face landmarks: rotated square ROI -> 192×192 crop -> face_landmark(_with_attention) ->
 * 468 or 478 points in image pixels, plus the face-presence score.
 */
#ifndef PA_TRACK_LANDMARKS_H
#define PA_TRACK_LANDMARKS_H

#include "core/pa_common.h"
#include "panim.h"

#define PA_LM_MESH 468
#define PA_LM_MAX 478

/** A rotated rectangle in image pixels (MediaPipe's NormalizedRect, de-normalised). */
struct pa_roi {
    float cx, cy;   ///< centre
    float w, h;     ///< size
    float rotation; ///< radians, positive = clockwise on screen (image y points down)
};

struct pa_landmarker;

/**
 * @param model face_landmark.tflite (468 points) or face_landmark_with_attention.tflite (478,
 *        detected from its outputs); must outlive the landmarker.
 */
int pa_landmarker_create(struct pa_landmarker **out, const struct pa_nn_model *model,
                         enum pa_nn_backend backend, struct pa_parallel *par);
void pa_landmarker_destroy(struct pa_landmarker *lm);

/** @return 468 or 478. */
int pa_landmarker_points(const struct pa_landmarker *lm);

/**
 * Crop `roi` from an RGB24 image, run the network and write points (x, y, z in image pixels;
 * z in the same scale as x, MediaPipe's sign: smaller = closer) and the face-presence
 * probability. No allocation.
 */
int pa_landmarker_run(struct pa_landmarker *lm, const struct pa_image *img,
                      const struct pa_roi *roi, float (*pts)[3], float *presence);

/**
 * ROI of MediaPipe's graphs from two reference points (p0 -> p1 defines the rotation: eye
 * keypoints of a detection, or landmarks 33 and 263) and an axis-aligned box: centre of the
 * box, side = 1.5 × the long side, rotation making p0 -> p1 horizontal.
 */
void pa_roi_from_box(struct pa_roi *roi, const float box[4], const float p0[2], const float p1[2]);

/** ROI for the next frame from this frame's landmarks (bounding box of all n points). */
void pa_roi_from_landmarks(struct pa_roi *roi, const float (*pts)[3], int n);

/** 2×3 matrix mapping crop pixels (size×size) to image pixels for a ROI. */
void pa_roi_matrix(const struct pa_roi *roi, int size, float m[6]);

#endif /* PA_TRACK_LANDMARKS_H */

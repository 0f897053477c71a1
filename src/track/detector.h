/** @file
 * BlazeFace short-range face detector: letterbox to 128×128, run
 * face_detection_short_range.tflite, decode 896 SSD anchors, weighted non-max suppression.
 */
#ifndef PA_TRACK_DETECTOR_H
#define PA_TRACK_DETECTOR_H

#include "core/pa_common.h"
#include "panim.h"

#define PA_DETECTOR_ANCHORS 896
#define PA_DETECTOR_MAX_FACES 16

/** One detected face in image pixels (centre of the top-left pixel at 0.5, 0.5). */
struct pa_detection {
    float score;      ///< sigmoid score, 0..1
    float box[4];     ///< x0, y0, x1, y1
    float kp[6][2];   ///< right eye, left eye, nose tip, mouth, right ear, left ear (person's)
};

struct pa_detector;

struct pa_detector_params {
    float min_score;       ///< candidates below are dropped (MediaPipe: 0.5)
    float nms_iou;         ///< weighted-NMS overlap threshold (MediaPipe: 0.3)
};

struct pa_detector_params pa_detector_default_params(void);

/**
 * @param model the loaded face_detection_short_range model; must outlive the detector.
 * @param par pool for the network, may be NULL; must outlive the detector.
 */
int pa_detector_create(struct pa_detector **out, const struct pa_nn_model *model,
                       const struct pa_detector_params *params, enum pa_nn_backend backend,
                       struct pa_parallel *par);
void pa_detector_destroy(struct pa_detector *d);

/**
 * Detect faces in an RGB24 image. Writes up to `max` detections sorted by score (best first)
 * into `dets` and their count into *n. No allocation.
 */
int pa_detector_run(struct pa_detector *d, const struct pa_image *img, struct pa_detection *dets,
                    int max, int *n);

/* Exposed for tests: SSD anchors (x, y centres in [0,1]) and the decoder on raw outputs. */
void pa_detector_anchors(float anchors[PA_DETECTOR_ANCHORS][2]);
int pa_detector_decode(const float *regressors, const float *scores,
                       const float anchors[PA_DETECTOR_ANCHORS][2],
                       const struct pa_detector_params *p, struct pa_detection *dets, int max);

#endif /* PA_TRACK_DETECTOR_H */

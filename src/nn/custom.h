/** @file
 * MediaPipe custom ops: their parameters (decoded from the op's flexbuffer custom_options,
 * bounds-checked) and the semantics digest. Kernels are in nn/ref/ref_mp_*.c.
 */
#ifndef PA_NN_CUSTOM_H
#define PA_NN_CUSTOM_H

#include "core/pa_common.h"

#define PA_CUSTOM_MAX_SUBSET 64

/** Parameters of all MediaPipe custom ops we support (fields unused by an op stay zero). */
struct pa_custom_params {
    /* Landmarks2TransformMatrix */
    int left_rotation_idx, right_rotation_idx;
    float target_rotation_radians;
    int n_subset; ///< number of (a, b) pairs in subset_idxs
    int subset_idxs[2 * PA_CUSTOM_MAX_SUBSET];
    float scale_x, scale_y;
    /* Landmarks2TransformMatrix and TransformTensorBilinear */
    int output_h, output_w;
    /* TransformLandmarks / TransformTensorBilinear */
    float scale;
};

/**
 * Decode `custom_options` (a flexbuffer map; NULL/0 allowed) for a custom op of type `op`
 * (an enum pa_op value). Unknown keys are ignored, wrong types or out-of-range values give
 * PA_EINVALDATA. `what` names the model in messages.
 */
int pa_custom_parse(int op, const uint8_t *custom_options, size_t size,
                    struct pa_custom_params *out, const char *what);

#endif /* PA_NN_CUSTOM_H */

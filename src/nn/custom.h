/** @file
 * MediaPipe custom ops: their parameters (decoded from the op's flexbuffer custom_options,
 * bounds-checked) and the semantics digest. Kernels are in nn/ref/ref_mp_*.c. Semantics
 * follow MediaPipe's mediapipe/util/tflite/operations/<op>.cc (CPU kernels) and the option
 * parsers in TFLite's delegates/gpu/common/mediapipe/<op>.cc. We support the versions the
 * face and selfie models use:
 *
 *  - Convolution2DTransposeBias v1: in [N,H,W,I], weights [O,KH,KW,I], bias [O] ->
 *    [N,OH,OW,O]. custom_options is a raw TfLiteTransposeConvParams (int32 padding
 *    1 = SAME / 2 = VALID, int32 stride_width, int32 stride_height). pa_custom_parse decodes
 *    it into the fields below; graph_ops.c also decodes it into pa_op_params (padding,
 *    stride_w, stride_h), and kernels take the custom fields when stride_w/h > 0, else
 *    those (see pa_custom_tconv_geometry). MediaPipe's shape rule:
 *    pad_total = SAME ? max(0, K - (In - 1) % S - 1) : 0, Out = S * (In - 1) + K - pad_total,
 *    leading pad pad_total / 2 (pa_custom_tconv_pad_total).
 *  - Landmarks2TransformMatrix v2: landmarks [1,N,3] -> [1,4,4], a row-major matrix mapping
 *    output-crop pixel coordinates to landmark (input) coordinates.
 *  - TransformTensorBilinear v2: data [1,H,W,C], matrix [1,4,4] -> [1,output_h,output_w,C];
 *    bilinear, the matrix mapping output pixel centres to input pixel centres.
 *  - TransformLandmarks v2: landmarks [1,N,D] (D = 2 or 3), matrix [1,4,4] -> [1,N,D];
 *    (x, y) through the matrix's first two rows, z copied. No options.
 */
#ifndef PA_NN_CUSTOM_H
#define PA_NN_CUSTOM_H

#include "core/pa_common.h"

/** Most (a, b) landmark pairs in a Landmarks2TransformMatrix subset (the models use <= 40). */
#define PA_CUSTOM_MAX_SUBSET 64
/** Largest output_height/output_width we accept (guards size arithmetic downstream). */
#define PA_CUSTOM_MAX_OUTPUT 16384

/** Parameters of the flexbuffer-configured MediaPipe ops (fields unused by an op stay zero). */
struct pa_custom_params {
    /* Landmarks2TransformMatrix */
    int left_rotation_idx, right_rotation_idx; ///< landmarks whose line sets the rotation (>= 0)
    float target_rotation_radians;
    int n_subset;                              ///< number of (a, b) pairs in subset_idxs (>= 1)
    int subset_idxs[2 * PA_CUSTOM_MAX_SUBSET]; ///< landmarks spanning the crop box (>= 0)
    float scale_x, scale_y;                    ///< crop box size multipliers (> 0)
    /* Landmarks2TransformMatrix and TransformTensorBilinear */
    int output_h, output_w; ///< crop size in pixels, 1..PA_CUSTOM_MAX_OUTPUT
    /* Convolution2DTransposeBias (0 = not decoded here, see pa_op_params) */
    int padding;            ///< enum pa_padding value (PA_PAD_SAME = 0, PA_PAD_VALID = 1)
    int stride_w, stride_h; ///< 1..1024 once decoded
};

/**
 * Decode `custom_options` (a flexbuffer map; NULL/0 allowed where the op reads none) for the
 * custom op `op` (an enum pa_op value: PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX,
 * PA_OP_TRANSFORM_TENSOR_BILINEAR or PA_OP_TRANSFORM_LANDMARKS; for
 * PA_OP_TRANSPOSE_CONV_BIAS the raw 12-byte struct, not a map). Unknown keys are ignored, a
 * missing key reads as 0 (FlexBuffers null, as in MediaPipe) and must then pass the range
 * checks; wrong types, corrupt bytes or out-of-range values give PA_EINVALDATA, a subset
 * larger than PA_CUSTOM_MAX_SUBSET pairs PA_EUNSUPPORTED. Errors are logged naming `what`.
 * @param custom_options borrowed; nothing is kept after the call.
 */
int pa_custom_parse(int op, const uint8_t *custom_options, size_t size,
                    struct pa_custom_params *out, const char *what);

/**
 * Check an op's opcode version against the one whose semantics we implement (v1 for
 * Convolution2DTransposeBias (0 accepted, MediaPipe registers it unversioned), v2 for the
 * other three: their v1 differs in layout and options).
 * @return 0, or PA_EUNSUPPORTED (logged naming `what`).
 */
int pa_custom_check_version(int op, int version, const char *what);

/** Total padding of a Convolution2DTransposeBias along one axis (MediaPipe's SAME rule). */
static inline int pa_custom_tconv_pad_total(int same, int in, int kernel, int stride)
{
    int p = same ? kernel - (in - 1) % stride - 1 : 0;
    return p > 0 ? p : 0;
}

/**
 * Padding and strides of a Convolution2DTransposeBias node: the custom fields when
 * pa_custom_parse filled them (stride > 0), else the common pa_op_params values passed in.
 */
static inline void pa_custom_tconv_geometry(const struct pa_custom_params *c, int padding,
                                            int stride_h, int stride_w, int *same, int *sh, int *sw)
{
    if (c->stride_h > 0 && c->stride_w > 0) {
        padding = c->padding;
        stride_h = c->stride_h;
        stride_w = c->stride_w;
    }
    *same = padding == 0; // PA_PAD_SAME
    *sh = stride_h;
    *sw = stride_w;
}

#endif /* PA_NN_CUSTOM_H */

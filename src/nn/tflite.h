/** @file
 * Read-only, bounds-checked view of a .tflite file (a FlatBuffer, schema: TensorFlow's
 * tensorflow/lite/schema/schema.fbs). The file is mmap'ed; nothing is trusted: every offset,
 * vector length and string is checked against the mapping before use, so a corrupt or
 * truncated file yields PA_EINVALDATA (logged once with the file name), never a crash.
 *
 * Only subgraph 0 is exposed (all MediaPipe face models have one subgraph).
 */
#ifndef PA_NN_TFLITE_H
#define PA_NN_TFLITE_H

#include <stdbool.h>

#include "core/pa_common.h"

struct pa_tflite;

/** TFLite TensorType values we recognise (schema.fbs numbering). */
enum pa_tflite_type {
    PA_TFLITE_FLOAT32 = 0,
    PA_TFLITE_FLOAT16 = 1,
    PA_TFLITE_INT32 = 2,
    PA_TFLITE_UINT8 = 3,
    PA_TFLITE_INT64 = 4,
    PA_TFLITE_INT8 = 9,
};

#define PA_TFLITE_MAX_DIMS 8
#define PA_TFLITE_MAX_IO 16

struct pa_tflite_tensor {
    const char *name; ///< NUL-terminated, inside the mapping ("" when absent)
    int ndim;
    int32_t shape[PA_TFLITE_MAX_DIMS];
    int type;              ///< enum pa_tflite_type value (other values passed through)
    int buffer;            ///< buffer index (0 = no data)
    const uint8_t *data;   ///< constant bytes inside the mapping, NULL when none; may be unaligned
    size_t data_size;      ///< bytes at data, checked to lie inside the file
    bool quantized;        ///< has quantization scale/zero-point
};

/** Decoded builtin options: only the fields the ops we support use; zero when absent. */
struct pa_tflite_options {
    int padding;          ///< 0 = SAME, 1 = VALID (schema Padding)
    int stride_w, stride_h;
    int dilation_w, dilation_h; ///< 1 when absent
    int filter_w, filter_h;     ///< pools
    int depth_multiplier;
    int activation;       ///< schema ActivationFunctionType: 0 none, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6
    int axis;             ///< concatenation
    bool align_corners, half_pixel_centers; ///< resize bilinear
    int begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask; ///< strided slice
    int n_new_shape;      ///< reshape options (may be absent; use the shape tensor then)
    int32_t new_shape[PA_TFLITE_MAX_DIMS];
};

struct pa_tflite_op {
    int builtin_code;        ///< schema BuiltinOperator (deprecated_builtin_code merged in)
    const char *custom_code; ///< NUL-terminated for CUSTOM ops, else NULL
    int version;
    int n_inputs, n_outputs;
    int inputs[PA_TFLITE_MAX_IO];  ///< tensor indices; -1 = optional input absent
    int outputs[PA_TFLITE_MAX_IO];
    int options_type;        ///< schema BuiltinOptions union type (0 = none)
    struct pa_tflite_options opt;
    const uint8_t *custom_options; ///< flexbuffer bytes inside the mapping, or NULL
    size_t custom_options_size;
};

/**
 * Map and validate a file. The root table, subgraph 0, every tensor, operator, opcode and
 * buffer reference is checked here, so later accessors cannot fail on structure.
 * @return 0; PA_ENOENT; PA_EINVALDATA (message names `path` and the problem).
 */
int pa_tflite_open(struct pa_tflite **out, const char *path);

/**
 * The same over bytes in memory (fuzzing, tests). `data` must outlive the reader.
 * `name` is used in messages and must outlive the reader too.
 */
int pa_tflite_open_memory(struct pa_tflite **out, const uint8_t *data, size_t size,
                          const char *name);
void pa_tflite_close(struct pa_tflite *t);

const char *pa_tflite_name(const struct pa_tflite *t); ///< path or name given at open
int pa_tflite_version(const struct pa_tflite *t);      ///< schema version field
const char *pa_tflite_description(const struct pa_tflite *t); ///< "" when absent

int pa_tflite_num_tensors(const struct pa_tflite *t);
int pa_tflite_num_ops(const struct pa_tflite *t);
/** Subgraph inputs (which = 0) or outputs (which = 1): count and tensor indices. */
int pa_tflite_num_io(const struct pa_tflite *t, int which);
int pa_tflite_io(const struct pa_tflite *t, int which, int i);

/** Fill *out for tensor i (0 <= i < num_tensors). @return 0 or PA_EINVAL for a bad index. */
int pa_tflite_tensor(const struct pa_tflite *t, int i, struct pa_tflite_tensor *out);
/** Fill *out for operator i in execution order. @return 0, PA_EINVAL, PA_EINVALDATA. */
int pa_tflite_op(const struct pa_tflite *t, int i, struct pa_tflite_op *out);

/** @return the schema name of a builtin operator code ("CONV_2D"), or "UNKNOWN". */
const char *pa_tflite_builtin_name(int code);
/** @return the name of a tensor type ("FLOAT32"), or "UNKNOWN". */
const char *pa_tflite_type_name(int type);

/**
 * Print a human-readable summary of the model to `out` (tflite_dump.c): version,
 * description, inputs/outputs with shapes, an op histogram, every op with its tensors and
 * main options, and with `show_tensors` a table of all tensors. Strings from the file are
 * printed with non-printable bytes replaced by '?'.
 * @return 0, or PA_EIO when writing to `out` failed.
 */
int pa_tflite_dump(const struct pa_tflite *t, int show_tensors, FILE *out);

#endif /* PA_NN_TFLITE_H */

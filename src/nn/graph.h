/** @file
 * Our normalized graph: NHWC float32 tensors with static shapes, ops from nn/ops.inc, every
 * parameter decoded (paddings, new shapes and slice bounds taken out of their int32 constant
 * tensors), and constants folded to aligned float32 (fp16 weights behind DEQUANTIZE become
 * f32 at load). Built once from a pa_tflite reader; immutable afterwards and shareable.
 *
 * Every node's shapes are validated at build time against what its kernel will compute, so
 * kernels may trust them: a model whose stated shapes are inconsistent is PA_EINVALDATA.
 */
#ifndef PA_NN_GRAPH_H
#define PA_NN_GRAPH_H

#include <stdbool.h>

#include "core/pa_common.h"
#include "nn/custom.h"

struct pa_tflite;

enum pa_op {
#define X(name, str) PA_OP_##name,
#include "nn/ops.inc"
#undef X
    PA_OP_COUNT
};

/** @return the op's display name ("CONV_2D", "Landmarks2TransformMatrix"). */
const char *pa_op_name(enum pa_op op);

#define PA_NN_MAX_DIMS 4
#define PA_NN_MAX_IO 8

enum pa_padding { PA_PAD_SAME = 0, PA_PAD_VALID = 1 };
enum pa_activation { PA_ACT_NONE = 0, PA_ACT_RELU, PA_ACT_RELU_N1_TO_1, PA_ACT_RELU6 };

enum pa_tensor_kind {
    PA_TENSOR_CONST,    ///< data holds the folded values
    PA_TENSOR_INPUT,    ///< graph input, lives in the session
    PA_TENSOR_INTERNAL, ///< intermediate or graph output, lives in the session arena
};

struct pa_tensor {
    enum pa_tensor_kind kind;
    int ndim;                  ///< 0..4
    int dims[PA_NN_MAX_DIMS];  ///< NHWC order for 4-D
    size_t count;              ///< product of dims (1 for scalars)
    float *data;               ///< CONST: PA_ALIGN-aligned f32 owned by the graph; else NULL
    char name[64];             ///< TFLite tensor name (truncated), for messages
    int tflite_index;          ///< index in the source file, -1 if synthesized
};

/** Decoded parameters; each op reads only the fields listed in its kernel's comment. */
struct pa_op_params {
    enum pa_padding padding;
    int stride_w, stride_h;
    int dilation_w, dilation_h;
    int filter_w, filter_h;     ///< pools
    int depth_multiplier;
    enum pa_activation activation; ///< fused activation applied to the output
    int axis;                   ///< concatenation, non-negative
    bool align_corners, half_pixel_centers;
    int pad[PA_NN_MAX_DIMS][2]; ///< PAD: before/after per dim (from the paddings tensor)
    /* STRIDED_SLICE: resolved per-dim begin/end/stride on the input (masks applied). */
    int begin[PA_NN_MAX_DIMS], end[PA_NN_MAX_DIMS], strides[PA_NN_MAX_DIMS];
    int shrink_axis_mask;       ///< STRIDED_SLICE: bit i set = input dim i dropped from the output
    struct pa_custom_params custom; ///< MediaPipe custom ops
};

struct pa_node {
    enum pa_op op;
    int n_in, n_out;
    int in[PA_NN_MAX_IO];  ///< tensor ids in pa_graph.tensors; -1 for an absent optional input
    int out[PA_NN_MAX_IO];
    struct pa_op_params p;
};

struct pa_graph {
    const char *name; ///< file path, for messages
    int n_tensors;
    struct pa_tensor *tensors;
    int n_nodes;
    struct pa_node *nodes; ///< in execution order
    int n_inputs, n_outputs;
    int inputs[PA_NN_MAX_IO];  ///< tensor ids
    int outputs[PA_NN_MAX_IO];
    uint64_t macs;             ///< multiply-accumulates per inference (conv, dwconv, fc, deconv)
};

/**
 * Build a graph from an open reader: translate ops, fold DEQUANTIZE and other constant
 * subexpressions, decode params, validate shapes. The reader may be closed afterwards
 * (constants are copied into aligned f32 storage).
 * @return 0; PA_EUNSUPPORTED naming the op; PA_EINVALDATA naming the tensor or node.
 */
int pa_graph_build(struct pa_graph **out, const struct pa_tflite *t);
void pa_graph_destroy(struct pa_graph *g);

/** Shape of node output computed from its inputs (used by build-time validation). */
int pa_graph_infer_shape(const struct pa_graph *g, const struct pa_node *n, int out_index,
                         int *ndim, int dims[PA_NN_MAX_DIMS]);

#endif /* PA_NN_GRAPH_H */

/** @file
 * Reference (portable C) kernels, one per op; all share the pa_ref_kernel_fn signature from
 * nn/backend.h. ref_ops.c maps each enum pa_op to its function (pa_ref_kernel()).
 *
 * Contract for every kernel: inputs are ptr[n->in[i]], outputs ptr[n->out[i]], shapes in
 * g->tensors[id].dims were validated at graph build (kernels trust them), params in n->p.
 * Kernels never allocate (they use at most ~70 KiB of stack) and split work over output rows
 * with pa_parallel_for when `par` has more than one thread (NULL = serial).
 *
 * Aliasing: the element-wise kernels (RELU, RELU6, LOGISTIC, HARD_SWISH, ADD, MUL, PRELU)
 * and RESHAPE also work in place, with the output in the same buffer as input 0 (or as
 * input 1 of ADD/MUL when shapes match); every other kernel needs distinct buffers.
 */
#ifndef PA_NN_REF_REF_H
#define PA_NN_REF_REF_H

#include "nn/backend.h"
#include "nn/graph.h"

struct pa_parallel;

/** Declares (or defines) a kernel with the pa_ref_kernel_fn signature. */
#define PA_REF_KERNEL(name)                                                                       \
    void name(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,               \
              struct pa_parallel *par)

/* ref_conv2d.c: in [1,H,W,I], filter [O,KH,KW,I], bias [O] (in[2], optional -1). */
PA_REF_KERNEL(pa_ref_conv2d);
/* ref_depthwise_conv2d.c: filter [1,KH,KW,I*mult], out channel c = i*mult + m. */
PA_REF_KERNEL(pa_ref_depthwise_conv2d);
/* ref_fully_connected.c: in [..., I] (flattened to rows of I), weights [O,I], bias [O]. */
PA_REF_KERNEL(pa_ref_fully_connected);
/* ref_elementwise.c: broadcasting ADD / MUL with fused activation. */
PA_REF_KERNEL(pa_ref_add);
PA_REF_KERNEL(pa_ref_mul);
/* ref_activation.c */
PA_REF_KERNEL(pa_ref_relu);
PA_REF_KERNEL(pa_ref_relu6);
PA_REF_KERNEL(pa_ref_prelu);
PA_REF_KERNEL(pa_ref_logistic);
PA_REF_KERNEL(pa_ref_hard_swish);
/* ref_pad.c: constant zero padding from n->p.pad. */
PA_REF_KERNEL(pa_ref_pad);
/* ref_pool2d.c */
PA_REF_KERNEL(pa_ref_max_pool2d);
PA_REF_KERNEL(pa_ref_average_pool2d);
/* ref_reshape.c: plain copy (same element count). */
PA_REF_KERNEL(pa_ref_reshape);
/* ref_concat.c: along n->p.axis. */
PA_REF_KERNEL(pa_ref_concatenation);
/* ref_strided_slice.c: p.begin/end/strides resolved per dim. */
PA_REF_KERNEL(pa_ref_strided_slice);
/* ref_resize_bilinear.c: TFLite align_corners / half_pixel_centers semantics. */
PA_REF_KERNEL(pa_ref_resize_bilinear);

/* MediaPipe custom ops, in ref_mp_*.c. */
PA_REF_KERNEL(pa_ref_transpose_conv_bias);
PA_REF_KERNEL(pa_ref_landmarks_to_transform_matrix);
PA_REF_KERNEL(pa_ref_transform_tensor_bilinear);
PA_REF_KERNEL(pa_ref_transform_landmarks);

/* Shared helpers (ref_activation.c, ref_elementwise.c, ref_ops.c). */

/** Clamp bounds [*lo, *hi] of a fused activation (NONE = -inf, +inf). */
void pa_ref_act_bounds(enum pa_activation act, float *lo, float *hi);

/** Clamp x[0..count) in place to the fused activation's bounds (no-op for NONE). */
void pa_ref_act_apply(enum pa_activation act, float *x, size_t count);

/**
 * Number of pa_parallel_for jobs for a kernel with `rows` independent output rows and about
 * `work` scalar operations in total: 1 when serial or when the work is too small to be worth
 * waking threads, else min(threads, rows).
 */
int pa_ref_jobs(struct pa_parallel *par, int rows, size_t work);

/**
 * Convolution core shared by CONV_2D and FULLY_CONNECTED (ref_conv2d.c): input [n,h,wi,ci],
 * filter [co,kh,kw,ci], bias [co] or NULL, output [n,oh,ow,co]; reads padding, strides,
 * dilations and the fused activation from `p`.
 */
void pa_ref_conv_run(const float *in, const float *w, const float *bias, float *out, int n,
                     int h, int wi, int ci, int oh, int ow, int co, int kh, int kw,
                     const struct pa_op_params *p, struct pa_parallel *par);

/** Element-wise binary operations with NumPy broadcasting (ref_elementwise.c). */
enum pa_ref_binop {
    PA_REF_BIN_ADD,   ///< a + b
    PA_REF_BIN_MUL,   ///< a * b
    PA_REF_BIN_PRELU, ///< a >= 0 ? a : b * a (b = alpha)
};

/**
 * out = op(a, b) with broadcasting over up to 4 dims (a size-1 dim, or a missing leading dim,
 * repeats), then clamped to the fused activation `act`. Shapes are the graph tensors' dims.
 */
void pa_ref_binary(const struct pa_tensor *ta, const float *a, const struct pa_tensor *tb,
                   const float *b, const struct pa_tensor *tout, float *out,
                   enum pa_ref_binop op, enum pa_activation act, struct pa_parallel *par);

#endif /* PA_NN_REF_REF_H */

/** @file
 * Dispatch table of the reference kernels (one slot per enum pa_op, filled from ops.inc's
 * order) and the job-count heuristic every kernel uses to split its rows over threads.
 */
#include "nn/ref/ref.h"

#include "core/parallel.h"

/* Designated initializers keep each op next to its kernel whatever the order of ops.inc;
 * the static assert below catches an op added to ops.inc without a kernel here. */
static const pa_ref_kernel_fn kernels[PA_OP_COUNT] = {
    [PA_OP_CONV_2D] = pa_ref_conv2d,
    [PA_OP_DEPTHWISE_CONV_2D] = pa_ref_depthwise_conv2d,
    [PA_OP_FULLY_CONNECTED] = pa_ref_fully_connected,
    [PA_OP_ADD] = pa_ref_add,
    [PA_OP_MUL] = pa_ref_mul,
    [PA_OP_RELU] = pa_ref_relu,
    [PA_OP_RELU6] = pa_ref_relu6,
    [PA_OP_PRELU] = pa_ref_prelu,
    [PA_OP_LOGISTIC] = pa_ref_logistic,
    [PA_OP_HARD_SWISH] = pa_ref_hard_swish,
    [PA_OP_PAD] = pa_ref_pad,
    [PA_OP_MAX_POOL_2D] = pa_ref_max_pool2d,
    [PA_OP_AVERAGE_POOL_2D] = pa_ref_average_pool2d,
    [PA_OP_RESHAPE] = pa_ref_reshape,
    [PA_OP_CONCATENATION] = pa_ref_concatenation,
    [PA_OP_STRIDED_SLICE] = pa_ref_strided_slice,
    [PA_OP_RESIZE_BILINEAR] = pa_ref_resize_bilinear,
    [PA_OP_TRANSPOSE_CONV_BIAS] = pa_ref_transpose_conv_bias,
    [PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX] = pa_ref_landmarks_to_transform_matrix,
    [PA_OP_TRANSFORM_TENSOR_BILINEAR] = pa_ref_transform_tensor_bilinear,
    [PA_OP_TRANSFORM_LANDMARKS] = pa_ref_transform_landmarks,
};

_Static_assert(PA_OP_COUNT == 21, "ops.inc changed: register the new op's kernel above");

pa_ref_kernel_fn pa_ref_kernel(enum pa_op op)
{
    PA_ASSERT((unsigned)op < PA_OP_COUNT && kernels[op]);
    return kernels[op];
}

/* Waking the pool costs a few microseconds; below this many scalar operations one thread
 * finishes first. */
#define PA_REF_MIN_PARALLEL_WORK 16384

int pa_ref_jobs(struct pa_parallel *par, int rows, size_t work)
{
    int threads = pa_parallel_threads(par);
    if (threads <= 1 || rows <= 1 || work < PA_REF_MIN_PARALLEL_WORK)
        return 1;
    return PA_MIN(threads, rows);
}

/** @file
 * FULLY_CONNECTED (TFLite semantics): input [..., I] taken as R = count / I rows, weights
 * [O, I], bias [O] (optional input 2, -1 when absent), output [R, O] (or the same values in
 * whatever shape the graph states), with the fused activation.
 *
 * Algorithm digest: out[r,o] = act(bias[o] + sum_i in[r,i] * w[o,i]). That is a 1x1
 * convolution over a batch of R 1x1 images with I input and O output channels, so it runs on
 * the blocked convolution core of ref_conv2d.c (whose pixel tiles span images).
 */
#include "nn/ref/ref.h"

void pa_ref_fully_connected(const struct pa_graph *g, const struct pa_node *n, float *const *ptr,
                            struct pa_parallel *par)
{
    const struct pa_tensor *ti = &g->tensors[n->in[0]];
    const struct pa_tensor *tw = &g->tensors[n->in[1]];
    const float *bias = n->n_in > 2 && n->in[2] >= 0 ? ptr[n->in[2]] : NULL;
    const int co = tw->dims[0], ci = tw->dims[1];
    const int rows = (int)(ti->count / (size_t)ci);
    struct pa_op_params p = {
        .padding = PA_PAD_VALID,
        .stride_w = 1, .stride_h = 1, .dilation_w = 1, .dilation_h = 1,
        .activation = n->p.activation,
    };
    /* Each row is a 1x1 image of the batch, so jobs split the rows. */
    pa_ref_conv_run(ptr[n->in[0]], ptr[n->in[1]], bias, ptr[n->out[0]], rows, 1, 1, ci, 1, 1, co,
                    1, 1, &p, par);
}

/** @file
 * Reference kernel of MediaPipe's TransformLandmarks (version 2): maps landmarks from crop
 * coordinates back through a 4x4 matrix (usually Landmarks2TransformMatrix's, scaled).
 *
 * Algorithm digest (MediaPipe transform_landmarks.cc, v2): landmarks [1,N,D], D = 2 or 3,
 * matrix M [1,4,4] row-major; for each landmark (x, y[, z]):
 *   x' = M[0]x + M[1]y + M[2]·0 + M[3],  y' = M[4]x + M[5]y + M[6]·0 + M[7],  z' = z.
 * (v1's extra `scale` on the translation does not exist in v2.)
 */
#include "nn/ref/ref.h"

PA_REF_KERNEL(pa_ref_transform_landmarks)
{
    (void)par;
    const struct pa_tensor *t = &g->tensors[n->in[0]];
    const float *in = ptr[n->in[0]];
    const float *m = ptr[n->in[1]];
    float *out = ptr[n->out[0]];
    int count = t->dims[1], dim = t->dims[2];
    for (int i = 0; i < count; i++) {
        const float *q = in + (size_t)i * dim;
        float *o = out + (size_t)i * dim;
        // Same association as MediaPipe's float4 dot product with (x, y, 0, 1).
        float x = q[0] * m[0] + q[1] * m[1] + 0.0f * m[2] + 1.0f * m[3];
        float y = q[0] * m[4] + q[1] * m[5] + 0.0f * m[6] + 1.0f * m[7];
        if (dim == 3)
            o[2] = q[2]; // before o[0]/o[1]: in and out may alias
        o[0] = x;
        o[1] = y;
    }
}

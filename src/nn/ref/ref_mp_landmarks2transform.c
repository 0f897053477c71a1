/** @file
 * Reference kernel of MediaPipe's Landmarks2TransformMatrix (version 2): from landmarks it
 * builds the 4x4 matrix that maps pixel coordinates of an output crop to the landmarks'
 * coordinate space (the crop is then sampled by TransformTensorBilinear).
 *
 * Algorithm digest (MediaPipe landmarks_to_transform_matrix.cc, v2), landmark i = (x, y) at
 * flat offsets 3i, 3i + 1 of the [1,N,3] input:
 *   rot   = target_rotation_radians - atan2(yR - yL, xR - xL)     (L/R rotation landmarks)
 *   every subset landmark p is rotated by R(rot); (lo, hi) is the box of the rotated points,
 *   crop size (cw, ch) = hi - lo, centre c = R(-rot) · (lo + hi) / 2
 *   M = Shift(c) · R(-rot) · Scale(scale_x * cw / out_w, scale_y * ch / out_h)
 *       · Shift(-out_w / 2, -out_h / 2)
 * with R(a) = [[cos a, -sin a], [sin a, cos a]] embedded in 4x4 (z row/column identity).
 * The output is M row-major: out[4r + c] = M[r][c]. All arithmetic is float, and the 4x4
 * products are done in MediaPipe's order so the result matches it to the last bit on the
 * same libm.
 */
#include "nn/ref/ref.h"

#include <math.h>
#include <string.h>

#include "nn/custom.h"

/* a = a · b for row-major 4x4 matrices, sums in k order as MediaPipe's Mat4::operator*=. */
static void mat4_mul_inplace(float a[16], const float b[16])
{
    float r[16];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            float sum = 0.0f;
            for (int k = 0; k < 4; k++)
                sum += a[i * 4 + k] * b[k * 4 + j];
            r[i * 4 + j] = sum;
        }
    }
    memcpy(a, r, sizeof(r));
}

static void mat4_identity(float m[16])
{
    memset(m, 0, 16 * sizeof(float));
    m[0] = m[5] = m[10] = m[15] = 1.0f;
}

/* Box of the subset landmarks rotated by `rot`: centre (rotated back) and size. */
static void crop_box(const float *lm, size_t stride, const struct pa_custom_params *p, float rot,
                     float *cx, float *cy, float *cw, float *ch)
{
    float cs = cosf(rot), sn = sinf(rot);
    float lo_x = 0, lo_y = 0, hi_x = 0, hi_y = 0;
    for (int i = 0; i < 2 * p->n_subset; i++) {
        const float *q = lm + stride * (size_t)p->subset_idxs[i];
        float x = cs * q[0] - sn * q[1];
        float y = sn * q[0] + cs * q[1];
        if (i == 0 || x < lo_x)
            lo_x = x;
        if (i == 0 || y < lo_y)
            lo_y = y;
        if (i == 0 || x > hi_x)
            hi_x = x;
        if (i == 0 || y > hi_y)
            hi_y = y;
    }
    *cw = hi_x - lo_x;
    *ch = hi_y - lo_y;
    float mx = (lo_x + hi_x) / 2, my = (lo_y + hi_y) / 2;
    // Rotate the centre back with R(-rot), evaluated as MediaPipe does (cos/sin of -rot).
    float ci = cosf(-rot), si = sinf(-rot);
    *cx = ci * mx - si * my;
    *cy = si * mx + ci * my;
}

PA_REF_KERNEL(pa_ref_landmarks_to_transform_matrix)
{
    (void)par;
    const struct pa_custom_params *p = &n->p.custom;
    const struct pa_tensor *lt = &g->tensors[n->in[0]];
    const float *lm = ptr[n->in[0]];
    float *out = ptr[n->out[0]];
    /* MediaPipe reads landmark i at offset 3i; for the [1,N,3] tensors it accepts that is the
     * row stride, which we use so a [1,N,2] input could never be read past its end. */
    size_t stride = (size_t)lt->dims[lt->ndim - 1];

    const float *l = lm + stride * (size_t)p->left_rotation_idx;
    const float *r = lm + stride * (size_t)p->right_rotation_idx;
    float rot = p->target_rotation_radians - atan2f(r[1] - l[1], r[0] - l[0]);

    float cx, cy, cw, ch;
    crop_box(lm, stride, p, rot, &cx, &cy, &cw, &ch);

    float m[16], t[16];
    mat4_identity(m);
    mat4_identity(t);
    t[3] = cx;
    t[7] = cy;
    mat4_mul_inplace(m, t);

    float a = -rot;
    mat4_identity(t);
    t[0] = cosf(a);
    t[1] = -sinf(a);
    t[4] = sinf(a);
    t[5] = cosf(a);
    mat4_mul_inplace(m, t);

    mat4_identity(t);
    t[0] = p->scale_x * cw / (float)p->output_w;
    t[5] = p->scale_y * ch / (float)p->output_h;
    mat4_mul_inplace(m, t);

    mat4_identity(t);
    t[3] = (float)(-1.0 * (p->output_w / 2.0));
    t[7] = (float)(-1.0 * (p->output_h / 2.0));
    mat4_mul_inplace(m, t);

    memcpy(out, m, sizeof(m));
}

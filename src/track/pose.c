/** @file
 * Head pose by weighted orthogonal Procrustes with scale (see pose.h for the conventions).
 *
 * Algorithm digest. Landmarks p_i are first turned into view space, q_i = F p_i with
 * F = diag(1, -1, -1), so that canonical and view space are both "y up, z toward the camera"
 * and the sought rotation is proper. We minimise
 *
 *     E(s, R, t') = sum_i w_i |s R c_i + t' - q_i|^2        (t = F t')
 *
 * over the basis landmarks i with MediaPipe's weights w_i:
 *  1. weighted centroids c̄, q̄; centred a_i = c_i - c̄, b_i = q_i - q̄;
 *  2. cross-covariance S = sum w_i a_i b_i^T; R maximises sum w_i b_i · R a_i, which Horn's
 *     closed form solves as the eigenvector of the largest eigenvalue of a symmetric 4×4
 *     matrix N(S), read as a unit quaternion (B. K. P. Horn, "Closed-form solution of
 *     absolute orientation using unit quaternions", JOSA A 4(4), 1987). A quaternion is always
 *     a proper rotation, so no reflection fix-up is needed (unlike the SVD route);
 *  3. s = sum w_i b_i · R a_i / sum w_i |a_i|^2 (the least-squares scale for a fixed R,
 *     Umeyama 1991 with the canonical shape as the model), t' = q̄ - s R c̄.
 * The 4×4 eigenproblem is solved by cyclic Jacobi rotations in double precision, which
 * converges quadratically and is unconditionally stable for symmetric matrices.
 */
#include "track/pose.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "panim.h"
#include "track/geometry.h"

#define RAD2DEG (180.0 / 3.14159265358979323846)

/* Eigen-decomposition of a symmetric 4×4 matrix: a is destroyed (its diagonal ends up holding
 * the eigenvalues), v receives the eigenvectors as columns. */
static void jacobi4(double a[4][4], double v[4][4])
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            v[i][j] = i == j;
    for (int sweep = 0; sweep < 50; sweep++) {
        double off = 0.0, diag = 0.0;
        for (int i = 0; i < 4; i++) {
            diag += a[i][i] * a[i][i];
            for (int j = i + 1; j < 4; j++)
                off += a[i][j] * a[i][j];
        }
        if (off <= 1e-30 * diag || off == 0.0)
            return;
        for (int p = 0; p < 3; p++) {
            for (int q = p + 1; q < 4; q++) {
                if (a[p][q] == 0.0)
                    continue;
                // Rotation angle that zeroes a[p][q]; the smaller root keeps it stable.
                double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 4; k++) { // columns p, q of a·J
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 4; k++) { // rows p, q of J^T·(a·J)
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 4; k++) {
                    double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq;
                    v[k][q] = s * vkp + c * vkq;
                }
            }
        }
    }
}

/* Rotation maximising sum b·(R a) for the cross-covariance s[i][j] = sum w a_i b_j (Horn). */
static void horn_rotation(const double s[3][3], double r[3][3])
{
    double n[4][4], v[4][4];
    double sxx = s[0][0], sxy = s[0][1], sxz = s[0][2];
    double syx = s[1][0], syy = s[1][1], syz = s[1][2];
    double szx = s[2][0], szy = s[2][1], szz = s[2][2];
    double rows[4][4] = {
        {sxx + syy + szz, syz - szy, szx - sxz, sxy - syx},
        {syz - szy, sxx - syy - szz, sxy + syx, szx + sxz},
        {szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy},
        {sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz},
    };
    memcpy(n, rows, sizeof(n));
    jacobi4(n, v);
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (n[i][i] > n[best][best])
            best = i;
    double w = v[0][best], x = v[1][best], y = v[2][best], z = v[3][best];
    double norm = sqrt(w * w + x * x + y * y + z * z);
    w /= norm, x /= norm, y /= norm, z /= norm;
    r[0][0] = 1 - 2 * (y * y + z * z);
    r[0][1] = 2 * (x * y - w * z);
    r[0][2] = 2 * (x * z + w * y);
    r[1][0] = 2 * (x * y + w * z);
    r[1][1] = 1 - 2 * (x * x + z * z);
    r[1][2] = 2 * (y * z - w * x);
    r[2][0] = 2 * (x * z - w * y);
    r[2][1] = 2 * (y * z + w * x);
    r[2][2] = 1 - 2 * (x * x + y * y);
}

void pa_pose_angles_from_rotation(const float r[9], float *yaw, float *pitch, float *roll)
{
    // R = Ry(yaw) Rx(P) Rz(roll) with P = -pitch gives R[1][2] = -sin P = sin(pitch),
    // R[0][2] / R[2][2] = tan(yaw), R[1][0] / R[1][1] = tan(roll).
    double sp = PA_CLAMP((double)r[5], -1.0, 1.0);
    *pitch = (float)(asin(sp) * RAD2DEG);
    *yaw = (float)(atan2((double)r[2], (double)r[8]) * RAD2DEG);
    *roll = (float)(atan2((double)r[3], (double)r[4]) * RAD2DEG);
}

void pa_pose_rotation_from_angles(float yaw, float pitch, float roll, float r[9])
{
    double y = yaw / RAD2DEG, p = -pitch / RAD2DEG, z = roll / RAD2DEG;
    double cy = cos(y), sy = sin(y), cp = cos(p), sp = sin(p), cr = cos(z), sr = sin(z);
    // Ry(y) · Rx(p) · Rz(z), multiplied out.
    // clang-format off
    double m[9] = {
        cy * cr + sy * sp * sr,  -cy * sr + sy * sp * cr, sy * cp,
        cp * sr,                 cp * cr,                 -sp,
        -sy * cr + cy * sp * sr, sy * sr + cy * sp * cr,  cy * cp,
    };
    // clang-format on
    for (int i = 0; i < 9; i++)
        r[i] = (float)m[i];
}

int pa_pose_estimate(const struct pa_geometry *g, const float *lm, int n, struct pa_pose *pose)
{
    for (int k = 0; k < g->n_basis; k++) {
        if ((int64_t)g->basis_id[k] >= n) {
            pa_log_error("track", "pose: %d landmarks, but the basis uses landmark %u", n,
                         g->basis_id[k]);
            return PA_EINVAL;
        }
    }
    double wsum = 0.0, cbar[3] = {0}, qbar[3] = {0};
    for (int k = 0; k < g->n_basis; k++) {
        int id = (int)g->basis_id[k];
        const float *p = &lm[3 * id], *c = &g->xyz[3 * id];
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]))
            return PA_EINVALDATA;
        double w = g->basis_w[k], q[3] = {p[0], -(double)p[1], -(double)p[2]};
        wsum += w;
        for (int j = 0; j < 3; j++) {
            cbar[j] += w * c[j];
            qbar[j] += w * q[j];
        }
    }
    for (int j = 0; j < 3; j++) {
        cbar[j] /= wsum;
        qbar[j] /= wsum;
    }

    double s3[3][3] = {{0}}, aa = 0.0, bb = 0.0;
    for (int k = 0; k < g->n_basis; k++) {
        int id = (int)g->basis_id[k];
        const float *p = &lm[3 * id], *c = &g->xyz[3 * id];
        double w = g->basis_w[k];
        double a[3] = {c[0] - cbar[0], c[1] - cbar[1], c[2] - cbar[2]};
        double b[3] = {p[0] - qbar[0], -(double)p[1] - qbar[1], -(double)p[2] - qbar[2]};
        for (int i = 0; i < 3; i++) {
            aa += w * a[i] * a[i];
            bb += w * b[i] * b[i];
            for (int j = 0; j < 3; j++)
                s3[i][j] += w * a[i] * b[j];
        }
    }
    // Landmarks collapsed to a point (or a scale below a millionth of a pixel per cm).
    if (!(bb > 1e-12 * aa))
        return PA_EINVALDATA;

    double r[3][3];
    horn_rotation(s3, r);
    double dot = 0.0; // sum w b · (R a) = trace(R S)
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            dot += r[i][j] * s3[j][i];
    double s = dot / aa;
    if (!(s > 0.0) || !isfinite(s))
        return PA_EINVALDATA;

    double tv[3]; // view-space translation t' = q̄ - s R c̄
    for (int i = 0; i < 3; i++)
        tv[i] = qbar[i] - s * (r[i][0] * cbar[0] + r[i][1] * cbar[1] + r[i][2] * cbar[2]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            pose->r[3 * i + j] = (float)r[i][j];
    pose->s = (float)s;
    pose->t[0] = (float)tv[0];
    pose->t[1] = (float)-tv[1];
    pose->t[2] = (float)-tv[2];
    // With the optimal s, E = sum w |b|^2 - s^2 sum w |a|^2.
    double e = bb - s * s * aa;
    pose->rms = (float)sqrt(e > 0.0 ? e / wsum : 0.0);
    pa_pose_angles_from_rotation(pose->r, &pose->yaw, &pose->pitch, &pose->roll);
    return 0;
}

void pa_pose_apply(const struct pa_pose *pose, const float *canon, int n, float *lm)
{
    const float *r = pose->r;
    for (int i = 0; i < n; i++) {
        float c0 = canon[3 * i], c1 = canon[3 * i + 1], c2 = canon[3 * i + 2];
        float v0 = r[0] * c0 + r[1] * c1 + r[2] * c2;
        float v1 = r[3] * c0 + r[4] * c1 + r[5] * c2;
        float v2 = r[6] * c0 + r[7] * c1 + r[8] * c2;
        lm[3 * i] = pose->t[0] + pose->s * v0;
        lm[3 * i + 1] = pose->t[1] - pose->s * v1;
        lm[3 * i + 2] = pose->t[2] - pose->s * v2;
    }
}

void pa_pose_to_canonical(const struct pa_pose *pose, const float *lm, int n, float *canon)
{
    const float *r = pose->r;
    float inv = 1.0f / pose->s;
    for (int i = 0; i < n; i++) {
        // v = F (p - t) / s, then c = R^T v.
        float v0 = (lm[3 * i] - pose->t[0]) * inv;
        float v1 = -(lm[3 * i + 1] - pose->t[1]) * inv;
        float v2 = -(lm[3 * i + 2] - pose->t[2]) * inv;
        canon[3 * i] = r[0] * v0 + r[3] * v1 + r[6] * v2;
        canon[3 * i + 1] = r[1] * v0 + r[4] * v1 + r[7] * v2;
        canon[3 * i + 2] = r[2] * v0 + r[5] * v1 + r[8] * v2;
    }
}

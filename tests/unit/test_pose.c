/** @file
 * Head pose: synthetic views of the canonical mesh with known angles (built here with
 * independently written rotation matrices and MediaPipe's landmark conventions), the
 * documented sign conventions, and MediaPipe's own landmarks of real faces (oracle/).
 */
#include "pa_test.h"

#include "geo_oracle.h"
#include "track/geometry.h"
#include "track/pose.h"

#define DEG (3.14159265358979323846 / 180.0)

static struct pa_geometry *load_geometry(void)
{
    struct pa_geometry *g = NULL;
    const char *path = pa_test_model("geometry_pipeline_metadata_landmarks.binarypb");
    if (access(path, R_OK) != 0)
        PA_SKIP("geometry model not installed");
    ASSERT_OK(pa_geometry_load_file(path, &g));
    return g;
}

static void matmul3(const double a[3][3], const double b[3][3], double out[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
}

/* A head rotated by yaw (about the vertical axis, nose toward the image right for > 0),
 * pitch (chin up for > 0) and roll (counter-clockwise on screen for > 0), in a camera frame
 * with x right, y up, z toward the camera. */
static void head_rotation(double yaw, double pitch, double roll, double r[3][3])
{
    double cy = cos(yaw * DEG), sy = sin(yaw * DEG);
    double cp = cos(pitch * DEG), sp = sin(pitch * DEG);
    double cr = cos(roll * DEG), sr = sin(roll * DEG);
    const double ry[3][3] = {{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}};
    const double rx[3][3] = {{1, 0, 0}, {0, cp, sp}, {0, -sp, cp}}; // rotation by -pitch
    const double rz[3][3] = {{cr, -sr, 0}, {sr, cr, 0}, {0, 0, 1}};
    double tmp[3][3];
    matmul3(ry, rx, tmp);
    matmul3(tmp, rz, r);
}

static uint32_t g_seed = 1;
static double gauss(void)
{
    double u = 0;
    for (int i = 0; i < 12; i++) {
        g_seed = g_seed * 1664525u + 1013904223u;
        u += (g_seed >> 8) / 16777216.0;
    }
    return u - 6.0;
}

/* Project the canonical mesh like MediaPipe's landmark output: pixels with y down, z in the
 * pixel scale of x and smaller = closer to the camera. */
static void synth_landmarks(const struct pa_geometry *g, double yaw, double pitch, double roll,
                            double scale, const double centre[3], double noise, float *lm)
{
    double r[3][3];
    head_rotation(yaw, pitch, roll, r);
    for (int i = 0; i < g->n_vertices; i++) {
        const float *c = &g->xyz[3 * i];
        double v[3];
        for (int k = 0; k < 3; k++)
            v[k] = scale * (r[k][0] * c[0] + r[k][1] * c[1] + r[k][2] * c[2]);
        lm[3 * i] = (float)(centre[0] + v[0] + noise * gauss());
        lm[3 * i + 1] = (float)(centre[1] - v[1] + noise * gauss());
        lm[3 * i + 2] = (float)(centre[2] - v[2] + noise * gauss());
    }
}

static void check_grid(double noise, double tol_deg, double *max_err)
{
    struct pa_geometry *g = load_geometry();
    float *lm = malloc(sizeof(float) * 3 * 468);
    float *back = malloc(sizeof(float) * 3 * 468);
    *max_err = 0;
    int n = 0;
    for (int iy = -2; iy <= 2; iy++) {
        for (int ip = -2; ip <= 2; ip++) {
            for (int ir = -2; ir <= 2; ir++) {
                double yaw = 20.0 * iy, pitch = 20.0 * ip, roll = 20.0 * ir;
                // 15 .. 45 px per cm: faces about 250 .. 750 px tall.
                double scale = 15.0 + 3.0 * ((n * 7) % 11);
                double centre[3] = {320.0 + 10 * iy, 240.0 - 7 * ip, 15.0 * ir};
                synth_landmarks(g, yaw, pitch, roll, scale, centre, noise, lm);
                struct pa_pose p;
                ASSERT_OK(pa_pose_estimate(g, lm, 468, &p));
                double err =
                    fmax(fabs(p.yaw - yaw), fmax(fabs(p.pitch - pitch), fabs(p.roll - roll)));
                if (err > tol_deg)
                    PA__FAIL("yaw %g pitch %g roll %g -> %g %g %g", yaw, pitch, roll, p.yaw,
                             p.pitch, p.roll);
                *max_err = fmax(*max_err, err);
                ASSERT_NEAR(p.s, scale, scale * (noise > 0 ? 0.01 : 1e-4));
                if (noise == 0) {
                    ASSERT_LT(p.rms, 1e-3 * scale);
                    // t is where the canonical origin lands; apply() must rebuild the input.
                    ASSERT_NEAR(p.t[0], centre[0], 1e-2);
                    ASSERT_NEAR(p.t[2], centre[2], 1e-2);
                    pa_pose_apply(&p, g->xyz, 468, back);
                    ASSERT_ARRAY_NEAR(back, lm, 3 * 468, 2e-3 * scale);
                    pa_pose_to_canonical(&p, lm, 468, back);
                    ASSERT_ARRAY_NEAR(back, g->xyz, 3 * 468, 2e-3);
                }
                n++;
            }
        }
    }
    free(lm);
    free(back);
    pa_geometry_destroy(g);
}

PA_TEST(synthetic_grid_exact)
{
    double max_err;
    check_grid(0.0, 0.01, &max_err);
    printf("no noise: max angle error %.2e deg over 125 poses (±40°)\n", max_err);
}

PA_TEST(synthetic_grid_noisy)
{
    double max_err;
    g_seed = 7;
    check_grid(0.5, 0.5, &max_err); // 0.5 px Gaussian noise on every coordinate
    printf("0.5 px noise: max angle error %.3f deg over 125 poses (±40°)\n", max_err);
}

PA_TEST(sign_conventions)
{
    // The documented meaning of each sign, read off the landmarks themselves.
    struct pa_geometry *g = load_geometry();
    float lm[3 * 468];
    const double centre[3] = {200, 200, 0};
    struct pa_pose p;
    // yaw > 0: the nose tip (1) moves to the image right of the eyes' midpoint.
    synth_landmarks(g, 25, 0, 0, 10, centre, 0, lm);
    ASSERT_OK(pa_pose_estimate(g, lm, 468, &p));
    ASSERT_GT(p.yaw, 20);
    ASSERT_GT(lm[3 * 1], 0.5 * (lm[3 * 33] + lm[3 * 263]) + 10);
    // pitch > 0: the nose tip moves up in the image (smaller y) relative to the eyes.
    float y_nose_flat = 0;
    synth_landmarks(g, 0, 0, 0, 10, centre, 0, lm);
    y_nose_flat = lm[3 * 1 + 1] - lm[3 * 33 + 1];
    synth_landmarks(g, 0, 25, 0, 10, centre, 0, lm);
    ASSERT_OK(pa_pose_estimate(g, lm, 468, &p));
    ASSERT_GT(p.pitch, 20);
    ASSERT_LT(lm[3 * 1 + 1] - lm[3 * 33 + 1], y_nose_flat - 5);
    // roll > 0: counter-clockwise on screen, the forehead (10) left of the chin (152).
    synth_landmarks(g, 0, 0, 25, 10, centre, 0, lm);
    ASSERT_OK(pa_pose_estimate(g, lm, 468, &p));
    ASSERT_GT(p.roll, 20);
    ASSERT_LT(lm[3 * 10], lm[3 * 152] - 20);
    // A frontal face: the nose is closer to the camera (smaller z) than the ears.
    synth_landmarks(g, 0, 0, 0, 10, centre, 0, lm);
    ASSERT_LT(lm[3 * 1 + 2], lm[3 * 234 + 2]);
    pa_geometry_destroy(g);
}

PA_TEST(angles_round_trip_and_bad_input)
{
    float r[9], y, p, ro;
    for (int i = -8; i <= 8; i++) {
        float yaw = 10.0f * i, pitch = 7.5f * i, roll = -11.0f * i;
        pa_pose_rotation_from_angles(yaw, pitch, roll, r);
        pa_pose_angles_from_rotation(r, &y, &p, &ro);
        ASSERT_NEAR(y, yaw, 1e-3);
        ASSERT_NEAR(p, pitch, 1e-3);
        ASSERT_NEAR(ro, roll, 1e-3);
        double rr[3][3];
        head_rotation(yaw, pitch, roll, rr);
        for (int k = 0; k < 9; k++)
            ASSERT_NEAR(r[k], rr[k / 3][k % 3], 1e-6);
    }
    struct pa_geometry *g = load_geometry();
    float lm[3 * 468] = {0};
    struct pa_pose pose;
    ASSERT_OK(pa_log_set("quiet"));
    ASSERT_ERR(pa_pose_estimate(g, lm, 468, &pose), PA_EINVALDATA); // all points equal
    const double centre[3] = {100, 100, 0};
    synth_landmarks(g, 0, 0, 0, 10, centre, 0, lm);
    lm[3 * g->basis_id[0]] = NAN;
    ASSERT_ERR(pa_pose_estimate(g, lm, 468, &pose), PA_EINVALDATA);
    ASSERT_ERR(pa_pose_estimate(g, lm, 100, &pose), PA_EINVAL);
    pa_log_set("warn");
    pa_geometry_destroy(g);
}

PA_TEST(oracle_portraits_are_frontal)
{
    struct pa_geometry *g = load_geometry();
    struct geo_frames f;
    for (int mode = 0; mode < 2; mode++) {
        geo_oracle_load("oracle/shared.json", mode ? "a" : "b", &f);
        ASSERT_GT(f.n, 3);
        for (int i = 0; i < f.n; i++) {
            struct pa_pose p;
            ASSERT_TRUE(f.n_points[i] >= 468);
            ASSERT_OK(pa_pose_estimate(g, geo_frame(&f, i), f.n_points[i], &p));
            printf("portrait %d (%s, %d px): yaw %6.2f pitch %6.2f roll %6.2f  rms %.2f px = "
                   "%.3f cm\n",
                   i, mode ? "a" : "b", f.width[i], p.yaw, p.pitch, p.roll, p.rms, p.rms / p.s);
            ASSERT_LT(fabs(p.yaw), 20);
            ASSERT_LT(fabs(p.pitch), 20);
            ASSERT_LT(fabs(p.roll), 20);
            // A fit this loose would mean the axes or the z sign are wrong.
            ASSERT_LT(p.rms / p.s, 0.8);
        }
        geo_frames_free(&f);
    }
    pa_geometry_destroy(g);
}

/* Per-frame poses of a clip; returns the largest unexplained frame-to-frame angle change. */
static void check_clip(const struct pa_geometry *g, const char *rel, double *yaw_min,
                       double *yaw_max, double *max_step, int *n_jumps)
{
    struct geo_frames f;
    geo_oracle_load(rel, NULL, &f);
    // Basis RMS radius in cm: a rotation by θ moves basis points by about this × θ.
    double rb = 0, ws = 0, cb[3] = {0};
    for (int k = 0; k < g->n_basis; k++)
        ws += g->basis_w[k];
    for (int k = 0; k < g->n_basis; k++)
        for (int j = 0; j < 3; j++)
            cb[j] += g->basis_w[k] * g->xyz[3 * g->basis_id[k] + j] / ws;
    for (int k = 0; k < g->n_basis; k++) {
        const float *c = &g->xyz[3 * g->basis_id[k]];
        for (int j = 0; j < 3; j++)
            rb += g->basis_w[k] * (c[j] - cb[j]) * (c[j] - cb[j]);
    }
    rb = sqrt(rb / ws);
    struct pa_pose prev = {0};
    *yaw_min = 1e9, *yaw_max = -1e9, *max_step = 0, *n_jumps = 0;
    for (int i = 0; i < f.n; i++) {
        struct pa_pose p;
        ASSERT_OK(pa_pose_estimate(g, geo_frame(&f, i), f.n_points[i], &p));
        *yaw_min = fmin(*yaw_min, p.yaw);
        *yaw_max = fmax(*yaw_max, p.yaw);
        if (i > 0) {
            double step = fmax(fabs(p.yaw - prev.yaw),
                               fmax(fabs(p.pitch - prev.pitch), fabs(p.roll - prev.roll)));
            // How far the basis landmarks moved relative to their centroid, in cm.
            const float *a = geo_frame(&f, i - 1), *b = geo_frame(&f, i);
            double ma[3] = {0}, mb[3] = {0}, m = 0;
            for (int k = 0; k < g->n_basis; k++)
                for (int j = 0; j < 3; j++) {
                    ma[j] += a[3 * g->basis_id[k] + j] / g->n_basis;
                    mb[j] += b[3 * g->basis_id[k] + j] / g->n_basis;
                }
            for (int k = 0; k < g->n_basis; k++)
                for (int j = 0; j < 3; j++) {
                    double d =
                        (b[3 * g->basis_id[k] + j] - mb[j]) - (a[3 * g->basis_id[k] + j] - ma[j]);
                    m += d * d / g->n_basis;
                }
            m = sqrt(m) / p.s;
            if (step >= 5.0) {
                (*n_jumps)++;
                printf("%s frame %d: pose step %.1f deg, landmarks moved %.2f cm "
                       "(a %.1f deg rotation moves them %.2f cm)\n",
                       rel, i, step, m, step, rb * step * DEG);
                // The landmarks must have moved at least like half that rotation.
                ASSERT_GT(m, 0.5 * rb * step * DEG);
            }
            *max_step = fmax(*max_step, step);
        }
        prev = p;
    }
    geo_frames_free(&f);
}

PA_TEST(oracle_clip_yaw_both_ways_and_smooth)
{
    struct pa_geometry *g = load_geometry();
    double ymin, ymax, step;
    int jumps;
    check_clip(g, "oracle/shared_lp_d3.json", &ymin, &ymax, &step, &jumps);
    printf("lp_d3: yaw %.1f .. %.1f deg, largest frame-to-frame step %.2f deg, %d steps >= 5\n",
           ymin, ymax, step, jumps);
    ASSERT_LT(ymin, -10);
    ASSERT_GT(ymax, 10);
    const char *others[] = {"oracle/shared_lp_d12.json", "oracle/shared_lp_d0.json",
                            "oracle/shared_xportrait_driving.json", "oracle/shared_lp_d3_256.json"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        check_clip(g, others[i], &ymin, &ymax, &step, &jumps);
        printf("%s: yaw %.1f .. %.1f deg, largest step %.2f deg, %d steps >= 5\n", others[i], ymin,
               ymax, step, jumps);
    }
    pa_geometry_destroy(g);
}

PA_TEST_MAIN()

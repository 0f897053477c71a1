/** @file
 * One Euro filter: jitter on a noisy still signal, lag on ramps (measured as the time shift
 * that best aligns output with input), reset, banks, and pose smoothing across ±180°.
 */
#include "pa_test.h"

#include "geo_oracle.h"
#include "track/geometry.h"
#include "track/pose.h"
#include "track/smooth.h"

#define FPS 30.0
#define SCALE 20.0f /* pixels per canonical cm: a face about 300 px tall */

static uint32_t g_seed = 99;
static double gauss(void)
{
    double u = 0;
    for (int i = 0; i < 12; i++) {
        g_seed = g_seed * 1664525u + 1013904223u;
        u += (g_seed >> 8) / 16777216.0;
    }
    return u - 6.0;
}

static double jitter(const float *x, int n)
{
    double s = 0;
    for (int i = 1; i < n; i++)
        s += fabs((double)x[i] - x[i - 1]);
    return s / (n - 1);
}

PA_TEST(still_noise_jitter_drops)
{
    enum { N = 600 };
    static float raw[N], out[N];
    struct pa_euro_params p = pa_euro_default_params();
    struct pa_euro f = {0};
    for (int i = 0; i < N; i++) {
        raw[i] = (float)(240.0 + 0.5 * gauss()); // 0.5 px landmark noise
        out[i] = pa_euro_filter(&f, &p, raw[i], i / FPS, SCALE);
    }
    double jr = jitter(raw, N), jo = jitter(out, N);
    double mean = 0;
    for (int i = N / 2; i < N; i++)
        mean += out[i] / (N / 2);
    printf("still signal, 0.5 px noise at 30 fps: jitter raw %.4f px, filtered %.4f px (x%.2f)\n",
           jr, jo, jo / jr);
    ASSERT_LT(jo, 0.5 * jr);
    ASSERT_NEAR(mean, 240.0, 0.2); // no bias
}

/* Lag in frames of the filter on x = v t (v in units/s) after a 1 s warm-up: the shift that
 * best aligns output and input. */
static double ramp_lag(const struct pa_euro_params *p, double v, double noise, float scale)
{
    enum { N = 150 };
    float y[N];
    struct pa_euro f = {0};
    for (int i = 0; i < N; i++) {
        double t = i / FPS;
        y[i] = pa_euro_filter(&f, p, (float)(100.0 + v * t + noise * gauss()), t, scale);
    }
    double best = 0, best_err = 1e30;
    for (double lag = 0; lag <= 10.0; lag += 0.01) { // in frames
        double err = 0;
        for (int i = 30; i < N; i++) {
            double d = y[i] - (100.0 + v * (i - lag) / FPS);
            err += d * d;
        }
        if (err < best_err)
            best_err = err, best = lag;
    }
    return best;
}

PA_TEST(ramp_lag_under_one_frame)
{
    struct pa_euro_params p = pa_euro_default_params();
    const double speeds[] = {2.0, 5.0, 10.0, 30.0}; // cm/s: slow nod .. fast head move
    for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
        double v = speeds[i] * SCALE;
        double lag = ramp_lag(&p, v, 0.0, SCALE), lag_noisy = ramp_lag(&p, v, 0.5, SCALE);
        printf("landmark ramp %4.1f cm/s (%4.0f px/s): lag %.2f frames (0.5 px noise: %.2f)\n",
               speeds[i], v, lag, lag_noisy);
        ASSERT_LT(lag, 1.0);
        ASSERT_LT(lag_noisy, 1.0);
    }
    struct pa_euro_params pa = pa_euro_default_angle_params();
    const double turns[] = {20.0, 60.0, 150.0}; // degrees/s
    for (size_t i = 0; i < sizeof(turns) / sizeof(turns[0]); i++) {
        double lag = ramp_lag(&pa, turns[i], 0.0, 1.0f),
               lag_noisy = ramp_lag(&pa, turns[i], 0.4, 1.0f);
        printf("angle ramp %5.1f deg/s: lag %.2f frames (0.4 deg noise: %.2f)\n", turns[i], lag,
               lag_noisy);
        ASSERT_LT(lag, 1.0);
        ASSERT_LT(lag_noisy, 1.0);
    }
}

PA_TEST(reset_and_time_rules)
{
    struct pa_euro_params p = pa_euro_default_params();
    struct pa_euro f = {0};
    ASSERT_NEAR(pa_euro_filter(&f, &p, 5.0f, 0.0, 1.0f), 5.0f, 0);
    float y = pa_euro_filter(&f, &p, 6.0f, 1.0 / FPS, 1.0f);
    ASSERT_TRUE(y > 5.0f && y < 6.0f);
    // A repeated or older timestamp changes nothing.
    ASSERT_NEAR(pa_euro_filter(&f, &p, 100.0f, 1.0 / FPS, 1.0f), y, 0);
    ASSERT_NEAR(pa_euro_filter(&f, &p, 100.0f, 0.0, 1.0f), y, 0);
    // After a reset the next sample passes through, whatever the history was.
    pa_euro_reset(&f);
    ASSERT_NEAR(pa_euro_filter(&f, &p, -3.0f, 7.0, 1.0f), -3.0f, 0);

    // A bank behaves like the same filters one by one, and resets all of them.
    struct pa_euro_bank *b = NULL;
    enum { N = 478 * 3 };
    static float in[N], out[N];
    struct pa_euro one = {0};
    ASSERT_ERR(pa_euro_bank_create(0, &p, &b), PA_EINVAL);
    ASSERT_OK(pa_euro_bank_create(N, &p, &b));
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < N; i++)
            in[i] = (float)(i + (k % 2) * 3);
        ASSERT_OK(pa_euro_bank_filter(b, in, out, N, k / FPS, 2.0f));
        float ref = pa_euro_filter(&one, &p, in[77], k / FPS, 2.0f);
        ASSERT_NEAR(out[77], ref, 0);
    }
    ASSERT_ERR(pa_euro_bank_filter(b, in, out, N - 1, 1.0, 2.0f), PA_EINVAL);
    pa_euro_bank_reset(b);
    in[5] = 1234.0f;
    ASSERT_OK(pa_euro_bank_filter(b, in, out, N, 99.0, 2.0f));
    ASSERT_NEAR(out[5], 1234.0f, 0);
    pa_euro_bank_destroy(b);
    pa_euro_bank_destroy(NULL);
}

PA_TEST(pose_filter_wraps_angles)
{
    struct pa_pose_filter pf;
    pa_pose_filter_init(&pf);
    // A yaw jittering across ±180° must stay near ±180°, never swing through 0.
    for (int i = 0; i < 60; i++) {
        struct pa_pose p = {.s = 20.0f, .t = {100, 100, 0}};
        p.yaw = (i % 2) ? -179.0f : 179.0f;
        pa_pose_filter_apply(&pf, &p, i / FPS);
        ASSERT_GT(fabs(p.yaw), 175.0);
        float r[9];
        pa_pose_rotation_from_angles(p.yaw, p.pitch, p.roll, r);
        ASSERT_ARRAY_NEAR(p.r, r, 9, 1e-6);
    }
    // Noisy still head: smoothed angles jitter less than the raw ones.
    pa_pose_filter_reset(&pf);
    double jr = 0, jo = 0, prev_raw = 0, prev_out = 0;
    for (int i = 0; i < 300; i++) {
        struct pa_pose p = {.s = 20.0f, .t = {100, 100, 0}};
        p.pitch = (float)(5.0 + 0.4 * gauss());
        double raw = p.pitch;
        pa_pose_filter_apply(&pf, &p, i / FPS);
        if (i) {
            jr += fabs(raw - prev_raw);
            jo += fabs(p.pitch - prev_out);
        }
        prev_raw = raw, prev_out = p.pitch;
    }
    printf("pose pitch, 0.4 deg noise: jitter raw %.3f deg, filtered %.3f deg per frame\n",
           jr / 299, jo / 299);
    ASSERT_LT(jo, 0.5 * jr);
}

PA_TEST(oracle_clip_landmarks)
{
    // MediaPipe's landmarks of lp_d3 (30 fps) through a bank, normalised by the pose scale.
    struct pa_geometry *g = NULL;
    const char *path = pa_test_model("geometry_pipeline_metadata_landmarks.binarypb");
    if (access(path, R_OK) != 0)
        PA_SKIP("geometry model not installed");
    ASSERT_OK(pa_geometry_load_file(path, &g));
    struct geo_frames f;
    geo_oracle_load("oracle/shared_lp_d3.json", NULL, &f);
    int n = f.n, m = 478 * 3;
    float *out = malloc(sizeof(float) * (size_t)n * (size_t)m);
    struct pa_euro_params p = pa_euro_default_params();
    struct pa_euro_bank *b;
    ASSERT_OK(pa_euro_bank_create(m, &p, &b));
    for (int i = 0; i < n; i++) {
        struct pa_pose pose;
        ASSERT_EQ(f.n_points[i], 478);
        ASSERT_OK(pa_pose_estimate(g, geo_frame(&f, i), 478, &pose));
        ASSERT_OK(
            pa_euro_bank_filter(b, geo_frame(&f, i), out + (size_t)i * m, m, i / FPS, pose.s));
    }
    // Jitter: mean frame-to-frame movement of x and y. Lag: the shift of the raw track (linear
    // interpolation between frames) that best matches the filtered one.
    double jr = 0, jo = 0;
    for (int i = 1; i < n; i++)
        for (int k = 0; k < m; k++) {
            if (k % 3 == 2)
                continue;
            jr += fabs(geo_frame(&f, i)[k] - geo_frame(&f, i - 1)[k]);
            jo += fabs(out[(size_t)i * m + k] - out[(size_t)(i - 1) * m + k]);
        }
    double best = 0, best_err = 1e30;
    for (double lag = 0; lag <= 3.0; lag += 0.05) {
        double err = 0;
        int whole = (int)lag;
        double frac = lag - whole;
        for (int i = 4; i < n; i++)
            for (int k = 0; k < m; k += 3) {
                double a = geo_frame(&f, i - whole)[k], c = geo_frame(&f, i - whole - 1)[k];
                double d = out[(size_t)i * m + k] - ((1 - frac) * a + frac * c);
                err += d * d;
            }
        if (err < best_err)
            best_err = err, best = lag;
    }
    printf("lp_d3 landmarks: mean |step| raw %.3f px, filtered %.3f px (x%.2f); best-aligning "
           "lag %.2f frames\n",
           jr / ((n - 1) * 478.0 * 2), jo / ((n - 1) * 478.0 * 2), jo / jr, best);
    ASSERT_LT(jo, jr);
    ASSERT_LT(best, 1.0);
    pa_euro_bank_destroy(b);
    free(out);
    geo_frames_free(&f);
    pa_geometry_destroy(g);
}

PA_TEST_MAIN()

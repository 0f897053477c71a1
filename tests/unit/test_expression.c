/** @file
 * Expression features on MediaPipe's own landmarks of the driving clips (oracle/), where the
 * expressions are known from looking at the frames: lp_d3 has a left wink (frames ~8-19), a
 * right wink (~33-46), closed eyes (~57-61) and an "O" mouth opening at its end (295-299);
 * lp_d12 has a wide open "O" (~117-124); lp_d0 a broad smile (~24-64).
 */
#include "pa_test.h"

#include "geo_oracle.h"
#include "track/expression.h"
#include "track/geometry.h"
#include "track/pose.h"

static struct pa_geometry *load_geometry(void)
{
    struct pa_geometry *g = NULL;
    const char *path = pa_test_model("geometry_pipeline_metadata_landmarks.binarypb");
    if (access(path, R_OK) != 0)
        PA_SKIP("geometry model not installed");
    ASSERT_OK(pa_geometry_load_file(path, &g));
    return g;
}

/* Features of every frame of a clip: out[i] for frame i. */
static struct pa_expression *clip_features(const struct pa_geometry *g, const char *rel, int *n)
{
    struct geo_frames f;
    geo_oracle_load(rel, NULL, &f);
    struct pa_expression *e = calloc((size_t)f.n, sizeof(*e));
    float canon[3 * GEO_MAX_POINTS];
    for (int i = 0; i < f.n; i++) {
        struct pa_pose p;
        ASSERT_OK(pa_pose_estimate(g, geo_frame(&f, i), f.n_points[i], &p));
        pa_pose_to_canonical(&p, geo_frame(&f, i), f.n_points[i], canon);
        ASSERT_OK(pa_expression_compute(canon, f.n_points[i], &e[i]));
        ASSERT_EQ(e[i].has_iris, f.n_points[i] == 478);
    }
    *n = f.n;
    geo_frames_free(&f);
    return e;
}

static float fmean(const struct pa_expression *e, int feature, int from, int to)
{
    float s = 0;
    for (int i = from; i <= to; i++)
        s += e[i].v[feature];
    return s / (float)(to - from + 1);
}

PA_TEST(eyes_close_and_wink)
{
    struct pa_geometry *g = load_geometry();
    int n;
    struct pa_expression *e = clip_features(g, "oracle/shared_lp_d3.json", &n);
    ASSERT_GT(n, 100);
    float l0 = e[0].v[PA_EXPR_EYE_OPEN_L], r0 = e[0].v[PA_EXPR_EYE_OPEN_R];
    float wl_l = fmean(e, PA_EXPR_EYE_OPEN_L, 10, 18), wl_r = fmean(e, PA_EXPR_EYE_OPEN_R, 10, 18);
    float wr_l = fmean(e, PA_EXPR_EYE_OPEN_L, 36, 45), wr_r = fmean(e, PA_EXPR_EYE_OPEN_R, 36, 45);
    float c_l = fmean(e, PA_EXPR_EYE_OPEN_L, 57, 60), c_r = fmean(e, PA_EXPR_EYE_OPEN_R, 57, 60);
    printf("eye_open l/r: frame 0 %.3f %.3f | left wink %.3f %.3f | right wink %.3f %.3f | "
           "closed %.3f %.3f\n",
           l0, r0, wl_l, wl_r, wr_l, wr_r, c_l, c_r);
    ASSERT_GT(l0, 0.2);
    ASSERT_GT(r0, 0.2);
    // Left wink: the person's left eye (image right) closes, the other stays open.
    ASSERT_LT(wl_l, 0.35 * l0);
    ASSERT_GT(wl_r, 2.0 * wl_l);
    // Right wink.
    ASSERT_LT(wr_r, 0.35 * r0);
    ASSERT_GT(wr_l, 2.0 * wr_r);
    // Both closed.
    ASSERT_LT(c_l, 0.35 * l0);
    ASSERT_LT(c_r, 0.35 * r0);
    free(e);
    pa_geometry_destroy(g);
}

PA_TEST(mouth_open_and_smile)
{
    struct pa_geometry *g = load_geometry();
    int n;
    struct pa_expression *e = clip_features(g, "oracle/shared_lp_d3.json", &n);
    float m0 = e[0].v[PA_EXPR_MOUTH_OPEN], m_end = e[n - 1].v[PA_EXPR_MOUTH_OPEN];
    printf("lp_d3 mouth_open: frame 0 %.3f, frames %d..%d:", m0, n - 5, n - 1);
    for (int i = n - 5; i < n; i++)
        printf(" %.3f", e[i].v[PA_EXPR_MOUTH_OPEN]);
    printf("\n");
    ASSERT_GT(m_end, 2.5 * m0);
    ASSERT_GT(m_end, e[n - 5].v[PA_EXPR_MOUTH_OPEN] + 0.05); // opening over the last frames
    free(e);

    e = clip_features(g, "oracle/shared_lp_d12.json", &n);
    float o = fmean(e, PA_EXPR_MOUTH_OPEN, 119, 124), w = fmean(e, PA_EXPR_MOUTH_WIDTH, 119, 124);
    float pk = fmean(e, PA_EXPR_PUCKER, 119, 124);
    printf("lp_d12 'O' mouth: open %.3f (frame 0 %.3f), width %.3f (frame 0 %.3f), pucker "
           "%.3f\n",
           o, e[0].v[PA_EXPR_MOUTH_OPEN], w, e[0].v[PA_EXPR_MOUTH_WIDTH], pk);
    ASSERT_GT(o, 0.25);
    ASSERT_GT(o, e[0].v[PA_EXPR_MOUTH_OPEN] + 0.2);
    ASSERT_LT(w, e[0].v[PA_EXPR_MOUTH_WIDTH]); // an "O" is narrower than the resting mouth
    ASSERT_GT(pk, 0.1);
    free(e);

    e = clip_features(g, "oracle/shared_lp_d0.json", &n);
    float s0 = e[0].v[PA_EXPR_SMILE], w0 = e[0].v[PA_EXPR_MOUTH_WIDTH];
    float s = fmean(e, PA_EXPR_SMILE, 28, 60), ws = fmean(e, PA_EXPR_MOUTH_WIDTH, 28, 60);
    printf("lp_d0 smile: smile %.3f -> %.3f, mouth_width %.3f -> %.3f, pucker %.3f\n", s0, s, w0,
           ws, fmean(e, PA_EXPR_PUCKER, 28, 60));
    ASSERT_GT(s, s0 + 0.05);
    ASSERT_GT(ws, w0 + 0.15);
    ASSERT_LT(fmean(e, PA_EXPR_PUCKER, 28, 60), 0.01);
    free(e);
    pa_geometry_destroy(g);
}

PA_TEST(values_stay_in_range_on_all_clips)
{
    struct pa_geometry *g = load_geometry();
    const char *clips[] = {
        "oracle/shared_lp_d0.json",      "oracle/shared_lp_d3.json",
        "oracle/shared_lp_d12.json",     "oracle/shared_xportrait_driving.json",
        "oracle/shared_lp_d0_256.json",  "oracle/shared_lp_d3_256.json",
        "oracle/shared_lp_d12_256.json", "oracle/shared_xportrait_driving_256.json",
    };
    float lo_seen[PA_EXPR_COUNT], hi_seen[PA_EXPR_COUNT];
    for (int k = 0; k < PA_EXPR_COUNT; k++)
        lo_seen[k] = 1e9f, hi_seen[k] = -1e9f;
    int total = 0;
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        int n;
        struct pa_expression *e = clip_features(g, clips[c], &n);
        for (int i = 0; i < n; i++) {
            if (e[i].clamped)
                PA__FAIL("%s frame %d: features out of range (mask 0x%x)", clips[c], i,
                         e[i].clamped);
            for (int k = 0; k < PA_EXPR_COUNT; k++) {
                lo_seen[k] = fminf(lo_seen[k], e[i].v[k]);
                hi_seen[k] = fmaxf(hi_seen[k], e[i].v[k]);
            }
        }
        total += n;
        free(e);
    }
    printf("%d frames; observed (documented) ranges:\n", total);
    for (int k = 0; k < PA_EXPR_COUNT; k++) {
        float lo, hi;
        pa_expression_range(k, &lo, &hi);
        printf("  %-13s %7.3f .. %6.3f   (%g .. %g)\n", pa_expression_name(k), lo_seen[k],
               hi_seen[k], lo, hi);
    }
    pa_geometry_destroy(g);
}

PA_TEST(pose_invariant_and_bad_input)
{
    struct pa_geometry *g = load_geometry();
    float lm[3 * 468], canon[3 * 468];
    struct pa_expression ref, e;
    // The canonical mesh itself: a neutral face with its mouth slightly open.
    ASSERT_OK(pa_expression_compute(g->xyz, 468, &ref));
    ASSERT_EQ(ref.has_iris, 0);
    ASSERT_EQ(ref.clamped, 0);
    ASSERT_NEAR(ref.v[PA_EXPR_GAZE_X_L], 0, 0);
    ASSERT_NEAR(ref.v[PA_EXPR_MOUTH_WIDTH], 0.552, 0.005);
    ASSERT_NEAR(ref.v[PA_EXPR_JAW_X], 0, 1e-4);
    // The same mesh seen turned, scaled and moved gives the same features.
    struct pa_pose pose = {.s = 23.0f, .t = {300, 200, 40}};
    pa_pose_rotation_from_angles(30, -20, 15, pose.r);
    pa_pose_apply(&pose, g->xyz, 468, lm);
    struct pa_pose fit;
    ASSERT_OK(pa_pose_estimate(g, lm, 468, &fit));
    pa_pose_to_canonical(&fit, lm, 468, canon);
    ASSERT_OK(pa_expression_compute(canon, 468, &e));
    ASSERT_ARRAY_NEAR(e.v, ref.v, PA_EXPR_COUNT, 1e-4);

    ASSERT_ERR(pa_expression_compute(canon, 400, &e), PA_EINVAL);
    canon[3 * 13] = NAN;
    ASSERT_ERR(pa_expression_compute(canon, 468, &e), PA_EINVALDATA);
    memset(canon, 0, sizeof(canon));
    ASSERT_ERR(pa_expression_compute(canon, 468, &e), PA_EINVALDATA);
    ASSERT_TRUE(strcmp(pa_expression_name(PA_EXPR_MOUTH_OPEN), "mouth_open") == 0);
    ASSERT_TRUE(strcmp(pa_expression_name(PA_EXPR_COUNT), "?") == 0);
    pa_geometry_destroy(g);
}

PA_TEST_MAIN()

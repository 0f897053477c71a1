/** @file Idle motion (src/animate/idle.c) around the real tracked face of astronaut.png:
 * determinism, ranges, blink statistics, smiles, gaze and continuity. */
#include "pa_test.h"

#include "track/pose.h"

static struct pa_face_state g_neutral;

/* The tracked portrait face (once per process); skips when the models are not installed. */
static const struct pa_face_state *neutral(void)
{
    if (g_neutral.found)
        return &g_neutral;
    if (access(pa_test_model("face_landmark_with_attention.tflite"), R_OK) != 0)
        PA_SKIP("models not installed");
    struct pa_image img;
    ASSERT_OK(pa_image_load(&img, pa_test_shared("testdata/source/astronaut.png")));
    struct pa_tracker_params tp = pa_tracker_default_params();
    struct pa_tracker *tr;
    ASSERT_OK(pa_tracker_create(&tr, pa_test_model(""), &tp, NULL));
    ASSERT_OK(pa_tracker_process(tr, &img, 0.0, &g_neutral));
    pa_tracker_destroy(tr);
    pa_image_free(&img);
    ASSERT_EQ(g_neutral.found, 1);
    ASSERT_EQ(g_neutral.n_points, 478);
    return &g_neutral;
}

static float eye_open(const struct pa_face_state *s)
{
    return 0.5f * (s->expr.eye_open[0] + s->expr.eye_open[1]);
}

PA_TEST(starts_at_neutral_and_rejects_no_face)
{
    const struct pa_face_state *n = neutral();
    struct pa_idle *idle;
    struct pa_face_state st;
    ASSERT_OK(pa_idle_create(&idle, n, 7));
    ASSERT_OK(pa_idle_next(idle, 0.0, &st));
    ASSERT_EQ(st.found, 1);
    ASSERT_EQ(st.n_points, n->n_points);
    ASSERT_ARRAY_NEAR(&st.pts[0][0], &n->pts[0][0], 3 * n->n_points, 0.05);
    ASSERT_NEAR(st.pose.yaw, n->pose.yaw, 1e-3);
    ASSERT_NEAR(eye_open(&st), eye_open(n), 1e-4);
    pa_idle_destroy(idle);

    struct pa_face_state none = {0};
    ASSERT_ERR(pa_idle_create(&idle, &none, 7), PA_ENOFACE);
    ASSERT_TRUE(idle == NULL);
    pa_idle_destroy(NULL);
}

PA_TEST(deterministic_for_a_seed)
{
    const struct pa_face_state *n = neutral();
    struct pa_idle *a, *b, *c;
    ASSERT_OK(pa_idle_create(&a, n, 42));
    ASSERT_OK(pa_idle_create(&b, n, 42));
    ASSERT_OK(pa_idle_create(&c, n, 43));
    static struct pa_face_state sa, sb, sc;
    int differs = 0;
    // a samples at 100 Hz, b at 5 Hz: the motion must not depend on the sampling.
    for (int i = 0; i <= 3000; i++) {
        double t = i * 0.01;
        ASSERT_OK(pa_idle_next(a, t, &sa));
        if (i % 20 == 0) {
            ASSERT_OK(pa_idle_next(b, t, &sb));
            ASSERT_OK(pa_idle_next(c, t, &sc));
            ASSERT_TRUE(memcmp(&sa, &sb, sizeof(sa)) == 0);
            differs |= memcmp(&sa, &sc, sizeof(sa)) != 0;
        }
    }
    ASSERT_TRUE(differs);
    // Going back in time replays the same motion.
    ASSERT_OK(pa_idle_next(b, 12.34, &sb));
    ASSERT_OK(pa_idle_next(a, 12.34, &sa));
    ASSERT_TRUE(memcmp(&sa, &sb, sizeof(sa)) == 0);
    pa_idle_destroy(a);
    pa_idle_destroy(b);
    pa_idle_destroy(c);
}

/* One minute at 100 Hz: ranges, blinks, smile, gaze, continuity, internal consistency. */
static void check_minute(uint32_t seed)
{
    const struct pa_face_state *n = neutral();
    struct pa_idle *idle;
    ASSERT_OK(pa_idle_create(&idle, n, seed));
    static struct pa_face_state st, prev;
    float eye0 = eye_open(n), smile0 = n->expr.smile;
    float iod = hypotf(n->pts[33][0] - n->pts[263][0], n->pts[33][1] - n->pts[263][1]);
    int blinks = 0, dips = 0, closed = 0, dipping = 0, smiled = 0;
    float gx_lo = 1, gx_hi = -1, max_step = 0, max_dangle = 0;
    for (int i = 0; i <= 6000; i++) {
        double t = i * 0.01;
        ASSERT_OK(pa_idle_next(idle, t, &st));
        ASSERT_LT(fabsf(st.pose.yaw - n->pose.yaw), 6.0f);
        ASSERT_LT(fabsf(st.pose.pitch - n->pose.pitch), 6.0f);
        ASSERT_LT(fabsf(st.pose.roll - n->pose.roll), 6.0f);
        ASSERT_NEAR(st.expr.mouth_open, n->expr.mouth_open, 0.01);
        float e = eye_open(&st);
        // A blink: the eyes drop below 30% of neutral; re-armed once they are above 80%.
        if (!closed && e < 0.3f * eye0)
            closed = 1, blinks++;
        if (!dipping && e < 0.8f * eye0)
            dipping = 1, dips++;
        if (e > 0.8f * eye0)
            closed = dipping = 0;
        if (t < 40.0 && st.expr.smile > smile0 + 0.02f)
            smiled = 1;
        if (e > 0.8f * eye0) { // gaze is meaningless with closed lids
            gx_lo = fminf(gx_lo, st.expr.gaze_x[0]);
            gx_hi = fmaxf(gx_hi, st.expr.gaze_x[0]);
        }
        if (i > 0) {
            for (int k = 0; k < st.n_points; k++)
                max_step = fmaxf(
                    max_step, hypotf(st.pts[k][0] - prev.pts[k][0], st.pts[k][1] - prev.pts[k][1]));
            max_dangle = fmaxf(max_dangle, fabsf(st.pose.yaw - prev.pose.yaw));
            max_dangle = fmaxf(max_dangle, fabsf(st.pose.pitch - prev.pose.pitch));
            max_dangle = fmaxf(max_dangle, fabsf(st.pose.roll - prev.pose.roll));
        }
        prev = st;
    }
    // The landmarks are the pose applied to the canonical shape.
    struct pa_pose p = {.s = st.pose.scale, .t = {st.pose.tx, st.pose.ty, st.pose.tz}};
    memcpy(p.r, st.pose.rot, sizeof(p.r));
    static float canon[PA_FACE_MESH_POINTS][3];
    pa_pose_to_canonical(&p, &st.pts[0][0], PA_FACE_MESH_POINTS, &canon[0][0]);
    ASSERT_ARRAY_NEAR(&canon[0][0], &st.canonical[0][0], 3 * PA_FACE_MESH_POINTS, 1e-3);

    fprintf(stderr,
            "seed %u: %d blinks, %d dips, gaze_x %.2f..%.2f, max step %.2f px "
            "(iod %.1f), max angle step %.3f deg\n",
            seed, blinks, dips, gx_lo, gx_hi, max_step, iod, max_dangle);
    ASSERT_TRUE(blinks >= 8 && blinks <= 30);
    ASSERT_EQ(dips, blinks); // every lid movement is a full blink
    ASSERT_TRUE(smiled);
    ASSERT_GT(gx_hi - gx_lo, 0.2f);
    ASSERT_LT(max_step, 0.04f * iod); // no jumps between states 10 ms apart
    ASSERT_LT(max_dangle, 0.1f);
    pa_idle_destroy(idle);
}

PA_TEST(one_minute_seed_1)
{
    check_minute(1);
}

PA_TEST(one_minute_seed_2024)
{
    check_minute(2024);
}

PA_TEST_MAIN()

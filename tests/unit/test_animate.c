/** @file
 * The animator on real portraits: the portrait's face comes from panim's tracker, driver
 * motion from MediaPipe's own landmarks of the lp_d3 clip (oracle/) or from the portrait's
 * state with a known pose change. Outputs are judged by tracking them again (where did the
 * nose go, how open are the eyes), by pixel statistics (the background stays still) and by
 * mesh invariants (the rest mesh covers the crop without holes).
 *
 * Set PA_ANIM_PNG_DIR to keep a few rendered frames as PNGs for looking at.
 */
#include "pa_test.h"

#include <time.h>

#include "animate/raster.h"
#include "animate/rig.h"
#include "core/image.h"
#include "core/mem.h"
#include "geo_oracle.h"
#include "io/source.h"
#include "track/expression.h"
#include "track/geometry.h"
#include "track/pose.h"

static const char *models_dir(void)
{
    const char *d = getenv("PA_MODELS_DIR");
    return d && *d ? d : "models";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void load_image(struct pa_image *img, const char *rel)
{
    const char *path = pa_test_shared(rel);
    if (access(path, R_OK) != 0)
        PA_SKIP("test image missing");
    ASSERT_OK(pa_image_load(img, path));
}

static struct pa_tracker *g_tracker;

/* Track a still image with panim's tracker (reset first: unrelated images). */
static void track(const struct pa_image *img, struct pa_face_state *s)
{
    if (!g_tracker) {
        if (access(pa_test_model("face_landmark_with_attention.tflite"), R_OK) != 0)
            PA_SKIP("models not installed");
        ASSERT_OK(pa_tracker_create(&g_tracker, models_dir(), NULL, NULL));
    }
    pa_tracker_reset(g_tracker);
    ASSERT_OK(pa_tracker_process(g_tracker, img, 0.0, s));
}

static struct pa_geometry *g_geo;

/* A face state from landmarks (landmark space), as the tracker would fill it. */
static void state_from_landmarks(const float *lm, int n, double t, struct pa_face_state *s)
{
    if (!g_geo)
        ASSERT_OK(pa_geometry_load_file(
            pa_test_model("geometry_pipeline_metadata_landmarks.binarypb"), &g_geo));
    memset(s, 0, sizeof(*s));
    s->t = t;
    s->found = 1;
    s->num_faces = 1;
    s->score = 1;
    s->n_points = n;
    memcpy(s->pts, lm, sizeof(float) * 3 * (size_t)n);
    struct pa_pose p;
    ASSERT_OK(pa_pose_estimate(g_geo, lm, n, &p));
    s->pose = (struct pa_head_pose){p.yaw, p.pitch, p.roll, p.t[0], p.t[1], p.t[2], p.s, {0}};
    memcpy(s->pose.rot, p.r, sizeof(p.r));
    float canon[PA_FACE_MAX_POINTS][3];
    pa_pose_to_canonical(&p, lm, n, &canon[0][0]);
    memcpy(s->canonical, canon, sizeof(s->canonical));
    struct pa_expression e;
    ASSERT_OK(pa_expression_compute(&canon[0][0], n, &e));
    s->expr.eye_open[0] = e.v[PA_EXPR_EYE_OPEN_R];
    s->expr.eye_open[1] = e.v[PA_EXPR_EYE_OPEN_L];
    s->expr.gaze_x[0] = e.v[PA_EXPR_GAZE_X_R];
    s->expr.gaze_y[0] = e.v[PA_EXPR_GAZE_Y_R];
    s->expr.gaze_x[1] = e.v[PA_EXPR_GAZE_X_L];
    s->expr.gaze_y[1] = e.v[PA_EXPR_GAZE_Y_L];
    s->expr.mouth_open = e.v[PA_EXPR_MOUTH_OPEN];
}

/* The portrait's state with its pose turned by (yaw, pitch, roll) degrees in view space
 * and moved by (dx, dy) pixels: what a driver that is the portrait itself, moved, says. */
static void moved_state(const struct pa_face_state *in, float yaw, float pitch, float roll,
                        float dx, float dy, double t, struct pa_face_state *out)
{
    *out = *in;
    out->t = t;
    float d[9], r[9];
    pa_pose_rotation_from_angles(yaw, pitch, roll, d);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[3 * i + j] = d[3 * i] * in->pose.rot[j] + d[3 * i + 1] * in->pose.rot[3 + j] +
                           d[3 * i + 2] * in->pose.rot[6 + j];
    memcpy(out->pose.rot, r, sizeof(r));
    out->pose.tx += dx;
    out->pose.ty += dy;
}

/* Where a pose puts canonical point c, landmark space. */
static void project(const struct pa_head_pose *hp, const float c[3], float out[3])
{
    struct pa_pose p = {.s = hp->scale, .t = {hp->tx, hp->ty, hp->tz}};
    memcpy(p.r, hp->rot, sizeof(p.r));
    pa_pose_apply(&p, c, 1, out);
}

struct fixture {
    struct pa_image portrait, mask, out;
    struct pa_face_state face;
    struct pa_rig *rig;
    struct pa_animator *anim;
};

static void fixture_init(struct fixture *fx, const char *rel, int with_mask,
                         const struct pa_anim_params *p)
{
    memset(fx, 0, sizeof(*fx));
    load_image(&fx->portrait, rel);
    track(&fx->portrait, &fx->face);
    ASSERT_EQ(fx->face.found, 1);
    if (with_mask) {
        struct pa_segmenter *seg;
        ASSERT_OK(pa_segmenter_create(&seg, models_dir(), PA_NN_BACKEND_AUTO, NULL));
        ASSERT_OK(pa_image_alloc(&fx->mask, fx->portrait.w, fx->portrait.h, PA_PIX_GRAY8));
        ASSERT_OK(pa_segmenter_run(seg, &fx->portrait, &fx->mask));
        pa_segmenter_destroy(seg);
    }
    ASSERT_OK(pa_rig_create(&fx->rig, &fx->portrait, &fx->face, with_mask ? &fx->mask : NULL, p));
    ASSERT_OK(pa_animator_create(&fx->anim, fx->rig, p, NULL));
    ASSERT_OK(pa_image_alloc(&fx->out, fx->portrait.w, fx->portrait.h, PA_PIX_RGB24));
}

static void fixture_free(struct fixture *fx)
{
    pa_animator_destroy(fx->anim);
    pa_rig_destroy(fx->rig);
    pa_image_free(&fx->portrait);
    pa_image_free(&fx->mask);
    pa_image_free(&fx->out);
}

/* Max and mean absolute channel difference over a rectangle (clipped). */
static void diff_stats(const struct pa_image *a, const struct pa_image *b, const float box[4],
                       int *max_d, double *mean_d)
{
    int x0 = PA_MAX(0, (int)box[0]), y0 = PA_MAX(0, (int)box[1]);
    int x1 = PA_MIN(a->w, (int)box[2] + 1), y1 = PA_MIN(a->h, (int)box[3] + 1);
    long long sum = 0, n = 0;
    *max_d = 0;
    for (int y = y0; y < y1; y++) {
        for (int x = 0 + x0; x < x1; x++) {
            for (int c = 0; c < 3; c++) {
                int d = abs(pa_image_px(a, x, y)[c] - pa_image_px(b, x, y)[c]);
                *max_d = PA_MAX(*max_d, d);
                sum += d;
                n++;
            }
        }
    }
    *mean_d = n ? (double)sum / (double)n : 0.0;
}

/* Mean absolute difference over the pixels the person mask calls background (< 50). */
static double background_diff(const struct pa_image *a, const struct pa_image *b,
                              const struct pa_image *mask)
{
    long long sum = 0, n = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++) {
            if (pa_image_px(mask, x, y)[0] >= 50)
                continue;
            for (int c = 0; c < 3; c++)
                sum += abs(pa_image_px(a, x, y)[c] - pa_image_px(b, x, y)[c]);
            n += 3;
        }
    return n ? (double)sum / (double)n : 0.0;
}

static void maybe_save(const struct pa_image *img, const char *name)
{
    const char *dir = getenv("PA_ANIM_PNG_DIR");
    if (!dir || !*dir)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ASSERT_OK(pa_image_save(img, path, 90));
}

/* ---------------------------------------------------------------------------------------- */

PA_TEST(rig_builds_fast_on_every_portrait)
{
    static const char *files[] = {"astronaut.png", "lp_s9.jpg", "lp_s12.jpg", "lp_s42.jpg",
                                  "hallo_7.jpg"};
    for (size_t i = 0; i < PA_ARRAY_SIZE(files); i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "testdata/source/%s", files[i]);
        struct pa_image img;
        struct pa_face_state face;
        load_image(&img, rel);
        track(&img, &face);
        ASSERT_EQ(face.found, 1);
        struct pa_rig *rig = NULL;
        double t0 = now_s();
        ASSERT_OK(pa_rig_create(&rig, &img, &face, NULL, NULL));
        double dt = now_s() - t0;
        printf("%s: rig %.1f ms, %d triangles\n", files[i], dt * 1e3, rig->n_tri);
        ASSERT_LT(dt, 1.0);
        /* The crop square holds the face with room around it. */
        float fx0, fy0, fx1, fy1;
        pa_rig_affine(rig->img_to_crop, face.box[0], face.box[1], &fx0, &fy0);
        pa_rig_affine(rig->img_to_crop, face.box[2], face.box[3], &fx1, &fy1);
        ASSERT_GT(fx1 - fx0, 0.25 * rig->cs);
        ASSERT_LT(fx1 - fx0, 0.5 * rig->cs);
        pa_rig_destroy(rig);
        pa_image_free(&img);
    }
}

/* The rest mesh (face pass + mouth pass) covers every crop pixel: no holes anywhere. */
PA_TEST(rest_mesh_covers_the_crop)
{
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 0, NULL);
    const struct pa_rig *rig = fx.rig;
    const int cs = rig->cs;
    struct pa_raster *r;
    struct pa_image dst;
    ASSERT_OK(pa_raster_create(&r, cs, cs));
    ASSERT_OK(pa_image_alloc(&dst, cs, cs, PA_PIX_RGB24));
    uint8_t *covered = calloc((size_t)cs * cs, 1);
    struct pa_warp_mesh m = {PA_RIG_NV, &rig->src_xy[0][0], &rig->src_xy[0][0], rig->src_z,
                             NULL,      rig->n_tri,         &rig->tri[0][0]};
    ASSERT_OK(pa_raster_warp(r, &m, &rig->crop, &dst, NULL));
    int stride;
    const uint8_t *cov = pa_raster_coverage(r, &stride);
    for (int y = 0; y < cs; y++)
        for (int x = 0; x < cs; x++)
            covered[y * cs + x] |= cov[y * stride + x] != 0;
    struct pa_warp_mesh mm = {PA_MOUTH_NV, &rig->mouth_src[0][0], &rig->mouth_src[0][0], NULL,
                              NULL,        PA_MOUTH_NT,           &rig->mouth_tri[0][0]};
    ASSERT_OK(pa_raster_warp(r, &mm, &rig->crop, &dst, NULL));
    cov = pa_raster_coverage(r, &stride);
    int holes = 0;
    for (int y = 0; y < cs; y++)
        for (int x = 0; x < cs; x++)
            holes += !(covered[y * cs + x] | (cov[y * stride + x] != 0));
    ASSERT_EQ(holes, 0);
    /* The rest warp reproduces the crop exactly (identity mesh samples pixel centres). */
    for (int y = 0; y < cs; y++)
        ASSERT_EQ(memcmp(pa_image_px(&dst, 0, y), pa_image_px(&rig->crop, 0, y), (size_t)cs * 3),
                  0);
    free(covered);
    pa_image_free(&dst);
    pa_raster_destroy(r);
    fixture_free(&fx);
}

PA_TEST(identity_driver_keeps_the_portrait)
{
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, NULL);
    for (int i = 0; i < 3; i++) {
        struct pa_face_state d = fx.face;
        d.t = i / 30.0;
        ASSERT_OK(pa_animator_render(fx.anim, &d, NULL, &fx.out));
        int max_d;
        double mean_d;
        diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_d, &mean_d);
        ASSERT_LT(max_d, 2);
    }
    fixture_free(&fx);
}

PA_TEST(yaw_moves_the_nose_and_keeps_the_background)
{
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, NULL);
    struct pa_face_state ref = fx.face, drv;
    ASSERT_OK(pa_animator_render(fx.anim, &ref, NULL, &fx.out));
    moved_state(&fx.face, 15.0f, 0, 0, 0, 0, 1 / 30.0, &drv);
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    maybe_save(&fx.out, "anim_yaw15.png");
    float want[3];
    project(&drv.pose, fx.face.canonical[4], want);
    float moved = want[0] - fx.face.pts[4][0];
    ASSERT_GT(moved, 5.0);
    struct pa_face_state got;
    track(&fx.out, &got);
    ASSERT_EQ(got.found, 1);
    printf("nose tip: rest %.1f, expected %.1f, tracked %.1f; yaw %.1f -> %.1f\n",
           (double)fx.face.pts[4][0], (double)want[0], (double)got.pts[4][0],
           (double)fx.face.pose.yaw, (double)got.pose.yaw);
    ASSERT_NEAR(got.pts[4][0], want[0], 0.25 * moved + 1.0);
    ASSERT_NEAR(got.pts[4][1], want[1], 0.25 * moved + 1.0);
    ASSERT_NEAR(got.pose.yaw - fx.face.pose.yaw, 15.0, 5.0);
    double bg = background_diff(&fx.out, &fx.portrait, &fx.mask);
    printf("background mean change %.3f grey levels\n", bg);
    ASSERT_LT(bg, 2.0);
    fixture_free(&fx);
}

/* lp_d3 frame 0 (eyes open) as the reference, frame 57 (eyes closed) as the driver. */
PA_TEST(closed_eye_driver_closes_the_lids)
{
    struct geo_frames f;
    geo_oracle_load("oracle/shared_lp_d3.json", NULL, &f);
    struct fixture fx;
    struct pa_anim_params p = pa_anim_default_params();
    p.follow = PA_FOLLOW_ALL & ~PA_FOLLOW_POSE; // the clip's head also moves; keep it still
    fixture_init(&fx, "testdata/source/astronaut.png", 1, &p);
    struct pa_face_state d0, d57, got;
    state_from_landmarks(geo_frame(&f, 0), f.n_points[0], 0.0, &d0);
    state_from_landmarks(geo_frame(&f, 57), f.n_points[57], 57 / 30.0, &d57);
    ASSERT_LT(d57.expr.eye_open[0], 0.5 * d0.expr.eye_open[0]);
    ASSERT_OK(pa_animator_render(fx.anim, &d0, NULL, &fx.out));
    ASSERT_OK(pa_animator_render(fx.anim, &d57, NULL, &fx.out));
    maybe_save(&fx.out, "anim_eyes_closed.png");
    track(&fx.out, &got);
    ASSERT_EQ(got.found, 1);
    printf("eye open: portrait %.3f %.3f -> rendered %.3f %.3f (driver %.3f -> %.3f)\n",
           (double)fx.face.expr.eye_open[0], (double)fx.face.expr.eye_open[1],
           (double)got.expr.eye_open[0], (double)got.expr.eye_open[1], (double)d0.expr.eye_open[0],
           (double)d57.expr.eye_open[0]);
    for (int e = 0; e < 2; e++)
        ASSERT_LT(got.expr.eye_open[e], 0.6 * fx.face.expr.eye_open[e]);
    /* The head did not move. */
    ASSERT_NEAR(got.pts[4][0], fx.face.pts[4][0], 2.0);
    ASSERT_NEAR(got.pts[4][1], fx.face.pts[4][1], 2.0);
    fixture_free(&fx);
    geo_frames_free(&f);
}

PA_TEST(open_mouth_is_filled)
{
    struct fixture fx;
    struct pa_anim_params p = pa_anim_default_params();
    p.lip_open_ratio = 0.3f;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, &p);
    struct pa_face_state got;
    ASSERT_OK(pa_animator_render(fx.anim, &fx.face, NULL, &fx.out));
    maybe_save(&fx.out, "anim_mouth_open.png");
    track(&fx.out, &got);
    ASSERT_EQ(got.found, 1);
    printf("mouth open: portrait %.3f -> rendered %.3f\n", (double)fx.face.expr.mouth_open,
           (double)got.expr.mouth_open);
    ASSERT_GT(got.expr.mouth_open, fx.face.expr.mouth_open + 0.1);
    fixture_free(&fx);
}

/* eye_open_ratio = 0 closes the eyes of a still driver (retargeting override). */
PA_TEST(eye_open_ratio_zero_closes_the_eyes)
{
    struct fixture fx;
    struct pa_anim_params p = pa_anim_default_params();
    p.eye_open_ratio = 0.0f;
    fixture_init(&fx, "testdata/source/lp_s42.jpg", 1, &p);
    struct pa_face_state got;
    ASSERT_OK(pa_animator_render(fx.anim, &fx.face, NULL, &fx.out));
    maybe_save(&fx.out, "anim_eye_ratio0.png");
    track(&fx.out, &got);
    ASSERT_EQ(got.found, 1);
    printf("eye open: %.3f %.3f -> %.3f %.3f\n", (double)fx.face.expr.eye_open[0],
           (double)fx.face.expr.eye_open[1], (double)got.expr.eye_open[0],
           (double)got.expr.eye_open[1]);
    for (int e = 0; e < 2; e++)
        ASSERT_LT(got.expr.eye_open[e], 0.6 * fx.face.expr.eye_open[e]);
    fixture_free(&fx);
}

/* The driver looks 0.3 half-eye-widths further right: the rendered irises follow. */
PA_TEST(irises_follow_the_gaze)
{
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, NULL);
    struct pa_face_state drv = fx.face, got;
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    for (int e = 0; e < 2; e++)
        drv.expr.gaze_x[e] += 0.3f;
    drv.t = 0.1;
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    maybe_save(&fx.out, "anim_gaze_right.png");
    track(&fx.out, &got);
    ASSERT_EQ(got.found, 1);
    for (int e = 0; e < 2; e++) {
        printf("eye %d gaze x %.3f -> %.3f\n", e, (double)fx.face.expr.gaze_x[e],
               (double)got.expr.gaze_x[e]);
        ASSERT_GT(got.expr.gaze_x[e] - fx.face.expr.gaze_x[e], 0.1);
    }
    /* The lids and the head stay: the eye corners do not move. */
    ASSERT_NEAR(got.pts[33][0], fx.face.pts[33][0], 1.5);
    ASSERT_NEAR(got.pts[263][0], fx.face.pts[263][0], 1.5);
    fixture_free(&fx);
}

/* Absolute mode with the portrait's own face as the driver changes nothing. */
PA_TEST(absolute_mode_with_own_face_is_identity)
{
    struct fixture fx;
    struct pa_anim_params p = pa_anim_default_params();
    p.absolute = 1;
    p.absolute_pose = 1;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, &p);
    struct pa_face_state drv = fx.face;
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    int max_d;
    double mean_d;
    diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_d, &mean_d);
    ASSERT_LT(max_d, 2);
    fixture_free(&fx);
}

PA_TEST(lost_driver_returns_to_the_portrait)
{
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, NULL);
    struct pa_face_state drv, lost = {0};
    ASSERT_OK(pa_animator_render(fx.anim, &fx.face, NULL, &fx.out));
    moved_state(&fx.face, 12.0f, 5.0f, 4.0f, 6.0f, 0, 1 / 30.0, &drv);
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    int max_moved, max_d;
    double mean_moved, mean_d;
    diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_moved, &mean_moved);
    ASSERT_GT(mean_moved, 1.0);
    double prev = mean_moved;
    int frame = 2;
    for (; frame < 2 + 9; frame++) { // 0.3 s at 30 fps, easing down
        lost.t = frame / 30.0;
        ASSERT_OK(pa_animator_render(fx.anim, &lost, NULL, &fx.out));
        diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_d, &mean_d);
        ASSERT_LT(mean_d, prev + 0.5);
        prev = mean_d;
    }
    lost.t = (frame + 1) / 30.0; // 0.3 s + 1 frame after the last face
    ASSERT_OK(pa_animator_render(fx.anim, &lost, NULL, &fx.out));
    diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_d, &mean_d);
    ASSERT_EQ(max_d, 0);
    /* Found again: moves at once. */
    drv.t = (frame + 2) / 30.0;
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_d, &mean_d);
    ASSERT_NEAR(mean_d, mean_moved, 0.2 * mean_moved);
    fixture_free(&fx);
}

PA_TEST(static_and_affine_baselines)
{
    struct fixture fx;
    struct pa_anim_params p = pa_anim_default_params();
    p.method = PA_ANIM_STATIC;
    fixture_init(&fx, "testdata/source/astronaut.png", 0, &p);
    struct pa_face_state drv;
    ASSERT_OK(pa_animator_render(fx.anim, &fx.face, NULL, &fx.out));
    moved_state(&fx.face, 20.0f, 0, 10.0f, 10.0f, 5.0f, 1 / 30.0, &drv);
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    const float all[4] = {0, 0, (float)fx.out.w, (float)fx.out.h};
    int max_d;
    double mean_d;
    diff_stats(&fx.out, &fx.portrait, all, &max_d, &mean_d);
    ASSERT_EQ(max_d, 0);
    /* Affine: a pure translation moves every pixel by exactly that much. */
    p.method = PA_ANIM_AFFINE2D;
    ASSERT_OK(pa_animator_set_params(fx.anim, &p));
    moved_state(&fx.face, 0, 0, 0, 10.0f, 5.0f, 2 / 30.0, &drv);
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    for (int y = 100; y < 400; y += 7)
        for (int x = 100; x < 400; x += 7)
            ASSERT_EQ(
                memcmp(pa_image_px(&fx.out, x + 10, y + 5), pa_image_px(&fx.portrait, x, y), 3), 0);
    /* A 10° roll turns the tracked face by 10° and the yaw does nothing. */
    moved_state(&fx.face, 20.0f, 0, 10.0f, 0, 0, 3 / 30.0, &drv);
    ASSERT_OK(pa_animator_render(fx.anim, &drv, NULL, &fx.out));
    maybe_save(&fx.out, "anim_affine_roll10.png");
    struct pa_face_state got;
    track(&fx.out, &got);
    ASSERT_EQ(got.found, 1);
    ASSERT_NEAR(got.pose.roll - fx.face.pose.roll, 10.0, 2.0);
    ASSERT_NEAR(got.pose.yaw, fx.face.pose.yaw, 3.0);
    fixture_free(&fx);
}

PA_TEST(render_does_not_allocate)
{
    struct geo_frames f;
    geo_oracle_load("oracle/shared_lp_d3.json", NULL, &f);
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, NULL);
    struct pa_image frame;
    ASSERT_OK(pa_image_alloc(&frame, f.width[0], f.width[0], PA_PIX_RGB24));
    struct pa_face_state d[3];
    for (int i = 0; i < 3; i++)
        state_from_landmarks(geo_frame(&f, i * 9), f.n_points[i * 9], i / 30.0, &d[i]);
    struct pa_anim_params p = pa_anim_default_params();
    ASSERT_OK(pa_animator_render(fx.anim, &d[0], &frame, &fx.out));
    uint64_t before = pa_mem_alloc_count();
    static const enum pa_anim_method methods[] = {PA_ANIM_MESH, PA_ANIM_AFFINE2D, PA_ANIM_STATIC};
    for (size_t m = 0; m < PA_ARRAY_SIZE(methods); m++) {
        p.method = methods[m];
        p.lip_open_ratio = m == 0 ? 0.3f : -1.0f;
        ASSERT_OK(pa_animator_set_params(fx.anim, &p));
        for (int i = 1; i < 3; i++)
            ASSERT_OK(pa_animator_render(fx.anim, &d[i], &frame, &fx.out));
    }
    ASSERT_EQ(pa_mem_alloc_count() - before, 0);
    pa_image_free(&frame);
    fixture_free(&fx);
    geo_frames_free(&f);
}

PA_TEST(bad_arguments)
{
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 0, NULL);
    struct pa_face_state none = {0};
    struct pa_rig *rig = NULL;
    ASSERT_ERR(pa_rig_create(&rig, &fx.portrait, &none, NULL, NULL), PA_ENOFACE);
    struct pa_anim_params p = pa_anim_default_params();
    p.crop_size = 8;
    ASSERT_ERR(pa_rig_create(&rig, &fx.portrait, &fx.face, NULL, &p), PA_EINVAL);
    struct pa_image small;
    ASSERT_OK(pa_image_alloc(&small, 100, 100, PA_PIX_RGB24));
    ASSERT_ERR(pa_animator_render(fx.anim, &fx.face, NULL, &small), PA_EINVAL);
    p = pa_anim_default_params();
    p.release_time = -1;
    ASSERT_ERR(pa_animator_set_params(fx.anim, &p), PA_EINVAL);
    /* A degenerate driver (collapsed shape, zero scale) counts as lost: the portrait is shown
     * and it does not become the reference that later frames are measured against. */
    struct pa_face_state bad = fx.face, moved;
    memset(bad.canonical, 0, sizeof(bad.canonical));
    bad.pose.scale = 0;
    ASSERT_OK(pa_animator_render(fx.anim, &bad, NULL, &fx.out));
    const float all[4] = {0, 0, (float)fx.out.w, (float)fx.out.h};
    int max_d;
    double mean_d;
    diff_stats(&fx.out, &fx.portrait, all, &max_d, &mean_d);
    ASSERT_EQ(max_d, 0);
    ASSERT_OK(pa_animator_render(fx.anim, &fx.face, NULL, &fx.out));
    diff_stats(&fx.out, &fx.portrait, all, &max_d, &mean_d);
    ASSERT_EQ(max_d, 0);
    moved_state(&fx.face, 0, 0, 0, 4.0f, 0, 0.1, &moved);
    ASSERT_OK(pa_animator_render(fx.anim, &moved, NULL, &fx.out));
    diff_stats(&fx.out, &fx.portrait, fx.face.box, &max_d, &mean_d);
    ASSERT_GT(mean_d, 1.0);
    ASSERT_LT(mean_d, 30.0);
    pa_image_free(&small);
    fixture_free(&fx);
}

/* The whole lp_d3 clip (MediaPipe's landmarks, the clip's frames for the mouth) driving a
 * portrait: every frame renders, the background stays still on average. */
PA_TEST(lp_d3_drives_the_astronaut)
{
    struct geo_frames f;
    geo_oracle_load("oracle/shared_lp_d3.json", NULL, &f);
    struct pa_source *src = NULL;
    const char *clip = pa_test_shared("testdata/driving/lp_d3.mp4");
    if (access(clip, R_OK) != 0 || pa_source_open(&src, clip) < 0)
        PA_SKIP("clip not readable");
    struct fixture fx;
    fixture_init(&fx, "testdata/source/astronaut.png", 1, NULL);
    double bg_sum = 0;
    int n = 0;
    static const int keep[] = {0, 14, 40, 57, 150, 276, 299};
    for (int i = 0; i < f.n; i++) {
        struct pa_image frame;
        double t;
        if (pa_source_read(src, &frame, &t, 30) < 0)
            break;
        struct pa_face_state d;
        state_from_landmarks(geo_frame(&f, i), f.n_points[i], t, &d);
        ASSERT_OK(pa_animator_render(fx.anim, &d, &frame, &fx.out));
        bg_sum += background_diff(&fx.out, &fx.portrait, &fx.mask);
        n++;
        for (size_t k = 0; k < PA_ARRAY_SIZE(keep); k++) {
            if (keep[k] == i) {
                char name[64];
                snprintf(name, sizeof(name), "anim_lp_d3_%03d.png", i);
                maybe_save(&fx.out, name);
            }
        }
    }
    ASSERT_GT(n, 250);
    printf("%d frames, background mean change %.3f\n", n, bg_sum / n);
    ASSERT_LT(bg_sum / n, 2.0);
    pa_source_close(src);
    fixture_free(&fx);
    geo_frames_free(&f);
}

PA_TEST_MAIN()

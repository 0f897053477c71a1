/** @file
 * The face tracker end to end (pa_tracker_*, src/track/tracker.c) against the official
 * MediaPipe Face Mesh output on the shared data (../shared/oracle, see its README.md).
 *
 * Error measure: NME = mean over points of the 2D distance between our point and the
 * oracle's, divided by the oracle's inter-ocular distance (points 33 and 263), in percent.
 * Accuracy runs use smoothing off (the oracle is unsmoothed: MediaPipe's face mesh graph has
 * no landmark filter, see the oracle's mode_notes).
 *
 *  - stills: every shared portrait, mode a (468-point plain model) and mode b (478-point
 *    attention model), NME <= 1.5 % each; the head pose of our points within 0.5 degrees of
 *    the pose of the oracle's points.
 *  - clips: every frame of the four 512 px driving clips that the oracle covers (78, 300,
 *    183 and 60 frames), decoded by the library (pa_source) and tracked in order like
 *    MediaPipe's video mode. 478 mode: mean NME <= 1.5 %. 468 mode: compared with the same
 *    mode-b oracle (there is no 468-point video oracle). The two official models differ from
 *    each other by about as much as the 1.5 % limit (1.2-1.8 % on the stills, measured in
 *    still_model_gap), so a 468-mode tracker can not reach 1.5 % against 478-model data; the
 *    test checks that the error is that model gap and nothing more: the mean NME stays under
 *    3 % and within 0.35 % of the NME between our own 468 and 478 outputs on the same frames;
 *    and against the 468 model run on the ROIs the oracle's own landmarks give (the nearest
 *    thing to a 468-point video oracle) our 468 tracking must be within 1.5 %.
 *    The same run checks pose continuity and measures the smoothing lag.
 *  - decode: our RGB24 frames against `ffmpeg -pix_fmt rgb24` (the oracle's extraction), and
 *    one clip tracked on ffmpeg's own pixels, where we must match the oracle to ~0.01 %.
 *  - re-acquisition after blank frames, jitter with and without the filter on a still
 *    stretch, no face, bad input, determinism, no allocation per frame.
 */
#include "pa_test.h"

#include "core/image.h"
#include "core/mem.h"
#include "geo_oracle.h"
#include "io/source.h"
#include "track/geometry.h"
#include "track/landmarks.h"
#include "track/pose.h"

/* ------------------------------------------------------------------------------------ */
/* Helpers                                                                                */

static const char *models_dir(void)
{
    const char *dir = getenv("PA_MODELS_DIR");
    return dir && *dir ? dir : "models";
}

static void need_models(void)
{
    if (access(pa_test_model("face_landmark_with_attention.tflite"), R_OK) != 0 ||
        access(pa_test_model("face_landmark.tflite"), R_OK) != 0)
        PA_SKIP("models not installed");
}

static struct pa_tracker *make_tracker(int landmarks, int smooth)
{
    need_models();
    struct pa_tracker_params p = pa_tracker_default_params();
    p.landmarks = landmarks;
    p.smooth = smooth;
    struct pa_tracker *tr = NULL;
    ASSERT_OK(pa_tracker_create(&tr, models_dir(), &p, NULL));
    return tr;
}

static struct pa_geometry *load_geometry(void)
{
    struct pa_geometry *g = NULL;
    ASSERT_OK(pa_geometry_load_file(pa_test_model("geometry_pipeline_metadata_landmarks.binarypb"),
                                    &g));
    return g;
}

static double iod_of(const float *ref)
{
    return hypot(ref[3 * 33] - ref[3 * 263], ref[3 * 33 + 1] - ref[3 * 263 + 1]);
}

/* NME in percent of n points (flat x, y, z arrays) against ref, normalised by ref's IOD. */
static double nme(const float *pts, const float *ref, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += hypot(pts[3 * i] - ref[3 * i], pts[3 * i + 1] - ref[3 * i + 1]);
    return 100.0 * sum / n / iod_of(ref);
}

/* Largest of the three angle changes between two poses, degrees. */
static double pose_jump(const float a[3], const float b[3])
{
    double m = 0;
    for (int k = 0; k < 3; k++)
        m = fmax(m, fabs(remainder((double)a[k] - b[k], 360.0)));
    return m;
}

static int have_ffmpeg(void)
{
    return system("ffmpeg -version >/dev/null 2>&1") == 0;
}

/* Path of a shared clip (a static buffer per call site would do, but pa_test_shared's
 * rotating buffers get reused by the model paths: copy). */
static const char *clip_path(const char *clip)
{
    static char paths[4][4096];
    static int next;
    char rel[256];
    snprintf(rel, sizeof(rel), "testdata/driving/%s.mp4", clip);
    char *p = paths[next++ & 3];
    snprintf(p, 4096, "%s", pa_test_shared(rel));
    if (access(p, R_OK) != 0)
        PA_SKIP("shared clip missing");
    return p;
}

/* ------------------------------------------------------------------------------------ */
/* Stills                                                                                 */

static const char *const k_images[] = {"astronaut.png", "hallo_7.jpg", "lp_s12.jpg",
                                       "lp_s42.jpg", "lp_s9.jpg"};

PA_TEST(still_images_vs_oracle)
{
    struct geo_frames ora[2] = {{0}};
    geo_oracle_load("oracle/shared.json", "a", &ora[0]);
    geo_oracle_load("oracle/shared.json", "b", &ora[1]);
    ASSERT_EQ(ora[0].n, 5);
    struct pa_tracker *tr[2] = {make_tracker(468, 0), make_tracker(478, 0)};
    struct pa_geometry *geo = load_geometry();
    static struct pa_face_state st;
    printf("%-14s %10s %10s %14s\n", "image", "NME a 468", "NME b 478", "pose diff b");
    for (int i = 0; i < ora[0].n; i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "testdata/source/%s", k_images[i]);
        struct pa_image img = {0};
        ASSERT_OK(pa_image_load(&img, pa_test_shared(rel)));
        double e[2], dpose = 0;
        for (int m = 0; m < 2; m++) {
            pa_tracker_reset(tr[m]);
            ASSERT_OK(pa_tracker_process(tr[m], &img, 0.0, &st));
            ASSERT_TRUE(st.found);
            ASSERT_EQ(st.n_points, ora[m].n_points[i]);
            ASSERT_EQ(st.num_faces, 1);
            e[m] = nme(&st.pts[0][0], geo_frame(&ora[m], i), st.n_points);
        }
        struct pa_pose op;
        ASSERT_OK(pa_pose_estimate(geo, geo_frame(&ora[1], i), 478, &op));
        float ours[3] = {st.pose.yaw, st.pose.pitch, st.pose.roll};
        float theirs[3] = {op.yaw, op.pitch, op.roll};
        dpose = pose_jump(ours, theirs);
        printf("%-14s %9.3f%% %9.3f%% %12.3f deg\n", k_images[i], e[0], e[1], dpose);
        ASSERT_LT(e[0], 1.5);
        ASSERT_LT(e[1], 1.5);
        ASSERT_LT(dpose, 0.5);
        pa_image_free(&img);
    }
    pa_geometry_destroy(geo);
    pa_tracker_destroy(tr[0]);
    pa_tracker_destroy(tr[1]);
    geo_frames_free(&ora[0]);
    geo_frames_free(&ora[1]);
}

/* How far apart the two official models are (the floor for 468-mode vs mode-b data). */
PA_TEST(still_model_gap)
{
    struct geo_frames a = {0}, b = {0};
    geo_oracle_load("oracle/shared.json", "a", &a);
    geo_oracle_load("oracle/shared.json", "b", &b);
    double lo = 1e9, hi = 0;
    for (int i = 0; i < a.n; i++) {
        double e = nme(geo_frame(&a, i), geo_frame(&b, i), 468);
        printf("%-14s official 468 vs 478 model: %.3f%%\n", k_images[i], e);
        lo = fmin(lo, e);
        hi = fmax(hi, e);
    }
    /* A sanity bound on the data, and the reason the 468-mode clip limit is not 1.5 %. */
    ASSERT_GT(lo, 0.5);
    ASSERT_LT(hi, 3.0);
    geo_frames_free(&a);
    geo_frames_free(&b);
}

/* ------------------------------------------------------------------------------------ */
/* Clips                                                                                  */

/* Whose head pose: our three trackers, the oracle's landmarks, and the 468-point model run
 * on the ROI the oracle's own previous landmarks give (what MediaPipe's 468 mode would see). */
enum pose_src { P_RAW478, P_RAW468, P_SMOOTH478, P_ORACLE, P_REF468, P_N };

/* Per-frame record of one clip run. */
struct clip_run {
    int n;
    float *raw478, *raw468, *smooth478; ///< n x 478 x 3 (468 mode uses the first 468)
    float (*pose)[5][3]; ///< per frame (yaw, pitch, roll) of enum pose_src
    double *t;
};

static void clip_run_free(struct clip_run *r)
{
    free(r->raw478);
    free(r->raw468);
    free(r->smooth478);
    free(r->pose);
    free(r->t);
    memset(r, 0, sizeof(*r));
}

/* Best time shift (frames, > 0 = smoothed behind raw) aligning smoothed onto raw over
 * frames [f0, f1), by least squares over the 468 mesh points with linear interpolation. */
static double best_lag(const struct clip_run *r, int f0, int f1)
{
    double best = 0, best_e = INFINITY;
    for (double tau = -1.0; tau <= 3.0 + 1e-9; tau += 0.05) {
        double e = 0;
        long cnt = 0;
        for (int f = f0 + 4; f < f1; f++) {
            double src = f - tau;
            int i0 = (int)floor(src);
            double w = src - i0;
            if (i0 < f0 || i0 + 1 >= f1)
                continue;
            const float *s = &r->smooth478[(size_t)f * 478 * 3];
            const float *a = &r->raw478[(size_t)i0 * 478 * 3];
            const float *b = &r->raw478[(size_t)(i0 + 1) * 478 * 3];
            for (int p = 0; p < 468; p++) {
                for (int k = 0; k < 2; k++) {
                    double rv = (1 - w) * a[3 * p + k] + w * b[3 * p + k];
                    e += (s[3 * p + k] - rv) * (s[3 * p + k] - rv);
                }
            }
            cnt++;
        }
        e /= (double)(cnt ? cnt : 1);
        if (e < best_e) {
            best_e = e;
            best = tau;
        }
    }
    return best;
}

/* Mean frame-to-frame point motion over frames [f0, f1) in % of the IOD (468 points). */
static double motion(const float *pts, int f0, int f1)
{
    double sum = 0;
    for (int f = f0 + 1; f < f1; f++) {
        const float *a = &pts[(size_t)(f - 1) * 478 * 3], *b = &pts[(size_t)f * 478 * 3];
        double d = 0;
        for (int p = 0; p < 468; p++)
            d += hypot(b[3 * p] - a[3 * p], b[3 * p + 1] - a[3 * p + 1]);
        sum += 100.0 * d / 468 / iod_of(b);
    }
    return f1 - f0 > 1 ? sum / (f1 - f0 - 1) : 0.0;
}

static void set_pose(float out[3], const struct pa_pose *p)
{
    out[0] = p->yaw;
    out[1] = p->pitch;
    out[2] = p->roll;
}

/* Largest amount by which src's frame-to-frame pose change exceeds the reference's where src
 * moves more than 5 degrees. The reference may move one frame earlier or later (a filter
 * delays a jump by up to a frame), so its largest change in frames f-1..f+1 counts. */
static double pose_excess(const struct clip_run *r, int src, int ref, double *max_jump)
{
    double excess = 0;
    *max_jump = 0;
    for (int f = 1; f < r->n; f++) {
        double j = pose_jump(r->pose[f][src], r->pose[f - 1][src]);
        *max_jump = fmax(*max_jump, j);
        if (j <= 5.0)
            continue;
        double jr = 0;
        for (int g = f - 1; g <= f + 1; g++)
            if (g >= 1 && g < r->n)
                jr = fmax(jr, pose_jump(r->pose[g][ref], r->pose[g - 1][ref]));
        excess = fmax(excess, j - jr);
    }
    return excess;
}

static void run_clip(const char *clip)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "oracle/shared_%s.json", clip);
    const char *path = clip_path(clip);
    struct geo_frames ora = {0};
    geo_oracle_load(rel, "b", &ora);
    struct pa_tracker *tr[3] = {make_tracker(478, 0), make_tracker(468, 0), make_tracker(478, 1)};
    struct pa_geometry *geo = load_geometry();
    struct pa_nn_model *model468 = NULL;
    struct pa_landmarker *lm468 = NULL;
    ASSERT_OK(pa_nn_model_load(&model468, pa_test_model("face_landmark.tflite")));
    ASSERT_OK(pa_landmarker_create(&lm468, model468, PA_NN_BACKEND_AUTO, NULL));
    struct pa_source *src = NULL;
    ASSERT_OK(pa_source_open(&src, path));
    struct clip_run r = {0};
    size_t fsz = (size_t)ora.n * 478 * 3 * sizeof(float);
    r.raw478 = malloc(fsz);
    r.raw468 = malloc(fsz);
    r.smooth478 = malloc(fsz);
    r.pose = calloc((size_t)ora.n, sizeof(*r.pose));
    r.t = calloc((size_t)ora.n, sizeof(double));
    ASSERT_TRUE(r.raw478 && r.raw468 && r.smooth478 && r.pose && r.t);
    static struct pa_face_state st;
    static float ref468[478][3];
    struct pa_image frame;
    double t, sum478 = 0, sum468 = 0, sum_own = 0, sum_ref = 0, worst478 = 0, worst468 = 0;
    float *dst[3] = {r.raw478, r.raw468, r.smooth478};
    static const int psrc[3] = {P_RAW478, P_RAW468, P_SMOOTH478};
    while (r.n < ora.n && pa_source_read(src, &frame, &t, 25.0) == 0) {
        ASSERT_EQ(frame.w, ora.width[r.n]);
        r.t[r.n] = t;
        for (int m = 0; m < 3; m++) {
            ASSERT_OK(pa_tracker_process(tr[m], &frame, t, &st));
            if (!st.found)
                PA__FAIL("%s frame %d: face lost (tracker %d)", clip, r.n, m);
            memcpy(&dst[m][(size_t)r.n * 478 * 3], st.pts, sizeof(float) * 3 * (size_t)st.n_points);
            r.pose[r.n][psrc[m]][0] = st.pose.yaw;
            r.pose[r.n][psrc[m]][1] = st.pose.pitch;
            r.pose[r.n][psrc[m]][2] = st.pose.roll;
        }
        const float *ref = geo_frame(&ora, r.n);
        struct pa_pose op;
        ASSERT_OK(pa_pose_estimate(geo, ref, 478, &op));
        set_pose(r.pose[r.n][P_ORACLE], &op);
        /* The 468 model on MediaPipe's video-mode ROI from the oracle's previous landmarks. */
        struct pa_roi roi;
        float presence;
        pa_roi_from_landmarks(&roi, (const float(*)[3])geo_frame(&ora, r.n ? r.n - 1 : 0), 478);
        ASSERT_OK(pa_landmarker_run(lm468, &frame, &roi, ref468, &presence));
        ASSERT_OK(pa_pose_estimate(geo, &ref468[0][0], 468, &op));
        set_pose(r.pose[r.n][P_REF468], &op);

        double e478 = nme(&r.raw478[(size_t)r.n * 478 * 3], ref, 478);
        double e468 = nme(&r.raw468[(size_t)r.n * 478 * 3], ref, 468);
        sum478 += e478;
        sum468 += e468;
        worst478 = fmax(worst478, e478);
        worst468 = fmax(worst468, e468);
        /* Our 468 against our own 478 output: the model gap alone. */
        sum_own += nme(&r.raw468[(size_t)r.n * 478 * 3], &r.raw478[(size_t)r.n * 478 * 3], 468);
        /* Our 468 tracking against the 468 model on the official ROI. */
        sum_ref += nme(&r.raw468[(size_t)r.n * 478 * 3], &ref468[0][0], 468);
        r.n++;
    }
    ASSERT_EQ(r.n, ora.n);
    double m478 = sum478 / r.n, m468 = sum468 / r.n, own = sum_own / r.n, mref = sum_ref / r.n;
    printf("%s: %d frames of %dx%d\n", clip, r.n, frame.w, frame.h);
    printf("  NME vs oracle (mode b): 478 mode mean %.3f%% worst %.3f%%; 468 mode mean %.3f%% "
           "worst %.3f%% (our 468 vs our 478: %.3f%%); 468 mode vs the 468 model on the "
           "oracle's ROIs: %.3f%%\n",
           m478, worst478, m468, worst468, own, mref);

    /* Pose continuity: the 478-point trackers against the oracle, the 468 one against the
     * 468 model on the oracle's ROIs (the 468 model's own pose jumps are not ours to fix). */
    double jmax[P_N], ex[3];
    ex[0] = pose_excess(&r, P_RAW478, P_ORACLE, &jmax[P_RAW478]);
    ex[1] = pose_excess(&r, P_RAW468, P_REF468, &jmax[P_RAW468]);
    ex[2] = pose_excess(&r, P_SMOOTH478, P_ORACLE, &jmax[P_SMOOTH478]);
    double ex468_vs_oracle = pose_excess(&r, P_RAW468, P_ORACLE, &jmax[P_RAW468]);
    pose_excess(&r, P_ORACLE, P_ORACLE, &jmax[P_ORACLE]);
    pose_excess(&r, P_REF468, P_REF468, &jmax[P_REF468]);
    printf("  largest frame-to-frame pose change (deg): raw 478 %.2f, smoothed 478 %.2f, raw 468 "
           "%.2f; oracle %.2f, 468 model on the oracle's ROI %.2f\n",
           jmax[P_RAW478], jmax[P_SMOOTH478], jmax[P_RAW468], jmax[P_ORACLE], jmax[P_REF468]);
    printf("  where > 5 deg, beyond the reference's (deg): raw 478 %.2f, smoothed 478 %.2f "
           "(vs oracle); raw 468 %.2f vs the 468 reference (%.2f vs the 478 oracle)\n",
           ex[0], ex[2], ex[1], ex468_vs_oracle);

    /* Smoothing: lag on the most moving 60-frame stretch, jitter on the stillest one. */
    int win = r.n < 60 ? r.n : 60, fmove = 0, fstill = 0;
    double vmax = -1, vmin = 1e9;
    for (int f = 0; f + win <= r.n; f += 5) {
        double v = motion(r.raw478, f, f + win);
        if (v > vmax)
            vmax = v, fmove = f;
        if (v < vmin)
            vmin = v, fstill = f;
    }
    double lag = best_lag(&r, fmove, fmove + win);
    double lag_all = best_lag(&r, 0, r.n);
    int w15 = win < 15 ? win : 15;
    double still_best = 1e9;
    int f_still = fstill;
    for (int f = fstill; f + w15 <= fstill + win; f++) {
        double v = motion(r.raw478, f, f + w15);
        if (v < still_best)
            still_best = v, f_still = f;
    }
    double jit_raw = motion(r.raw478, f_still, f_still + w15);
    double jit_smooth = motion(r.smooth478, f_still, f_still + w15);
    printf("  smoothing: lag %.2f frames on frames %d-%d (raw motion %.2f%% IOD/frame), %.2f over "
           "the clip; stillest 15 frames (%d-%d): motion %.3f%% raw, %.3f%% smoothed\n",
           lag, fmove, fmove + win - 1, vmax, lag_all, f_still, f_still + w15 - 1, jit_raw,
           jit_smooth);

    ASSERT_LT(m478, 1.5);
    ASSERT_LT(m468, 3.0);
    ASSERT_LT(fabs(m468 - own), 0.35);
    ASSERT_LT(mref, 1.5);
    for (int k = 0; k < 3; k++)
        ASSERT_LT(ex[k], 2.0);
    ASSERT_LT(lag, 1.0);
    ASSERT_GT(lag, -0.5);
    ASSERT_LT(lag_all, 1.0);
    clip_run_free(&r);
    pa_source_close(src);
    pa_landmarker_destroy(lm468);
    pa_nn_model_destroy(model468);
    pa_geometry_destroy(geo);
    for (int m = 0; m < 3; m++)
        pa_tracker_destroy(tr[m]);
    geo_frames_free(&ora);
}

PA_TEST(clip_lp_d0) { run_clip("lp_d0"); }
PA_TEST(clip_lp_d3) { run_clip("lp_d3"); }
PA_TEST(clip_lp_d12) { run_clip("lp_d12"); }
PA_TEST(clip_xportrait) { run_clip("xportrait_driving"); }

/* ------------------------------------------------------------------------------------ */
/* Decoding                                                                               */

/* Our RGB24 frames against ffmpeg's (the oracle's frame extraction): mean abs difference. */
PA_TEST(decode_vs_ffmpeg)
{
    static const char *const clips[] = {"lp_d0", "lp_d3", "lp_d12", "xportrait_driving",
                                        "lp_d3_256"};
    if (!have_ffmpeg())
        PA_SKIP("ffmpeg not installed");
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        const char *path = clip_path(clips[c]);
        char cmd[4096];
        snprintf(cmd, sizeof(cmd),
                 "ffmpeg -nostdin -v error -i '%s' -map 0:v:0 -fps_mode passthrough -frames:v 8 "
                 "-pix_fmt rgb24 -f rawvideo -",
                 path);
        FILE *p = popen(cmd, "r");
        ASSERT_TRUE(p != NULL);
        struct pa_source *src = NULL;
        ASSERT_OK(pa_source_open(&src, path));
        struct pa_image frame;
        double t, sum = 0;
        long long n = 0, big = 0;
        int maxd = 0, f = 0;
        unsigned char *row = NULL;
        for (; f < 8 && pa_source_read(src, &frame, &t, 25.0) == 0; f++) {
            size_t rb = (size_t)frame.w * 3;
            row = realloc(row, rb);
            ASSERT_TRUE(row != NULL);
            for (int y = 0; y < frame.h; y++) {
                ASSERT_EQ(fread(row, 1, rb, p), rb);
                const uint8_t *q = frame.data + (size_t)y * (size_t)frame.stride;
                for (size_t x = 0; x < rb; x++) {
                    int d = abs((int)q[x] - (int)row[x]);
                    sum += d;
                    big += d > 8;
                    maxd = d > maxd ? d : maxd;
                }
            }
            n += (long long)rb * frame.h;
        }
        pclose(p);
        free(row);
        pa_source_close(src);
        ASSERT_EQ(f, 8);
        printf("%-18s first 8 frames: mean abs diff %.3f levels, max %d, > 8 levels: %.3f%%\n",
               clips[c], sum / (double)n, maxd, 100.0 * (double)big / (double)n);
        /* Same frames, same colour matrix and range; only rounding and chroma
         * interpolation may differ (ours: swscale accurate_rnd + full_chroma_int). */
        ASSERT_LT(sum / (double)n, 2.0);
        ASSERT_LT(100.0 * (double)big / (double)n, 2.0);
    }
}

/* Tracked on ffmpeg's own pixels (exactly the oracle's input), the pipeline matches the
 * official one to a hundredth of a percent: this pins crop, ROI and projection conventions. */
PA_TEST(clip_on_oracle_pixels)
{
    if (!have_ffmpeg())
        PA_SKIP("ffmpeg not installed");
    const char *path = clip_path("lp_d12");
    struct geo_frames ora = {0};
    geo_oracle_load("oracle/shared_lp_d12.json", "b", &ora);
    struct pa_tracker *tr = make_tracker(478, 0);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -v error -i '%s' -map 0:v:0 -fps_mode passthrough -pix_fmt rgb24 "
             "-f rawvideo -",
             path);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    struct pa_image img = {0};
    ASSERT_OK(pa_image_alloc(&img, ora.width[0], ora.width[0], PA_PIX_RGB24));
    static struct pa_face_state st;
    double sum = 0, worst = 0;
    int n = 0;
    for (; n < ora.n; n++) {
        size_t rb = (size_t)img.w * 3;
        for (int y = 0; y < img.h; y++)
            ASSERT_EQ(fread(img.data + (size_t)y * (size_t)img.stride, 1, rb, p), rb);
        ASSERT_OK(pa_tracker_process(tr, &img, n / 25.0, &st));
        ASSERT_TRUE(st.found);
        double e = nme(&st.pts[0][0], geo_frame(&ora, n), 478);
        sum += e;
        worst = fmax(worst, e);
    }
    pclose(p);
    printf("lp_d12 on ffmpeg's pixels, %d frames: NME mean %.4f%%, worst %.4f%%\n", n, sum / n,
           worst);
    ASSERT_LT(sum / n, 0.05);
    ASSERT_LT(worst, 0.5);
    pa_image_free(&img);
    pa_tracker_destroy(tr);
    geo_frames_free(&ora);
}

/* ------------------------------------------------------------------------------------ */
/* Behaviour                                                                              */

/* Frames 20-29 of a clip blanked: the face is lost there and re-acquired within 2 frames of
 * its return, at the oracle's landmarks. */
PA_TEST(reacquire_after_blank)
{
    const char *path = clip_path("lp_d0_256");
    struct geo_frames ora = {0};
    geo_oracle_load("oracle/shared_lp_d0_256.json", "b", &ora);
    struct pa_tracker *tr = make_tracker(478, 1);
    struct pa_source *src = NULL;
    ASSERT_OK(pa_source_open(&src, path));
    static struct pa_face_state st;
    struct pa_image frame;
    double t;
    int found[60] = {0}, n = 0, detected = 0;
    for (; n < 60 && pa_source_read(src, &frame, &t, 25.0) == 0; n++) {
        if (n >= 20 && n < 30)
            for (int y = 0; y < frame.h; y++)
                memset(frame.data + (size_t)y * (size_t)frame.stride, 0, (size_t)frame.w * 3);
        ASSERT_OK(pa_tracker_process(tr, &frame, t, &st));
        found[n] = st.found;
        detected += st.detected;
        if (n >= 34 && st.found) /* settled again: back on the oracle's points */
            ASSERT_LT(nme(&st.pts[0][0], geo_frame(&ora, n), 478), 1.5);
    }
    ASSERT_EQ(n, 60);
    printf("found per frame: ");
    for (int i = 0; i < n; i++)
        putchar(found[i] ? '1' : '0');
    printf("\ndetector runs: %d\n", detected);
    for (int i = 0; i < 20; i++)
        ASSERT_EQ(found[i], 1);
    for (int i = 20; i < 30; i++)
        ASSERT_EQ(found[i], 0);
    int back = 30;
    while (back < n && !found[back])
        back++;
    ASSERT_LT(back - 30, 3);
    for (int i = back; i < n; i++)
        ASSERT_EQ(found[i], 1);
    pa_source_close(src);
    pa_tracker_destroy(tr);
    geo_frames_free(&ora);
}

static uint32_t g_rng = 2463534242u;
static int noise(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    /* Sum of three uniforms in [-2, 2]: roughly Gaussian, sigma ~2 levels (sensor noise). */
    return (int)(g_rng % 5) + (int)((g_rng >> 8) % 5) + (int)((g_rng >> 16) % 5) - 6;
}

/* A still face (one frame repeated 30 times at 25 fps, each copy with fresh sensor noise):
 * the One Euro filter must leave less frame-to-frame jitter than the raw landmarks. */
PA_TEST(still_jitter_smoothing)
{
    const char *path = clip_path("lp_d3");
    struct pa_source *src = NULL;
    ASSERT_OK(pa_source_open(&src, path));
    struct pa_image frame, base = {0}, img = {0};
    double t;
    ASSERT_OK(pa_source_read(src, &frame, &t, 25.0));
    ASSERT_OK(pa_image_alloc(&base, frame.w, frame.h, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&img, frame.w, frame.h, PA_PIX_RGB24));
    pa_image_copy(&base, &frame);
    pa_source_close(src);
    for (int with_noise = 0; with_noise <= 1; with_noise++) {
        struct pa_tracker *tr[2] = {make_tracker(478, 0), make_tracker(478, 1)};
        static float prev[2][478][3];
        static struct pa_face_state st;
        double jit[2] = {0}, iod = 0;
        for (int f = 0; f < 30; f++) {
            for (int y = 0; y < img.h; y++) {
                const uint8_t *s = base.data + (size_t)y * (size_t)base.stride;
                uint8_t *d = img.data + (size_t)y * (size_t)img.stride;
                for (int x = 0; x < 3 * img.w; x++) {
                    int v = s[x] + (with_noise ? noise() : 0);
                    d[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
            for (int m = 0; m < 2; m++) {
                ASSERT_OK(pa_tracker_process(tr[m], &img, f / 25.0, &st));
                ASSERT_TRUE(st.found);
                iod = iod_of(&st.pts[0][0]);
                if (f >= 5) { /* after the ROI has settled */
                    double d = 0;
                    for (int p = 0; p < 478; p++)
                        d += hypot(st.pts[p][0] - prev[m][p][0], st.pts[p][1] - prev[m][p][1]);
                    jit[m] += d / 478;
                }
                memcpy(prev[m], st.pts, sizeof(prev[m]));
            }
        }
        for (int m = 0; m < 2; m++)
            jit[m] = 100.0 * jit[m] / 25 / iod;
        printf("still face, %s: frame-to-frame landmark motion %.4f%% of the IOD raw, %.4f%% "
               "smoothed (ratio %.2f)\n",
               with_noise ? "sigma ~2 sensor noise" : "identical frames", jit[0], jit[1],
               jit[0] > 0 ? jit[1] / jit[0] : 0.0);
        if (with_noise) {
            ASSERT_GT(jit[0], 0.0);
            ASSERT_LT(jit[1], 0.5 * jit[0]);
        } else {
            ASSERT_LT(jit[1], jit[0] + 1e-6);
        }
        pa_tracker_destroy(tr[0]);
        pa_tracker_destroy(tr[1]);
    }
    pa_image_free(&base);
    pa_image_free(&img);
}

/* No face: found 0, the detector ran, return 0; a face right after is found (the no-face
 * frame left no state behind). Bad images are PA_EINVAL. */
PA_TEST(no_face_and_bad_input)
{
    struct pa_tracker *tr = make_tracker(478, 1);
    struct pa_image img = {0}, face = {0};
    ASSERT_OK(pa_image_alloc(&img, 320, 240, PA_PIX_RGB24));
    for (int y = 0; y < img.h; y++)
        for (int x = 0; x < img.w * 3; x++)
            img.data[(size_t)y * (size_t)img.stride + (size_t)x] = (uint8_t)(x / 4 + y / 2);
    static struct pa_face_state st;
    for (int f = 0; f < 3; f++) {
        ASSERT_OK(pa_tracker_process(tr, &img, f / 25.0, &st));
        ASSERT_EQ(st.found, 0);
        ASSERT_EQ(st.detected, 1);
        ASSERT_EQ(st.num_faces, 0);
        ASSERT_EQ(st.n_points, 0);
    }
    ASSERT_OK(pa_image_load(&face, pa_test_shared("testdata/source/lp_s42.jpg")));
    ASSERT_OK(pa_tracker_process(tr, &face, 3 / 25.0, &st));
    ASSERT_EQ(st.found, 1);
    ASSERT_EQ(st.n_points, 478);
    ASSERT_GT(st.score, 0.9);

    struct pa_image gray = {0}, tiny = {0};
    ASSERT_OK(pa_image_alloc(&gray, 64, 64, PA_PIX_GRAY8));
    ASSERT_OK(pa_image_alloc(&tiny, 8, 8, PA_PIX_RGB24));
    ASSERT_ERR(pa_tracker_process(tr, &gray, 1.0, &st), PA_EINVAL);
    ASSERT_ERR(pa_tracker_process(tr, &tiny, 1.0, &st), PA_EINVAL);
    ASSERT_ERR(pa_tracker_process(tr, NULL, 1.0, &st), PA_EINVAL);

    struct pa_tracker_params p = pa_tracker_default_params();
    p.landmarks = 100;
    struct pa_tracker *bad = NULL;
    ASSERT_ERR(pa_tracker_create(&bad, models_dir(), &p, NULL), PA_EINVAL);
    ASSERT_TRUE(bad == NULL);
    p.landmarks = 478;
    ASSERT_ERR(pa_tracker_create(&bad, pa_test_tmp("no_models_here"), &p, NULL), PA_ENOENT);
    pa_tracker_destroy(NULL);
    pa_image_free(&gray);
    pa_image_free(&tiny);
    pa_image_free(&img);
    pa_image_free(&face);
    pa_tracker_destroy(tr);
}

/* Same input, same output (after reset); tracking frames allocate nothing. */
PA_TEST(deterministic_and_no_alloc)
{
    struct pa_tracker *tr = make_tracker(478, 1);
    struct pa_image face = {0};
    ASSERT_OK(pa_image_load(&face, pa_test_shared("testdata/source/astronaut.png")));
    static struct pa_face_state a, b;
    ASSERT_OK(pa_tracker_process(tr, &face, 0.0, &a));
    pa_tracker_reset(tr);
    ASSERT_OK(pa_tracker_process(tr, &face, 0.0, &b));
    ASSERT_TRUE(a.found && b.found);
    ASSERT_EQ(memcmp(a.pts, b.pts, sizeof(a.pts)), 0);
    ASSERT_EQ(memcmp(&a.pose, &b.pose, sizeof(a.pose)), 0);
    uint64_t n0 = pa_mem_alloc_count();
    for (int f = 1; f <= 5; f++)
        ASSERT_OK(pa_tracker_process(tr, &face, f / 25.0, &b));
    pa_tracker_reset(tr);
    ASSERT_OK(pa_tracker_process(tr, &face, 1.0, &b));
    ASSERT_EQ(pa_mem_alloc_count() - n0, 0);
    ASSERT_EQ(b.detected, 1);
    pa_image_free(&face);
    pa_tracker_destroy(tr);
}

PA_TEST_MAIN()

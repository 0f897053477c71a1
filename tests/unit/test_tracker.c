/** @file
 * Face tracker end to end (pa_tracker_*) against the official MediaPipe output (oracle/).
 * Draft: measurement only.
 */
#include "pa_test.h"

#include "core/image.h"
#include "geo_oracle.h"
#include "io/source.h"
#include "track/geometry.h"
#include "track/pose.h"

static struct pa_tracker *make_tracker(int landmarks, int smooth)
{
    const char *dir = getenv("PA_MODELS_DIR");
    if (access(pa_test_model("face_landmark_with_attention.tflite"), R_OK) != 0)
        PA_SKIP("models not installed");
    struct pa_tracker_params p = pa_tracker_default_params();
    p.landmarks = landmarks;
    p.smooth = smooth;
    struct pa_tracker *tr = NULL;
    ASSERT_OK(pa_tracker_create(&tr, dir && *dir ? dir : "models", &p, NULL));
    return tr;
}

/* NME in percent: mean 2D distance over n points / distance of the oracle's 33 and 263. */
static double nme(const float (*ours)[3], const float *ref, int n)
{
    double iod = hypot(ref[3 * 33] - ref[3 * 263], ref[3 * 33 + 1] - ref[3 * 263 + 1]);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += hypot(ours[i][0] - ref[3 * i], ours[i][1] - ref[3 * i + 1]);
    return 100.0 * sum / n / iod;
}

static const char *const k_images[] = {"astronaut.png", "hallo_7.jpg", "lp_s12.jpg",
                                       "lp_s42.jpg", "lp_s9.jpg"};

PA_TEST(still_images_vs_oracle)
{
    struct geo_frames ora[2] = {{0}};
    geo_oracle_load("oracle/shared.json", "a", &ora[0]);
    geo_oracle_load("oracle/shared.json", "b", &ora[1]);
    struct pa_tracker *tr[2] = {make_tracker(468, 0), make_tracker(478, 0)};
    for (int i = 0; i < ora[0].n; i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "testdata/source/%s", k_images[i]);
        struct pa_image img = {0};
        ASSERT_OK(pa_image_load(&img, pa_test_shared(rel)));
        for (int m = 0; m < 2; m++) {
            struct pa_face_state st;
            pa_tracker_reset(tr[m]);
            ASSERT_OK(pa_tracker_process(tr[m], &img, 0.0, &st));
            ASSERT_TRUE(st.found);
            double e = nme((const float(*)[3])st.pts, geo_frame(&ora[m], i), ora[m].n_points[i]);
            printf("%-14s mode %c: NME %.3f%%\n", k_images[i], 'a' + m, e);
        }
        pa_image_free(&img);
    }
    pa_tracker_destroy(tr[0]);
    pa_tracker_destroy(tr[1]);
    geo_frames_free(&ora[0]);
    geo_frames_free(&ora[1]);
}

static void run_clip(const char *clip)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "oracle/shared_%s.json", clip);
    struct geo_frames ora = {0};
    geo_oracle_load(rel, "b", &ora);
    snprintf(rel, sizeof(rel), "testdata/driving/%s.mp4", clip);
    struct pa_source *src = NULL;
    ASSERT_OK(pa_source_open(&src, pa_test_shared(rel)));
    struct pa_tracker *tr[2] = {make_tracker(468, 0), make_tracker(478, 0)};
    double sum[2] = {0}, worst[2] = {0};
    int n = 0;
    struct pa_image frame;
    double t;
    const char *ff = getenv("TRK_FFMPEG_FLAGS");
    FILE *pp = NULL;
    struct pa_image ffimg = {0};
    if (ff) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "ffmpeg -nostdin -v error %s -i '%s' -map 0:v:0 -fps_mode passthrough "
                 "-pix_fmt rgb24 -f rawvideo -", ff, pa_test_shared(rel));
        pp = popen(cmd, "r");
    }
    while (n < ora.n && pa_source_read(src, &frame, &t, 25.0) == 0) {
        if (pp) {
            if (!ffimg.data)
                ASSERT_OK(pa_image_alloc(&ffimg, frame.w, frame.h, PA_PIX_RGB24));
            for (int y = 0; y < frame.h; y++)
                ASSERT_EQ(fread(ffimg.data + (size_t)y * ffimg.stride, 1, (size_t)frame.w * 3, pp),
                          (size_t)frame.w * 3);
            frame = ffimg;
        }
        for (int m = 0; m < 2; m++) {
            struct pa_face_state st;
            ASSERT_OK(pa_tracker_process(tr[m], &frame, t, &st));
            ASSERT_TRUE(st.found);
            double e = nme((const float(*)[3])st.pts, geo_frame(&ora, n), m ? 478 : 468);
            sum[m] += e;
            if (getenv("TRK_VERBOSE") && m == 1)
                printf("frame %d t %.3f nme %.4f score %.3f\n", n, t, e, st.score);
            worst[m] = fmax(worst[m], e);
        }
        n++;
    }
    printf("%s: %d frames: 468 mean %.3f%% worst %.3f%%; 478 mean %.3f%% worst %.3f%%\n", clip, n,
           sum[0] / n, worst[0], sum[1] / n, worst[1]);
    pa_tracker_destroy(tr[0]);
    pa_tracker_destroy(tr[1]);
    pa_source_close(src);
    if (pp)
        pclose(pp);
    pa_image_free(&ffimg);
    geo_frames_free(&ora);
}

PA_TEST(clip_lp_d0) { run_clip("lp_d0"); }
PA_TEST(clip_lp_d3) { run_clip("lp_d3"); }
PA_TEST(clip_lp_d12) { run_clip("lp_d12"); }
PA_TEST(clip_xportrait) { run_clip("xportrait_driving"); }
PA_TEST(clip_lp_d0_256) { run_clip("lp_d0_256"); }
PA_TEST(clip_lp_d3_256) { run_clip("lp_d3_256"); }
PA_TEST(clip_lp_d12_256) { run_clip("lp_d12_256"); }
PA_TEST(clip_xportrait_256) { run_clip("xportrait_driving_256"); }


/* Our RGB24 decode vs the oracle's frame extraction (ffmpeg CLI -pix_fmt rgb24). */
static void decode_diff(const char *clip, int frames)
{
    char rel[256], cmd[1024];
    snprintf(rel, sizeof(rel), "testdata/driving/%s.mp4", clip);
    const char *path = pa_test_shared(rel);
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -v error -i '%s' -map 0:v:0 -fps_mode passthrough -frames:v %d "
             "-pix_fmt rgb24 -f rawvideo -", path, frames);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    struct pa_source *src = NULL;
    ASSERT_OK(pa_source_open(&src, path));
    struct pa_image frame;
    double t, sum = 0, worst = 0;
    long long n = 0, big = 0;
    int maxd = 0;
    unsigned char *row = NULL;
    int f = 0;
    for (; f < frames && pa_source_read(src, &frame, &t, 25.0) == 0; f++) {
        size_t rb = (size_t)frame.w * 3;
        row = realloc(row, rb);
        double fs = 0;
        for (int y = 0; y < frame.h; y++) {
            ASSERT_EQ(fread(row, 1, rb, p), rb);
            const uint8_t *q = frame.data + (size_t)y * frame.stride;
            for (size_t x = 0; x < rb; x++) {
                int d = abs((int)q[x] - (int)row[x]);
                fs += d;
                big += d > 4;
                if (d > maxd)
                    maxd = d;
            }
        }
        fs /= (double)rb * frame.h;
        sum += fs;
        worst = fmax(worst, fs);
        n += (long long)rb * frame.h;
    }
    pclose(p);
    printf("%s: %d frames: mean abs diff %.3f (worst frame %.3f), max %d, >4: %.4f%%\n", clip, f,
           sum / f, worst, maxd, 100.0 * (double)big / (double)n);
    free(row);
    pa_source_close(src);
}

PA_TEST(decode_vs_ffmpeg)
{
    decode_diff("lp_d0", 10);
    decode_diff("lp_d3", 10);
    decode_diff("lp_d12", 10);
    decode_diff("xportrait_driving", 10);
    decode_diff("lp_d3_256", 10);
}

PA_TEST_MAIN()

/** @file
 * Person segmentation (selfie_segmentation.tflite) on a real portrait: the face is person,
 * the top corners are background, the mask follows the requested size, bad arguments fail.
 */
#include "pa_test.h"

#include "core/image.h"

static const char *models_dir(void)
{
    const char *d = getenv("PA_MODELS_DIR");
    return d && *d ? d : "models";
}

static struct pa_segmenter *make_segmenter(void)
{
    if (access(pa_test_model("selfie_segmentation.tflite"), R_OK) != 0)
        PA_SKIP("selfie_segmentation.tflite not installed");
    struct pa_segmenter *s = NULL;
    ASSERT_OK(pa_segmenter_create(&s, models_dir(), PA_NN_BACKEND_AUTO, NULL));
    return s;
}

static void load(struct pa_image *img, const char *rel)
{
    const char *path = pa_test_shared(rel);
    if (access(path, R_OK) != 0)
        PA_SKIP("test image missing");
    ASSERT_OK(pa_image_load(img, path));
}

/* Mean of a mask over a square of half-size r around (cx, cy). */
static double mean_at(const struct pa_image *m, int cx, int cy, int r)
{
    double s = 0;
    int n = 0;
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if (x >= 0 && y >= 0 && x < m->w && y < m->h) {
                s += pa_image_px(m, x, y)[0];
                n++;
            }
    return n ? s / n : 0;
}

PA_TEST(astronaut_face_is_person_corners_are_not)
{
    struct pa_segmenter *s = make_segmenter();
    struct pa_image img, mask;
    load(&img, "testdata/source/astronaut.png");
    ASSERT_OK(pa_image_alloc(&mask, img.w, img.h, PA_PIX_GRAY8));
    ASSERT_OK(pa_segmenter_run(s, &img, &mask));
    /* The face of this 512x512 portrait is around (225, 125) (MediaPipe's landmark box
     * spans x 180-271, y 71-177; see oracle/shared.json). */
    double face = mean_at(&mask, 225, 125, 10);
    double tl = mean_at(&mask, 15, 15, 10), tr = mean_at(&mask, img.w - 16, 15, 10);
    printf("face %.1f, top-left %.1f, top-right %.1f\n", face, tl, tr);
    ASSERT_GT(face, 200);
    ASSERT_LT(tl, 50);
    ASSERT_LT(tr, 50);
    /* A mask of another size gives the same picture, resampled. */
    struct pa_image half;
    ASSERT_OK(pa_image_alloc(&half, img.w / 2, img.h / 2, PA_PIX_GRAY8));
    ASSERT_OK(pa_segmenter_run(s, &img, &half));
    ASSERT_NEAR(mean_at(&half, 112, 62, 5), face, 20);
    ASSERT_LT(mean_at(&half, 7, 7, 5), 50);
    pa_image_free(&half);
    pa_image_free(&mask);
    pa_image_free(&img);
    pa_segmenter_destroy(s);
}

PA_TEST(mask_is_a_sigmoid_probability)
{
    /* A flat grey image has no person: the output stays well inside [0, 255] and low; a
     * second run gives the same bytes (no state between runs). */
    struct pa_segmenter *s = make_segmenter();
    struct pa_image img, m1, m2;
    ASSERT_OK(pa_image_alloc(&img, 320, 240, PA_PIX_RGB24));
    memset(img.data, 128, (size_t)img.stride * img.h);
    ASSERT_OK(pa_image_alloc(&m1, 320, 240, PA_PIX_GRAY8));
    ASSERT_OK(pa_image_alloc(&m2, 320, 240, PA_PIX_GRAY8));
    ASSERT_OK(pa_segmenter_run(s, &img, &m1));
    ASSERT_OK(pa_segmenter_run(s, &img, &m2));
    ASSERT_LT(mean_at(&m1, 160, 120, 100), 100);
    for (int y = 0; y < 240; y++)
        ASSERT_EQ(memcmp(pa_image_px(&m1, 0, y), pa_image_px(&m2, 0, y), 320), 0);
    pa_image_free(&img);
    pa_image_free(&m1);
    pa_image_free(&m2);
    pa_segmenter_destroy(s);
}

PA_TEST(bad_arguments)
{
    struct pa_segmenter *s = NULL;
    ASSERT_TRUE(pa_segmenter_create(&s, "/nonexistent", PA_NN_BACKEND_AUTO, NULL) < 0);
    ASSERT_TRUE(s == NULL);
    s = make_segmenter();
    struct pa_image img, mask;
    ASSERT_OK(pa_image_alloc(&img, 64, 64, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&mask, 64, 64, PA_PIX_RGB24)); // wrong format for a mask
    ASSERT_ERR(pa_segmenter_run(s, &img, &mask), PA_EINVAL);
    pa_image_free(&img);
    pa_image_free(&mask);
    pa_segmenter_destroy(s);
}

PA_TEST_MAIN()

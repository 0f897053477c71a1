/** @file
 * Small faces: a portrait whose face covers under ~10% of the frame's long side is missed by
 * the short-range detector on the full frame; the tracker's tiled search must find it, and
 * its landmarks must agree with tracking the same face at full size.
 */
#include "pa_test.h"

#include "core/image.h"

static void paste_scaled(struct pa_image *canvas, const struct pa_image *src, int x, int y,
                         int side)
{
    struct pa_image small, view;
    ASSERT_OK(pa_image_alloc(&small, side, side, PA_PIX_RGB24));
    ASSERT_OK(pa_image_resize(src, &small));
    ASSERT_OK(pa_image_view(&view, canvas, x, y, side, side));
    ASSERT_OK(pa_image_copy(&view, &small));
    pa_image_free(&small);
}

PA_TEST(small_face_in_wide_frame_is_found)
{
    struct pa_image portrait, canvas;
    if (pa_image_load(&portrait, pa_test_model("astronaut.png")) < 0)
        PA_SKIP("models/astronaut.png missing (panim models install)");
    struct pa_tracker *tr;
    struct pa_tracker_params tp = pa_tracker_default_params();
    tp.smooth = 0;
    ASSERT_OK(pa_tracker_create(&tr, getenv("PA_MODELS_DIR") ? getenv("PA_MODELS_DIR") : "models",
                                &tp, NULL));
    static struct pa_face_state ref, st;
    ASSERT_OK(pa_tracker_process(tr, &portrait, 0.0, &ref));
    ASSERT_EQ(ref.found, 1);

    /* The 512 px portrait at 360 px in a 1280x720 grey frame: the face is ~70 px wide. */
    ASSERT_OK(pa_image_alloc(&canvas, 1280, 720, PA_PIX_RGB24));
    memset(canvas.data, 128, (size_t)canvas.stride * 720);
    paste_scaled(&canvas, &portrait, 700, 300, 360);
    pa_tracker_reset(tr);
    ASSERT_OK(pa_tracker_process(tr, &canvas, 0.0, &st));
    ASSERT_EQ(st.found, 1);
    /* Same points as the full-size face, mapped into the canvas (scale 360/512). */
    double err = 0, iod = 0;
    float k = 360.0f / 512.0f;
    for (int i = 0; i < 468; i++) {
        double dx = st.pts[i][0] - (700 + ref.pts[i][0] * k);
        double dy = st.pts[i][1] - (300 + ref.pts[i][1] * k);
        err += sqrt(dx * dx + dy * dy);
    }
    iod = k * hypot(ref.pts[33][0] - ref.pts[263][0], ref.pts[33][1] - ref.pts[263][1]);
    err /= 468;
    printf("small face: NME vs the full-size face %.2f%% (inter-ocular %.1f px)\n",
           100 * err / iod, iod);
    ASSERT_LT(err / iod, 0.05);

    /* A faceless wide frame stays faceless (the tiles add no false face). */
    memset(canvas.data, 128, (size_t)canvas.stride * 720);
    pa_tracker_reset(tr);
    ASSERT_OK(pa_tracker_process(tr, &canvas, 0.0, &st));
    ASSERT_EQ(st.found, 0);
    pa_tracker_destroy(tr);
    pa_image_free(&canvas);
    pa_image_free(&portrait);
}

PA_TEST_MAIN()

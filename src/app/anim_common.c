/** @file
 * Portrait preparation for the animation commands: face tracking (one still image, so no
 * smoothing), person segmentation and the rig.
 */
#include "app/anim_common.h"

#include <string.h>

#include "app/models.h"
#include "core/log.h"

static const char *const g_methods[] = {
    [PA_ANIM_MESH] = "mesh",
    [PA_ANIM_AFFINE2D] = "affine2d",
    [PA_ANIM_STATIC] = "static",
};

int pa_cli_parse_method(const char *s, enum pa_anim_method *out)
{
    for (int i = 0; i < (int)(sizeof(g_methods) / sizeof(g_methods[0])); i++) {
        if (!strcmp(s, g_methods[i])) {
            *out = (enum pa_anim_method)i;
            return 0;
        }
    }
    return PA_EINVAL;
}

const char *pa_cli_method_name(enum pa_anim_method m)
{
    return (unsigned)m < sizeof(g_methods) / sizeof(g_methods[0]) ? g_methods[m] : "?";
}

int pa_cli_portrait_prepare(struct pa_cli_portrait *p, const struct pa_image *img, const char *name,
                            const char *models_dir, const struct pa_anim_params *ap,
                            enum pa_nn_backend backend, struct pa_parallel *par)
{
    struct pa_tracker *tr = NULL;
    struct pa_segmenter *seg = NULL;
    memset(p, 0, sizeof(*p));
    int ret = pa_image_alloc(&p->img, img->w, img->h, PA_PIX_RGB24);
    if (ret < 0)
        goto fail;
    for (int y = 0; y < img->h; y++)
        memcpy(p->img.data + (size_t)y * (size_t)p->img.stride,
               img->data + (size_t)y * (size_t)img->stride, (size_t)img->w * 3);

    struct pa_tracker_params tp = pa_tracker_default_params();
    tp.smooth = 0; // a single still: nothing to smooth
    tp.backend = backend;
    if ((ret = pa_tracker_create(&tr, models_dir, &tp, par)) < 0)
        goto fail;
    if ((ret = pa_tracker_process(tr, &p->img, 0.0, &p->face)) < 0)
        goto fail;
    if (!p->face.found) {
        pa_log_error("app", "%s: no face found", name);
        ret = PA_ENOFACE;
        goto fail;
    }
    if ((ret = pa_models_verify_file(models_dir, "selfie_segmentation.tflite")) < 0)
        goto fail;
    if ((ret = pa_segmenter_create(&seg, models_dir, backend, par)) < 0)
        goto fail;
    if ((ret = pa_image_alloc(&p->mask, img->w, img->h, PA_PIX_GRAY8)) < 0)
        goto fail;
    if ((ret = pa_segmenter_run(seg, &p->img, &p->mask)) < 0)
        goto fail;
    if ((ret = pa_rig_create(&p->rig, &p->img, &p->face, &p->mask, ap)) < 0) {
        pa_log_error("app", "%s: cannot build the rig: %s", name, pa_strerror(ret));
        goto fail;
    }
    pa_segmenter_destroy(seg);
    pa_tracker_destroy(tr);
    return 0;
fail:
    pa_segmenter_destroy(seg);
    pa_tracker_destroy(tr);
    pa_cli_portrait_free(p);
    return ret;
}

void pa_cli_portrait_free(struct pa_cli_portrait *p)
{
    pa_rig_destroy(p->rig);
    p->rig = NULL;
    pa_image_free(&p->img);
    pa_image_free(&p->mask);
}

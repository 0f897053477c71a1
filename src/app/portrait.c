/** @file
 * Portrait preparation: image -> face -> person mask -> rig -> animator (see portrait.h).
 */
#include "app/portrait.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

int pa_portrait_build(struct pa_portrait **out, const char *path, struct pa_tracker *tracker,
                      struct pa_segmenter *seg, const struct pa_anim_params *ap,
                      struct pa_parallel *anim_par)
{
    *out = NULL;
    struct pa_portrait *p = pa_calloc(1, sizeof(*p));
    if (!p)
        return PA_ENOMEM;
    struct pa_image mask = {0};
    snprintf(p->path, sizeof(p->path), "%s", path);
    int ret = pa_image_load(&p->img, path);
    if (ret < 0)
        goto fail;
    pa_tracker_reset(tracker);
    if ((ret = pa_tracker_process(tracker, &p->img, 0.0, &p->face)) < 0)
        goto fail;
    if (!p->face.found) {
        pa_log_error("app", "%s: no face found in the portrait", path);
        ret = PA_ENOFACE;
        goto fail;
    }
    if (seg) {
        if ((ret = pa_image_alloc(&mask, p->img.w, p->img.h, PA_PIX_GRAY8)) < 0)
            goto fail;
        if ((ret = pa_segmenter_run(seg, &p->img, &mask)) < 0)
            goto fail;
    }
    if ((ret = pa_rig_create(&p->rig, &p->img, &p->face, seg ? &mask : NULL, ap)) < 0)
        goto fail;
    if ((ret = pa_animator_create(&p->anim, p->rig, ap, anim_par)) < 0)
        goto fail;
    if ((ret = pa_image_alloc(&p->render, p->img.w, p->img.h, PA_PIX_RGB24)) < 0)
        goto fail;
    /* Warm up here, off the hot path: the first render touches every buffer (page faults,
     * caches), which would otherwise stall the live stream on the first frame after a
     * switch. The warm-up frame must not become the motion reference, hence calibrate.
     * Only with a serial animator: a shared pool would make the animate thread wait for
     * this (lower-priority) thread, since pthreadpool serialises its callers. */
    if (pa_parallel_threads(anim_par) <= 1) {
        if ((ret = pa_animator_render(p->anim, &p->face, NULL, &p->render)) < 0)
            goto fail;
        pa_animator_calibrate(p->anim);
    }
    pa_image_free(&mask);
    *out = p;
    return 0;
fail:
    pa_image_free(&mask);
    pa_portrait_destroy(p);
    return ret;
}

void pa_portrait_destroy(struct pa_portrait *p)
{
    if (!p)
        return;
    pa_animator_destroy(p->anim);
    pa_rig_destroy(p->rig);
    pa_image_free(&p->render);
    pa_image_free(&p->img);
    pa_free(p);
}

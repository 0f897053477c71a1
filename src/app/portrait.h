/** @file
 * A ready-to-render portrait: the image, its tracked face, rig, animator and render buffer.
 * Built by pa_portrait_build (any thread; it uses only the tracker and segmenter passed in),
 * then handed to the animate thread, which alone renders with it and destroys it.
 */
#ifndef PA_APP_PORTRAIT_H
#define PA_APP_PORTRAIT_H

#include "panim.h"

struct pa_portrait {
    char path[512];
    struct pa_image img;      ///< the portrait (RGB24)
    struct pa_face_state face;///< its tracked face (the idle driver's neutral)
    struct pa_rig *rig;
    struct pa_animator *anim;
    struct pa_image render;   ///< animator output, portrait size
};

/**
 * Load, track (no face: PA_ENOFACE with a one-line message naming the file), segment, rig.
 * @param anim_par pool the animator will render with (must outlive the portrait).
 */
int pa_portrait_build(struct pa_portrait **out, const char *path, struct pa_tracker *tracker,
                      struct pa_segmenter *seg, const struct pa_anim_params *ap,
                      struct pa_parallel *anim_par);
void pa_portrait_destroy(struct pa_portrait *p);

#endif

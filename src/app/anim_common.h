/** @file
 * Shared by `panim animate` and `panim eval` (the live pipeline has its own app/portrait.h):
 * turn a portrait image into a rig (track the face, segment the person, build the rig), name
 * the animation methods.
 */
#ifndef PA_APP_ANIM_COMMON_H
#define PA_APP_ANIM_COMMON_H

#include "panim.h"

/** A prepared portrait; every member is owned. */
struct pa_cli_portrait {
    struct pa_image img;       ///< RGB24 copy of the portrait
    struct pa_face_state face; ///< its tracked face (found = 1)
    struct pa_image mask;      ///< GRAY8 person mask of the portrait's size
    struct pa_rig *rig;
};

/**
 * Verify the segmentation model, track the face of `img` with a fresh tracker, segment the
 * person and create the rig.
 * @param img RGB24 portrait (copied). @param name names it in messages (usually its path).
 * @param par pool for the networks, may be NULL; must outlive the rig.
 * @return 0; PA_ENOFACE after logging the one line "NAME: no face found"; other errors
 *         (logged where they happen).
 */
int pa_cli_portrait_prepare(struct pa_cli_portrait *p, const struct pa_image *img, const char *name,
                            const char *models_dir, const struct pa_anim_params *ap,
                            enum pa_nn_backend backend, struct pa_parallel *par);
/** Free everything (a zeroed struct is fine). */
void pa_cli_portrait_free(struct pa_cli_portrait *p);

/** Parse "mesh" / "affine2d" / "static"; @return 0 or PA_EINVAL (nothing printed). */
int pa_cli_parse_method(const char *s, enum pa_anim_method *out);
/** @return "mesh", "affine2d" or "static". */
const char *pa_cli_method_name(enum pa_anim_method m);

#endif /* PA_APP_ANIM_COMMON_H */

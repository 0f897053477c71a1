/** @file
 * Drawing a face state onto a frame: mesh edges, irises, pose axes (track --overlay, the
 * live window's landmark toggle).
 */
#ifndef PA_APP_OVERLAY_H
#define PA_APP_OVERLAY_H

#include "panim.h"

struct pa_geometry;

/** Draw the mesh (triangle edges of `geo`, or dots when geo is NULL), irises and pose axes. */
void pa_overlay_face(struct pa_image *img, const struct pa_face_state *st,
                     const struct pa_geometry *geo);

#endif

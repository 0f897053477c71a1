/** @file
 * Face overlay drawing (see overlay.h).
 */
#include "app/overlay.h"

#include "core/draw.h"
#include "track/geometry.h"

static const uint8_t k_mesh[3] = {80, 220, 120};
static const uint8_t k_iris[3] = {255, 60, 200};
static const uint8_t k_axis[3][3] = {{255, 50, 50}, {60, 255, 60}, {70, 110, 255}};

void pa_overlay_face(struct pa_image *img, const struct pa_face_state *st,
                     const struct pa_geometry *geo)
{
    if (!st->found)
        return;
    const float(*p)[3] = st->pts;
    if (geo) {
        for (int i = 0; i < geo->n_triangles; i++) {
            const uint32_t *t = &geo->tri[3 * i];
            for (int k = 0; k < 3; k++) {
                uint32_t a = t[k], b = t[(k + 1) % 3];
                if (a < (uint32_t)st->n_points && b < (uint32_t)st->n_points)
                    pa_draw_line(img, p[a][0], p[a][1], p[b][0], p[b][1], k_mesh);
            }
        }
    } else {
        for (int i = 0; i < st->n_points; i++)
            pa_draw_dot(img, p[i][0], p[i][1], 1.0f, k_mesh);
    }
    for (int i = PA_FACE_MESH_POINTS; i < st->n_points; i++)
        pa_draw_dot(img, p[i][0], p[i][1], 1.5f, k_iris);
    /* Pose axes from the nose tip (landmark 1): canonical x, y, z, 5 cm long, mapped with
     * landmark = s * F * R * c (F flips y and z back to image space). */
    const struct pa_head_pose *hp = &st->pose;
    float len = 5.0f * hp->scale;
    for (int k = 0; k < 3; k++) {
        float dx = hp->rot[0 * 3 + k] * len;
        float dy = -hp->rot[1 * 3 + k] * len;
        pa_draw_line(img, p[1][0], p[1][1], p[1][0] + dx, p[1][1] + dy, k_axis[k]);
    }
    pa_draw_rect(img, st->box[0], st->box[1], st->box[2], st->box[3], k_mesh);
}

/** @file
 * The portrait rig shared by the animator's files: the working crop, the deformation mesh
 * (vertex layout, triangles, source positions, head weights) and the landmark tables.
 *
 * Coordinate spaces: "portrait" = pixels of the full portrait (centre of the top-left pixel
 * at 0.5); "crop" = pixels of the square working crop, an axis-aligned scale + translation
 * of the portrait (crop_to_img / img_to_crop); depths are landmark z (smaller = nearer)
 * scaled into crop pixels. "Canonical" = MediaPipe's canonical face space in cm (pose.h).
 *
 * Vertex layout of the face mesh (PA_RIG_NV vertices):
 *   [0, 468)              the face landmarks
 *   [468, 518)            two eyeballs (right eye = the person's right, then left), 25 each:
 *                         16 copies of the eye-opening loop, the iris centre, 8 iris-ring
 *                         points; drawn behind the lids so blinks occlude them
 *   [518, 532)            two upper-lid rows of 7 (right, left) just above the lash line,
 *                         which keep the lashes thin when a blink stretches the lid
 *   [532, 640)            3 rings × 36 control points beyond the face oval (ring 0 at
 *                         ~1.35× the oval radius, ring 1 at ~1.8×, ring 2 on the crop border)
 *   [640, 644)            the crop corners
 * The mouth opening is a separate 4 × 11 grid (rows: upper inner lip, teeth line, cavity
 * line, lower inner lip) drawn in its own pass before the face.
 *
 * A rig is immutable after pa_rig_create and may be shared by animators on other threads.
 */
#ifndef PA_ANIMATE_RIG_H
#define PA_ANIMATE_RIG_H

#include <stdint.h>

#include "panim.h"
#include "track/pose.h"

#define PA_RIG_FACE 468
#define PA_RIG_OVAL 36
#define PA_RIG_RINGS 3
#define PA_RIG_EYE_LOOP 16
#define PA_RIG_IRIS_RING 8
#define PA_RIG_EYE_VERTS (PA_RIG_EYE_LOOP + 1 + PA_RIG_IRIS_RING)
#define PA_RIG_V_EYE PA_RIG_FACE
#define PA_RIG_LID 7
#define PA_RIG_V_LID (PA_RIG_V_EYE + 2 * PA_RIG_EYE_VERTS)
#define PA_RIG_V_RING (PA_RIG_V_LID + 2 * PA_RIG_LID)
#define PA_RIG_V_CORNER (PA_RIG_V_RING + PA_RIG_RINGS * PA_RIG_OVAL)
#define PA_RIG_NV (PA_RIG_V_CORNER + 4)
#define PA_RIG_MAX_TRI 1200

#define PA_MOUTH_COLS 11
#define PA_MOUTH_ROWS 4
#define PA_MOUTH_NV (PA_MOUTH_COLS * PA_MOUTH_ROWS)
#define PA_MOUTH_NT (2 * (PA_MOUTH_ROWS - 1) * (PA_MOUTH_COLS - 1))

/* Landmark tables (MediaPipe face mesh topology, TF.js MESH_ANNOTATIONS naming). */
extern const int pa_rig_oval[PA_RIG_OVAL];            ///< FACEMESH_FACE_OVAL, clockwise
extern const int pa_rig_eye_loop[2][PA_RIG_EYE_LOOP]; ///< lower lid then upper, closed
extern const int pa_rig_eye_upper[2][7];              ///< upper lid (eyeUpper0)
extern const int pa_rig_eye_lower[2][7];              ///< its partners on the lower lid
extern const int pa_rig_eye_crease[2][7];             ///< the ring above (eyeUpper1)
extern const int pa_rig_eye_corner[2][2];             ///< image-left, image-right corner
extern const int pa_rig_iris[2];                      ///< iris centres 468 / 473
extern const int pa_rig_lip_inner[2][PA_MOUTH_COLS];  ///< upper / lower, corner to corner
extern const int pa_rig_lip_outer[2][PA_MOUTH_COLS];  ///< upper / lower outer lip

/** The portrait, its crop and the deformation mesh in its rest pose. */
struct pa_rig {
    struct pa_anim_params params; ///< the creation parameters (crop_scale, crop_size)
    struct pa_image portrait;     ///< RGB24 copy of the portrait
    int cs;                       ///< crop side in pixels: min(crop_size, side in portrait px)
    struct pa_image crop;         ///< cs² RGB24 working crop
    float crop_to_img[6];         ///< 2x3 affine, crop pixels -> portrait pixels
    float img_to_crop[6];         ///< its inverse
    float k;                      ///< crop pixels per portrait pixel
    struct pa_face_state face;    ///< the portrait's face state (copy)
    struct pa_pose pose;          ///< the portrait's head pose (from face.pose)
    float iod;                    ///< canonical outer-eye-corner distance 33-263, cm
    float face_size;              ///< max side of the landmark box, portrait pixels
    float face_centre[2];         ///< landmark box centre, portrait pixels
    int has_iris;                 ///< the face state has 478 points
    int has_mask;                 ///< a person mask was given
    uint8_t border[4];            ///< mean portrait colour (affine baseline's border)

    float src_xy[PA_RIG_NV][2]; ///< rest positions, crop pixels
    float src_z[PA_RIG_NV];     ///< rest depths, crop pixels (smaller = nearer)
    float eye_depth_offset;     ///< how far the eyeballs sit behind the lids, crop pixels
    float ring_anchor[PA_RIG_RINGS * PA_RIG_OVAL][3]; ///< ring points lifted into canonical
    float ring_mask[PA_RIG_RINGS][PA_RIG_OVAL];       ///< person mask at ring points, 0..1
    float ring_down[PA_RIG_OVAL];  ///< 0..1: how much a ray points down (neck, shoulders)
    uint8_t ring_sil[PA_RIG_OVAL]; ///< the ray crosses the head's outline (mesh_build.c)
    float region[PA_RIG_FACE][2];  ///< eye and lip membership weights (rest = 1 - both)
    float jaw_w[PA_RIG_FACE];      ///< jaw-drop weights for the lip_open_ratio override
    int n_tri;                     ///< face-pass triangles (skin, eyeballs, lids, rings, corners)
    int n_tri_inner;               ///< the first n_tri_inner are skin, eyeballs and lids
    int32_t tri[PA_RIG_MAX_TRI][3];
    int32_t mouth_tri[PA_MOUTH_NT][3];
    float mouth_src[PA_MOUTH_NV][2]; ///< the mouth grid at rest, crop pixels
    float mouth_area;                ///< canonical inner-lip area of the portrait, cm²
    float lip_mean[3], lip_std[3];   ///< lip colour statistics of the portrait (crop pixels)
};

/**
 * Fill every mesh field of a rig whose crop, face, pose and transforms are set: vertices,
 * triangles, ring anchors and head-weight inputs, region weights, mouth grid.
 * @param mask GRAY8 person mask of any size (scaled to the portrait), or NULL.
 */
void pa_rig_build_mesh(struct pa_rig *rig, const struct pa_image *mask);

/**
 * Pose the face mesh: project the target canonical shape with the target pose, move the
 * eyeballs rigidly with the eye corners plus the gaze offset, and blend the outer rings
 * between rest and rigid head motion by their head weights.
 * @param canon target canonical shape (468 × 3 cm); @param pose target pose
 * @param gaze per-eye gaze offset (x right, y up) in half eye widths
 */
void pa_rig_pose_mesh(const struct pa_rig *rig, const struct pa_anim_params *p,
                      const float canon[PA_RIG_FACE][3], const struct pa_pose *pose,
                      const float gaze[2][2], float dst_xy[PA_RIG_NV][2], float dst_z[PA_RIG_NV]);

/**
 * Source (texture) positions for a posed mesh: the rest positions, except that a closing
 * upper lid takes its skin from higher up (the middle lid row slides toward the crease and
 * the crease row toward the next ring, by the closure of each lid column), so a closed lid
 * shows lid skin rather than stretched lashes and crease shadow.
 */
void pa_rig_lid_sources(const struct pa_rig *rig, const float dst_xy[PA_RIG_NV][2],
                        float src_xy[PA_RIG_NV][2]);

/** The mouth grid from a point array (x, y of point i at pts[stride i], pts[stride i + 1]),
 * mapped by m (2x3 affine, or NULL for identity). */
void pa_mouth_grid(const float *pts, int stride, const float *m, float out[PA_MOUTH_NV][2]);

/** Area of the inner-lip loop in the x-y plane of a 468 × 3 point array (any units²). */
float pa_mouth_area(const float *pts);

/**
 * Per-channel mean and standard deviation of the lips (samples between the inner and outer
 * lip loops) in an RGB24 image; pts as for pa_mouth_grid with stride 3.
 */
void pa_lip_stats(const struct pa_image *img, const float *pts, const float *m, float mean[3],
                  float std[3]);

/** Procedural mouth-interior colours of the grid (teeth band, cavity), tinted to the lips. */
void pa_mouth_procedural(const struct pa_rig *rig, float rgb[PA_MOUTH_NV][3]);

/**
 * Re-colour pixels of img (RGB24) where cov (same size, stride cov_stride) is non-zero by
 * per-channel gains that move lips of mean colour mean_from toward mean_to (mouth.c).
 */
void pa_colour_match(struct pa_image *img, const uint8_t *cov, int cov_stride,
                     const float mean_from[3], const float mean_to[3]);

/** Apply a 2x3 affine to a point. */
static inline void pa_rig_affine(const float m[6], float x, float y, float *ox, float *oy)
{
    *ox = m[0] * x + m[1] * y + m[2];
    *oy = m[3] * x + m[4] * y + m[5];
}

#endif /* PA_ANIMATE_RIG_H */

/** @file
 * Head pose from face landmarks: a weighted similarity fit (scale, rotation, translation) of
 * MediaPipe's canonical face mesh to the landmarks, and the face shape with the pose removed.
 *
 * Coordinate spaces (all right-handed):
 *  - Landmark space: what the landmark network gives, MediaPipe's convention. x to the image
 *    right, y down, both in pixels of the image; z is relative depth in the same pixel scale
 *    as x, and *smaller z is closer to the camera*.
 *  - View space: landmark space turned 180° about x, i.e. (x, -y, -z): x right, y up, z toward
 *    the camera. Rotations are expressed here so that they read like head rotations.
 *  - Canonical space: the canonical mesh's (see geometry.h): cm, x = the person's left,
 *    y up, z out of the face (toward the camera for a frontal face).
 *
 * A pose maps canonical to landmark space:   p = t + s · F · R · c,   F = diag(1, -1, -1).
 *
 * Angles (degrees), with R = Ry(yaw) · Rx(-pitch) · Rz(roll) in view space (Rx, Ry, Rz the
 * usual right-handed rotations about the view axes):
 *  - yaw   > 0: the face turns toward the image right, which is the person's own left
 *               (the nose tip moves to larger x);
 *  - pitch > 0: chin up, the person looks up (the nose tip moves up in the image);
 *  - roll  > 0: the head tilts counter-clockwise as seen in the image (the top of the head
 *               moves toward the image left, i.e. toward the person's right shoulder).
 * A frontal, upright face has all three near 0.
 *
 * All functions are pure and thread-safe; none allocates.
 */
#ifndef PA_TRACK_POSE_H
#define PA_TRACK_POSE_H

struct pa_geometry;

/** A similarity transform from canonical to landmark space, and its Euler angles. */
struct pa_pose {
    float r[9];             ///< row-major rotation, canonical → view space, det +1
    float s;                ///< scale: landmark pixels per canonical cm (> 0)
    float t[3];             ///< translation in landmark space (pixels; where canonical 0 lands)
    float yaw, pitch, roll; ///< degrees, derived from r (conventions above)
    float rms;              ///< weighted RMS fit residual over the basis, landmark pixels
};

/**
 * Fit the canonical mesh to landmarks by weighted orthogonal Procrustes with scale over the
 * geometry's landmark basis.
 * @param g     canonical mesh and basis (borrowed)
 * @param lm    n × 3 landmarks in landmark space (borrowed); n >= every basis id + 1
 *              (468 or 478 for MediaPipe; iris points are not used by the fit)
 * @param pose  receives the pose
 * @return 0; PA_EINVAL when n is too small for the basis; PA_EINVALDATA for non-finite or
 *         degenerate landmarks (all basis points on top of each other).
 */
int pa_pose_estimate(const struct pa_geometry *g, const float *lm, int n, struct pa_pose *pose);

/** Map n canonical points to landmark space (in and out may be the same array). */
void pa_pose_apply(const struct pa_pose *pose, const float *canon, int n, float *lm);

/**
 * Remove the pose: canonical-space shape c_i = R^T F (p_i - t) / s of n landmark-space points
 * (in and out may be the same array). This is the face shape the expression features read.
 */
void pa_pose_to_canonical(const struct pa_pose *pose, const float *lm, int n, float *canon);

/** Rotation matrix (row-major, view space) from angles in degrees (conventions above). */
void pa_pose_rotation_from_angles(float yaw, float pitch, float roll, float r[9]);

/** Angles in degrees from a view-space rotation matrix (inverse of the above, |pitch| < 90). */
void pa_pose_angles_from_rotation(const float r[9], float *yaw, float *pitch, float *roll);

#endif /* PA_TRACK_POSE_H */

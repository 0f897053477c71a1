/** @file
 * Motion transfer: from a driver face state to the portrait's target shape and pose
 * (relative or absolute mode, follow bits, multipliers, release easing, retargeting
 * overrides). Pure computation; no allocation.
 */
#ifndef PA_ANIMATE_MOTION_H
#define PA_ANIMATE_MOTION_H

#include "rig.h"

/** What the portrait should do this frame, relative to its own rest state. */
struct pa_motion {
    float dc[PA_RIG_FACE][3]; ///< canonical-shape delta, cm (regions, scale applied)
    float yaw, pitch, roll;   ///< head rotation delta, degrees (multipliers applied)
    float scale;              ///< head size ratio (1 = unchanged)
    float dt[3];              ///< head translation delta, portrait pixels
    float gaze[2][2];         ///< per eye (right, left) gaze delta, half eye widths (x, y up)
};

/** Per-animator memory of the driver: its reference frame and the last motion. */
struct pa_motion_state {
    int have_ref;    ///< the reference below is valid
    int recalibrate; ///< the next found driver frame becomes the reference
    float ref_canon[PA_RIG_FACE][3];
    float ref_r[9], ref_s, ref_t[3];
    float ref_gaze[2][2];
    float ref_iod; ///< canonical 33-263 distance of the reference, cm
    int have_last; ///< a driver face was seen since the reset
    double t_last; ///< its timestamp, seconds
    struct pa_motion last;
};

/** Forget the reference and the last motion (the next found frame is the reference). */
void pa_motion_reset(struct pa_motion_state *st);

/**
 * The motion for one driver frame. A found driver updates the reference (when needed) and
 * the last motion; a lost one (found == 0, or a state with a non-positive scale or
 * non-finite or collapsed key points, which no tracker reports as found) returns the last
 * motion eased linearly to zero over params->release_time seconds of driver time.
 */
void pa_motion_update(struct pa_motion_state *st, const struct pa_rig *rig,
                      const struct pa_anim_params *p, const struct pa_face_state *drv,
                      struct pa_motion *out);

/**
 * Target canonical shape (rest + delta, then the eye/lip openness overrides) and target
 * pose (rotation delta applied in view space to the rest pose, scale and translation).
 */
void pa_motion_target(const struct pa_rig *rig, const struct pa_anim_params *p,
                      const struct pa_motion *m, float canon[PA_RIG_FACE][3], struct pa_pose *pose);

#endif /* PA_ANIMATE_MOTION_H */

/** @file
 * One Euro filter (Casiez, Roussel, Vogel, "1€ Filter: A Simple Speed-based Low-pass Filter
 * for Noisy Input in Interactive Systems", CHI 2012): a first-order low-pass filter whose
 * cutoff rises with the signal's speed, so a still face does not jitter and a moving one does
 * not lag. Used for landmarks and head pose.
 *
 * Speeds are measured in "units of `scale` per second": pass the pose scale (landmark pixels
 * per canonical cm, pa_pose.s) when filtering pixel landmarks, and the defaults read as
 * centimetres of face per second, whatever the image size. Pass 1 for values already in
 * the units the params were tuned for.
 *
 * A filter state belongs to one thread (the tracker's); nothing here is shared.
 */
#ifndef PA_TRACK_SMOOTH_H
#define PA_TRACK_SMOOTH_H

struct pa_pose;

/** Filter tuning. */
struct pa_euro_params {
    float min_cutoff; ///< Hz: cutoff of a still signal (lower = smoother at rest, more lag)
    float beta;       ///< Hz per (unit/s): how fast the cutoff rises with speed
    float d_cutoff;   ///< Hz: cutoff of the low-pass on the speed estimate
};

/** Defaults for landmarks with scale = pose scale (speeds in canonical cm/s). */
struct pa_euro_params pa_euro_default_params(void);

/** Defaults for head angles in degrees (scale 1, speeds in degrees/s). */
struct pa_euro_params pa_euro_default_angle_params(void);

/** The state of one filtered value. Zero-initialised (or reset) means "no sample yet". */
struct pa_euro {
    double t_prev; ///< seconds, time of the last sample
    float x_prev;  ///< last output
    float dx_prev; ///< last filtered speed, units/s
    int init;      ///< 0 until the first sample
};

/** Forget the past: the next sample passes through unchanged. */
void pa_euro_reset(struct pa_euro *f);

/**
 * Filter one sample taken at time t (seconds, increasing). The first sample after a reset
 * passes through; a sample with t not after the previous one returns the previous output.
 * @param scale  speed normaliser (> 0), see the file comment
 * @return the filtered value
 */
float pa_euro_filter(struct pa_euro *f, const struct pa_euro_params *p, float x, double t,
                     float scale);

/** A bank of n independent filters sharing params (e.g. 478 × 3 landmark coordinates). */
struct pa_euro_bank;

/**
 * @param n  number of values (> 0)
 * @param p  params, copied
 * @return 0, PA_EINVAL, PA_ENOMEM
 */
int pa_euro_bank_create(int n, const struct pa_euro_params *p, struct pa_euro_bank **out);

/** Free a bank (NULL is fine). */
void pa_euro_bank_destroy(struct pa_euro_bank *b);

/** Reset every filter (e.g. when the face was lost and found again). */
void pa_euro_bank_reset(struct pa_euro_bank *b);

/** Change the params (kept state stays valid). */
void pa_euro_bank_set_params(struct pa_euro_bank *b, const struct pa_euro_params *p);

/**
 * Filter n values sampled at time t (in and out may be the same array).
 * @param n  must equal the bank's size
 * @return 0, or PA_EINVAL for a size mismatch or scale <= 0
 */
int pa_euro_bank_filter(struct pa_euro_bank *b, const float *in, float *out, int n, double t,
                        float scale);

/** Smoothing state of one head pose: angles, scale and translation. */
struct pa_pose_filter {
    struct pa_euro_params angle; ///< for yaw / pitch / roll in degrees
    struct pa_euro_params move;  ///< for translation and scale, speeds in canonical cm/s
    struct pa_euro f[7];         ///< yaw, pitch, roll, s, t[0..2]
};

/** Initialise with the default params. */
void pa_pose_filter_init(struct pa_pose_filter *pf);

/** Forget the past, keep the params. */
void pa_pose_filter_reset(struct pa_pose_filter *pf);

/**
 * Smooth a pose in place: filters the angles (unwrapped across ±180°), the scale and the
 * translation, then rebuilds the rotation from the filtered angles. `rms` is left as it is.
 */
void pa_pose_filter_apply(struct pa_pose_filter *pf, struct pa_pose *pose, double t);

#endif /* PA_TRACK_SMOOTH_H */

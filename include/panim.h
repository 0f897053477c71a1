/**
 * @file
 * panim — real-time portrait animation on the CPU. This is the whole public API of libpanim.
 *
 * Conventions (read once):
 *  - Every function that can fail returns 0 or a negative error code (enum pa_err);
 *    pa_strerror() names it. The failing module has already logged the details once.
 *  - Objects come in create/destroy pairs; every destroy accepts NULL.
 *  - Pointers passed in are borrowed for the duration of the call unless the comment says
 *    "must outlive ...". Pointers returned by non-create functions are borrowed from the
 *    object that returned them.
 *  - Images are 8-bit, interleaved, with explicit strides in bytes. Pixel coordinates put
 *    the centre of the top-left pixel at (0.5, 0.5).
 *  - Nothing in the library creates threads; parallel work runs on a pool the caller passes
 *    (struct pa_parallel, a thin wrapper over pthreadpool).
 */
#ifndef PANIM_H
#define PANIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** X-macro list: name, value, message. Values are negative errno-style codes. */
#define PA_ERR_LIST(X)                                                                            \
    X(PA_EINVAL, -1, "invalid argument")                                                          \
    X(PA_ENOMEM, -2, "out of memory")                                                             \
    X(PA_EIO, -3, "input/output error")                                                           \
    X(PA_ENOENT, -4, "no such file or directory")                                                 \
    X(PA_EINVALDATA, -5, "invalid or corrupt data")                                               \
    X(PA_EUNSUPPORTED, -6, "not supported")                                                       \
    X(PA_ECHECKSUM, -7, "checksum mismatch")                                                      \
    X(PA_EOF, -8, "end of stream")                                                                \
    X(PA_ENOFACE, -9, "no face found")                                                            \
    X(PA_EAGAIN, -10, "try again")                                                                \
    X(PA_EBUG, -11, "internal bug")                                                               \
    X(PA_EEXTERNAL, -12, "external library or program failed")                                    \
    X(PA_EOVERFLOW, -13, "size overflow")

enum pa_err {
    PA_OK = 0,
#define PA__ERR_ENUM(name, value, msg) name = value,
    PA_ERR_LIST(PA__ERR_ENUM)
#undef PA__ERR_ENUM
};

/** @return a static, human-readable message for an error code (never NULL). */
const char *pa_strerror(int err);

/* ------------------------------------------------------------------------------------------ */
/* Logging                                                                                     */
/* ------------------------------------------------------------------------------------------ */

enum pa_log_level { PA_LOG_QUIET = 0, PA_LOG_ERROR, PA_LOG_WARN, PA_LOG_INFO, PA_LOG_DEBUG };

/**
 * Set log levels from a spec like "info" or "warn,nn:debug,io:info" (the PA_DEBUG variable
 * uses the same syntax and is read on the first log call).
 * @return 0, or PA_EINVAL for an unparsable spec.
 */
int pa_log_set(const char *spec);

/* ------------------------------------------------------------------------------------------ */
/* Images                                                                                      */
/* ------------------------------------------------------------------------------------------ */

enum pa_pixfmt {
    PA_PIX_GRAY8 = 0, ///< 1 byte per pixel
    PA_PIX_RGB24,     ///< 3 bytes per pixel, R G B
    PA_PIX_RGBA32,    ///< 4 bytes per pixel, R G B A
};

/**
 * An 8-bit interleaved image. `data` points at the top-left pixel, rows are `stride` bytes
 * apart (stride >= w * bytes per pixel). An owning image (from pa_image_alloc / load) has
 * `owner_buf != NULL`; a view borrows someone else's pixels.
 */
struct pa_image {
    uint8_t *data;
    int stride; ///< bytes between rows
    int w, h;   ///< pixels
    enum pa_pixfmt fmt;
    void *owner_buf; ///< allocation to free, NULL for views
};

/** @return bytes per pixel of a format (1, 3 or 4). */
int pa_pixfmt_bpp(enum pa_pixfmt fmt);

/**
 * Allocate an image with 64-byte aligned rows, padded at the end by at least 16 bytes.
 * Pixels are zeroed. @return 0, PA_EINVAL for bad sizes, PA_ENOMEM.
 */
int pa_image_alloc(struct pa_image *img, int w, int h, enum pa_pixfmt fmt);

/** Free an owning image's pixels and zero the struct; views and zeroed structs are no-ops. */
void pa_image_free(struct pa_image *img);

/** Make `view` borrow the rectangle (x, y, w, h) of `src`; the rectangle must lie inside. */
int pa_image_view(struct pa_image *view, const struct pa_image *src, int x, int y, int w, int h);

/**
 * Load a PNG or JPEG file (detected from its bytes, not its name) as RGB24 (alpha dropped,
 * grey expanded, no colour management, EXIF orientation applied for JPEG).
 * @return 0; PA_ENOENT; PA_EINVALDATA for a corrupt or unsupported file (logged with the path).
 */
int pa_image_load(struct pa_image *img, const char *path);

/** Decode a PNG or JPEG held in memory (same rules as pa_image_load). `what` names it in logs. */
int pa_image_decode(struct pa_image *img, const uint8_t *bytes, size_t size, const char *what);

/**
 * Save as PNG or JPEG, chosen by the extension (.png, .jpg/.jpeg). The file is written to a
 * temporary name and renamed, so a failed save never leaves a partial file.
 * @param quality JPEG quality 1..100 (ignored for PNG).
 */
int pa_image_save(const struct pa_image *img, const char *path, int quality);

/** Bilinear resize of `src` into `dst` (both allocated, same format, any sizes). */
int pa_image_resize(const struct pa_image *src, struct pa_image *dst);

/**
 * Affine warp with bilinear sampling: for every dst pixel centre p (pixel coords, centre at
 * +0.5), sample src at M·[p;1], where M is a 2x3 row-major matrix mapping dst → src pixel
 * coordinates (same half-pixel convention). Outside src, `border` (per channel) is used.
 */
int pa_image_warp_affine(const struct pa_image *src, struct pa_image *dst, const float m[6],
                         const uint8_t border[4]);

/**
 * The same warp writing floats for a network input: dst is h×w×3 float, each channel
 * mapped as v * scale + offset (e.g. scale 1/127.5, offset -1 → [-1, 1]). Outside src the
 * border value is 0 before scaling.
 */
int pa_image_warp_affine_f32(const struct pa_image *src, float *dst, int w, int h,
                             const float m[6], float scale, float offset);

/* ------------------------------------------------------------------------------------------ */
/* Thread pool                                                                                 */
/* ------------------------------------------------------------------------------------------ */

struct pa_parallel;

/**
 * Create a pool of `threads` workers (0 or 1 = run everything on the calling thread).
 * Only the app layer calls this; libraries receive the pool.
 */
int pa_parallel_create(struct pa_parallel **out, int threads);
void pa_parallel_destroy(struct pa_parallel *par);
/** @return the number of threads (>= 1). */
int pa_parallel_threads(const struct pa_parallel *par);

/* ------------------------------------------------------------------------------------------ */
/* Neural networks (TFLite models on XNNPACK or reference kernels)                             */
/* ------------------------------------------------------------------------------------------ */

struct pa_nn_model;
struct pa_nn_session;

enum pa_nn_backend {
    PA_NN_BACKEND_AUTO = 0, ///< XNNPACK when built in, else reference
    PA_NN_BACKEND_REF,      ///< plain C reference kernels
    PA_NN_BACKEND_XNNPACK,  ///< one XNNPACK subgraph per model, ref kernels at the boundaries
};

/** @return "ref", "xnnpack" or "auto". */
const char *pa_nn_backend_name(enum pa_nn_backend b);

/** @return 1 when the XNNPACK backend was compiled in. */
int pa_nn_have_xnnpack(void);

/**
 * Load a .tflite file: map it read-only, validate every offset, build the graph and fold
 * constants (fp16 weights become f32). The model is immutable and may be shared by sessions
 * on several threads.
 * @return 0; PA_ENOENT; PA_EINVALDATA naming the file; PA_EUNSUPPORTED for unknown ops.
 */
int pa_nn_model_load(struct pa_nn_model **out, const char *path);
void pa_nn_model_destroy(struct pa_nn_model *model);

/** Tensor shape query: `which` 0 = inputs, 1 = outputs. dims gets up to 4 entries (NHWC). */
int pa_nn_model_io(const struct pa_nn_model *model, int which, int index, int dims[4],
                   int *ndim, const char **name);
int pa_nn_model_num_io(const struct pa_nn_model *model, int which);

/**
 * Create a session (per thread): plans the intermediate arena and prepares the backend.
 * No allocation happens in pa_nn_session_run after this.
 * @param model must outlive the session.
 * @param par thread pool, may be NULL (single-threaded); must outlive the session.
 */
int pa_nn_session_create(struct pa_nn_session **out, const struct pa_nn_model *model,
                         enum pa_nn_backend backend, struct pa_parallel *par);
void pa_nn_session_destroy(struct pa_nn_session *s);

/** @return the backend the session really runs on (never AUTO). */
enum pa_nn_backend pa_nn_session_backend(const struct pa_nn_session *s);

/** @return the session-owned input/output buffer (f32, NHWC, contiguous), valid until destroy. */
float *pa_nn_session_input(struct pa_nn_session *s, int index);
const float *pa_nn_session_output(const struct pa_nn_session *s, int index);

/** Run one inference on the current input buffers. */
int pa_nn_session_run(struct pa_nn_session *s);

/* ------------------------------------------------------------------------------------------ */
/* Face tracking                                                                               */
/* ------------------------------------------------------------------------------------------ */

#define PA_FACE_MAX_POINTS 478 ///< 468 mesh points + 2 × 5 iris points
#define PA_FACE_MESH_POINTS 468

/**
 * Head pose: the similarity transform that maps MediaPipe's canonical face mesh (centimetres,
 * x = the person's left, y up, z out of the face) onto the landmarks:
 * p = t + scale · F · rot · c with F = diag(1, -1, -1) (see docs/TRACKING.md).
 * Angles in degrees: yaw > 0 the face turns toward the image right (the person's left),
 * pitch > 0 chin up, roll > 0 the head tilts counter-clockwise on screen.
 */
struct pa_head_pose {
    float yaw, pitch, roll; ///< degrees
    float tx, ty, tz;       ///< where the canonical origin lands, image pixels (z same scale)
    float scale;            ///< image pixels per canonical centimetre
    float rot[9];           ///< row-major rotation, canonical -> view space (x right, y up)
};

/**
 * Expression features, measured on the pose-free (canonical) shape so head turns do not
 * change them. D = the distance between the outer eye corners (landmarks 33 and 263).
 * Index 0 = the person's right side (image left for a frontal face), 1 = left.
 * All are 0 for a face not found.
 */
struct pa_face_expr {
    float eye_open[2];   ///< mean lid gap / eye width: 0 closed, ~0.3 open, ~0.4 wide (0..1)
    float gaze_x[2];     ///< iris offset / half eye width, -1..1, > 0 toward the image right
    float gaze_y[2];     ///< -1..1, > 0 up, ~+0.15 looking ahead (0 with 468 points)
    float mouth_open;    ///< inner-lip gap / D: ~0.01 closed, ~0.15 talking, ~0.35 wide (0..1)
    float mouth_width;   ///< corner distance / D: ~0.55 neutral, ~0.8 broad smile (0..1.5)
    float smile;         ///< corner height above the lip centre / D: ~-0.02 neutral, +0.07 smile
    float pucker;        ///< (0.55 - mouth_width) / 0.25: 0 neutral, ~0.35 "O", ~0.75 "oo"
    float brow_raise[2]; ///< brow height above the eye line / D: ~0.3 neutral, ~0.4 raised
    float jaw_x;         ///< chin offset from the nose bridge / D, > 0 image right (-0.5..0.5)
};

/** What the tracker says about one frame. */
struct pa_face_state {
    double t;          ///< timestamp given to pa_tracker_process, seconds
    int found;         ///< 1 when a face was tracked in this frame
    int num_faces;     ///< faces found by the most recent detection
    int detected;      ///< 1 when the detector ran on this frame
    float score;       ///< face presence probability from the landmark network, 0..1
    int n_points;      ///< 468 or 478 when found, else 0
    float pts[PA_FACE_MAX_POINTS][3]; ///< image pixels (x, y), z in x's scale, smaller = closer
    float box[4];      ///< landmark bounding box x0, y0, x1, y1, image pixels
    float canonical[PA_FACE_MESH_POINTS][3]; ///< the face shape with the pose removed, cm
    struct pa_head_pose pose;
    struct pa_face_expr expr;
};

enum pa_face_select {
    PA_FACE_LARGEST = 0, ///< the biggest face (default)
    PA_FACE_CENTRAL,     ///< the face nearest the image centre
    PA_FACE_INDEX,       ///< the N-th face in detector order (best score first)
};

struct pa_tracker_params {
    int landmarks;             ///< 478 (attention model, default) or 468 (plain model)
    enum pa_face_select select;
    int select_index;          ///< for PA_FACE_INDEX
    float min_detection_score; ///< detector threshold, default 0.5
    float min_presence;        ///< landmark presence below this = face lost, default 0.5
    int detect_every_frame;    ///< 1 = run the detector each frame instead of tracking
    int smooth;                ///< 1 = One Euro filter on landmarks and pose (default)
    float smooth_min_cutoff;   ///< One Euro min cutoff, Hz (default 1.0 ... see TRACKING.md)
    float smooth_beta;         ///< One Euro speed coefficient
    float smooth_d_cutoff;     ///< One Euro derivative cutoff, Hz
    enum pa_nn_backend backend;
};

/** @return the defaults (by value, as whisper.cpp does). */
struct pa_tracker_params pa_tracker_default_params(void);

struct pa_tracker;

/**
 * Load the models from `models_dir` (face_detection_short_range.tflite, the landmark model,
 * geometry_pipeline_metadata_landmarks.binarypb) and prepare every buffer.
 * @param par pool for the networks, may be NULL; must outlive the tracker.
 * @return 0; PA_ENOENT / PA_EINVALDATA naming the file; PA_ENOMEM.
 */
int pa_tracker_create(struct pa_tracker **out, const char *models_dir,
                      const struct pa_tracker_params *params, struct pa_parallel *par);
void pa_tracker_destroy(struct pa_tracker *tr);

/**
 * Track one RGB24 frame. Frames of a stream must come in time order; a still image is a
 * stream of one (call pa_tracker_reset between unrelated images). No allocation.
 * @return 0 (also when no face is found: out->found = 0); PA_EINVAL for a bad image.
 */
int pa_tracker_process(struct pa_tracker *tr, const struct pa_image *img, double t,
                       struct pa_face_state *out);

/** Forget the previous frame (next call runs the detector, filters restart). */
void pa_tracker_reset(struct pa_tracker *tr);

/* ------------------------------------------------------------------------------------------ */
/* Person segmentation                                                                         */
/* ------------------------------------------------------------------------------------------ */

struct pa_segmenter;

/** Load selfie_segmentation.tflite from `models_dir`. @param par may be NULL; must outlive. */
int pa_segmenter_create(struct pa_segmenter **out, const char *models_dir,
                        enum pa_nn_backend backend, struct pa_parallel *par);
void pa_segmenter_destroy(struct pa_segmenter *s);

/**
 * Person mask of an RGB24 image: `mask` (GRAY8, any size; usually the image's) receives
 * 0 (background) .. 255 (person), resampled from the network's 256×256 output.
 */
int pa_segmenter_run(struct pa_segmenter *s, const struct pa_image *img, struct pa_image *mask);

/* ------------------------------------------------------------------------------------------ */
/* Animation                                                                                   */
/* ------------------------------------------------------------------------------------------ */

enum pa_anim_method {
    PA_ANIM_MESH = 0, ///< landmark-driven 3D mesh reenactment (the real thing)
    PA_ANIM_AFFINE2D, ///< baseline: the whole portrait moved by a 2D similarity transform
    PA_ANIM_STATIC,   ///< baseline: the portrait, unmoved
};

/** Which parts follow the driver (bit mask). */
enum pa_anim_follow {
    PA_FOLLOW_POSE = 1,
    PA_FOLLOW_EXPRESSION = 2, ///< brows, cheeks, jaw: everything not eyes or lips
    PA_FOLLOW_EYES = 4,       ///< lids and gaze
    PA_FOLLOW_LIPS = 8,
    PA_FOLLOW_ALL = 15,
};

enum pa_mouth_fill {
    PA_MOUTH_AUTO = 0,   ///< the driver's mouth interior when a driver image is given, else procedural
    PA_MOUTH_DRIVER,
    PA_MOUTH_PROCEDURAL, ///< dark cavity with teeth shading
    PA_MOUTH_NONE,       ///< stretch the portrait's own pixels (what a naive warp does)
};

/** Animation controls; all may change per frame through pa_animator_set_params. */
struct pa_anim_params {
    enum pa_anim_method method;
    int absolute;          ///< 0: relative to the driver's reference frame (default); 1: absolute
    int absolute_pose;     ///< with absolute: also copy the driver's head pose
    float expr_scale;      ///< multiplies the transferred expression (default 1)
    float yaw_mul, pitch_mul, roll_mul; ///< head-rotation multipliers (default 1)
    float eye_open_ratio;  ///< < 0: follow the driver; else force this eye openness (0 = closed)
    float lip_open_ratio;  ///< < 0: follow the driver; else force this mouth openness
    unsigned follow;       ///< enum pa_anim_follow bits (default PA_FOLLOW_ALL)
    int stitching;         ///< 1: shoulders and the crop border stay still (default)
    enum pa_mouth_fill mouth;
    float crop_scale;      ///< working crop side / face size (default 2.5)
    int crop_size;         ///< working crop resolution in pixels (default 512)
    float release_time;    ///< seconds to ease back to neutral when the driver is lost (0.3)
};

struct pa_anim_params pa_anim_default_params(void);

struct pa_rig;

/**
 * Build the rig of a portrait: crop, deformation mesh, masks. Well under a second.
 * @param portrait RGB24; copied (the caller may free it afterwards).
 * @param face the portrait's tracked face (found must be 1).
 * @param person_mask GRAY8 person mask of the portrait's size, or NULL (then only the face
 *        region moves with the head).
 * @return 0; PA_ENOFACE when face->found is 0; PA_EINVAL; PA_ENOMEM.
 */
int pa_rig_create(struct pa_rig **out, const struct pa_image *portrait,
                  const struct pa_face_state *face, const struct pa_image *person_mask,
                  const struct pa_anim_params *params);
void pa_rig_destroy(struct pa_rig *rig);

struct pa_animator;

/**
 * @param rig must outlive the animator (swap portraits by creating a new animator).
 * @param par pool for rendering, may be NULL; must outlive the animator.
 */
int pa_animator_create(struct pa_animator **out, const struct pa_rig *rig,
                       const struct pa_anim_params *params, struct pa_parallel *par);
void pa_animator_destroy(struct pa_animator *a);
int pa_animator_set_params(struct pa_animator *a, const struct pa_anim_params *params);
/** The next driver frame with a face becomes the new reference (relative mode's neutral). */
void pa_animator_calibrate(struct pa_animator *a);

/**
 * Render one frame: the portrait moved like `driver`. `out` must be RGB24 of the portrait's
 * size. `driver_frame` (may be NULL) is the image the driver state came from, used for the
 * mouth interior. A driver with found = 0 eases back to neutral over release_time and holds.
 * No allocation.
 */
int pa_animator_render(struct pa_animator *a, const struct pa_face_state *driver,
                       const struct pa_image *driver_frame, struct pa_image *out);

/* ------------------------------------------------------------------------------------------ */
/* Idle motion: a procedural driver (breathing, blinks, sway, gaze shifts, smiles)             */
/* ------------------------------------------------------------------------------------------ */

struct pa_idle;

/**
 * @param neutral the face the motion is built around (usually the portrait's own tracked
 *        face); copied. @param seed makes the motion reproducible.
 */
int pa_idle_create(struct pa_idle **out, const struct pa_face_state *neutral, uint32_t seed);
void pa_idle_destroy(struct pa_idle *idle);
/** Face state at time t (seconds, increasing): neutral plus procedural motion. */
int pa_idle_next(struct pa_idle *idle, double t, struct pa_face_state *out);

#ifdef __cplusplus
}
#endif
#endif /* PANIM_H */

/** @file
 * Output backends behind one small vtable: each takes RGB24 frames and fails on its own
 * without taking the others down (the pipeline closes a failed output and keeps going).
 * Specs: "window", "v4l2:/dev/videoN", "file:PATH.mp4|.mkv", "stream:rtmp://...|srt://...",
 * "mjpeg:PORT", "ndi:NAME". Registered in output.c (one table, like FFmpeg's allfilters.c).
 */
#ifndef PA_IO_OUTPUT_H
#define PA_IO_OUTPUT_H

#include "core/pa_common.h"
#include "panim.h"

struct pa_output;

struct pa_output_params {
    int width, height; ///< frame size every write will have
    double fps;        ///< nominal rate
    const char *audio_from; ///< file outputs: copy audio from here (offline mode), or NULL
};

/** Overlay information an interactive output may show (window). */
struct pa_output_info {
    double fps_in, fps_out, latency_ms;
    const struct pa_face_state *driver; ///< may be NULL
    const struct pa_image *driver_frame; ///< may be NULL
};

/** Events an interactive output reports back (window hotkeys). */
enum pa_output_event {
    PA_OUT_EV_NONE = 0,
    PA_OUT_EV_QUIT,
    PA_OUT_EV_NEXT_PORTRAIT,
    PA_OUT_EV_PREV_PORTRAIT,
    PA_OUT_EV_CALIBRATE,
};

struct pa_output_ops {
    const char *prefix; ///< spec prefix: "window", "v4l2", "file", "stream", "mjpeg", "ndi"
    int (*open)(void **state, const char *arg, const struct pa_output_params *p);
    /** Write one frame (may block: each output has its own thread). */
    int (*write)(void *state, const struct pa_image *frame, const struct pa_output_info *info);
    /** Optional: poll UI events (window). */
    enum pa_output_event (*poll)(void *state); /* optional */
    /** Flush and close; files must be valid afterwards. Accepts NULL. */
    int (*close)(void *state);
};

int pa_output_open(struct pa_output **out, const char *spec, const struct pa_output_params *p);
int pa_output_write(struct pa_output *o, const struct pa_image *frame,
                    const struct pa_output_info *info);
enum pa_output_event pa_output_poll(struct pa_output *o);
const char *pa_output_spec(const struct pa_output *o);
int pa_output_close(struct pa_output *o);

#endif /* PA_IO_OUTPUT_H */

/** @file
 * Output backends behind one small vtable: each takes RGB24 frames and fails on its own
 * without taking the others down (the pipeline closes a failed output and keeps going).
 * Registered in output.c (one table, like FFmpeg's allfilters.c). Specs:
 *
 *   window                      SDL2 window with hotkeys (out_sdl.c)
 *   v4l2:/dev/videoN[:yuyv|:rgb24]  v4l2loopback virtual camera (out_v4l2loopback.c)
 *   file:PATH.mp4 | file:PATH.mkv   H.264 recording (out_file_ffmpeg.c)
 *   stream:rtmp://... | stream:srt://...  live H.264 stream, FLV or MPEG-TS (same file)
 *   mjpeg:PORT | mjpeg:HOST:PORT    MJPEG over HTTP, 127.0.0.1 unless HOST (out_mjpeg_http.c)
 *   ndi:NAME                    NDI sender through the runtime found at open (out_ndi.c)
 *   null[:NAME]                 counts frames and discards them (out_null.c, benchmarks)
 *
 * Threads: the app gives each output its own thread (sinks block: encoder, socket, device).
 * One output's open, write, poll and close must all be called from that same thread; the
 * window output requires it (SDL's event pump belongs to the thread that made the window),
 * the others merely expect it. Different outputs are independent. The MJPEG output serves
 * clients from libmicrohttpd's own threads (owned by the library, started in open and joined
 * in close); it is the one backend with threads the app does not create.
 *
 * Errors: after a failed write an output is closed for good: later writes return the same
 * error at once without touching the backend; pa_output_close still frees it.
 */
#ifndef PA_IO_OUTPUT_H
#define PA_IO_OUTPUT_H

#include "core/pa_common.h"
#include "panim.h"

struct pa_output;

struct pa_output_params {
    int width, height;      ///< frame size every write will have (pixels)
    double fps;             ///< nominal rate (frames per second; <= 0 means 30)
    const char *audio_from; ///< file outputs: copy audio from here (offline mode), or NULL
    int live; ///< 1: live pipeline: file/stream time-stamp frames by the clock (drops leave
              ///< gaps, not a fast video) and x264 runs zerolatency; 0: every frame in order
};

/** Overlay information an interactive output may show (window). Borrowed for one write. */
struct pa_output_info {
    double fps_in, fps_out, latency_ms;
    const struct pa_face_state *driver;  ///< may be NULL; points in driver_frame pixels
    const struct pa_image *driver_frame; ///< may be NULL; RGB24
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
    /**
     * @param arg the spec after "prefix:" ("" when there is none); borrowed for the call.
     * @return 0 with *state set; a negative enum pa_err, logged once with the reason.
     */
    int (*open)(void **state, const char *arg, const struct pa_output_params *p);
    /** Write one RGB24 frame of the open size (may block). @param info may be NULL. */
    int (*write)(void *state, const struct pa_image *frame, const struct pa_output_info *info);
    /** Poll one UI event; call until PA_OUT_EV_NONE (window). */
    enum pa_output_event (*poll)(void *state); /* optional */
    /** The TCP port actually bound (mjpeg with port 0 picks a free one). */
    int (*port)(void *state); /* optional */
    /** Flush and close; files must be valid afterwards. Accepts NULL. */
    int (*close)(void *state);
};

/**
 * Open the output a spec names (see the file comment).
 * @return 0; PA_EINVAL (unknown prefix or bad argument); PA_EUNSUPPORTED (backend not built
 *         in, or its runtime missing); the backend's error (PA_EIO, PA_ENOENT, ...), logged.
 */
int pa_output_open(struct pa_output **out, const char *spec, const struct pa_output_params *p);
/**
 * Send one frame. @param frame RGB24 of the size given at open, borrowed for the call.
 * @param info overlay data, may be NULL. @return 0 or the output's (sticky) error.
 */
int pa_output_write(struct pa_output *o, const struct pa_image *frame,
                    const struct pa_output_info *info);
/** Next UI event, PA_OUT_EV_NONE when there is none or the output has no UI. */
enum pa_output_event pa_output_poll(struct pa_output *o);
/** @return the spec the output was opened with (borrowed from o). */
const char *pa_output_spec(const struct pa_output *o);
/** @return the bound TCP port of a network output, or PA_EUNSUPPORTED for others. */
int pa_output_port(const struct pa_output *o);
/**
 * Flush and free (accepts NULL). @return 0, the close error (a file that could not be
 * finished), or the sticky error of an output that had failed earlier.
 */
int pa_output_close(struct pa_output *o);

/* Backends, listed once in output.c. Some are compiled only with their library. */
extern const struct pa_output_ops pa_output_window_ops; ///< out_sdl.c (PA_HAVE_SDL2)
extern const struct pa_output_ops pa_output_v4l2_ops;   ///< out_v4l2loopback.c
extern const struct pa_output_ops pa_output_file_ops;   ///< out_file_ffmpeg.c
extern const struct pa_output_ops pa_output_stream_ops; ///< out_file_ffmpeg.c
extern const struct pa_output_ops pa_output_mjpeg_ops;  ///< out_mjpeg_http.c
extern const struct pa_output_ops pa_output_ndi_ops;    ///< out_ndi.c
extern const struct pa_output_ops pa_output_null_ops;   ///< out_null.c (benchmarks)

#endif /* PA_IO_OUTPUT_H */

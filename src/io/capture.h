/** @file
 * Capture backends behind one small vtable (GStreamer's v4l2src / FFmpeg's demuxers in
 * spirit): a capture produces RGB24 frames with capture timestamps. Backends: V4L2 webcams
 * (capture_v4l2.c), FFmpeg files/URLs (capture_ffmpeg.c), still images and folders
 * (capture_source.c, over io/source.h) and the idle clock (capture_source.c: no pixels, the
 * pipeline turns each tick into a procedural face state). pa_capture_open() picks the backend
 * from a URI:
 *   "webcam" | "webcam:/dev/videoN" | "idle" | a file, folder or URL.
 */
#ifndef PA_IO_CAPTURE_H
#define PA_IO_CAPTURE_H

#include "core/pa_common.h"
#include "panim.h"

struct pa_capture;

struct pa_capture_params {
    int width, height;   ///< requested size for cameras (0 = device default, 1280x720 preferred)
    double fps;          ///< requested rate for cameras / the rate for stills and idle (0 = 30)
    int loop;            ///< files: start again at the end (--loop)
    int realtime;        ///< files: pace frames by their timestamps (live mode) instead of ASAP
    uint32_t seed;       ///< idle
};

/** One captured frame. The image is owned by the capture and valid until the next read. */
struct pa_capture_frame {
    struct pa_image img;     ///< RGB24; w = h = 0 for idle ticks (no pixels)
    double t;                ///< stream time in seconds
    int64_t capture_ns;      ///< monotonic clock when the frame was captured (latency origin)
    int64_t seq;             ///< frame number
};

/** Monotonic clock in nanoseconds (the latency origin of every frame). */
int64_t pa_capture_now_ns(void);

/** 1 when the capture produces idle ticks (no pixels). */
int pa_capture_is_idle(const struct pa_capture *c);

struct pa_capture_ops {
    const char *name;
    /** Is this URI ours? (a quick, side-effect-free check) */
    int (*probe)(const char *uri);
    int (*open)(void **state, const char *uri, const struct pa_capture_params *p);
    /**
     * Next frame. @return 0; PA_EOF at the end of a finite source; PA_EAGAIN when no frame is
     * ready yet (non-blocking sources); PA_EIO when the device is gone (the app retries open).
     */
    int (*read)(void *state, struct pa_capture_frame *f);
    void (*close)(void *state); ///< accepts NULL
};

int pa_capture_open(struct pa_capture **out, const char *uri, const struct pa_capture_params *p);
int pa_capture_read(struct pa_capture *c, struct pa_capture_frame *f);
const char *pa_capture_name(const struct pa_capture *c);
void pa_capture_close(struct pa_capture *c);

#endif /* PA_IO_CAPTURE_H */

/** @file
 * V4L2 device discovery and format negotiation for webcams (used by capture_v4l2.c,
 * `panim devices` and `panim doctor`): list /dev/video* with their capabilities and
 * (format, size, frame rate) modes, and pick the best mode for a request.
 *
 * The mode choice is a pure function over a list, so it is unit-tested without a camera.
 * Nothing here keeps state; every function may run on any thread.
 */
#ifndef PA_IO_V4L2_DEV_H
#define PA_IO_V4L2_DEV_H

#include <stddef.h>
#include <stdint.h>

/** Most modes kept per device (a 1080p webcam lists ~250: 2 formats × sizes × rates). */
#define PA_V4L2_MAX_MODES 640

/** One capture mode: a pixel format at a frame size and frame rate. */
struct pa_v4l2_mode {
    uint32_t fourcc; ///< V4L2 pixel format (V4L2_PIX_FMT_MJPEG, _YUYV, _NV12, _YUV420, ...)
    int w, h;
    double fps; ///< frames per second; 0 = unknown (the driver lists no intervals)
};

/** What one /dev/videoN is. */
struct pa_v4l2_devinfo {
    char path[32];
    char card[64];   ///< VIDIOC_QUERYCAP card name ("HD Pro Webcam C920")
    char driver[32]; ///< "uvcvideo", "v4l2 loopback", ...
    char bus[64];    ///< bus_info ("usb-0000:00:14.0-1")
    uint32_t caps;   ///< device capabilities (device_caps when the driver sets them)
    int capture;     ///< single-planar video capture with streaming I/O
    int output;      ///< video output (a v4l2loopback device before a writer opens it)
    int loopback;    ///< driver is v4l2loopback (a virtual camera, maybe our own output)
    int open_errno;  ///< errno of a failed open (EACCES: not in the 'video' group), else 0
    int n_modes;
    struct pa_v4l2_mode modes[PA_V4L2_MAX_MODES];
};

/**
 * Open `path` (non-blocking, read-write), query its capabilities and, with `with_modes`,
 * enumerate its capture modes. Errors are not logged (callers decide how to report).
 * @return 0; PA_ENOENT (no such device; info->open_errno set); PA_EIO (open or QUERYCAP
 *         failed: not a V4L2 device, permission denied, ...; info->open_errno set).
 */
int pa_v4l2_query(const char *path, struct pa_v4l2_devinfo *info, int with_modes);

/**
 * Every /dev/videoN in numeric order (devices that cannot be opened included, with
 * open_errno set), at most `max`.
 * @return the number of entries written (0 when there are none).
 */
int pa_v4l2_list(struct pa_v4l2_devinfo *info, int max, int with_modes);

/**
 * The default webcam: the first /dev/videoN that is a capture device and not v4l2loopback
 * (a loopback device may be our own output). @return 0 with path filled; PA_ENOENT.
 */
int pa_v4l2_find_camera(char *path, size_t n);

/**
 * Enumerate an open device's capture modes (VIDIOC_ENUM_FMT, _ENUM_FRAMESIZES,
 * _ENUM_FRAMEINTERVALS). Stepwise/continuous ranges are sampled at the common sizes
 * (640x480, 1280x720, 1920x1080, ...) and rates (15, 24, 25, 30, 60, ...) they contain, plus
 * their extremes. @return the number of modes written (at most max).
 */
int pa_v4l2_enum_modes(int fd, struct pa_v4l2_mode *modes, int max);

/** @return 1 when capture_v4l2.c can decode this FourCC (MJPEG/JPEG, YUYV, NV12, YU12). */
int pa_v4l2_fourcc_supported(uint32_t fourcc);

/**
 * Choose the best mode for a request (pure; see v4l2_dev.c for the rules).
 * @param want_w, want_h requested size (0 = 1280x720)
 * @param want_fps requested rate (0 = 30)
 * @return the index of the chosen mode in `modes`; PA_EUNSUPPORTED when no mode has a
 *         format we can decode (n = 0 included).
 */
int pa_v4l2_choose_mode(const struct pa_v4l2_mode *modes, int n, int want_w, int want_h,
                        double want_fps);

#endif /* PA_IO_V4L2_DEV_H */

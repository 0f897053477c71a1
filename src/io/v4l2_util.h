/** @file
 * Small helpers shared by the V4L2 output (v4l2loopback) and the V4L2 capture: ioctl with
 * EINTR retry, printable FourCC names, and the RGB24 → YUYV conversion both directions of
 * a virtual camera need.
 */
#ifndef PA_IO_V4L2_UTIL_H
#define PA_IO_V4L2_UTIL_H

#include <stdint.h>

/** ioctl(fd, req, arg), retried while it fails with EINTR. @return ioctl's result (errno set). */
int pa_xioctl(int fd, unsigned long req, void *arg);

/**
 * Printable name of a V4L2 FourCC ("YUYV", "MJPG"; unprintable bytes become '.'; a
 * big-endian-flagged code gets "-BE"). @param buf at least 8 bytes. @return buf.
 */
const char *pa_v4l2_fourcc_name(uint32_t fourcc, char *buf);

/**
 * Convert one RGB24 row of w pixels (w even) to YUYV 4:2:2 (Y0 U Y1 V per pixel pair),
 * BT.601 limited range (Y 16..235, U/V 16..240); each pair's chroma is the mean of its two
 * pixels. Thread-safe, no allocation.
 */
void pa_v4l2_rgb24_to_yuyv_row(const uint8_t *rgb, uint8_t *yuyv, int w);

#endif /* PA_IO_V4L2_UTIL_H */

/** @file
 * V4L2 helpers: EINTR-safe ioctl, FourCC names, RGB24 → YUYV.
 *
 * Algorithm digest (RGB → YCbCr, ITU-R BT.601, 8-bit limited range), in the usual 8-bit
 * fixed-point form with rounding (coefficients × 256):
 *   Y  =  16 + ((  66 R + 129 G +  25 B + 128) >> 8)
 *   Cb = 128 + (( -38 R -  74 G + 112 B + 128) >> 8)
 *   Cr = 128 + (( 112 R -  94 G -  18 B + 128) >> 8)
 * Chroma of a YUYV pair uses the pair's sums (R0+R1, ...) and shifts by 9 instead of 8.
 * A bias of 128 << 9 keeps the value non-negative before the shift (no implementation-defined
 * right shift of negatives); the result is then 16..240 without clamping.
 */
#include "io/v4l2_util.h"

#include <errno.h>
#include <sys/ioctl.h>

int pa_xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do {
        r = ioctl(fd, req, arg);
    } while (r == -1 && errno == EINTR);
    return r;
}

const char *pa_v4l2_fourcc_name(uint32_t fourcc, char *buf)
{
    for (int i = 0; i < 4; i++) {
        unsigned c = (fourcc >> (8 * i)) & 0x7f;
        buf[i] = (char)(c >= 32 && c < 127 ? c : '.');
    }
    buf[4] = 0;
    if (fourcc & (1u << 31)) {
        buf[4] = '-';
        buf[5] = 'B';
        buf[6] = 'E';
        buf[7] = 0;
    }
    return buf;
}

void pa_v4l2_rgb24_to_yuyv_row(const uint8_t *rgb, uint8_t *yuyv, int w)
{
    for (int x = 0; x + 1 < w; x += 2, rgb += 6, yuyv += 4) {
        int r0 = rgb[0], g0 = rgb[1], b0 = rgb[2];
        int r1 = rgb[3], g1 = rgb[4], b1 = rgb[5];
        int rs = r0 + r1, gs = g0 + g1, bs = b0 + b1;
        yuyv[0] = (uint8_t)(16 + ((66 * r0 + 129 * g0 + 25 * b0 + 128) >> 8));
        yuyv[1] = (uint8_t)((-38 * rs - 74 * gs + 112 * bs + 256 + (128 << 9)) >> 9);
        yuyv[2] = (uint8_t)(16 + ((66 * r1 + 129 * g1 + 25 * b1 + 128) >> 8));
        yuyv[3] = (uint8_t)((112 * rs - 94 * gs - 18 * bs + 256 + (128 << 9)) >> 9);
    }
}

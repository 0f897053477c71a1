/** @file
 * Dots, lines and rectangles on RGB24 images (overlays; not a hot path).
 */
#include "draw.h"

#include <math.h>

static void put(struct pa_image *img, int x, int y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || x >= img->w || y >= img->h || img->fmt != PA_PIX_RGB24)
        return;
    uint8_t *p = img->data + (size_t)y * (size_t)img->stride + (size_t)x * 3u;
    p[0] = rgb[0];
    p[1] = rgb[1];
    p[2] = rgb[2];
}

void pa_draw_dot(struct pa_image *img, float x, float y, float r, const uint8_t rgb[3])
{
    if (!isfinite(x) || !isfinite(y))
        return;
    int x0 = (int)floorf(x - r), x1 = (int)ceilf(x + r);
    int y0 = (int)floorf(y - r), y1 = (int)ceilf(y + r);
    for (int yy = y0; yy <= y1; yy++) {
        for (int xx = x0; xx <= x1; xx++) {
            float dx = (float)xx + 0.5f - x, dy = (float)yy + 0.5f - y;
            if (dx * dx + dy * dy <= r * r)
                put(img, xx, yy, rgb);
        }
    }
}

void pa_draw_line(struct pa_image *img, float x0, float y0, float x1, float y1,
                  const uint8_t rgb[3])
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    float dx = x1 - x0, dy = y1 - y0;
    float len = fmaxf(fabsf(dx), fabsf(dy));
    /* Long lines are clipped by put(); cap the step count so a wild point cannot stall. */
    int steps = (int)fminf(ceilf(len), 20000.0f);
    for (int i = 0; i <= steps; i++) {
        float t = steps ? (float)i / (float)steps : 0.0f;
        put(img, (int)floorf(x0 + t * dx), (int)floorf(y0 + t * dy), rgb);
    }
}

void pa_draw_rect(struct pa_image *img, float x0, float y0, float x1, float y1,
                  const uint8_t rgb[3])
{
    pa_draw_line(img, x0, y0, x1, y0, rgb);
    pa_draw_line(img, x1, y0, x1, y1, rgb);
    pa_draw_line(img, x1, y1, x0, y1, rgb);
    pa_draw_line(img, x0, y1, x0, y0, rgb);
}

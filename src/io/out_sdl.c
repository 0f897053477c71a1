/** @file
 * The live window ("window"): an SDL2 window showing the animated frames, with hotkeys
 *   F fullscreen    O FPS/latency overlay    L driver landmarks    S side-by-side driver view
 *   N / P next / previous portrait (events)  C calibrate (event)   Q / Esc quit (event)
 * F, O, L and S are handled here; the others come back from poll() for the app to act on.
 *
 * Thread rule: SDL's event pump belongs to the thread that created the window, so open,
 * write, poll and close must all run on one thread (the output's own thread in the
 * pipeline); write and poll assert it. write also pumps events so the window stays
 * responsive between polls.
 *
 * Drawing: frames are RGB24 and go straight into a streaming RGB24 texture when nothing is
 * drawn over them; otherwise they are copied into a canvas allocated at open (2·w × h: the
 * frame and, for S, the driver panel on its right), annotated, then uploaded. Text uses the
 * tiny 5×7 bitmap font below, so no font library is needed. The renderer scales the canvas
 * to the window with the aspect ratio kept (SDL_RenderSetLogicalSize).
 *
 * No display (neither DISPLAY nor WAYLAND_DISPLAY nor SDL_VIDEODRIVER set) fails at open
 * with a clear message, before SDL is touched.
 */
#include "io/output.h"

#include <SDL.h>
#include <stdio.h>
#include <string.h>

#include "core/draw.h"
#include "core/log.h"
#include "core/mem.h"

/* ---- 5×7 bitmap font: one byte per row, bit 4 = leftmost column ------------------------ */

static const char font_chars[] = " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.:/-%()=+?,";
static const uint8_t font_rows[][7] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}, {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},
    {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}, {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}, {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}, {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11},
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}, {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}, {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}, {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}, {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}, {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}, {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}, {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}, {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}, {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}, {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}, {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}, {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}, {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},
};

_Static_assert(PA_ARRAY_SIZE(font_rows) == sizeof(font_chars) - 1, "one glyph per character");

static const uint8_t *glyph(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    const char *p = strchr(font_chars, c);
    if (!p || !c)
        p = strchr(font_chars, '?');
    return font_rows[p - font_chars];
}

static void fill_rect(struct pa_image *img, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    x0 = PA_MAX(x0, 0), y0 = PA_MAX(y0, 0);
    x1 = PA_MIN(x1, img->w), y1 = PA_MIN(y1, img->h);
    for (int y = y0; y < y1; y++) {
        uint8_t *p = img->data + (size_t)y * (size_t)img->stride + (size_t)x0 * 3;
        for (int x = x0; x < x1; x++, p += 3)
            memcpy(p, rgb, 3);
    }
}

/* Text at (x, y), each font pixel a scale×scale block, on a dark box for contrast. */
static void draw_text(struct pa_image *img, int x, int y, int scale, const char *text)
{
    static const uint8_t fg[3] = {255, 255, 255}, bg[3] = {16, 16, 16};
    int n = (int)strlen(text);
    fill_rect(img, x - scale, y - scale, x + n * 6 * scale, y + 8 * scale, bg);
    for (int i = 0; i < n; i++) {
        const uint8_t *g = glyph(text[i]);
        for (int r = 0; r < 7; r++)
            for (int c = 0; c < 5; c++)
                if (g[r] & (0x10 >> c))
                    fill_rect(img, x + (i * 6 + c) * scale, y + r * scale,
                              x + (i * 6 + c + 1) * scale, y + (r + 1) * scale, fg);
    }
}

/* ---- the window ------------------------------------------------------------------------ */

struct window {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;       ///< 2w × h RGB24
    struct pa_image canvas; ///< 2w × h RGB24, allocated at open
    int *xmap;              ///< nearest-neighbour column map for the side panel, w entries
    int w, h;
    SDL_threadID owner; ///< the thread that opened the window
    int fullscreen, overlay, landmarks, side;
};

static int sdl_close(void *state);

/* Show w×h (or 2w×h with the side view): set the logical size and, in a window, resize it
 * to that aspect around its current centre, kept inside the desktop. */
static void set_view(struct window *s)
{
    int view_w = s->side ? 2 * s->w : s->w;
    SDL_RenderSetLogicalSize(s->ren, view_w, s->h);
    if (s->fullscreen)
        return;
    int x, y, ww, wh;
    SDL_GetWindowPosition(s->win, &x, &y);
    SDL_GetWindowSize(s->win, &ww, &wh);
    double k = (double)wh / s->h;
    SDL_Rect r;
    if (SDL_GetDisplayUsableBounds(SDL_GetWindowDisplayIndex(s->win), &r) == 0 && r.w > 0)
        k = PA_MIN(k, 0.9 * PA_MIN((double)r.w / view_w, (double)r.h / s->h));
    else
        r = (SDL_Rect){x, y, 0, 0};
    int nw = PA_MAX(1, (int)(view_w * k + 0.5)), nh = PA_MAX(1, (int)(s->h * k + 0.5));
    int nx = x + (ww - nw) / 2, ny = y + (wh - nh) / 2;
    if (r.w > 0) {
        nx = PA_CLAMP(nx, r.x, PA_MAX(r.x, r.x + r.w - nw));
        ny = PA_CLAMP(ny, r.y, PA_MAX(r.y, r.y + r.h - nh));
    }
    SDL_SetWindowSize(s->win, nw, nh);
    SDL_SetWindowPosition(s->win, nx, ny);
}

/* Initial window size: the frame's, shrunk to 90 % of the usable desktop if larger. */
static void initial_size(int w, int h, int *ww, int *wh)
{
    SDL_Rect r;
    double k = 1.0;
    if (SDL_GetDisplayUsableBounds(0, &r) == 0 && r.w > 0 && r.h > 0)
        k = PA_MIN(1.0, 0.9 * PA_MIN((double)r.w / w, (double)r.h / h));
    *ww = PA_MAX(1, (int)(w * k));
    *wh = PA_MAX(1, (int)(h * k));
}

static int sdl_open(void **state, const char *arg, const struct pa_output_params *p)
{
    (void)arg;
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("SDL_VIDEODRIVER")) {
        pa_log_error("io", "window: no display (set DISPLAY, or use --output file:/mjpeg:/v4l2:)");
        return PA_EUNSUPPORTED;
    }
    /* The app owns SIGINT/SIGTERM; SDL would turn them into SDL_QUIT events otherwise. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        pa_log_error("io", "window: cannot start SDL video: %s", SDL_GetError());
        return PA_EUNSUPPORTED;
    }
    struct window *s = pa_calloc(1, sizeof(*s));
    if (!s) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return PA_ENOMEM;
    }
    s->w = p->width;
    s->h = p->height;
    s->owner = SDL_ThreadID();
    int ret = pa_image_alloc(&s->canvas, 2 * s->w, s->h, PA_PIX_RGB24);
    if (ret < 0 || !(s->xmap = pa_calloc((size_t)s->w, sizeof(int)))) {
        ret = PA_ENOMEM;
        goto fail;
    }
    int ww, wh;
    initial_size(s->w, s->h, &ww, &wh);
    s->win = SDL_CreateWindow("panim", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, ww, wh,
                              SDL_WINDOW_RESIZABLE);
    if (s->win)
        s->ren = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_PRESENTVSYNC);
    if (s->win && !s->ren) /* no vsync-capable or accelerated renderer: take any */
        s->ren = SDL_CreateRenderer(s->win, -1, 0);
    if (s->ren)
        s->tex = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING,
                                   2 * s->w, s->h);
    if (!s->tex) {
        pa_log_error("io", "window: cannot create a %dx%d window: %s", s->w, s->h, SDL_GetError());
        ret = PA_EEXTERNAL;
        goto fail;
    }
    set_view(s);
    pa_log_info("io",
                "window: %dx%d (F fullscreen, O overlay, L landmarks, S side view, "
                "N/P portrait, C calibrate, Q quit)",
                s->w, s->h);
    *state = s;
    return 0;
fail:
    sdl_close(s);
    return ret;
}

/* Scale the driver frame into the right half of the canvas (nearest, aspect kept) and
 * return the mapping driver pixel → canvas: canvas = off + k · driver. */
static void draw_side(struct window *s, const struct pa_output_info *info, float *k, float *ox,
                      float *oy)
{
    static const uint8_t black[3] = {0, 0, 0};
    fill_rect(&s->canvas, s->w, 0, 2 * s->w, s->h, black);
    const struct pa_image *d = info ? info->driver_frame : NULL;
    *k = 1.0f, *ox = (float)s->w, *oy = 0.0f;
    if (!d || d->fmt != PA_PIX_RGB24 || d->w < 1 || d->h < 1)
        return;
    double scale = PA_MIN((double)s->w / d->w, (double)s->h / d->h);
    int fw = PA_CLAMP((int)(d->w * scale), 1, s->w), fh = PA_CLAMP((int)(d->h * scale), 1, s->h);
    int x0 = s->w + (s->w - fw) / 2, y0 = (s->h - fh) / 2;
    for (int x = 0; x < fw; x++)
        s->xmap[x] = (int)((x + 0.5) / scale) * 3;
    for (int y = 0; y < fh; y++) {
        int sy = PA_MIN((int)((y + 0.5) / scale), d->h - 1);
        const uint8_t *src = d->data + (size_t)sy * (size_t)d->stride;
        uint8_t *dst = s->canvas.data + (size_t)(y0 + y) * (size_t)s->canvas.stride + x0 * 3;
        for (int x = 0; x < fw; x++, dst += 3)
            memcpy(dst, src + PA_MIN(s->xmap[x], (d->w - 1) * 3), 3);
    }
    *k = (float)scale, *ox = (float)x0, *oy = (float)y0;
}

static void draw_points(struct pa_image *img, const struct pa_face_state *f, float k, float ox,
                        float oy)
{
    static const uint8_t green[3] = {40, 255, 80};
    if (!f || !f->found)
        return;
    for (int i = 0; i < f->n_points && i < PA_FACE_MAX_POINTS; i++)
        pa_draw_dot(img, ox + k * f->pts[i][0], oy + k * f->pts[i][1], 1.2f, green);
}

static void draw_overlay(struct window *s, const struct pa_output_info *info)
{
    char line[128];
    if (info)
        snprintf(line, sizeof(line), "IN %.1f FPS  OUT %.1f FPS  LATENCY %.0f MS", info->fps_in,
                 info->fps_out, info->latency_ms);
    else
        snprintf(line, sizeof(line), "NO STATS");
    int scale = s->h >= 480 ? 2 : 1;
    draw_text(&s->canvas, 4 * scale, 4 * scale, scale, line);
    draw_text(&s->canvas, 4, s->h - 12, 1,
              "F FULL  O OVERLAY  L POINTS  S SIDE  N/P PORTRAIT  C CALIBRATE  Q QUIT");
}

static int sdl_write(void *state, const struct pa_image *frame, const struct pa_output_info *info)
{
    struct window *s = state;
    PA_ASSERT(SDL_ThreadID() == s->owner); /* see the thread rule in the file comment */
    if (frame->fmt != PA_PIX_RGB24 || frame->w != s->w || frame->h != s->h)
        return PA_EINVAL;
    SDL_PumpEvents();
    const struct pa_face_state *driver = info ? info->driver : NULL;
    int points_on_main = s->landmarks && !s->side && driver;
    SDL_Rect main_rect = {0, 0, s->w, s->h};
    int e;
    if (s->overlay || points_on_main) {
        for (int y = 0; y < s->h; y++)
            memcpy(s->canvas.data + (size_t)y * (size_t)s->canvas.stride,
                   frame->data + (size_t)y * (size_t)frame->stride, (size_t)s->w * 3);
        if (points_on_main) {
            /* Without the side view, driver points are scaled from the driver frame's size. */
            const struct pa_image *d = info->driver_frame;
            float k = d && d->w > 0 ? (float)s->w / (float)d->w : 1.0f;
            draw_points(&s->canvas, driver, k, 0.0f, 0.0f);
        }
        if (s->overlay)
            draw_overlay(s, info);
        e = SDL_UpdateTexture(s->tex, &main_rect, s->canvas.data, s->canvas.stride);
    } else {
        e = SDL_UpdateTexture(s->tex, &main_rect, frame->data, frame->stride);
    }
    if (e == 0 && s->side) {
        float k, ox, oy;
        draw_side(s, info, &k, &ox, &oy);
        if (s->landmarks)
            draw_points(&s->canvas, driver, k, ox, oy);
        SDL_Rect side_rect = {s->w, 0, s->w, s->h};
        e = SDL_UpdateTexture(s->tex, &side_rect, s->canvas.data + (size_t)s->w * 3,
                              s->canvas.stride);
    }
    SDL_Rect src = {0, 0, s->side ? 2 * s->w : s->w, s->h};
    if (e == 0)
        e = SDL_RenderClear(s->ren);
    if (e == 0)
        e = SDL_RenderCopy(s->ren, s->tex, &src, NULL);
    if (e != 0) {
        pa_log_error("io", "window: drawing failed: %s", SDL_GetError());
        return PA_EEXTERNAL;
    }
    SDL_RenderPresent(s->ren);
    return 0;
}

static enum pa_output_event on_key(struct window *s, SDL_Keycode key)
{
    switch (key) {
    case SDLK_f:
        s->fullscreen = !s->fullscreen;
        SDL_SetWindowFullscreen(s->win, s->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        set_view(s);
        return PA_OUT_EV_NONE;
    case SDLK_o:
        s->overlay = !s->overlay;
        return PA_OUT_EV_NONE;
    case SDLK_l:
        s->landmarks = !s->landmarks;
        return PA_OUT_EV_NONE;
    case SDLK_s:
        s->side = !s->side;
        set_view(s);
        return PA_OUT_EV_NONE;
    case SDLK_n:
        return PA_OUT_EV_NEXT_PORTRAIT;
    case SDLK_p:
        return PA_OUT_EV_PREV_PORTRAIT;
    case SDLK_c:
        return PA_OUT_EV_CALIBRATE;
    case SDLK_q:
    case SDLK_ESCAPE:
        return PA_OUT_EV_QUIT;
    default:
        return PA_OUT_EV_NONE;
    }
}

static enum pa_output_event sdl_poll(void *state)
{
    struct window *s = state;
    PA_ASSERT(SDL_ThreadID() == s->owner);
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        enum pa_output_event out = PA_OUT_EV_NONE;
        if (ev.type == SDL_QUIT ||
            (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_CLOSE))
            out = PA_OUT_EV_QUIT;
        else if (ev.type == SDL_KEYDOWN && !ev.key.repeat)
            out = on_key(s, ev.key.keysym.sym);
        if (out != PA_OUT_EV_NONE)
            return out; /* further events stay queued for the next poll */
    }
    return PA_OUT_EV_NONE;
}

static int sdl_close(void *state)
{
    struct window *s = state;
    if (!s)
        return 0;
    if (s->tex)
        SDL_DestroyTexture(s->tex);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    if (s->win)
        SDL_DestroyWindow(s->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (SDL_WasInit(SDL_INIT_EVERYTHING) == 0)
        SDL_Quit(); /* the last SDL user: also drops SDL's D-Bus connection */
    pa_image_free(&s->canvas);
    pa_free(s->xmap);
    pa_free(s);
    return 0;
}

const struct pa_output_ops pa_output_window_ops = {
    .prefix = "window",
    .open = sdl_open,
    .write = sdl_write,
    .poll = sdl_poll,
    .close = sdl_close,
};

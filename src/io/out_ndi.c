/** @file
 * NDI sender ("ndi:NAME"): the frames appear on the local network as the NDI source NAME
 * (OBS with the obs-ndi / DistroAV plugin, vMix, NDI Studio Monitor pick it up).
 *
 * The NDI runtime is proprietary and not packaged by Debian, so nothing links against it:
 * open() dlopen()s libndi.so.5 (then libndi.so, then $NDI_RUNTIME_DIR_V5/libndi.so.5) and
 * resolves the five C functions it needs with dlsym. The declarations below restate the
 * public SDK's C ABI (Processing.NDI.structs.h / Processing.NDI.Send.h, SDK 5) — only the
 * parts used here; the layout of NDIlib_video_frame_v2_t must match it exactly:
 *   { int xres, yres; FourCC (uint32); int frame_rate_N, frame_rate_D;
 *     float picture_aspect_ratio; frame_format_type (int enum, progressive = 1);
 *     int64 timecode (INT64_MAX = synthesize); uint8 *p_data; int line_stride_in_bytes;
 *     const char *p_metadata; int64 timestamp }
 * FourCCs pack four characters little-endian ('R' | 'G' << 8 | 'B' << 16 | 'X' << 24).
 *
 * Frames go out as RGBX (the X byte set to 255), converted into a buffer allocated at open;
 * NDIlib_send_send_video_v2 is the synchronous call, so the buffer is free again when it
 * returns. clock_video is off: the pipeline already paces frames by the camera.
 *
 * Without the runtime, open fails with PA_EUNSUPPORTED and an install hint; that is the only
 * path the project's tests can exercise (no NDI runtime on the test machines).
 */
#include "io/output.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

#define NDI_FOURCC(a, b, c, d)                                                                     \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define NDI_FORMAT_PROGRESSIVE 1
#define NDI_TIMECODE_SYNTHESIZE INT64_MAX

struct ndi_send_create {
    const char *p_ndi_name;
    const char *p_groups;
    bool clock_video;
    bool clock_audio;
};

struct ndi_video_frame_v2 {
    int xres, yres;
    uint32_t fourcc;
    int frame_rate_n, frame_rate_d;
    float picture_aspect_ratio;
    int frame_format_type;
    int64_t timecode;
    uint8_t *p_data;
    int line_stride_in_bytes;
    const char *p_metadata;
    int64_t timestamp;
};

struct ndi_api {
    bool (*initialize)(void);
    void (*destroy)(void);
    void *(*send_create)(const struct ndi_send_create *);
    void (*send_destroy)(void *);
    void (*send_video_v2)(void *, const struct ndi_video_frame_v2 *);
};

struct ndi_out {
    void *lib;
    struct ndi_api api;
    int initialized;
    void *sender;
    char *name;
    int w, h, fps_n, fps_d;
    uint8_t *rgbx;
};

static void *load_runtime(void)
{
    void *lib = dlopen("libndi.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        lib = dlopen("libndi.so", RTLD_NOW | RTLD_LOCAL);
    const char *dir = getenv("NDI_RUNTIME_DIR_V5");
    if (!lib && dir && *dir) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/libndi.so.5", dir);
        lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    return lib;
}

/* dlsym returns void *; ISO C has no object-to-function pointer cast, POSIX guarantees the
 * representation, so copy the bytes (the dlsym man page's own idiom). */
static int resolve(void *lib, const char *name, void *fn_ptr, size_t fn_size)
{
    void *sym = dlsym(lib, name);
    if (!sym) {
        pa_log_error("io", "ndi: the NDI runtime lacks %s (need NDI 5 or newer)", name);
        return PA_EUNSUPPORTED;
    }
    memcpy(fn_ptr, &sym, fn_size);
    return 0;
}

#define RESOLVE(lib, field, name) resolve(lib, name, &(field), sizeof(field))

static int ndi_close(void *state);

static int ndi_open(void **state, const char *arg, const struct pa_output_params *p)
{
    if (!*arg) {
        pa_log_error("io", "ndi: give the source name, e.g. ndi:panim");
        return PA_EINVAL;
    }
    struct ndi_out *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    int ret = PA_EUNSUPPORTED;
    s->lib = load_runtime();
    if (!s->lib) {
        pa_log_error("io", "ndi: NDI runtime not found (libndi.so.5); install the NDI SDK from "
                           "ndi.video and make sure libndi.so.5 is on the library path");
        goto fail;
    }
    if ((ret = RESOLVE(s->lib, s->api.initialize, "NDIlib_initialize")) < 0 ||
        (ret = RESOLVE(s->lib, s->api.destroy, "NDIlib_destroy")) < 0 ||
        (ret = RESOLVE(s->lib, s->api.send_create, "NDIlib_send_create")) < 0 ||
        (ret = RESOLVE(s->lib, s->api.send_destroy, "NDIlib_send_destroy")) < 0 ||
        (ret = RESOLVE(s->lib, s->api.send_video_v2, "NDIlib_send_send_video_v2")) < 0)
        goto fail;
    if (!s->api.initialize()) {
        pa_log_error("io", "ndi: NDIlib_initialize failed (this CPU lacks SSE4.2?)");
        ret = PA_EUNSUPPORTED;
        goto fail;
    }
    s->initialized = 1;
    s->w = p->width;
    s->h = p->height;
    double fps = p->fps > 0 ? p->fps : 30.0;
    s->fps_n = (int)(fps * 1000.0 + 0.5);
    s->fps_d = 1000;
    size_t size;
    ret = PA_ENOMEM;
    if (pa_size_mul((size_t)s->w * 4, (size_t)s->h, &size) < 0 || !(s->name = pa_strdup(arg)) ||
        !(s->rgbx = pa_malloc(size)))
        goto fail;
    struct ndi_send_create sc = {.p_ndi_name = s->name, .clock_video = false};
    s->sender = s->api.send_create(&sc);
    if (!s->sender) {
        pa_log_error("io", "ndi: cannot create the sender '%s'", arg);
        ret = PA_EEXTERNAL;
        goto fail;
    }
    pa_log_info("io", "ndi: sending %dx%d as NDI source '%s'", s->w, s->h, s->name);
    *state = s;
    return 0;
fail:
    ndi_close(s);
    return ret;
}

static int ndi_write(void *state, const struct pa_image *frame, const struct pa_output_info *info)
{
    struct ndi_out *s = state;
    (void)info;
    if (frame->fmt != PA_PIX_RGB24 || frame->w != s->w || frame->h != s->h)
        return PA_EINVAL;
    for (int y = 0; y < s->h; y++) {
        const uint8_t *src = frame->data + (size_t)y * (size_t)frame->stride;
        uint8_t *dst = s->rgbx + (size_t)y * (size_t)s->w * 4;
        for (int x = 0; x < s->w; x++, src += 3, dst += 4) {
            dst[0] = src[0];
            dst[1] = src[1];
            dst[2] = src[2];
            dst[3] = 255;
        }
    }
    struct ndi_video_frame_v2 f = {
        .xres = s->w,
        .yres = s->h,
        .fourcc = NDI_FOURCC('R', 'G', 'B', 'X'),
        .frame_rate_n = s->fps_n,
        .frame_rate_d = s->fps_d,
        .picture_aspect_ratio = 0.0f, /* square pixels */
        .frame_format_type = NDI_FORMAT_PROGRESSIVE,
        .timecode = NDI_TIMECODE_SYNTHESIZE,
        .p_data = s->rgbx,
        .line_stride_in_bytes = s->w * 4,
    };
    s->api.send_video_v2(s->sender, &f);
    return 0;
}

static int ndi_close(void *state)
{
    struct ndi_out *s = state;
    if (!s)
        return 0;
    if (s->sender)
        s->api.send_destroy(s->sender);
    if (s->initialized)
        s->api.destroy();
    /* Once initialised, the runtime may keep internal threads alive after destroy;
     * unloading it under them would crash, so it stays mapped for the process. */
    if (s->lib && !s->initialized)
        dlclose(s->lib);
    pa_free(s->rgbx);
    pa_free(s->name);
    pa_free(s);
    return 0;
}

const struct pa_output_ops pa_output_ndi_ops = {
    .prefix = "ndi",
    .open = ndi_open,
    .write = ndi_write,
    .close = ndi_close,
};

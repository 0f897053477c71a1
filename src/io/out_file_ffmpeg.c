/** @file
 * Recording and streaming outputs through FFmpeg's libraries (the H.264 writer of
 * video_write_ffmpeg.c):
 *   file:PATH.mp4 | file:PATH.mkv     a local recording (".part" until closed, then renamed)
 *   stream:rtmp://HOST/APP/KEY        FLV over RTMP(S) (Twitch, YouTube, an nginx-rtmp relay)
 *   stream:srt://HOST:PORT[?...]      MPEG-TS over SRT (caller mode; options after '?')
 *
 * Encoding is CPU x264 tuned for live use: preset veryfast, a keyframe every 2 s (what
 * streaming services ask for, and the longest a viewer waits to join), tune zerolatency (no
 * B-frames, no lookahead) for streams and for live recordings. Streams also cap the rate
 * (VBV, about 0.15 bit per pixel per frame, 1 to 6 Mbit/s), since ingest servers reject
 * bursts. In a live pipeline frames are time-stamped by the clock, so frames the pipeline
 * dropped leave gaps instead of making the recording play fast.
 *
 * Matroska is the safer container for long live recordings (readable up to the last cluster
 * after a crash); MP4 needs its trailer and so relies on the clean close.
 *
 * On a write error (disk full, peer gone) the writer logs once, the output closes its
 * encoder and file at once (the partial file is removed, as the writer promises) and the
 * error is returned; the registry then keeps the output shut.
 */
#include "io/output.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "io/video.h"

#define KEYINT_S 2.0
#define MIN_STREAM_KBPS 1000
#define MAX_STREAM_KBPS 6000

struct file_out {
    struct pa_video_writer *w; ///< NULL once failed
    int live;
    int64_t t0_ns; ///< clock at the first frame (live)
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int open_common(void **state, const char *target, const struct pa_output_params *p,
                       struct pa_video_writer_params *vp)
{
    struct file_out *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    vp->w = p->width;
    vp->h = p->height;
    vp->fps = p->fps > 0 ? p->fps : 30.0;
    vp->preset = "veryfast";
    vp->keyint_s = KEYINT_S;
    vp->vfr = p->live;
    if (p->live)
        vp->tune = "zerolatency";
    int ret = pa_video_writer_open(&s->w, target, vp);
    if (ret < 0) {
        pa_free(s);
        return ret;
    }
    s->live = p->live;
    *state = s;
    return 0;
}

static int file_open(void **state, const char *arg, const struct pa_output_params *p)
{
    struct pa_video_writer_params vp = {.audio_from = p->audio_from};
    if (ends_with(arg, ".mp4")) {
        vp.format = "mp4";
    } else if (ends_with(arg, ".mkv")) {
        vp.format = "matroska";
    } else {
        pa_log_error("io", "file:%s: give a .mp4 or .mkv file name", arg);
        return PA_EINVAL;
    }
    return open_common(state, arg, p, &vp);
}

static int stream_open(void **state, const char *arg, const struct pa_output_params *p)
{
    struct pa_video_writer_params vp = {.url = 1};
    if (strncmp(arg, "rtmp://", 7) == 0 || strncmp(arg, "rtmps://", 8) == 0) {
        vp.format = "flv";
    } else if (strncmp(arg, "srt://", 6) == 0 || strncmp(arg, "udp://", 6) == 0) {
        vp.format = "mpegts";
    } else {
        pa_log_error("io", "stream:%s: give an rtmp://, rtmps://, srt:// or udp:// URL", arg);
        return PA_EINVAL;
    }
    double kbps = 0.15 * p->width * p->height * (p->fps > 0 ? p->fps : 30.0) / 1000.0;
    vp.maxrate_kbps = (int)PA_CLAMP(kbps, (double)MIN_STREAM_KBPS, (double)MAX_STREAM_KBPS);
    struct pa_output_params lp = *p;
    lp.live = 1; /* a stream is live by nature, even from a file source */
    lp.audio_from = NULL;
    return open_common(state, arg, &lp, &vp);
}

static int file_write(void *state, const struct pa_image *frame, const struct pa_output_info *info)
{
    struct file_out *s = state;
    (void)info;
    if (!s->w)
        return PA_EIO;
    int ret;
    if (s->live) {
        int64_t t = now_ns();
        if (!s->t0_ns)
            s->t0_ns = t;
        ret = pa_video_writer_write_at(s->w, frame, (double)(t - s->t0_ns) * 1e-9);
    } else {
        ret = pa_video_writer_write(s->w, frame);
    }
    if (ret < 0 && ret != PA_EINVAL) {
        pa_video_writer_abort(s->w); /* logged by the writer; the output is now closed */
        s->w = NULL;
    }
    return ret;
}

static int file_close(void *state)
{
    struct file_out *s = state;
    if (!s)
        return 0;
    int ret = s->w ? pa_video_writer_finish(s->w) : 0;
    pa_free(s);
    return ret;
}

const struct pa_output_ops pa_output_file_ops = {
    .prefix = "file",
    .open = file_open,
    .write = file_write,
    .close = file_close,
};

const struct pa_output_ops pa_output_stream_ops = {
    .prefix = "stream",
    .open = stream_open,
    .write = file_write,
    .close = file_close,
};

/** @file
 * Video reader over libavformat/libavcodec/libswscale: first video stream, frames converted
 * to RGB24 at the stream's size. Untrusted files: every FFmpeg error is reported with the
 * path and turned into PA_EINVALDATA, never an abort.
 */
#include "io/video.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/mem.h"

struct pa_video_reader {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int stream;
    int eof_sent; ///< decoder has been flushed
    struct pa_image rgb;
    struct pa_video_info info;
    int64_t start_pts;
};

static const char *av_err(int e, char *buf)
{
    av_strerror(e, buf, AV_ERROR_MAX_STRING_SIZE);
    return buf;
}

static int open_decoder(struct pa_video_reader *r)
{
    AVStream *st = r->fmt->streams[r->stream];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        pa_log_error("io", "%s: no decoder for codec '%s'", r->path,
                     avcodec_get_name(st->codecpar->codec_id));
        return PA_EINVALDATA;
    }
    r->dec = avcodec_alloc_context3(codec);
    if (!r->dec)
        return PA_ENOMEM;
    if (avcodec_parameters_to_context(r->dec, st->codecpar) < 0)
        return PA_EINVALDATA;
    r->dec->thread_count = 1; /* threads belong to the app; decoding is cheap next to tracking */
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int e = avcodec_open2(r->dec, codec, NULL);
    if (e < 0) {
        pa_log_error("io", "%s: cannot open decoder: %s", r->path, av_err(e, eb));
        return PA_EINVALDATA;
    }
    if (r->dec->width <= 0 || r->dec->height <= 0 || r->dec->width > 16384 ||
        r->dec->height > 16384) {
        pa_log_error("io", "%s: invalid video size %dx%d", r->path, r->dec->width, r->dec->height);
        return PA_EINVALDATA;
    }
    return 0;
}

static void fill_info(struct pa_video_reader *r)
{
    AVStream *st = r->fmt->streams[r->stream];
    r->info.w = r->dec->width;
    r->info.h = r->dec->height;
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    r->info.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 25.0;
    r->info.frames = st->nb_frames > 0 ? st->nb_frames : -1;
    if (st->duration > 0)
        r->info.duration = (double)st->duration * av_q2d(st->time_base);
    else if (r->fmt->duration > 0)
        r->info.duration = (double)r->fmt->duration / AV_TIME_BASE;
    r->info.has_audio = av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) >= 0;
    r->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
}

int pa_video_reader_open(struct pa_video_reader **out, const char *path)
{
    *out = NULL;
    struct stat sb;
    if (!strstr(path, "://") && stat(path, &sb) != 0) {
        pa_log_error("io", "%s: %s", path, strerror(errno));
        return PA_ENOENT;
    }
    av_log_set_level(pa_log_enabled("io", PA_LOG_DEBUG) ? AV_LOG_ERROR : AV_LOG_QUIET);
    struct pa_video_reader *r = pa_calloc(1, sizeof(*r));
    if (!r)
        return PA_ENOMEM;
    int ret = PA_ENOMEM;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    r->path = pa_strdup(path);
    if (!r->path)
        goto fail;
    int e = avformat_open_input(&r->fmt, path, NULL, NULL);
    if (e < 0) {
        pa_log_error("io", "%s: cannot open as video: %s", path, av_err(e, eb));
        ret = PA_EINVALDATA;
        goto fail;
    }
    e = avformat_find_stream_info(r->fmt, NULL);
    if (e < 0) {
        pa_log_error("io", "%s: cannot read stream info: %s", path, av_err(e, eb));
        ret = PA_EINVALDATA;
        goto fail;
    }
    r->stream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (r->stream < 0) {
        pa_log_error("io", "%s: no video stream", path);
        ret = PA_EINVALDATA;
        goto fail;
    }
    ret = open_decoder(r);
    if (ret < 0)
        goto fail;
    fill_info(r);
    ret = PA_ENOMEM;
    r->pkt = av_packet_alloc();
    r->frame = av_frame_alloc();
    if (!r->pkt || !r->frame)
        goto fail;
    ret = pa_image_alloc(&r->rgb, r->info.w, r->info.h, PA_PIX_RGB24);
    if (ret < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    pa_video_reader_close(r);
    return ret;
}

void pa_video_reader_close(struct pa_video_reader *r)
{
    if (!r)
        return;
    sws_freeContext(r->sws);
    av_frame_free(&r->frame);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    pa_image_free(&r->rgb);
    pa_free(r->path);
    pa_free(r);
}

const struct pa_video_info *pa_video_reader_info(const struct pa_video_reader *r)
{
    return &r->info;
}

/* Convert the decoded frame to RGB24. Frames that change size mid-stream are rejected:
 * every consumer downstream was sized at open. */
static int convert(struct pa_video_reader *r, struct pa_image *out, double *t)
{
    AVFrame *f = r->frame;
    if (f->width != r->info.w || f->height != r->info.h) {
        pa_log_error("io", "%s: frame size changed mid-stream (%dx%d -> %dx%d)", r->path,
                     r->info.w, r->info.h, f->width, f->height);
        return PA_EINVALDATA;
    }
    /* SWS_BICUBIC is what the ffmpeg command line uses by default: with it, our RGB frames
     * are the same pixels as `ffmpeg -i CLIP -pix_fmt rgb24` (the tracker oracle's frames). */
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format,
                                  r->info.w, r->info.h, AV_PIX_FMT_RGB24,
                                  SWS_BICUBIC, NULL, NULL,
                                  NULL);
    if (!r->sws)
        return PA_EINVALDATA;
    uint8_t *dst[4] = {r->rgb.data};
    int dst_stride[4] = {r->rgb.stride};
    sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
              dst_stride);
    *out = r->rgb;
    out->owner_buf = NULL;
    AVStream *st = r->fmt->streams[r->stream];
    int64_t pts = f->best_effort_timestamp;
    *t = pts == AV_NOPTS_VALUE ? 0.0 : (double)(pts - r->start_pts) * av_q2d(st->time_base);
    return 0;
}

int pa_video_reader_read(struct pa_video_reader *r, struct pa_image *frame, double *t)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    for (;;) {
        int e = avcodec_receive_frame(r->dec, r->frame);
        if (e == 0)
            return convert(r, frame, t);
        if (e == AVERROR_EOF)
            return PA_EOF;
        if (e != AVERROR(EAGAIN)) {
            pa_log_error("io", "%s: decode error: %s", r->path, av_err(e, eb));
            return PA_EINVALDATA;
        }
        if (r->eof_sent)
            return PA_EOF;
        e = av_read_frame(r->fmt, r->pkt);
        if (e == AVERROR_EOF) {
            r->eof_sent = 1;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (e < 0) {
            pa_log_error("io", "%s: read error: %s", r->path, av_err(e, eb));
            return PA_EINVALDATA;
        }
        if (r->pkt->stream_index == r->stream) {
            e = avcodec_send_packet(r->dec, r->pkt);
            if (e < 0 && e != AVERROR(EAGAIN) && e != AVERROR_INVALIDDATA) {
                av_packet_unref(r->pkt);
                pa_log_error("io", "%s: decode error: %s", r->path, av_err(e, eb));
                return PA_EINVALDATA;
            }
        }
        av_packet_unref(r->pkt);
    }
}

int pa_video_reader_rewind(struct pa_video_reader *r)
{
    int e = av_seek_frame(r->fmt, r->stream, r->start_pts, AVSEEK_FLAG_BACKWARD);
    if (e < 0) {
        pa_log_error("io", "%s: cannot seek to the start", r->path);
        return PA_EIO;
    }
    avcodec_flush_buffers(r->dec);
    r->eof_sent = 0;
    return 0;
}

/** @file
 * H.264 writer over libavcodec/libavformat (MP4 by default; Matroska, FLV for RTMP and
 * MPEG-TS for SRT on request), with the driving clip's audio stream copied in (no
 * re-encode). Files are written to "<path>.part" and renamed on finish, so an interrupted
 * or failed run never leaves a file that looks complete; URLs are written in place.
 *
 * Time stamps: by default the time base is 1/fps and frame i has pts i (constant rate). A
 * vfr writer (live capture) uses a 1 ms time base and the caller's times, so frames the
 * pipeline dropped leave gaps instead of making the video play fast.
 *
 * Audio is interleaved as we go: before each video packet, audio packets up to that time
 * are copied, which keeps the muxer's buffering small; audio past the last video frame is
 * dropped so the output's streams end together.
 */
#include "io/video.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"

struct pa_video_writer {
    char *path, *part;
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *vst;
    AVFrame *yuv;
    AVPacket *pkt;
    struct SwsContext *sws;
    int64_t next_pts;
    int64_t frame_ticks; ///< one frame period in the encoder's time base (1, or 1000/fps)
    int url;             ///< writing a network URL: no .part, no rename, no unlink
    /* audio copy */
    AVFormatContext *ac;
    AVStream *ast;   ///< output audio stream
    int a_index;     ///< input audio stream index
    AVPacket *apkt;
    int a_pending;   ///< apkt holds a packet not yet written
    int a_done;
};

static int fail_av(const struct pa_video_writer *w, const char *what, int e)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(e, eb, sizeof(eb));
    pa_log_error("io", "%s: %s: %s", w->path, what, eb);
    static const int io_errors[] = {ENOSPC, EACCES, ENOENT, EROFS, EIO, EFBIG, EPIPE, EPERM,
                                    ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH,
                                    ENETUNREACH, ENOTDIR, EISDIR};
    for (size_t i = 0; i < sizeof(io_errors) / sizeof(io_errors[0]); i++)
        if (e == AVERROR(io_errors[i]))
            return PA_EIO;
    return PA_EEXTERNAL;
}

static int open_audio(struct pa_video_writer *w, const char *src)
{
    if (avformat_open_input(&w->ac, src, NULL, NULL) < 0 ||
        avformat_find_stream_info(w->ac, NULL) < 0) {
        pa_log_warn("io", "%s: cannot read audio; writing video only", src);
        return 0;
    }
    w->a_index = av_find_best_stream(w->ac, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (w->a_index < 0)
        return 0;
    AVCodecParameters *par = w->ac->streams[w->a_index]->codecpar;
    if (avformat_query_codec(w->oc->oformat, par->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
        pa_log_warn("io", "%s: audio codec %s cannot go into %s without re-encoding; skipped",
                    src, avcodec_get_name(par->codec_id), w->oc->oformat->name);
        return 0;
    }
    w->ast = avformat_new_stream(w->oc, NULL);
    w->apkt = av_packet_alloc();
    if (!w->ast || !w->apkt)
        return PA_ENOMEM;
    if (avcodec_parameters_copy(w->ast->codecpar, par) < 0)
        return PA_ENOMEM;
    w->ast->codecpar->codec_tag = 0;
    w->ast->time_base = w->ac->streams[w->a_index]->time_base;
    return 0;
}

static int open_video(struct pa_video_writer *w, const struct pa_video_writer_params *p)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!codec) {
        pa_log_error("io", "%s: no H.264 encoder in this FFmpeg build", w->path);
        return PA_EUNSUPPORTED;
    }
    w->vst = avformat_new_stream(w->oc, NULL);
    w->enc = avcodec_alloc_context3(codec);
    if (!w->vst || !w->enc)
        return PA_ENOMEM;
    w->enc->width = p->w & ~1;
    w->enc->height = p->h & ~1;
    w->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    AVRational fr = av_d2q(p->fps > 0 ? p->fps : 25.0, 100000);
    w->enc->time_base = p->vfr ? (AVRational){1, 1000} : av_inv_q(fr);
    w->enc->framerate = fr;
    w->frame_ticks = p->vfr ? PA_MAX(1, (int64_t)(1000.0 / av_q2d(fr) + 0.5)) : 1;
    if (p->keyint_s > 0)
        w->enc->gop_size = PA_MAX(1, (int)(p->keyint_s * av_q2d(fr) + 0.5));
    if (p->maxrate_kbps > 0) {
        w->enc->rc_max_rate = (int64_t)p->maxrate_kbps * 1000;
        w->enc->rc_buffer_size = p->maxrate_kbps * 2000;
    }
    w->enc->thread_count = 1;
    if (w->oc->oformat->flags & AVFMT_GLOBALHEADER)
        w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    char crf[16];
    snprintf(crf, sizeof(crf), "%d", p->crf > 0 ? p->crf : 20);
    av_opt_set(w->enc->priv_data, "crf", crf, 0);
    av_opt_set(w->enc->priv_data, "preset", p->preset ? p->preset : "veryfast", 0);
    if (p->tune)
        av_opt_set(w->enc->priv_data, "tune", p->tune, 0);
    int e = avcodec_open2(w->enc, codec, NULL);
    if (e < 0)
        return fail_av(w, "cannot open the H.264 encoder", e);
    if (avcodec_parameters_from_context(w->vst->codecpar, w->enc) < 0)
        return PA_ENOMEM;
    w->vst->time_base = w->enc->time_base;
    w->yuv = av_frame_alloc();
    w->pkt = av_packet_alloc();
    if (!w->yuv || !w->pkt)
        return PA_ENOMEM;
    w->yuv->format = AV_PIX_FMT_YUV420P;
    w->yuv->width = w->enc->width;
    w->yuv->height = w->enc->height;
    if (av_frame_get_buffer(w->yuv, 0) < 0)
        return PA_ENOMEM;
    w->sws = sws_getContext(w->enc->width, w->enc->height, AV_PIX_FMT_RGB24, w->enc->width,
                            w->enc->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
    return w->sws ? 0 : PA_ENOMEM;
}

int pa_video_writer_open(struct pa_video_writer **out, const char *path,
                         const struct pa_video_writer_params *p)
{
    *out = NULL;
    if (p->w < 2 || p->h < 2)
        return PA_EINVAL;
    av_log_set_level(pa_log_enabled("io", PA_LOG_DEBUG) ? AV_LOG_ERROR : AV_LOG_QUIET);
    struct pa_video_writer *w = pa_calloc(1, sizeof(*w));
    if (!w)
        return PA_ENOMEM;
    int ret = PA_ENOMEM;
    size_t n = strlen(path) + 6;
    w->path = pa_strdup(path);
    w->part = pa_malloc(n);
    if (!w->path || !w->part)
        goto fail;
    w->url = p->url;
    snprintf(w->part, n, w->url ? "%s" : "%s.part", path);
    const char *format = p->format ? p->format : "mp4";
    int e = avformat_alloc_output_context2(&w->oc, NULL, format, w->part);
    if (e < 0 || !w->oc) {
        ret = fail_av(w, "cannot create the muxer", e);
        if (e == AVERROR(EINVAL))
            ret = PA_EINVAL;
        goto fail;
    }
    ret = open_video(w, p);
    if (ret < 0)
        goto fail;
    if (p->audio_from && (ret = open_audio(w, p->audio_from)) < 0)
        goto fail;
    if (w->url)
        avformat_network_init();
    /* A network peer that stops reading must not hang the output thread forever. */
    AVDictionary *io_opts = NULL;
    if (w->url)
        av_dict_set(&io_opts, "rw_timeout", "5000000", 0);
    /* SRT in live mode drops what is still queued when the socket closes; linger 1 s so
     * the last frames reach the peer (a "linger=" in the URL still wins). */
    if (w->url && strncmp(path, "srt://", 6) == 0 && !strstr(path, "linger="))
        av_dict_set(&io_opts, "linger", "1", 0);
    e = avio_open2(&w->oc->pb, w->part, AVIO_FLAG_WRITE, NULL, &io_opts);
    av_dict_free(&io_opts);
    if (e < 0) {
        ret = fail_av(w, w->url ? "cannot connect" : "cannot create file", e);
        goto fail;
    }
    e = avformat_write_header(w->oc, NULL);
    if (e < 0) {
        ret = fail_av(w, "cannot write the header", e);
        goto fail;
    }
    *out = w;
    return 0;
fail:
    pa_video_writer_abort(w);
    return ret;
}

/* Copy audio packets whose time is before `until` (seconds); past the end, stop. */
static int pump_audio(struct pa_video_writer *w, double until)
{
    while (w->ast && !w->a_done) {
        if (!w->a_pending) {
            if (av_read_frame(w->ac, w->apkt) < 0) {
                w->a_done = 1;
                break;
            }
            if (w->apkt->stream_index != w->a_index) {
                av_packet_unref(w->apkt);
                continue;
            }
            w->a_pending = 1;
        }
        AVRational tb = w->ac->streams[w->a_index]->time_base;
        if (w->apkt->pts != AV_NOPTS_VALUE && (double)w->apkt->pts * av_q2d(tb) >= until)
            break;
        av_packet_rescale_ts(w->apkt, tb, w->ast->time_base);
        w->apkt->stream_index = w->ast->index;
        w->apkt->pos = -1;
        int e = av_interleaved_write_frame(w->oc, w->apkt);
        w->a_pending = 0;
        if (e < 0)
            return fail_av(w, "write error", e);
    }
    return 0;
}

static int drain(struct pa_video_writer *w)
{
    for (;;) {
        int e = avcodec_receive_packet(w->enc, w->pkt);
        if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
            return 0;
        if (e < 0)
            return fail_av(w, "encode error", e);
        // libx264 leaves the duration 0; MP4 then gives the last frame no time and players
        // (and ffprobe -count_frames) drop it. Give every packet one frame period.
        if (w->pkt->duration <= 0)
            w->pkt->duration = w->frame_ticks;
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->vst->time_base);
        w->pkt->stream_index = w->vst->index;
        double t = (double)w->pkt->dts * av_q2d(w->vst->time_base);
        int ret = pump_audio(w, t);
        if (ret < 0)
            return ret;
        e = av_interleaved_write_frame(w->oc, w->pkt);
        if (e < 0)
            return fail_av(w, "write error", e);
    }
}

int pa_video_writer_write(struct pa_video_writer *w, const struct pa_image *frame)
{
    return pa_video_writer_write_at(w, frame, -1.0);
}

int pa_video_writer_write_at(struct pa_video_writer *w, const struct pa_image *frame, double t)
{
    if (frame->fmt != PA_PIX_RGB24 || (frame->w & ~1) != w->enc->width ||
        (frame->h & ~1) != w->enc->height)
        return PA_EINVAL;
    if (av_frame_make_writable(w->yuv) < 0)
        return PA_ENOMEM;
    const uint8_t *src[4] = {frame->data};
    int src_stride[4] = {frame->stride};
    sws_scale(w->sws, src, src_stride, 0, w->enc->height, w->yuv->data, w->yuv->linesize);
    int64_t pts = w->next_pts;
    if (t >= 0.0) {
        pts = (int64_t)(t / av_q2d(w->enc->time_base) + 0.5);
        if (pts < w->next_pts) // bump non-increasing times past the last frame
            pts = w->next_pts;
    }
    w->yuv->pts = pts;
    w->next_pts = pts + (t >= 0.0 ? 1 : w->frame_ticks);
    int e = avcodec_send_frame(w->enc, w->yuv);
    if (e < 0)
        return fail_av(w, "encode error", e);
    return drain(w);
}

int pa_video_writer_finish(struct pa_video_writer *w)
{
    int ret = 0, e = avcodec_send_frame(w->enc, NULL);
    if (e < 0)
        ret = fail_av(w, "encode error", e);
    if (ret == 0)
        ret = drain(w);
    if (ret == 0) {
        /* The last frame lasts one period; yuv->pts still holds its time stamp. */
        double tb = av_q2d(w->enc->time_base);
        double end = w->next_pts ? (double)(w->yuv->pts + w->frame_ticks) * tb : 0.0;
        ret = pump_audio(w, end);
    }
    if (ret == 0 && (e = av_write_trailer(w->oc)) < 0)
        ret = fail_av(w, "cannot write the trailer", e);
    if (ret == 0 && (e = avio_closep(&w->oc->pb)) < 0)
        ret = fail_av(w, "cannot close the file", e);
    if (ret == 0 && !w->url && rename(w->part, w->path) != 0) {
        pa_log_error("io", "%s: cannot rename from %s: %s", w->path, w->part, strerror(errno));
        ret = PA_EIO;
    }
    pa_video_writer_abort(w); /* frees; the .part is gone after a successful rename */
    return ret;
}

void pa_video_writer_abort(struct pa_video_writer *w)
{
    if (!w)
        return;
    if (w->oc) {
        if (w->oc->pb)
            avio_closep(&w->oc->pb);
        avformat_free_context(w->oc);
    }
    if (w->part && !w->url)
        unlink(w->part);
    avcodec_free_context(&w->enc);
    av_frame_free(&w->yuv);
    av_packet_free(&w->pkt);
    av_packet_free(&w->apkt);
    avformat_close_input(&w->ac);
    sws_freeContext(w->sws);
    pa_free(w->path);
    pa_free(w->part);
    pa_free(w);
}

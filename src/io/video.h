/** @file
 * Video files through FFmpeg's libraries: a frame reader (any container/codec FFmpeg
 * decodes, frames converted to RGB24 at their own size) and an H.264 MP4 writer.
 */
#ifndef PA_IO_VIDEO_H
#define PA_IO_VIDEO_H

#include "core/pa_common.h"
#include "panim.h"

struct pa_video_reader;

struct pa_video_info {
    int w, h;          ///< frame size in pixels
    double fps;        ///< average frame rate (container's), > 0
    int64_t frames;    ///< frame count from the container, -1 when unknown
    double duration;   ///< seconds, 0 when unknown
    int has_audio;     ///< 1 when the file has an audio stream
};

/**
 * Open a video file or URL and its first video stream.
 * @return 0; PA_ENOENT (missing file); PA_EINVALDATA (not a video / no video stream / no
 *         decoder), logged once with the path; PA_EUNSUPPORTED when built without FFmpeg.
 */
int pa_video_reader_open(struct pa_video_reader **out, const char *path);
void pa_video_reader_close(struct pa_video_reader *r);
const struct pa_video_info *pa_video_reader_info(const struct pa_video_reader *r);

/**
 * Decode the next frame. *frame becomes a view of a reader-owned RGB24 buffer, valid until
 * the next call or close. *t gets the presentation time in seconds (from 0).
 * @return 0; PA_EOF after the last frame; PA_EINVALDATA for a corrupt stream (logged).
 */
int pa_video_reader_read(struct pa_video_reader *r, struct pa_image *frame, double *t);

/** Seek back to the first frame (for --loop). */
int pa_video_reader_rewind(struct pa_video_reader *r);

struct pa_video_writer;

struct pa_video_writer_params {
    int w, h;             ///< frame size (made even by cropping the last row/column if odd)
    double fps;           ///< output frame rate
    int crf;              ///< x264 constant rate factor (default 20)
    const char *preset;   ///< x264 preset (default "veryfast")
    const char *audio_from; ///< copy the audio stream of this file, or NULL
    const char *format;   ///< muxer: "mp4" (default), "matroska", "flv" (RTMP), "mpegts" (SRT)
    int url;              ///< 1: path is a network URL: written in place, no ".part"/rename
    const char *tune;     ///< x264 tune ("zerolatency" for live), NULL = none
    double keyint_s;      ///< seconds between keyframes (0 = x264's default, 250 frames)
    int vfr;              ///< 1: millisecond time base, frames stamped by write_at (live)
    int maxrate_kbps;     ///< > 0: cap the rate (VBV, 2 s buffer), as streaming services want
};

/**
 * Create a video file (H.264, yuv420p; MP4 unless p->format says otherwise) at `path`.
 * Frames go to "<path>.part" and the file is renamed on a successful pa_video_writer_finish,
 * so a failure never leaves a file that looks complete (URLs are written directly).
 * @return 0, PA_EIO (unwritable path or unreachable URL, logged), PA_EUNSUPPORTED (no H.264
 *         encoder), PA_EINVAL (unknown format).
 */
int pa_video_writer_open(struct pa_video_writer **out, const char *path,
                         const struct pa_video_writer_params *p);
/** Encode one RGB24 frame (the size given at open), one frame period after the previous. */
int pa_video_writer_write(struct pa_video_writer *w, const struct pa_image *frame);
/**
 * Encode one frame stamped at t seconds from the start (vfr writers; for others t is rounded
 * to whole frame periods). Times that do not increase are bumped to one tick after the last.
 */
int pa_video_writer_write_at(struct pa_video_writer *w, const struct pa_image *frame, double t);
/** Flush, copy audio, write the trailer and rename into place. The writer is freed. */
int pa_video_writer_finish(struct pa_video_writer *w);
/** Abandon: free everything and delete the partial file. Accepts NULL. */
void pa_video_writer_abort(struct pa_video_writer *w);

#endif /* PA_IO_VIDEO_H */

/** @file
 * Frame sources for offline commands: a still image, a folder of images (sorted by name) or
 * a video file, behind one iterator. (The live pipeline's capture vtable wraps these.)
 */
#ifndef PA_IO_SOURCE_H
#define PA_IO_SOURCE_H

#include "core/pa_common.h"
#include "panim.h"

enum pa_source_kind { PA_SOURCE_IMAGE, PA_SOURCE_FOLDER, PA_SOURCE_VIDEO };

struct pa_source;

/**
 * Open `path`: a folder, a PNG/JPEG (by content), or anything FFmpeg reads.
 * @return 0; PA_ENOENT; PA_EINVALDATA (unreadable, empty folder), logged with the path.
 */
int pa_source_open(struct pa_source **out, const char *path);
void pa_source_close(struct pa_source *s);

enum pa_source_kind pa_source_kind(const struct pa_source *s);
/** Frames per second for videos, 0 for stills and folders (callers choose a rate). */
double pa_source_fps(const struct pa_source *s);
/** Number of frames when known (images: 1, folders: file count, videos: container), else -1. */
int64_t pa_source_frames(const struct pa_source *s);
/** Name of the current frame's file (folders, images) or the path (videos). */
const char *pa_source_frame_name(const struct pa_source *s);

/**
 * Next frame as RGB24. *img is owned by the source, valid until the next call. *t is the
 * presentation time in seconds (videos) or index / fallback_fps (stills and folders).
 * @return 0; PA_EOF after the last frame; an error for an unreadable frame (logged).
 */
int pa_source_read(struct pa_source *s, struct pa_image *img, double *t, double fallback_fps);

/** Start again from the first frame. */
int pa_source_rewind(struct pa_source *s);

#endif /* PA_IO_SOURCE_H */

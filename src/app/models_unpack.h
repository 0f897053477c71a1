/** @file
 * Getting one model file out of an unpacked package (internal to src/app/models*.c):
 * finding its byte range in an Emscripten packed-assets bundle, and copying bytes into the
 * model folder so that only verified bytes ever appear under the final name.
 */
#ifndef PA_APP_MODELS_UNPACK_H
#define PA_APP_MODELS_UNPACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pa_models_entry;

/**
 * Find `name` in the text of an Emscripten file-packager loader (`*_loader.js`), which lists
 * objects like {"filename": "/third_party/.../face_landmark.tflite", "start": 0, "end": 9}.
 * An entry matches when the last path component of "filename" equals `name`. The text is
 * untrusted: every read is bounds-checked, whitespace and key order are free.
 * @param what names the loader in messages.
 * @return 0 with [*start, *end); PA_ENOENT when no entry names the file; PA_EINVALDATA for
 *         a malformed entry (both printed).
 */
int pa_models_packed_find(const char *js, size_t n, const char *name, uint64_t *start,
                          uint64_t *end, const char *what);

/** The same over a loader file (read whole; at most 4 MiB). */
int pa_models_packed_find_file(const char *loader_path, const char *name, uint64_t *start,
                               uint64_t *end);

/**
 * Copy bytes [start, end) of `src_path` (end = UINT64_MAX: to the end of the file) to
 * `<dir>/<e->name>`: write a temporary file beside it, check its size and SHA-256 against
 * the manifest entry, then rename it into place (atomic; a failure leaves the old file).
 * One progress line goes to `progress` (may be NULL).
 * @return 0; PA_ECHECKSUM (printed with both digests); PA_EINVALDATA (range outside the
 *         file); PA_EIO.
 */
int pa_models_install_bytes(const char *src_path, uint64_t start, uint64_t end, const char *dir,
                            const struct pa_models_entry *e, FILE *progress);

#endif /* PA_APP_MODELS_UNPACK_H */

/** @file
 * The model folder: which files it must hold (models_manifest.inc: name, size, SHA-256),
 * checking them, and installing them from the pinned MediaPipe npm packages (plus the
 * default portrait from Debian's python3-skimage package).
 *
 * Other commands use the checks: `panim doctor` calls pa_models_verify(), the tracker calls
 * pa_models_verify_file() before loading a model so that a corrupt or truncated file is
 * refused by name instead of failing somewhere inside the graph loader.
 *
 * Threading: the checks may run on any thread. pa_models_install() spawns programs and
 * changes the working directory for the duration of one spawn, so it must only run while
 * the process is single-threaded (the CLI, before any pipeline starts).
 */
#ifndef PA_APP_MODELS_H
#define PA_APP_MODELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app/sha256.h"

enum pa_models_kind {
    PA_MODELS_KIND_MODEL, ///< needed by tracking; a missing one is an error
    PA_MODELS_KIND_ASSET, ///< optional extra (the default portrait); missing is fine
};

/** One manifest entry (static data, valid for the life of the process). */
struct pa_models_entry {
    const char *name;   ///< file name inside the model folder
    uint64_t size;      ///< expected length in bytes
    const char *sha256; ///< expected digest, 64 lowercase hex digits
    enum pa_models_kind kind;
    int source; ///< index of the package it comes from (see pa_models_package())
};

/** @return the number of manifest entries; entries are pa_models_entry_at(0..n-1). */
size_t pa_models_count(void);
const struct pa_models_entry *pa_models_entry_at(size_t i);
/** @return the entry named `file` (a bare file name), or NULL. */
const struct pa_models_entry *pa_models_find(const char *file);
/** @return the package an entry comes from, e.g. "@mediapipe/face_mesh@0.4.1657299874". */
const char *pa_models_package(const struct pa_models_entry *e);

/**
 * Join `dir` and `file` into buf[n]. @return 0, or PA_EOVERFLOW when it does not fit.
 */
int pa_models_path(char *buf, size_t n, const char *dir, const char *file);

enum pa_models_state {
    PA_MODELS_OK,       ///< present, right size and SHA-256
    PA_MODELS_MISSING,  ///< no such file
    PA_MODELS_MISMATCH, ///< present but size or SHA-256 differ (truncated, corrupt, other)
};

struct pa_models_status {
    enum pa_models_state state;
    uint64_t size;                   ///< bytes on disk (0 when missing)
    char sha256[PA_SHA256_HEX_SIZE]; ///< digest on disk ("" when missing)
};

/**
 * Check one entry in `dir` without printing anything on a mismatch.
 * @return 0 with *st filled (including MISSING / MISMATCH); PA_EIO when the file exists but
 *         cannot be read (logged).
 */
int pa_models_check(const char *dir, const struct pa_models_entry *e, struct pa_models_status *st);

/**
 * Check that `file` (a manifest name, e.g. "face_landmark.tflite") in `dir` is the expected
 * one. Logs one line naming the file when it is not.
 * @return 0; PA_ENOENT (missing); PA_ECHECKSUM (wrong size or SHA-256); PA_EINVAL when
 *         `file` is not in the manifest; PA_EIO.
 */
int pa_models_verify_file(const char *dir, const char *file);

/**
 * Check every required model in `dir` (and every asset that is present).
 * @param quiet 0: log one line per bad file; 1: print nothing.
 * @return 0 when all are fine, else the first error (as pa_models_verify_file).
 */
int pa_models_verify(const char *dir, int quiet);

/**
 * Default download cache for a model folder: the `.cache` folder beside it
 * ("/work/main/models" → "/work/main/.cache"). @return 0 or PA_EOVERFLOW.
 */
int pa_models_default_cache(char *buf, size_t n, const char *dir);

struct pa_models_install_opts {
    const char *dir;   ///< model folder (created when absent)
    const char *cache; ///< cache root (npm/ and deb/ below it); NULL = the default
    FILE *progress;    ///< progress lines go here (stdout); NULL = none
};

/**
 * Make `dir` hold every manifest file: files already right are kept; missing, truncated or
 * corrupt ones are re-extracted from the packages, which are fetched into the cache only
 * when not already there (`npm pack`, `apt-get download`; a warm cache works offline).
 * Bytes are verified against the manifest before they are renamed into place. Problems are
 * printed to stderr as one line each, naming the file and what to do. A missing default
 * portrait (no apt-get: not Debian) is a warning, not an error.
 * @return 0; PA_ENOENT (npm or tar not found); PA_EEXTERNAL (a program failed);
 *         PA_ECHECKSUM / PA_EINVALDATA (the package does not hold the expected bytes);
 *         PA_EIO.
 */
int pa_models_install(const struct pa_models_install_opts *opts);

#endif /* PA_APP_MODELS_H */

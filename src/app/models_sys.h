/** @file
 * Process and file-system helpers for the model installer (internal to src/app/models*.c):
 * running a program found in PATH with posix_spawnp (an argv array, never a shell string),
 * `mkdir -p`, temporary folders and their recursive removal.
 */
#ifndef PA_APP_MODELS_SYS_H
#define PA_APP_MODELS_SYS_H

#include <stddef.h>

/** @return 1 when an executable `name` is found in $PATH, else 0. */
int pa_models_have_program(const char *name);

/**
 * Run argv[0] (looked up in $PATH) with argv and wait for it.
 * @param cwd folder to run it in, or NULL for ours. Changing folder is done around the
 *        spawn in this process, so call this only while the process is single-threaded.
 * @param quiet_stdout 1: the program's stdout goes to /dev/null (its stderr stays).
 * @return 0 when it exits with status 0; PA_ENOENT when the program is not found;
 *         PA_EEXTERNAL when it fails (one line printed naming the command and the status).
 */
int pa_models_run(const char *const argv[], const char *cwd, int quiet_stdout);

/** Create `path` and its missing parents (mode 0755). @return 0 or PA_EIO (printed). */
int pa_models_mkdir_p(const char *path);

/**
 * Create a fresh private folder "$TMPDIR/panim-models-XXXXXX" (TMPDIR defaults to /tmp)
 * into buf[n]. @return 0, PA_EOVERFLOW or PA_EIO (printed).
 */
int pa_models_mkdtemp(char *buf, size_t n);

/** Remove `path` and everything below it (symbolic links are removed, not followed). */
void pa_models_rmtree(const char *path);

#endif /* PA_APP_MODELS_SYS_H */

/** @file
 * A one-line progress bar with rate and ETA on stderr, drawn only on a terminal.
 */
#ifndef PA_APP_PROGRESS_H
#define PA_APP_PROGRESS_H

#include <stdint.h>

struct pa_progress {
    const char *label;
    int64_t total;      ///< -1 when unknown
    int enabled;        ///< stderr is a terminal and not quiet
    double t_start_ms, t_last_ms;
};

void pa_progress_init(struct pa_progress *p, const char *label, int64_t total, int quiet);
/** Redraw (at most ~10 times a second). */
void pa_progress_update(struct pa_progress *p, int64_t done);
/** Finish the line. */
void pa_progress_done(struct pa_progress *p);

#endif

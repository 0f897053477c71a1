/** @file
 * Internals shared by config*.c and control*.c (not an API for other modules).
 */
#ifndef PA_APP_CONFIG_IMPL_H
#define PA_APP_CONFIG_IMPL_H

#include <stddef.h>

#include "app/config.h"
#include "core/pa_common.h"

struct pa_config {
    char **strs; ///< every string handed out, freed by pa_config_destroy
    size_t n_strs, cap_strs;
    char err[512]; ///< last error message (pa_config_last_error)
};

/** Copy len bytes + NUL into memory owned by cfg. @return NULL when out of memory. */
char *pa_config_strdup(struct pa_config *cfg, const char *s, size_t len);

/** Record (not log) an error message; cfg may be NULL. */
void pa_config_set_error(struct pa_config *cfg, const char *fmt, ...) PA_PRINTF(2, 3);

/** Address of an option's field (off) or second field (off2) inside o. */
static inline void *pa_config_at(const struct pa_live_opts *o, size_t off)
{
    return (char *)o + off;
}

/**
 * Iterate the choices of a "a|b=2|c" range: fills name (truncated to n) and value (the
 * explicit "=value", else the 0-based position, or for PA_CFG_INT the number itself).
 * @return 1 while there is a choice, 0 at the end. *cursor starts at the range string.
 */
int pa_config_next_choice(const char **cursor, int index, char *name, size_t n, long long *value);

/** Write the choice names as "a, b, c" (FLAGS add "all, none"). */
void pa_config_choice_list(const struct pa_config_option *opt, char *buf, size_t n);

/**
 * Check that s is valid UTF-8 and has no control character (C0, DEL, C1, U+2028/9,
 * U+FFFE/F), so it can live in a config value and round-trip through YAML.
 * @param multiline 1: tab, CR and LF are allowed (a whole file).
 * @return 0, or the byte offset + 1 of the first bad byte.
 */
size_t pa_config_bad_text(const char *s, size_t len, int multiline);

/** Append s as a YAML double-quoted scalar at buf[*used]. @return 0 or PA_EOVERFLOW. */
int pa_config_quote_yaml(const char *s, char *buf, size_t n, size_t *used);

/** Copy a user value for an error message: at most ~48 bytes, non-printables as '?'. */
void pa_config_quote(const char *s, char *buf, size_t n);

#endif /* PA_APP_CONFIG_IMPL_H */

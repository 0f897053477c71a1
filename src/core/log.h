/** @file
 * Logging with per-module levels (GStreamer debug categories, in small).
 * PA_DEBUG="warn,nn:debug" sets the default level and per-module overrides.
 * Log once, where an error happens, with the file name or ID that explains it.
 */
#ifndef PA_CORE_LOG_H
#define PA_CORE_LOG_H

#include "pa_common.h"

#include "panim.h"

/** Write one line "panim: [module] message" to stderr when module's level allows it. */
void pa_log(const char *module, enum pa_log_level level, const char *fmt, ...) PA_PRINTF(3, 4);

/** @return 1 when a message of this level from this module would be printed. */
int pa_log_enabled(const char *module, enum pa_log_level level);

#define pa_log_error(mod, ...) pa_log(mod, PA_LOG_ERROR, __VA_ARGS__)
#define pa_log_warn(mod, ...) pa_log(mod, PA_LOG_WARN, __VA_ARGS__)
#define pa_log_info(mod, ...) pa_log(mod, PA_LOG_INFO, __VA_ARGS__)
#define pa_log_debug(mod, ...) pa_log(mod, PA_LOG_DEBUG, __VA_ARGS__)

#endif /* PA_CORE_LOG_H */

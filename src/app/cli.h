/** @file
 * Subcommand table. Each command lives in its own file src/app/cmd_<name>.c and defines
 * `const struct pa_cli_command pa_cmd_<name>`; add it to PA_CLI_COMMANDS below.
 */
#ifndef PA_APP_CLI_H
#define PA_APP_CLI_H

struct pa_cli_command {
    const char *name;
    const char *summary; ///< one line for `panim --help`
    int (*run)(int argc, char **argv); ///< argv[0] is the command name; returns exit status
};

#define PA_CLI_COMMANDS(X) X(demo) X(live) X(animate) X(track) X(eval) X(models) X(devices) X(doctor) X(convert) X(config) X(bench)

#define PA__CMD_DECL(name) extern const struct pa_cli_command pa_cmd_##name;
PA_CLI_COMMANDS(PA__CMD_DECL)
#undef PA__CMD_DECL

#include "panim.h"

/** Default model folder: $PA_MODELS_DIR, else the one configured at build time. */
const char *pa_cli_models_dir(void);

/** Monotonic clock in milliseconds. */
double pa_cli_now_ms(void);

/** Parse "auto" / "ref" / "xnnpack"; prints an error and returns PA_EINVAL otherwise. */
int pa_cli_parse_backend(const char *s, enum pa_nn_backend *out);

/**
 * Verify (SHA-256) the model files the tracker needs before loading them, so a corrupt or
 * missing file is reported by name with the fix ("run 'panim models install'").
 */
int pa_cli_check_models(const char *dir, int landmarks);

#endif

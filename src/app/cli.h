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

#define PA_CLI_COMMANDS(X) X(models)

#define PA__CMD_DECL(name) extern const struct pa_cli_command pa_cmd_##name;
PA_CLI_COMMANDS(PA__CMD_DECL)
#undef PA__CMD_DECL

/** Default model folder: $PA_MODELS_DIR, else the one configured at build time. */
const char *pa_cli_models_dir(void);

#endif

/** @file
 * `panim config dump|check|docs`: the command-line face of app/config*.c.
 *
 *   dump   the effective configuration of `panim live` with the same arguments (--config,
 *          --set, flags) as YAML; `panim config dump > my.yaml` is a complete starting file
 *   check  validate config files: "FILE: ok" or the first error with its line
 *   docs   docs/CONFIG.md, generated from the option table
 *
 * Exit status: 0 success; 1 an invalid file or value; 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/config.h"

static const char g_usage[] =
    "usage: panim config dump [--config FILE] [--set SECTION.KEY=VALUE] [live options]\n"
    "       panim config check FILE...\n"
    "       panim config docs\n"
    "\n"
    "Inspect the configuration of 'panim live' (reference: docs/CONFIG.md).\n"
    "\n"
    "  dump   print the effective configuration as YAML: defaults, then --config FILE,\n"
    "         config_local.yaml beside it, --set and flags, exactly as 'panim live' would\n"
    "  check  validate each FILE (unknown keys, types, ranges); exit 1 on the first error\n"
    "  docs   print the configuration reference in Markdown (docs/CONFIG.md)\n";

static int dump(int argc, char **argv)
{
    struct pa_config *cfg = NULL;
    struct pa_live_opts o;
    if (pa_config_create(&cfg) < 0)
        return 1;
    int ret = pa_config_parse_args(cfg, &o, argc, argv);
    if (ret == PA_CONFIG_HELP) {
        fputs(g_usage, stdout);
        printf("\nlive options:\n");
        pa_config_print_flags(stdout);
        ret = 0;
    } else if (ret == 0) {
        const char *models = pa_cli_models_dir();
        if (!o.pl.models && models[0])
            o.pl.models = models;
        // finish() checks the control token rule and resolves run.offline; show what was
        // configured ("auto") rather than the resolution.
        int offline = o.pl.offline;
        ret = pa_config_finish(&o, 0);
        o.pl.offline = offline;
        if (ret == 0)
            ret = pa_config_dump(&o, stdout);
    }
    pa_config_destroy(cfg);
    return ret < 0 ? 1 : 0;
}

static int check(int argc, char **argv)
{
    if (argc < 2) {
        fputs(g_usage, stderr);
        return 2;
    }
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct pa_config *cfg = NULL;
        struct pa_live_opts o;
        if (pa_config_create(&cfg) < 0)
            return 1;
        pa_config_defaults(&o);
        int ret = pa_config_load_file(cfg, &o, argv[i]);
        if (ret == 0)
            ret = pa_config_finish(&o, 0);
        if (ret == 0)
            printf("%s: ok\n", argv[i]);
        bad |= ret < 0;
        pa_config_destroy(cfg);
    }
    return bad ? 1 : 0;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(g_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "dump"))
        return dump(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "docs") && argc == 2)
        return pa_config_docs(stdout) < 0 ? 1 : 0;
    fprintf(stderr, "panim config: unknown subcommand '%s'\n\n%s", argv[1], g_usage);
    return 2;
}

const struct pa_cli_command pa_cmd_config = {
    .name = "config",
    .summary = "print, check or document the configuration of 'panim live'",
    .run = run,
};

/** @file
 * panim's entry point: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "pa_config.h"

static const struct pa_cli_command *const g_commands[] = {
#define PA__CMD(name) &pa_cmd_##name,
    PA_CLI_COMMANDS(PA__CMD)
#undef PA__CMD
};

static void usage(FILE *f)
{
    fprintf(f, "panim %s — animate a portrait photo from a webcam, a video or idle motion.\n\n"
               "usage: panim COMMAND [options]   (panim COMMAND --help for details)\n\n"
               "commands:\n",
            PA_VERSION);
    for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++)
        fprintf(f, "  %-10s %s\n", g_commands[i]->name, g_commands[i]->summary);
    fprintf(f, "\nenvironment: PA_DEBUG=info|debug|nn:debug,... sets log levels; "
               "PA_MODELS_DIR overrides the model folder.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("panim %s\n", PA_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++) {
        if (!strcmp(argv[1], g_commands[i]->name))
            return g_commands[i]->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "panim: unknown command '%s' (see 'panim --help')\n", argv[1]);
    return 2;
}

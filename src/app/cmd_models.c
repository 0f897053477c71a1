/** @file
 * `panim models install|list|inspect` (work in progress: see issue 2).
 */
#include <stdio.h>

#include "app/cli.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "panim models: not implemented yet\n");
    return 1;
}

const struct pa_cli_command pa_cmd_models = {
    .name = "models",
    .summary = "install, list or inspect the face models",
    .run = run,
};

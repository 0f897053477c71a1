/** @file
 * Helpers shared by subcommands.
 */
#include "app/cli.h"

#include <stdlib.h>

#include "pa_config.h"

const char *pa_cli_models_dir(void)
{
    const char *env = getenv("PA_MODELS_DIR");
    return env && *env ? env : PA_DEFAULT_MODELS_DIR;
}

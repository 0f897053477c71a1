/** @file
 * Helpers shared by subcommands.
 */
#include "app/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/models.h"

#include "pa_config.h"

const char *pa_cli_models_dir(void)
{
    const char *env = getenv("PA_MODELS_DIR");
    return env && *env ? env : PA_DEFAULT_MODELS_DIR;
}

double pa_cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int pa_cli_parse_backend(const char *s, enum pa_nn_backend *out)
{
    if (!strcmp(s, "auto"))
        *out = PA_NN_BACKEND_AUTO;
    else if (!strcmp(s, "ref"))
        *out = PA_NN_BACKEND_REF;
    else if (!strcmp(s, "xnnpack"))
        *out = PA_NN_BACKEND_XNNPACK;
    else {
        fprintf(stderr, "panim: unknown backend '%s' (auto, ref or xnnpack)\n", s);
        return PA_EINVAL;
    }
    return 0;
}

int pa_cli_check_models(const char *dir, int landmarks)
{
    const char *files[] = {"face_detection_short_range.tflite",
                           landmarks == 468 ? "face_landmark.tflite"
                                            : "face_landmark_with_attention.tflite",
                           "geometry_pipeline_metadata_landmarks.binarypb"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        int ret = pa_models_verify_file(dir, files[i]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/** @file
 * tflite_inspect: print what a .tflite model contains (summary, inputs/outputs, op
 * histogram, every op; --tensors adds all tensors). It reuses the library's reader
 * (src/nn/tflite.c) and printer (src/nn/tflite_dump.c): one parser, never two.
 *
 *   build/tflite_inspect [--tensors] FILE
 *
 * Exit status: 0 on success, 1 for a missing or invalid file (the reader logs one line
 * naming the file and the problem), 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "nn/tflite.h"

static int usage(void)
{
    fprintf(stderr, "usage: tflite_inspect [--tensors] FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int show_tensors = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tensors") == 0)
            show_tensors = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return usage() - 2;
        else if (argv[i][0] == '-' || path)
            return usage();
        else
            path = argv[i];
    }
    if (!path)
        return usage();

    struct pa_tflite *t;
    if (pa_tflite_open(&t, path) < 0)
        return 1;
    int ret = pa_tflite_dump(t, show_tensors, stdout);
    pa_tflite_close(t);
    if (fflush(stdout) != 0 || ret < 0) {
        fprintf(stderr, "tflite_inspect: %s: cannot write the listing\n", path);
        return 1;
    }
    return 0;
}

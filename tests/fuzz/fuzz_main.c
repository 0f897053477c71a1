/** @file
 * Replay driver for compilers without libFuzzer (stb's fuzz_main.c idea): runs
 * LLVMFuzzerTestOneInput once on each file named on the command line, so crash inputs and
 * the seed corpus can be checked in any build. Exit status 0 when every input ran.
 */
#include <stdio.h>
#include <stdlib.h>

#include "panim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_main: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "fuzz_main: out of memory reading %s\n", path);
        return 1;
    }
    // Copy to an exact-size block so a sanitizer sees reads one past the end.
    uint8_t *exact = malloc(n ? n : 1);
    if (exact) {
        for (size_t i = 0; i < n; i++)
            exact[i] = buf[i];
        LLVMFuzzerTestOneInput(exact, n);
    }
    free(exact);
    free(buf);
    printf("ran %s (%zu bytes)\n", path, n);
    return exact ? 0 : 1;
}

int main(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++)
        failed |= run_file(argv[i]);
    return failed;
}

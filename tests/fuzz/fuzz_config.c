/** @file
 * libFuzzer target for the YAML config parser (src/app/config*.c): load the bytes on top
 * of the defaults; when they are accepted, dump the result and load the dump again, which
 * must succeed and give the same values (pa_config_equal). The same bytes are also tried
 * as a `--set` assignment. Under ASan/UBSan any overflow is a crash; a broken round trip
 * is an abort. Rejected inputs are the normal, quiet outcome.
 *
 * Built with -fsanitize=fuzzer under clang; elsewhere fuzz_main.c replays files through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "panim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "fuzz_config: invariant failed: %s\n", #x);                            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void roundtrip(const struct pa_live_opts *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    CHECK(pa_config_dump(o, f) == 0);
    CHECK(fclose(f) == 0);
    struct pa_config *cfg;
    struct pa_live_opts back;
    CHECK(pa_config_create(&cfg) == 0);
    pa_config_defaults(&back);
    int ret = pa_config_load_string(cfg, &back, text, len, "dump");
    if (ret != 0)
        fprintf(stderr, "fuzz_config: the dump does not load:\n%s\n", text);
    CHECK(ret == 0);
    const struct pa_config_option *diff = NULL;
    if (!pa_config_equal(o, &back, &diff))
        fprintf(stderr, "fuzz_config: %s.%s changed in the round trip:\n%s\n", diff->section,
                diff->key, text);
    CHECK(pa_config_equal(o, &back, NULL));
    pa_config_destroy(cfg);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        pa_log_set("quiet"); // rejections are expected; keep the fuzzer's output readable
        init = 1;
    }
    struct pa_config *cfg;
    struct pa_live_opts o;
    CHECK(pa_config_create(&cfg) == 0);
    pa_config_defaults(&o);
    int ret = pa_config_load_string(cfg, &o, (const char *)data, size, "fuzz");
    CHECK(ret == 0 || ret == PA_EINVALDATA);
    if (ret == 0)
        roundtrip(&o);

    // The same bytes as --set section.key=value (a C string: stop at the first NUL).
    char *s = malloc(size + 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    pa_config_defaults(&o);
    ret = pa_config_set(cfg, &o, s);
    CHECK(ret == 0 || ret == PA_EINVAL);
    if (ret == 0)
        roundtrip(&o);
    free(s);
    pa_config_destroy(cfg);
    return 0;
}

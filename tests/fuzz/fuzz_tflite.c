/** @file
 * libFuzzer target for the .tflite reader: open the bytes with pa_tflite_open_memory and, when
 * they are accepted, check the invariants the reader promises (indices in range, shapes
 * sane, data inside the input) by touching everything it returns, then print the full
 * dump to /dev/null. Under ASan/UBSan any out-of-bounds read or overflow is a crash; a
 * broken invariant is an abort. Rejected inputs are the normal, quiet outcome.
 *
 * Built with -fsanitize=fuzzer under clang; elsewhere fuzz_main.c replays files through it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nn/tflite.h"
#include "panim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "fuzz_tflite: invariant failed: %s\n", #x);                            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static volatile uint8_t g_sink;

/* Read the first and last byte of a range the reader claims lies inside the input. */
static void touch(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    CHECK(p >= data && p + n <= data + size);
    g_sink = (uint8_t)(p[0] ^ p[n - 1]);
}

static void walk(const struct pa_tflite *t, const uint8_t *data, size_t size)
{
    int n_tensors = pa_tflite_num_tensors(t);
    for (int i = 0; i < n_tensors; i++) {
        struct pa_tflite_tensor x;
        CHECK(pa_tflite_tensor(t, i, &x) == 0);
        CHECK(x.ndim >= 0 && x.ndim <= PA_TFLITE_MAX_DIMS);
        for (int d = 0; d < x.ndim; d++)
            CHECK(x.shape[d] >= 0);
        CHECK((x.data != NULL) == (x.data_size > 0));
        touch(data, size, x.data, x.data_size);
        g_sink = (uint8_t)x.name[0];
    }
    for (int which = 0; which < 2; which++) {
        for (int i = 0; i < pa_tflite_num_io(t, which); i++) {
            int idx = pa_tflite_io(t, which, i);
            CHECK(idx >= 0 && idx < n_tensors);
        }
    }
    for (int i = 0; i < pa_tflite_num_ops(t); i++) {
        struct pa_tflite_op op;
        CHECK(pa_tflite_op(t, i, &op) == 0);
        CHECK(op.n_inputs >= 0 && op.n_inputs <= PA_TFLITE_MAX_IO);
        CHECK(op.n_outputs >= 0 && op.n_outputs <= PA_TFLITE_MAX_IO);
        for (int k = 0; k < op.n_inputs; k++)
            CHECK(op.inputs[k] >= -1 && op.inputs[k] < n_tensors);
        for (int k = 0; k < op.n_outputs; k++)
            CHECK(op.outputs[k] >= -1 && op.outputs[k] < n_tensors);
        CHECK(op.opt.n_new_shape >= 0 && op.opt.n_new_shape <= PA_TFLITE_MAX_DIMS);
        if (op.custom_code)
            g_sink = (uint8_t)op.custom_code[0];
        touch(data, size, op.custom_options, op.custom_options_size);
    }
    g_sink = (uint8_t)pa_tflite_description(t)[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) {
        pa_log_set("quiet"); // rejections are expected; keep the fuzzer's output readable
        devnull = fopen("/dev/null", "w");
        CHECK(devnull != NULL);
    }
    struct pa_tflite *t;
    if (pa_tflite_open_memory(&t, data, size, "fuzz-input") < 0)
        return 0;
    walk(t, data, size);
    CHECK(pa_tflite_dump(t, 1, devnull) == 0);
    pa_tflite_close(t);
    return 0;
}

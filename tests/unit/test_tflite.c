/** @file
 * The .tflite reader on the four real MediaPipe models (structure, shapes, options, custom
 * ops) and on corrupt variants made here from the detector's bytes: truncations, a wrong
 * identifier, out-of-range offsets, huge vector lengths, bad indices and overflowing shapes.
 * Every corrupt variant must give PA_EINVALDATA; the file-based ones must log exactly one
 * line naming the file.
 *
 * The corruptions are placed with a tiny independent FlatBuffer walker (test-only, trusting
 * the valid original) so the test does not rely on the reader it checks.
 */
#include <fcntl.h>

#include "pa_test.h"

#include "nn/tflite.h"

#define DETECTOR "face_detection_short_range.tflite"

static const struct {
    const char *file;
    int size;  ///< input is 1 x size x size x 3
    int n_out; ///< subgraph outputs
} g_models[] = {
    {DETECTOR, 128, 2},
    {"face_landmark.tflite", 192, 2},
    {"face_landmark_with_attention.tflite", 192, 7},
    {"selfie_segmentation.tflite", 256, 1},
};

static uint8_t *load(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

static uint8_t *load_detector(size_t *size)
{
    uint8_t *b = load(pa_test_model(DETECTOR), size);
    if (!b)
        PA_SKIP("detector model not installed");
    return b;
}

/* ---- test-only FlatBuffer navigation over a trusted file ---- */

static uint32_t rd32(const uint8_t *b, size_t p)
{
    return (uint32_t)b[p] | (uint32_t)b[p + 1] << 8 | (uint32_t)b[p + 2] << 16 |
           (uint32_t)b[p + 3] << 24;
}

static void wr32(uint8_t *b, size_t p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[p + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* Position of field `id` of the table at `tbl`, 0 when absent. */
static size_t field(const uint8_t *b, size_t tbl, int id)
{
    size_t vt = tbl - (size_t)(int32_t)rd32(b, tbl);
    size_t vt_size = (size_t)(b[vt] | b[vt + 1] << 8);
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > vt_size)
        return 0;
    size_t voff = (size_t)(b[vt + slot] | b[vt + slot + 1] << 8);
    return voff ? tbl + voff : 0;
}

static size_t deref(const uint8_t *b, size_t p)
{
    return p + rd32(b, p);
}

/* Element i of the vector of tables at `vec` (the length word). */
static size_t elem(const uint8_t *b, size_t vec, uint32_t i)
{
    return deref(b, vec + 4 + 4 * (size_t)i);
}

static size_t subgraph0(const uint8_t *b)
{
    return elem(b, deref(b, field(b, rd32(b, 0), 2)), 0);
}

static size_t sg_vector(const uint8_t *b, int id) // 0 tensors, 3 operators
{
    return deref(b, field(b, subgraph0(b), id));
}

static int open_mem(const uint8_t *b, size_t n)
{
    struct pa_tflite *t = NULL;
    int ret = pa_tflite_open_memory(&t, b, n, "corrupt.tflite");
    if (ret == 0) {
        // Opening succeeded: the accessors must still work on every element.
        struct pa_tflite_op op;
        for (int i = 0; i < pa_tflite_num_ops(t); i++)
            ASSERT_OK(pa_tflite_op(t, i, &op));
    }
    pa_tflite_close(t);
    return ret;
}

/* Open `b` as a file, capture stderr, and check: PA_EINVALDATA, one line, names the file. */
static void check_file_rejected(const uint8_t *b, size_t n, const char *name)
{
    const char *path = pa_test_tmp(name);
    const char *log_path = pa_test_tmp("stderr.txt");
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(b, 1, n, f), n);
    fclose(f);

    ASSERT_OK(pa_log_set("warn"));
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    struct pa_tflite *t = NULL;
    int ret = pa_tflite_open(&t, path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    pa_tflite_close(t);

    char msg[1024] = {0};
    size_t len;
    uint8_t *text = load(log_path, &len);
    ASSERT_TRUE(text != NULL);
    memcpy(msg, text, len < sizeof(msg) - 1 ? len : sizeof(msg) - 1);
    free(text);
    unlink(path);
    unlink(log_path);
    fprintf(stderr, "%s -> %s", name, msg); // shown in the test log for review
    ASSERT_ERR(ret, PA_EINVALDATA);
    ASSERT_TRUE(strstr(msg, path) != NULL);
    char *nl = strchr(msg, '\n');
    ASSERT_TRUE(nl != NULL && nl[1] == '\0');
}

/* ---- real models ---- */

PA_TEST(real_models_structure)
{
    for (size_t m = 0; m < PA_ARRAY_SIZE(g_models); m++) {
        struct pa_tflite *t;
        struct pa_tflite_tensor in;
        ASSERT_OK(pa_tflite_open(&t, pa_test_model(g_models[m].file)));
        ASSERT_EQ(pa_tflite_version(t), 3);
        ASSERT_EQ(pa_tflite_num_io(t, 0), 1);
        ASSERT_EQ(pa_tflite_num_io(t, 1), g_models[m].n_out);
        ASSERT_OK(pa_tflite_tensor(t, pa_tflite_io(t, 0, 0), &in));
        ASSERT_EQ(in.ndim, 4);
        ASSERT_EQ(in.shape[0], 1);
        ASSERT_EQ(in.shape[1], g_models[m].size);
        ASSERT_EQ(in.shape[2], g_models[m].size);
        ASSERT_EQ(in.shape[3], 3);
        ASSERT_EQ(in.type, PA_TFLITE_FLOAT32);
        ASSERT_TRUE(in.data == NULL);
        ASSERT_GT(pa_tflite_num_ops(t), 0);

        int n = pa_tflite_num_tensors(t), n_const = 0;
        for (int i = 0; i < n; i++) {
            struct pa_tflite_tensor x;
            ASSERT_OK(pa_tflite_tensor(t, i, &x));
            ASSERT_TRUE((x.data != NULL) == (x.data_size > 0));
            n_const += x.data != NULL;
        }
        ASSERT_GT(n_const, 0);
        for (int i = 0; i < pa_tflite_num_ops(t); i++) {
            struct pa_tflite_op op;
            ASSERT_OK(pa_tflite_op(t, i, &op));
            ASSERT_GT(op.n_outputs, 0);
            for (int k = 0; k < op.n_inputs; k++)
                ASSERT_TRUE(op.inputs[k] >= -1 && op.inputs[k] < n);
            ASSERT_EQ(op.builtin_code == 32, op.custom_code != NULL);
        }
        ASSERT_ERR(pa_tflite_tensor(t, n, &in), PA_EINVAL);
        ASSERT_ERR(pa_tflite_tensor(t, -1, &in), PA_EINVAL);
        ASSERT_ERR(pa_tflite_io(t, 1, g_models[m].n_out), PA_EINVAL);
        ASSERT_ERR(pa_tflite_io(t, 2, 0), PA_EINVAL);
        pa_tflite_close(t);
    }
}

/* Decoded options must be the ones the ops' semantics need (checked on every conv). */
PA_TEST(real_models_options)
{
    for (size_t m = 0; m < PA_ARRAY_SIZE(g_models); m++) {
        struct pa_tflite *t;
        int n_stride2 = 0, n_custom = 0, n_resize = 0;
        ASSERT_OK(pa_tflite_open(&t, pa_test_model(g_models[m].file)));
        for (int i = 0; i < pa_tflite_num_ops(t); i++) {
            struct pa_tflite_op op;
            ASSERT_OK(pa_tflite_op(t, i, &op));
            if (op.builtin_code == 3 || op.builtin_code == 4) { // CONV_2D, DEPTHWISE_CONV_2D
                ASSERT_EQ(op.options_type, op.builtin_code == 3 ? 1 : 2);
                ASSERT_TRUE(op.opt.padding == 0 || op.opt.padding == 1);
                ASSERT_TRUE(op.opt.stride_w >= 1 && op.opt.stride_w == op.opt.stride_h);
                ASSERT_EQ(op.opt.dilation_w, 1);
                ASSERT_EQ(op.opt.dilation_h, 1);
                n_stride2 += op.opt.stride_w == 2;
            }
            if (op.builtin_code == 23) { // RESIZE_BILINEAR: MediaPipe uses half-pixel centres
                ASSERT_TRUE(op.opt.half_pixel_centers && !op.opt.align_corners);
                n_resize++;
            }
            if (op.custom_code) {
                n_custom++;
                if (strcmp(op.custom_code, "Landmarks2TransformMatrix") == 0)
                    ASSERT_GT(op.custom_options_size, 0);
            }
        }
        ASSERT_GT(n_stride2, 0);
        int is_attention = m == 2, is_selfie = m == 3;
        ASSERT_EQ(n_custom, is_attention ? 11 : is_selfie ? 1 : 0);
        ASSERT_EQ(n_resize, is_selfie ? 3 : 0);
        pa_tflite_close(t);
    }
}

PA_TEST(names)
{
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(0), "ADD") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(3), "CONV_2D") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(6), "DEQUANTIZE") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(32), "CUSTOM") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(54), "PRELU") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(117), "HARD_SWISH") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(126), "BATCH_MATMUL") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(-1), "UNKNOWN") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_builtin_name(100000), "UNKNOWN") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_type_name(PA_TFLITE_FLOAT16), "FLOAT16") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_type_name(PA_TFLITE_INT8), "INT8") == 0);
    ASSERT_TRUE(strcmp(pa_tflite_type_name(99), "UNKNOWN") == 0);
}

PA_TEST(dump_lists_every_op)
{
    struct pa_tflite *t;
    char line[4096];
    int n_op_lines = 0;
    FILE *f = tmpfile();
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(pa_tflite_open(&t, pa_test_model(DETECTOR)));
    ASSERT_OK(pa_tflite_dump(t, 1, f));
    rewind(f);
    while (fgets(line, sizeof(line), f))
        n_op_lines += line[0] == ' ' && line[1] == ' ' && line[2] == '#';
    ASSERT_EQ(n_op_lines, pa_tflite_num_ops(t));
    fclose(f);
    pa_tflite_close(t);
}

/* ---- corrupt variants ---- */

PA_TEST(truncated)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    ASSERT_OK(pa_log_set("quiet")); // hundreds of expected errors
    for (size_t len = 0; len < n; len += len < 64 ? 1 : 997)
        ASSERT_ERR(open_mem(b, len), PA_EINVALDATA);
    ASSERT_OK(open_mem(b, n));
    free(b);
}

PA_TEST(wrong_magic)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    b[4] = 'X';
    check_file_rejected(b, n, "magic.tflite");
    free(b);
}

PA_TEST(root_offset_out_of_range)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    const uint32_t bad[] = {(uint32_t)n, (uint32_t)n - 2, 0xfffffff0u};
    for (size_t i = 0; i < PA_ARRAY_SIZE(bad); i++) {
        uint32_t keep = rd32(b, 0);
        wr32(b, 0, bad[i]);
        ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
        if (i == 0)
            check_file_rejected(b, n, "root.tflite");
        wr32(b, 0, keep);
    }
    // The root table's vtable pushed outside the file.
    size_t root = rd32(b, 0);
    wr32(b, root, 0x80000000u);
    ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
    free(b);
}

PA_TEST(huge_vector_length)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    const uint32_t lens[] = {0x7fffffffu, 0xffffffffu, 0x40000000u, (uint32_t)n};
    const int vecs[] = {0, 3}; // subgraph tensors, operators
    for (size_t v = 0; v < PA_ARRAY_SIZE(vecs); v++) {
        size_t pos = sg_vector(b, vecs[v]);
        uint32_t keep = rd32(b, pos);
        for (size_t i = 0; i < PA_ARRAY_SIZE(lens); i++) {
            wr32(b, pos, lens[i]);
            ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
        }
        wr32(b, pos, keep);
    }
    // A string (tensor 0's name) whose length runs past the end of the file.
    size_t name = deref(b, field(b, elem(b, sg_vector(b, 0), 0), 3));
    wr32(b, name, 0xfffffff0u);
    check_file_rejected(b, n, "vector.tflite");
    free(b);
}

PA_TEST(buffer_index_out_of_range)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    size_t tensors = sg_vector(b, 0), pos = 0;
    for (uint32_t i = 0; i < rd32(b, tensors) && !pos; i++)
        pos = field(b, elem(b, tensors, i), 2); // first tensor that stores a buffer index
    ASSERT_TRUE(pos != 0);
    wr32(b, pos, 900000);
    check_file_rejected(b, n, "buffer.tflite");
    free(b);
}

PA_TEST(shape_overflow)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    size_t tensors = sg_vector(b, 0), shape = 0;
    for (uint32_t i = 0; i < rd32(b, tensors) && !shape; i++) {
        size_t f = field(b, elem(b, tensors, i), 0);
        if (f && rd32(b, deref(b, f)) == 4)
            shape = deref(b, f);
    }
    ASSERT_TRUE(shape != 0);
    uint8_t *orig = malloc(n);
    memcpy(orig, b, n);
    for (int d = 0; d < 4; d++)
        wr32(b, shape + 4 + 4 * (size_t)d, 0x7fffffffu); // 2^124 elements
    check_file_rejected(b, n, "shape.tflite");
    memcpy(b, orig, n);
    wr32(b, shape + 4, 0x10000u); // 2^16 * rest: fits size_t but exceeds 2^31
    wr32(b, shape + 8, 0x10000u);
    ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
    memcpy(b, orig, n);
    wr32(b, shape + 8, 0xffffffffu); // -1
    ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
    memcpy(b, orig, n);
    wr32(b, shape, 9); // too many dimensions
    ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
    free(orig);
    free(b);
}

PA_TEST(opcode_and_tensor_index_out_of_range)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    size_t ops = sg_vector(b, 3), pos = 0;
    for (uint32_t i = 0; i < rd32(b, ops) && !pos; i++)
        pos = field(b, elem(b, ops, i), 0); // first op that stores its opcode index
    ASSERT_TRUE(pos != 0);
    uint32_t keep = rd32(b, pos);
    wr32(b, pos, 0x10000);
    check_file_rejected(b, n, "opcode.tflite");
    wr32(b, pos, keep);

    size_t inputs = deref(b, field(b, elem(b, ops, 0), 1));
    uint32_t n_tensors = rd32(b, sg_vector(b, 0));
    const uint32_t bad[] = {n_tensors, n_tensors + 100, (uint32_t)-2, 0x80000000u};
    for (size_t i = 0; i < PA_ARRAY_SIZE(bad); i++) {
        wr32(b, inputs + 4, bad[i]);
        ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
    }
    free(b);
}

PA_TEST(bad_field_offset)
{
    size_t n;
    uint8_t *b = load_detector(&n);
    // Rewrite the root vtable's subgraphs slot to point past the table's inline size.
    size_t root = rd32(b, 0), vt = root - (size_t)(int32_t)rd32(b, root);
    b[vt + 4 + 2 * 2] = 0xf0;
    b[vt + 4 + 2 * 2 + 1] = 0xff;
    ASSERT_ERR(open_mem(b, n), PA_EINVALDATA);
    free(b);
}

PA_TEST(missing_and_empty_files)
{
    struct pa_tflite *t = (struct pa_tflite *)&t;
    ASSERT_ERR(pa_tflite_open(&t, pa_test_tmp("does_not_exist.tflite")), PA_ENOENT);
    ASSERT_TRUE(t == NULL);
    check_file_rejected((const uint8_t *)"", 0, "empty.tflite");
    ASSERT_ERR(pa_tflite_open_memory(&t, NULL, 0, "empty"), PA_EINVALDATA);
    ASSERT_TRUE(pa_tflite_open(&t, pa_test_tmp("")) < 0); // a directory
}

PA_TEST_MAIN()

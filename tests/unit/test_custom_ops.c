/** @file
 * MediaPipe custom ops: the FlexBuffers reader (hand-built buffers, corrupt and truncated
 * bytes), option decoding on the real custom_options of the face and selfie models, and the
 * four reference kernels against hand-computed results or a naive implementation here.
 */
#include "pa_test.h"

#include "core/log.h"
#include "core/parallel.h"
#include "nn/custom.h"
#include "nn/flexbuffer.h"
#include "nn/graph.h"
#include "nn/ref/ref.h"
#include "nn/tflite.h"

/* ---- FlexBuffers ------------------------------------------------------------------------ */

/* {"a": 7, "b": 2.5f, "v": [1, 300, -2]}, built by hand (offsets on the left):
 *  0 "a\0" 2 "b\0" 4 "v\0" | 6 size 3 (u16), 8 int16 elements 1, 300, -2
 * 14 keys: size 3 (u8), 15 offsets 15, 14, 13 back to the three keys | 18 padding
 * 20 map prefix (u32 each): keys offset 5 (-> 15), keys width 1, size 3
 * 32 values (u32 slots): 7, 2.5f, offset 32 (-> 8) | 44 types INT/8, FLOAT/32, VECTOR_INT/16
 * 47 root slot 15 (-> 32), packed MAP/32-bit elements, root width 1. */
static const uint8_t k_map_abv[] = {
    0x61, 0x00, 0x62, 0x00, 0x76, 0x00, 0x03, 0x00, 0x01, 0x00, 0x2c, 0x01, 0xfe,
    0xff, 0x03, 0x0f, 0x0e, 0x0d, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
    0x40, 0x20, 0x00, 0x00, 0x00, 0x04, 0x0e, 0x2d, 0x0f, 0x26, 0x01,
};

/* Untyped vector [-3, 0.25 (double), "hi", indirect int16 1000] with 8-byte slots:
 *  0 size 2, "hi\0" | 4 int16 1000 | 6 padding | 8 size 4 (u64) | 16 slots: -3, 0.25,
 * offset 31 (-> 1), offset 36 (-> 4) | 48 types INT, FLOAT/64, STRING/8, INDIRECT_INT/16
 * 52 root slot 36 (-> 16), packed VECTOR/64-bit elements, root width 1. */
static const uint8_t k_vec_mixed[] = {
    0x02, 0x68, 0x69, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xd0, 0x3f, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x0f, 0x14, 0x19, 0x24, 0x2b, 0x01,
};

/* Real custom_options of operator 192 (Landmarks2TransformMatrix v2, the lips crop) in
 * models/face_landmark_with_attention.tflite, copied with a throwaway Python FlatBuffer
 * reader. Decoded independently (Python FlexBuffers reader) as: left_rotation_idx 61,
 * right_rotation_idx 291, output 16x16, scale 1.5/1.5, target_rotation_radians 0 and 80
 * subset_idxs starting 61, 146, 91, 181 and ending 268, 271, 272, 407. */
static const uint8_t k_l2tm_lips[] = {
    0x6c, 0x65, 0x66, 0x74, 0x5f, 0x72, 0x6f, 0x74, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x69, 0x64,
    0x78, 0x00, 0x6f, 0x75, 0x74, 0x70, 0x75, 0x74, 0x5f, 0x68, 0x65, 0x69, 0x67, 0x68, 0x74, 0x00,
    0x6f, 0x75, 0x74, 0x70, 0x75, 0x74, 0x5f, 0x77, 0x69, 0x64, 0x74, 0x68, 0x00, 0x72, 0x69, 0x67,
    0x68, 0x74, 0x5f, 0x72, 0x6f, 0x74, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x69, 0x64, 0x78, 0x00,
    0x73, 0x63, 0x61, 0x6c, 0x65, 0x5f, 0x78, 0x00, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x5f, 0x79, 0x00,
    0x73, 0x75, 0x62, 0x73, 0x65, 0x74, 0x5f, 0x69, 0x64, 0x78, 0x73, 0x00, 0x50, 0x00, 0x3d, 0x00,
    0x92, 0x00, 0x5b, 0x00, 0xb5, 0x00, 0x54, 0x00, 0x11, 0x00, 0x3a, 0x01, 0x95, 0x01, 0x41, 0x01,
    0x77, 0x01, 0x23, 0x01, 0xb9, 0x00, 0x28, 0x00, 0x27, 0x00, 0x25, 0x00, 0x00, 0x00, 0x0b, 0x01,
    0x0d, 0x01, 0x0e, 0x01, 0x99, 0x01, 0x4e, 0x00, 0x5f, 0x00, 0x58, 0x00, 0xb2, 0x00, 0x57, 0x00,
    0x0e, 0x00, 0x3d, 0x01, 0x92, 0x01, 0x3e, 0x01, 0x44, 0x01, 0x34, 0x01, 0xbf, 0x00, 0x50, 0x00,
    0x51, 0x00, 0x52, 0x00, 0x0d, 0x00, 0x38, 0x01, 0x37, 0x01, 0x36, 0x01, 0x9f, 0x01, 0x4c, 0x00,
    0x4d, 0x00, 0x5a, 0x00, 0xb4, 0x00, 0x55, 0x00, 0x10, 0x00, 0x3b, 0x01, 0x94, 0x01, 0x40, 0x01,
    0x33, 0x01, 0x32, 0x01, 0xb8, 0x00, 0x4a, 0x00, 0x49, 0x00, 0x48, 0x00, 0x0b, 0x00, 0x2e, 0x01,
    0x2f, 0x01, 0x30, 0x01, 0x98, 0x01, 0x3e, 0x00, 0x60, 0x00, 0x59, 0x00, 0xb3, 0x00, 0x56, 0x00,
    0x0f, 0x00, 0x3c, 0x01, 0x93, 0x01, 0x3f, 0x01, 0x45, 0x01, 0x24, 0x01, 0xb7, 0x00, 0x2a, 0x00,
    0x29, 0x00, 0x26, 0x00, 0x0c, 0x00, 0x0c, 0x01, 0x0f, 0x01, 0x10, 0x01, 0x97, 0x01, 0x74, 0x61,
    0x72, 0x67, 0x65, 0x74, 0x5f, 0x72, 0x6f, 0x74, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x72, 0x61,
    0x64, 0x69, 0x61, 0x6e, 0x73, 0x00, 0x08, 0x00, 0x18, 0x01, 0x08, 0x01, 0xfc, 0x00, 0xf1, 0x00,
    0xe0, 0x00, 0xda, 0x00, 0xd4, 0x00, 0x28, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0xc0, 0x3f, 0xee, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x06, 0x06, 0x06, 0x06, 0x0e, 0x0e, 0x2d, 0x0e, 0x28, 0x26, 0x01,
};

/* TransformTensorBilinear v2 options (ops 195-197 of the same model): output 16x16. */
static const uint8_t k_ttb[] = {
    0x6f, 0x75, 0x74, 0x70, 0x75, 0x74, 0x5f, 0x68, 0x65, 0x69, 0x67, 0x68, 0x74, 0x00,
    0x6f, 0x75, 0x74, 0x70, 0x75, 0x74, 0x5f, 0x77, 0x69, 0x64, 0x74, 0x68, 0x00, 0x02,
    0x1c, 0x0f, 0x02, 0x01, 0x02, 0x10, 0x10, 0x04, 0x04, 0x04, 0x24, 0x01,
};

/* Convolution2DTransposeBias (op 244 of models/selfie_segmentation.tflite): SAME, 2x2. */
static const uint8_t k_tconv[] = {0x01, 0, 0, 0, 0x02, 0, 0, 0, 0x02, 0, 0, 0};

PA_TEST(flex_hand_built_map)
{
    struct pa_flex_ref root, v, e;
    int64_t i;
    double d;
    size_t n;
    const char *key;
    ASSERT_OK(pa_flex_root(k_map_abv, sizeof(k_map_abv), &root));
    ASSERT_EQ(root.type, PA_FLEX_MAP);
    ASSERT_OK(pa_flex_vec_size(&root, &n));
    ASSERT_EQ(n, 3);
    ASSERT_OK(pa_flex_map_key(&root, 2, &key));
    ASSERT_TRUE(strcmp(key, "v") == 0);

    ASSERT_OK(pa_flex_map_get(&root, "a", &v));
    ASSERT_OK(pa_flex_as_int(&v, &i));
    ASSERT_EQ(i, 7);
    ASSERT_OK(pa_flex_as_double(&v, &d)); // ints convert to floating values
    ASSERT_NEAR(d, 7.0, 0);
    ASSERT_OK(pa_flex_map_get(&root, "b", &v));
    ASSERT_OK(pa_flex_as_double(&v, &d));
    ASSERT_NEAR(d, 2.5, 0);
    ASSERT_ERR(pa_flex_as_int(&v, &i), PA_EINVALDATA); // floats do not silently truncate

    ASSERT_OK(pa_flex_map_get(&root, "v", &v));
    ASSERT_EQ(v.type, PA_FLEX_VECTOR_INT);
    ASSERT_OK(pa_flex_vec_size(&v, &n));
    ASSERT_EQ(n, 3);
    static const int64_t want[] = {1, 300, -2};
    for (size_t k = 0; k < 3; k++) {
        ASSERT_OK(pa_flex_vec_at(&v, k, &e));
        ASSERT_OK(pa_flex_as_int(&e, &i));
        ASSERT_EQ(i, want[k]);
    }
    ASSERT_ERR(pa_flex_vec_at(&v, 3, &e), PA_EINVALDATA);

    ASSERT_OK(pa_flex_map_get(&root, "zz", &v)); // absent: a null reference, not an error
    ASSERT_TRUE(pa_flex_is_null(&v));
    ASSERT_OK(pa_flex_map_get(&root, "", &v));
    ASSERT_TRUE(pa_flex_is_null(&v));
}

PA_TEST(flex_hand_built_untyped_vector)
{
    struct pa_flex_ref root, e;
    int64_t i;
    double d;
    size_t n;
    const char *s;
    ASSERT_OK(pa_flex_root(k_vec_mixed, sizeof(k_vec_mixed), &root));
    ASSERT_EQ(root.type, PA_FLEX_VECTOR);
    ASSERT_OK(pa_flex_vec_size(&root, &n));
    ASSERT_EQ(n, 4);
    ASSERT_OK(pa_flex_vec_at(&root, 0, &e));
    ASSERT_OK(pa_flex_as_int(&e, &i));
    ASSERT_EQ(i, -3);
    ASSERT_OK(pa_flex_vec_at(&root, 1, &e));
    ASSERT_OK(pa_flex_as_double(&e, &d));
    ASSERT_NEAR(d, 0.25, 0);
    ASSERT_OK(pa_flex_vec_at(&root, 2, &e));
    ASSERT_OK(pa_flex_as_string(&e, &s, &n));
    ASSERT_EQ(n, 2);
    ASSERT_TRUE(strcmp(s, "hi") == 0);
    ASSERT_ERR(pa_flex_as_int(&e, &i), PA_EINVALDATA);
    ASSERT_OK(pa_flex_vec_at(&root, 3, &e));
    ASSERT_EQ(e.type, PA_FLEX_INDIRECT_INT);
    ASSERT_OK(pa_flex_as_int(&e, &i));
    ASSERT_EQ(i, 1000);
    // Not a map: key lookups are refused rather than misread.
    ASSERT_ERR(pa_flex_map_get(&root, "a", &e), PA_EINVALDATA);
}

PA_TEST(flex_corrupt_fields_are_rejected)
{
    uint8_t b[sizeof(k_map_abv)];
    struct pa_flex_ref root, v;
    size_t n;
    int64_t i;

    ASSERT_ERR(pa_flex_root(k_map_abv, 2, &root), PA_EINVALDATA);
    ASSERT_ERR(pa_flex_root(NULL, 0, &root), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[sizeof(b) - 1] = 3; // root width must be 1, 2, 4 or 8
    ASSERT_ERR(pa_flex_root(b, sizeof(b), &root), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[47] = 0xf0; // root offset before the start of the buffer
    ASSERT_OK(pa_flex_root(b, sizeof(b), &root));
    ASSERT_ERR(pa_flex_map_get(&root, "a", &v), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[28] = 0xff, b[29] = 0xff, b[30] = 0xff, b[31] = 0x7f; // map size past the end
    ASSERT_OK(pa_flex_root(b, sizeof(b), &root));
    ASSERT_ERR(pa_flex_vec_size(&root, &n), PA_EINVALDATA);
    ASSERT_ERR(pa_flex_map_get(&root, "a", &v), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[24] = 3; // keys width 3
    ASSERT_OK(pa_flex_root(b, sizeof(b), &root));
    ASSERT_ERR(pa_flex_map_get(&root, "a", &v), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[14] = 2; // key count disagrees with the value count
    ASSERT_OK(pa_flex_root(b, sizeof(b), &root));
    ASSERT_ERR(pa_flex_map_get(&root, "a", &v), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[6] = 0xff, b[7] = 0xff; // vector "v" claims 65535 elements
    ASSERT_OK(pa_flex_root(b, sizeof(b), &root));
    ASSERT_OK(pa_flex_map_get(&root, "v", &v));
    ASSERT_ERR(pa_flex_vec_size(&v, &n), PA_EINVALDATA);
    ASSERT_ERR(pa_flex_vec_at(&v, 0, &v), PA_EINVALDATA);

    memcpy(b, k_map_abv, sizeof(b));
    b[44] = 0x14; // "a" typed as STRING: not an integer any more
    ASSERT_OK(pa_flex_root(b, sizeof(b), &root));
    ASSERT_OK(pa_flex_map_get(&root, "a", &v));
    ASSERT_ERR(pa_flex_as_int(&v, &i), PA_EINVALDATA);

    /* {"k": 4} whose key has no terminator anywhere in the buffer: 0 'k' | 1 keys size 1,
     * 2 offset 2 (-> 0) | 3 keys offset 1 (-> 2), keys width 1, size 1 | 6 value 4, 7 type
     * INT | 8 root slot 2 (-> 6), MAP/8-bit, width 1. */
    static const uint8_t unterminated[] = {'k',  0x01, 0x02, 0x01, 0x01, 0x01,
                                           0x04, 0x04, 0x02, 0x24, 0x01};
    ASSERT_OK(pa_flex_root(unterminated, sizeof(unterminated), &root));
    ASSERT_ERR(pa_flex_map_get(&root, "k", &v), PA_EINVALDATA);
}

/* Read everything reachable one level down; errors are fine, crashes and hangs are not. */
static void flex_walk(const uint8_t *b, size_t size)
{
    struct pa_flex_ref root, e, x;
    int64_t i;
    double d;
    const char *s;
    size_t n = 0, m = 0;
    if (pa_flex_root(b, size, &root) < 0)
        return;
    (void)pa_flex_as_int(&root, &i);
    (void)pa_flex_as_double(&root, &d);
    (void)pa_flex_as_string(&root, &s, &n);
    if (pa_flex_vec_size(&root, &n) < 0)
        return;
    for (size_t k = 0; k < n && k < 64; k++) {
        (void)pa_flex_map_key(&root, k, &s);
        if (pa_flex_vec_at(&root, k, &e) < 0)
            continue;
        (void)pa_flex_as_int(&e, &i);
        (void)pa_flex_as_double(&e, &d);
        (void)pa_flex_as_string(&e, &s, &m);
        if (pa_flex_vec_size(&e, &m) == 0)
            for (size_t j = 0; j < m && j < 256; j++)
                if (pa_flex_vec_at(&e, j, &x) == 0)
                    (void)pa_flex_as_int(&x, &i);
    }
}

PA_TEST(flex_mutations_never_crash)
{
    static const struct {
        const uint8_t *b;
        size_t n;
    } bufs[] = {{k_map_abv, sizeof(k_map_abv)},
                {k_vec_mixed, sizeof(k_vec_mixed)},
                {k_l2tm_lips, sizeof(k_l2tm_lips)},
                {k_ttb, sizeof(k_ttb)}};
    static const uint8_t masks[] = {0x01, 0x02, 0x10, 0x80, 0xff};
    uint8_t *copy = malloc(sizeof(k_l2tm_lips));
    ASSERT_TRUE(copy != NULL);
    ASSERT_OK(pa_log_set("quiet"));
    for (size_t k = 0; k < PA_ARRAY_SIZE(bufs); k++) {
        for (size_t len = 0; len <= bufs[k].n; len++) {
            // Truncation: a fresh heap copy of exactly `len` bytes, so ASan sees over-reads.
            uint8_t *t = malloc(len ? len : 1);
            ASSERT_TRUE(t != NULL);
            memcpy(t, bufs[k].b, len);
            flex_walk(t, len);
            free(t);
        }
        for (size_t pos = 0; pos < bufs[k].n; pos++) {
            for (size_t mi = 0; mi < PA_ARRAY_SIZE(masks); mi++) {
                memcpy(copy, bufs[k].b, bufs[k].n);
                copy[pos] ^= masks[mi];
                flex_walk(copy, bufs[k].n);
                struct pa_custom_params p;
                int r = pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, copy, bufs[k].n, &p,
                                        "mutated");
                ASSERT_TRUE(r == 0 || r == PA_EINVALDATA || r == PA_EUNSUPPORTED);
                if (r == 0) // whatever got through must satisfy the documented ranges
                    ASSERT_TRUE(p.n_subset >= 1 && p.output_w >= 1 && p.scale_x > 0);
            }
        }
    }
    free(copy);
    ASSERT_OK(pa_log_set("warn"));
}

/* ---- option decoding on the real bytes ------------------------------------------------- */

PA_TEST(parse_real_landmarks_to_transform_matrix)
{
    struct pa_custom_params p;
    ASSERT_OK(pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, k_l2tm_lips, sizeof(k_l2tm_lips),
                              &p, "lips"));
    ASSERT_EQ(p.left_rotation_idx, 61);
    ASSERT_EQ(p.right_rotation_idx, 291);
    ASSERT_EQ(p.output_w, 16);
    ASSERT_EQ(p.output_h, 16);
    ASSERT_NEAR(p.scale_x, 1.5, 0);
    ASSERT_NEAR(p.scale_y, 1.5, 0);
    ASSERT_NEAR(p.target_rotation_radians, 0, 0);
    ASSERT_EQ(p.n_subset, 40);
    ASSERT_EQ(p.subset_idxs[0], 61);
    ASSERT_EQ(p.subset_idxs[1], 146);
    ASSERT_EQ(p.subset_idxs[2], 91);
    ASSERT_EQ(p.subset_idxs[78], 272);
    ASSERT_EQ(p.subset_idxs[79], 407);
}

PA_TEST(parse_real_transform_tensor_and_tconv)
{
    struct pa_custom_params p;
    ASSERT_OK(pa_custom_parse(PA_OP_TRANSFORM_TENSOR_BILINEAR, k_ttb, sizeof(k_ttb), &p, "ttb"));
    ASSERT_EQ(p.output_h, 16);
    ASSERT_EQ(p.output_w, 16);
    ASSERT_OK(pa_custom_parse(PA_OP_TRANSFORM_LANDMARKS, NULL, 0, &p, "tl"));
    ASSERT_OK(pa_custom_parse(PA_OP_TRANSPOSE_CONV_BIAS, k_tconv, sizeof(k_tconv), &p, "tc"));
    ASSERT_EQ(p.padding, PA_PAD_SAME);
    ASSERT_EQ(p.stride_w, 2);
    ASSERT_EQ(p.stride_h, 2);
}

PA_TEST(parse_rejects_bad_options)
{
    struct pa_custom_params p;
    uint8_t b[sizeof(k_l2tm_lips)];
    ASSERT_OK(pa_log_set("quiet"));
    // Every truncation of real options must fail cleanly (the root lives at the end).
    for (size_t len = 0; len < sizeof(k_l2tm_lips); len++)
        ASSERT_ERR(
            pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, k_l2tm_lips, len, &p, "truncated"),
            PA_EINVALDATA);
    for (size_t len = 0; len < sizeof(k_ttb); len++)
        ASSERT_ERR(pa_custom_parse(PA_OP_TRANSFORM_TENSOR_BILINEAR, k_ttb, len, &p, "t"),
                   PA_EINVALDATA);
    ASSERT_ERR(pa_custom_parse(PA_OP_TRANSPOSE_CONV_BIAS, k_tconv, 11, &p, "t"), PA_EINVALDATA);
    uint8_t tc[12];
    memcpy(tc, k_tconv, 12);
    tc[0] = 0; // kTfLitePaddingUnknown
    ASSERT_ERR(pa_custom_parse(PA_OP_TRANSPOSE_CONV_BIAS, tc, 12, &p, "t"), PA_EINVALDATA);
    memcpy(tc, k_tconv, 12);
    tc[7] = 0x80; // negative stride
    ASSERT_ERR(pa_custom_parse(PA_OP_TRANSPOSE_CONV_BIAS, tc, 12, &p, "t"), PA_EINVALDATA);

    // A map that is not the L2TM's: TTB options lack scale and subset -> rejected.
    ASSERT_ERR(
        pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, k_ttb, sizeof(k_ttb), &p, "wrong map"),
        PA_EINVALDATA);
    // scale_x (the u32 value slot at byte 324) set to -1.5f -> out of range.
    memcpy(b, k_l2tm_lips, sizeof(b));
    ASSERT_EQ(b[327], 0x3f);
    b[327] = 0xbf;
    ASSERT_ERR(pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, b, sizeof(b), &p, "neg"),
               PA_EINVALDATA);
    // output_height's type byte (341) changed to FLOAT: wrong type.
    memcpy(b, k_l2tm_lips, sizeof(b));
    ASSERT_EQ(b[341], 0x06);
    b[341] = 0x0e;
    ASSERT_ERR(pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, b, sizeof(b), &p, "type"),
               PA_EINVALDATA);
    ASSERT_ERR(pa_custom_parse(PA_OP_CONV_2D, k_ttb, sizeof(k_ttb), &p, "conv"), PA_EINVAL);

    ASSERT_OK(pa_custom_check_version(PA_OP_TRANSFORM_LANDMARKS, 2, "v"));
    ASSERT_ERR(pa_custom_check_version(PA_OP_TRANSFORM_LANDMARKS, 1, "v"), PA_EUNSUPPORTED);
    ASSERT_ERR(pa_custom_check_version(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, 1, "v"),
               PA_EUNSUPPORTED);
    ASSERT_OK(pa_custom_check_version(PA_OP_TRANSPOSE_CONV_BIAS, 1, "v"));
    ASSERT_OK(pa_log_set("warn"));
}

static int custom_op_of(const char *code)
{
    static const struct {
        const char *name;
        int op;
    } k[] = {{"Convolution2DTransposeBias", PA_OP_TRANSPOSE_CONV_BIAS},
             {"Landmarks2TransformMatrix", PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX},
             {"TransformTensorBilinear", PA_OP_TRANSFORM_TENSOR_BILINEAR},
             {"TransformLandmarks", PA_OP_TRANSFORM_LANDMARKS}};
    for (size_t i = 0; code && i < PA_ARRAY_SIZE(k); i++)
        if (strcmp(code, k[i].name) == 0)
            return k[i].op;
    return -1;
}

/* Parse every custom op of a model through the TFLite reader; count them per op. */
static void parse_model_customs(const char *file, int counts[4])
{
    struct pa_tflite *t;
    ASSERT_OK(pa_tflite_open(&t, pa_test_model(file)));
    for (int i = 0; i < pa_tflite_num_ops(t); i++) {
        struct pa_tflite_op op;
        struct pa_tflite_tensor in0, out0;
        struct pa_custom_params p;
        ASSERT_OK(pa_tflite_op(t, i, &op));
        int k = custom_op_of(op.custom_code);
        if (k < 0)
            continue;
        counts[k - PA_OP_TRANSPOSE_CONV_BIAS]++;
        ASSERT_OK(pa_custom_check_version(k, op.version, file));
        ASSERT_OK(pa_custom_parse(k, op.custom_options, op.custom_options_size, &p, file));
        ASSERT_OK(pa_tflite_tensor(t, op.inputs[0], &in0));
        ASSERT_OK(pa_tflite_tensor(t, op.outputs[0], &out0));
        if (k == PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX) {
            // Every index must address one of the input's landmarks.
            ASSERT_EQ(in0.ndim, 3);
            ASSERT_EQ(in0.shape[2], 3);
            ASSERT_LT(PA_MAX(p.left_rotation_idx, p.right_rotation_idx), in0.shape[1]);
            for (int j = 0; j < 2 * p.n_subset; j++)
                ASSERT_LT(p.subset_idxs[j], in0.shape[1]);
            ASSERT_EQ(p.output_h, 16);
        } else if (k == PA_OP_TRANSFORM_TENSOR_BILINEAR) {
            // The file's own output shape agrees with the decoded size.
            ASSERT_EQ(out0.shape[1], p.output_h);
            ASSERT_EQ(out0.shape[2], p.output_w);
            ASSERT_EQ(out0.shape[3], in0.shape[3]);
        } else if (k == PA_OP_TRANSPOSE_CONV_BIAS) {
            struct pa_tflite_tensor w;
            ASSERT_OK(pa_tflite_tensor(t, op.inputs[1], &w));
            int same = p.padding == PA_PAD_SAME;
            int ph = pa_custom_tconv_pad_total(same, in0.shape[1], w.shape[1], p.stride_h);
            int pw = pa_custom_tconv_pad_total(same, in0.shape[2], w.shape[2], p.stride_w);
            ASSERT_EQ(out0.shape[1], p.stride_h * (in0.shape[1] - 1) + w.shape[1] - ph);
            ASSERT_EQ(out0.shape[2], p.stride_w * (in0.shape[2] - 1) + w.shape[2] - pw);
            ASSERT_EQ(out0.shape[3], w.shape[0]);
        }
    }
    pa_tflite_close(t);
}

PA_TEST(parse_every_custom_op_in_the_models)
{
    int face[4] = {0}, selfie[4] = {0};
    parse_model_customs("face_landmark_with_attention.tflite", face);
    parse_model_customs("selfie_segmentation.tflite", selfie);
    ASSERT_EQ(face[1], 3); // Landmarks2TransformMatrix: lips, left eye, right eye
    ASSERT_EQ(face[2], 3); // TransformTensorBilinear
    ASSERT_EQ(face[3], 5); // TransformLandmarks
    ASSERT_EQ(selfie[0], 1);
}

/* ---- kernels ----------------------------------------------------------------------------- */

/* One node over up to 4 tensors; tensor i's buffer is ptr[i]. */
struct fixture {
    struct pa_tensor t[4];
    struct pa_graph g;
    struct pa_node n;
    float *ptr[4];
};

static void fx_init(struct fixture *f, int op, int n_in)
{
    memset(f, 0, sizeof(*f));
    f->g.tensors = f->t;
    f->g.n_tensors = 4;
    f->g.nodes = &f->n;
    f->g.n_nodes = 1;
    f->n.op = op;
    f->n.n_in = n_in;
    f->n.n_out = 1;
    for (int i = 0; i < n_in; i++)
        f->n.in[i] = i;
    f->n.out[0] = n_in;
}

static void fx_shape(struct fixture *f, int id, int ndim, int d0, int d1, int d2, int d3)
{
    struct pa_tensor *t = &f->t[id];
    int d[4] = {d0, d1, d2, d3};
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = d[i];
        t->count *= (size_t)d[i];
    }
}

PA_TEST(transform_landmarks_rotation_translation)
{
    // x' = -y + 10, y' = x + 20 (90 degrees plus a shift); z must pass through.
    float m[16] = {0, -1, 0, 10, 1, 0, 0, 20, 0, 0, 1, 0, 0, 0, 0, 1};
    float in3[6] = {1, 2, 3, -4, 0.5f, 7}, out3[6];
    float in2[4] = {1, 2, -4, 0.5f}, out2[4];
    struct fixture f;
    fx_init(&f, PA_OP_TRANSFORM_LANDMARKS, 2);
    fx_shape(&f, 0, 3, 1, 2, 3, 0);
    fx_shape(&f, 1, 3, 1, 4, 4, 0);
    fx_shape(&f, 2, 3, 1, 2, 3, 0);
    f.ptr[0] = in3, f.ptr[1] = m, f.ptr[2] = out3;
    pa_ref_transform_landmarks(&f.g, &f.n, f.ptr, NULL);
    const float want3[6] = {8, 21, 3, 9.5f, 16, 7};
    ASSERT_ARRAY_NEAR(out3, want3, 6, 1e-6);

    fx_shape(&f, 0, 3, 1, 2, 2, 0);
    fx_shape(&f, 2, 3, 1, 2, 2, 0);
    f.ptr[0] = in2, f.ptr[2] = out2;
    pa_ref_transform_landmarks(&f.g, &f.n, f.ptr, NULL);
    const float want2[4] = {8, 21, 9.5f, 16};
    ASSERT_ARRAY_NEAR(out2, want2, 4, 1e-6);
}

/* Data [1,H,W,C] with value 10*x + 100*y + c at pixel (x, y), channel c. */
static void ramp(float *d, int h, int w, int c)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                d[((size_t)y * w + x) * c + k] = 10.0f * x + 100.0f * y + (float)k;
}

static void run_ttb(const float *in, int h, int w, int c, const float m[16], float *out, int oh,
                    int ow, struct pa_parallel *par)
{
    struct fixture f;
    fx_init(&f, PA_OP_TRANSFORM_TENSOR_BILINEAR, 2);
    fx_shape(&f, 0, 4, 1, h, w, c);
    fx_shape(&f, 1, 3, 1, 4, 4, 0);
    fx_shape(&f, 2, 4, 1, oh, ow, c);
    f.ptr[0] = (float *)in, f.ptr[1] = (float *)m, f.ptr[2] = out;
    pa_ref_transform_tensor_bilinear(&f.g, &f.n, f.ptr, par);
}

PA_TEST(transform_tensor_bilinear_identity_shift_scale)
{
    enum { H = 4, W = 5, C = 2 };
    float in[H * W * C], out[2 * H * 2 * W * C];
    ramp(in, H, W, C);

    // Identity: every output pixel centre lands on the same input centre, edges included.
    const float id[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    run_ttb(in, H, W, C, id, out, H, W, NULL);
    ASSERT_ARRAY_NEAR(out, in, H * W * C, 1e-5);

    // Shift by one pixel right: out(x, y) = in(x + 1, y); the last column falls outside -> 0.
    const float sh[16] = {1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    run_ttb(in, H, W, C, sh, out, H, W, NULL);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int k = 0; k < C; k++) {
                float want = x + 1 < W ? 10.0f * (x + 1) + 100.0f * y + (float)k : 0.0f;
                ASSERT_NEAR(out[(y * W + x) * C + k], want, 1e-4);
            }

    /* 2x upscale: the matrix maps output pixel coordinates to input ones, so it scales by
     * 0.5. Output centre (x + 0.5) -> input centre 0.5 * (x + 0.5), input index
     * tx = 0.5 * x - 0.25; bilinear is exact on the ramp; outside [0, W-1] gives 0. */
    const float up[16] = {0.5f, 0, 0, 0, 0, 0.5f, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    run_ttb(in, H, W, C, up, out, 2 * H, 2 * W, NULL);
    for (int y = 0; y < 2 * H; y++)
        for (int x = 0; x < 2 * W; x++)
            for (int k = 0; k < C; k++) {
                float tx = 0.5f * x - 0.25f, ty = 0.5f * y - 0.25f;
                bool inside = tx >= 0 && tx <= W - 1 && ty >= 0 && ty <= H - 1;
                float want = inside ? 10.0f * tx + 100.0f * ty + (float)k : 0.0f;
                ASSERT_NEAR(out[(y * 2 * W + x) * C + k], want, 1e-4);
            }

    // A NaN matrix must give zeros, not an undefined float-to-int conversion.
    float bad[16];
    memcpy(bad, id, sizeof(bad));
    bad[0] = NAN;
    run_ttb(in, H, W, C, bad, out, H, W, NULL);
    for (int i = 0; i < H * W * C; i++)
        ASSERT_EQ(out[i], 0);
}

PA_TEST(transform_tensor_bilinear_threads_match_serial)
{
    enum { H = 48, W = 48, C = 32, O = 16 };
    float *in = malloc(sizeof(float) * H * W * C);
    float a[O * O * C], b[O * O * C];
    ASSERT_TRUE(in != NULL);
    ramp(in, H, W, C);
    // A rotated, scaled crop like the eye crops of the attention model.
    const float m[16] = {0.9f, -0.4f, 0, 20, 0.4f, 0.9f, 0, 12, 0, 0, 1, 0, 0, 0, 0, 1};
    struct pa_parallel *par;
    ASSERT_OK(pa_parallel_create(&par, 2));
    run_ttb(in, H, W, C, m, a, O, O, NULL);
    run_ttb(in, H, W, C, m, b, O, O, par);
    ASSERT_TRUE(memcmp(a, b, sizeof(a)) == 0);
    // Spot check one pixel by hand: (3, 5) -> t = M(3.5, 5.5) - 0.5.
    float tx = 0.9f * 3.5f - 0.4f * 5.5f + 20 - 0.5f, ty = 0.4f * 3.5f + 0.9f * 5.5f + 12 - 0.5f;
    ASSERT_NEAR(a[(5 * O + 3) * C + 7], 10 * tx + 100 * ty + 7, 5e-3);
    pa_parallel_destroy(par);
    free(in);
}

/* Landmarks for the L2TM tests: a box of half-size (a, b) around centre (cx, cy), rotated
 * by theta; landmarks 0/1 lie on its rotated x axis (the rotation pair), 2..5 are corners. */
static void box_landmarks(float lm[18], float cx, float cy, float a, float b, float theta)
{
    static const float u[6][2] = {{-5, 0}, {5, 0}, {-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
    float cs = cosf(theta), sn = sinf(theta);
    for (int i = 0; i < 6; i++) {
        float x = i < 2 ? u[i][0] : u[i][0] * a, y = i < 2 ? u[i][1] : u[i][1] * b;
        lm[3 * i] = cx + cs * x - sn * y;
        lm[3 * i + 1] = cy + sn * x + cs * y;
        lm[3 * i + 2] = 0.5f * (float)i; // z is ignored
    }
}

static void run_l2tm(const float lm[18], const struct pa_custom_params *p, float m[16])
{
    struct fixture f;
    fx_init(&f, PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, 1);
    fx_shape(&f, 0, 3, 1, 6, 3, 0);
    fx_shape(&f, 1, 3, 1, 4, 4, 0);
    f.n.p.custom = *p;
    f.ptr[0] = (float *)lm, f.ptr[1] = m;
    pa_ref_landmarks_to_transform_matrix(&f.g, &f.n, f.ptr, NULL);
}

/* Where the matrix sends output pixel (x, y). */
static void apply(const float m[16], float x, float y, float *ox, float *oy)
{
    *ox = m[0] * x + m[1] * y + m[3];
    *oy = m[4] * x + m[5] * y + m[7];
}

PA_TEST(landmarks_to_transform_matrix_rotated_box)
{
    const float cx = 20, cy = 12, a = 6, b = 4, theta = 0.3f;
    float lm[18], m[16];
    box_landmarks(lm, cx, cy, a, b, theta);
    struct pa_custom_params p = {
        .left_rotation_idx = 0,
        .right_rotation_idx = 1,
        .n_subset = 2,
        .subset_idxs = {2, 3, 4, 5},
        .scale_x = 1.5f,
        .scale_y = 1.25f,
        .output_w = 16,
        .output_h = 8,
    };
    run_l2tm(lm, &p, m);
    const float rows23[8] = {0, 0, 1, 0, 0, 0, 0, 1};
    ASSERT_ARRAY_NEAR(m + 8, rows23, 8, 0);
    ASSERT_NEAR(m[2], 0, 0);
    ASSERT_NEAR(m[6], 0, 0);
    /* Geometry, independent of the formula: the crop is the box scaled by (1.5, 1.25) about
     * its centre, axes along the box: output pixel (x, y) goes to
     * c + R(theta) * ((x / 16 - 0.5) * 2a * 1.5, (y / 8 - 0.5) * 2b * 1.25). */
    static const float corners[5][2] = {{0, 0}, {16, 0}, {16, 8}, {0, 8}, {8, 4}};
    for (int i = 0; i < 5; i++) {
        float u = (corners[i][0] / 16 - 0.5f) * 2 * a * 1.5f;
        float v = (corners[i][1] / 8 - 0.5f) * 2 * b * 1.25f;
        float wx = cx + cosf(theta) * u - sinf(theta) * v;
        float wy = cy + sinf(theta) * u + cosf(theta) * v;
        float gx, gy;
        apply(m, corners[i][0], corners[i][1], &gx, &gy);
        ASSERT_NEAR(gx, wx, 1e-4);
        ASSERT_NEAR(gy, wy, 1e-4);
    }

    /* target_rotation_radians = pi/2: the crop's x axis is turned a quarter away from the
     * eye line, so its width spans the box's height: (x, y) -> c + R(theta - pi/2) *
     * ((x / 16 - 0.5) * 2b * 1.5, (y / 8 - 0.5) * 2a * 1.25). */
    p.target_rotation_radians = 1.57079632679f;
    run_l2tm(lm, &p, m);
    float phi = theta - 1.57079632679f;
    for (int i = 0; i < 5; i++) {
        float u = (corners[i][0] / 16 - 0.5f) * 2 * b * 1.5f;
        float v = (corners[i][1] / 8 - 0.5f) * 2 * a * 1.25f;
        float wx = cx + cosf(phi) * u - sinf(phi) * v;
        float wy = cy + sinf(phi) * u + cosf(phi) * v;
        float gx, gy;
        apply(m, corners[i][0], corners[i][1], &gx, &gy);
        ASSERT_NEAR(gx, wx, 1e-4);
        ASSERT_NEAR(gy, wy, 1e-4);
    }
}

PA_TEST(landmarks_matrix_round_trips_through_transform_landmarks)
{
    // With scale 1, the crop's corner pixels map back onto the box corners.
    float lm[18], m[16];
    box_landmarks(lm, -3, 7, 5, 2, -1.1f);
    struct pa_custom_params p = {.left_rotation_idx = 0,
                                 .right_rotation_idx = 1,
                                 .n_subset = 2,
                                 .subset_idxs = {2, 3, 4, 5},
                                 .scale_x = 1,
                                 .scale_y = 1,
                                 .output_w = 10,
                                 .output_h = 10};
    run_l2tm(lm, &p, m);
    float crop[8] = {0, 0, 10, 0, 10, 10, 0, 10}, back[8];
    struct fixture f;
    fx_init(&f, PA_OP_TRANSFORM_LANDMARKS, 2);
    fx_shape(&f, 0, 3, 1, 4, 2, 0);
    fx_shape(&f, 1, 3, 1, 4, 4, 0);
    fx_shape(&f, 2, 3, 1, 4, 2, 0);
    f.ptr[0] = crop, f.ptr[1] = m, f.ptr[2] = back;
    pa_ref_transform_landmarks(&f.g, &f.n, f.ptr, NULL);
    for (int i = 0; i < 4; i++) {
        ASSERT_NEAR(back[2 * i], lm[3 * (i + 2)], 1e-4);
        ASSERT_NEAR(back[2 * i + 1], lm[3 * (i + 2) + 1], 1e-4);
    }
}

/* MediaPipe's scatter formulation, written independently of the kernel's gather. */
static void naive_tconv(const float *x, int n, int h, int w, int ci, const float *wt, int co,
                        int kh, int kw, const float *bias, int sh, int sw, int same, float *y,
                        int oh, int ow)
{
    int pt = pa_custom_tconv_pad_total(same, h, kh, sh) / 2;
    int pl = pa_custom_tconv_pad_total(same, w, kw, sw) / 2;
    for (int i = 0; i < n * oh * ow; i++)
        for (int o = 0; o < co; o++)
            y[(size_t)i * co + o] = bias[o];
    for (int b = 0; b < n; b++)
        for (int iy = 0; iy < h; iy++)
            for (int ix = 0; ix < w; ix++)
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int oy = iy * sh - pt + ky, ox = ix * sw - pl + kx;
                        if (oy < 0 || ox < 0 || oy >= oh || ox >= ow)
                            continue;
                        for (int o = 0; o < co; o++)
                            for (int c = 0; c < ci; c++)
                                y[(((size_t)b * oh + oy) * ow + ox) * co + o] +=
                                    x[(((size_t)b * h + iy) * w + ix) * ci + c] *
                                    wt[(((size_t)o * kh + ky) * kw + kx) * ci + c];
                    }
}

static float frand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

PA_TEST(transpose_conv_bias_matches_naive_scatter)
{
    // n, h, w, ci, co, kh, kw, sh, sw, same; includes the selfie model's 2x2/2 SAME layer
    // (shrunk), odd sizes, kernels smaller and larger than the stride, and VALID.
    static const int cfg[][10] = {
        {1, 8, 8, 16, 1, 2, 2, 2, 2, 1}, {1, 5, 7, 3, 4, 3, 3, 2, 2, 1},
        {2, 4, 3, 2, 3, 4, 4, 2, 2, 1},  {1, 5, 4, 3, 2, 2, 1, 3, 2, 1},
        {1, 3, 5, 2, 2, 3, 2, 2, 3, 0},  {1, 6, 6, 4, 5, 1, 1, 1, 1, 1},
        {1, 4, 4, 2, 2, 5, 3, 1, 2, 1},  {1, 3, 4, 2, 2, 4, 2, 1, 1, 1},
    };
    struct pa_parallel *par;
    ASSERT_OK(pa_parallel_create(&par, 2));
    uint32_t seed = 12345;
    for (size_t k = 0; k < PA_ARRAY_SIZE(cfg); k++) {
        const int *c = cfg[k];
        int n = c[0], h = c[1], w = c[2], ci = c[3], co = c[4], kh = c[5], kw = c[6];
        int sh = c[7], sw = c[8], same = c[9];
        int oh = sh * (h - 1) + kh - pa_custom_tconv_pad_total(same, h, kh, sh);
        int ow = sw * (w - 1) + kw - pa_custom_tconv_pad_total(same, w, kw, sw);
        size_t nx = (size_t)n * h * w * ci, nw = (size_t)co * kh * kw * ci;
        size_t ny = (size_t)n * oh * ow * co;
        const size_t fs = sizeof(float);
        float *x = malloc(nx * fs), *wt = malloc(nw * fs), *bias = malloc((size_t)co * fs);
        float *y = malloc(ny * fs), *y2 = malloc(ny * fs), *ref = malloc(ny * fs);
        ASSERT_TRUE(x && wt && bias && y && y2 && ref);
        for (size_t i = 0; i < nx; i++)
            x[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++)
            wt[i] = frand(&seed);
        for (int i = 0; i < co; i++)
            bias[i] = frand(&seed);
        naive_tconv(x, n, h, w, ci, wt, co, kh, kw, bias, sh, sw, same, ref, oh, ow);

        struct fixture f;
        fx_init(&f, PA_OP_TRANSPOSE_CONV_BIAS, 3);
        fx_shape(&f, 0, 4, n, h, w, ci);
        fx_shape(&f, 1, 4, co, kh, kw, ci);
        fx_shape(&f, 2, 1, co, 0, 0, 0);
        fx_shape(&f, 3, 4, n, oh, ow, co);
        // The graph builder's fields (custom left zero), as graph_ops.c fills them.
        f.n.p.padding = same ? PA_PAD_SAME : PA_PAD_VALID;
        f.n.p.stride_h = sh, f.n.p.stride_w = sw;
        f.ptr[0] = x, f.ptr[1] = wt, f.ptr[2] = bias, f.ptr[3] = y;
        pa_ref_transpose_conv_bias(&f.g, &f.n, f.ptr, NULL);
        ASSERT_ARRAY_NEAR(y, ref, ny, 1e-4);
        // The same through the custom fields (pa_custom_parse path) and two threads.
        f.n.p.padding = PA_PAD_VALID, f.n.p.stride_h = 7, f.n.p.stride_w = 7;
        f.n.p.custom.padding = same ? PA_PAD_SAME : PA_PAD_VALID;
        f.n.p.custom.stride_h = sh, f.n.p.custom.stride_w = sw;
        f.ptr[3] = y2;
        pa_ref_transpose_conv_bias(&f.g, &f.n, f.ptr, par);
        ASSERT_TRUE(memcmp(y, y2, ny * fs) == 0);
        free(x), free(wt), free(bias), free(y), free(y2), free(ref);
    }
    pa_parallel_destroy(par);
}

/* ---- end to end ----------------------------------------------------------------------- */

/* The L2TM subset (landmark indices) of the op whose left_rotation_idx is `left`. */
static int model_subset(const char *file, int left, int *idx, int max)
{
    struct pa_tflite *t;
    int n = 0;
    ASSERT_OK(pa_tflite_open(&t, pa_test_model(file)));
    for (int i = 0; i < pa_tflite_num_ops(t); i++) {
        struct pa_tflite_op op;
        struct pa_custom_params p;
        ASSERT_OK(pa_tflite_op(t, i, &op));
        if (custom_op_of(op.custom_code) != PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX)
            continue;
        ASSERT_OK(pa_custom_parse(PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, op.custom_options,
                                  op.custom_options_size, &p, file));
        if (p.left_rotation_idx != left)
            continue;
        n = PA_MIN(2 * p.n_subset, max);
        memcpy(idx, p.subset_idxs, (size_t)n * sizeof(int));
    }
    pa_tflite_close(t);
    return n;
}

static int output_index(const struct pa_nn_model *m, const char *name)
{
    for (int i = 0; i < pa_nn_model_num_io(m, 1); i++) {
        int dims[4], nd;
        const char *nm;
        if (pa_nn_model_io(m, 1, i, dims, &nd, &nm) == 0 && strcmp(nm, name) == 0)
            return i;
    }
    return -1;
}

/* Mean distance (crop pixels) between refined points and the mesh points they refine. */
static double refine_error(const float *mesh, const float *pts, const int *idx, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += hypot(pts[2 * i] - mesh[3 * idx[i]], pts[2 * i + 1] - mesh[3 * idx[i] + 1]);
    return sum / n;
}

/* The attention model crops lips and eyes out of a 48x48 feature map with
 * Landmarks2TransformMatrix + TransformTensorBilinear, refines them and maps them back with
 * TransformLandmarks. On a real face the refined points must land on the mesh points they
 * refine (MediaPipe's subset order is the output order); a half-pixel error in the crop
 * convention alone moves them by ~4 px. Measured here: 1.0 / 0.95 / 0.75 px. */
PA_TEST(attention_model_refinements_agree_with_mesh)
{
    const char *file = "face_landmark_with_attention.tflite";
    struct pa_image img;
    struct pa_nn_model *m;
    ASSERT_OK(pa_image_load(&img, pa_test_shared("testdata/source/astronaut.png")));
    ASSERT_OK(pa_nn_model_load(&m, pa_test_model(file)));
    static const struct {
        const char *output;
        int left_rotation_idx;
    } parts[] = {{"output_lips", 61}, {"output_left_eye", 33}, {"output_right_eye", 362}};
    // Both backends: XNNPACK runs these three ops on our reference kernels too.
    static const enum pa_nn_backend backends[] = {PA_NN_BACKEND_REF, PA_NN_BACKEND_AUTO};
    for (size_t b = 0; b < PA_ARRAY_SIZE(backends); b++) {
        struct pa_nn_session *s;
        ASSERT_OK(pa_nn_session_create(&s, m, backends[b], NULL));
        /* Square crop around the face: the oracle's landmark box for this image
         * (../shared/oracle/shared.json, mode b), grown 1.5x, resampled to 192x192, [0, 1]. */
        const float x0 = 145.77f, y0 = 44.46f, size = 158.75f;
        const float warp[6] = {size / 192, 0, x0, 0, size / 192, y0};
        ASSERT_OK(pa_image_warp_affine_f32(&img, pa_nn_session_input(s, 0), 192, 192, warp,
                                           1.0f / 255, 0));
        ASSERT_OK(pa_nn_session_run(s));
        const float *mesh = pa_nn_session_output(s, output_index(m, "output_mesh_identity"));
        for (size_t k = 0; k < PA_ARRAY_SIZE(parts); k++) {
            int idx[2 * PA_CUSTOM_MAX_SUBSET];
            int n = model_subset(file, parts[k].left_rotation_idx, idx, 2 * PA_CUSTOM_MAX_SUBSET);
            int o = output_index(m, parts[k].output);
            ASSERT_TRUE(n >= 71 && o >= 0);
            int dims[4], nd;
            const char *nm;
            ASSERT_OK(pa_nn_model_io(m, 1, o, dims, &nd, &nm));
            // [1,N,2] or [1,2N]
            int count = dims[nd - 1] == 2 ? dims[nd - 2] : dims[nd - 1] / 2;
            ASSERT_TRUE(count <= n);
            double e = refine_error(mesh, pa_nn_session_output(s, o), idx, count);
            fprintf(stderr, "%s %s: %d points, mean %.2f px from the mesh\n",
                    pa_nn_backend_name(pa_nn_session_backend(s)), parts[k].output, count, e);
            ASSERT_LT(e, 2.0);
        }
        pa_nn_session_destroy(s);
    }
    pa_nn_model_destroy(m);
    pa_image_free(&img);
}

PA_TEST_MAIN()

/** @file
 * Face geometry metadata: the protobuf wire reader on hand-made bytes, the real MediaPipe
 * file, and corrupt copies of it (truncated, over-long varint, lengths past the end, random
 * byte flips) that must fail cleanly with PA_EINVALDATA.
 */
#include "pa_test.h"

#include "track/geometry.h"
#include "track/protobuf.h"

#define GEOM_FILE "geometry_pipeline_metadata_landmarks.binarypb"

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    uint8_t *buf = malloc((size_t)n);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *size = (size_t)n;
    return buf;
}

static uint8_t *load_model_bytes(size_t *size)
{
    uint8_t *b = read_all(pa_test_model(GEOM_FILE), size);
    if (!b)
        PA_SKIP("geometry model not installed");
    return b;
}

PA_TEST(pb_varint_limits)
{
    struct pa_pb_reader r;
    uint64_t v;
    const uint8_t max64[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    pa_pb_reader_init(&r, max64, sizeof(max64));
    ASSERT_OK(pa_pb_read_varint(&r, &v));
    ASSERT_TRUE(v == UINT64_MAX);
    const uint8_t too_big[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    pa_pb_reader_init(&r, too_big, sizeof(too_big));
    ASSERT_ERR(pa_pb_read_varint(&r, &v), PA_EINVALDATA);
    const uint8_t eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0};
    pa_pb_reader_init(&r, eleven, sizeof(eleven));
    ASSERT_ERR(pa_pb_read_varint(&r, &v), PA_EINVALDATA);
    const uint8_t cut[2] = {0x96, 0x81};
    pa_pb_reader_init(&r, cut, sizeof(cut));
    ASSERT_ERR(pa_pb_read_varint(&r, &v), PA_EINVALDATA);
    const uint8_t v150[2] = {0x96, 0x01};
    pa_pb_reader_init(&r, v150, sizeof(v150));
    ASSERT_OK(pa_pb_read_varint(&r, &v));
    ASSERT_EQ(v, 150);
}

PA_TEST(pb_fields_packed_unpacked_groups)
{
    // field 4 packed uint32 {3, 270}, field 4 unpacked 7, a group (field 9) holding a varint,
    // field 3 float 1.5 (0x3fc00000), unknown fixed64 field 15.
    const uint8_t msg[] = {0x22, 0x03, 0x03, 0x8e, 0x02, 0x20, 0x07, 0x4b, 0x08,
                           0x01, 0x4c, 0x1d, 0x00, 0x00, 0xc0, 0x3f, 0x79, 1,
                           2,    3,    4,    5,    6,    7,    8};
    struct pa_pb_reader r;
    struct pa_pb_field f;
    uint32_t idx[4];
    size_t n, total = 0;
    float fv = 0;
    int nfields = 0;
    pa_pb_reader_init(&r, msg, sizeof(msg));
    int ret;
    while ((ret = pa_pb_next(&r, &f)) > 0) {
        nfields++;
        if (f.num == 4) {
            ASSERT_OK(pa_pb_repeated_u32(&f, idx + total, 4 - total, &n));
            total += n;
        } else if (f.num == 3) {
            ASSERT_OK(pa_pb_get_f32(&f, &fv));
            ASSERT_ERR(pa_pb_get_u32(&f, &idx[0]), PA_EINVALDATA);
        } else {
            ASSERT_EQ(f.num, 15);
            ASSERT_EQ(f.wire, PA_PB_I64);
        }
    }
    ASSERT_EQ(ret, 0);
    ASSERT_EQ(nfields, 4); // the group was skipped whole
    ASSERT_EQ(total, 3);
    ASSERT_EQ(idx[0], 3);
    ASSERT_EQ(idx[1], 270);
    ASSERT_EQ(idx[2], 7);
    ASSERT_NEAR(fv, 1.5, 0);

    // A length past the end, wire type 7, field number 0, an unterminated group.
    const uint8_t past[] = {0x0a, 0x05, 0x01};
    const uint8_t wire7[] = {0x0f, 0x01};
    const uint8_t num0[] = {0x00, 0x01};
    const uint8_t open_group[] = {0x4b, 0x08, 0x01};
    const uint8_t *bad[] = {past, wire7, num0, open_group};
    const size_t bad_n[] = {sizeof(past), sizeof(wire7), sizeof(num0), sizeof(open_group)};
    for (int i = 0; i < 4; i++) {
        pa_pb_reader_init(&r, bad[i], bad_n[i]);
        ASSERT_ERR(pa_pb_next(&r, &f), PA_EINVALDATA);
    }
    // A packed float payload that is not a multiple of 4 bytes.
    const uint8_t odd[] = {0x1a, 0x03, 0, 0, 0};
    pa_pb_reader_init(&r, odd, sizeof(odd));
    ASSERT_EQ(pa_pb_next(&r, &f), 1);
    ASSERT_ERR(pa_pb_repeated_f32(&f, NULL, 0, &n), PA_EINVALDATA);
}

PA_TEST(real_file_parses)
{
    struct pa_geometry *g = NULL;
    if (access(pa_test_model(GEOM_FILE), R_OK) != 0)
        PA_SKIP("geometry model not installed");
    ASSERT_OK(pa_geometry_load_file(pa_test_model(GEOM_FILE), &g));
    ASSERT_EQ(g->n_vertices, 468);
    ASSERT_EQ(g->n_triangles, 898);
    for (int i = 0; i < 3 * g->n_triangles; i++)
        ASSERT_LT(g->tri[i], 468);
    ASSERT_GT(g->n_basis, 10);
    double wsum = 0;
    for (int i = 0; i < g->n_basis; i++) {
        ASSERT_LT(g->basis_id[i], 468);
        ASSERT_GT(g->basis_w[i], 0);
        wsum += g->basis_w[i];
    }
    ASSERT_GT(wsum, 0.5);
    ASSERT_EQ(g->input_source, 1);
    // Canonical axes as documented in geometry.h: the person's left outer eye corner (263)
    // at +x, the forehead (10) above the chin (152), the nose tip (1) in front of the ears.
    ASSERT_GT(g->xyz[3 * 263], 3.0);
    ASSERT_LT(g->xyz[3 * 33], -3.0);
    ASSERT_GT(g->xyz[3 * 10 + 1], g->xyz[3 * 152 + 1] + 10.0);
    ASSERT_GT(g->xyz[3 * 1 + 2], g->xyz[3 * 234 + 2] + 5.0);
    for (int i = 0; i < 2 * g->n_vertices; i++) {
        ASSERT_TRUE(g->uv[i] >= 0.0f && g->uv[i] <= 1.0f);
    }
    pa_geometry_destroy(g);
    pa_geometry_destroy(NULL);
    ASSERT_ERR(pa_geometry_load_file(pa_test_tmp("missing.binarypb"), &g), PA_ENOENT);
    ASSERT_TRUE(g == NULL);
}

PA_TEST(truncated_copies_fail_cleanly)
{
    size_t size;
    uint8_t *bytes = load_model_bytes(&size);
    struct pa_geometry *full = NULL;
    ASSERT_OK(pa_geometry_load(bytes, size, "full", &full));
    ASSERT_OK(pa_log_set("quiet"));
    // Every prefix: a cut inside a field is corrupt. A cut exactly between two top-level
    // fields after the mesh is a valid, shorter message (protobuf has no end marker), so it
    // may parse, but then only with fewer basis entries than the whole file.
    int n_invalid = 0, n_ok = 0;
    for (size_t len = 0; len < size; len++) {
        uint8_t *copy = malloc(len ? len : 1); // exact size, so ASan sees any over-read
        memcpy(copy, bytes, len);
        struct pa_geometry *g = NULL;
        int ret = pa_geometry_load(copy, len, "truncated", &g);
        if (ret == 0) {
            n_ok++;
            ASSERT_TRUE(g->n_basis < full->n_basis || len >= size - 2);
            ASSERT_EQ(g->n_vertices, 468);
        } else {
            ASSERT_EQ(ret, PA_EINVALDATA);
            ASSERT_TRUE(g == NULL);
            n_invalid++;
        }
        pa_geometry_destroy(g);
        free(copy);
    }
    printf("truncations: %d invalid, %d valid shorter messages of %zu\n", n_invalid, n_ok, size);
    ASSERT_LT(n_ok, full->n_basis + 2);
    pa_log_set("warn");
    pa_geometry_destroy(full);
    free(bytes);
}

PA_TEST(huge_varint_and_bad_lengths_fail)
{
    size_t size;
    uint8_t *bytes = load_model_bytes(&size);
    uint8_t *copy = malloc(size + 16);
    struct pa_geometry *g = NULL;
    ASSERT_OK(pa_log_set("quiet"));
    // The file starts with tag 0x0a (field 1, LEN) and a 3-byte length varint.
    ASSERT_EQ(bytes[0], 0x0a);
    // 1) the mesh length made an 11-byte varint (continuation bits everywhere).
    memcpy(copy, bytes, size);
    for (int i = 1; i <= 11; i++)
        copy[i] = 0xff;
    ASSERT_ERR(pa_geometry_load(copy, size, "varint", &g), PA_EINVALDATA);
    // 2) the mesh length pointing past the end (and a huge 64-bit length).
    memcpy(copy, bytes, size);
    copy[1] = 0xff, copy[2] = 0xff, copy[3] = 0x7f;
    ASSERT_ERR(pa_geometry_load(copy, size, "length", &g), PA_EINVALDATA);
    const uint8_t huge_len[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ASSERT_ERR(pa_geometry_load(huge_len, sizeof(huge_len), "huge", &g), PA_EINVALDATA);
    // 3) the last basis entry's length byte pointing one past the end.
    memcpy(copy, bytes, size);
    size_t last = size - 2 - 10; // ... 12 08 <entry 8 bytes> 18 01
    ASSERT_EQ(copy[last], 0x12);
    copy[last + 1] = 0x0b;
    ASSERT_ERR(pa_geometry_load(copy, size - 2, "entry", &g), PA_EINVALDATA);
    // 4) a triangle index out of range: append a packed index_buffer {468, 0, 1} to the mesh
    //    by growing its length (the 3-byte varint at [1..3]); {467, 0, 1} is fine and then
    //    adds a 899th triangle (packed and unpacked values of one field concatenate).
    uint64_t mlen =
        (uint64_t)(bytes[1] & 0x7f) | (uint64_t)(bytes[2] & 0x7f) << 7 | (uint64_t)bytes[3] << 14;
    size_t mend = 4 + (size_t)mlen;
    uint64_t nlen = mlen + 6;
    memcpy(copy, bytes, mend);
    copy[1] = (uint8_t)(0x80 | (nlen & 0x7f));
    copy[2] = (uint8_t)(0x80 | ((nlen >> 7) & 0x7f));
    copy[3] = (uint8_t)(nlen >> 14);
    const uint8_t extra[6] = {0x22, 0x04, 0xd4, 0x03, 0x00, 0x01};
    memcpy(copy + mend, extra, sizeof(extra));
    memcpy(copy + mend + 6, bytes + mend, size - mend);
    ASSERT_ERR(pa_geometry_load(copy, size + 6, "index", &g), PA_EINVALDATA);
    copy[mend + 2] = 0xd3;
    ASSERT_OK(pa_geometry_load(copy, size + 6, "index", &g));
    ASSERT_EQ(g->n_triangles, 899);
    ASSERT_EQ(g->tri[3 * 898], 467);
    pa_geometry_destroy(g);
    g = NULL;
    ASSERT_TRUE(g == NULL);
    pa_log_set("warn");
    free(copy);
    free(bytes);
}

PA_TEST(random_corruption_never_crashes)
{
    size_t size;
    uint8_t *bytes = load_model_bytes(&size);
    uint8_t *copy = malloc(size);
    uint32_t seed = 12345;
    int counts[3] = {0};
    ASSERT_OK(pa_log_set("quiet"));
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(copy, bytes, size);
        int flips = 1 + iter % 8;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t at = (seed >> 8) % size;
            seed = seed * 1664525u + 1013904223u;
            copy[at] = (uint8_t)(seed >> 24);
        }
        struct pa_geometry *g = NULL;
        int ret = pa_geometry_load(copy, size, "fuzz", &g);
        ASSERT_TRUE(ret == 0 || ret == PA_EINVALDATA || ret == PA_EUNSUPPORTED);
        counts[ret == 0 ? 0 : ret == PA_EINVALDATA ? 1 : 2]++;
        if (ret == 0) { // what parses must still satisfy the documented invariants
            for (int i = 0; i < 3 * g->n_triangles; i++)
                ASSERT_LT(g->tri[i], (uint32_t)g->n_vertices);
            for (int i = 0; i < g->n_basis; i++)
                ASSERT_GT(g->basis_w[i], 0);
        }
        pa_geometry_destroy(g);
    }
    printf("random corruption: %d parsed (flipped float bits), %d invalid, %d unsupported\n",
           counts[0], counts[1], counts[2]);
    ASSERT_GT(counts[1], 100);
    pa_log_set("warn");
    free(copy);
    free(bytes);
}

PA_TEST_MAIN()

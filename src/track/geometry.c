/** @file
 * Loader for MediaPipe's GeometryPipelineMetadata protobuf (face_geometry module).
 *
 * Schema (mediapipe/modules/face_geometry/protos/geometry_pipeline_metadata.proto and
 * mesh_3d.proto, proto2):
 *
 *   GeometryPipelineMetadata { Mesh3d canonical_mesh = 1;
 *                              repeated WeightedLandmarkRef procrustes_landmark_basis = 2;
 *                              InputSource input_source = 3; }
 *   WeightedLandmarkRef      { uint32 landmark_id = 1; float weight = 2; }
 *   Mesh3d                   { VertexType vertex_type = 1;        // 0 = VERTEX_PT (x y z u v)
 *                              PrimitiveType primitive_type = 2;  // 0 = TRIANGLE
 *                              repeated float vertex_buffer = 3;
 *                              repeated uint32 index_buffer = 4; }
 *
 * Parsing runs twice over the bytes: the first pass validates the wire format and counts the
 * repeated values, the second fills arrays of exactly that size. Repeated scalars are
 * accepted packed or unpacked, and a sub-message that appears twice is merged (its repeated
 * fields concatenate), as protobuf's own parser does. Unknown fields are skipped.
 */
#include "track/geometry.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "panim.h"
#include "track/protobuf.h"

/* Far above MediaPipe's 468 vertices / 898 triangles; keeps every count inside an int. */
#define GEOM_MAX_VALUES (1u << 26)
/* The metadata file is ~19 KB; refuse absurd files before reading them into memory. */
#define GEOM_MAX_FILE_BYTES (64u << 20)

struct parse_ctx {
    const char *why; ///< first problem found, for the single log line
    int fill;        ///< 0: count pass, 1: fill pass
    size_t n_vbuf, n_ibuf, n_basis;
    uint32_t vertex_type, primitive_type, input_source;
    int have_mesh;
    float *vbuf;    ///< fill pass: n_vbuf floats
    uint32_t *ibuf; ///< fill pass: n_ibuf indices
    uint32_t *bid;  ///< fill pass: n_basis ids
    float *bw;      ///< fill pass: n_basis weights
};

static int bad(struct parse_ctx *c, const char *why)
{
    if (!c->why)
        c->why = why;
    return PA_EINVALDATA;
}

/* Append one occurrence of a repeated float / uint32 field at position *pos. */
static int take_f32(struct parse_ctx *c, const struct pa_pb_field *f, float *arr, size_t *pos)
{
    size_t n;
    float *dst = c->fill ? arr + *pos : NULL;
    if (pa_pb_repeated_f32(f, dst, c->fill ? c->n_vbuf - *pos : 0, &n) < 0)
        return bad(c, "bad vertex_buffer field");
    if (n > GEOM_MAX_VALUES - *pos)
        return bad(c, "vertex buffer too large");
    *pos += n;
    return 0;
}

static int take_u32(struct parse_ctx *c, const struct pa_pb_field *f, uint32_t *arr, size_t *pos)
{
    size_t n;
    uint32_t *dst = c->fill ? arr + *pos : NULL;
    if (pa_pb_repeated_u32(f, dst, c->fill ? c->n_ibuf - *pos : 0, &n) < 0)
        return bad(c, "bad index_buffer field");
    if (n > GEOM_MAX_VALUES - *pos)
        return bad(c, "index buffer too large");
    *pos += n;
    return 0;
}

static int parse_mesh(struct parse_ctx *c, const uint8_t *data, size_t len, size_t *vpos,
                      size_t *ipos)
{
    struct pa_pb_reader r;
    struct pa_pb_field f;
    int ret;
    pa_pb_reader_init(&r, data, len);
    while ((ret = pa_pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (pa_pb_get_u32(&f, &c->vertex_type) < 0)
                return bad(c, "bad vertex_type");
            break;
        case 2:
            if (pa_pb_get_u32(&f, &c->primitive_type) < 0)
                return bad(c, "bad primitive_type");
            break;
        case 3:
            if (take_f32(c, &f, c->vbuf, vpos) < 0)
                return PA_EINVALDATA;
            break;
        case 4:
            if (take_u32(c, &f, c->ibuf, ipos) < 0)
                return PA_EINVALDATA;
            break;
        default: // unknown field: already skipped by the reader
            break;
        }
    }
    return ret < 0 ? bad(c, "truncated or malformed canonical_mesh") : 0;
}

static int parse_basis_ref(struct parse_ctx *c, const uint8_t *data, size_t len, size_t pos)
{
    struct pa_pb_reader r;
    struct pa_pb_field f;
    uint32_t id = 0;
    float w = 0.0f;
    int ret;
    pa_pb_reader_init(&r, data, len);
    while ((ret = pa_pb_next(&r, &f)) > 0) {
        if (f.num == 1 && pa_pb_get_u32(&f, &id) < 0)
            return bad(c, "bad landmark_id");
        if (f.num == 2 && pa_pb_get_f32(&f, &w) < 0)
            return bad(c, "bad landmark weight");
    }
    if (ret < 0)
        return bad(c, "truncated or malformed procrustes_landmark_basis entry");
    if (c->fill) {
        c->bid[pos] = id;
        c->bw[pos] = w;
    }
    return 0;
}

/* One pass over the top-level message; counts (fill = 0) or fills (fill = 1). */
static int parse_pass(struct parse_ctx *c, const uint8_t *bytes, size_t size)
{
    struct pa_pb_reader r;
    struct pa_pb_field f;
    size_t vpos = 0, ipos = 0, bpos = 0;
    int ret;
    pa_pb_reader_init(&r, bytes, size);
    while ((ret = pa_pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wire != PA_PB_LEN)
                return bad(c, "canonical_mesh is not a message");
            c->have_mesh = 1;
            if (parse_mesh(c, f.data, f.len, &vpos, &ipos) < 0)
                return PA_EINVALDATA;
        } else if (f.num == 2) {
            if (f.wire != PA_PB_LEN)
                return bad(c, "procrustes_landmark_basis entry is not a message");
            if (bpos >= GEOM_MAX_VALUES)
                return bad(c, "landmark basis too large");
            if (parse_basis_ref(c, f.data, f.len, bpos) < 0)
                return PA_EINVALDATA;
            bpos++;
        } else if (f.num == 3) {
            if (pa_pb_get_u32(&f, &c->input_source) < 0)
                return bad(c, "bad input_source");
        }
    }
    if (ret < 0)
        return bad(c, "truncated or malformed message");
    c->n_vbuf = vpos;
    c->n_ibuf = ipos;
    c->n_basis = bpos;
    return 0;
}

/* Semantic checks after both passes: shapes, index ranges, finite values, weights. */
static int validate(struct parse_ctx *c)
{
    if (!c->have_mesh || c->n_vbuf == 0)
        return bad(c, "no canonical mesh vertices");
    if (c->n_vbuf % 5 != 0)
        return bad(c, "vertex buffer size is not a multiple of 5 (x y z u v)");
    if (c->n_ibuf == 0 || c->n_ibuf % 3 != 0)
        return bad(c, "index buffer size is not a positive multiple of 3");
    if (c->n_basis == 0)
        return bad(c, "empty procrustes landmark basis");
    size_t nv = c->n_vbuf / 5;
    for (size_t i = 0; i < c->n_vbuf; i++)
        if (!isfinite(c->vbuf[i]))
            return bad(c, "non-finite vertex value");
    for (size_t i = 0; i < c->n_ibuf; i++)
        if (c->ibuf[i] >= nv)
            return bad(c, "triangle index out of range");
    for (size_t i = 0; i < c->n_basis; i++) {
        if (c->bid[i] >= nv)
            return bad(c, "basis landmark id out of range");
        if (!(c->bw[i] > 0.0f) || !isfinite(c->bw[i]))
            return bad(c, "basis weight not positive and finite");
    }
    return 0;
}

int pa_geometry_load(const uint8_t *bytes, size_t size, const char *name, struct pa_geometry **out)
{
    struct parse_ctx c = {0};
    struct pa_geometry *g = NULL;
    int ret = PA_EINVALDATA;
    *out = NULL;
    if (!name)
        name = "geometry metadata";

    if (parse_pass(&c, bytes, size) < 0)
        goto fail;
    if (c.vertex_type != 0 || c.primitive_type != 0) {
        pa_log_error("track", "%s: unsupported mesh vertex type %u / primitive type %u", name,
                     c.vertex_type, c.primitive_type);
        return PA_EUNSUPPORTED;
    }
    // Every count is bounded by GEOM_MAX_VALUES, so the allocations below cannot overflow.
    c.vbuf = pa_calloc(c.n_vbuf ? c.n_vbuf : 1, sizeof(float));
    c.ibuf = pa_calloc(c.n_ibuf ? c.n_ibuf : 1, sizeof(uint32_t));
    c.bid = pa_calloc(c.n_basis ? c.n_basis : 1, sizeof(uint32_t));
    c.bw = pa_calloc(c.n_basis ? c.n_basis : 1, sizeof(float));
    g = pa_calloc(1, sizeof(*g));
    if (!c.vbuf || !c.ibuf || !c.bid || !c.bw || !g) {
        ret = PA_ENOMEM;
        goto fail;
    }
    c.fill = 1;
    if (parse_pass(&c, bytes, size) < 0 || validate(&c) < 0)
        goto fail;

    size_t nv = c.n_vbuf / 5;
    g->input_source = (int)PA_MIN(c.input_source, 1000u);
    g->n_vertices = (int)nv;
    g->n_triangles = (int)(c.n_ibuf / 3);
    g->n_basis = (int)c.n_basis;
    g->xyz = pa_calloc(nv, 3 * sizeof(float));
    g->uv = pa_calloc(nv, 2 * sizeof(float));
    if (!g->xyz || !g->uv) {
        ret = PA_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < nv; i++) {
        memcpy(&g->xyz[3 * i], &c.vbuf[5 * i], 3 * sizeof(float));
        memcpy(&g->uv[2 * i], &c.vbuf[5 * i + 3], 2 * sizeof(float));
    }
    g->tri = c.ibuf;
    g->basis_id = c.bid;
    g->basis_w = c.bw;
    pa_free(c.vbuf);
    *out = g;
    return 0;

fail:
    if (ret == PA_EINVALDATA)
        pa_log_error("track", "%s: corrupt face geometry metadata: %s", name,
                     c.why ? c.why : "unknown problem");
    pa_free(c.vbuf);
    pa_free(c.ibuf);
    pa_free(c.bid);
    pa_free(c.bw);
    pa_geometry_destroy(g);
    return ret;
}

/* Read a whole (small) file into a pa_malloc'ed buffer. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    int ret;
    if (!fp) {
        ret = errno == ENOENT ? PA_ENOENT : PA_EIO;
        pa_log_error("track", "%s: cannot open: %s", path, strerror(errno));
        return ret;
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb;
            if (ncap > GEOM_MAX_FILE_BYTES) {
                pa_log_error("track", "%s: file too large for face geometry metadata", path);
                ret = PA_EINVALDATA;
                goto fail;
            }
            nb = pa_realloc_array(buf, ncap, 1);
            if (!nb) {
                ret = PA_ENOMEM;
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        pa_log_error("track", "%s: read error", path);
        ret = PA_EIO;
        goto fail;
    }
    fclose(fp);
    *data = buf;
    *size = n;
    return 0;

fail:
    fclose(fp);
    pa_free(buf);
    return ret;
}

int pa_geometry_load_file(const char *path, struct pa_geometry **out)
{
    uint8_t *data = NULL;
    size_t size = 0;
    *out = NULL;
    int ret = read_file(path, &data, &size);
    if (ret < 0)
        return ret;
    ret = pa_geometry_load(data, size, path, out);
    pa_free(data);
    return ret;
}

void pa_geometry_destroy(struct pa_geometry *g)
{
    if (!g)
        return;
    pa_free(g->xyz);
    pa_free(g->uv);
    pa_free(g->tri);
    pa_free(g->basis_id);
    pa_free(g->basis_w);
    pa_free(g);
}

/** @file
 * Bounds-checked protobuf wire-format reader (see protobuf.h).
 *
 * Every read compares against `end` before touching a byte, lengths are compared with the
 * bytes left (never added to a pointer first, so a huge length cannot wrap), and a varint
 * longer than 10 bytes is corrupt. Callers get PA_EINVALDATA and decide what to log.
 */
#include "track/protobuf.h"

#include <string.h>

#include "panim.h"

/* Deepest nesting of (deprecated) groups we skip before calling the input corrupt. */
#define PB_MAX_GROUP_DEPTH 32

void pa_pb_reader_init(struct pa_pb_reader *r, const uint8_t *data, size_t size)
{
    r->p = data;
    r->end = data ? data + size : data;
}

int pa_pb_read_varint(struct pa_pb_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return PA_EINVALDATA;
        uint8_t b = *r->p++;
        // The 10th byte holds only bit 63; anything more would overflow a uint64.
        if (i == 9 && b > 1)
            return PA_EINVALDATA;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return PA_EINVALDATA;
}

static int read_fixed(struct pa_pb_reader *r, size_t nbytes, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < nbytes)
        return PA_EINVALDATA;
    uint64_t v = 0;
    for (size_t i = 0; i < nbytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += nbytes;
    *out = v;
    return 0;
}

/* Read one tag + value without interpreting groups. */
static int read_raw(struct pa_pb_reader *r, struct pa_pb_field *f)
{
    uint64_t tag;
    if (pa_pb_read_varint(r, &tag) < 0)
        return PA_EINVALDATA;
    uint64_t num = tag >> 3;
    if (num == 0 || num > 0x1fffffff)
        return PA_EINVALDATA;
    f->num = (uint32_t)num;
    f->wire = (enum pa_pb_wire)(tag & 7);
    f->u64 = 0;
    f->data = NULL;
    f->len = 0;
    switch ((int)(tag & 7)) {
    case PA_PB_VARINT:
        return pa_pb_read_varint(r, &f->u64);
    case PA_PB_I64:
        return read_fixed(r, 8, &f->u64);
    case PA_PB_I32:
        return read_fixed(r, 4, &f->u64);
    case PA_PB_LEN: {
        uint64_t len;
        if (pa_pb_read_varint(r, &len) < 0 || len > (uint64_t)(r->end - r->p))
            return PA_EINVALDATA;
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return 0;
    }
    case PA_PB_SGROUP:
    case PA_PB_EGROUP:
        return 0;
    default: // wire types 6 and 7 do not exist
        return PA_EINVALDATA;
    }
}

/* Skip to the EGROUP matching `num`, with an explicit stack instead of recursion. */
static int skip_group(struct pa_pb_reader *r, uint32_t num)
{
    uint32_t stack[PB_MAX_GROUP_DEPTH];
    int depth = 0;
    stack[depth++] = num;
    while (depth > 0) {
        struct pa_pb_field f;
        if (r->p >= r->end || read_raw(r, &f) < 0)
            return PA_EINVALDATA;
        if (f.wire == PA_PB_SGROUP) {
            if (depth == PB_MAX_GROUP_DEPTH)
                return PA_EINVALDATA;
            stack[depth++] = f.num;
        } else if (f.wire == PA_PB_EGROUP) {
            if (f.num != stack[depth - 1])
                return PA_EINVALDATA;
            depth--;
        }
    }
    return 0;
}

int pa_pb_next(struct pa_pb_reader *r, struct pa_pb_field *f)
{
    for (;;) {
        if (r->p >= r->end)
            return 0;
        if (read_raw(r, f) < 0)
            return PA_EINVALDATA;
        if (f->wire == PA_PB_EGROUP) // an end without a start
            return PA_EINVALDATA;
        if (f->wire != PA_PB_SGROUP)
            return 1;
        if (skip_group(r, f->num) < 0)
            return PA_EINVALDATA;
    }
}

int pa_pb_get_u32(const struct pa_pb_field *f, uint32_t *out)
{
    if (f->wire != PA_PB_VARINT || f->u64 > UINT32_MAX)
        return PA_EINVALDATA;
    *out = (uint32_t)f->u64;
    return 0;
}

static float bits_to_f32(uint32_t bits)
{
    float v;
    memcpy(&v, &bits, sizeof(v));
    return v;
}

int pa_pb_get_f32(const struct pa_pb_field *f, float *out)
{
    if (f->wire != PA_PB_I32)
        return PA_EINVALDATA;
    *out = bits_to_f32((uint32_t)f->u64);
    return 0;
}

int pa_pb_repeated_f32(const struct pa_pb_field *f, float *dst, size_t cap, size_t *n)
{
    if (f->wire == PA_PB_I32) {
        *n = 1;
        if (dst) {
            if (cap < 1)
                return PA_EINVALDATA;
            dst[0] = bits_to_f32((uint32_t)f->u64);
        }
        return 0;
    }
    if (f->wire != PA_PB_LEN || f->len % 4 != 0)
        return PA_EINVALDATA;
    *n = f->len / 4;
    if (!dst)
        return 0;
    if (*n > cap)
        return PA_EINVALDATA;
    for (size_t i = 0; i < *n; i++) {
        const uint8_t *b = f->data + 4 * i;
        uint32_t bits =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        dst[i] = bits_to_f32(bits);
    }
    return 0;
}

int pa_pb_repeated_u32(const struct pa_pb_field *f, uint32_t *dst, size_t cap, size_t *n)
{
    if (f->wire == PA_PB_VARINT) {
        *n = 1;
        if (dst) {
            if (cap < 1)
                return PA_EINVALDATA;
            return pa_pb_get_u32(f, dst);
        }
        return f->u64 > UINT32_MAX ? PA_EINVALDATA : 0;
    }
    if (f->wire != PA_PB_LEN)
        return PA_EINVALDATA;
    // A packed payload is a run of whole varints; decode it fully even when only counting,
    // so a count of 0 errors means the later fill cannot fail either.
    struct pa_pb_reader r;
    pa_pb_reader_init(&r, f->data, f->len);
    size_t count = 0;
    while (r.p < r.end) {
        uint64_t v;
        if (pa_pb_read_varint(&r, &v) < 0 || v > UINT32_MAX)
            return PA_EINVALDATA;
        if (dst) {
            if (count >= cap)
                return PA_EINVALDATA;
            dst[count] = (uint32_t)v;
        }
        count++;
    }
    *n = count;
    return 0;
}

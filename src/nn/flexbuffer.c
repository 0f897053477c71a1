/** @file
 * Bounds-checked FlexBuffers reader (see flexbuffer.h for the API).
 *
 * Format digest (little-endian throughout; "w" is a byte width 1/2/4/8):
 *  - Root: the last byte is the root slot's width w, the byte before it the root's packed
 *    type (type << 2 | log2(target width)), the w bytes before that the root slot.
 *  - Inline scalars (NULL, INT, UINT, FLOAT, BOOL) are read from their slot with the slot's
 *    width (the parent's element width), not with the packed width.
 *  - Every other type stores in its slot an unsigned offset d; the object starts at
 *    slot - d (children are always written before their parent).
 *  - STRING: size (w bytes) just before the characters, then a NUL. KEY: NUL-terminated only.
 *  - Typed vector: size (w) before the elements (n * w bytes). Fixed vectors (INT2..FLOAT4):
 *    no size, 2..4 elements. Untyped VECTOR: size, n elements of width w, then n packed type
 *    bytes, one per element.
 *  - MAP: an untyped vector of values, preceded by (keys offset, keys width, size), each w
 *    bytes; the keys are a typed vector of KEY offsets in strcmp order.
 * All positions are size_t offsets into the buffer; every read checks pos + width <= size
 * and every backward offset checks d <= pos, so no pointer is ever formed outside the buffer.
 */
#include "nn/flexbuffer.h"

#include <string.h>

#include "panim.h"

/* Position of an object's bytes and its element layout, resolved once per vector access. */
struct vec_info {
    size_t data;       ///< offset of element 0
    size_t n;          ///< element count
    unsigned width;    ///< element slot width
    uint8_t elem_type; ///< element type for typed vectors, 0 for untyped (types follow)
    size_t types;      ///< offset of the packed type bytes (untyped vectors and maps)
};

static int width_ok(uint64_t w)
{
    return w == 1 || w == 2 || w == 4 || w == 8;
}

static int rd_uint(const uint8_t *buf, size_t size, size_t pos, unsigned width, uint64_t *out)
{
    if (pos > size || width > size - pos)
        return PA_EINVALDATA;
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)buf[pos + i] << (8 * i);
    *out = v;
    return 0;
}

static int rd_int(const uint8_t *buf, size_t size, size_t pos, unsigned width, int64_t *out)
{
    uint64_t u;
    int ret = rd_uint(buf, size, pos, width, &u);
    if (ret < 0)
        return ret;
    // Sign-extend from the slot width.
    if (width < 8 && (u >> (8 * width - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * width);
    memcpy(out, &u, sizeof(*out));
    return 0;
}

static int rd_float(const uint8_t *buf, size_t size, size_t pos, unsigned width, double *out)
{
    uint64_t u;
    int ret = rd_uint(buf, size, pos, width, &u);
    if (ret < 0)
        return ret;
    if (width == 4) {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, sizeof(f));
        *out = (double)f;
    } else if (width == 8) {
        memcpy(out, &u, sizeof(*out));
    } else {
        return PA_EINVALDATA; // FlexBuffers has no 8/16-bit floats
    }
    return 0;
}

/* Follow the backward offset stored in a slot of width `width` at `pos`. */
static int follow(const uint8_t *buf, size_t size, size_t pos, unsigned width, size_t *target)
{
    uint64_t d;
    int ret = rd_uint(buf, size, pos, width, &d);
    if (ret < 0)
        return ret;
    if (d > pos)
        return PA_EINVALDATA;
    *target = pos - (size_t)d;
    return 0;
}

static int indirect(const struct pa_flex_ref *r, size_t *target)
{
    return follow(r->buf, r->size, r->pos, r->parent_width, target);
}

int pa_flex_root(const uint8_t *data, size_t size, struct pa_flex_ref *out)
{
    memset(out, 0, sizeof(*out));
    if (!data || size < 3)
        return PA_EINVALDATA;
    uint8_t root_width = data[size - 1];
    uint8_t packed = data[size - 2];
    if (!width_ok(root_width) || (size_t)root_width + 2 > size)
        return PA_EINVALDATA;
    out->buf = data;
    out->size = size;
    out->pos = size - 2 - root_width;
    out->parent_width = root_width;
    out->byte_width = (uint8_t)(1u << (packed & 3));
    out->type = (uint8_t)(packed >> 2);
    return 0;
}

int pa_flex_as_int(const struct pa_flex_ref *r, int64_t *out)
{
    size_t t;
    uint64_t u;
    int ret;
    switch (r->type) {
    case PA_FLEX_INT:
        return rd_int(r->buf, r->size, r->pos, r->parent_width, out);
    case PA_FLEX_INDIRECT_INT:
        if ((ret = indirect(r, &t)) < 0)
            return ret;
        return rd_int(r->buf, r->size, t, r->byte_width, out);
    case PA_FLEX_UINT:
    case PA_FLEX_BOOL:
        ret = rd_uint(r->buf, r->size, r->pos, r->parent_width, &u);
        break;
    case PA_FLEX_INDIRECT_UINT:
        if ((ret = indirect(r, &t)) < 0)
            return ret;
        ret = rd_uint(r->buf, r->size, t, r->byte_width, &u);
        break;
    default:
        return PA_EINVALDATA;
    }
    if (ret < 0)
        return ret;
    if (u > (uint64_t)INT64_MAX)
        return PA_EINVALDATA;
    *out = (int64_t)u;
    return 0;
}

int pa_flex_as_double(const struct pa_flex_ref *r, double *out)
{
    size_t t;
    int ret;
    if (r->type == PA_FLEX_FLOAT)
        return rd_float(r->buf, r->size, r->pos, r->parent_width, out);
    if (r->type == PA_FLEX_INDIRECT_FLOAT) {
        if ((ret = indirect(r, &t)) < 0)
            return ret;
        return rd_float(r->buf, r->size, t, r->byte_width, out);
    }
    int64_t i;
    if ((ret = pa_flex_as_int(r, &i)) < 0)
        return ret;
    *out = (double)i;
    return 0;
}

/* A NUL-terminated string starting at `pos`, wholly inside the buffer. */
static int c_string_at(const uint8_t *buf, size_t size, size_t pos, const char **str, size_t *len)
{
    if (pos >= size)
        return PA_EINVALDATA;
    const uint8_t *nul = memchr(buf + pos, 0, size - pos);
    if (!nul)
        return PA_EINVALDATA;
    *str = (const char *)(buf + pos);
    if (len)
        *len = (size_t)(nul - (buf + pos));
    return 0;
}

int pa_flex_as_string(const struct pa_flex_ref *r, const char **str, size_t *len)
{
    size_t t;
    int ret;
    if (r->type != PA_FLEX_KEY && r->type != PA_FLEX_STRING)
        return PA_EINVALDATA;
    if ((ret = indirect(r, &t)) < 0)
        return ret;
    if (r->type == PA_FLEX_KEY)
        return c_string_at(r->buf, r->size, t, str, len);
    // STRING: explicit size before the bytes, and a terminator right after them.
    uint64_t n;
    if (t < r->byte_width)
        return PA_EINVALDATA;
    if ((ret = rd_uint(r->buf, r->size, t - r->byte_width, r->byte_width, &n)) < 0)
        return ret;
    if (n >= r->size - t || r->buf[t + (size_t)n] != 0)
        return PA_EINVALDATA;
    *str = (const char *)(r->buf + t);
    if (len)
        *len = (size_t)n;
    return 0;
}

/* Read the size prefix (w bytes before `data`) of a vector. */
static int size_prefix(const struct pa_flex_ref *v, size_t data, unsigned w, size_t *n)
{
    uint64_t u;
    int ret;
    if (data < w)
        return PA_EINVALDATA;
    if ((ret = rd_uint(v->buf, v->size, data - w, w, &u)) < 0)
        return ret;
    if (u > SIZE_MAX)
        return PA_EINVALDATA;
    *n = (size_t)u;
    return 0;
}

static int vec_info(const struct pa_flex_ref *v, struct vec_info *vi)
{
    unsigned w = v->byte_width;
    unsigned t = v->type;
    int ret;
    memset(vi, 0, sizeof(*vi));
    vi->width = w;
    if ((ret = indirect(v, &vi->data)) < 0)
        return ret;
    if (t == PA_FLEX_MAP || t == PA_FLEX_VECTOR) {
        vi->elem_type = 0;
    } else if (t >= PA_FLEX_VECTOR_INT && t <= PA_FLEX_VECTOR_KEY) {
        vi->elem_type = (uint8_t)(t - PA_FLEX_VECTOR_INT + PA_FLEX_INT);
    } else if (t == PA_FLEX_VECTOR_BOOL) {
        vi->elem_type = PA_FLEX_BOOL;
    } else if (t >= PA_FLEX_VECTOR_INT2 && t <= PA_FLEX_VECTOR_FLOAT4) {
        vi->elem_type = (uint8_t)((t - PA_FLEX_VECTOR_INT2) % 3 + PA_FLEX_INT);
        vi->n = (t - PA_FLEX_VECTOR_INT2) / 3 + 2;
    } else {
        return PA_EINVALDATA;
    }
    if (!vi->n && (ret = size_prefix(v, vi->data, w, &vi->n)) < 0)
        return ret;
    // All element slots (and, for untyped vectors, the type bytes) must fit.
    size_t room = v->size >= vi->data ? v->size - vi->data : 0;
    if (vi->n > room / w)
        return PA_EINVALDATA;
    if (vi->elem_type == 0) {
        vi->types = vi->data + vi->n * w;
        if (vi->n > v->size - vi->types)
            return PA_EINVALDATA;
    }
    return 0;
}

int pa_flex_vec_size(const struct pa_flex_ref *v, size_t *n)
{
    struct vec_info vi;
    int ret = vec_info(v, &vi);
    if (ret < 0)
        return ret;
    *n = vi.n;
    return 0;
}

static void elem_ref(const struct pa_flex_ref *v, const struct vec_info *vi, size_t i,
                     struct pa_flex_ref *out)
{
    *out = (struct pa_flex_ref){
        .buf = v->buf,
        .size = v->size,
        .pos = vi->data + i * vi->width,
        .parent_width = (uint8_t)vi->width,
        .byte_width = 1,
        .type = vi->elem_type,
    };
    if (vi->elem_type == 0) {
        uint8_t packed = v->buf[vi->types + i];
        out->byte_width = (uint8_t)(1u << (packed & 3));
        out->type = (uint8_t)(packed >> 2);
    }
}

int pa_flex_vec_at(const struct pa_flex_ref *v, size_t i, struct pa_flex_ref *out)
{
    struct vec_info vi;
    int ret = vec_info(v, &vi);
    if (ret < 0)
        return ret;
    if (i >= vi.n)
        return PA_EINVALDATA;
    elem_ref(v, &vi, i, out);
    return 0;
}

/* Locate a map's key vector: offset of key slot 0, key slot width, count (== value count). */
static int map_keys(const struct pa_flex_ref *map, struct vec_info *vals, size_t *keys,
                    unsigned *keys_w)
{
    int ret;
    if (map->type != PA_FLEX_MAP)
        return PA_EINVALDATA;
    if ((ret = vec_info(map, vals)) < 0)
        return ret;
    unsigned w = vals->width;
    if (vals->data < 3 * (size_t)w)
        return PA_EINVALDATA;
    uint64_t kw;
    if ((ret = rd_uint(map->buf, map->size, vals->data - 2 * w, w, &kw)) < 0)
        return ret;
    if (!width_ok(kw))
        return PA_EINVALDATA;
    if ((ret = follow(map->buf, map->size, vals->data - 3 * w, w, keys)) < 0)
        return ret;
    size_t nk;
    struct pa_flex_ref kref = {.buf = map->buf, .size = map->size};
    if ((ret = size_prefix(&kref, *keys, (unsigned)kw, &nk)) < 0)
        return ret;
    size_t room = map->size >= *keys ? map->size - *keys : 0;
    if (nk != vals->n || nk > room / kw)
        return PA_EINVALDATA;
    *keys_w = (unsigned)kw;
    return 0;
}

static int key_at(const struct pa_flex_ref *map, size_t keys, unsigned keys_w, size_t i,
                  const char **key)
{
    size_t k;
    int ret = follow(map->buf, map->size, keys + i * keys_w, keys_w, &k);
    if (ret < 0)
        return ret;
    return c_string_at(map->buf, map->size, k, key, NULL);
}

int pa_flex_map_key(const struct pa_flex_ref *map, size_t i, const char **key)
{
    struct vec_info vals;
    size_t keys;
    unsigned keys_w;
    int ret = map_keys(map, &vals, &keys, &keys_w);
    if (ret < 0)
        return ret;
    if (i >= vals.n)
        return PA_EINVALDATA;
    return key_at(map, keys, keys_w, i, key);
}

int pa_flex_map_get(const struct pa_flex_ref *map, const char *key, struct pa_flex_ref *out)
{
    struct vec_info vals;
    size_t keys;
    unsigned keys_w;
    int ret = map_keys(map, &vals, &keys, &keys_w);
    if (ret < 0)
        return ret;
    /* A linear scan rather than the binary search the sorted keys allow: option maps hold a
     * handful of keys, and a scan stays correct on corrupt (unsorted) key vectors. */
    for (size_t i = 0; i < vals.n; i++) {
        const char *k;
        if ((ret = key_at(map, keys, keys_w, i, &k)) < 0)
            return ret;
        if (strcmp(k, key) == 0) {
            elem_ref(map, &vals, i, out);
            return 0;
        }
    }
    *out = (struct pa_flex_ref){.buf = map->buf, .size = map->size, .type = PA_FLEX_NULL};
    return 0;
}

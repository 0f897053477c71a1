/** @file
 * A small read-only FlexBuffers reader (the schemaless format TFLite custom ops use for their
 * custom_options; spec: flatbuffers/docs "FlexBuffers" and flexbuffers.h). Enough for MediaPipe
 * op options: maps with string keys, ints, uints, bools, floats, strings, typed and untyped
 * vectors.
 *
 * Nothing in the buffer is trusted: every offset, width, length and string is checked against
 * the buffer before it is read, so corrupt or truncated bytes give PA_EINVALDATA, never a
 * read outside [data, data + size). The reader does not log (it does not know which file the
 * bytes came from); callers log once with their context.
 *
 * A reference (struct pa_flex_ref) names one value: where its slot is, how wide the slot is
 * (the parent's element width) and the packed type byte's type and width. Scalars live inline
 * in the slot; everything else (strings, vectors, maps, indirect scalars) is an unsigned
 * offset in the slot that points backwards to the object.
 */
#ifndef PA_NN_FLEXBUFFER_H
#define PA_NN_FLEXBUFFER_H

#include "core/pa_common.h"

/** FlexBuffers value types (flexbuffers::Type numbering). */
enum pa_flex_type {
    PA_FLEX_NULL = 0,
    PA_FLEX_INT = 1,
    PA_FLEX_UINT = 2,
    PA_FLEX_FLOAT = 3,
    PA_FLEX_KEY = 4,
    PA_FLEX_STRING = 5,
    PA_FLEX_INDIRECT_INT = 6,
    PA_FLEX_INDIRECT_UINT = 7,
    PA_FLEX_INDIRECT_FLOAT = 8,
    PA_FLEX_MAP = 9,
    PA_FLEX_VECTOR = 10,     ///< untyped: elements carry their own packed type bytes
    PA_FLEX_VECTOR_INT = 11, ///< typed vectors 11..15: one element type, size prefix
    PA_FLEX_VECTOR_UINT = 12,
    PA_FLEX_VECTOR_FLOAT = 13,
    PA_FLEX_VECTOR_KEY = 14,
    PA_FLEX_VECTOR_STRING_DEPRECATED = 15, ///< not supported (PA_EINVALDATA)
    PA_FLEX_VECTOR_INT2 = 16,              ///< fixed-length typed vectors 16..24: no size prefix
    PA_FLEX_VECTOR_FLOAT4 = 24,
    PA_FLEX_BLOB = 25,
    PA_FLEX_BOOL = 26,
    PA_FLEX_VECTOR_BOOL = 36,
};

/** One value inside a buffer. Zero-initialised means "null". Plain data, copy freely. */
struct pa_flex_ref {
    const uint8_t *buf;   ///< whole buffer (bounds for every read)
    size_t size;          ///< bytes at buf
    size_t pos;           ///< offset of this value's slot in buf
    uint8_t parent_width; ///< bytes of the slot: 1, 2, 4 or 8
    uint8_t byte_width;   ///< width from the packed type (element width of the target)
    uint8_t type;         ///< enum pa_flex_type
};

/**
 * Reference to the root value (the last bytes of the buffer: slot, packed type, root width).
 * @param data bytes, borrowed: must outlive every reference derived from *out.
 * @return 0, or PA_EINVALDATA for a buffer too short or a bad root width.
 */
int pa_flex_root(const uint8_t *data, size_t size, struct pa_flex_ref *out);

/** @return 1 when the reference is null (absent map key or a stored null). */
static inline int pa_flex_is_null(const struct pa_flex_ref *r)
{
    return r->type == PA_FLEX_NULL;
}

/**
 * Signed integer value of INT, UINT, BOOL and their indirect forms.
 * @return 0; PA_EINVALDATA for another type, an out-of-range UINT or bytes out of bounds.
 */
int pa_flex_as_int(const struct pa_flex_ref *r, int64_t *out);

/** Floating value of FLOAT (32/64-bit), INDIRECT_FLOAT and of integer types (converted). */
int pa_flex_as_double(const struct pa_flex_ref *r, double *out);

/**
 * Bytes of a KEY or STRING (NUL-terminated inside the buffer; *len excludes the NUL).
 * @return 0 or PA_EINVALDATA (wrong type, no terminator before the end of the buffer).
 */
int pa_flex_as_string(const struct pa_flex_ref *r, const char **str, size_t *len);

/**
 * Number of elements of a vector of any kind or of a map (its values).
 * Checks that all elements (and type bytes) lie inside the buffer.
 * @return 0 or PA_EINVALDATA (not a vector/map, bounds).
 */
int pa_flex_vec_size(const struct pa_flex_ref *v, size_t *n);

/** Element i of a vector, or value i of a map (keys sorted order). @return 0, PA_EINVALDATA. */
int pa_flex_vec_at(const struct pa_flex_ref *v, size_t i, struct pa_flex_ref *out);

/** Key i of a map (NUL-terminated inside the buffer). @return 0 or PA_EINVALDATA. */
int pa_flex_map_key(const struct pa_flex_ref *map, size_t i, const char **key);

/**
 * Look up `key` in a map. A missing key is not an error: *out becomes a null reference
 * (FlexBuffers semantics), so callers apply their default.
 * @return 0, or PA_EINVALDATA when `map` is not a map or its bytes are corrupt.
 */
int pa_flex_map_get(const struct pa_flex_ref *map, const char *key, struct pa_flex_ref *out);

#endif /* PA_NN_FLEXBUFFER_H */

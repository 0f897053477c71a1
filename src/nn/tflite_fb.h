/** @file
 * Internal to the .tflite reader (tflite.c, tflite_options.c): a bounds-checked FlatBuffer
 * walker. Nothing here trusts the bytes: every table, vtable, field, vector and string is
 * checked against the buffer before it is dereferenced, scalars are read byte by byte
 * (little-endian, any alignment), and every failure logs ONE line
 * "<name>: <context>: <what>: <problem>" and returns PA_EINVALDATA.
 *
 * FlatBuffer layout digest (flatbuffers.dev "internals"):
 *  - byte 0: uoffset (u32) to the root table; bytes 4..7: the file identifier.
 *  - a table at position T starts with an soffset (i32): its vtable is at T - soffset.
 *  - a vtable is u16 words: [vtable bytes, table inline bytes, field 0 offset, field 1, ...];
 *    a field offset of 0 (or a field id past the vtable's end) means "absent, use default".
 *  - a reference field holds a uoffset (u32) relative to the field's own position.
 *  - a vector is a u32 length followed by the elements; a vector of tables holds uoffsets
 *    relative to each element's position; a string is a byte vector plus a NUL terminator.
 *  - a union is two fields: a u8 type (field N) and a table reference (field N + 1).
 */
#ifndef PA_NN_TFLITE_FB_H
#define PA_NN_TFLITE_FB_H

#include <stdbool.h>

#include "core/pa_common.h"
#include "nn/tflite.h"

/** A buffer being read, with the names used in error messages. */
struct pa_fb {
    const uint8_t *buf;
    size_t size;
    const char *name; ///< file name for messages
    char ctx[48];     ///< current object ("tensor 12"), "" at model level
};

/** A validated table: its vtable and inline area lie inside the buffer. */
struct pa_fb_table {
    size_t pos;       ///< table start (the soffset)
    size_t vt;        ///< vtable start
    uint16_t vt_size; ///< vtable bytes
    uint16_t size;    ///< table inline bytes, including the soffset
};

/** A validated vector: `len` elements of the size given when it was read, at `data`. */
struct pa_fb_vec {
    size_t data; ///< position of element 0 (0 when the field is absent)
    uint32_t len;
};

/** Unchecked little-endian loads; callers have checked the range. */
static inline uint16_t pa_fb_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t pa_fb_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t pa_fb_ld64(const uint8_t *p)
{
    return (uint64_t)pa_fb_ld32(p) | ((uint64_t)pa_fb_ld32(p + 4) << 32);
}

/** Log "<name>: <ctx>: <message>" once and @return PA_EINVALDATA. */
int pa_fb_fail(const struct pa_fb *fb, const char *fmt, ...) PA_PRINTF(2, 3);

/** Set the context prefix of later messages (printf-style; "" clears it). */
void pa_fb_context(struct pa_fb *fb, const char *fmt, ...) PA_PRINTF(2, 3);

/** @return true when [pos, pos + n) lies inside the buffer (overflow-safe). */
static inline bool pa_fb_in(const struct pa_fb *fb, size_t pos, size_t n)
{
    return pos <= fb->size && n <= fb->size - pos;
}

/** Validate the table that starts at `pos`. `what` names it in messages. */
int pa_fb_table_at(const struct pa_fb *fb, size_t pos, struct pa_fb_table *t, const char *what);

/**
 * Scalar fields: *out = the field's value, or `def` when the field is absent.
 * A present field must lie inside the table's inline area.
 */
int pa_fb_u8(const struct pa_fb *fb, const struct pa_fb_table *t, int id, uint8_t def, uint8_t *out,
             const char *what);
int pa_fb_i8(const struct pa_fb *fb, const struct pa_fb_table *t, int id, int8_t def, int8_t *out,
             const char *what);
int pa_fb_i32(const struct pa_fb *fb, const struct pa_fb_table *t, int id, int32_t def,
              int32_t *out, const char *what);
int pa_fb_u32(const struct pa_fb *fb, const struct pa_fb_table *t, int id, uint32_t def,
              uint32_t *out, const char *what);
int pa_fb_u64(const struct pa_fb *fb, const struct pa_fb_table *t, int id, uint64_t def,
              uint64_t *out, const char *what);

/** Sub-table field: *present = false (and *out zeroed) when absent. */
int pa_fb_table_field(const struct pa_fb *fb, const struct pa_fb_table *t, int id,
                      struct pa_fb_table *out, bool *present, const char *what);

/** Vector field of `elem_size`-byte elements; absent = empty ({0, 0}). */
int pa_fb_vector(const struct pa_fb *fb, const struct pa_fb_table *t, int id, size_t elem_size,
                 struct pa_fb_vec *out, const char *what);

/** String field: *out points at the NUL-terminated bytes inside the buffer, "" when absent. */
int pa_fb_string(const struct pa_fb *fb, const struct pa_fb_table *t, int id, const char **out,
                 const char *what);

/** Element i (< v->len) of a vector of tables read with elem_size 4. */
int pa_fb_vec_table(const struct pa_fb *fb, const struct pa_fb_vec *v, uint32_t i,
                    struct pa_fb_table *out, const char *what);

/** Element i of a validated vector of int32 (elem_size 4); no checks needed. */
static inline int32_t pa_fb_vec_i32(const struct pa_fb *fb, const struct pa_fb_vec *v, uint32_t i)
{
    return (int32_t)pa_fb_ld32(fb->buf + v->data + (size_t)i * 4);
}

/**
 * Decode an operator's builtin options table (union type `type`, present or not) into
 * *opt, checking that the type suits the builtin op `code`. Defined in tflite_options.c.
 */
int pa_tflite_parse_options(const struct pa_fb *fb, int code, int type,
                            const struct pa_fb_table *tbl, bool present,
                            struct pa_tflite_options *opt);

#endif /* PA_NN_TFLITE_FB_H */

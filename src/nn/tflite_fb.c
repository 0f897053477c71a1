/** @file
 * The bounds-checked FlatBuffer walker behind the .tflite reader (see tflite_fb.h for the
 * layout digest). The rules follow flatbuffers' own Verifier: a table's vtable and inline
 * area must lie inside the buffer, the vtable size must be even and >= 4, every present
 * field must lie inside its table, uoffsets must be non-zero, positive as int32 and land
 * inside the buffer, and vectors (length * element size, overflow-checked) and strings
 * (including the NUL terminator) must end inside the buffer. Alignment is not required:
 * every load goes through pa_fb_ld*, which reads bytes.
 */
#include "nn/tflite_fb.h"

#include <stdarg.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

int pa_fb_fail(const struct pa_fb *fb, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fb->ctx[0])
        pa_log_error("nn", "%s: %s: %s", fb->name, fb->ctx, msg);
    else
        pa_log_error("nn", "%s: %s", fb->name, msg);
    return PA_EINVALDATA;
}

void pa_fb_context(struct pa_fb *fb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fb->ctx, sizeof(fb->ctx), fmt, ap);
    va_end(ap);
}

int pa_fb_table_at(const struct pa_fb *fb, size_t pos, struct pa_fb_table *t, const char *what)
{
    if (!pa_fb_in(fb, pos, 4))
        return pa_fb_fail(fb, "%s: table at %zu is outside the file (%zu bytes)", what, pos,
                          fb->size);
    int32_t soff = (int32_t)pa_fb_ld32(fb->buf + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !pa_fb_in(fb, (size_t)vt, 4))
        return pa_fb_fail(fb, "%s: vtable of the table at %zu is outside the file", what, pos);
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vt_size = pa_fb_ld16(fb->buf + t->vt);
    t->size = pa_fb_ld16(fb->buf + t->vt + 2);
    if (t->vt_size < 4 || (t->vt_size & 1) || !pa_fb_in(fb, t->vt, t->vt_size))
        return pa_fb_fail(fb, "%s: bad vtable size %u at %zu", what, t->vt_size, t->vt);
    if (t->size < 4 || !pa_fb_in(fb, pos, t->size))
        return pa_fb_fail(fb, "%s: table at %zu of %u bytes overruns the file", what, pos, t->size);
    return 0;
}

/* *pos = where field `id` of size `fsize` lives, or 0 when absent (a present field is
 * never at offset 0: the soffset occupies the table's first 4 bytes). */
static int field_pos(const struct pa_fb *fb, const struct pa_fb_table *t, int id, size_t fsize,
                     size_t *pos, const char *what)
{
    size_t slot = 4 + 2 * (size_t)id;
    *pos = 0;
    if (slot + 2 > t->vt_size)
        return 0;
    uint16_t voff = pa_fb_ld16(fb->buf + t->vt + slot);
    if (voff == 0)
        return 0;
    if (voff < 4 || (size_t)voff + fsize > t->size)
        return pa_fb_fail(fb, "%s: field offset %u outside its table (%u bytes)", what, voff,
                          t->size);
    *pos = t->pos + voff;
    return 0;
}

/* Follow the uoffset stored at `at` to *target (which has at least 4 bytes in the buffer). */
static int follow(const struct pa_fb *fb, size_t at, size_t *target, const char *what)
{
    uint32_t off = pa_fb_ld32(fb->buf + at);
    if (off == 0 || off > INT32_MAX || off > fb->size - at || !pa_fb_in(fb, at + off, 4))
        return pa_fb_fail(fb, "%s: offset %u at %zu points outside the file (%zu bytes)", what, off,
                          at, fb->size);
    *target = at + off;
    return 0;
}

/* Reference field: *target = the referenced object's position, 0 when absent. */
static int ref_field(const struct pa_fb *fb, const struct pa_fb_table *t, int id, size_t *target,
                     const char *what)
{
    size_t p;
    int ret = field_pos(fb, t, id, 4, &p, what);
    *target = 0;
    if (ret < 0 || !p)
        return ret;
    return follow(fb, p, target, what);
}

int pa_fb_u8(const struct pa_fb *fb, const struct pa_fb_table *t, int id, uint8_t def, uint8_t *out,
             const char *what)
{
    size_t p;
    int ret = field_pos(fb, t, id, 1, &p, what);
    if (ret < 0)
        return ret;
    *out = p ? fb->buf[p] : def;
    return 0;
}

int pa_fb_i8(const struct pa_fb *fb, const struct pa_fb_table *t, int id, int8_t def, int8_t *out,
             const char *what)
{
    uint8_t v = 0;
    int ret = pa_fb_u8(fb, t, id, (uint8_t)def, &v, what);
    *out = (int8_t)v;
    return ret;
}

int pa_fb_u32(const struct pa_fb *fb, const struct pa_fb_table *t, int id, uint32_t def,
              uint32_t *out, const char *what)
{
    size_t p;
    int ret = field_pos(fb, t, id, 4, &p, what);
    if (ret < 0)
        return ret;
    *out = p ? pa_fb_ld32(fb->buf + p) : def;
    return 0;
}

int pa_fb_i32(const struct pa_fb *fb, const struct pa_fb_table *t, int id, int32_t def,
              int32_t *out, const char *what)
{
    uint32_t v = 0;
    int ret = pa_fb_u32(fb, t, id, (uint32_t)def, &v, what);
    *out = (int32_t)v;
    return ret;
}

int pa_fb_u64(const struct pa_fb *fb, const struct pa_fb_table *t, int id, uint64_t def,
              uint64_t *out, const char *what)
{
    size_t p;
    int ret = field_pos(fb, t, id, 8, &p, what);
    if (ret < 0)
        return ret;
    *out = p ? pa_fb_ld64(fb->buf + p) : def;
    return 0;
}

int pa_fb_table_field(const struct pa_fb *fb, const struct pa_fb_table *t, int id,
                      struct pa_fb_table *out, bool *present, const char *what)
{
    size_t target;
    memset(out, 0, sizeof(*out));
    *present = false;
    int ret = ref_field(fb, t, id, &target, what);
    if (ret < 0 || !target)
        return ret;
    *present = true;
    return pa_fb_table_at(fb, target, out, what);
}

int pa_fb_vector(const struct pa_fb *fb, const struct pa_fb_table *t, int id, size_t elem_size,
                 struct pa_fb_vec *out, const char *what)
{
    size_t target, bytes;
    out->data = 0;
    out->len = 0;
    int ret = ref_field(fb, t, id, &target, what);
    if (ret < 0 || !target)
        return ret;
    uint32_t len = pa_fb_ld32(fb->buf + target);
    if (pa_size_mul(len, elem_size, &bytes) < 0 || !pa_fb_in(fb, target + 4, bytes))
        return pa_fb_fail(fb, "%s: vector of %u elements at %zu overruns the file (%zu bytes)",
                          what, len, target, fb->size);
    out->data = target + 4;
    out->len = len;
    return 0;
}

int pa_fb_string(const struct pa_fb *fb, const struct pa_fb_table *t, int id, const char **out,
                 const char *what)
{
    struct pa_fb_vec v;
    *out = "";
    int ret = pa_fb_vector(fb, t, id, 1, &v, what);
    if (ret < 0 || !v.data)
        return ret;
    // data + len is inside the buffer (checked above); the terminator must be too.
    if (!pa_fb_in(fb, v.data + v.len, 1) || fb->buf[v.data + v.len] != 0)
        return pa_fb_fail(fb, "%s: string at %zu is not NUL-terminated", what, v.data - 4);
    *out = (const char *)fb->buf + v.data;
    return 0;
}

int pa_fb_vec_table(const struct pa_fb *fb, const struct pa_fb_vec *v, uint32_t i,
                    struct pa_fb_table *out, const char *what)
{
    char name[64];
    size_t target = 0;
    snprintf(name, sizeof(name), "%s[%u]", what, i);
    PA_ASSERT(i < v->len);
    int ret = follow(fb, v->data + (size_t)i * 4, &target, name);
    if (ret < 0)
        return ret;
    return pa_fb_table_at(fb, target, out, name);
}

/** @file
 * The .tflite reader: maps the file, checks the "TFL3" identifier, then walks the whole
 * model once at open (tflite_fb.c does the bounds checks) and decodes subgraph 0's tensors
 * and operators into plain arrays, so the accessors afterwards are array lookups that
 * cannot fail on structure.
 *
 * Schema digest (tensorflow/lite/schema/schema.fbs, field ids in brackets):
 *  - Model: version[0] u32 (must be 3), operator_codes[1], subgraphs[2], description[3],
 *    buffers[4]; metadata and signature defs are ignored.
 *  - OperatorCode: deprecated_builtin_code[0] i8, custom_code[1], version[2] i32 = 1,
 *    builtin_code[3] i32. The real code is max(deprecated, builtin), as TFLite's
 *    GetBuiltinCode does: old files only fill the i8, new ones fill both (the i8 is capped
 *    at PLACEHOLDER_FOR_GREATER_OP_CODES = 127).
 *  - SubGraph: tensors[0], inputs[1], outputs[2], operators[3], name[4].
 *  - Tensor: shape[0], type[1] i8, buffer[2] u32, name[3], quantization[4], is_variable[5],
 *    sparsity[6] (rejected), ...
 *  - Operator: opcode_index[0] u32, inputs[1], outputs[2], builtin_options_type[3] u8,
 *    builtin_options[4], custom_options[5], ..., large_custom_options_offset[9],
 *    large_custom_options_size[10].
 *  - Buffer: data[0] (ubyte vector), offset[1] u64, size[2] u64. An offset > 1 means the
 *    bytes live outside the FlatBuffer at that file offset (the >2 GB layout); we accept it
 *    when [offset, offset + size) lies inside the file.
 * Beyond structure, open checks what later code relies on: tensor buffer indices, op opcode
 * and tensor indices ([-1, n) for ops, [0, n) for subgraph inputs/outputs), at most
 * PA_TFLITE_MAX_IO of each, shapes of <= 8 non-negative dims with < 2^31 elements, and
 * constant data of exactly count * element size bytes.
 */
#include "nn/tflite.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "nn/tflite_fb.h"

#define SCHEMA_VERSION 3
#define BUILTIN_CUSTOM 32
#define MAX_OBJECTS (1 << 24) // tensors or ops per subgraph; far above any real model

struct pa_tflite {
    char *name;
    const uint8_t *base;
    size_t size;
    void *map; ///< mmap'ed region (base), NULL for pa_tflite_open_memory
    uint32_t version;
    const char *description;
    int n_tensors, n_ops;
    struct pa_tflite_tensor *tensors;
    struct pa_tflite_op *ops;
    int n_io[2];
    int io[2][PA_TFLITE_MAX_IO];
};

/* Decoded model-level tables, alive only while open parses. */
struct opcode {
    int code;
    const char *custom;
    int version;
};

struct buffer {
    const uint8_t *data;
    size_t size;
};

struct parse {
    struct pa_fb fb;
    struct opcode *codes;
    uint32_t n_codes;
    struct buffer *bufs;
    uint32_t n_bufs;
};

/* Bytes per element of a TensorType; 0 for variable-size or unknown types (not checked). */
static size_t type_size(int type)
{
    static const uint8_t sizes[] = {
        [0] = 4, [1] = 2, [2] = 4,  [3] = 1,   [4] = 8,  [6] = 1,  [7] = 2,
        [8] = 8, [9] = 1, [10] = 8, [11] = 16, [12] = 8, [15] = 4, [16] = 2,
    };
    return type >= 0 && (size_t)type < PA_ARRAY_SIZE(sizes) ? sizes[type] : 0;
}

static int parse_opcode(struct parse *p, uint32_t i, const struct pa_fb_table *tbl)
{
    struct pa_fb *fb = &p->fb;
    struct opcode *oc = &p->codes[i];
    int8_t dep;
    int32_t builtin, version;
    const char *custom;
    int ret;

    pa_fb_context(fb, "operator code %u", i);
    if ((ret = pa_fb_i8(fb, tbl, 0, 0, &dep, "deprecated_builtin_code")) < 0 ||
        (ret = pa_fb_string(fb, tbl, 1, &custom, "custom_code")) < 0 ||
        (ret = pa_fb_i32(fb, tbl, 2, 1, &version, "version")) < 0 ||
        (ret = pa_fb_i32(fb, tbl, 3, 0, &builtin, "builtin_code")) < 0)
        return ret;
    oc->code = PA_MAX((int)dep, (int)builtin);
    oc->version = version;
    if (oc->code < 0)
        return pa_fb_fail(fb, "negative builtin code %d", oc->code);
    if (oc->code == BUILTIN_CUSTOM && !custom[0])
        return pa_fb_fail(fb, "CUSTOM operator without a custom_code");
    oc->custom = oc->code == BUILTIN_CUSTOM ? custom : NULL;
    return 0;
}

/* Resolve data that lives outside the FlatBuffer (offset > 1, see the schema digest). */
static int external_data(const struct pa_fb *fb, uint64_t off, uint64_t size, const uint8_t **data,
                         size_t *n)
{
    if (off > fb->size || size > fb->size - off)
        return pa_fb_fail(fb, "external data [%llu, +%llu) is outside the file (%zu bytes)",
                          (unsigned long long)off, (unsigned long long)size, fb->size);
    *data = size ? fb->buf + off : NULL;
    *n = (size_t)size;
    return 0;
}

static int parse_buffer(struct parse *p, uint32_t i, const struct pa_fb_table *tbl)
{
    struct pa_fb *fb = &p->fb;
    struct pa_fb_vec v;
    uint64_t off, size;
    int ret;

    pa_fb_context(fb, "buffer %u", i);
    if ((ret = pa_fb_vector(fb, tbl, 0, 1, &v, "data")) < 0 ||
        (ret = pa_fb_u64(fb, tbl, 1, 0, &off, "offset")) < 0 ||
        (ret = pa_fb_u64(fb, tbl, 2, 0, &size, "size")) < 0)
        return ret;
    if (off > 1)
        return external_data(fb, off, size, &p->bufs[i].data, &p->bufs[i].size);
    p->bufs[i].data = v.len ? fb->buf + v.data : NULL;
    p->bufs[i].size = v.len;
    return 0;
}

static int parse_shape(const struct pa_fb *fb, const struct pa_fb_table *tbl,
                       struct pa_tflite_tensor *out, size_t *count)
{
    struct pa_fb_vec v;
    int ret = pa_fb_vector(fb, tbl, 0, 4, &v, "shape");
    if (ret < 0)
        return ret;
    if (v.len > PA_TFLITE_MAX_DIMS)
        return pa_fb_fail(fb, "%u dimensions (at most %d supported)", v.len, PA_TFLITE_MAX_DIMS);
    out->ndim = (int)v.len;
    *count = 1;
    for (uint32_t d = 0; d < v.len; d++) {
        int32_t dim = pa_fb_vec_i32(fb, &v, d);
        if (dim < 0)
            return pa_fb_fail(fb, "dimension %u is negative (%d)", d, dim);
        out->shape[d] = dim;
        // Each factor is < 2^31 and the running count too, so the product fits 64 bits.
        *count *= (size_t)dim;
        if (*count > INT32_MAX)
            return pa_fb_fail(fb, "shape has more than 2^31-1 elements (dimension %u)", d);
    }
    return 0;
}

/* Validate the optional QuantizationParameters; quantized = it has scales. */
static int parse_quant(const struct pa_fb *fb, const struct pa_fb_table *tbl, bool *quantized)
{
    struct pa_fb_table q;
    struct pa_fb_vec v;
    bool present;
    int ret;

    *quantized = false;
    if ((ret = pa_fb_table_field(fb, tbl, 4, &q, &present, "quantization")) < 0 || !present)
        return ret;
    if ((ret = pa_fb_vector(fb, &q, 0, 4, &v, "quantization.min")) < 0 ||
        (ret = pa_fb_vector(fb, &q, 1, 4, &v, "quantization.max")) < 0 ||
        (ret = pa_fb_vector(fb, &q, 3, 8, &v, "quantization.zero_point")) < 0 ||
        (ret = pa_fb_vector(fb, &q, 2, 4, &v, "quantization.scale")) < 0)
        return ret;
    *quantized = v.len > 0;
    return 0;
}

static int check_data_size(const struct pa_fb *fb, const struct pa_tflite_tensor *out, size_t count)
{
    size_t elem = type_size(out->type), want;
    if (out->type == 17) // INT4: two per byte when packed; TFLite also accepts one per byte
        want = out->data_size == count ? count : count / 2 + (count & 1);
    else if (elem == 0)
        return 0;
    else
        want = count * elem; // count < 2^31 and elem <= 16: no overflow
    if (out->data_size != want)
        return pa_fb_fail(fb, "constant data is %zu bytes, want %zu (%s, %zu elements)",
                          out->data_size, want, pa_tflite_type_name(out->type), count);
    return 0;
}

static int parse_tensor(struct parse *p, uint32_t i, const struct pa_fb_table *tbl,
                        struct pa_tflite_tensor *out)
{
    struct pa_fb *fb = &p->fb;
    struct pa_fb_table sparsity;
    bool sparse;
    int8_t type;
    uint32_t buf;
    size_t count = 0;
    int ret;

    pa_fb_context(fb, "tensor %u", i);
    if ((ret = parse_shape(fb, tbl, out, &count)) < 0 ||
        (ret = pa_fb_i8(fb, tbl, 1, 0, &type, "type")) < 0 ||
        (ret = pa_fb_u32(fb, tbl, 2, 0, &buf, "buffer")) < 0 ||
        (ret = pa_fb_string(fb, tbl, 3, &out->name, "name")) < 0 ||
        (ret = parse_quant(fb, tbl, &out->quantized)) < 0 ||
        (ret = pa_fb_table_field(fb, tbl, 6, &sparsity, &sparse, "sparsity")) < 0)
        return ret;
    if (sparse)
        return pa_fb_fail(fb, "sparse tensors are not supported");
    if (buf >= p->n_bufs)
        return pa_fb_fail(fb, "buffer index %u out of range (%u buffers)", buf, p->n_bufs);
    out->type = type;
    out->buffer = (int)buf;
    out->data = p->bufs[buf].data;
    out->data_size = p->bufs[buf].size;
    return out->data_size ? check_data_size(fb, out, count) : 0;
}

/* Read a vector of tensor indices (ops allow -1 = absent optional input). */
static int parse_indices(const struct pa_fb *fb, const struct pa_fb_table *tbl, int id,
                         const char *what, int n_tensors, int lo, int *dst, int *n)
{
    struct pa_fb_vec v;
    int ret = pa_fb_vector(fb, tbl, id, 4, &v, what);
    if (ret < 0)
        return ret;
    if (v.len > PA_TFLITE_MAX_IO)
        return pa_fb_fail(fb, "%u %s (at most %d supported)", v.len, what, PA_TFLITE_MAX_IO);
    for (uint32_t k = 0; k < v.len; k++) {
        int32_t idx = pa_fb_vec_i32(fb, &v, k);
        if (idx < lo || idx >= n_tensors)
            return pa_fb_fail(fb, "%s[%u]: tensor index %d out of range (%d tensors)", what, k, idx,
                              n_tensors);
        dst[k] = idx;
    }
    *n = (int)v.len;
    return 0;
}

static int parse_custom_options(const struct pa_fb *fb, const struct pa_fb_table *tbl,
                                struct pa_tflite_op *out)
{
    struct pa_fb_vec v;
    uint64_t off, size;
    int ret;
    if ((ret = pa_fb_vector(fb, tbl, 5, 1, &v, "custom_options")) < 0 ||
        (ret = pa_fb_u64(fb, tbl, 9, 0, &off, "large_custom_options_offset")) < 0 ||
        (ret = pa_fb_u64(fb, tbl, 10, 0, &size, "large_custom_options_size")) < 0)
        return ret;
    if (off > 1)
        return external_data(fb, off, size, &out->custom_options, &out->custom_options_size);
    out->custom_options = v.len ? fb->buf + v.data : NULL;
    out->custom_options_size = v.len;
    return 0;
}

static int parse_op(struct parse *p, uint32_t i, const struct pa_fb_table *tbl, int n_tensors,
                    struct pa_tflite_op *out)
{
    struct pa_fb *fb = &p->fb;
    struct pa_fb_table opt;
    bool has_opt;
    uint32_t code_idx;
    uint8_t opt_type;
    int ret;

    pa_fb_context(fb, "op %u", i);
    if ((ret = pa_fb_u32(fb, tbl, 0, 0, &code_idx, "opcode_index")) < 0)
        return ret;
    if (code_idx >= p->n_codes)
        return pa_fb_fail(fb, "opcode index %u out of range (%u operator codes)", code_idx,
                          p->n_codes);
    const struct opcode *oc = &p->codes[code_idx];
    out->builtin_code = oc->code;
    out->custom_code = oc->custom;
    out->version = oc->version;
    if ((ret = parse_indices(fb, tbl, 1, "inputs", n_tensors, -1, out->inputs, &out->n_inputs)) <
            0 ||
        (ret = parse_indices(fb, tbl, 2, "outputs", n_tensors, -1, out->outputs, &out->n_outputs)) <
            0 ||
        (ret = pa_fb_u8(fb, tbl, 3, 0, &opt_type, "builtin_options_type")) < 0 ||
        (ret = pa_fb_table_field(fb, tbl, 4, &opt, &has_opt, "builtin_options")) < 0 ||
        (ret = parse_custom_options(fb, tbl, out)) < 0)
        return ret;
    out->options_type = opt_type;
    return pa_tflite_parse_options(fb, oc->code, opt_type, &opt, has_opt, &out->opt);
}

static int parse_subgraph(struct pa_tflite *t, struct parse *p, const struct pa_fb_table *sg)
{
    struct pa_fb *fb = &p->fb;
    struct pa_fb_vec tv, ov;
    struct pa_fb_table tbl;
    int ret;

    pa_fb_context(fb, "subgraph 0");
    if ((ret = pa_fb_vector(fb, sg, 0, 4, &tv, "tensors")) < 0 ||
        (ret = pa_fb_vector(fb, sg, 3, 4, &ov, "operators")) < 0)
        return ret;
    if (tv.len > MAX_OBJECTS || ov.len > MAX_OBJECTS)
        return pa_fb_fail(fb, "%u tensors and %u operators: too many", tv.len, ov.len);
    t->n_tensors = (int)tv.len;
    t->n_ops = (int)ov.len;
    if ((ret = parse_indices(fb, sg, 1, "inputs", t->n_tensors, 0, t->io[0], &t->n_io[0])) < 0 ||
        (ret = parse_indices(fb, sg, 2, "outputs", t->n_tensors, 0, t->io[1], &t->n_io[1])) < 0)
        return ret;
    t->tensors = pa_calloc(tv.len + 1, sizeof(*t->tensors));
    t->ops = pa_calloc(ov.len + 1, sizeof(*t->ops));
    if (!t->tensors || !t->ops) {
        pa_log_error("nn", "%s: out of memory for %u tensors and %u ops", t->name, tv.len, ov.len);
        return PA_ENOMEM;
    }
    for (uint32_t i = 0; i < tv.len; i++) {
        pa_fb_context(fb, "subgraph 0");
        if ((ret = pa_fb_vec_table(fb, &tv, i, &tbl, "tensors")) < 0 ||
            (ret = parse_tensor(p, i, &tbl, &t->tensors[i])) < 0)
            return ret;
    }
    for (uint32_t i = 0; i < ov.len; i++) {
        pa_fb_context(fb, "subgraph 0");
        if ((ret = pa_fb_vec_table(fb, &ov, i, &tbl, "operators")) < 0 ||
            (ret = parse_op(p, i, &tbl, t->n_tensors, &t->ops[i])) < 0)
            return ret;
    }
    return 0;
}

/* Model tables: operator codes and buffers, decoded into p's temporary arrays. */
static int parse_model_tables(struct pa_tflite *t, struct parse *p, const struct pa_fb_table *model)
{
    struct pa_fb *fb = &p->fb;
    struct pa_fb_vec cv, bv;
    struct pa_fb_table tbl;
    int ret;

    if ((ret = pa_fb_vector(fb, model, 1, 4, &cv, "operator_codes")) < 0 ||
        (ret = pa_fb_vector(fb, model, 4, 4, &bv, "buffers")) < 0)
        return ret;
    p->codes = pa_calloc(cv.len + 1, sizeof(*p->codes));
    p->bufs = pa_calloc(bv.len + 1, sizeof(*p->bufs));
    if (!p->codes || !p->bufs) {
        pa_log_error("nn", "%s: out of memory for %u buffers", t->name, bv.len);
        return PA_ENOMEM;
    }
    p->n_codes = cv.len;
    p->n_bufs = bv.len;
    for (uint32_t i = 0; i < cv.len; i++) {
        pa_fb_context(fb, "%s", "");
        if ((ret = pa_fb_vec_table(fb, &cv, i, &tbl, "operator_codes")) < 0 ||
            (ret = parse_opcode(p, i, &tbl)) < 0)
            return ret;
    }
    for (uint32_t i = 0; i < bv.len; i++) {
        pa_fb_context(fb, "%s", "");
        if ((ret = pa_fb_vec_table(fb, &bv, i, &tbl, "buffers")) < 0 ||
            (ret = parse_buffer(p, i, &tbl)) < 0)
            return ret;
    }
    return 0;
}

static int parse_model(struct pa_tflite *t)
{
    struct parse p = {.fb = {.buf = t->base, .size = t->size, .name = t->name}};
    struct pa_fb *fb = &p.fb;
    struct pa_fb_table model, sg;
    struct pa_fb_vec sv;
    int ret;

    if (t->size < 8)
        return pa_fb_fail(fb, "file too small for a TFLite model (%zu bytes)", t->size);
    if (memcmp(t->base + 4, "TFL3", 4) != 0)
        return pa_fb_fail(fb, "not a TFLite model (identifier %02x %02x %02x %02x, want TFL3)",
                          t->base[4], t->base[5], t->base[6], t->base[7]);
    if ((ret = pa_fb_table_at(fb, pa_fb_ld32(t->base), &model, "root table")) < 0 ||
        (ret = pa_fb_u32(fb, &model, 0, 0, &t->version, "version")) < 0 ||
        (ret = pa_fb_string(fb, &model, 3, &t->description, "description")) < 0 ||
        (ret = pa_fb_vector(fb, &model, 2, 4, &sv, "subgraphs")) < 0)
        return ret;
    if (t->version != SCHEMA_VERSION)
        return pa_fb_fail(fb, "schema version %u is not supported (want %d)", t->version,
                          SCHEMA_VERSION);
    if (sv.len == 0)
        return pa_fb_fail(fb, "model has no subgraph");
    if ((ret = parse_model_tables(t, &p, &model)) < 0)
        goto done;
    pa_fb_context(fb, "%s", "");
    if ((ret = pa_fb_vec_table(fb, &sv, 0, &sg, "subgraphs")) < 0)
        goto done;
    ret = parse_subgraph(t, &p, &sg);
done:
    pa_free(p.codes);
    pa_free(p.bufs);
    return ret;
}

/* Takes ownership of `map` (munmapped on failure). */
static int open_common(struct pa_tflite **out, const uint8_t *data, size_t size, void *map,
                       const char *name)
{
    struct pa_tflite *t = pa_calloc(1, sizeof(*t));
    char *copy = pa_strdup(name);
    if (!t || !copy) {
        pa_log_error("nn", "%s: out of memory", name);
        pa_free(t);
        pa_free(copy);
        if (map)
            munmap(map, size);
        return PA_ENOMEM;
    }
    t->name = copy;
    t->base = data;
    t->size = size;
    t->map = map;
    t->description = "";
    int ret = parse_model(t);
    if (ret < 0) {
        pa_tflite_close(t);
        return ret;
    }
    *out = t;
    return 0;
}

int pa_tflite_open(struct pa_tflite **out, const char *path)
{
    struct stat st;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        pa_log_error("nn", "%s: cannot open: %s", path, strerror(err));
        return err == ENOENT || err == ENOTDIR ? PA_ENOENT : PA_EIO;
    }
    int ret = PA_EINVALDATA;
    if (fstat(fd, &st) < 0) {
        pa_log_error("nn", "%s: cannot stat: %s", path, strerror(errno));
        ret = PA_EIO;
    } else if (!S_ISREG(st.st_mode)) {
        pa_log_error("nn", "%s: not a regular file", path);
    } else if (st.st_size == 0) {
        pa_log_error("nn", "%s: file is empty", path); // mmap cannot map 0 bytes
    } else if ((uint64_t)st.st_size > SIZE_MAX) {
        pa_log_error("nn", "%s: file too large to map", path);
    } else {
        size_t size = (size_t)st.st_size;
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) {
            pa_log_error("nn", "%s: mmap failed: %s", path, strerror(errno));
            return PA_EIO;
        }
        return open_common(out, map, size, map, path);
    }
    close(fd);
    return ret;
}

int pa_tflite_open_memory(struct pa_tflite **out, const uint8_t *data, size_t size,
                          const char *name)
{
    *out = NULL;
    if (!data && size)
        return PA_EINVAL;
    static const uint8_t empty[1];
    return open_common(out, data ? data : empty, size, NULL, name ? name : "<memory>");
}

void pa_tflite_close(struct pa_tflite *t)
{
    if (!t)
        return;
    if (t->map)
        munmap(t->map, t->size);
    pa_free(t->tensors);
    pa_free(t->ops);
    pa_free(t->name);
    pa_free(t);
}

const char *pa_tflite_name(const struct pa_tflite *t)
{
    return t->name;
}

int pa_tflite_version(const struct pa_tflite *t)
{
    return (int)t->version;
}

const char *pa_tflite_description(const struct pa_tflite *t)
{
    return t->description;
}

int pa_tflite_num_tensors(const struct pa_tflite *t)
{
    return t->n_tensors;
}

int pa_tflite_num_ops(const struct pa_tflite *t)
{
    return t->n_ops;
}

int pa_tflite_num_io(const struct pa_tflite *t, int which)
{
    return which == 0 || which == 1 ? t->n_io[which] : PA_EINVAL;
}

int pa_tflite_io(const struct pa_tflite *t, int which, int i)
{
    if ((which != 0 && which != 1) || i < 0 || i >= t->n_io[which])
        return PA_EINVAL;
    return t->io[which][i];
}

int pa_tflite_tensor(const struct pa_tflite *t, int i, struct pa_tflite_tensor *out)
{
    if (i < 0 || i >= t->n_tensors)
        return PA_EINVAL;
    *out = t->tensors[i];
    return 0;
}

int pa_tflite_op(const struct pa_tflite *t, int i, struct pa_tflite_op *out)
{
    if (i < 0 || i >= t->n_ops)
        return PA_EINVAL;
    *out = t->ops[i];
    return 0;
}

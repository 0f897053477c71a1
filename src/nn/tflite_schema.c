/** @file
 * TFLite schema tables: BuiltinOperator and TensorType names, and the decoding of the
 * builtin options tables our ops use into struct pa_tflite_options.
 *
 * Options are described as data, not code: for each BuiltinOptions union member we decode,
 * a list of (field id, kind, destination, default) from schema.fbs, e.g.
 *   Conv2DOptions { padding:Padding; stride_w:int; stride_h:int;
 *                   fused_activation_function; dilation_w_factor:int = 1;
 *                   dilation_h_factor:int = 1; }
 * An op whose options table has the wrong union type for its builtin code (CONV_2D with
 * Pool2DOptions) is rejected; an absent table decodes as all defaults (dilations 1).
 * Option values are not range-checked here: the graph builder knows what each op accepts.
 */
#include <stddef.h>
#include <string.h>

#include "nn/tflite.h"
#include "nn/tflite_fb.h"

/* BuiltinOptions union member numbers (schema.fbs order, NONE = 0). */
enum {
    OPT_CONV_2D = 1,
    OPT_DEPTHWISE_CONV_2D = 2,
    OPT_POOL_2D = 5,
    OPT_FULLY_CONNECTED = 8,
    OPT_CONCATENATION = 10,
    OPT_ADD = 11,
    OPT_RESIZE_BILINEAR = 15,
    OPT_RESHAPE = 17,
    OPT_MUL = 21,
    OPT_PAD = 22,
    OPT_SUB = 28,
    OPT_DIV = 29,
    OPT_STRIDED_SLICE = 32,
    OPT_TRANSPOSE_CONV = 49,
    OPT_RESIZE_NEAREST = 74,
};

/* Which options table each builtin op we decode must carry (BuiltinOperator codes). */
static const struct {
    uint8_t code, type;
} expected_type[] = {
    {0, OPT_ADD},
    {1, OPT_POOL_2D},
    {2, OPT_CONCATENATION},
    {3, OPT_CONV_2D},
    {4, OPT_DEPTHWISE_CONV_2D},
    {9, OPT_FULLY_CONNECTED},
    {12, OPT_POOL_2D},
    {17, OPT_POOL_2D},
    {18, OPT_MUL},
    {22, OPT_RESHAPE},
    {23, OPT_RESIZE_BILINEAR},
    {34, OPT_PAD},
    {41, OPT_SUB},
    {42, OPT_DIV},
    {45, OPT_STRIDED_SLICE},
    {67, OPT_TRANSPOSE_CONV},
    {97, OPT_RESIZE_NEAREST},
};

enum kind { K_I8, K_I32, K_BOOL };

struct field {
    uint8_t id;   ///< schema field id
    uint8_t kind; ///< enum kind
    uint16_t dst; ///< offsetof(struct pa_tflite_options, ...)
    int8_t def;
    const char *name;
};

// clang-format off
#define F(id, kind, member, def) {id, kind, offsetof(struct pa_tflite_options, member), def, #member}
// clang-format on
#define PADDING_STRIDES F(0, K_I8, padding, 0), F(1, K_I32, stride_w, 0), F(2, K_I32, stride_h, 0)

static const struct field conv_fields[] = {PADDING_STRIDES,
                                           F(3, K_I8, activation, 0),
                                           F(4, K_I32, dilation_w, 1),
                                           F(5, K_I32, dilation_h, 1),
                                           {0}};
static const struct field dwconv_fields[] = {PADDING_STRIDES,
                                             F(3, K_I32, depth_multiplier, 0),
                                             F(4, K_I8, activation, 0),
                                             F(5, K_I32, dilation_w, 1),
                                             F(6, K_I32, dilation_h, 1),
                                             {0}};
static const struct field pool_fields[] = {PADDING_STRIDES,
                                           F(3, K_I32, filter_w, 0),
                                           F(4, K_I32, filter_h, 0),
                                           F(5, K_I8, activation, 0),
                                           {0}};
static const struct field transpose_conv_fields[] = {
    PADDING_STRIDES, F(3, K_I8, activation, 0), {0}};
static const struct field act_fields[] = {F(0, K_I8, activation, 0), {0}};
static const struct field concat_fields[] = {F(0, K_I32, axis, 0), F(1, K_I8, activation, 0), {0}};
// ResizeBilinearOptions fields 0 and 1 (new_height, new_width) are deprecated.
static const struct field bilinear_fields[] = {
    F(2, K_BOOL, align_corners, 0), F(3, K_BOOL, half_pixel_centers, 0), {0}};
static const struct field nearest_fields[] = {
    F(0, K_BOOL, align_corners, 0), F(1, K_BOOL, half_pixel_centers, 0), {0}};
static const struct field slice_fields[] = {
    F(0, K_I32, begin_mask, 0),    F(1, K_I32, end_mask, 0),         F(2, K_I32, ellipsis_mask, 0),
    F(3, K_I32, new_axis_mask, 0), F(4, K_I32, shrink_axis_mask, 0), {0}};
static const struct field no_fields[] = {{0}};

#undef PADDING_STRIDES
#undef F

static const struct field *fields_of(int type)
{
    switch (type) {
    case OPT_CONV_2D:
        return conv_fields;
    case OPT_DEPTHWISE_CONV_2D:
        return dwconv_fields;
    case OPT_POOL_2D:
        return pool_fields;
    case OPT_TRANSPOSE_CONV:
        return transpose_conv_fields;
    case OPT_FULLY_CONNECTED:
    case OPT_ADD:
    case OPT_MUL:
    case OPT_SUB:
    case OPT_DIV:
        return act_fields;
    case OPT_CONCATENATION:
        return concat_fields;
    case OPT_RESIZE_BILINEAR:
        return bilinear_fields;
    case OPT_RESIZE_NEAREST:
        return nearest_fields;
    case OPT_STRIDED_SLICE:
        return slice_fields;
    default:
        return no_fields; // PadOptions, ReshapeOptions (below), ones we do not decode
    }
}

static int read_field(const struct pa_fb *fb, const struct pa_fb_table *tbl, bool present,
                      const struct field *f, struct pa_tflite_options *opt)
{
    char *dst = (char *)opt + f->dst; // offsetof keeps the member's alignment
    int8_t i8 = f->def;
    int32_t i32 = f->def;
    int ret = 0;

    if (f->kind == K_I32) {
        if (present)
            ret = pa_fb_i32(fb, tbl, f->id, f->def, &i32, f->name);
        *(int *)dst = i32;
        return ret;
    }
    if (present)
        ret = pa_fb_i8(fb, tbl, f->id, f->def, &i8, f->name);
    if (f->kind == K_BOOL)
        *(bool *)dst = i8 != 0;
    else
        *(int *)dst = i8;
    return ret;
}

static int read_new_shape(const struct pa_fb *fb, const struct pa_fb_table *tbl,
                          struct pa_tflite_options *opt)
{
    struct pa_fb_vec v;
    int ret = pa_fb_vector(fb, tbl, 0, 4, &v, "new_shape");
    if (ret < 0)
        return ret;
    if (v.len > PA_TFLITE_MAX_DIMS)
        return pa_fb_fail(fb, "new_shape has %u dimensions (at most %d supported)", v.len,
                          PA_TFLITE_MAX_DIMS);
    for (uint32_t i = 0; i < v.len; i++)
        opt->new_shape[i] = pa_fb_vec_i32(fb, &v, i);
    opt->n_new_shape = (int)v.len;
    return 0;
}

int pa_tflite_parse_options(const struct pa_fb *fb, int code, int type,
                            const struct pa_fb_table *tbl, bool present,
                            struct pa_tflite_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->dilation_w = opt->dilation_h = 1;
    for (size_t i = 0; i < PA_ARRAY_SIZE(expected_type); i++) {
        if (expected_type[i].code == code && type != 0 && type != expected_type[i].type)
            return pa_fb_fail(fb, "%s has builtin options of union type %d (want %d)",
                              pa_tflite_builtin_name(code), type, expected_type[i].type);
    }
    for (const struct field *f = fields_of(type); f->name; f++) {
        int ret = read_field(fb, tbl, present, f, opt);
        if (ret < 0)
            return ret;
    }
    if (type == OPT_RESHAPE && present)
        return read_new_shape(fb, tbl, opt);
    return 0;
}

const char *pa_tflite_builtin_name(int code)
{
    static const char *const names[] = {
#define X(code, name) [code] = #name,
#include "nn/tflite_names.inc"
#undef X
    };
    if (code < 0 || (size_t)code >= PA_ARRAY_SIZE(names) || !names[code])
        return "UNKNOWN";
    return names[code];
}

const char *pa_tflite_type_name(int type)
{
    static const char *const names[] = {
        "FLOAT32", "FLOAT16",  "INT32",     "UINT8",  "INT64",   "STRING",
        "BOOL",    "INT16",    "COMPLEX64", "INT8",   "FLOAT64", "COMPLEX128",
        "UINT64",  "RESOURCE", "VARIANT",   "UINT32", "UINT16",  "INT4",
    };
    if (type < 0 || (size_t)type >= PA_ARRAY_SIZE(names))
        return "UNKNOWN";
    return names[type];
}

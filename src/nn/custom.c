/** @file
 * Option decoding and version checks of MediaPipe's custom TFLite ops (see custom.h for the list).
 *
 * Option sources, as MediaPipe/TFLite read them (flexbuffer maps):
 *  - Landmarks2TransformMatrix v2: flexbuffer map with "left_rotation_idx",
 *    "right_rotation_idx", "target_rotation_radians", "output_height", "output_width",
 *    "scale_x", "scale_y" and "subset_idxs" (a vector of ints read as (a, b) pairs; an odd
 *    trailing element e becomes the pair (e, e)). MediaPipe rejects negative indices,
 *    non-positive sizes and scales; a missing key reads as 0 and then fails those checks,
 *    except the rotation indices and angle, for which 0 is valid.
 *  - TransformTensorBilinear v2: flexbuffer map with "output_height", "output_width";
 *    align_corners is implied by v2 (the kernel applies the half-pixel correction).
 *  - TransformLandmarks v2: no options (the landmark dimension comes from the tensor shape).
 * Convolution2DTransposeBias: custom_options is the raw bytes of a C struct
 * TfLiteTransposeConvParams { TfLitePadding padding; int stride_width; int stride_height; }
 * (little-endian int32s; TfLitePadding: 0 unknown, 1 SAME, 2 VALID). Newer TFLite appends an
 * activation field, which MediaPipe's kernel ignores, so trailing bytes are ignored.
 */
#include "nn/custom.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "nn/flexbuffer.h"
#include "nn/graph.h"
#include "panim.h"

static const char *op_str(int op)
{
    return pa_op_name((enum pa_op)op);
}

/* Context of one parse, so helpers can log with the model and op names. */
struct parse_ctx {
    const char *what;
    const char *op;
    struct pa_flex_ref map;
};

static int bad_key(const struct parse_ctx *c, const char *key, const char *why)
{
    pa_log_error("nn", "%s: %s option '%s' %s", c->what, c->op, key, why);
    return PA_EINVALDATA;
}

static int open_map(struct parse_ctx *c, const uint8_t *data, size_t size)
{
    if (pa_flex_root(data, size, &c->map) < 0 || c->map.type != PA_FLEX_MAP) {
        pa_log_error("nn", "%s: %s custom options are not a valid flexbuffer map (%zu bytes)",
                     c->what, c->op, size);
        return PA_EINVALDATA;
    }
    return 0;
}

static int get_int(const struct parse_ctx *c, const char *key, int *out)
{
    struct pa_flex_ref v;
    int64_t i = 0;
    if (pa_flex_map_get(&c->map, key, &v) < 0)
        return bad_key(c, key, "cannot be read (corrupt map)");
    if (!pa_flex_is_null(&v) && pa_flex_as_int(&v, &i) < 0)
        return bad_key(c, key, "is not an integer");
    if (i < INT32_MIN || i > INT32_MAX)
        return bad_key(c, key, "is out of the 32-bit range");
    *out = (int)i;
    return 0;
}

static int get_float(const struct parse_ctx *c, const char *key, float *out)
{
    struct pa_flex_ref v;
    double d = 0.0;
    if (pa_flex_map_get(&c->map, key, &v) < 0)
        return bad_key(c, key, "cannot be read (corrupt map)");
    if (!pa_flex_is_null(&v) && pa_flex_as_double(&v, &d) < 0)
        return bad_key(c, key, "is not a number");
    if (!isfinite(d) || fabs(d) > 1e30)
        return bad_key(c, key, "is not a finite float");
    *out = (float)d;
    return 0;
}

static int get_size(const struct parse_ctx *c, const char *key, int *out)
{
    int ret = get_int(c, key, out);
    if (ret < 0)
        return ret;
    if (*out <= 0 || *out > PA_CUSTOM_MAX_OUTPUT)
        return bad_key(c, key, "must be in 1..16384 (missing?)");
    return 0;
}

static int get_subset(const struct parse_ctx *c, const char *key, struct pa_custom_params *p)
{
    struct pa_flex_ref v, e;
    size_t n = 0;
    if (pa_flex_map_get(&c->map, key, &v) < 0)
        return bad_key(c, key, "cannot be read (corrupt map)");
    if (pa_flex_is_null(&v))
        return bad_key(c, key, "is missing");
    if (v.type < PA_FLEX_VECTOR || v.type > PA_FLEX_VECTOR_UINT || pa_flex_vec_size(&v, &n) < 0)
        return bad_key(c, key, "is not a vector of integers");
    if (n == 0)
        return bad_key(c, key, "is empty");
    if ((n + 1) / 2 > PA_CUSTOM_MAX_SUBSET) {
        pa_log_error("nn", "%s: %s option '%s' has %zu indices, more than the %d we support",
                     c->what, c->op, key, n, 2 * PA_CUSTOM_MAX_SUBSET);
        return PA_EUNSUPPORTED;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t x;
        if (pa_flex_vec_at(&v, i, &e) < 0 || pa_flex_as_int(&e, &x) < 0)
            return bad_key(c, key, "has a non-integer element");
        if (x < 0 || x > INT32_MAX)
            return bad_key(c, key, "has a negative or huge landmark index");
        p->subset_idxs[i] = (int)x;
    }
    // MediaPipe pairs elements (2i, 2i + 1); a lone last element is paired with itself.
    if (n % 2)
        p->subset_idxs[n] = p->subset_idxs[n - 1];
    p->n_subset = (int)((n + 1) / 2);
    return 0;
}

static int parse_l2tm(struct parse_ctx *c, const uint8_t *data, size_t size,
                      struct pa_custom_params *p)
{
    int ret;
    if ((ret = open_map(c, data, size)) < 0)
        return ret;
    if ((ret = get_int(c, "left_rotation_idx", &p->left_rotation_idx)) < 0 ||
        (ret = get_int(c, "right_rotation_idx", &p->right_rotation_idx)) < 0 ||
        (ret = get_float(c, "target_rotation_radians", &p->target_rotation_radians)) < 0 ||
        (ret = get_size(c, "output_height", &p->output_h)) < 0 ||
        (ret = get_size(c, "output_width", &p->output_w)) < 0 ||
        (ret = get_float(c, "scale_x", &p->scale_x)) < 0 ||
        (ret = get_float(c, "scale_y", &p->scale_y)) < 0 ||
        (ret = get_subset(c, "subset_idxs", p)) < 0)
        return ret;
    if (p->left_rotation_idx < 0 || p->right_rotation_idx < 0)
        return bad_key(c, "left/right_rotation_idx", "must be >= 0");
    if (!(p->scale_x > 0.0f) || !(p->scale_y > 0.0f))
        return bad_key(c, "scale_x/scale_y", "must be > 0");
    return 0;
}

static int parse_ttb(struct parse_ctx *c, const uint8_t *data, size_t size,
                     struct pa_custom_params *p)
{
    int ret;
    if ((ret = open_map(c, data, size)) < 0)
        return ret;
    if ((ret = get_size(c, "output_height", &p->output_h)) < 0 ||
        (ret = get_size(c, "output_width", &p->output_w)) < 0)
        return ret;
    return 0;
}

static int32_t le32(const uint8_t *b)
{
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    int32_t v;
    memcpy(&v, &u, sizeof(v));
    return v;
}

static int parse_tconv(const struct parse_ctx *c, const uint8_t *data, size_t size,
                       struct pa_custom_params *p)
{
    if (!data || size < 12) {
        pa_log_error("nn", "%s: %s needs 12 bytes of TfLiteTransposeConvParams, got %zu", c->what,
                     c->op, size);
        return PA_EINVALDATA;
    }
    int32_t padding = le32(data), sw = le32(data + 4), sh = le32(data + 8);
    if (padding != 1 && padding != 2) {
        pa_log_error("nn", "%s: %s padding %d is neither SAME (1) nor VALID (2)", c->what, c->op,
                     (int)padding);
        return PA_EINVALDATA;
    }
    if (sw <= 0 || sh <= 0 || sw > 1024 || sh > 1024) {
        pa_log_error("nn", "%s: %s strides %dx%d out of range", c->what, c->op, (int)sw, (int)sh);
        return PA_EINVALDATA;
    }
    p->padding = padding == 1 ? PA_PAD_SAME : PA_PAD_VALID;
    p->stride_w = sw;
    p->stride_h = sh;
    return 0;
}

int pa_custom_parse(int op, const uint8_t *custom_options, size_t size,
                    struct pa_custom_params *out, const char *what)
{
    struct parse_ctx c = {.what = what ? what : "model", .op = op_str(op)};
    memset(out, 0, sizeof(*out));
    switch (op) {
    case PA_OP_TRANSPOSE_CONV_BIAS:
        return parse_tconv(&c, custom_options, size, out);
    case PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX:
        return parse_l2tm(&c, custom_options, size, out);
    case PA_OP_TRANSFORM_TENSOR_BILINEAR:
        return parse_ttb(&c, custom_options, size, out);
    case PA_OP_TRANSFORM_LANDMARKS:
        return 0; // v2 reads no options (MediaPipe ignores any bytes there)
    default:
        pa_log_error("nn", "%s: op %s has no flexbuffer options to parse", c.what, c.op);
        return PA_EINVAL;
    }
}

int pa_custom_check_version(int op, int version, const char *what)
{
    int ok;
    switch (op) {
    case PA_OP_TRANSPOSE_CONV_BIAS:
        ok = version == 0 || version == 1;
        break;
    case PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX:
    case PA_OP_TRANSFORM_TENSOR_BILINEAR:
    case PA_OP_TRANSFORM_LANDMARKS:
        ok = version == 2;
        break;
    default:
        ok = 1; // not a custom op: builtin versions are not our concern here
        break;
    }
    if (!ok) {
        pa_log_error("nn", "%s: %s version %d is not supported", what ? what : "model", op_str(op),
                     version);
        return PA_EUNSUPPORTED;
    }
    return 0;
}

/** @file
 * Triangle rasterizer for the mesh warp (pa_raster_warp) and flat/gradient fills
 * (pa_raster_fill): exact top-left coverage, affine attribute interpolation, depth test,
 * bilinear source sampling, row bands over pa_parallel_for.
 *
 * Algorithm digest.
 *  - Coverage. Vertices snap to 1/256 pixel (X = round(256 x)). Edge i from V_i to V_i+1
 *    is E_i(P) = (X_i+1 - X_i)(P_y - Y_i) - (Y_i+1 - Y_i)(P_x - X_i), evaluated exactly in
 *    int64 (guard band 2^14 px => |E| < 2^49). The triangle is reordered so its doubled
 *    area E_0(V_2) is positive; a pixel centre P = (256x + 128, 256y + 128) is inside when
 *    every E_i(P) > 0, or E_i(P) = 0 on an owner edge: dy < 0, or dy = 0 and dx > 0 (the
 *    interior lies right of / below the edge: the top-left rule). The reversed edge of a
 *    neighbour has exactly -E and the opposite ownership, so a shared edge's pixels go to
 *    exactly one side (Pineda 1988; the D3D10 rasterization rules).
 *  - Spans. Along a row E_i = e + s x with s = 256 a_i, so each edge bounds x on one side:
 *    x >= ceil(-e / s) for s > 0, x <= floor(e / -s) for s < 0. The quotient is estimated in
 *    double and corrected with the exact integer test, so the span is exact and the inner
 *    loop tests nothing.
 *  - Attributes (source x/y or colour, depth, alpha) are planes A(x, y) = A00 + A_x x + A_y y
 *    over pixel indices, solved in double from the unsnapped vertices (so an identity mesh
 *    samples exactly at pixel centres). Each span starts from a double evaluation and steps
 *    A_start + i A_x in float: no per-pixel division, and no dependence on where a band
 *    starts, so any thread count gives identical bits. Interpolation is affine in screen
 *    space, which is exact for the 2D source mapping of a projected mesh.
 *  - Sampling. The source position (index space: minus 0.5) is clamped to [0, w-1] x
 *    [0, h-1] (edge replication; NaN lands on 0), quantised to 1/2048 pixel, and blended
 *    with integer weights summing to 2^22, as in core/affine.c.
 *  - Threads. Job j owns rows [h j / n, h (j+1) / n) of dst, the depth buffer and the
 *    coverage plane; it walks all triangles in index order and clips them to its band, so
 *    jobs never touch the same pixel and need no locks.
 */
#include "raster.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "panim.h"

#define SUB_BITS 8
#define SUB_ONE (1 << SUB_BITS)
/* Bias that keeps snapped coordinates positive for floor-by-shift (> guard band). */
#define POS_BIAS_PX 32768
#define SAMPLE_BITS 11
#define SAMPLE_ONE (1 << SAMPLE_BITS)
#define WEIGHT_SHIFT (2 * SAMPLE_BITS)
/* Rows per job: enough that the per-job triangle walk stays small next to the pixels. */
#define MIN_BAND_ROWS 16
#define MAX_SRC_DIM 65536

/* Attribute slots: 0..2 = source u, v (or r, g, b), 3 = depth, 4 = alpha. */
enum { ATTR_DEPTH = 3, ATTR_ALPHA = 4, N_ATTR = 5 };

struct pa_raster {
    int max_w, max_h;
    float *depth;     ///< max_w × max_h, row stride max_w floats
    uint8_t *cov;     ///< max_w × max_h, row stride cov_stride
    int cov_stride;
    int last_w, last_h;
};

/** One triangle prepared for the rows of one band. */
struct tri {
    int64_t a[3], b[3], c[3]; ///< E_i(X, Y) = a X + b Y + c, fixed point
    int64_t bias[3];          ///< 0 on owner edges, -1 elsewhere (E + bias >= 0 inside)
    int x0, x1, y0, y1;       ///< pixel bounding box, half-open, clipped to dst
    double base[N_ATTR], ddx[N_ATTR], ddy[N_ATTR]; ///< A(x, y) = base + ddx x + ddy y
};

/** Everything one call shares with its jobs (read-only during the jobs). */
struct raster_call {
    struct pa_raster *r;
    const struct pa_warp_mesh *m;
    const struct pa_image *src; ///< NULL for fill
    const float *rgb;           ///< fill colours, NULL for warp
    struct pa_image *dst;
    int n_jobs;
};

int pa_raster_create(struct pa_raster **out, int max_w, int max_h)
{
    *out = NULL;
    if (max_w <= 0 || max_h <= 0 || max_w > MAX_SRC_DIM || max_h > MAX_SRC_DIM)
        return PA_EINVAL;
    struct pa_raster *r = pa_calloc(1, sizeof(*r));
    if (!r)
        return PA_ENOMEM;
    r->max_w = max_w;
    r->max_h = max_h;
    r->cov_stride = (max_w + PA_ALIGN - 1) / PA_ALIGN * PA_ALIGN;
    size_t n_px, n_cov;
    int ret = PA_EOVERFLOW;
    if (pa_size_mul((size_t)max_w, (size_t)max_h, &n_px) < 0 ||
        pa_size_mul((size_t)r->cov_stride, (size_t)max_h, &n_cov) < 0)
        goto fail;
    ret = PA_ENOMEM;
    r->depth = pa_calloc(n_px, sizeof(float));
    r->cov = pa_calloc(n_cov, 1);
    if (!r->depth || !r->cov)
        goto fail;
    *out = r;
    return 0;
fail:
    pa_raster_destroy(r);
    return ret;
}

void pa_raster_destroy(struct pa_raster *r)
{
    if (!r)
        return;
    pa_free(r->depth);
    pa_free(r->cov);
    pa_free(r);
}

const uint8_t *pa_raster_coverage(const struct pa_raster *r, int *stride)
{
    if (stride)
        *stride = r->cov_stride;
    return r->cov;
}

/* ------------------------------------------------------------------------------------------ */
/* Triangle setup                                                                              */
/* ------------------------------------------------------------------------------------------ */

static inline int finite_in_guard(float v)
{
    return v >= -PA_RASTER_GUARD && v <= PA_RASTER_GUARD; // false for NaN too
}

/* Round to the 1/256 grid; v is within the guard band, so the biased value is positive. */
static inline int64_t snap(float v)
{
    return (int64_t)((double)v * SUB_ONE + 0.5 + (double)POS_BIAS_PX * SUB_ONE) -
           (int64_t)POS_BIAS_PX * SUB_ONE;
}

/* floor((v - 128) / 256): the last pixel whose centre is at or left of v. */
static inline int pixel_floor(int64_t v)
{
    return (int)((v - SUB_ONE / 2 + (int64_t)POS_BIAS_PX * SUB_ONE) >> SUB_BITS) - POS_BIAS_PX;
}

/* Attribute value k of vertex vi, or NAN when the vertex has no such attribute. */
static inline float vertex_attr(const struct raster_call *c, int32_t vi, int k)
{
    const struct pa_warp_mesh *m = c->m;
    if (k < 3) {
        if (c->rgb)
            return c->rgb[(size_t)vi * 3 + (size_t)k];
        return k < 2 ? m->src_xy[(size_t)vi * 2 + (size_t)k] - 0.5f : 0.0f;
    }
    if (k == ATTR_DEPTH)
        return m->depth ? m->depth[vi] : 0.0f;
    return m->alpha ? m->alpha[vi] : 1.0f;
}

/* Solve the attribute planes from the float vertex positions. @return 0 when degenerate. */
static int setup_attrs(const struct raster_call *c, const int32_t v[3], struct tri *t)
{
    const float *p0 = c->m->dst_xy + 2 * (size_t)v[0], *p1 = c->m->dst_xy + 2 * (size_t)v[1];
    const float *p2 = c->m->dst_xy + 2 * (size_t)v[2];
    double px = p0[0], py = p0[1];
    double d1x = p1[0] - px, d1y = p1[1] - py, d2x = p2[0] - px, d2y = p2[1] - py;
    double det = d1x * d2y - d2x * d1y;
    if (det == 0.0)
        return 0;
    double inv = 1.0 / det;
    for (int k = 0; k < N_ATTR; k++) {
        float a0 = vertex_attr(c, v[0], k), a1 = vertex_attr(c, v[1], k);
        float a2 = vertex_attr(c, v[2], k);
        if (!isfinite(a0) || !isfinite(a1) || !isfinite(a2))
            return 0;
        double e1 = (double)a1 - a0, e2 = (double)a2 - a0;
        double gx = (e1 * d2y - e2 * d1y) * inv, gy = (e2 * d1x - e1 * d2x) * inv;
        t->ddx[k] = gx;
        t->ddy[k] = gy;
        // Value at the centre of pixel (0, 0), i.e. at (0.5, 0.5).
        t->base[k] = a0 + gx * (0.5 - px) + gy * (0.5 - py);
        if (!isfinite(t->base[k]) || !isfinite(gx) || !isfinite(gy))
            return 0;
    }
    return 1;
}

/*
 * Prepare triangle `ti` for rows [ya, yb) of a w-wide dst.
 * @return 0 when it is skipped (degenerate, non-finite, outside the band or the guard band).
 */
static int setup_tri(const struct raster_call *c, int ti, int ya, int yb, struct tri *t)
{
    const struct pa_warp_mesh *m = c->m;
    const int32_t *idx = m->tri + (size_t)ti * 3;
    int32_t v[3] = {idx[0], idx[1], idx[2]};
    int64_t X[3], Y[3];
    for (int i = 0; i < 3; i++) {
        float fx = m->dst_xy[2 * (size_t)v[i]], fy = m->dst_xy[2 * (size_t)v[i] + 1];
        if (!finite_in_guard(fx) || !finite_in_guard(fy))
            return 0;
        X[i] = snap(fx);
        Y[i] = snap(fy);
    }
    // Cheap band rejection before any other work: each job sees every triangle.
    int64_t ymin = PA_MIN(Y[0], PA_MIN(Y[1], Y[2])), ymax = PA_MAX(Y[0], PA_MAX(Y[1], Y[2]));
    t->y0 = PA_MAX(pixel_floor(ymin + SUB_ONE - 1), ya);
    t->y1 = PA_MIN(pixel_floor(ymax) + 1, yb);
    if (t->y0 >= t->y1)
        return 0;
    int64_t xmin = PA_MIN(X[0], PA_MIN(X[1], X[2])), xmax = PA_MAX(X[0], PA_MAX(X[1], X[2]));
    t->x0 = PA_MAX(pixel_floor(xmin + SUB_ONE - 1), 0);
    t->x1 = PA_MIN(pixel_floor(xmax) + 1, c->dst->w);
    if (t->x0 >= t->x1)
        return 0;
    int64_t area = (X[1] - X[0]) * (Y[2] - Y[0]) - (X[2] - X[0]) * (Y[1] - Y[0]);
    if (area == 0)
        return 0;
    if (area < 0) { // make the interior the positive side of every edge
        int64_t tx = X[1], ty = Y[1];
        int32_t tv = v[1];
        X[1] = X[2], Y[1] = Y[2], v[1] = v[2];
        X[2] = tx, Y[2] = ty, v[2] = tv;
    }
    for (int i = 0; i < 3; i++) {
        int j = i == 2 ? 0 : i + 1;
        int64_t dx = X[j] - X[i], dy = Y[j] - Y[i];
        t->a[i] = -dy;
        t->b[i] = dx;
        t->c[i] = dy * X[i] - dx * Y[i];
        t->bias[i] = (dy < 0 || (dy == 0 && dx > 0)) ? 0 : -1;
    }
    return setup_attrs(c, v, t);
}

/*
 * The span [*lo, *hi) of row y inside triangle t (already clipped to its bounding box).
 * @return 0 when the row is empty.
 */
static inline int row_span(const struct tri *t, int y, int *lo, int *hi)
{
    int xa = t->x0, xb = t->x1; // candidate range [xa, xb)
    int64_t yc = (int64_t)y * SUB_ONE + SUB_ONE / 2;
    for (int i = 0; i < 3; i++) {
        int64_t s = t->a[i] * SUB_ONE;
        int64_t e = t->a[i] * (SUB_ONE / 2) + t->b[i] * yc + t->c[i] + t->bias[i];
        if (s == 0) {
            if (e < 0)
                return 0;
            continue;
        }
        // Inside is e + s x >= 0; estimate the crossing -e/s, clamp, then fix it exactly.
        double q = (double)-e / (double)s;
        q = q < (double)xa - 1.0 ? (double)xa - 1.0 : q > (double)xb + 1.0 ? (double)xb + 1.0 : q;
        int x = (int)q;
        if (s > 0) { // first inside pixel, at least xa
            while (x > xa && e + s * (x - 1) >= 0)
                x--;
            while (x < xb && e + s * x < 0)
                x++;
            xa = PA_MAX(xa, x);
        } else { // one past the last inside pixel, at most xb
            x++;
            while (x < xb && e + s * x >= 0)
                x++;
            while (x > xa && e + s * (x - 1) < 0)
                x--;
            xb = PA_MIN(xb, x);
        }
        if (xa >= xb)
            return 0;
    }
    *lo = xa;
    *hi = xb;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Span kernels                                                                                */
/* ------------------------------------------------------------------------------------------ */

/** Per-span start values and steps in float. */
struct span {
    float v0[N_ATTR], dv[N_ATTR];
    int n;
    uint8_t *rgb;   ///< dst pixel of the first span pixel
    float *zbuf;    ///< depth of the first span pixel
    uint8_t *cov;   ///< coverage of the first span pixel
};

static inline uint8_t alpha_u8(float a)
{
    a = a > 0.0f ? a : 0.0f;
    a = a < 1.0f ? a : 1.0f;
    return (uint8_t)(a * 255.0f + 0.5f);
}

static inline uint8_t level_u8(float v)
{
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    return (uint8_t)(v + 0.5f);
}

/** Source image fields in locals, so byte stores to dst cannot force reloads. */
struct sampler {
    const uint8_t *data;
    size_t stride;
    int w, h;
    float umax, vmax;
};

/* Bilinear RGB24 sample at index-space (u, v), clamped to the image. */
static inline void sample_rgb(const struct sampler s, float u, float v, uint8_t *out)
{
    u = u > 0.0f ? u : 0.0f; // also maps NaN to 0
    u = u < s.umax ? u : s.umax;
    v = v > 0.0f ? v : 0.0f;
    v = v < s.vmax ? v : s.vmax;
    int iu = (int)(u * (float)SAMPLE_ONE + 0.5f), iv = (int)(v * (float)SAMPLE_ONE + 0.5f);
    int j = iu >> SAMPLE_BITS, i = iv >> SAMPLE_BITS;
    int fu = iu & (SAMPLE_ONE - 1), fv = iv & (SAMPLE_ONE - 1);
    // At the last column/row the weight of the next one is 0; read the same pixel instead.
    size_t dj = j < s.w - 1 ? 3 : 0, di = i < s.h - 1 ? s.stride : 0;
    const uint8_t *p0 = s.data + (size_t)i * s.stride + (size_t)j * 3;
    const uint8_t *p1 = p0 + di;
    int w00 = (SAMPLE_ONE - fu) * (SAMPLE_ONE - fv), w01 = fu * (SAMPLE_ONE - fv);
    int w10 = (SAMPLE_ONE - fu) * fv, w11 = fu * fv;
    int acc[3];
    for (int ch = 0; ch < 3; ch++)
        acc[ch] = w00 * p0[ch] + w01 * p0[ch + dj] + w10 * p1[ch] + w11 * p1[ch + dj];
    for (int ch = 0; ch < 3; ch++)
        out[ch] = (uint8_t)((acc[ch] + (1 << (WEIGHT_SHIFT - 1))) >> WEIGHT_SHIFT);
}

/* One span; `fill`, `zt` (depth test) and `alpha` are constants after inlining. Everything
 * is read into locals first: dst bytes may alias any other memory as far as C knows. */
static inline __attribute__((always_inline)) void
draw_span(const struct span *sp, const struct pa_image *src, const int fill, const int zt,
          const int alpha)
{
    struct sampler s = {0};
    if (!fill) {
        s = (struct sampler){src->data, (size_t)src->stride, src->w, src->h,
                             (float)(src->w - 1), (float)(src->h - 1)};
    }
    const float a0 = sp->v0[0], a1 = sp->v0[1], a2 = sp->v0[2];
    const float d0 = sp->dv[0], d1 = sp->dv[1], d2 = sp->dv[2];
    const float z0 = sp->v0[ATTR_DEPTH], dz = sp->dv[ATTR_DEPTH];
    const float al0 = sp->v0[ATTR_ALPHA], dal = sp->dv[ATTR_ALPHA];
    uint8_t *const rgb = sp->rgb, *const cov = sp->cov;
    float *const zbuf = sp->zbuf;
    const int n = sp->n;
    for (int i = 0; i < n; i++) {
        float fi = (float)i;
        if (zt) {
            float z = z0 + fi * dz;
            if (!(z < zbuf[i]))
                continue;
            zbuf[i] = z;
        }
        uint8_t *o = rgb + (size_t)i * 3;
        if (fill) {
            o[0] = level_u8(a0 + fi * d0);
            o[1] = level_u8(a1 + fi * d1);
            o[2] = level_u8(a2 + fi * d2);
        } else {
            sample_rgb(s, a0 + fi * d0, a1 + fi * d1, o);
        }
        cov[i] = alpha ? alpha_u8(al0 + fi * dal) : 255;
    }
}

typedef void (*span_fn)(const struct span *sp, const struct pa_image *src);

#define PA_SPAN_VARIANT(name, fill, zt, alpha)                                                    \
    static void name(const struct span *sp, const struct pa_image *src)                         \
    {                                                                                             \
        draw_span(sp, src, fill, zt, alpha);                                                      \
    }
PA_SPAN_VARIANT(span_warp, 0, 0, 0)
PA_SPAN_VARIANT(span_warp_z, 0, 1, 0)
PA_SPAN_VARIANT(span_warp_a, 0, 0, 1)
PA_SPAN_VARIANT(span_warp_za, 0, 1, 1)
PA_SPAN_VARIANT(span_fill, 1, 0, 0)
PA_SPAN_VARIANT(span_fill_z, 1, 1, 0)
PA_SPAN_VARIANT(span_fill_a, 1, 0, 1)
PA_SPAN_VARIANT(span_fill_za, 1, 1, 1)
#undef PA_SPAN_VARIANT

/* Indexed by fill * 4 + depth * 2 + alpha. */
static const span_fn k_span_fns[8] = {span_warp,   span_warp_a, span_warp_z,   span_warp_za,
                                      span_fill,   span_fill_a, span_fill_z,   span_fill_za};

/* ------------------------------------------------------------------------------------------ */
/* Bands                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void draw_tri_rows(const struct raster_call *c, const struct tri *t, span_fn fn)
{
    struct pa_raster *r = c->r;
    struct pa_image *dst = c->dst;
    struct span sp;
    for (int k = 0; k < N_ATTR; k++)
        sp.dv[k] = (float)t->ddx[k];
    for (int y = t->y0; y < t->y1; y++) {
        int lo, hi;
        if (!row_span(t, y, &lo, &hi))
            continue;
        for (int k = 0; k < N_ATTR; k++)
            sp.v0[k] = (float)(t->base[k] + t->ddy[k] * y + t->ddx[k] * lo);
        sp.n = hi - lo;
        sp.rgb = dst->data + (size_t)y * (size_t)dst->stride + (size_t)lo * 3;
        sp.zbuf = r->depth + (size_t)y * (size_t)r->max_w + (size_t)lo;
        sp.cov = r->cov + (size_t)y * (size_t)r->cov_stride + (size_t)lo;
        fn(&sp, c->src);
    }
}

static void raster_job(void *ctx, int job, int n_jobs)
{
    const struct raster_call *c = ctx;
    struct pa_raster *r = c->r;
    const struct pa_warp_mesh *m = c->m;
    const int w = c->dst->w, h = c->dst->h;
    const int ya = (int)((int64_t)h * job / n_jobs), yb = (int)((int64_t)h * (job + 1) / n_jobs);
    for (int y = ya; y < yb; y++) {
        memset(r->cov + (size_t)y * (size_t)r->cov_stride, 0, (size_t)w);
        if (m->depth) {
            float *z = r->depth + (size_t)y * (size_t)r->max_w;
            for (int x = 0; x < w; x++)
                z[x] = INFINITY;
        }
    }
    span_fn fn = k_span_fns[(c->rgb ? 4 : 0) + (m->depth ? 2 : 0) + (m->alpha ? 1 : 0)];
    struct tri t;
    for (int i = 0; i < m->n_triangles; i++) {
        if (setup_tri(c, i, ya, yb, &t))
            draw_tri_rows(c, &t, fn);
    }
}

/* Validate a call; log and return PA_EINVAL on misuse. */
static int check_call(const struct raster_call *c)
{
    const struct pa_warp_mesh *m = c->m;
    const struct pa_image *dst = c->dst;
    if (!c->r || !m || !dst || !dst->data || dst->fmt != PA_PIX_RGB24 || dst->w <= 0 ||
        dst->h <= 0) {
        pa_log_error("animate", "raster: missing raster, mesh or RGB24 destination");
        return PA_EINVAL;
    }
    if (dst->w > c->r->max_w || dst->h > c->r->max_h) {
        pa_log_error("animate", "raster: destination %dx%d exceeds the scratch size %dx%d",
                     dst->w, dst->h, c->r->max_w, c->r->max_h);
        return PA_EINVAL;
    }
    if (c->src && (!c->src->data || c->src->fmt != PA_PIX_RGB24 || c->src->w <= 0 ||
                   c->src->h <= 0 || c->src->w > MAX_SRC_DIM || c->src->h > MAX_SRC_DIM)) {
        pa_log_error("animate", "raster: the source must be a non-empty RGB24 image");
        return PA_EINVAL;
    }
    if (m->n_vertices < 0 || m->n_triangles < 0 ||
        (m->n_triangles > 0 &&
         (!m->tri || !m->dst_xy || (c->src && !m->src_xy) || (!c->src && !c->rgb)))) {
        pa_log_error("animate", "raster: mesh with %d triangles lacks an array",
                     m->n_triangles);
        return PA_EINVAL;
    }
    for (size_t i = 0; i < (size_t)m->n_triangles * 3; i++) {
        if (m->tri[i] < 0 || m->tri[i] >= m->n_vertices) {
            pa_log_error("animate", "raster: triangle %zu uses vertex %d of %d", i / 3,
                         (int)m->tri[i], m->n_vertices);
            return PA_EINVAL;
        }
    }
    return 0;
}

static int raster_run(struct raster_call *c, struct pa_parallel *par)
{
    int ret = check_call(c);
    if (ret < 0)
        return ret;
    int threads = pa_parallel_threads(par);
    // A few bands per thread balance uneven rows; each band re-walks the triangle list.
    int n_jobs = threads > 1 ? threads * 4 : 1;
    n_jobs = PA_MAX(1, PA_MIN(n_jobs, c->dst->h / MIN_BAND_ROWS));
    c->n_jobs = n_jobs;
    pa_parallel_for(par, raster_job, c, n_jobs);
    c->r->last_w = c->dst->w;
    c->r->last_h = c->dst->h;
    return 0;
}

int pa_raster_warp(struct pa_raster *r, const struct pa_warp_mesh *m, const struct pa_image *src,
                   struct pa_image *dst, struct pa_parallel *par)
{
    if (!src) {
        pa_log_error("animate", "raster: warp without a source image");
        return PA_EINVAL;
    }
    struct raster_call c = {r, m, src, NULL, dst, 1};
    return raster_run(&c, par);
}

int pa_raster_fill(struct pa_raster *r, const struct pa_warp_mesh *m, const float *rgb,
                   struct pa_image *dst, struct pa_parallel *par)
{
    if (!rgb && m && m->n_triangles > 0) {
        pa_log_error("animate", "raster: fill without vertex colours");
        return PA_EINVAL;
    }
    static const float k_none[3] = {0, 0, 0}; // keeps rgb non-NULL: it selects fill mode
    struct raster_call c = {r, m, NULL, rgb ? rgb : k_none, dst, 1};
    return raster_run(&c, par);
}

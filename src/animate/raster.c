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
 *    x >= ceil(-e / s) for s > 0, x <= floor(e / -s) for s < 0. Row to row e grows by a
 *    constant, so each bound is walked exactly with an integer quotient and remainder (one
 *    division per edge when a triangle starts in a band); the inner loop tests nothing.
 *  - Attributes (source x/y or colour, depth, alpha) are planes A(x, y) = A00 + A_x x + A_y y
 *    over pixel indices, solved in double from the unsnapped vertices (so an identity mesh
 *    samples exactly at pixel centres). Each span starts from a double evaluation and steps
 *    A_start + i A_x (float for colour, depth, alpha; 16.16 for source positions): no
 *    per-pixel division, and nothing depends on where a band starts, so any thread count
 *    gives identical bits. Interpolation is affine in screen space, which is exact for the
 *    2D source mapping of a projected mesh.
 *  - Sampling. Source positions go to 16.16 fixed point (index space: minus 0.5) at each
 *    span start and step by a rounded fixed-point gradient (drift < 0.01 px over 512 px);
 *    the bilinear blend (animate/bilinear.h) uses 8-bit fractions, an SSE2 path inside the
 *    source and a bit-identical scalar path clamped to the edges (edge replication). Spans
 *    whose positions leave +-2^14 px use float positions clamped per pixel (NaN lands on 0).
 *  - Threads. Job j owns rows [h j / n, h (j+1) / n) of dst, the depth buffer and the
 *    coverage plane; it walks all triangles in index order and clips them to its band, so
 *    jobs never touch the same pixel and need no locks.
 * The per-pixel span kernels live in raster_span.c.
 */
#include "raster.h"

#include <math.h>
#include <string.h>

#include "animate/bilinear.h"
#include "animate/raster_span.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "panim.h"

#define SUB_BITS 8
#define SUB_ONE (1 << SUB_BITS)
/* Bias that keeps snapped coordinates positive for floor-by-shift (> guard band). */
#define POS_BIAS_PX 32768
/* Rows per job: enough that the per-job triangle walk stays small next to the pixels. */
#define MIN_BAND_ROWS 16
/* Images up to this size keep fixed-point source positions inside int32. */
#define MAX_DIM 16384
/* Fixed-point spans need |position| < FIX_POS_LIMIT px and |gradient| < FIX_GRAD_LIMIT. */
#define FIX_POS_LIMIT 16384.0
#define FIX_GRAD_LIMIT 8192.0

/* Attribute slots: 0..2 = source u, v (or r, g, b), 3 = depth, 4 = alpha. */
enum { ATTR_DEPTH = 3, ATTR_ALPHA = 4, N_ATTR = 5 };

struct pa_raster {
    int max_w, max_h;
    float *depth; ///< max_w × max_h, row stride max_w floats
    uint8_t *cov; ///< max_w × max_h, row stride cov_stride
    int cov_stride;
    int simd; ///< 0 = scalar sampling only (tests)
};

/**
 * Exact per-row bound of one edge: q = floor(M / S) with M linear in the row, stepped by
 * quotient and remainder (a Bresenham DDA). kind > 0: left bound x >= q; kind < 0: right
 * bound x <= q; kind 0 (horizontal edge): the row is inside iff q >= 0.
 */
struct edge_walk {
    int64_t q, r, dq, dr, S;
    int kind;
};

/** One triangle prepared for the rows of one band. */
struct tri {
    int64_t a[3], b[3], c[3]; ///< E_i(X, Y) = a X + b Y + c, fixed point
    int64_t bias[3];          ///< 0 on owner edges, -1 elsewhere (E + bias >= 0 inside)
    struct edge_walk walk[3]; ///< per-edge span bound, stepped row by row
    int x0, x1, y0, y1;       ///< pixel bounding box, half-open, clipped to dst and band
    double base[N_ATTR], ddx[N_ATTR], ddy[N_ATTR]; ///< A(x, y) = base + ddx x + ddy y
    int32_t du, dv;                                ///< ddx of u, v in 16.16 (valid when fixed)
    int fixed;                                     ///< gradients small enough for fixed-point spans
};

/** Everything one call shares with its jobs (read-only during the jobs). */
struct raster_call {
    struct pa_raster *r;
    const struct pa_warp_mesh *m;
    const struct pa_image *src; ///< NULL for fill
    const float *rgb;           ///< fill colours, NULL for warp
    struct pa_image *dst;
    struct pa_raster_sampler *smp; ///< source in locals form (warp only)
    int n_prim;                    ///< attributes 0..n_prim-1 used: 2 (u, v) or 3 (r, g, b)
};

int pa_raster_create(struct pa_raster **out, int max_w, int max_h)
{
    *out = NULL;
    if (max_w <= 0 || max_h <= 0 || max_w > MAX_DIM || max_h > MAX_DIM)
        return PA_EINVAL;
    struct pa_raster *r = pa_calloc(1, sizeof(*r));
    if (!r)
        return PA_ENOMEM;
    r->simd = 1;
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

void pa_raster_set_simd(struct pa_raster *r, int enable)
{
    r->simd = enable != 0;
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

/* Attribute k of vertex vi: 0..2 = colour or source position (index space), 3 = depth,
 * 4 = alpha. */
static inline float vertex_attr(const struct raster_call *c, int32_t vi, int k)
{
    const struct pa_warp_mesh *m = c->m;
    if (k < 3) {
        if (c->rgb)
            return c->rgb[(size_t)vi * 3 + (size_t)k];
        return m->src_xy[(size_t)vi * 2 + (size_t)k] - 0.5f;
    }
    if (k == ATTR_DEPTH)
        return m->depth[vi];
    return m->alpha[vi];
}

/* Solve one attribute plane; @return 0 when it is not finite. */
static int setup_plane(const struct raster_call *c, const int32_t v[3], int k, const double g[6],
                       struct tri *t)
{
    float a0 = vertex_attr(c, v[0], k), a1 = vertex_attr(c, v[1], k);
    float a2 = vertex_attr(c, v[2], k);
    double e1 = (double)a1 - a0, e2 = (double)a2 - a0;
    // g = {d2y / det, -d1y / det, -d2x / det, d1x / det, p0x, p0y}.
    double gx = e1 * g[0] + e2 * g[1], gy = e1 * g[2] + e2 * g[3];
    t->ddx[k] = gx;
    t->ddy[k] = gy;
    // Value at the centre of pixel (0, 0), i.e. at (0.5, 0.5).
    t->base[k] = a0 + gx * (0.5 - g[4]) + gy * (0.5 - g[5]);
    return isfinite(t->base[k]) && isfinite(gx) && isfinite(gy);
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
    const double g[6] = {d2y / det, -d1y / det, -d2x / det, d1x / det, px, py};
    for (int k = 0; k < c->n_prim; k++) {
        if (!setup_plane(c, v, k, g, t))
            return 0;
    }
    if (c->m->depth && !setup_plane(c, v, ATTR_DEPTH, g, t))
        return 0;
    if (c->m->alpha && !setup_plane(c, v, ATTR_ALPHA, g, t))
        return 0;
    t->fixed = 0;
    if (!c->rgb && fabs(t->ddx[0]) < FIX_GRAD_LIMIT && fabs(t->ddx[1]) < FIX_GRAD_LIMIT) {
        t->fixed = 1;
        t->du = (int32_t)lrint(t->ddx[0] * PA_BILIN_ONE);
        t->dv = (int32_t)lrint(t->ddx[1] * PA_BILIN_ONE);
    }
    return 1;
}

/* floor(a / b) for b > 0. */
static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/*
 * Start edge i's walker at row t->y0. Along a row E + bias = e + s x with s = 256 a; from
 * one row to the next e grows by 256 b. Left bound (s > 0): x >= ceil(-e / s)
 * = floor((s - 1 - e) / s). Right bound (s < 0): x <= floor(e / -s).
 */
static void init_walk(struct tri *t, int i)
{
    struct edge_walk *w = &t->walk[i];
    int64_t s = t->a[i] * SUB_ONE, de = t->b[i] * SUB_ONE;
    int64_t e = t->a[i] * (SUB_ONE / 2) + t->b[i] * ((int64_t)t->y0 * SUB_ONE + SUB_ONE / 2) +
                t->c[i] + t->bias[i];
    int64_t m, d;
    if (s == 0) {
        *w = (struct edge_walk){e, 0, de, 0, 1, 0};
        return;
    }
    if (s > 0) {
        w->S = s;
        m = s - 1 - e;
        d = -de;
        w->kind = 1;
    } else {
        w->S = -s;
        m = e;
        d = de;
        w->kind = -1;
    }
    w->q = floor_div(m, w->S);
    w->r = m - w->q * w->S;
    w->dq = floor_div(d, w->S);
    w->dr = d - w->dq * w->S;
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
        init_walk(t, i);
    }
    return setup_attrs(c, v, t);
}

/*
 * The span [*lo, *hi) of the current row of t (clipped to its bounding box), then step the
 * edge walkers to the next row. @return 0 when the row is empty.
 */
static inline int row_span(struct tri *t, int *lo, int *hi)
{
    int64_t xa = t->x0, xb = t->x1;
    int inside = 1;
    for (int i = 0; i < 3; i++) {
        struct edge_walk *e = &t->walk[i];
        if (e->kind > 0)
            xa = PA_MAX(xa, e->q);
        else if (e->kind < 0)
            xb = PA_MIN(xb, e->q + 1);
        else
            inside &= e->q >= 0;
        e->q += e->dq;
        e->r += e->dr;
        if (e->r >= e->S) {
            e->r -= e->S;
            e->q++;
        }
    }
    if (!inside || xa >= xb)
        return 0;
    *lo = (int)xa; // within [x0, x1] now
    *hi = (int)xb;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Bands                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Fill the per-span values of row y, pixels [lo, hi). */
static inline void start_span(const struct raster_call *c, const struct tri *t, int y, int lo,
                              int hi, struct pa_raster_span *sp)
{
    const struct pa_warp_mesh *m = c->m;
    sp->n = hi - lo;
    if (c->rgb) {
        for (int k = 0; k < 3; k++)
            sp->col[k] = (float)(t->base[k] + t->ddy[k] * y + t->ddx[k] * lo);
    } else {
        double u = t->base[0] + t->ddy[0] * y + t->ddx[0] * lo;
        double v = t->base[1] + t->ddy[1] * y + t->ddx[1] * lo;
        double ue = u + t->ddx[0] * (sp->n - 1), ve = v + t->ddx[1] * (sp->n - 1);
        sp->fixed = t->fixed && fabs(u) < FIX_POS_LIMIT && fabs(v) < FIX_POS_LIMIT &&
                    fabs(ue) < FIX_POS_LIMIT && fabs(ve) < FIX_POS_LIMIT;
        if (sp->fixed) {
            sp->u = (int32_t)lrint(u * PA_BILIN_ONE);
            sp->v = (int32_t)lrint(v * PA_BILIN_ONE);
        } else {
            sp->uf = (float)u;
            sp->vf = (float)v;
        }
    }
    if (m->depth)
        sp->z = (float)(t->base[ATTR_DEPTH] + t->ddy[ATTR_DEPTH] * y + t->ddx[ATTR_DEPTH] * lo);
    if (m->alpha)
        sp->a = (float)(t->base[ATTR_ALPHA] + t->ddy[ATTR_ALPHA] * y + t->ddx[ATTR_ALPHA] * lo);
    struct pa_raster *r = c->r;
    sp->rgb = c->dst->data + (size_t)y * (size_t)c->dst->stride + (size_t)lo * 3;
    sp->zbuf = r->depth + (size_t)y * (size_t)r->max_w + (size_t)lo;
    sp->cov = r->cov + (size_t)y * (size_t)r->cov_stride + (size_t)lo;
}

static void draw_tri_rows(const struct raster_call *c, struct tri *t, pa_raster_span_fn fn)
{
    struct pa_raster_span sp = {0};
    sp.du = t->du;
    sp.dv = t->dv;
    sp.duf = (float)t->ddx[0];
    sp.dvf = (float)t->ddx[1];
    for (int k = 0; k < 3; k++)
        sp.dcol[k] = (float)t->ddx[k];
    sp.dz = (float)t->ddx[ATTR_DEPTH];
    sp.da = (float)t->ddx[ATTR_ALPHA];
    for (int y = t->y0; y < t->y1; y++) {
        int lo, hi;
        if (!row_span(t, &lo, &hi))
            continue;
        start_span(c, t, y, lo, hi, &sp);
        fn(&sp, c->smp);
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
    pa_raster_span_fn fn =
        pa_raster_span_kernel(c->rgb != NULL, m->depth != NULL, m->alpha != NULL);
    struct tri t = {0};
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
        pa_log_error("animate", "raster: destination %dx%d exceeds the scratch size %dx%d", dst->w,
                     dst->h, c->r->max_w, c->r->max_h);
        return PA_EINVAL;
    }
    if (c->src && (!c->src->data || c->src->fmt != PA_PIX_RGB24 || c->src->w <= 0 ||
                   c->src->h <= 0 || c->src->w > MAX_DIM || c->src->h > MAX_DIM)) {
        pa_log_error("animate", "raster: the source must be an RGB24 image of 1..%d pixels",
                     MAX_DIM);
        return PA_EINVAL;
    }
    if (m->n_vertices < 0 || m->n_triangles < 0 ||
        (m->n_triangles > 0 &&
         (!m->tri || !m->dst_xy || (c->src && !m->src_xy) || (!c->src && !c->rgb)))) {
        pa_log_error("animate", "raster: mesh with %d triangles lacks an array", m->n_triangles);
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
    struct pa_raster_sampler smp = {0};
    if (c->src) {
        const struct pa_image *src = c->src;
        smp = (struct pa_raster_sampler){src->data, (size_t)src->stride, src->w, src->h, {0, 0}};
        if (c->r->simd)
            smp.lim = pa_bilin_limits(src->w, src->h);
    }
    c->smp = &smp;
    int threads = pa_parallel_threads(par);
    // A few bands per thread balance uneven rows; each band re-walks the triangle list.
    int n_jobs = threads > 1 ? threads * 4 : 1;
    n_jobs = PA_MAX(1, PA_MIN(n_jobs, c->dst->h / MIN_BAND_ROWS));
    pa_parallel_for(par, raster_job, c, n_jobs);
    return 0;
}

int pa_raster_warp(struct pa_raster *r, const struct pa_warp_mesh *m, const struct pa_image *src,
                   struct pa_image *dst, struct pa_parallel *par)
{
    if (!src) {
        pa_log_error("animate", "raster: warp without a source image");
        return PA_EINVAL;
    }
    struct raster_call c = {r, m, src, NULL, dst, NULL, 2};
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
    struct raster_call c = {r, m, NULL, rgb ? rgb : k_none, dst, NULL, 3};
    return raster_run(&c, par);
}

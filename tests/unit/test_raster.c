/** @file
 * Mesh rasterizer: coverage against a brute-force point-in-triangle test written here from
 * the top-left rule, watertightness (each pixel of a mesh's area drawn exactly once),
 * interpolation against the analytic plane, warps against known images and against the
 * core affine warp, depth order, thread-count independence and hostile input.
 */
#include "pa_test.h"

#include "animate/raster.h"
#include "core/image.h"
#include "core/mem.h"

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Uniform in [lo, hi). */
static float frand(uint32_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)lcg(s) / 16777216.0f;
}

static void fill_random(struct pa_image *img, uint32_t seed)
{
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w * 3; x++)
            pa_image_px(img, 0, y)[x] = (uint8_t)lcg(&seed);
}

/* Same snapping as the rasterizer documents: nearest 1/256 pixel, halves up. */
static int64_t snap256(float v)
{
    return (int64_t)floor((double)v * 256.0 + 0.5);
}

/*
 * Brute force: is the centre of pixel (x, y) inside triangle (a, b, c)? Strictly inside
 * counts; on an edge counts only for a top edge (horizontal, interior below, y down) or a
 * left edge (interior to its right).
 */
static int brute_inside(const float *p0, const float *p1, const float *p2, int x, int y)
{
    const float *p[3] = {p0, p1, p2};
    int64_t X[3], Y[3];
    for (int i = 0; i < 3; i++) {
        X[i] = snap256(p[i][0]);
        Y[i] = snap256(p[i][1]);
    }
    int64_t px = 256 * (int64_t)x + 128, py = 256 * (int64_t)y + 128;
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3, k = (i + 2) % 3;
        int64_t dx = X[j] - X[i], dy = Y[j] - Y[i];
        int64_t e = dx * (py - Y[i]) - dy * (px - X[i]);
        int64_t ek = dx * (Y[k] - Y[i]) - dy * (X[k] - X[i]); // the interior's side
        if (ek == 0)
            return 0; // zero area
        if (e != 0) {
            if ((e > 0) != (ek > 0))
                return 0;
            continue;
        }
        if (dy == 0) {
            if (!(Y[k] > Y[i]))
                return 0;
        } else {
            // Sign of (third vertex x - edge x at its height): positive = interior right.
            int64_t side = (X[k] - X[i]) * dy - dx * (Y[k] - Y[i]);
            if ((side > 0) != (dy > 0))
                return 0;
        }
    }
    return 1;
}

static struct pa_warp_mesh one_triangle(const struct pa_warp_mesh *m, int t)
{
    struct pa_warp_mesh one = *m;
    one.tri = m->tri + 3 * t;
    one.n_triangles = 1;
    return one;
}

/* Count, per pixel, how many triangles of m cover it, rendering each alone. */
static void count_coverage(struct pa_raster *r, const struct pa_warp_mesh *m, struct pa_image *dst,
                           int *count)
{
    float *rgb = calloc((size_t)m->n_vertices * 3, sizeof(float));
    memset(count, 0, sizeof(int) * (size_t)dst->w * (size_t)dst->h);
    for (int t = 0; t < m->n_triangles; t++) {
        struct pa_warp_mesh one = one_triangle(m, t);
        ASSERT_OK(pa_raster_fill(r, &one, rgb, dst, NULL));
        int cs;
        const uint8_t *cov = pa_raster_coverage(r, &cs);
        for (int y = 0; y < dst->h; y++)
            for (int x = 0; x < dst->w; x++)
                count[y * dst->w + x] += cov[y * cs + x] != 0;
    }
    free(rgb);
}

/* A (gx+1) x (gy+1) vertex grid over [x0, x1] x [y0, y1]; interior vertices jittered by
 * up to `jitter` of a cell; random diagonals (tri may be NULL). Returns the counts. */
static void make_grid(int gx, int gy, float x0, float y0, float x1, float y1, float jitter,
                      uint32_t seed, float *xy, int32_t *tri, int *nv, int *nt)
{
    float cw = (x1 - x0) / (float)gx, chh = (y1 - y0) / (float)gy;
    for (int j = 0; j <= gy; j++) {
        for (int i = 0; i <= gx; i++) {
            float x = x0 + cw * (float)i, y = y0 + chh * (float)j;
            if (i > 0 && i < gx)
                x += frand(&seed, -jitter, jitter) * cw;
            if (j > 0 && j < gy)
                y += frand(&seed, -jitter, jitter) * chh;
            if (i == gx)
                x = x1;
            if (j == gy)
                y = y1;
            xy[2 * (j * (gx + 1) + i)] = x;
            xy[2 * (j * (gx + 1) + i) + 1] = y;
        }
    }
    int t = 0;
    for (int j = 0; j < gy; j++) {
        for (int i = 0; i < gx; i++) {
            int32_t a = j * (gx + 1) + i, b = a + 1, c = a + gx + 1, d = c + 1;
            int32_t q[6] = {a, b, d, a, d, c};
            if (lcg(&seed) & 1) {
                int32_t q2[6] = {a, b, c, b, d, c};
                memcpy(q, q2, sizeof(q));
            }
            if (tri)
                memcpy(tri + 3 * t, q, sizeof(q));
            t += 2;
        }
    }
    *nv = (gx + 1) * (gy + 1);
    *nt = t;
}

PA_TEST(fill_covers_exactly_the_pixel_centres_inside)
{
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, 48, 40));
    struct pa_image dst;
    ASSERT_OK(pa_image_alloc(&dst, 48, 40, PA_PIX_RGB24));
    uint32_t seed = 7;
    static const float rgb[9] = {200, 10, 10, 200, 10, 10, 200, 10, 10};
    for (int it = 0; it < 600; it++) {
        float xy[6];
        for (int k = 0; k < 6; k++) {
            // Mix of half-pixel grid points (edges through pixel centres), 1/256 points
            // and vertices outside the destination.
            float v = frand(&seed, -12.0f, 58.0f);
            switch (lcg(&seed) % 3) {
            case 0:
                v = floorf(v) + 0.5f;
                break;
            case 1:
                v = floorf(v * 256.0f) / 256.0f;
                break;
            default:
                v = floorf(v * 2.0f) / 2.0f;
                break;
            }
            xy[k] = v;
        }
        if (it % 5 == 0) // axis-aligned edges: exercise the horizontal/vertical cases
            xy[3] = xy[1];
        int32_t tri[3] = {0, 1, 2};
        struct pa_warp_mesh m = {3, xy, NULL, NULL, NULL, 1, tri};
        ASSERT_OK(pa_raster_fill(r, &m, rgb, &dst, NULL));
        int cs;
        const uint8_t *cov = pa_raster_coverage(r, &cs);
        for (int y = 0; y < dst.h; y++) {
            for (int x = 0; x < dst.w; x++) {
                int want = brute_inside(xy, xy + 2, xy + 4, x, y);
                if ((cov[y * cs + x] != 0) != want)
                    PA__FAIL("triangle %d (%g,%g %g,%g %g,%g) pixel %d,%d: got %d want %d", it,
                             xy[0], xy[1], xy[2], xy[3], xy[4], xy[5], x, y, cov[y * cs + x], want);
                if (want)
                    ASSERT_EQ(pa_image_px(&dst, x, y)[0], 200);
            }
        }
    }
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

PA_TEST(fill_gradient_matches_the_plane)
{
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, 64, 64));
    struct pa_image dst;
    ASSERT_OK(pa_image_alloc(&dst, 64, 64, PA_PIX_RGB24));
    const float xy[6] = {3.3f, 5.1f, 60.7f, 12.9f, 20.2f, 61.4f};
    const float rgb[9] = {0, 255, 10, 255, 0, 128, 40, 90, 250};
    int32_t tri[3] = {0, 2, 1};
    struct pa_warp_mesh m = {3, xy, NULL, NULL, NULL, 1, tri};
    ASSERT_OK(pa_raster_fill(r, &m, rgb, &dst, NULL));
    int cs, n = 0;
    const uint8_t *cov = pa_raster_coverage(r, &cs);
    double det =
        (xy[2] - xy[0]) * (double)(xy[5] - xy[1]) - (xy[4] - xy[0]) * (double)(xy[3] - xy[1]);
    for (int y = 0; y < 64; y++) {
        for (int x = 0; x < 64; x++) {
            if (!cov[y * cs + x])
                continue;
            double px = x + 0.5 - xy[0], py = y + 0.5 - xy[1];
            double b1 = (px * (xy[5] - xy[1]) - py * (xy[4] - xy[0])) / det;
            double b2 = (py * (xy[2] - xy[0]) - px * (xy[3] - xy[1])) / det;
            double b0 = 1 - b1 - b2;
            for (int c = 0; c < 3; c++) {
                double want = b0 * rgb[c] + b1 * rgb[3 + c] + b2 * rgb[6 + c];
                ASSERT_NEAR(pa_image_px(&dst, x, y)[c], want, 0.5 + 1e-3);
            }
            n++;
        }
    }
    ASSERT_GT(n, 1000);
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

PA_TEST(perturbed_grid_is_watertight)
{
    enum { W = 72, H = 64, GX = 13, GY = 11 };
    static float xy[2 * (GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    static int count[W * H];
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    struct pa_image dst;
    ASSERT_OK(pa_image_alloc(&dst, W, H, PA_PIX_RGB24));
    for (uint32_t seed = 1; seed <= 4; seed++) {
        int nv, nt;
        const float x0 = 3.3f, y0 = 2.7f, x1 = 68.6f, y1 = 60.2f;
        // Jitter below 1/4 cell keeps every quad convex, so the mesh does not fold.
        make_grid(GX, GY, x0, y0, x1, y1, 0.22f, seed, xy, tri, &nv, &nt);
        struct pa_warp_mesh m = {nv, xy, NULL, NULL, NULL, nt, tri};
        count_coverage(r, &m, &dst, count);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int inside = x + 0.5 > x0 && x + 0.5 < x1 && y + 0.5 > y0 && y + 0.5 < y1;
                if (count[y * W + x] != inside)
                    PA__FAIL("seed %u pixel %d,%d covered %d times", seed, x, y, count[y * W + x]);
            }
        }
    }
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

/* Even-odd point-in-polygon; *on_edge set within 0.01 px of an edge (vertex snapping to
 * 1/256 px may move the outer boundary across such points). */
static int in_polygon(const float *poly, int n, double px, double py, int *on_edge)
{
    int in = 0;
    *on_edge = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double xi = poly[2 * i], yi = poly[2 * i + 1], xj = poly[2 * j], yj = poly[2 * j + 1];
        double ex = xj - xi, ey = yj - yi, len2 = ex * ex + ey * ey;
        double t = ((px - xi) * ex + (py - yi) * ey) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double dx = xi + t * ex - px, dy = yi + t * ey - py;
        if (dx * dx + dy * dy < 1e-4)
            *on_edge = 1;
        if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

PA_TEST(fans_and_split_quads_are_watertight)
{
    enum { W = 64, H = 64 };
    static int count[W * H];
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    struct pa_image dst;
    ASSERT_OK(pa_image_alloc(&dst, W, H, PA_PIX_RGB24));
    uint32_t seed = 99;
    for (int it = 0; it < 40; it++) {
        float xy[2 * 20];
        int32_t tri[3 * 19];
        int nv, nt;
        if (it % 2 == 0) {
            // Fan around a pixel centre; spokes along integer directions hit pixel centres.
            static const int dirs[][2] = {{7, 0},  {5, 3},  {3, 3},  {1, 5},   {0, 6},
                                          {-2, 5}, {-4, 4}, {-6, 1}, {-5, -2}, {-3, -5},
                                          {0, -7}, {2, -6}, {5, -5}, {6, -2}};
            nv = 1 + (int)PA_ARRAY_SIZE(dirs);
            xy[0] = 31.5f + (float)(it % 3);
            xy[1] = 30.5f;
            for (int k = 1; k < nv; k++) {
                float s = it < 20 ? 4.0f : frand(&seed, 2.0f, 4.3f);
                xy[2 * k] = xy[0] + s * (float)dirs[k - 1][0];
                xy[2 * k + 1] = xy[1] + s * (float)dirs[k - 1][1];
            }
            nt = nv - 1;
            for (int k = 0; k < nt; k++) {
                tri[3 * k] = 0;
                tri[3 * k + 1] = 1 + k;
                tri[3 * k + 2] = 1 + (k + 1) % nt;
            }
        } else {
            // A random quad split along one diagonal: the shared edge is at any angle.
            float cx = frand(&seed, 20, 44), cy = frand(&seed, 20, 44);
            float a0 = frand(&seed, 0, 6.28f);
            for (int k = 0; k < 4; k++) {
                float a = a0 + (float)k * 1.5708f + frand(&seed, -0.5f, 0.5f);
                float rad = frand(&seed, 6, 19);
                xy[2 * k] = floorf((cx + rad * cosf(a)) * 4.0f) / 4.0f + 0.5f * (float)(k & 1);
                xy[2 * k + 1] = floorf((cy + rad * sinf(a)) * 4.0f) / 4.0f;
            }
            nv = 4;
            nt = 2;
            int32_t q[6] = {0, 1, 2, 0, 2, 3};
            memcpy(tri, q, sizeof(q));
        }
        struct pa_warp_mesh m = {nv, xy, NULL, NULL, NULL, nt, tri};
        count_coverage(r, &m, &dst, count);
        const float *poly = nv == 4 ? xy : xy + 2;
        int n_poly = nv == 4 ? 4 : nv - 1;
        int inside_pixels = 0;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int on_edge, in = in_polygon(poly, n_poly, x + 0.5, y + 0.5, &on_edge);
                int c = count[y * W + x];
                if (c > 1 || (!on_edge && c != in))
                    PA__FAIL("case %d pixel %d,%d: covered %d times, inside %d", it, x, y, c, in);
                inside_pixels += in;
            }
        }
        ASSERT_GT(inside_pixels, 20);
    }
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

/* Warp `src` with a grid mesh whose dst vertices are f(src vertices). */
static void warp_grid(struct pa_raster *r, const struct pa_image *src, struct pa_image *dst,
                      const float *dst_xy, const float *src_xy, int nv, const int32_t *tri, int nt)
{
    struct pa_warp_mesh m = {nv, dst_xy, src_xy, NULL, NULL, nt, tri};
    ASSERT_OK(pa_raster_warp(r, &m, src, dst, NULL));
}

PA_TEST(identity_warp_reproduces_the_source)
{
    enum { W = 64, H = 48, GX = 8, GY = 6 };
    static float xy[2 * (GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    struct pa_image src, dst;
    ASSERT_OK(pa_image_alloc(&src, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&dst, W, H, PA_PIX_RGB24));
    fill_random(&src, 3);
    int nv, nt;
    make_grid(GX, GY, 0, 0, W, H, 0.3f, 5, xy, tri, &nv, &nt);
    warp_grid(r, &src, &dst, xy, xy, nv, tri, nt);
    int cs, exact = 0;
    const uint8_t *cov = pa_raster_coverage(r, &cs);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            ASSERT_EQ(cov[y * cs + x], 255);
            for (int c = 0; c < 3; c++) {
                int d = abs(pa_image_px(&dst, x, y)[c] - pa_image_px(&src, x, y)[c]);
                ASSERT_TRUE(d <= 1);
                exact += d == 0;
            }
        }
    }
    ASSERT_EQ(exact, W * H * 3);
    pa_image_free(&src);
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

PA_TEST(translated_warp_shifts_and_clamps)
{
    enum { W = 40, H = 30, GX = 5, GY = 5 };
    static float sxy[2 * (GX + 1) * (GY + 1)], dxy[2 * (GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    struct pa_image src, dst;
    ASSERT_OK(pa_image_alloc(&src, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&dst, W, H, PA_PIX_RGB24));
    fill_random(&src, 11);
    int nv, nt;
    // dst covers the whole image; it samples src at dst - (5, -3), off the source's left
    // and bottom edges in places (clamped to the edge pixels).
    make_grid(GX, GY, 0, 0, W, H, 0.25f, 9, dxy, tri, &nv, &nt);
    for (int i = 0; i < nv; i++) {
        sxy[2 * i] = dxy[2 * i] - 5.0f;
        sxy[2 * i + 1] = dxy[2 * i + 1] + 3.0f;
    }
    warp_grid(r, &src, &dst, dxy, sxy, nv, tri, nt);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            int sx = PA_CLAMP(x - 5, 0, W - 1), sy = PA_CLAMP(y + 3, 0, H - 1);
            for (int c = 0; c < 3; c++)
                ASSERT_NEAR(pa_image_px(&dst, x, y)[c], pa_image_px(&src, sx, sy)[c], 1);
        }
    }
    pa_image_free(&src);
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

PA_TEST(affine_mesh_matches_the_core_affine_warp)
{
    enum { W = 96, H = 80, GX = 9, GY = 7 };
    static float sxy[2 * (GX + 1) * (GY + 1)], dxy[2 * (GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    struct pa_image src, dst, ref;
    ASSERT_OK(pa_image_alloc(&src, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&dst, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&ref, W, H, PA_PIX_RGB24));
    // A smooth source: bilinear interpolation of smooth data differs little between
    // sub-pixel quantisations, so 1 level is a fair tolerance.
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                pa_image_px(&src, x, y)[c] =
                    (uint8_t)(127.5 + 120 * sin(0.21 * x + 0.9 * c) * cos(0.17 * y - 0.4 * c));
    // Source grid (jittered), dst = rotation + scale + translation of it.
    const double a = 0.3, s = 1.15, tx = 14.25, ty = -6.5;
    const float fwd[6] = {(float)(s * cos(a)), (float)(-s * sin(a)), (float)tx,
                          (float)(s * sin(a)), (float)(s * cos(a)),  (float)ty};
    int nv, nt;
    make_grid(GX, GY, 0, 0, W, H, 0.3f, 21, sxy, tri, &nv, &nt);
    for (int i = 0; i < nv; i++) {
        float x = sxy[2 * i], y = sxy[2 * i + 1];
        dxy[2 * i] = fwd[0] * x + fwd[1] * y + fwd[2];
        dxy[2 * i + 1] = fwd[3] * x + fwd[4] * y + fwd[5];
    }
    warp_grid(r, &src, &dst, dxy, sxy, nv, tri, nt);
    // Inverse map dst -> src for the core warp.
    double det = (double)fwd[0] * fwd[4] - (double)fwd[1] * fwd[3];
    float inv[6] = {(float)(fwd[4] / det),  (float)(-fwd[1] / det), 0,
                    (float)(-fwd[3] / det), (float)(fwd[0] / det),  0};
    inv[2] = -(inv[0] * fwd[2] + inv[1] * fwd[5]);
    inv[5] = -(inv[3] * fwd[2] + inv[4] * fwd[5]);
    ASSERT_OK(pa_image_warp_affine(&src, &ref, inv, NULL));
    int cs, n = 0;
    const uint8_t *cov = pa_raster_coverage(r, &cs);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            double u = inv[0] * (x + 0.5) + inv[1] * (y + 0.5) + inv[2];
            double v = inv[3] * (x + 0.5) + inv[4] * (y + 0.5) + inv[5];
            int inside = u > 1.0 && v > 1.0 && u < W - 1.0 && v < H - 1.0;
            if (inside)
                ASSERT_EQ(cov[y * cs + x], 255); // the mesh covers its source rectangle
            if (!inside || !cov[y * cs + x])
                continue;
            for (int c = 0; c < 3; c++)
                ASSERT_NEAR(pa_image_px(&dst, x, y)[c], pa_image_px(&ref, x, y)[c], 1);
            n++;
        }
    }
    ASSERT_GT(n, 3000);
    pa_image_free(&src);
    pa_image_free(&dst);
    pa_image_free(&ref);
    pa_raster_destroy(r);
}

PA_TEST(nearer_triangle_wins_in_any_order)
{
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, 32, 32));
    struct pa_image dst;
    ASSERT_OK(pa_image_alloc(&dst, 32, 32, PA_PIX_RGB24));
    // Two crossing triangles; triangle A is nearer on the left, farther on the right
    // (interpenetrating), triangle B is flat at depth 0.5.
    const float xy[12] = {2, 2, 30, 4, 4, 30, 28, 28, 3, 26, 29, 3};
    const float depth[6] = {0.0f, 1.0f, 0.0f, 0.5f, 0.5f, 0.5f};
    const float alpha[6] = {1, 1, 1, 0.5f, 0.5f, 0.5f};
    const float rgb[18] = {255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255};
    for (int order = 0; order < 2; order++) {
        int32_t tri[6] = {0, 1, 2, 3, 4, 5};
        if (order) {
            int32_t t2[6] = {3, 4, 5, 0, 1, 2};
            memcpy(tri, t2, sizeof(tri));
        }
        memset(dst.data, 0, (size_t)dst.stride * 32);
        struct pa_warp_mesh m = {6, xy, NULL, depth, alpha, 2, tri};
        ASSERT_OK(pa_raster_fill(r, &m, rgb, &dst, NULL));
        int cs, n_a = 0, n_b = 0;
        const uint8_t *cov = pa_raster_coverage(r, &cs);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int in_a = brute_inside(xy, xy + 2, xy + 4, x, y);
                int in_b = brute_inside(xy + 6, xy + 8, xy + 10, x, y);
                if (!in_a || !in_b)
                    continue;
                // Depth of A at this pixel from its plane: z = (x - 2 + ...) solved here.
                // A's depth is its barycentric weight of vertex 1 (0 at vertices 0 and 2).
                double px = x + 0.5 - 2, py = y + 0.5 - 2, det = 28.0 * 28 - 2.0 * 2;
                double za = (px * 28 - py * 2) / det;
                if (fabs(za - 0.5) < 0.02)
                    continue; // too close to call
                int a_wins = za < 0.5;
                const uint8_t *p = pa_image_px(&dst, x, y);
                ASSERT_EQ(p[0], a_wins ? 255 : 0);
                ASSERT_EQ(p[2], a_wins ? 0 : 255);
                ASSERT_EQ(cov[y * cs + x], a_wins ? 255 : 128);
                n_a += a_wins;
                n_b += !a_wins;
            }
        }
        ASSERT_GT(n_a, 20);
        ASSERT_GT(n_b, 20);
        // Without depth the later triangle wins everywhere they overlap.
        struct pa_warp_mesh flat = {6, xy, NULL, NULL, NULL, 2, tri};
        ASSERT_OK(pa_raster_fill(r, &flat, rgb, &dst, NULL));
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                if (brute_inside(xy, xy + 2, xy + 4, x, y) &&
                    brute_inside(xy + 6, xy + 8, xy + 10, x, y))
                    ASSERT_EQ(pa_image_px(&dst, x, y)[0], order ? 255 : 0);
    }
    pa_image_free(&dst);
    pa_raster_destroy(r);
}

PA_TEST(thread_count_does_not_change_a_bit)
{
    enum { W = 203, H = 187, GX = 24, GY = 21, SW = 150, SH = 170 };
    static float dxy[2 * (GX + 1) * (GY + 1)], sxy[2 * (GX + 1) * (GY + 1)];
    static float depth[(GX + 1) * (GY + 1)], alpha[(GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    int nv, nt;
    // Heavy jitter folds the mesh, so depth decides overlaps.
    make_grid(GX, GY, -4, -3, W + 5, H + 2, 0.9f, 77, dxy, tri, &nv, &nt);
    make_grid(GX, GY, -2, -2, SW + 2, SH + 2, 0.3f, 78, sxy, NULL, &nv, &nt);
    uint32_t seed = 5;
    for (int i = 0; i < nv; i++) {
        depth[i] = frand(&seed, -1, 1);
        alpha[i] = frand(&seed, 0, 1.2f);
    }
    struct pa_image src, out[4];
    ASSERT_OK(pa_image_alloc(&src, SW, SH, PA_PIX_RGB24));
    fill_random(&src, 1);
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    static uint8_t cov[4][W * H];
    for (int k = 0; k < 4; k++) {
        struct pa_parallel *par = NULL;
        if (k > 0)
            ASSERT_OK(pa_parallel_create(&par, k));
        ASSERT_OK(pa_image_alloc(&out[k], W, H, PA_PIX_RGB24));
        struct pa_warp_mesh m = {nv, dxy, sxy, depth, alpha, nt, tri};
        ASSERT_OK(pa_raster_warp(r, &m, &src, &out[k], par));
        int cs;
        const uint8_t *c = pa_raster_coverage(r, &cs);
        for (int y = 0; y < H; y++)
            memcpy(cov[k] + y * W, c + y * cs, W);
        pa_parallel_destroy(par);
        if (k == 0)
            continue;
        ASSERT_TRUE(memcmp(cov[k], cov[0], sizeof(cov[0])) == 0);
        for (int y = 0; y < H; y++)
            ASSERT_TRUE(memcmp(pa_image_px(&out[k], 0, y), pa_image_px(&out[0], 0, y), W * 3) == 0);
    }
    for (int k = 0; k < 4; k++)
        pa_image_free(&out[k]);
    pa_image_free(&src);
    pa_raster_destroy(r);
}

PA_TEST(simd_and_scalar_sampling_agree_bit_for_bit)
{
    enum { W = 90, H = 70, GX = 9, GY = 7, SW = 37, SH = 29 };
    static float dxy[2 * (GX + 1) * (GY + 1)], sxy[2 * (GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    int nv, nt;
    // Source positions run past every source edge, so both the SSE2 interior path and the
    // clamped scalar path are exercised in every span, at arbitrary sub-pixel phases.
    make_grid(GX, GY, 0, 0, W, H, 0.4f, 31, dxy, tri, &nv, &nt);
    make_grid(GX, GY, -6, -5, SW + 7, SH + 4, 0.4f, 32, sxy, NULL, &nv, &nt);
    // The source is packed into an exactly sized block (stride = 3 w, no padding), so a
    // sanitizer build catches any tap read past the last pixel.
    uint8_t *packed = malloc((size_t)SW * SH * 3);
    struct pa_image src = {packed, SW * 3, SW, SH, PA_PIX_RGB24, NULL}, a, b;
    ASSERT_OK(pa_image_alloc(&a, W, H, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&b, W, H, PA_PIX_RGB24));
    fill_random(&src, 8);
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, W, H));
    struct pa_warp_mesh m = {nv, dxy, sxy, NULL, NULL, nt, tri};
    ASSERT_OK(pa_raster_warp(r, &m, &src, &a, NULL));
    pa_raster_set_simd(r, 0);
    ASSERT_OK(pa_raster_warp(r, &m, &src, &b, NULL));
    for (int y = 0; y < H; y++)
        ASSERT_TRUE(memcmp(pa_image_px(&a, 0, y), pa_image_px(&b, 0, y), W * 3) == 0);
    free(packed);
    pa_image_free(&a);
    pa_image_free(&b);
    pa_raster_destroy(r);
}

PA_TEST(hostile_triangles_are_skipped)
{
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, 40, 40));
    struct pa_image src, dst;
    ASSERT_OK(pa_image_alloc(&src, 16, 16, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&dst, 40, 40, PA_PIX_RGB24));
    fill_random(&src, 2);
    const float inf = INFINITY, nan = NAN;
    // Vertex 0..2: the one valid triangle. Then: collinear, repeated vertex, NaN, inf,
    // huge, sub-snap sliver, NaN source position, NaN depth.
    const float dxy[] = {4,     4,  30,      6,  8,        33,   // 0 1 2 valid
                         1,     1,  20,      20, 39,       39,   // 3 4 5 collinear
                         nan,   5,  inf,     3,  -inf,     8,    // 6 7 8 non-finite
                         1e30f, 0,  -1e9f,   5,  0,        1e6f, // 9 10 11 huge
                         10,    10, 10.001f, 30, 10.0005f, 20,   // 12 13 14 sliver below 1/256
                         5,     5,  35,      5,  20,       35,   // 15 16 17 NaN source
                         5,     5,  35,      5,  20,       35};  // 18 19 20 NaN depth
    float sxy[2 * 21], depth[21];
    for (int i = 0; i < 21; i++) {
        sxy[2 * i] = (float)(i % 16);
        sxy[2 * i + 1] = (float)((i * 7) % 16);
        depth[i] = 0.5f;
    }
    sxy[2 * 16] = nan;
    depth[20] = nan;
    const int32_t tri[] = {0, 1,  2,  3, 4, 5, 4,  4,  1,  6,  7,  8,  0,  6,  1,
                           9, 10, 11, 0, 9, 1, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    const int nt = (int)PA_ARRAY_SIZE(tri) / 3;
    struct pa_warp_mesh m = {21, dxy, sxy, depth, NULL, nt, tri};
    ASSERT_OK(pa_raster_warp(r, &m, &src, &dst, NULL));
    int cs;
    const uint8_t *cov = pa_raster_coverage(r, &cs);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++)
            ASSERT_EQ(cov[y * cs + x] != 0, brute_inside(dxy, dxy + 2, dxy + 4, x, y));
    // Source positions far outside the source are clamped, not read out of bounds.
    for (int i = 0; i < 21; i++)
        sxy[i * 2] = (i & 1) ? 1e30f : -1e7f;
    m.n_triangles = 1;
    ASSERT_OK(pa_raster_warp(r, &m, &src, &dst, NULL));
    // Misuse is reported.
    int32_t bad[3] = {0, 1, 21};
    struct pa_warp_mesh mb = {21, dxy, sxy, NULL, NULL, 1, bad};
    ASSERT_ERR(pa_raster_warp(r, &mb, &src, &dst, NULL), PA_EINVAL);
    struct pa_image big;
    ASSERT_OK(pa_image_alloc(&big, 41, 40, PA_PIX_RGB24));
    ASSERT_ERR(pa_raster_warp(r, &m, &src, &big, NULL), PA_EINVAL);
    struct pa_raster *r2;
    ASSERT_ERR(pa_raster_create(&r2, 0, 5), PA_EINVAL);
    ASSERT_TRUE(r2 == NULL);
    pa_image_free(&big);
    pa_image_free(&src);
    pa_image_free(&dst);
    pa_raster_destroy(r);
    pa_raster_destroy(NULL);
}

PA_TEST(triangles_are_clipped_to_the_destination)
{
    struct pa_raster *r;
    ASSERT_OK(pa_raster_create(&r, 64, 64));
    struct pa_image canvas, dst;
    ASSERT_OK(pa_image_alloc(&canvas, 60, 50, PA_PIX_RGB24));
    memset(canvas.data, 77, (size_t)canvas.stride * 50);
    ASSERT_OK(pa_image_view(&dst, &canvas, 10, 8, 37, 29)); // a view: neighbours must survive
    const float xy[] = {-3000.5f, -20,   18.5f, 70,    60, -9.75f, // reaches past every border
                        -5,       14.5f, 45,    14.5f, 20, 16000}; // far below, in guard band
    const float rgb[18] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    const int32_t tri[] = {0, 1, 2, 3, 4, 5};
    for (int t = 0; t < 2; t++) {
        struct pa_warp_mesh m = {6, xy, NULL, NULL, NULL, 1, tri + 3 * t};
        ASSERT_OK(pa_raster_fill(r, &m, rgb, &dst, NULL));
        int cs, n = 0;
        const uint8_t *cov = pa_raster_coverage(r, &cs);
        for (int y = 0; y < dst.h; y++) {
            for (int x = 0; x < dst.w; x++) {
                const float *p = xy + 6 * t;
                ASSERT_EQ(cov[y * cs + x] != 0, brute_inside(p, p + 2, p + 4, x, y));
                n += cov[y * cs + x] != 0;
            }
        }
        ASSERT_GT(n, 100);
    }
    for (int y = 0; y < 50; y++) {
        for (int x = 0; x < 60; x++) {
            int in_view = x >= 10 && x < 47 && y >= 8 && y < 37;
            if (!in_view)
                ASSERT_EQ(pa_image_px(&canvas, x, y)[1], 77);
        }
    }
    pa_image_free(&canvas);
    pa_raster_destroy(r);
}

PA_TEST(warp_does_not_allocate)
{
    enum { GX = 10, GY = 10 };
    static float xy[2 * (GX + 1) * (GY + 1)];
    static int32_t tri[6 * GX * GY];
    int nv, nt;
    make_grid(GX, GY, 0, 0, 128, 128, 0.3f, 3, xy, tri, &nv, &nt);
    struct pa_raster *r;
    struct pa_parallel *par;
    struct pa_image img, dst;
    ASSERT_OK(pa_raster_create(&r, 128, 128));
    ASSERT_OK(pa_parallel_create(&par, 2));
    ASSERT_OK(pa_image_alloc(&img, 128, 128, PA_PIX_RGB24));
    ASSERT_OK(pa_image_alloc(&dst, 128, 128, PA_PIX_RGB24));
    struct pa_warp_mesh m = {nv, xy, xy, NULL, NULL, nt, tri};
    ASSERT_OK(pa_raster_warp(r, &m, &img, &dst, par));
    uint64_t before = pa_mem_alloc_count();
    for (int i = 0; i < 3; i++)
        ASSERT_OK(pa_raster_warp(r, &m, &img, &dst, par));
    ASSERT_EQ(pa_mem_alloc_count() - before, 0);
    pa_image_free(&img);
    pa_image_free(&dst);
    pa_parallel_destroy(par);
    pa_raster_destroy(r);
}

PA_TEST_MAIN()

/** @file
 * The deformation mesh: built once per portrait (pa_rig_build_mesh) and posed per frame
 * (pa_rig_pose_mesh). Vertex layout in rig.h.
 *
 * Algorithm digest.
 *  - Skin: MediaPipe's 898-triangle tessellation minus the 46 triangles that span the eye
 *    and mouth openings (all three corners on one opening's loop), so the openings can be
 *    drawn by their own geometry: eyeballs in the face pass, the mouth in its own pass.
 *  - Upper lids: the 14 triangles between the lid margin (eyeUpper0) and the crease row
 *    (eyeUpper1) of each eye are re-made with a middle row M = U0 + 0.35 (U1 - U0) just
 *    above the lashes. Posed, M keeps its rest offset from the margin (turned and scaled with
 *    the eye), capped at 90 % of the margin-crease distance, so a blink stretches the skin
 *    between crease and M instead of smearing the lashes into a thick dark band. As a lid
 *    column closes (closure c = 1 - target gap / rest gap, the gap to its lower-lid partner
 *    measured in eye-corner units), its texture slides up: M samples M + 0.85 c (U1 - M) and
 *    U1 samples U1 + 0.5 c (U2 - U1), so the closed lid is made of the skin above the crease.
 *  - Eyeballs: the eye-opening loop copied (16 points), the iris centre (landmark 468/473,
 *    or the loop centroid without irises) and 8 points on a ring of 1.08 iris radii aimed at
 *    every second loop point (beyond the lids where they cover the iris); fan + strip
 *    triangles. They sit eye_depth_offset behind the
 *    lids (the iris slightly less) so that lid skin sliding down a blink covers them under
 *    the depth test. Posed rigidly by the 2D similarity that maps the source eye corners to
 *    the target ones, plus the gaze offset on the iris points.
 *  - Rings: for each of the 36 face-oval points o_i a ray from the oval centroid c; points at
 *    d0 = min(1.35 r, r + 0.45 (b - r)), d1 = min(1.8 r, r + 0.8 (b - r)) and d2 = b, where
 *    r = |o_i - c| and b = the ray's exit distance from the crop square; strips between
 *    consecutive rings (same angular order) and fans into the four crop corners. Each ring
 *    point is lifted into canonical space at the depth of its oval point (a little behind),
 *    so it can follow the head rigidly: q = q_rest + w (q_head - q_rest) with the head
 *    weight w from the person mask (see head_weight).
 *  - Silhouette rays: with a person mask, a ray that leaves the person (mask < 0.5) between
 *    1.02 r and 2.4 r (hair or face edge against the background) gets d0 just outside that
 *    silhouette, d0 = d_sil + 0.05 r, with w = 1, and d1 = d0 + 0.3 r with w = 0: the head
 *    moves rigidly up to its outline and only a thin band of plain background stretches,
 *    instead of the hair edge smearing between rings.
 */
#include "rig.h"

#include <math.h>
#include <string.h>

#include "core/image.h"

static const int32_t k_face_tris[] = {
#include "face_tris.inc"
};

const int pa_rig_oval[PA_RIG_OVAL] = {10,  338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288,
                                      397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136,
                                      172, 58,  132, 93,  234, 127, 162, 21,  54,  103, 67,  109};
const int pa_rig_eye_loop[2][PA_RIG_EYE_LOOP] = {
    {33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246},
    {263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466}};
const int pa_rig_eye_upper[2][7] = {{246, 161, 160, 159, 158, 157, 173},
                                    {466, 388, 387, 386, 385, 384, 398}};
const int pa_rig_eye_lower[2][7] = {{7, 163, 144, 145, 153, 154, 155},
                                    {249, 390, 373, 374, 380, 381, 382}};
const int pa_rig_eye_crease[2][7] = {{247, 30, 29, 27, 28, 56, 190},
                                     {467, 260, 259, 257, 258, 286, 414}};
const int pa_rig_eye_corner[2][2] = {{33, 133}, {362, 263}};
const int pa_rig_iris[2] = {468, 473};
const int pa_rig_lip_inner[2][PA_MOUTH_COLS] = {{78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308},
                                                {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308}};
const int pa_rig_lip_outer[2][PA_MOUTH_COLS] = {
    {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291},
    {61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291}};

/* The lid ring below each eye (eyeLower1) and the one above the crease (eyeUpper2). */
static const int k_eye_lower1[2][9] = {{130, 25, 110, 24, 23, 22, 26, 112, 243},
                                       {359, 255, 339, 254, 253, 252, 256, 341, 463}};
static const int k_eye_upper2[2][7] = {{113, 225, 224, 223, 222, 221, 189},
                                       {342, 445, 444, 443, 442, 441, 413}};
/* Outer corner, inner corner and the inner end of the lid ring below (eyeLower1) per eye. */
static const int k_lid_ends[2][3] = {{33, 133, 243}, {263, 362, 463}};
#define LID_ROW_T 0.35f

static inline float clampf(float x, float lo, float hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static inline float smooth01(float t)
{
    t = clampf(t, 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

/* Crossing-number test of a point against a closed polygon of n points (2 floats each). */
static int inside_poly(const float (*p)[2], int n, float x, float y)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        if ((p[i][1] > y) != (p[j][1] > y) &&
            x < (p[j][0] - p[i][0]) * (y - p[i][1]) / (p[j][1] - p[i][1]) + p[i][0])
            in = !in;
    }
    return in;
}

static void add_tri(struct pa_rig *rig, int a, int b, int c)
{
    PA_ASSERT(rig->n_tri < PA_RIG_MAX_TRI);
    rig->tri[rig->n_tri][0] = a;
    rig->tri[rig->n_tri][1] = b;
    rig->tri[rig->n_tri][2] = c;
    rig->n_tri++;
}

/* Is triangle t one of an upper lid's margin-to-crease triangles (re-made by build_lid)? */
static int is_lid_band(const int32_t *t)
{
    for (int e = 0; e < 2; e++) {
        int in_set = 0, u0 = 0, u1 = 0;
        for (int j = 0; j < 3; j++) {
            int v = t[j], a = 0, b = 0;
            for (int k = 0; k < PA_RIG_LID; k++) {
                a |= v == pa_rig_eye_upper[e][k];
                b |= v == pa_rig_eye_crease[e][k];
            }
            int end = v == k_lid_ends[e][0] || v == k_lid_ends[e][1] || v == k_lid_ends[e][2];
            in_set += a || b || end;
            u0 |= a;
            u1 |= b;
        }
        if (in_set == 3 && u0 && u1)
            return 1;
    }
    return 0;
}

/* Skin triangles: the tessellation without the ones spanning an opening. */
static void build_skin(struct pa_rig *rig)
{
    uint8_t tag[PA_RIG_FACE] = {0};
    for (int e = 0; e < 2; e++)
        for (int i = 0; i < PA_RIG_EYE_LOOP; i++)
            tag[pa_rig_eye_loop[e][i]] = (uint8_t)(1 + e);
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < PA_MOUTH_COLS; i++)
            tag[pa_rig_lip_inner[r][i]] = 3;
    for (size_t i = 0; i + 2 < PA_ARRAY_SIZE(k_face_tris); i += 3) {
        const int32_t *t = &k_face_tris[i];
        if ((tag[t[0]] && tag[t[0]] == tag[t[1]] && tag[t[0]] == tag[t[2]]) || is_lid_band(t))
            continue;
        add_tri(rig, t[0], t[1], t[2]);
    }
}

/* One eyeball's vertices and triangles (eye e: 0 right, 1 left). */
static void build_eye(struct pa_rig *rig, int e)
{
    const int base = PA_RIG_V_EYE + e * PA_RIG_EYE_VERTS;
    const int *loop = pa_rig_eye_loop[e];
    float poly[PA_RIG_EYE_LOOP][2];
    float cx = 0, cy = 0, cz = 0;
    for (int i = 0; i < PA_RIG_EYE_LOOP; i++) {
        poly[i][0] = rig->src_xy[loop[i]][0];
        poly[i][1] = rig->src_xy[loop[i]][1];
        cx += poly[i][0] / PA_RIG_EYE_LOOP;
        cy += poly[i][1] / PA_RIG_EYE_LOOP;
        cz += rig->src_z[loop[i]] / PA_RIG_EYE_LOOP;
    }
    const float *a = rig->src_xy[pa_rig_eye_corner[e][0]],
                *b = rig->src_xy[pa_rig_eye_corner[e][1]];
    float width = hypotf(b[0] - a[0], b[1] - a[1]);
    float ix = cx, iy = cy, iris_r = 0.22f * width;
    if (rig->has_iris) {
        const float(*pts)[3] = rig->face.pts;
        float k = rig->k;
        int c = pa_rig_iris[e];
        pa_rig_affine(rig->img_to_crop, pts[c][0], pts[c][1], &ix, &iy);
        float r = 0;
        for (int j = 1; j <= 4; j++)
            r += hypotf(pts[c + j][0] - pts[c][0], pts[c + j][1] - pts[c][1]) * k / 4.0f;
        if (r > 0.05f * width && r < 0.5f * width)
            iris_r = r;
        if (!inside_poly(poly, PA_RIG_EYE_LOOP, ix, iy)) {
            ix = cx;
            iy = cy;
        }
    }
    float delta = rig->eye_depth_offset;
    for (int i = 0; i < PA_RIG_EYE_LOOP; i++) {
        rig->src_xy[base + i][0] = poly[i][0];
        rig->src_xy[base + i][1] = poly[i][1];
        rig->src_z[base + i] = rig->src_z[loop[i]] + delta;
    }
    const int ic = base + PA_RIG_EYE_LOOP, ring = ic + 1;
    rig->src_xy[ic][0] = ix;
    rig->src_xy[ic][1] = iy;
    rig->src_z[ic] = cz + 0.5f * delta;
    for (int j = 0; j < PA_RIG_IRIS_RING; j++) {
        float dx = poly[2 * j][0] - ix, dy = poly[2 * j][1] - iy;
        float d = hypotf(dx, dy);
        /* The ring hugs the whole iris, even where the lids hide it: the disc then moves
         * rigidly, only sclera stretches, and the lids (nearer) cover what sticks out. */
        float r = rig->has_iris ? 1.08f * iris_r : fminf(1.1f * iris_r, 0.8f * d);
        float s = d > 1e-6f ? r / d : 0.0f;
        rig->src_xy[ring + j][0] = ix + dx * s;
        rig->src_xy[ring + j][1] = iy + dy * s;
        rig->src_z[ring + j] = cz + 0.5f * delta;
    }
    for (int j = 0; j < PA_RIG_IRIS_RING; j++) {
        int r0 = ring + j, r1 = ring + (j + 1) % PA_RIG_IRIS_RING;
        int l0 = base + 2 * j, l1 = base + 2 * j + 1, l2 = base + (2 * j + 2) % PA_RIG_EYE_LOOP;
        add_tri(rig, ic, r0, r1);
        add_tri(rig, r0, l0, l1);
        add_tri(rig, r0, l1, r1);
        add_tri(rig, r1, l1, l2);
    }
}

/* The upper-lid band of eye e with its middle row (see the digest). */
static void build_lid(struct pa_rig *rig, int e)
{
    const int *u0 = pa_rig_eye_upper[e], *u1 = pa_rig_eye_crease[e];
    const int base = PA_RIG_V_LID + e * PA_RIG_LID;
    for (int k = 0; k < PA_RIG_LID; k++) {
        for (int j = 0; j < 2; j++)
            rig->src_xy[base + k][j] =
                rig->src_xy[u0[k]][j] + LID_ROW_T * (rig->src_xy[u1[k]][j] - rig->src_xy[u0[k]][j]);
        rig->src_z[base + k] =
            rig->src_z[u0[k]] + LID_ROW_T * (rig->src_z[u1[k]] - rig->src_z[u0[k]]);
    }
    for (int k = 0; k + 1 < PA_RIG_LID; k++) {
        int m0 = base + k, m1 = base + k + 1;
        add_tri(rig, u0[k], u0[k + 1], m1);
        add_tri(rig, u0[k], m1, m0);
        add_tri(rig, m0, m1, u1[k + 1]);
        add_tri(rig, m0, u1[k + 1], u1[k]);
    }
    const int outer = k_lid_ends[e][0], below = k_lid_ends[e][2];
    add_tri(rig, outer, u0[0], base);
    add_tri(rig, outer, base, u1[0]);
    add_tri(rig, u0[6], base + 6, below);
    add_tri(rig, base + 6, u1[6], below);
}

/* Exit distance of the ray c + t u from the square [0, s]², and the side it leaves by
 * (0 top, 1 right, 2 bottom, 3 left: clockwise on screen, like the oval). */
static float ray_exit(const float c[2], const float u[2], float s, int *side)
{
    float best = INFINITY;
    *side = 0;
    if (u[1] < -1e-6f && -c[1] / u[1] < best) {
        best = -c[1] / u[1];
        *side = 0;
    }
    if (u[0] > 1e-6f && (s - c[0]) / u[0] < best) {
        best = (s - c[0]) / u[0];
        *side = 1;
    }
    if (u[1] > 1e-6f && (s - c[1]) / u[1] < best) {
        best = (s - c[1]) / u[1];
        *side = 2;
    }
    if (u[0] < -1e-6f && -c[0] / u[0] < best) {
        best = -c[0] / u[0];
        *side = 3;
    }
    return best;
}

/* Mean of the person mask (0..1) in a small square around a portrait point. */
static float sample_mask(const struct pa_image *mask, const struct pa_rig *rig, float x, float y)
{
    float sx = (float)mask->w / (float)rig->portrait.w,
          sy = (float)mask->h / (float)rig->portrait.h;
    float h = 0.03f * rig->face_size;
    float sum = 0;
    for (int j = -2; j <= 2; j++) {
        for (int i = -2; i <= 2; i++) {
            int px = (int)floorf((x + h * (float)i * 0.5f) * sx);
            int py = (int)floorf((y + h * (float)j * 0.5f) * sy);
            px = PA_CLAMP(px, 0, mask->w - 1);
            py = PA_CLAMP(py, 0, mask->h - 1);
            sum += (float)pa_image_px(mask, px, py)[0];
        }
    }
    return sum / (25.0f * 255.0f);
}

/* Distance along the ray c + t u (crop pixels) where the person mask first drops below
 * 0.5 between 1.02 r and min(2.4 r, 0.85 b); -1 when it does not. */
static float silhouette(const struct pa_rig *rig, const struct pa_image *mask, const float c[2],
                        const float u[2], float r, float b)
{
    const int steps = 48;
    float t0 = 1.02f * r, t1 = fminf(2.4f * r, 0.85f * b);
    for (int j = 0; j <= steps && t1 > t0; j++) {
        float t = t0 + (t1 - t0) * (float)j / (float)steps, x, y;
        pa_rig_affine(rig->crop_to_img, c[0] + u[0] * t, c[1] + u[1] * t, &x, &y);
        if (sample_mask(mask, rig, x, y) < 0.5f)
            return t;
    }
    return -1.0f;
}

static void build_rings(struct pa_rig *rig, const struct pa_image *mask)
{
    const float s = (float)rig->cs;
    float c[2] = {0, 0}, zmax = -INFINITY;
    for (int i = 0; i < PA_RIG_OVAL; i++) {
        c[0] += rig->src_xy[pa_rig_oval[i]][0] / PA_RIG_OVAL;
        c[1] += rig->src_xy[pa_rig_oval[i]][1] / PA_RIG_OVAL;
    }
    const float fs = rig->face_size * rig->k;
    int side[PA_RIG_OVAL];
    for (int i = 0; i < PA_RIG_OVAL; i++) {
        const int o = pa_rig_oval[i];
        float d[2] = {rig->src_xy[o][0] - c[0], rig->src_xy[o][1] - c[1]};
        float r = fmaxf(hypotf(d[0], d[1]), 1e-3f);
        float u[2] = {d[0] / r, d[1] / r};
        float b = fmaxf(ray_exit(c, u, s, &side[i]), 1.1f * r);
        float dist[PA_RIG_RINGS] = {fminf(1.35f * r, r + 0.45f * (b - r)),
                                    fminf(1.8f * r, r + 0.8f * (b - r)), b};
        float sil = mask ? silhouette(rig, mask, c, u, r, b) : -1.0f;
        rig->ring_sil[i] = sil > 0;
        if (sil > 0) {
            dist[0] = fminf(sil + 0.05f * r, r + 0.6f * (b - r));
            dist[1] = fminf(dist[0] + 0.3f * r, r + 0.85f * (b - r));
        }
        rig->ring_down[i] = clampf(u[1], 0.0f, 1.0f);
        for (int k = 0; k < PA_RIG_RINGS; k++) {
            int v = PA_RIG_V_RING + k * PA_RIG_OVAL + i;
            rig->src_xy[v][0] = c[0] + u[0] * dist[k];
            rig->src_xy[v][1] = c[1] + u[1] * dist[k];
            rig->src_z[v] = rig->src_z[o] + 0.06f * fs * (float)(k + 1);
            zmax = fmaxf(zmax, rig->src_z[v]);
            float p[3];
            pa_rig_affine(rig->crop_to_img, rig->src_xy[v][0], rig->src_xy[v][1], &p[0], &p[1]);
            p[2] = rig->src_z[v] / rig->k;
            pa_pose_to_canonical(&rig->pose, p, 1, rig->ring_anchor[v - PA_RIG_V_RING]);
            rig->ring_mask[k][i] = mask ? sample_mask(mask, rig, p[0], p[1]) : 0.0f;
        }
    }
    const float corner[4][2] = {{s, 0}, {s, s}, {0, s}, {0, 0}};
    for (int j = 0; j < 4; j++) {
        rig->src_xy[PA_RIG_V_CORNER + j][0] = corner[j][0];
        rig->src_xy[PA_RIG_V_CORNER + j][1] = corner[j][1];
        rig->src_z[PA_RIG_V_CORNER + j] = zmax;
    }
    for (int i = 0; i < PA_RIG_OVAL; i++) {
        int n = (i + 1) % PA_RIG_OVAL;
        int a = pa_rig_oval[i], b = pa_rig_oval[n];
        for (int k = 0; k < PA_RIG_RINGS; k++) {
            int ra = PA_RIG_V_RING + k * PA_RIG_OVAL + i, rb = PA_RIG_V_RING + k * PA_RIG_OVAL + n;
            add_tri(rig, a, b, rb);
            add_tri(rig, a, rb, ra);
            a = ra;
            b = rb;
        }
        /* a, b are now border points: fan the corners they skip from b. */
        int prev = a;
        for (int sd = side[i]; sd != side[n]; sd = (sd + 1) % 4) {
            add_tri(rig, b, prev, PA_RIG_V_CORNER + sd);
            prev = PA_RIG_V_CORNER + sd;
        }
    }
}

/* Eye / lip membership weights and the jaw-drop weights, from the rest canonical shape. */
static void build_regions(struct pa_rig *rig)
{
    memset(rig->region, 0, sizeof(rig->region));
    for (int e = 0; e < 2; e++) {
        for (int i = 0; i < PA_RIG_EYE_LOOP; i++)
            rig->region[pa_rig_eye_loop[e][i]][0] = 1.0f;
        for (int i = 0; i < 7; i++) {
            rig->region[pa_rig_eye_crease[e][i]][0] = 1.0f;
            rig->region[k_eye_upper2[e][i]][0] = 0.5f;
        }
        for (int i = 0; i < 9; i++)
            rig->region[k_eye_lower1[e][i]][0] = 1.0f;
    }
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < PA_MOUTH_COLS; i++) {
            rig->region[pa_rig_lip_inner[r][i]][1] = 1.0f;
            rig->region[pa_rig_lip_outer[r][i]][1] = 1.0f;
        }
    }
    const float(*c)[3] = rig->face.canonical;
    float xm = 0.5f * (c[78][0] + c[308][0]), hw = fmaxf(0.5f * fabsf(c[308][0] - c[78][0]), 0.1f);
    float yup = c[13][1], ylo = c[14][1];
    float ym = 0.5f * (yup + ylo), band = fmaxf(0.5f * (yup - ylo), 0.08f * hw);
    for (int i = 0; i < PA_RIG_FACE; i++) {
        float dx = (c[i][0] - xm) / (1.8f * hw);
        float sx = clampf(1.0f - dx * dx, 0.0f, 1.0f);
        float sy = smooth01(0.5f + 0.5f * (ym - c[i][1]) / band);
        rig->jaw_w[i] = sx * sy;
    }
}

static void build_mouth(struct pa_rig *rig)
{
    int n = 0;
    for (int r = 0; r + 1 < PA_MOUTH_ROWS; r++) {
        for (int col = 0; col + 1 < PA_MOUTH_COLS; col++) {
            int v00 = r * PA_MOUTH_COLS + col, v10 = v00 + PA_MOUTH_COLS;
            rig->mouth_tri[n][0] = v00;
            rig->mouth_tri[n][1] = v00 + 1;
            rig->mouth_tri[n][2] = v10 + 1;
            rig->mouth_tri[n + 1][0] = v00;
            rig->mouth_tri[n + 1][1] = v10 + 1;
            rig->mouth_tri[n + 1][2] = v10;
            n += 2;
        }
    }
    pa_mouth_grid(&rig->face.pts[0][0], 3, rig->img_to_crop, rig->mouth_src);
    rig->mouth_area = pa_mouth_area(&rig->face.canonical[0][0]);
}

void pa_rig_lid_sources(const struct pa_rig *rig, const float dst_xy[PA_RIG_NV][2],
                        float src_xy[PA_RIG_NV][2])
{
    memcpy(src_xy, rig->src_xy, sizeof(rig->src_xy));
    for (int e = 0; e < 2; e++) {
        const int ca = pa_rig_eye_corner[e][0], cb = pa_rig_eye_corner[e][1];
        float ws = hypotf(rig->src_xy[cb][0] - rig->src_xy[ca][0],
                          rig->src_xy[cb][1] - rig->src_xy[ca][1]);
        float wt = hypotf(dst_xy[cb][0] - dst_xy[ca][0], dst_xy[cb][1] - dst_xy[ca][1]);
        if (ws < 1e-3f || wt < 1e-3f)
            continue;
        for (int k = 0; k < PA_RIG_LID; k++) {
            const int u0 = pa_rig_eye_upper[e][k], lo = pa_rig_eye_lower[e][k];
            const int u1 = pa_rig_eye_crease[e][k], u2 = k_eye_upper2[e][k];
            const int m = PA_RIG_V_LID + e * PA_RIG_LID + k;
            float gs = hypotf(rig->src_xy[u0][0] - rig->src_xy[lo][0],
                              rig->src_xy[u0][1] - rig->src_xy[lo][1]) /
                       ws;
            float gt = hypotf(dst_xy[u0][0] - dst_xy[lo][0], dst_xy[u0][1] - dst_xy[lo][1]) / wt;
            if (gs < 1e-3f)
                continue;
            float c = clampf(1.0f - gt / gs, 0.0f, 1.0f);
            if (c <= 0.0f)
                continue;
            for (int j = 0; j < 2; j++) {
                src_xy[m][j] += 0.85f * c * (rig->src_xy[u1][j] - rig->src_xy[m][j]);
                src_xy[u1][j] += 0.5f * c * (rig->src_xy[u2][j] - rig->src_xy[u1][j]);
            }
        }
    }
}

void pa_rig_build_mesh(struct pa_rig *rig, const struct pa_image *mask)
{
    const float k = rig->k;
    for (int i = 0; i < PA_RIG_FACE; i++) {
        pa_rig_affine(rig->img_to_crop, rig->face.pts[i][0], rig->face.pts[i][1],
                      &rig->src_xy[i][0], &rig->src_xy[i][1]);
        rig->src_z[i] = rig->face.pts[i][2] * k;
    }
    float w0 =
        hypotf(rig->src_xy[33][0] - rig->src_xy[133][0], rig->src_xy[33][1] - rig->src_xy[133][1]);
    float w1 = hypotf(rig->src_xy[263][0] - rig->src_xy[362][0],
                      rig->src_xy[263][1] - rig->src_xy[362][1]);
    rig->eye_depth_offset = 0.4f * 0.5f * (w0 + w1);
    rig->n_tri = 0;
    build_skin(rig);
    build_eye(rig, 0);
    build_eye(rig, 1);
    build_lid(rig, 0);
    build_lid(rig, 1);
    rig->n_tri_inner = rig->n_tri;
    build_rings(rig, mask);
    build_regions(rig);
    build_mouth(rig);
}

/* ------------------------------------------------------------------------------------------ */
/* Posing                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Head weight of ring point (ring k, ray i): how rigidly it follows the head. */
static float head_weight(const struct pa_rig *rig, const struct pa_anim_params *p, int k, int i)
{
    float down = rig->ring_down[i];
    if (!rig->has_mask) // only the face region moves: a soft collar around the oval
        return k == 0 ? 0.5f : k == 1 && !p->stitching ? 0.15f : 0.0f;
    if (rig->ring_sil[i]) // rigid head up to its outline, background still
        return k == 0 ? 1.0f : 0.0f;
    float m = rig->ring_mask[k][i];
    if (k == 0)
        return m * (1.0f - 0.15f * down);
    if (k == 1) // shoulders and chest (rays pointing down) stay still when stitching
        return p->stitching ? 0.3f * m * (1.0f - down) : 0.8f * m;
    return p->stitching ? 0.0f : 0.6f * m;
}

static void pose_eye(const struct pa_rig *rig, int e, const float gaze[2],
                     float dst_xy[PA_RIG_NV][2], float dst_z[PA_RIG_NV])
{
    const int base = PA_RIG_V_EYE + e * PA_RIG_EYE_VERTS;
    const int ca = pa_rig_eye_corner[e][0], cb = pa_rig_eye_corner[e][1];
    /* Similarity z -> ta + (z - sa) q with complex q = (tb - ta) / (sb - sa). */
    float sx = rig->src_xy[cb][0] - rig->src_xy[ca][0],
          sy = rig->src_xy[cb][1] - rig->src_xy[ca][1];
    float tx = dst_xy[cb][0] - dst_xy[ca][0], ty = dst_xy[cb][1] - dst_xy[ca][1];
    float n2 = fmaxf(sx * sx + sy * sy, 1e-6f);
    float qr = (tx * sx + ty * sy) / n2, qi = (ty * sx - tx * sy) / n2;
    float tw = hypotf(tx, ty);
    float ex = tw > 1e-6f ? tx / tw : 1.0f, ey = tw > 1e-6f ? ty / tw : 0.0f;
    /* Gaze: x along the corner axis, y "up" = the axis turned a quarter counter-clockwise. */
    float gx = clampf(gaze[0], -0.6f, 0.6f) * 0.5f * tw,
          gy = clampf(gaze[1], -0.35f, 0.35f) * 0.5f * tw;
    float ox = gx * ex + gy * ey, oy = gx * ey - gy * ex;
    float zsum = 0;
    for (int i = 0; i < PA_RIG_EYE_LOOP; i++)
        zsum += dst_z[pa_rig_eye_loop[e][i]];
    for (int v = base; v < base + PA_RIG_EYE_VERTS; v++) {
        float dx = rig->src_xy[v][0] - rig->src_xy[ca][0],
              dy = rig->src_xy[v][1] - rig->src_xy[ca][1];
        dst_xy[v][0] = dst_xy[ca][0] + qr * dx - qi * dy;
        dst_xy[v][1] = dst_xy[ca][1] + qi * dx + qr * dy;
        int j = v - base;
        if (j < PA_RIG_EYE_LOOP) {
            dst_z[v] = dst_z[pa_rig_eye_loop[e][j]] + rig->eye_depth_offset;
        } else {
            dst_xy[v][0] += ox;
            dst_xy[v][1] += oy;
            dst_z[v] = zsum / PA_RIG_EYE_LOOP + 0.5f * rig->eye_depth_offset;
        }
    }
    /* Lid rows: the rest offset from the margin, turned and scaled with the eye. */
    const int *u0 = pa_rig_eye_upper[e], *u1 = pa_rig_eye_crease[e];
    for (int k = 0; k < PA_RIG_LID; k++) {
        int v = PA_RIG_V_LID + e * PA_RIG_LID + k;
        float dx = rig->src_xy[v][0] - rig->src_xy[u0[k]][0];
        float dy = rig->src_xy[v][1] - rig->src_xy[u0[k]][1];
        float mx = qr * dx - qi * dy, my = qi * dx + qr * dy;
        float band =
            hypotf(dst_xy[u1[k]][0] - dst_xy[u0[k]][0], dst_xy[u1[k]][1] - dst_xy[u0[k]][1]);
        float len = hypotf(mx, my), cap = 0.9f * band;
        if (len > cap && len > 0) {
            mx *= cap / len;
            my *= cap / len;
        }
        dst_xy[v][0] = dst_xy[u0[k]][0] + mx;
        dst_xy[v][1] = dst_xy[u0[k]][1] + my;
        float t = band > 0 ? fminf(len, cap) / band : LID_ROW_T;
        dst_z[v] = dst_z[u0[k]] + t * (dst_z[u1[k]] - dst_z[u0[k]]);
    }
}

void pa_rig_pose_mesh(const struct pa_rig *rig, const struct pa_anim_params *p,
                      const float canon[PA_RIG_FACE][3], const struct pa_pose *pose,
                      const float gaze[2][2], float dst_xy[PA_RIG_NV][2], float dst_z[PA_RIG_NV])
{
    const float k = rig->k;
    for (int i = 0; i < PA_RIG_FACE; i++) {
        float q[3];
        pa_pose_apply(pose, canon[i], 1, q);
        pa_rig_affine(rig->img_to_crop, q[0], q[1], &dst_xy[i][0], &dst_xy[i][1]);
        dst_z[i] = q[2] * k;
    }
    pose_eye(rig, 0, gaze[0], dst_xy, dst_z);
    pose_eye(rig, 1, gaze[1], dst_xy, dst_z);
    for (int kr = 0; kr < PA_RIG_RINGS; kr++) {
        for (int i = 0; i < PA_RIG_OVAL; i++) {
            int v = PA_RIG_V_RING + kr * PA_RIG_OVAL + i;
            float w = head_weight(rig, p, kr, i);
            float q[3], hx, hy;
            pa_pose_apply(pose, rig->ring_anchor[v - PA_RIG_V_RING], 1, q);
            pa_rig_affine(rig->img_to_crop, q[0], q[1], &hx, &hy);
            dst_xy[v][0] = rig->src_xy[v][0] + w * (hx - rig->src_xy[v][0]);
            dst_xy[v][1] = rig->src_xy[v][1] + w * (hy - rig->src_xy[v][1]);
            dst_z[v] = rig->src_z[v] + w * (q[2] * k - rig->src_z[v]);
        }
    }
    for (int j = 0; j < 4; j++) {
        int v = PA_RIG_V_CORNER + j;
        dst_xy[v][0] = rig->src_xy[v][0];
        dst_xy[v][1] = rig->src_xy[v][1];
        dst_z[v] = rig->src_z[v];
    }
}

/** @file
 * `panim convert IN OUT [--size N] [--no-align] [--normalize] [--margin M]`: prepare a
 * portrait for animation the way LivePortrait crops its source image: find the face, turn
 * the picture so the eyes are level, cut a square around the face, scale it to N×N and
 * optionally even out the exposure. Prints one line saying what was done.
 *
 * Algorithm digest.
 *  - Roll: θ = atan2 of the outer eye corners (landmarks 33 → 263). The output's x axis runs
 *    along e_u = (cos θ, sin θ), its y axis along e_v = (-sin θ, cos θ); --no-align sets θ = 0.
 *  - Crop: the 468 mesh points in (e_u, e_v) coordinates give the face box; side = M × the
 *    box's larger side (M = 2.2); the centre is the box centre moved up by 0.08 × side, so the
 *    face sits slightly below the middle with room for hair (LivePortrait's vy_ratio idea).
 *    The rotated square must lie inside the picture (no invented pixels): its axis-aligned
 *    extent is side·(|cos θ| + |sin θ|). When it does not fit, the margin shrinks around the
 *    same centre (down to 1.6, keeping the face centred); if that is not enough, the square
 *    is the largest the picture holds and moves inside. Both are reported.
 *  - Sampling: output pixel centre p maps to c + ((p.x - N/2) e_u + (p.y - N/2) e_v)·side/N,
 *    one bilinear affine warp. A shrink by more than 1.5× first area-resizes the picture
 *    (pa_image_resize) so the warp samples near 1:1 and does not alias.
 *  - Exposure (--normalize): luma Y = 0.299 R + 0.587 G + 0.114 B over the face oval
 *    (FACEMESH_FACE_OVAL polygon in the output); its 2nd..98th percentiles are stretched to
 *    16..235 by one gain g and offset o applied to R, G and B alike (so hue is kept), g
 *    limited to 0.5..3. Then the change is eased toward identity (g_t = 1 + t(g - 1),
 *    o_t = t o, largest t in [0, 1]) until at most 0.2% of the picture's channel values that
 *    were not already 0 or 255 would clip: no blown highlights or crushed shadows appear.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "animate/rig.h"
#include "app/cli.h"
#include "core/image.h"
#include "core/mem.h"

#define DEFAULT_SIZE 512
#define DEFAULT_MARGIN 2.2
#define SHIFT_UP 0.08    ///< crop centre above the face-box centre, × side
#define MIN_MARGIN 1.6   ///< the margin may shrink this far to keep the face centred
#define SHRINK_FIRST 1.5 ///< pre-resize when the warp would shrink more than this
#define MAX_CLIP_FRAC 0.002

struct convert_opts {
    const char *in, *out, *models;
    int size, align, normalize, quiet;
    double margin;
    enum pa_nn_backend backend;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: panim convert IN OUT [options]\n"
            "\n"
            "Prepare a portrait photo for animation: find the face, rotate the picture so the\n"
            "eyes are level, crop a square around the face (LivePortrait-style framing), resize\n"
            "it and save OUT as PNG or JPEG (by its extension). A picture without a face is an\n"
            "error (exit 1, nothing written).\n"
            "\n"
            "options:\n"
            "      --size N        output side in pixels (default %d)\n"
            "      --margin M      crop side = M x the face size (default %.1f)\n"
            "      --no-align      do not rotate; only crop and resize\n"
            "      --normalize     even out the exposure: stretch the face's brightness to the\n"
            "                      full video range with one gain/offset, without clipping\n"
            "      --backend auto|ref|xnnpack   neural-network backend (default auto)\n"
            "      --models DIR    model folder (default: %s)\n"
            "  -q, --quiet         print nothing on success\n",
            DEFAULT_SIZE, DEFAULT_MARGIN, pa_cli_models_dir());
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

static int parse(int argc, char **argv, struct convert_opts *o)
{
    enum { O_SIZE = 256, O_NOALIGN, O_NORM, O_MARGIN, O_BACKEND, O_MODELS };
    static const struct option lo[] = {{"size", required_argument, 0, O_SIZE},
                                       {"no-align", no_argument, 0, O_NOALIGN},
                                       {"normalize", no_argument, 0, O_NORM},
                                       {"margin", required_argument, 0, O_MARGIN},
                                       {"backend", required_argument, 0, O_BACKEND},
                                       {"models", required_argument, 0, O_MODELS},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    *o = (struct convert_opts){
        .models = pa_cli_models_dir(), .size = DEFAULT_SIZE, .align = 1, .margin = DEFAULT_MARGIN};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        switch (c) {
        case O_SIZE:
            o->size = (int)strtol(optarg, &end, 10);
            if (*end || o->size < 16 || o->size > 8192) {
                fprintf(stderr, "panim convert: --size must be 16..8192\n");
                return 2;
            }
            break;
        case O_MARGIN:
            o->margin = strtod(optarg, &end);
            if (*end || !(o->margin >= 1.0 && o->margin <= 8.0)) {
                fprintf(stderr, "panim convert: --margin must be 1..8\n");
                return 2;
            }
            break;
        case O_NOALIGN:
            o->align = 0;
            break;
        case O_NORM:
            o->normalize = 1;
            break;
        case O_BACKEND:
            if (pa_cli_parse_backend(optarg, &o->backend) < 0)
                return 2;
            break;
        case O_MODELS:
            o->models = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "panim convert: expected IN and OUT (see 'panim convert --help')\n");
        return 2;
    }
    o->in = argv[optind];
    o->out = argv[optind + 1];
    if (!ends_with(o->out, ".png") && !ends_with(o->out, ".jpg") && !ends_with(o->out, ".jpeg")) {
        fprintf(stderr, "panim convert: %s: OUT must end in .png, .jpg or .jpeg\n", o->out);
        return 2;
    }
    return 0;
}

/* The crop: centre (image pixels), side, rotation. */
struct crop {
    double cx, cy, side, cos_t, sin_t, theta_deg;
    double face; ///< the face box's larger side, pixels
    int shrunk, shifted;
};

static void plan_crop(const struct convert_opts *o, const struct pa_face_state *st, int w, int h,
                      struct crop *cr)
{
    double dx = st->pts[263][0] - st->pts[33][0], dy = st->pts[263][1] - st->pts[33][1];
    double theta = o->align ? atan2(dy, dx) : 0.0;
    cr->cos_t = cos(theta);
    cr->sin_t = sin(theta);
    cr->theta_deg = theta * 180.0 / PA_PI;
    double u0 = 1e30, u1 = -1e30, v0 = 1e30, v1 = -1e30;
    for (int i = 0; i < PA_FACE_MESH_POINTS; i++) {
        double x = st->pts[i][0], y = st->pts[i][1];
        double u = cr->cos_t * x + cr->sin_t * y, v = -cr->sin_t * x + cr->cos_t * y;
        u0 = fmin(u0, u), u1 = fmax(u1, u), v0 = fmin(v0, v), v1 = fmax(v1, v);
    }
    cr->face = fmax(u1 - u0, v1 - v0);
    double uc = 0.5 * (u0 + u1), vf = 0.5 * (v0 + v1), k = fabs(cr->cos_t) + fabs(cr->sin_t);
    /* Keep the rotated square inside the picture: first a smaller margin around the same
     * centre (down to MIN_MARGIN; the centre depends on the side through SHIFT_UP, hence the
     * few rounds), then the largest square the picture holds, moved inside. */
    cr->side = o->margin * cr->face;
    for (int round = 0; round < 4; round++) {
        double vc = vf - SHIFT_UP * cr->side;
        cr->cx = cr->cos_t * uc - cr->sin_t * vc;
        cr->cy = cr->sin_t * uc + cr->cos_t * vc;
        double room = fmin(fmin(cr->cx, w - cr->cx), fmin(cr->cy, h - cr->cy));
        double fit = 2.0 * room / k, floor_side = fmin(MIN_MARGIN * cr->face, cr->side);
        if (cr->side <= fit + 1e-6)
            break;
        cr->side = fmax(fit, floor_side);
        cr->shrunk = 1;
    }
    if (cr->side * k > fmin(w, h)) {
        cr->side = fmin(w, h) / k;
        cr->shrunk = 1;
    }
    double half = 0.5 * cr->side * k;
    double cx = fmin(fmax(cr->cx, half), w - half), cy = fmin(fmax(cr->cy, half), h - half);
    cr->shifted = fabs(cx - cr->cx) > 0.5 || fabs(cy - cr->cy) > 0.5;
    cr->cx = cx;
    cr->cy = cy;
}

/* dst pixel → src pixel matrix of the crop, for a picture scaled by (sx, sy). */
static void crop_matrix(const struct crop *cr, int n, double sx, double sy, float m[6])
{
    double s = cr->side / n, a = cr->cos_t * s, b = -cr->sin_t * s, c = cr->sin_t * s,
           d = cr->cos_t * s;
    double tx = cr->cx - (a + b) * n / 2, ty = cr->cy - (c + d) * n / 2;
    m[0] = (float)(sx * a), m[1] = (float)(sx * b), m[2] = (float)(sx * tx);
    m[3] = (float)(sy * c), m[4] = (float)(sy * d), m[5] = (float)(sy * ty);
}

static int render_crop(const struct pa_image *img, const struct crop *cr, struct pa_image *out)
{
    struct pa_image small = {0};
    const struct pa_image *src = img;
    double scale = cr->side / out->w, sx = 1.0, sy = 1.0;
    if (scale > SHRINK_FIRST) {
        int w = (int)lround(img->w / scale), h = (int)lround(img->h / scale);
        int ret = pa_image_alloc(&small, PA_MAX(w, 1), PA_MAX(h, 1), PA_PIX_RGB24);
        if (ret >= 0)
            ret = pa_image_resize(img, &small);
        if (ret < 0) {
            pa_image_free(&small);
            return ret;
        }
        sx = (double)small.w / img->w;
        sy = (double)small.h / img->h;
        src = &small;
    }
    float m[6];
    crop_matrix(cr, out->w, sx, sy, m);
    static const uint8_t black[4] = {0, 0, 0, 255};
    int ret = pa_image_warp_affine(src, out, m, black);
    pa_image_free(&small);
    return ret;
}

/* ---- exposure --------------------------------------------------------------------------- */

static int inside(const double (*poly)[2], int n, double x, double y)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        if ((poly[i][1] > y) != (poly[j][1] > y) &&
            x < (poly[j][0] - poly[i][0]) * (y - poly[i][1]) / (poly[j][1] - poly[i][1]) +
                    poly[i][0])
            in = !in;
    }
    return in;
}

static int percentile(const long hist[256], long total, double q)
{
    long want = (long)ceil(q * (double)total), acc = 0;
    for (int v = 0; v < 256; v++) {
        acc += hist[v];
        if (acc >= want && acc > 0)
            return v;
    }
    return 255;
}

/* Channel values that the map (g, o) newly clips. */
static long clipped(const long hist[256], double g, double o)
{
    long n = 0;
    for (int v = 1; v < 255; v++) {
        double y = g * v + o;
        if (y < -0.5 || y >= 255.5)
            n += hist[v];
    }
    return n;
}

struct exposure {
    int lo, hi, applied;
    double gain, offset, t;
};

static void normalize(struct pa_image *img, const struct pa_face_state *st, const struct crop *cr,
                      struct exposure *ex)
{
    /* The face oval in output pixels. */
    double poly[PA_RIG_OVAL][2], s = img->w / cr->side;
    for (int i = 0; i < PA_RIG_OVAL; i++) {
        double dx = st->pts[pa_rig_oval[i]][0] - cr->cx, dy = st->pts[pa_rig_oval[i]][1] - cr->cy;
        poly[i][0] = (cr->cos_t * dx + cr->sin_t * dy) * s + img->w / 2.0;
        poly[i][1] = (-cr->sin_t * dx + cr->cos_t * dy) * s + img->h / 2.0;
    }
    long face[256] = {0}, all[256] = {0}, n_face = 0;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *p = pa_image_px(img, 0, y);
        for (int x = 0; x < img->w; x++, p += 3) {
            all[p[0]]++, all[p[1]]++, all[p[2]]++;
            if (inside(poly, PA_RIG_OVAL, x + 0.5, y + 0.5)) {
                face[(299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000]++;
                n_face++;
            }
        }
    }
    *ex = (struct exposure){0};
    if (n_face < 100)
        return;
    ex->lo = percentile(face, n_face, 0.02);
    ex->hi = percentile(face, n_face, 0.98);
    if (ex->hi - ex->lo < 8)
        return; /* a flat region: stretching would only amplify noise */
    double g = fmin(fmax(219.0 / (ex->hi - ex->lo), 0.5), 3.0);
    double o = 125.5 - g * 0.5 * (ex->lo + ex->hi);
    long total = 0;
    for (int v = 1; v < 255; v++)
        total += all[v];
    double t = 1.0;
    if (clipped(all, g, o) > MAX_CLIP_FRAC * (double)total) {
        double a = 0.0, b = 1.0; /* clipping grows with t: bisect for the largest allowed */
        for (int i = 0; i < 30; i++) {
            double mid = 0.5 * (a + b);
            if (clipped(all, 1 + mid * (g - 1), mid * o) > MAX_CLIP_FRAC * (double)total)
                b = mid;
            else
                a = mid;
        }
        t = a;
    }
    ex->t = t;
    ex->gain = 1 + t * (g - 1);
    ex->offset = t * o;
    uint8_t lut[256];
    for (int v = 0; v < 256; v++) {
        double y = floor(ex->gain * v + ex->offset + 0.5);
        lut[v] = (uint8_t)(y < 0 ? 0 : y > 255 ? 255 : y);
    }
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = pa_image_px(img, 0, y);
        for (int x = 0; x < 3 * img->w; x++)
            p[x] = lut[p[x]];
    }
    ex->applied = 1;
}

/* ---- command ---------------------------------------------------------------------------- */

static int run(int argc, char **argv)
{
    struct convert_opts o;
    int ret = parse(argc, argv, &o);
    if (ret)
        return ret;
    struct pa_image img = {0}, out = {0};
    struct pa_tracker *tr = NULL;
    struct pa_face_state *st = pa_calloc(1, sizeof(*st));
    int status = 1;
    if (!st)
        goto done;
    if (pa_image_load(&img, o.in) < 0 || pa_cli_check_models(o.models, 478) < 0)
        goto done;
    struct pa_tracker_params tp = pa_tracker_default_params();
    tp.backend = o.backend;
    tp.smooth = 0;
    tp.detect_every_frame = 1;
    if (pa_tracker_create(&tr, o.models, &tp, NULL) < 0 ||
        pa_tracker_process(tr, &img, 0.0, st) < 0)
        goto done;
    if (!st->found) {
        fprintf(stderr, "panim convert: %s: no face found (nothing written)\n", o.in);
        goto done;
    }
    struct crop cr = {0};
    plan_crop(&o, st, img.w, img.h, &cr);
    struct exposure ex = {0};
    if (pa_image_alloc(&out, o.size, o.size, PA_PIX_RGB24) < 0 || render_crop(&img, &cr, &out) < 0)
        goto done;
    if (o.normalize)
        normalize(&out, st, &cr, &ex);
    if (pa_image_save(&out, o.out, 95) < 0)
        goto done;
    status = 0;
    if (o.quiet)
        goto done;
    printf("%s: face found (score %.2f); ", o.in, st->score);
    if (o.align) /* image y points down: a positive eye-line angle is a clockwise tilt */
        printf("rotated %.1f deg %sclockwise to level the eyes; ", fabs(cr.theta_deg),
               cr.theta_deg > 0 ? "counter-" : "");
    printf("cropped %.0fx%.0f px around (%.0f, %.0f), margin %.2f%s%s; resized to %dx%d; ", cr.side,
           cr.side, cr.cx, cr.cy, cr.side / cr.face,
           cr.shrunk ? " (reduced to fit the picture)" : "",
           cr.shifted ? " (moved to stay inside the picture)" : "", o.size, o.size);
    if (o.normalize && ex.applied)
        printf("exposure: face luma 2..98%% = %d..%d, gain %.2f offset %+.1f%s; ", ex.lo, ex.hi,
               ex.gain, ex.offset, ex.t < 1.0 ? " (eased to avoid clipping)" : "");
    else if (o.normalize)
        printf("exposure: unchanged (face region too small or flat); ");
    printf("saved %s\n", o.out);
done:
    pa_tracker_destroy(tr);
    pa_image_free(&img);
    pa_image_free(&out);
    pa_free(st);
    return status;
}

const struct pa_cli_command pa_cmd_convert = {
    .name = "convert",
    .summary = "prepare a portrait: find the face, level the eyes, square crop, resize",
    .run = run,
};

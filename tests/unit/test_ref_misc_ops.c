/** @file
 * Reference kernels other than the convolutions: ADD/MUL/PRELU broadcasting, unary
 * activations, pools, PAD, CONCATENATION, STRIDED_SLICE, RESIZE_BILINEAR and RESHAPE. Each
 * is compared with a direct per-element formula written here (double precision) on random
 * shapes at 1 and 2 threads, plus known answers: average pooling at a padded border and
 * TFLite's own RESIZE_BILINEAR test values (tensorflow/lite/kernels/resize_bilinear_test.cc)
 * and a 2x2 -> 4x4 resize worked out by hand for each coordinate mode. Element-wise ops are
 * also run in place (output buffer = input 0), as the memory plan may arrange.
 */
#include "ref_test_util.h"

/* Index into `t` (right-aligned to 4 dims, size-1 dims repeating) of output index idx. */
static size_t bcast_index(const struct pa_tensor *t, const int idx[4])
{
    size_t off = 0;
    for (int d = 0; d < t->ndim; d++) {
        int od = 4 - t->ndim + d;
        off = off * (size_t)t->dims[d] + (size_t)(t->dims[d] == 1 ? 0 : idx[od]);
    }
    return off;
}

/* Fill idx with the 4-D index of flat element i of a [d0,d1,d2,d3] tensor. */
static void unflatten(size_t i, const int *dims, int idx[4])
{
    for (int d = 3; d >= 0; d--) {
        idx[d] = (int)(i % (size_t)dims[d]);
        i /= (size_t)dims[d];
    }
}

/* A random operand shape that broadcasts to out [1,H,W,C]; ndim 0 is a scalar. */
static int bcast_operand(struct tcase *c, const int *od)
{
    const int H = od[1], W = od[2], C = od[3];
    const int shapes[][5] = {
        {4, 1, H, W, C}, {1, C, 0, 0, 0}, {4, 1, 1, 1, C}, {3, 1, 1, C, 0}, {0, 0, 0, 0, 0},
        {1, 1, 0, 0, 0}, {4, 1, H, W, 1}, {4, 1, 1, W, C}, {3, H, 1, C, 0}, {4, 1, H, 1, 1},
    };
    const int *s = shapes[irand(0, (int)PA_ARRAY_SIZE(shapes) - 1)];
    return tensor(c, s[0], s + 1);
}

static void binary_case(enum pa_op op, struct pa_parallel *par)
{
    struct tcase c;
    tc_init(&c, op);
    const int big = irand(0, 3) == 0;
    const int od[4] = {1, irand(1, big ? 40 : 9), irand(1, big ? 40 : 9), irand(1, 24)};
    int a = bcast_operand(&c, od), b = bcast_operand(&c, od);
    if (irand(0, 1)) // a full-shape first operand is the common case; vary which is small
        a = tensor(&c, 4, od);
    if (op == PA_OP_PRELU) {
        a = tensor(&c, 4, od); // PRELU output = input shape; alpha broadcasts
        for (size_t i = 0; i < c.t[a].count; i++)
            c.ptr[a][i] *= 4.0f;
    } else {
        c.n.p.activation = rand_act();
    }
    add_in(&c, a);
    add_in(&c, b);
    add_out(&c, tensor(&c, 4, od));
    const size_t n = c.t[c.n.out[0]].count;
    double *want = dalloc(n);
    for (size_t i = 0; i < n; i++) {
        int idx[4];
        unflatten(i, od, idx);
        double x = c.ptr[a][bcast_index(&c.t[a], idx)], y = c.ptr[b][bcast_index(&c.t[b], idx)];
        double v = op == PA_OP_ADD ? x + y : op == PA_OP_MUL ? x * y : (x >= 0 ? x : y * x);
        want[i] = act(v, c.n.p.activation);
    }
    run_check(&c, par, want, NULL);
    free(want);
    tc_free(&c);
}

PA_TEST(add_mul_prelu_broadcast_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 80; it++) {
        binary_case(PA_OP_ADD, par);
        binary_case(PA_OP_MUL, par);
        binary_case(PA_OP_PRELU, par);
    }
    pa_parallel_destroy(par);
}

static double unary_ref(enum pa_op op, double x)
{
    switch (op) {
    case PA_OP_RELU:
        return x > 0 ? x : 0;
    case PA_OP_RELU6:
        return x < 0 ? 0 : x > 6 ? 6 : x;
    case PA_OP_LOGISTIC:
        return 1.0 / (1.0 + exp(-x));
    default:
        return x * (x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3) / 6; // HARD_SWISH
    }
}

PA_TEST(unary_activations_vs_naive)
{
    struct pa_parallel *par = make_pool();
    const enum pa_op ops[] = {PA_OP_RELU, PA_OP_RELU6, PA_OP_LOGISTIC, PA_OP_HARD_SWISH};
    for (int it = 0; it < 40; it++) {
        struct tcase c;
        tc_init(&c, ops[it % 4]);
        const int d[3] = {irand(1, 30), irand(1, 40), irand(1, 33)};
        add_in(&c, tensor(&c, 3, d));
        add_out(&c, tensor(&c, 3, d));
        const size_t n = c.t[0].count;
        double *want = dalloc(n);
        for (size_t i = 0; i < n; i++) {
            c.ptr[0][i] *= 10.0f; // cover both clamps of RELU6 and HARD_SWISH
            want[i] = unary_ref(c.n.op, c.ptr[0][i]);
        }
        run_check(&c, par, want, NULL);
        free(want);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

PA_TEST(unary_known_answers)
{
    const float x[6] = {-4, -3, -1.5f, 0, 1, 3};
    const double hswish[6] = {0, 0, -0.375, 0, 4.0 / 6.0, 3};
    const double logistic[6] = {0.01798620996, 0.04742587318, 0.18242552381, 0.5,
                                0.73105857863, 0.95257412682};
    for (int k = 0; k < 2; k++) {
        struct tcase c;
        tc_init(&c, k ? PA_OP_LOGISTIC : PA_OP_HARD_SWISH);
        const int d[1] = {6};
        add_in(&c, tensor(&c, 1, d));
        add_out(&c, tensor(&c, 1, d));
        memcpy(c.ptr[0], x, sizeof(x));
        run(&c, NULL);
        ASSERT_ARRAY_NEAR(c.ptr[1], k ? logistic : hswish, 6, 1e-6);
        tc_free(&c);
    }
}

/* The memory plan may give an element-wise op's output the buffer of its input 0. */
PA_TEST(elementwise_in_place)
{
    struct pa_parallel *par = make_pool();
    const enum pa_op ops[] = {PA_OP_ADD, PA_OP_MUL, PA_OP_PRELU, PA_OP_RELU, PA_OP_RELU6,
                              PA_OP_LOGISTIC, PA_OP_HARD_SWISH};
    for (size_t k = 0; k < 2 * PA_ARRAY_SIZE(ops); k++) {
        const enum pa_op op = ops[k % PA_ARRAY_SIZE(ops)];
        const bool unary = op != PA_OP_ADD && op != PA_OP_MUL && op != PA_OP_PRELU;
        struct tcase c;
        tc_init(&c, op);
        const int d[4] = {1, 33, 41, 24}, cd[1] = {24};
        add_in(&c, tensor(&c, 4, d));
        if (!unary)
            add_in(&c, k < PA_ARRAY_SIZE(ops) ? tensor(&c, 1, cd) : tensor(&c, 4, d));
        add_out(&c, tensor(&c, 4, d));
        /* Expected values from a separate out-of-place run. */
        run(&c, NULL);
        const size_t n = c.t[0].count;
        double *want = dalloc(n);
        for (size_t i = 0; i < n; i++)
            want[i] = c.ptr[c.n.out[0]][i];
        float *own_out = c.ptr[c.n.out[0]];
        c.ptr[c.n.out[0]] = c.ptr[0];
        pa_ref_kernel(op)(&c.g, &c.n, c.ptr, k % 2 ? par : NULL);
        for (size_t i = 0; i < n; i++)
            ASSERT_NEAR(c.ptr[0][i], want[i], 1e-6);
        c.ptr[c.n.out[0]] = own_out;
        free(want);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

/* ---- pools ------------------------------------------------------------------------------ */

static void pool_case(bool is_max, struct pa_parallel *par)
{
    struct tcase c;
    tc_init(&c, is_max ? PA_OP_MAX_POOL_2D : PA_OP_AVERAGE_POOL_2D);
    struct pa_op_params *p = &c.n.p;
    p->padding = irand(0, 1) ? PA_PAD_SAME : PA_PAD_VALID;
    p->filter_h = irand(1, 4);
    p->filter_w = irand(1, 4);
    p->stride_h = irand(1, 3);
    p->stride_w = irand(1, 3);
    p->activation = rand_act();
    int h = irand(p->filter_h, 30), w = irand(p->filter_w, 30), ch = irand(1, 40);
    int oh = out_size(h, p->filter_h, p->stride_h, 1, p->padding);
    int ow = out_size(w, p->filter_w, p->stride_w, 1, p->padding);
    int pt = pad_before(h, oh, p->filter_h, p->stride_h, 1, p->padding);
    int pl = pad_before(w, ow, p->filter_w, p->stride_w, 1, p->padding);
    add_in(&c, tensor4(&c, 1, h, w, ch));
    add_out(&c, tensor4(&c, 1, oh, ow, ch));
    double *want = dalloc(c.t[1].count);
    const float *X = c.ptr[0];
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int k = 0; k < ch; k++) {
                double s = 0, m = -INFINITY;
                int cnt = 0;
                for (int fy = 0; fy < p->filter_h; fy++)
                    for (int fx = 0; fx < p->filter_w; fx++) {
                        int y = oy * p->stride_h - pt + fy, x = ox * p->stride_w - pl + fx;
                        if (y < 0 || y >= h || x < 0 || x >= w)
                            continue;
                        double v = X[((size_t)y * w + x) * ch + k];
                        s += v;
                        m = v > m ? v : m;
                        cnt++;
                    }
                want[((size_t)oy * ow + ox) * ch + k] = act(is_max ? m : s / cnt, p->activation);
            }
    run_check(&c, par, want, NULL);
    free(want);
    tc_free(&c);
}

PA_TEST(pools_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 50; it++) {
        pool_case(true, par);
        pool_case(false, par);
    }
    pa_parallel_destroy(par);
}

/* 3x3 ramp 1..9: average pools divide by the valid (non-padded) count, as TFLite does. */
PA_TEST(average_pool_known_answer_padded_border)
{
    static const double f2s2[4] = {3, 4.5, 7.5, 9};               // 2x2/2 SAME: pad after
    static const double f3s1[9] = {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}; // 3x3/1 SAME
    for (int k = 0; k < 2; k++) {
        struct tcase c;
        tc_init(&c, PA_OP_AVERAGE_POOL_2D);
        c.n.p.padding = PA_PAD_SAME;
        c.n.p.filter_h = c.n.p.filter_w = k ? 3 : 2;
        c.n.p.stride_h = c.n.p.stride_w = k ? 1 : 2;
        add_in(&c, tensor4(&c, 1, 3, 3, 1));
        add_out(&c, tensor4(&c, 1, k ? 3 : 2, k ? 3 : 2, 1));
        for (int i = 0; i < 9; i++)
            c.ptr[0][i] = (float)(i + 1);
        run(&c, NULL);
        ASSERT_ARRAY_NEAR(c.ptr[1], k ? f3s1 : f2s2, k ? 9 : 4, 1e-6);
        tc_free(&c);
    }
}

/* ---- data movement ----------------------------------------------------------------------- */

PA_TEST(pad_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 40; it++) {
        struct tcase c;
        tc_init(&c, PA_OP_PAD);
        const bool big = it % 4 == 0; // large enough to be split over 2 threads
        const int nd = big ? 4 : irand(1, 4);
        int id[4] = {1, 1, 1, 1}, od[4] = {1, 1, 1, 1}, in[4], on[4];
        for (int d = 0; d < nd; d++) {
            in[d] = big ? irand(d ? 20 : 1, d ? 40 : 2) : irand(1, d == 0 && nd == 4 ? 2 : 20);
            c.n.p.pad[d][0] = irand(0, 3);
            c.n.p.pad[d][1] = irand(0, 3);
            on[d] = in[d] + c.n.p.pad[d][0] + c.n.p.pad[d][1];
            id[4 - nd + d] = in[d];
            od[4 - nd + d] = on[d];
        }
        add_in(&c, tensor(&c, nd, in));
        add_out(&c, tensor(&c, nd, on));
        double *want = dalloc(c.t[1].count);
        for (size_t i = 0; i < c.t[1].count; i++) {
            int idx[4];
            unflatten(i, od, idx);
            size_t src = 0;
            bool inside = true;
            for (int d = 0; d < 4; d++) {
                int before = d >= 4 - nd ? c.n.p.pad[d - (4 - nd)][0] : 0;
                int j = idx[d] - before;
                inside = inside && j >= 0 && j < id[d];
                src = src * (size_t)id[d] + (size_t)(inside ? j : 0);
            }
            want[i] = inside ? c.ptr[0][src] : 0.0;
        }
        run_check(&c, par, want, NULL);
        free(want);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

PA_TEST(concatenation_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 40; it++) {
        struct tcase c;
        tc_init(&c, PA_OP_CONCATENATION);
        const bool big = it % 4 == 0; // large enough to be split over 2 threads
        const int nd = big ? 3 : irand(1, 4), axis = irand(big, nd - 1), k = irand(1, 4);
        c.n.p.axis = axis;
        c.n.p.activation = irand(0, 3) == 0 ? PA_ACT_RELU : PA_ACT_NONE;
        int base[4] = {1, 1, 1, 1}, od[4] = {1, 1, 1, 1}, start[5] = {0};
        for (int d = 0; d < nd; d++)
            base[d] = big ? irand(20, 40) : irand(1, 12);
        for (int i = 0; i < k; i++) {
            int dims[4];
            memcpy(dims, base, sizeof(dims));
            dims[axis] = big ? irand(10, 20) : irand(1, 7);
            add_in(&c, tensor(&c, nd, dims));
            start[i + 1] = start[i] + dims[axis];
        }
        memcpy(od + 4 - nd, base, (size_t)nd * sizeof(int));
        od[4 - nd + axis] = start[k];
        add_out(&c, tensor(&c, nd, od + 4 - nd));
        double *want = dalloc(c.t[k].count);
        for (size_t e = 0; e < c.t[k].count; e++) {
            int idx[4], a = 4 - nd + axis, i = 0;
            unflatten(e, od, idx);
            while (idx[a] >= start[i + 1])
                i++;
            idx[a] -= start[i];
            want[e] = act(c.ptr[i][bcast_index(&c.t[i], idx)], c.n.p.activation);
        }
        run_check(&c, par, want, NULL);
        free(want);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

PA_TEST(strided_slice_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 60; it++) {
        struct tcase c;
        tc_init(&c, PA_OP_STRIDED_SLICE);
        const bool big = it % 4 == 0; // large enough to be split over 2 threads
        const int nd = big ? 4 : irand(1, 4);
        int in[4], on[4];
        for (int d = 0; d < nd; d++) {
            in[d] = big ? irand(20, 40) : irand(1, 16);
            int s = big && d < 3 ? 1 : irand(0, 3) == 0 ? -irand(1, 3) : irand(1, 3);
            int b = irand(0, in[d] - 1), e = s > 0 ? irand(b + 1, in[d]) : irand(-1, b - 1);
            c.n.p.begin[d] = b;
            c.n.p.end[d] = e;
            c.n.p.strides[d] = s;
            on[d] = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
        }
        add_in(&c, tensor(&c, nd, in));
        add_out(&c, tensor(&c, nd, on));
        double *want = dalloc(c.t[1].count);
        for (size_t i = 0; i < c.t[1].count; i++) {
            size_t rest = i, src = 0, mul = 1;
            for (int d = nd - 1; d >= 0; d--) {
                int o = (int)(rest % (size_t)on[d]);
                rest /= (size_t)on[d];
                src += (size_t)(c.n.p.begin[d] + o * c.n.p.strides[d]) * mul;
                mul *= (size_t)in[d];
            }
            want[i] = c.ptr[0][src];
        }
        run_check(&c, par, want, NULL);
        free(want);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

PA_TEST(reshape_copies)
{
    struct tcase c;
    tc_init(&c, PA_OP_RESHAPE);
    add_in(&c, tensor4(&c, 1, 6, 5, 7));
    const int d[2] = {30, 7};
    add_out(&c, tensor(&c, 2, d));
    run(&c, NULL);
    ASSERT_ARRAY_NEAR(c.ptr[1], c.ptr[0], 210, 0);
    tc_free(&c);
}

/* ---- resize bilinear ----------------------------------------------------------------------- */

/* TFLite's float formula, evaluated in double from the same float scale. */
static double resize_ref(const struct tcase *c, int oy, int ox, int k)
{
    const struct pa_tensor *x = &c->t[0], *y = &c->t[1];
    const int h = x->dims[1], w = x->dims[2], ch = x->dims[3], oh = y->dims[1], ow = y->dims[2];
    const bool ac = c->n.p.align_corners, hp = c->n.p.half_pixel_centers;
    const double sy = ac && oh > 1 ? (float)(h - 1) / (float)(oh - 1) : (float)h / (float)oh;
    const double sx = ac && ow > 1 ? (float)(w - 1) / (float)(ow - 1) : (float)w / (float)ow;
    const double fy = hp ? (oy + 0.5) * sy - 0.5 : oy * sy;
    const double fx = hp ? (ox + 0.5) * sx - 0.5 : ox * sx;
    const int y0 = fy < 0 ? 0 : (int)floor(fy), x0 = fx < 0 ? 0 : (int)floor(fx);
    const int y1 = PA_MIN((int)ceil(fy), h - 1), x1 = PA_MIN((int)ceil(fx), w - 1);
    const float *X = c->ptr[0];
#define AT(yy, xx) ((double)X[((size_t)(yy) * w + (xx)) * ch + k])
    const double dy = fy - y0, dx = fx - x0;
    return AT(y0, x0) * (1 - dy) * (1 - dx) + AT(y1, x0) * dy * (1 - dx) +
           AT(y0, x1) * (1 - dy) * dx + AT(y1, x1) * dy * dx;
#undef AT
}

PA_TEST(resize_bilinear_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 60; it++) {
        struct tcase c;
        tc_init(&c, PA_OP_RESIZE_BILINEAR);
        const int mode = it % 3; // plain, align_corners, half_pixel_centers
        c.n.p.align_corners = mode == 1;
        c.n.p.half_pixel_centers = mode == 2;
        int h = irand(1, 12), w = irand(1, 12), ch = irand(1, 20);
        int oh = irand(1, 40), ow = irand(1, 40);
        add_in(&c, tensor4(&c, 1, h, w, ch));
        add_out(&c, tensor4(&c, 1, oh, ow, ch));
        double *want = dalloc(c.t[1].count);
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int k = 0; k < ch; k++)
                    want[((size_t)oy * ow + ox) * ch + k] = resize_ref(&c, oy, ox, k);
        run_check(&c, par, want, NULL);
        free(want);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

static void resize_known(int h, int w, const float *in, int oh, int ow, int mode,
                         const double *want)
{
    struct tcase c;
    tc_init(&c, PA_OP_RESIZE_BILINEAR);
    c.n.p.align_corners = mode == 1;
    c.n.p.half_pixel_centers = mode == 2;
    add_in(&c, tensor4(&c, 1, h, w, 1));
    add_out(&c, tensor4(&c, 1, oh, ow, 1));
    memcpy(c.ptr[0], in, (size_t)(h * w) * sizeof(float));
    run(&c, NULL);
    ASSERT_ARRAY_NEAR(c.ptr[1], want, oh * ow, 1e-5);
    tc_free(&c);
}

PA_TEST(resize_bilinear_known_answers)
{
    /* From TFLite's resize_bilinear_test.cc (TwoDimensionalResize, ..._HalfPixelCenters). */
    const float a[4] = {3, 6, 9, 12}, b[4] = {1, 2, 3, 4};
    const double a33[9] = {3, 5, 6, 7, 9, 10, 9, 11, 12};
    const double b33hp[9] = {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4};
    resize_known(2, 2, a, 3, 3, 0, a33);
    resize_known(2, 2, b, 3, 3, 2, b33hp);
    /* 2x2 -> 4x4 by hand. Plain: source coordinates 0, .5, 1, 1.5 (the last clamps to 1).
     * Half-pixel: -.25, .25, .75, 1.25 (clamped at both ends). Align corners: 0, 1/3, 2/3, 1. */
    const double plain[16] = {3, 4.5, 6, 6, 6, 7.5, 9, 9, 9, 10.5, 12, 12, 9, 10.5, 12, 12};
    const double half[16] = {3,   3.75, 5.25, 6,    4.5, 5.25, 6.75,  7.5,
                             7.5, 8.25, 9.75, 10.5, 9,   9.75, 11.25, 12};
    const double corners[16] = {3, 4, 5, 6, 5, 6, 7, 8, 7, 8, 9, 10, 9, 10, 11, 12};
    resize_known(2, 2, a, 4, 4, 0, plain);
    resize_known(2, 2, a, 4, 4, 2, half);
    resize_known(2, 2, a, 4, 4, 1, corners);
}

PA_TEST_MAIN()

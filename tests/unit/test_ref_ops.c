/** @file
 * Reference convolution kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) and the
 * dispatch table. Each kernel is compared with a slow direct-formula sum written here in
 * double precision, on random shapes and parameters (strides 1/2, dilation, SAME/VALID, odd
 * sizes, absent bias, fused activations, reductions longer than one packed chunk), at 1 and
 * 2 threads; plus hand-computed answers (a 3x3 conv on a 4x4 ramp, depth multiplier 2).
 * The other ops are in test_ref_misc_ops.c.
 */
#include "ref_test_util.h"

/* ---- convolution family ------------------------------------------------------------------- */

/* Direct sum over the filter window; dw: filter [1,KH,KW,C], channel c reads c / mult. */
static void naive_conv(const struct tcase *c, bool dw, double *want, double *mag)
{
    const struct pa_tensor *x = &c->t[c->n.in[0]], *w = &c->t[c->n.in[1]];
    const struct pa_tensor *y = &c->t[c->n.out[0]];
    const float *X = c->ptr[c->n.in[0]], *W = c->ptr[c->n.in[1]];
    const float *B = c->n.n_in > 2 && c->n.in[2] >= 0 ? c->ptr[c->n.in[2]] : NULL;
    const struct pa_op_params *p = &c->n.p;
    int H = x->dims[1], Wd = x->dims[2], I = x->dims[3];
    int OH = y->dims[1], OW = y->dims[2], O = y->dims[3], KH = w->dims[1], KW = w->dims[2];
    int pt = pad_before(H, OH, KH, p->stride_h, p->dilation_h, p->padding);
    int pl = pad_before(Wd, OW, KW, p->stride_w, p->dilation_w, p->padding);
    int mult = O / I;
    size_t idx = 0;
    for (int b = 0; b < y->dims[0]; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int o = 0; o < O; o++, idx++) {
                    double s = B ? B[o] : 0.0, m = fabs(s);
                    for (int ky = 0; ky < KH; ky++)
                        for (int kx = 0; kx < KW; kx++) {
                            int iy = oy * p->stride_h - pt + ky * p->dilation_h;
                            int ix = ox * p->stride_w - pl + kx * p->dilation_w;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= Wd)
                                continue;
                            const float *xp = X + (((size_t)b * H + iy) * Wd + ix) * I;
                            if (dw) {
                                double t = (double)xp[o / mult] * W[(ky * KW + kx) * O + o];
                                s += t;
                                m += fabs(t);
                                continue;
                            }
                            for (int i = 0; i < I; i++) {
                                double t = (double)xp[i] * W[((o * KH + ky) * KW + kx) * I + i];
                                s += t;
                                m += fabs(t);
                            }
                        }
                    want[idx] = act(s, p->activation);
                    mag[idx] = m;
                }
}

/* Build a random conv or depthwise case with the given channel counts and kernel size. */
static void conv_case(struct tcase *c, bool dw, int h, int w, int ci, int co, int kh, int kw)
{
    tc_init(c, dw ? PA_OP_DEPTHWISE_CONV_2D : PA_OP_CONV_2D);
    struct pa_op_params *p = &c->n.p;
    p->padding = irand(0, 1) ? PA_PAD_SAME : PA_PAD_VALID;
    p->stride_h = irand(1, 2);
    p->stride_w = irand(1, 2);
    p->dilation_h = irand(0, 3) == 0 ? 2 : 1;
    p->dilation_w = irand(0, 3) == 0 ? 2 : 1;
    p->activation = rand_act();
    /* VALID needs the dilated filter to fit. */
    h = PA_MAX(h, (kh - 1) * p->dilation_h + 1);
    w = PA_MAX(w, (kw - 1) * p->dilation_w + 1);
    int oh = out_size(h, kh, p->stride_h, p->dilation_h, p->padding);
    int ow = out_size(w, kw, p->stride_w, p->dilation_w, p->padding);
    add_in(c, tensor4(c, 1, h, w, ci));
    add_in(c, dw ? tensor4(c, 1, kh, kw, co) : tensor4(c, co, kh, kw, ci));
    if (irand(0, 3) == 0) {
        c->n.in[c->n.n_in++] = -1; // absent bias
    } else {
        const int d[1] = {co};
        add_in(c, tensor(c, 1, d));
    }
    add_out(c, tensor4(c, 1, oh, ow, co));
}

static void conv_check(struct tcase *c, struct pa_parallel *par)
{
    const size_t n = c->t[c->n.out[0]].count;
    double *want = dalloc(n), *mag = dalloc(n);
    naive_conv(c, c->n.op == PA_OP_DEPTHWISE_CONV_2D, want, mag);
    run_check(c, par, want, mag);
    free(want);
    free(mag);
    tc_free(c);
}

PA_TEST(conv2d_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 60; it++) {
        struct tcase c;
        int k = irand(0, 2) == 0 ? 1 : 2 * irand(0, 2) + 1; // 1x1 (common), 1, 3, 5
        int kw = irand(0, 4) == 0 ? irand(1, 4) : k;        // sometimes non-square
        conv_case(&c, false, irand(1, 17), irand(1, 17), irand(1, 37), irand(1, 41), k, kw);
        conv_check(&c, par);
    }
    pa_parallel_destroy(par);
}

PA_TEST(conv2d_large_reduction_chunks)
{
    /* K = taps * I beyond one packed chunk: whole-tap chunks, then input-channel chunks
     * (with padded taps inside a chunk), and a non-multiple-of-16 output count. */
    struct pa_parallel *par = make_pool();
    const int shapes[][6] = {{7, 6, 200, 21, 3, 3}, {5, 4, 1100, 19, 3, 3}, {6, 5, 1500, 3, 1, 1},
                             {9, 9, 64, 130, 5, 5}};
    for (size_t s = 0; s < PA_ARRAY_SIZE(shapes); s++) {
        struct tcase c;
        const int *v = shapes[s];
        conv_case(&c, false, v[0], v[1], v[2], v[3], v[4], v[5]);
        conv_check(&c, par);
    }
    pa_parallel_destroy(par);
}

PA_TEST(depthwise_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 60; it++) {
        struct tcase c;
        int k = 2 * irand(0, 2) + 1;
        int ci = irand(1, 40), mult = irand(0, 3) == 0 ? irand(2, 3) : 1;
        conv_case(&c, true, irand(1, 25), irand(1, 25), ci, ci * mult, k,
                  irand(0, 4) == 0 ? 2 : k);
        c.n.p.depth_multiplier = mult;
        conv_check(&c, par);
    }
    pa_parallel_destroy(par);
}

PA_TEST(fully_connected_random_vs_naive)
{
    struct pa_parallel *par = make_pool();
    for (int it = 0; it < 30; it++) {
        struct tcase c;
        tc_init(&c, PA_OP_FULLY_CONNECTED);
        c.n.p.activation = rand_act();
        int rows = irand(1, it % 3 ? 9 : 40), ci = irand(1, 300), co = irand(1, 70);
        const int xd[2] = {rows, ci}, wd[2] = {co, ci}, bd[1] = {co}, yd[2] = {rows, co};
        add_in(&c, tensor(&c, 2, xd));
        add_in(&c, tensor(&c, 2, wd));
        if (irand(0, 2) == 0)
            c.n.in[c.n.n_in++] = -1;
        else
            add_in(&c, tensor(&c, 1, bd));
        add_out(&c, tensor(&c, 2, yd));
        double *want = dalloc((size_t)rows * co), *mag = dalloc((size_t)rows * co);
        const float *X = c.ptr[0], *W = c.ptr[1];
        const float *B = c.n.in[2] >= 0 ? c.ptr[c.n.in[2]] : NULL;
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < co; o++) {
                double s = B ? B[o] : 0, m = fabs(s);
                for (int i = 0; i < ci; i++) {
                    s += (double)X[r * ci + i] * W[o * ci + i];
                    m += fabs((double)X[r * ci + i] * W[o * ci + i]);
                }
                want[r * co + o] = act(s, c.n.p.activation);
                mag[r * co + o] = m;
            }
        run_check(&c, par, want, mag);
        free(want);
        free(mag);
        tc_free(&c);
    }
    pa_parallel_destroy(par);
}

/* 3x3 all-ones filter over in[y][x] = 4y + x: each output is its clipped window's sum. */
PA_TEST(conv2d_known_answer_ramp)
{
    static const double same1[16] = {10, 18, 24, 18, 27, 45, 54, 39,
                                     51, 81, 90, 63, 42, 66, 72, 50};
    /* Stride 2 SAME: total pad 1, all of it after (TFLite puts the smaller half before). */
    static const double same2[4] = {45, 39, 66, 50};
    static const double valid2[1] = {45};
    const struct {
        enum pa_padding pad;
        int stride, out;
        const double *want;
    } cases[] = {{PA_PAD_SAME, 1, 4, same1}, {PA_PAD_SAME, 2, 2, same2},
                 {PA_PAD_VALID, 2, 1, valid2}};
    for (size_t k = 0; k < PA_ARRAY_SIZE(cases); k++) {
        struct tcase c;
        tc_init(&c, PA_OP_CONV_2D);
        c.n.p.padding = cases[k].pad;
        c.n.p.stride_h = c.n.p.stride_w = cases[k].stride;
        add_in(&c, tensor4(&c, 1, 4, 4, 1));
        add_in(&c, tensor4(&c, 1, 3, 3, 1));
        c.n.in[c.n.n_in++] = -1;
        add_out(&c, tensor4(&c, 1, cases[k].out, cases[k].out, 1));
        for (int i = 0; i < 16; i++)
            c.ptr[0][i] = (float)i;
        for (int i = 0; i < 9; i++)
            c.ptr[1][i] = 1.0f;
        run(&c, NULL);
        ASSERT_ARRAY_NEAR(c.ptr[2], cases[k].want, cases[k].out * cases[k].out, 1e-5);
        tc_free(&c);
    }
}

/* Depth multiplier 2 on one pixel: out channel c = i*2 + m reads input channel i. */
PA_TEST(depthwise_known_answer_multiplier)
{
    struct tcase c;
    tc_init(&c, PA_OP_DEPTHWISE_CONV_2D);
    c.n.p.padding = PA_PAD_VALID;
    c.n.p.depth_multiplier = 2;
    add_in(&c, tensor4(&c, 1, 1, 1, 2));
    add_in(&c, tensor4(&c, 1, 1, 1, 4));
    const int bd[1] = {4};
    add_in(&c, tensor(&c, 1, bd));
    add_out(&c, tensor4(&c, 1, 1, 1, 4));
    const float x[2] = {2, 3}, w[4] = {1, 10, 100, 1000}, b[4] = {0.5f, 0, 0, -1};
    memcpy(c.ptr[0], x, sizeof(x));
    memcpy(c.ptr[1], w, sizeof(w));
    memcpy(c.ptr[2], b, sizeof(b));
    run(&c, NULL);
    const double want[4] = {2.5, 20, 300, 2999};
    ASSERT_ARRAY_NEAR(c.ptr[3], want, 4, 1e-4);
    tc_free(&c);
}

PA_TEST(dispatch_covers_every_op)
{
    for (int op = 0; op < PA_OP_COUNT; op++)
        ASSERT_TRUE(pa_ref_kernel((enum pa_op)op) != NULL);
    ASSERT_TRUE(pa_ref_kernel(PA_OP_CONV_2D) == pa_ref_conv2d);
    ASSERT_TRUE(pa_ref_kernel(PA_OP_DEPTHWISE_CONV_2D) == pa_ref_depthwise_conv2d);
    ASSERT_TRUE(pa_ref_kernel(PA_OP_PRELU) == pa_ref_prelu);
    ASSERT_TRUE(pa_ref_kernel(PA_OP_AVERAGE_POOL_2D) == pa_ref_average_pool2d);
    ASSERT_TRUE(pa_ref_kernel(PA_OP_RESIZE_BILINEAR) == pa_ref_resize_bilinear);
    ASSERT_TRUE(pa_ref_kernel(PA_OP_TRANSFORM_LANDMARKS) == pa_ref_transform_landmarks);
}

PA_TEST_MAIN()

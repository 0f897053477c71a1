/** @file Graph building (fp16 folding, params, shapes, MACs) and the arena planner, on the
 * four real MediaPipe models. */
#include "pa_test.h"

#include "core/mem.h"
#include "nn/backend.h"
#include "nn/graph.h"
#include "nn/graph_impl.h"
#include "nn/tflite.h"

struct model_case {
    const char *file;
    double mmacs; ///< expected MACs (millions), counted independently from the file's ops
    int n_in, n_out;
};

static const struct model_case k_models[] = {
    {"face_detection_short_range.tflite", 30.8, 1, 2},
    {"face_landmark.tflite", 35.0, 1, 2},
    {"face_landmark_with_attention.tflite", 43.5, 1, 7},
    {"selfie_segmentation.tflite", 58.2, 1, 1},
};

static void open_model(const char *file, struct pa_tflite **t, struct pa_graph **g)
{
    const char *path = pa_test_model(file);
    if (access(path, R_OK) != 0)
        PA_SKIP("model file missing");
    ASSERT_OK(pa_tflite_open(t, path));
    ASSERT_OK(pa_graph_build(g, *t));
}

/* Reference binary16 decoding by arithmetic, independent of the bit-twiddling in graph.c. */
static double fp16_ref(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

PA_TEST(fp16_every_value)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float f = pa_fp16_to_f32((uint16_t)h);
        double r = fp16_ref((uint16_t)h);
        if (isnan(r)) {
            ASSERT_TRUE(isnan(f));
            ASSERT_EQ(signbit(f) != 0, (h >> 15) != 0);
            continue;
        }
        if ((double)f != r)
            PA__FAIL("fp16 0x%04x -> %.9g, expected %.9g", (unsigned)h, (double)f, r);
        ASSERT_EQ(signbit(f) != 0, (h >> 15) != 0); // -0.0 keeps its sign
    }
    ASSERT_TRUE(pa_fp16_to_f32(0x3c00) == 1.0f);
    ASSERT_TRUE(pa_fp16_to_f32(0x7bff) == 65504.0f);
    ASSERT_TRUE(pa_fp16_to_f32(0x0001) == 0x1p-24f); // smallest subnormal
    ASSERT_TRUE(pa_fp16_to_f32(0x03ff) == 1023 * 0x1p-24f);
    ASSERT_TRUE(isinf(pa_fp16_to_f32(0xfc00)) && pa_fp16_to_f32(0xfc00) < 0);
}

PA_TEST(op_names)
{
    ASSERT_TRUE(strcmp(pa_op_name(PA_OP_CONV_2D), "CONV_2D") == 0);
    ASSERT_TRUE(strcmp(pa_op_name(PA_OP_TRANSFORM_LANDMARKS), "TransformLandmarks") == 0);
    ASSERT_TRUE(strcmp(pa_op_name(PA_OP_COUNT), "UNKNOWN") == 0);
}

/* Every model: no DEQUANTIZE left, tensors consistent, constants aligned, MACs as expected. */
PA_TEST(builds_all_models)
{
    for (size_t m = 0; m < PA_ARRAY_SIZE(k_models); m++) {
        struct pa_tflite *t;
        struct pa_graph *g;
        open_model(k_models[m].file, &t, &g);
        int n_dequant = 0;
        for (int i = 0; i < pa_tflite_num_ops(t); i++) {
            struct pa_tflite_op op;
            ASSERT_OK(pa_tflite_op(t, i, &op));
            n_dequant += op.builtin_code == 6;
        }
        // Every DEQUANTIZE is gone and every other op became exactly one node.
        ASSERT_GT(n_dequant, 0);
        ASSERT_EQ(g->n_nodes, pa_tflite_num_ops(t) - n_dequant);
        ASSERT_EQ(g->n_inputs, k_models[m].n_in);
        ASSERT_EQ(g->n_outputs, k_models[m].n_out);
        for (int k = 0; k < g->n_nodes; k++) {
            const struct pa_node *n = &g->nodes[k];
            ASSERT_TRUE((unsigned)n->op < PA_OP_COUNT);
            ASSERT_EQ(n->n_out, 1);
            for (int i = 0; i < n->n_in; i++)
                ASSERT_TRUE(n->in[i] >= -1 && n->in[i] < g->n_tensors);
        }
        int n_const = 0;
        for (int i = 0; i < g->n_tensors; i++) {
            const struct pa_tensor *x = &g->tensors[i];
            size_t count = 1;
            for (int d = 0; d < x->ndim; d++)
                count *= (size_t)x->dims[d];
            ASSERT_EQ(count, x->count);
            if (x->kind == PA_TENSOR_CONST) {
                n_const++;
                ASSERT_TRUE(x->data != NULL);
                ASSERT_EQ((uintptr_t)x->data % PA_ALIGN, 0);
                for (size_t k = 0; k < x->count; k++)
                    ASSERT_TRUE(isfinite(x->data[k]));
            } else {
                ASSERT_TRUE(x->data == NULL);
            }
        }
        ASSERT_GT(n_const, n_dequant / 2);
        double mmacs = (double)g->macs / 1e6;
        printf("%s: %d nodes, %d tensors, %.2f M MACs\n", k_models[m].file, g->n_nodes,
               g->n_tensors, mmacs);
        ASSERT_NEAR(mmacs, k_models[m].mmacs, 0.05 * k_models[m].mmacs);
        pa_graph_destroy(g);
        pa_tflite_close(t);
    }
    pa_graph_destroy(NULL);
}

/* Folded weights equal the file's fp16 bytes decoded independently. */
PA_TEST(dequantize_folds_to_f32)
{
    struct pa_tflite *t;
    struct pa_graph *g;
    open_model("face_landmark.tflite", &t, &g);
    int checked = 0;
    for (int i = 0; i < pa_tflite_num_ops(t); i++) {
        struct pa_tflite_op op;
        ASSERT_OK(pa_tflite_op(t, i, &op));
        if (op.builtin_code != 6)
            continue;
        struct pa_tflite_tensor src;
        ASSERT_OK(pa_tflite_tensor(t, op.inputs[0], &src));
        ASSERT_EQ(src.type, PA_TFLITE_FLOAT16);
        const struct pa_tensor *dst = NULL;
        for (int k = 0; k < g->n_tensors; k++)
            if (g->tensors[k].tflite_index == op.outputs[0])
                dst = &g->tensors[k];
        ASSERT_TRUE(dst != NULL && dst->kind == PA_TENSOR_CONST);
        ASSERT_EQ(src.data_size, dst->count * 2);
        for (size_t k = 0; k < dst->count; k++) {
            uint16_t h;
            memcpy(&h, src.data + 2 * k, 2);
            ASSERT_TRUE((double)dst->data[k] == fp16_ref(h));
        }
        checked++;
    }
    ASSERT_GT(checked, 100);
    pa_graph_destroy(g);
    pa_tflite_close(t);
}

static const struct pa_node *find_op(const struct pa_graph *g, enum pa_op op, int nth)
{
    for (int k = 0; k < g->n_nodes; k++)
        if (g->nodes[k].op == op && nth-- == 0)
            return &g->nodes[k];
    return NULL;
}

/* Decoded parameters and dropped int32 parameter inputs on the attention model. */
PA_TEST(params_decoded)
{
    struct pa_tflite *t;
    struct pa_graph *g;
    open_model("face_landmark_with_attention.tflite", &t, &g);
    const struct pa_node *n = find_op(g, PA_OP_STRIDED_SLICE, 0);
    ASSERT_TRUE(n != NULL);
    ASSERT_EQ(n->n_in, 1); // begin/end/strides folded into params
    const struct pa_tensor *x = &g->tensors[n->in[0]];
    for (int d = 0; d < x->ndim; d++) {
        ASSERT_TRUE(n->p.begin[d] >= 0 && n->p.end[d] <= x->dims[d]);
        ASSERT_TRUE(n->p.strides[d] >= 1);
    }
    n = find_op(g, PA_OP_PAD, 0);
    ASSERT_TRUE(n != NULL);
    ASSERT_EQ(n->n_in, 1);
    int grow = g->tensors[n->out[0]].dims[3] - g->tensors[n->in[0]].dims[3];
    ASSERT_EQ(n->p.pad[3][0] + n->p.pad[3][1], grow);
    ASSERT_GT(grow, 0);
    for (int i = 0; (n = find_op(g, PA_OP_RESHAPE, i)) != NULL; i++)
        ASSERT_EQ(n->n_in, 1);
    n = find_op(g, PA_OP_TRANSFORM_TENSOR_BILINEAR, 0);
    ASSERT_TRUE(n != NULL);
    ASSERT_EQ(n->p.custom.output_h, g->tensors[n->out[0]].dims[1]);
    n = find_op(g, PA_OP_LANDMARKS_TO_TRANSFORM_MATRIX, 0);
    ASSERT_TRUE(n != NULL && n->p.custom.n_subset > 0);
    pa_graph_destroy(g);
    pa_tflite_close(t);

    open_model("selfie_segmentation.tflite", &t, &g);
    n = find_op(g, PA_OP_TRANSPOSE_CONV_BIAS, 0);
    ASSERT_TRUE(n != NULL);
    ASSERT_EQ(n->p.stride_w, 2);
    ASSERT_EQ(n->p.stride_h, 2);
    n = find_op(g, PA_OP_RESIZE_BILINEAR, 0);
    ASSERT_TRUE(n != NULL);
    ASSERT_EQ(n->n_in, 1);
    pa_graph_destroy(g);
    pa_tflite_close(t);
}

/* Shape validation catches a tensor whose stated shape disagrees with what a node computes. */
PA_TEST(shape_mismatch_detected)
{
    struct pa_tflite *t;
    struct pa_graph *g;
    open_model("face_detection_short_range.tflite", &t, &g);
    for (int k = 0; k < g->n_nodes; k++)
        ASSERT_OK(pa_gb_check_node(g, &g->nodes[k]));
    pa_log_set("quiet"); // the failures below are expected
    const struct pa_node *n = find_op(g, PA_OP_CONV_2D, 0);
    struct pa_tensor *y = &g->tensors[n->out[0]];
    y->dims[2] += 1;
    ASSERT_ERR(pa_gb_check_node(g, n), PA_EINVALDATA);
    y->dims[2] -= 1;
    // A filter whose input channels disagree with the data.
    struct pa_tensor *w = &g->tensors[n->in[1]];
    w->dims[3] += 1;
    ASSERT_ERR(pa_gb_check_node(g, n), PA_EINVALDATA);
    w->dims[3] -= 1;
    n = find_op(g, PA_OP_CONCATENATION, 0);
    g->tensors[n->in[1]].dims[2] += 1;
    ASSERT_ERR(pa_gb_check_node(g, n), PA_EINVALDATA);
    g->tensors[n->in[1]].dims[2] -= 1;
    n = find_op(g, PA_OP_ADD, 0);
    g->tensors[n->in[1]].dims[3] = 3; // neither equal nor 1: no broadcast
    ASSERT_ERR(pa_gb_check_node(g, n), PA_EINVALDATA);
    pa_log_set("warn");
    pa_graph_destroy(g);
    pa_tflite_close(t);
}

/* Lifetimes computed here independently of plan.c. */
static void lifetimes(const struct pa_graph *g, int *first, int *last)
{
    for (int i = 0; i < g->n_tensors; i++) {
        first[i] = g->n_nodes + 1;
        last[i] = -2;
    }
    for (int i = 0; i < g->n_inputs; i++)
        first[g->inputs[i]] = -1, last[g->inputs[i]] = g->n_nodes;
    for (int k = 0; k < g->n_nodes; k++) {
        const struct pa_node *n = &g->nodes[k];
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] >= 0 && k > last[n->in[i]])
                last[n->in[i]] = k;
        first[n->out[0]] = k;
        if (last[n->out[0]] < k)
            last[n->out[0]] = k;
    }
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = g->n_nodes;
}

PA_TEST(plan_never_overlaps_live_tensors)
{
    for (size_t m = 0; m < PA_ARRAY_SIZE(k_models); m++) {
        struct pa_tflite *t;
        struct pa_graph *g;
        open_model(k_models[m].file, &t, &g);
        size_t *off = calloc((size_t)g->n_tensors, sizeof(size_t)), arena = 0, sum = 0;
        int *first = calloc((size_t)g->n_tensors, sizeof(int));
        int *last = calloc((size_t)g->n_tensors, sizeof(int));
        ASSERT_TRUE(off && first && last);
        ASSERT_OK(pa_nn_plan(g, off, &arena));
        lifetimes(g, first, last);
        size_t biggest = 0;
        for (int i = 0; i < g->n_tensors; i++) {
            const struct pa_tensor *a = &g->tensors[i];
            if (a->kind == PA_TENSOR_CONST)
                continue;
            size_t ea = off[i] + a->count * 4 + PA_EXTRA_BYTES;
            ASSERT_EQ(off[i] % PA_ALIGN, 0);
            ASSERT_TRUE(ea <= arena);
            ASSERT_TRUE(first[i] <= last[i]);
            sum += a->count * 4;
            biggest = PA_MAX(biggest, a->count * 4);
            for (int j = i + 1; j < g->n_tensors; j++) {
                const struct pa_tensor *b = &g->tensors[j];
                if (b->kind == PA_TENSOR_CONST || first[i] > last[j] || first[j] > last[i])
                    continue;
                size_t eb = off[j] + b->count * 4 + PA_EXTRA_BYTES;
                if (off[i] < eb && off[j] < ea)
                    PA__FAIL("%s: '%s' [%zu,%zu) and '%s' [%zu,%zu) overlap while both live",
                             k_models[m].file, a->name, off[i], ea, b->name, off[j], eb);
            }
        }
        printf("%s: arena %zu bytes, tensors %zu bytes\n", k_models[m].file, arena, sum);
        ASSERT_TRUE(arena < sum);
        ASSERT_TRUE(arena >= biggest);
        free(off);
        free(first);
        free(last);
        pa_graph_destroy(g);
        pa_tflite_close(t);
    }
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Same nodes (ops, tensor ids, params) and tensor shapes. */
static bool same_graph(const struct pa_graph *a, const struct pa_graph *b)
{
    if (a->n_nodes != b->n_nodes || a->n_tensors != b->n_tensors ||
        memcmp(a->nodes, b->nodes, (size_t)a->n_nodes * sizeof(*a->nodes)) != 0)
        return false;
    for (int i = 0; i < a->n_tensors; i++)
        if (memcmp(a->tensors[i].dims, b->tensors[i].dims, sizeof(a->tensors[i].dims)) != 0 ||
            a->tensors[i].ndim != b->tensors[i].ndim)
            return false;
    return true;
}

/*
 * Corrupted models (a few random bytes changed outside the weight buffers, where shapes,
 * indices, opcodes and options live) must be rejected cleanly or build a graph that passes
 * every check; the first accepted mutants that differ in structure also run on the reference
 * kernels, which trust the validated shapes. ASan/UBSan builds turn any slip into a crash.
 */
PA_TEST(corrupt_models_fail_cleanly)
{
    const char *path = pa_test_model("face_detection_short_range.tflite");
    FILE *f = fopen(path, "rb");
    if (!f)
        PA_SKIP("model file missing");
    fseek(f, 0, SEEK_END);
    size_t size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *orig = malloc(size), *buf = malloc(size);
    bool *weight = calloc(size, 1);
    ASSERT_TRUE(orig && buf && weight && fread(orig, 1, size, f) == size);
    fclose(f);
    struct pa_tflite *t;
    ASSERT_OK(pa_tflite_open_memory(&t, orig, size, "orig"));
    for (int i = 0; i < pa_tflite_num_tensors(t); i++) {
        struct pa_tflite_tensor x;
        ASSERT_OK(pa_tflite_tensor(t, i, &x));
        if (x.data)
            memset(weight + (x.data - orig), 1, x.data_size);
    }
    struct pa_graph *ref;
    ASSERT_OK(pa_graph_build(&ref, t));
    // Aligned small int32 values outside the weights: mostly shapes, tensor indices, options.
    size_t *small = malloc(size / 4 * sizeof(size_t));
    int n_small = 0;
    ASSERT_TRUE(small != NULL);
    for (size_t pos = 0; pos + 4 <= size; pos += 4) {
        int32_t v;
        memcpy(&v, orig + pos, 4);
        if (!weight[pos] && v >= 0 && v <= 1024)
            small[n_small++] = pos;
    }
    ASSERT_GT(n_small, 100);
    pa_tflite_close(t);

    pa_log_set("quiet");
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int rejected = 0, accepted = 0, ran = 0;
    for (int it = 0; it < 1500; it++) {
        memcpy(buf, orig, size);
        for (int k = 0, n = 1 + (int)(xorshift(&seed) % 3); k < n; k++) {
            if (it % 2) { // a random bit anywhere outside the weights
                size_t pos;
                do
                    pos = xorshift(&seed) % size;
                while (weight[pos]);
                buf[pos] ^= (uint8_t)(1u << (xorshift(&seed) % 8));
            } else { // a small int32 (shape, index, option) nudged or replaced
                size_t pos = small[xorshift(&seed) % (size_t)n_small];
                int32_t v;
                memcpy(&v, buf + pos, 4);
                v = xorshift(&seed) % 2 ? v + (int32_t)(xorshift(&seed) % 7) - 3
                                        : (int32_t)(xorshift(&seed) % 300) - 20;
                memcpy(buf + pos, &v, 4);
            }
        }
        struct pa_graph *g = NULL;
        if (pa_tflite_open_memory(&t, buf, size, "mutant") < 0) {
            rejected++;
            continue;
        }
        int ret = pa_graph_build(&g, t);
        pa_tflite_close(t);
        if (ret < 0) {
            ASSERT_TRUE(ret == PA_EINVALDATA || ret == PA_EUNSUPPORTED || ret == PA_ENOMEM);
            ASSERT_TRUE(g == NULL);
            rejected++;
            continue;
        }
        accepted++;
        for (int k = 0; k < g->n_nodes; k++)
            ASSERT_OK(pa_gb_check_node(g, &g->nodes[k]));
        size_t *off = calloc((size_t)g->n_tensors, sizeof(size_t)), arena;
        ASSERT_OK(pa_nn_plan(g, off, &arena));
        if (ran < 8 && !same_graph(g, ref)) {
            float **ptr = calloc((size_t)g->n_tensors, sizeof(float *));
            char *mem = calloc(1, arena);
            for (int i = 0; i < g->n_tensors; i++)
                ptr[i] = g->tensors[i].kind == PA_TENSOR_CONST ? g->tensors[i].data
                                                               : (float *)(mem + off[i]);
            for (int k = 0; k < g->n_nodes; k++)
                pa_ref_kernel(g->nodes[k].op)(g, &g->nodes[k], ptr, NULL);
            free(ptr);
            free(mem);
            ran++;
        }
        free(off);
        pa_graph_destroy(g);
    }
    pa_log_set("warn");
    printf("mutants: %d rejected, %d accepted, %d run\n", rejected, accepted, ran);
    ASSERT_GT(rejected, 50);
    pa_graph_destroy(ref);
    free(small);
    free(orig);
    free(buf);
    free(weight);
}

PA_TEST_MAIN()

/** @file
 * NN benchmark: every model x backend (ref, xnnpack) x threads (1, 2), reporting the median
 * and 95th percentile time per inference, GFLOP/s (2 * MACs / median time, MACs counted by
 * the graph builder for conv, depthwise, fully connected and transposed conv) and the number
 * of allocations during the timed loop (must be 0: sessions allocate only at creation).
 *
 *   bench_nn [--json] [--runs N] [--warmup N] [--models DIR] [--backend ref|xnnpack]
 *
 * Models come from --models, else $PA_MODELS_DIR, else the build's models folder. --json
 * prints exactly one JSON object on stdout:
 *   {"models":[{"model":"face_landmark","backend":"xnnpack","threads":1,"median_ms":...,
 *               "p95_ms":...,"gflops":...,"allocs":0},...]}
 * Exit status: 0, 1 when a model failed to load or run or a timed loop allocated, 2 for
 * bad arguments. The input is a smooth deterministic pattern (timing does not depend on it).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "nn/graph.h"
#include "nn/tflite.h"
#include "pa_config.h"
#include "panim.h"

#include "bench_util.h"

static const char *const k_models[] = {
    "face_detection_short_range",
    "face_landmark",
    "face_landmark_with_attention",
    "selfie_segmentation",
};

struct bench_opts {
    int json;
    int runs, warmup;
    const char *models_dir;
    int backend; ///< -1 = both, else enum pa_nn_backend
};

struct bench_result {
    double median_ms, p95_ms, gflops;
    uint64_t allocs;
};

/* MACs per inference, from the graph the loader builds (not exposed by the public API). */
static int model_macs(const char *path, uint64_t *macs)
{
    struct pa_tflite *t = NULL;
    struct pa_graph *g = NULL;
    int ret = pa_tflite_open(&t, path);
    if (ret == 0)
        ret = pa_graph_build(&g, t);
    if (ret == 0)
        *macs = g->macs;
    pa_graph_destroy(g);
    pa_tflite_close(t);
    return ret;
}

static void fill_input(struct pa_nn_session *s, const struct pa_nn_model *m)
{
    for (int i = 0; i < pa_nn_model_num_io(m, 0); i++) {
        int dims[4], ndim;
        size_t n = 1;
        if (pa_nn_model_io(m, 0, i, dims, &ndim, NULL) < 0)
            continue;
        for (int d = 0; d < ndim; d++)
            n *= (size_t)dims[d];
        float *in = pa_nn_session_input(s, i);
        for (size_t k = 0; k < n; k++)
            in[k] = 0.8f * sinf((float)k * 0.001f) * cosf((float)(k % 97) * 0.05f);
    }
}

static int bench_one(const struct pa_nn_model *m, uint64_t macs, enum pa_nn_backend backend,
                     int threads, const struct bench_opts *o, struct bench_result *r)
{
    struct pa_parallel *par = NULL;
    struct pa_nn_session *s = NULL;
    double *times = calloc((size_t)o->runs, sizeof(double));
    int ret = times ? pa_parallel_create(&par, threads) : PA_ENOMEM;
    if (ret == 0)
        ret = pa_nn_session_create(&s, m, backend, par);
    if (ret < 0)
        goto done;
    fill_input(s, m);
    for (int i = 0; i < o->warmup && ret == 0; i++)
        ret = pa_nn_session_run(s);
    uint64_t allocs0 = pa_mem_alloc_count();
    for (int i = 0; i < o->runs && ret == 0; i++) {
        double t0 = now_ms();
        ret = pa_nn_session_run(s);
        times[i] = now_ms() - t0;
    }
    r->allocs = pa_mem_alloc_count() - allocs0;
    if (ret < 0)
        goto done;
    qsort(times, (size_t)o->runs, sizeof(double), cmp_double);
    int n = o->runs;
    r->median_ms = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    int i95 = (int)ceil(0.95 * n) - 1;
    r->p95_ms = times[i95 < 0 ? 0 : i95];
    r->gflops = r->median_ms > 0 ? 2.0 * (double)macs / (r->median_ms * 1e-3) / 1e9 : 0.0;
done:
    pa_nn_session_destroy(s);
    pa_parallel_destroy(par);
    free(times);
    return ret;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
    const char *env = getenv("PA_MODELS_DIR");
    *o = (struct bench_opts){0, 100, -1, env && *env ? env : PA_DEFAULT_MODELS_DIR, -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--runs") && v && parse_int(v, 1, 1000000, &o->runs) == 0) {
            i++;
        } else if (!strcmp(a, "--warmup") && v && parse_int(v, 0, 1000000, &o->warmup) == 0) {
            i++;
        } else if (!strcmp(a, "--models") && v) {
            o->models_dir = v;
            i++;
        } else if (!strcmp(a, "--backend") && v && (!strcmp(v, "ref") || !strcmp(v, "xnnpack"))) {
            o->backend = !strcmp(v, "ref") ? PA_NN_BACKEND_REF : PA_NN_BACKEND_XNNPACK;
            i++;
        } else {
            fprintf(stderr,
                    "usage: %s [--json] [--runs N] [--warmup N] [--models DIR] "
                    "[--backend ref|xnnpack]\n",
                    argv[0]);
            return -1;
        }
    }
    if (o->warmup < 0)
        o->warmup = o->runs / 10 > 3 ? o->runs / 10 : 3;
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    int status = 0, n_out = 0;
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    if (o.backend == PA_NN_BACKEND_XNNPACK && !pa_nn_have_xnnpack()) {
        fprintf(stderr, "bench_nn: this build has no XNNPACK backend (ref-only); use "
                        "--backend ref\n");
        return 2;
    }
    if (o.json)
        printf("{\"models\":[");
    else
        printf("%-30s %-8s %3s %10s %10s %9s %7s\n", "model", "backend", "thr", "median_ms",
               "p95_ms", "GFLOP/s", "allocs");
    for (size_t mi = 0; mi < PA_ARRAY_SIZE(k_models); mi++) {
        char path[4096];
        struct pa_nn_model *m = NULL;
        uint64_t macs = 0;
        snprintf(path, sizeof(path), "%s/%s.tflite", o.models_dir, k_models[mi]);
        if (pa_nn_model_load(&m, path) < 0 || model_macs(path, &macs) < 0) {
            fprintf(stderr, "bench_nn: skipping %s\n", path);
            pa_nn_model_destroy(m);
            status = 1;
            continue;
        }
        for (int b = PA_NN_BACKEND_REF; b <= PA_NN_BACKEND_XNNPACK; b++) {
            if ((o.backend >= 0 && b != o.backend) ||
                (b == PA_NN_BACKEND_XNNPACK && !pa_nn_have_xnnpack()))
                continue;
            for (int threads = 1; threads <= 2; threads++) {
                struct bench_result r = {0};
                int ret = bench_one(m, macs, (enum pa_nn_backend)b, threads, &o, &r);
                const char *bname = pa_nn_backend_name((enum pa_nn_backend)b);
                if (ret < 0) {
                    fprintf(stderr, "bench_nn: %s on %s, %d thread(s): %s\n", k_models[mi], bname,
                            threads, pa_strerror(ret));
                    status = 1;
                    continue;
                }
                if (r.allocs)
                    status = 1;
                if (o.json)
                    printf("%s{\"model\":\"%s\",\"backend\":\"%s\",\"threads\":%d,"
                           "\"median_ms\":%.4f,\"p95_ms\":%.4f,\"gflops\":%.3f,\"allocs\":%llu}",
                           n_out ? "," : "", k_models[mi], bname, threads, r.median_ms, r.p95_ms,
                           r.gflops, (unsigned long long)r.allocs);
                else
                    printf("%-30s %-8s %3d %10.3f %10.3f %9.2f %7llu\n", k_models[mi], bname,
                           threads, r.median_ms, r.p95_ms, r.gflops, (unsigned long long)r.allocs);
                n_out++;
                fflush(stdout);
            }
        }
        pa_nn_model_destroy(m);
    }
    if (o.json)
        printf("]}\n");
    return status;
}

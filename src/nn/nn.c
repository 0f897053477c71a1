/** @file
 * Public NN API (panim.h): models and sessions.
 *
 * A model is the immutable normalized graph of a .tflite file (the reader is closed once the
 * graph is built: constants were copied into graph-owned aligned storage), so it can be
 * shared by sessions on several threads. A session owns one arena holding every input,
 * intermediate and output tensor at the offsets planned by pa_nn_plan, the table of tensor
 * pointers the kernels index, and a prepared backend; pa_nn_session_run only computes.
 *
 * Backend choice: AUTO means XNNPACK when it is built in and can prepare the graph, else the
 * reference kernels (logged once as a warning); XNNPACK asked for explicitly never falls
 * back.
 */
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "nn/backend.h"
#include "nn/graph.h"
#include "nn/tflite.h"
#include "pa_config.h"
#include "panim.h"

struct pa_nn_model {
    struct pa_graph *g;
};

struct pa_nn_session {
    const struct pa_nn_model *model;
    const struct pa_graph *g;
    enum pa_nn_backend backend; ///< what really runs (never AUTO)
    const struct pa_nn_backend_ops *ops;
    void *state; ///< backend state from ops->prepare
    float **ptr; ///< [n_tensors] buffer of each tensor (constants: graph data)
    void *arena; ///< inputs, intermediates and outputs
    size_t arena_bytes;
};

const char *pa_nn_backend_name(enum pa_nn_backend b)
{
    switch (b) {
    case PA_NN_BACKEND_AUTO:
        return "auto";
    case PA_NN_BACKEND_REF:
        return "ref";
    case PA_NN_BACKEND_XNNPACK:
        return "xnnpack";
    }
    return "unknown";
}

int pa_nn_have_xnnpack(void)
{
    return PA_HAVE_XNNPACK ? 1 : 0;
}

int pa_nn_model_load(struct pa_nn_model **out, const char *path)
{
    PA_ASSERT(out && path);
    *out = NULL;
    struct pa_tflite *t = NULL;
    struct pa_nn_model *m = pa_calloc(1, sizeof(*m));
    if (!m)
        return PA_ENOMEM;
    int ret = pa_tflite_open(&t, path);
    if (ret < 0)
        goto fail;
    ret = pa_graph_build(&m->g, t);
    if (ret < 0)
        goto fail;
    pa_tflite_close(t);
    pa_log_info("nn", "%s: %d nodes, %d tensors, %.1f M MACs", path, m->g->n_nodes, m->g->n_tensors,
                (double)m->g->macs / 1e6);
    *out = m;
    return 0;
fail:
    pa_tflite_close(t);
    pa_nn_model_destroy(m);
    return ret;
}

void pa_nn_model_destroy(struct pa_nn_model *model)
{
    if (!model)
        return;
    pa_graph_destroy(model->g);
    pa_free(model);
}

int pa_nn_model_num_io(const struct pa_nn_model *model, int which)
{
    PA_ASSERT(model);
    if (which != 0 && which != 1)
        return PA_EINVAL;
    return which == 0 ? model->g->n_inputs : model->g->n_outputs;
}

int pa_nn_model_io(const struct pa_nn_model *model, int which, int index, int dims[4], int *ndim,
                   const char **name)
{
    PA_ASSERT(model);
    int n = pa_nn_model_num_io(model, which);
    if (n < 0 || index < 0 || index >= n)
        return PA_EINVAL;
    const struct pa_graph *g = model->g;
    const struct pa_tensor *t = &g->tensors[which == 0 ? g->inputs[index] : g->outputs[index]];
    if (dims) {
        for (int d = 0; d < 4; d++)
            dims[d] = d < t->ndim ? t->dims[d] : 0;
    }
    if (ndim)
        *ndim = t->ndim;
    if (name)
        *name = t->name;
    return 0;
}

/* Plan the arena and point every tensor at its storage. */
static int setup_buffers(struct pa_nn_session *s)
{
    const struct pa_graph *g = s->g;
    size_t *offsets = pa_calloc((size_t)g->n_tensors, sizeof(*offsets));
    int ret = PA_ENOMEM;
    s->ptr = pa_calloc((size_t)g->n_tensors, sizeof(*s->ptr));
    if (!offsets || !s->ptr)
        goto done;
    if ((ret = pa_nn_plan(g, offsets, &s->arena_bytes)) < 0)
        goto done;
    // Zeroed once, so nothing ever reads uninitialized bytes (e.g. XNNPACK's over-reads).
    s->arena = pa_calloc(1, PA_MAX(s->arena_bytes, (size_t)1));
    ret = PA_ENOMEM;
    if (!s->arena)
        goto done;
    for (int i = 0; i < g->n_tensors; i++) {
        const struct pa_tensor *t = &g->tensors[i];
        s->ptr[i] = t->kind == PA_TENSOR_CONST ? t->data : (float *)((char *)s->arena + offsets[i]);
    }
    ret = 0;
done:
    pa_free(offsets);
    return ret;
}

static int prepare_backend(struct pa_nn_session *s, enum pa_nn_backend backend,
                           struct pa_parallel *par)
{
#if PA_HAVE_XNNPACK
    if (backend == PA_NN_BACKEND_AUTO || backend == PA_NN_BACKEND_XNNPACK) {
        int ret = pa_nn_backend_xnn.prepare(&s->state, s->g, s->ptr, par);
        if (ret == 0) {
            s->ops = &pa_nn_backend_xnn;
            s->backend = PA_NN_BACKEND_XNNPACK;
            return 0;
        }
        if (backend == PA_NN_BACKEND_XNNPACK)
            return ret;
        pa_log_warn("nn", "%s: XNNPACK backend unavailable (%s), using reference kernels",
                    s->g->name, pa_strerror(ret));
        s->state = NULL;
    }
#else
    if (backend == PA_NN_BACKEND_XNNPACK) {
        pa_log_error("nn", "%s: this build has no XNNPACK backend", s->g->name);
        return PA_EUNSUPPORTED;
    }
#endif
    s->ops = &pa_nn_backend_ref;
    s->backend = PA_NN_BACKEND_REF;
    return pa_nn_backend_ref.prepare(&s->state, s->g, s->ptr, par);
}

int pa_nn_session_create(struct pa_nn_session **out, const struct pa_nn_model *model,
                         enum pa_nn_backend backend, struct pa_parallel *par)
{
    PA_ASSERT(out && model);
    *out = NULL;
    if (backend != PA_NN_BACKEND_AUTO && backend != PA_NN_BACKEND_REF &&
        backend != PA_NN_BACKEND_XNNPACK) {
        pa_log_error("nn", "%s: unknown backend %d", model->g->name, (int)backend);
        return PA_EINVAL;
    }
    struct pa_nn_session *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    s->model = model;
    s->g = model->g;
    int ret = setup_buffers(s);
    if (ret < 0)
        goto fail;
    ret = prepare_backend(s, backend, par);
    if (ret < 0)
        goto fail;
    pa_log_debug("nn", "%s: session on %s, arena %zu bytes", s->g->name, s->ops->name,
                 s->arena_bytes);
    *out = s;
    return 0;
fail:
    pa_nn_session_destroy(s);
    return ret;
}

void pa_nn_session_destroy(struct pa_nn_session *s)
{
    if (!s)
        return;
    if (s->ops)
        s->ops->destroy(s->state);
    pa_free(s->arena);
    pa_free(s->ptr);
    pa_free(s);
}

enum pa_nn_backend pa_nn_session_backend(const struct pa_nn_session *s)
{
    PA_ASSERT(s);
    return s->backend;
}

float *pa_nn_session_input(struct pa_nn_session *s, int index)
{
    PA_ASSERT(s);
    if (index < 0 || index >= s->g->n_inputs)
        return NULL;
    return s->ptr[s->g->inputs[index]];
}

const float *pa_nn_session_output(const struct pa_nn_session *s, int index)
{
    PA_ASSERT(s);
    if (index < 0 || index >= s->g->n_outputs)
        return NULL;
    return s->ptr[s->g->outputs[index]];
}

int pa_nn_session_run(struct pa_nn_session *s)
{
    PA_ASSERT(s && s->ops);
    return s->ops->run(s->state);
}

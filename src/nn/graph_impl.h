/** @file
 * Internals shared by the graph builder's files (graph.c: driver, tensors and constants;
 * graph_ops.c: TFLite op translation; graph_shape.c: shape inference, weight checks, MACs).
 * Not part of the nn layer's contract (that is nn/graph.h).
 */
#ifndef PA_NN_GRAPH_IMPL_H
#define PA_NN_GRAPH_IMPL_H

#include <stdbool.h>

#include "nn/graph.h"
#include "nn/tflite.h"

/**
 * Build state. While ops are translated, node tensor ids are TFLite tensor indices; graph.c
 * remaps them to compact graph ids once every op is known.
 */
struct pa_gbuild {
    const struct pa_tflite *t;
    const char *name;            ///< file name for messages
    int n_tfl;                   ///< tensors in the file
    struct pa_tflite_tensor *tt; ///< [n_tfl] file tensor metadata
    int *fold_src;               ///< [n_tfl] fp16 source of a folded DEQUANTIZE, else -1
    struct pa_graph *g;          ///< graph being built (nodes appended here)
};

/**
 * Translate TFLite operator `index` into `*node` (TFLite tensor indices), decoding every
 * parameter. DEQUANTIZE is recorded in b->fold_src and sets *skip instead.
 * @return 0; PA_EUNSUPPORTED or PA_EINVALDATA (logged, naming the file and op).
 */
int pa_gb_translate(struct pa_gbuild *b, int index, const struct pa_tflite_op *op,
                    struct pa_node *node, bool *skip);

/** @return the display name of a TFLite op ("CONV_2D", custom code) for messages. */
const char *pa_gb_op_name(const struct pa_tflite_op *op);

/**
 * Validate node `n` of a graph whose tensors are final: weights and parameters, then every
 * output's stated shape against pa_graph_infer_shape. @return 0 or PA_EINVALDATA (logged).
 */
int pa_gb_check_node(const struct pa_graph *g, const struct pa_node *n);

/** Multiply-accumulates of one node (conv, depthwise conv, fully connected, deconv). */
uint64_t pa_gb_node_macs(const struct pa_graph *g, const struct pa_node *n);

/** IEEE 754 binary16 -> binary32, exact for every input (subnormals, infinities, NaNs). */
float pa_fp16_to_f32(uint16_t h);

#endif /* PA_NN_GRAPH_IMPL_H */

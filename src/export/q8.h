/* q8.h - an int8-quantised network: the one description both the integer reference
 * (quant.c) and the C generator (c_q8.c) read. */
#ifndef MLP_EXPORT_Q8_H
#define MLP_EXPORT_Q8_H

#include <stdint.h>
#include "graph/graph.h"
#include "graph/ops_c.h"

/* y = clamp(zp_out + requantise(W x + b), lo, hi), then, if lut, y = lut[y + 128]. */
struct q8_layer {
    int32_t n_in, n_out;
    int8_t *w;             /* n_out x n_in, row j scaled by its own s_w[j] (symmetric) */
    int32_t *bias;         /* n_out: round(b / (s_in s_w)) - zp_in * sum(w row) */
    int32_t *mult, *shift; /* n_out: s_in s_w[j] / s_out = mult / 2^shift */
    int32_t zp_out, lo, hi;
    int8_t *lut;           /* 256 entries, or NULL */
    enum mlp_op act;       /* the model's activation (for comments) */
    int line;              /* where the layer is written */
};

struct mlp_quantized {
    char *file;             /* the model's file, for comments */
    char *input_name, *output_name;
    int32_t n_in, n_out, width; /* width: the widest activation (the core's scratch) */
    float in_scale, in_inv_scale, out_scale;
    int32_t in_zp, out_zp;
    enum mlp_op final_op;              /* the output's op, if final is set */
    const struct mlp_q8_final *final; /* after the integer core, in the float wrapper (or NULL) */
    int nlayers;
    struct q8_layer *layers;
};

#endif

/* classes.h - class indices that a model computes (softmax_xent's second operand), checked
 * after each run: an index that is not an integer in 0..classes-1 is an error that names the
 * sample, not a NaN loss. The data loaders check the labels they read; this catches the ones
 * computed in the model (`softmax_xent(z, c + 1)`) and those given through the C API. */
#ifndef MLP_TRAIN_CLASSES_H
#define MLP_TRAIN_CLASSES_H

#include "exec/plan.h"

/* The softmax_xent nodes that `roots` depend on: their count, with *out (freed by the caller)
 * listing them; their class operands must be plan targets so that they survive the run. */
int mlp_class_nodes(const mlp_graph *g, const mlp_id *roots, int nroots, mlp_id **out);
/* Check the class operand of each of the n nodes over the plan's current batch. Row r is
 * sample first + r + 1 of the data, or sample sample_of[r] + 1 when sample_of is given. */
int mlp_check_classes(const mlp_graph *g, const mlp_plan *p, const mlp_id *nodes, int n,
                      const int *sample_of, int64_t first, mlp_error *err);

#endif

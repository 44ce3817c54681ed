/* trainer.h - the training loop and evaluation over a model's graph (the public mlp_train and
 * mlp_evaluate wrap these). */
#ifndef MLP_TRAIN_TRAINER_H
#define MLP_TRAIN_TRAINER_H

#include "graph/graph.h"
#include "io/dataset.h"

/* Train the parameters of `model` in place (see mlp_train in mlp.h). */
int mlp_train_graph(mlp_graph *model, const mlp_dataset *train, const mlp_dataset *test,
                    const mlp_train_options *o, mlp_error *err);
/* Evaluate `model` on every sample of d (see mlp_evaluate in mlp.h). */
int mlp_evaluate_graph(const mlp_graph *model, const mlp_dataset *d, mlp_metrics *out,
                       mlp_error *err);

#endif

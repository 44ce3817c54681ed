/* predict.h - a model's predictions for every sample of a data set (the public mlp_predict). */
#ifndef MLP_TRAIN_PREDICT_H
#define MLP_TRAIN_PREDICT_H

#include "graph/graph.h"
#include "io/dataset.h"

int mlp_predict_graph(const mlp_graph *model, const mlp_dataset *d, mlp_predictions *out,
                      mlp_error *err);

#endif

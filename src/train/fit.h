/* fit.h - a model bound to a data set for training and evaluation.
 *
 * Binding: the data's features feed the model's first input and its targets the second. The
 * loss op found on the way to the loss decides what "accuracy" means: softmax_xent(z, c) makes
 * a classifier (argmax z against c), bce_logits(z, t) a binary one (z >= 0 against t >= 0.5),
 * squared_error(y, t) a regression (mean squared error). Everything runs in float32.
 */
#ifndef MLP_TRAIN_FIT_H
#define MLP_TRAIN_FIT_H

#include "exec/plan.h"
#include "io/dataset.h"

enum mlp_head { MLP_HEAD_NONE, MLP_HEAD_CLASSES, MLP_HEAD_BINARY, MLP_HEAD_REGRESSION };

struct mlp_fit {
    mlp_graph *g;        /* the model's graph, cloned; with the adjoint graph when training */
    mlp_id loss;         /* per-sample loss */
    mlp_id x, y;         /* the inputs fed with features and targets */
    enum mlp_head head;
    mlp_id pred, target; /* the loss op's operands */
    int classes;         /* MLP_HEAD_CLASSES: the number of logits */
    int nparams;
    mlp_id *param, *grad; /* each parameter and the node of its gradient (sum over the batch);
                           * MLP_NONE where the gradient is the constant 0 */
    mlp_id *xent;         /* the softmax_xent nodes, whose class indices each run checks */
    int nxent;
    mlp_plan *train;      /* loss, pred and gradients (NULL when only evaluating) */
    mlp_plan *eval;       /* loss and pred */
};

/* Bind a model graph to data of d's layout; with train_batch > 0 also differentiate and plan
 * training batches of that size. */
int mlp_fit_init(struct mlp_fit *f, const mlp_graph *model, const mlp_dataset *d,
                 int train_batch, int eval_batch, mlp_error *err);
void mlp_fit_free(struct mlp_fit *f);
/* Check every target of d against the head (class indices in range, binary targets in [0,1]). */
int mlp_fit_check_targets(const struct mlp_fit *f, const mlp_dataset *d, mlp_error *err);
/* Copy samples idx[0..b) of d into p's inputs and set its batch size to b. */
void mlp_fit_load(const struct mlp_fit *f, mlp_plan *p, const mlp_dataset *d, const int *idx, int b);
/* The same for the samples start .. start+b-1 (idx: those numbers): the features are read where
 * d holds them (mlp_plan_read_input; undo with NULL) unless something besides the plan's steps
 * reads them. */
void mlp_fit_load_rows(const struct mlp_fit *f, mlp_plan *p, const mlp_dataset *d, int start,
                       int b, const int *idx);

/* Running totals of what a plan's runs computed. */
struct mlp_tally {
    double loss;        /* sum of per-sample losses */
    int64_t n;          /* samples */
    int64_t right, seen; /* predictions right, predictions made */
    double sqerr;       /* sum of squared errors (regression) */
    int classes;
    int64_t *confusion; /* classes x classes, or NULL */
};
/* Add the last run of p (b samples) to t. */
void mlp_fit_tally(const struct mlp_fit *f, const mlp_plan *p, int b, struct mlp_tally *t);
/* Check the class indices of the last run of p (row r is sample idx[r] of the data). */
int mlp_fit_check_run(const struct mlp_fit *f, const mlp_plan *p, const int *idx, mlp_error *err);
/* Evaluate every sample of d with the eval plan, adding to t; fails on a class index out of
 * range (see classes.h). */
int mlp_fit_evaluate(const struct mlp_fit *f, const mlp_dataset *d, struct mlp_tally *t,
                     mlp_error *err);

#endif

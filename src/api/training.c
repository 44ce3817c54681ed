/* training.c - the public training, evaluation and data-set API over src/train and src/io. */
#include "api/internal.h"
#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

void mlp_train_defaults(mlp_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->optimizer = "sgd";
    o->lr = 0.01;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->schedule = "constant";
    o->step_epochs = 10;
    o->gamma = 0.1;
    o->epochs = 10;
    o->batch = 32;
    o->seed = 1;
    o->threads = 1;
}

int mlp_train(mlp_model *m, const mlp_dataset *train, const mlp_dataset *test,
              const mlp_train_options *o, mlp_error *err)
{
    return mlp_train_graph(m->g, train, test, o, err);
}

int mlp_evaluate(const mlp_model *m, const mlp_dataset *d, mlp_metrics *out, mlp_error *err)
{
    return mlp_evaluate_graph(m->g, d, out, err);
}

void mlp_metrics_free(mlp_metrics *mt)
{
    free(mt->confusion);
    mt->confusion = NULL;
}

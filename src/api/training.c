/* training.c - the public training, evaluation and data-set API over src/train and src/io. */
#include "api/internal.h"
#include "io/prep.h"
#include "train/predict.h"
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
    int rc = mlp_train_graph(m->g, train, test, o, err);
    /* what was done to the training data goes with the weights it produced */
    if (rc == MLP_OK && !mlp_prep_empty(train->prep))
        mlp_model_set_prep(m, mlp_prep_copy(train->prep));
    return rc;
}

/* d as the model's training data was prepared (scaled), in *prepared (NULL: d is used as it
 * is). On failure *out (out_size bytes) is zeroed, as a failed call leaves its result. */
static int prepare_for(const mlp_model *m, const mlp_dataset *d, mlp_dataset **prepared,
                       void *out, size_t out_size, mlp_error *err)
{
    mlp_error e = {0};
    *prepared = mlp_model_prepared_data(m, d, &e);
    if (*prepared || !mlp_failed(&e))
        return MLP_OK;
    memset(out, 0, out_size);
    if (err)
        *err = e;
    return e.status;
}

int mlp_evaluate(const mlp_model *m, const mlp_dataset *d, mlp_metrics *out, mlp_error *err)
{
    mlp_dataset *prepared;
    int rc = prepare_for(m, d, &prepared, out, sizeof *out, err);
    if (rc == MLP_OK)
        rc = mlp_evaluate_graph(m->g, prepared ? prepared : d, out, err);
    mlp_dataset_free(prepared);
    return rc;
}

void mlp_metrics_free(mlp_metrics *mt)
{
    free(mt->confusion);
    mt->confusion = NULL;
}

int mlp_predict(const mlp_model *m, const mlp_dataset *d, mlp_predictions *out, mlp_error *err)
{
    mlp_dataset *prepared;
    int rc = prepare_for(m, d, &prepared, out, sizeof *out, err);
    if (rc == MLP_OK)
        rc = mlp_predict_graph(m->g, prepared ? prepared : d, out, err);
    mlp_dataset_free(prepared);
    return rc;
}

mlp_dataset *mlp_dataset_load_for(const mlp_model *m, const char *spec, const char *label,
                                  const char *features, mlp_error *err)
{
    size_t n = strlen(spec);
    if (n < 4 || strcmp(spec + n - 4, ".csv"))
        return mlp_dataset_load(spec, label, features, err);
    const char *trained = mlp_model_trained_columns(m, 1);
    return mlp_csv_dataset(spec, label ? label : trained,
                           features ? features : mlp_model_trained_columns(m, 0), !label, m->prep,
                           err);
}

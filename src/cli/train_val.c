/* train_val.c - `mlp train --val-split F --patience N`: a held-out part of the training data,
 * evaluated after every epoch, and early stopping that keeps the best epoch's weights. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool cli_val_options(const struct cli_args *a, struct cli_val *v)
{
    memset(v, 0, sizeof *v);
    v->best_loss = INFINITY;
    long patience = 0;
    if (!cli_double(a, "--val-split", &v->fraction) ||
        !cli_int(a, "--patience", 1, 1000000, &patience))
        return false;
    v->patience = (int)patience;
    if (cli_get(a, "--val-split") && !(v->fraction > 0 && v->fraction < 1)) {
        cli_usage_error(a, "--val-split must be a fraction between 0 and 1, got '%s'",
                        cli_get(a, "--val-split"));
        return false;
    }
    if (v->patience && !cli_get(a, "--val-split")) {
        cli_usage_error(a, "--patience stops on the validation loss: it needs --val-split F");
        return false;
    }
    return true;
}

bool cli_val_split(const struct cli_args *a, struct cli_val *v, mlp_dataset *train, uint64_t seed)
{
    if (!cli_get(a, "--val-split"))
        return true;
    mlp_error err = {0};
    v->data = mlp_dataset_split(train, v->fraction, seed, &err);
    if (!v->data)
        cli_report(&err);
    return v->data != NULL;
}

/* Copy every parameter's values (the best epoch's, to restore after stopping). */
static void snapshot(struct cli_val *v, const mlp_model *m)
{
    int n = mlp_model_count(m, MLP_PARAM);
    if (!v->best) {
        v->nparams = n;
        v->best = calloc((size_t)n + 1, sizeof *v->best);
    }
    for (int i = 0; v->best && i < n; i++) {
        const char *name = mlp_model_name(m, MLP_PARAM, i);
        if (!v->best[i])
            v->best[i] = malloc(mlp_model_size(m, name) * sizeof **v->best);
        if (v->best[i])
            mlp_model_get_values(m, name, v->best[i], NULL);
    }
}

int cli_val_epoch(struct cli_val *v, const mlp_model *m, int epoch, mlp_error *err)
{
    if (!v->data)
        return 0;
    mlp_metrics mt = {0};
    if (mlp_evaluate(m, v->data, &mt, err) != MLP_OK)
        return -1;
    v->loss = mt.loss;
    v->acc = mt.accuracy;
    mlp_metrics_free(&mt);
    if (v->loss < v->best_loss) {
        v->best_loss = v->loss;
        v->best_epoch = epoch;
        v->wait = 0;
        if (v->patience)
            snapshot(v, m);
        return 0;
    }
    return v->patience && ++v->wait >= v->patience;
}

void cli_val_finish(struct cli_val *v, mlp_model *m, FILE *text)
{
    if (v->stopped && text)
        fprintf(text, "early stop: no lower validation loss in %d epoch%s; keeping the weights "
                      "of epoch %d (val loss %.4f)\n", v->patience, v->patience == 1 ? "" : "s",
                v->best_epoch, v->best_loss);
    for (int i = 0; v->best && v->best_epoch && i < v->nparams; i++)
        if (v->best[i])
            mlp_model_set_values(m, mlp_model_name(m, MLP_PARAM, i), v->best[i], NULL);
}

void cli_val_free(struct cli_val *v)
{
    for (int i = 0; v->best && i < v->nparams; i++)
        free(v->best[i]);
    free(v->best);
    mlp_dataset_free(v->data);
    memset(v, 0, sizeof *v);
}

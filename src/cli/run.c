/* run.c - load, compile and evaluate once: the common start of eval, grad and gradcheck. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t cli_shape(const mlp_model *m, const char *name, int *rank, int dims[MLP_MAX_RANK])
{
    *rank = mlp_model_shape(m, name, dims);
    return mlp_model_size(m, name);
}

/* Each --wrt name must exist, once. */
static bool check_wrt(const struct cli_args *a, const mlp_model *m, const char *const *wrt,
                      int nwrt)
{
    for (int i = 0; i < nwrt; i++) {
        if (mlp_model_kind(m, wrt[i]) < 0) {
            cli_usage_error(a, "--wrt %s: no value named '%s' in the model", wrt[i], wrt[i]);
            return false;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(wrt[i], wrt[j])) {
                cli_usage_error(a, "--wrt %s: listed more than once", wrt[i]);
                return false;
            }
    }
    return true;
}

int cli_run_start(const struct cli_args *a, const char *const *wrt, int nwrt, bool random_fill,
                  struct cli_run *run)
{
    return cli_run_begin(a, wrt, nwrt, random_fill, false, run);
}

int cli_run_begin(const struct cli_args *a, const char *const *wrt, int nwrt, bool random_fill,
                  bool raw_features, struct cli_run *run)
{
    memset(run, 0, sizeof *run);
    if (!cli_dtype(a, &run->dtype))
        return EXIT_BAD_INPUT;
    long seed = 1;
    if (!cli_int(a, "--seed", 0, 0x7fffffffL, &seed))
        return EXIT_BAD_INPUT;
    run->model = cli_load_model(a);
    if (!run->model || !check_wrt(a, run->model, wrt, nwrt))
        return EXIT_BAD_INPUT;
    int rc = cli_inputs_load(a, run->model, random_fill, (uint64_t)seed, &run->inputs);
    /* what is asked for: the outputs, and the loss when there are gradients to take */
    for (int i = 0; rc == EXIT_OK && i < mlp_model_count(run->model, MLP_OUTPUT); i++)
        rc = cli_inputs_require(a, &run->inputs, run->model, mlp_model_name(run->model, MLP_OUTPUT, i));
    const char *loss = mlp_model_name(run->model, MLP_LOSS, 0);
    if (rc == EXIT_OK && nwrt > 0 && loss)
        rc = cli_inputs_require(a, &run->inputs, run->model, loss);
    if (rc != EXIT_OK)
        return rc;
    struct cli_input *x = run->inputs.ninputs ? &run->inputs.in[0] : NULL;
    if (raw_features && x && x->values) /* scaled as the weights' training data was */
        mlp_model_prepare_features(run->model, x->values, x->rows);
    mlp_error err = {0};
    run->session = mlp_session_new(run->model, wrt, nwrt, run->dtype, run->inputs.batch, &err);
    if (!run->session || mlp_session_set_batch(run->session, run->inputs.batch, &err) ||
        cli_inputs_apply(&run->inputs, run->session, &err) || mlp_session_run(run->session, &err))
        return cli_report(&err);
    return EXIT_OK;
}

void cli_run_free(struct cli_run *run)
{
    mlp_session_free(run->session);
    cli_inputs_free(&run->inputs);
    mlp_model_free(run->model);
    memset(run, 0, sizeof *run);
}

double cli_loss_sum(const struct cli_run *run)
{
    const char *loss = mlp_model_name(run->model, MLP_LOSS, 0);
    int rows = mlp_session_is_batched(run->session, loss) ? run->inputs.batch : 1;
    double *v = malloc((size_t)run->inputs.batch * sizeof *v), total = 0;
    if (!v)
        return NAN;
    mlp_session_get(run->session, loss, v, NULL);
    for (int r = 0; r < rows; r++)
        total += v[r];
    free(v);
    return total;
}

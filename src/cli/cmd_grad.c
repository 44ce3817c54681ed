/* cmd_grad.c - `mlp grad`: the loss and its gradient with respect to named values. */
#include "cli/cli.h"

#include <stdlib.h>

static const char usage[] =
    "usage: mlp grad MODEL --wrt NAME[,NAME...] [--set NAME=VALUE]... [--data FILE.csv]\n"
    "                [--json] [--dtype f64|f32]\n"
    "\n"
    "Print the loss and its gradient with respect to each named input, parameter or\n"
    "intermediate value, computed by evaluating the adjoint graph (`mlp derive` prints it).\n"
    "Over a batch (--data) the loss is the sum over the samples: parameter gradients are\n"
    "summed, input gradients are given per sample.\n"
    "\n"
    "  --wrt NAMES       comma-separated names to differentiate with respect to\n"
    "  --set NAME=VALUE  value of an input (or a parameter); see `mlp eval --help`\n"
    "  --data FILE.csv   a batch of samples, one per row; see `mlp eval --help`\n"
    "  --json            print {\"loss\": {\"name\": L, \"value\": v}, \"grad\": {NAME: value}}\n"
    "  --sparsity        also report the inactive units (named relu or step values that are\n"
    "                    exactly 0) and the gradient entries that are exactly 0, with counts\n"
    "                    and fractions (JSON: a \"sparsity\" member)\n"
    "  --dtype T         f64 (default) or f32\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "  --weights FILE    load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or bad input.\n";

/* "L = 1.5" (with the batch size over a batch), or the start of the JSON object. */
static void print_loss(const struct cli_run *run, const char *loss, bool json, bool batched)
{
    double total = cli_loss_sum(run);
    char num[32];
    if (json) {
        printf("{\"loss\": {\"name\": ");
        cli_print_json_string(stdout, loss);
        printf(", \"value\": ");
        cli_print_value(stdout, &total, 0, 0, NULL, true);
        printf("}, \"grad\": {");
    } else if (batched) {
        printf("%s = %s  (sum over %d samples)\n", loss, mlp_format_double(total, num),
               run->inputs.batch);
    } else {
        printf("%s = %s\n", loss, mlp_format_double(total, num));
    }
}

/* One buffer for the largest gradient over the batch, sized by the data: plain malloc, and
 * out of memory is an error before anything is printed (mem.h). */
static double *grad_buffer(const struct cli_args *a, const struct cli_run *run,
                           const char *const *wrt, int nwrt)
{
    size_t most = 1;
    for (int i = 0; i < nwrt; i++) {
        int rank, dims[MLP_MAX_RANK];
        size_t size = cli_shape(run->model, wrt[i], &rank, dims);
        most = size > most ? size : most;
    }
    double *g = most <= SIZE_MAX / sizeof *g / (size_t)run->inputs.batch
                    ? malloc(most * (size_t)run->inputs.batch * sizeof *g) : NULL;
    if (!g)
        cli_usage_error(a, "out of memory for gradients of %zu values over %d samples", most,
                        run->inputs.batch);
    return g;
}

/* "dL/dx = [...]" per name, or the JSON members; input gradients per sample over a batch. */
static void print_grads(const struct cli_run *run, const char *loss, const char *const *wrt,
                        int nwrt, bool json, bool batched, double *g)
{
    int batch = run->inputs.batch;
    for (int i = 0; i < nwrt; i++) {
        int rank, dims[MLP_MAX_RANK];
        cli_shape(run->model, wrt[i], &rank, dims);
        bool per_sample = mlp_session_is_batched(run->session, wrt[i]);
        mlp_session_grad(run->session, wrt[i], g, NULL);
        if (json) {
            printf(i ? ", " : "");
            cli_print_json_string(stdout, wrt[i]);
            printf(": ");
        } else {
            printf("d%s/d%s = ", loss, wrt[i]);
        }
        cli_print_value(stdout, g, batched && per_sample ? batch : 0, rank, dims, json);
        if (!json)
            putchar('\n');
    }
}

int cmd_grad(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--wrt", CLI_VALUE},   {"--set", CLI_LIST},  {"--data", CLI_VALUE},
                                          {"--json", CLI_FLAG}, {"--dtype", CLI_VALUE}, {"--seed", CLI_VALUE},
                                          {"--sparsity", CLI_FLAG}, {"--weights", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "grad", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char *buf;
    const char *wrt[CLI_MAX_WRT];
    int nwrt = cli_wrt(&a, true, &buf, wrt, CLI_MAX_WRT);
    struct cli_run run = {0}; /* freed below even when nothing was started */
    rc = nwrt < 0 ? EXIT_BAD_INPUT : cli_run_start(&a, wrt, nwrt, false, &run);
    double *g = rc == EXIT_OK ? grad_buffer(&a, &run, wrt, nwrt) : NULL;
    if (rc == EXIT_OK && !g)
        rc = EXIT_BAD_INPUT;
    if (rc == EXIT_OK) {
        bool json = cli_flag(&a, "--json"), batched = cli_get(&a, "--data") != NULL;
        const char *loss = mlp_model_name(run.model, MLP_LOSS, 0);
        print_loss(&run, loss, json, batched);
        print_grads(&run, loss, wrt, nwrt, json, batched, g);
        if (json)
            printf("}");
        if (cli_flag(&a, "--sparsity"))
            cli_print_sparsity(&run, wrt, nwrt, json);
        if (json)
            printf("}\n");
    }
    free(g);
    cli_run_free(&run);
    free(buf);
    return rc;
}

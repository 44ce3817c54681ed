/* cmd_eval.c - `mlp eval`: evaluate a model and print its outputs and loss. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp eval MODEL [--set NAME=VALUE]... [--data FILE.csv] [--json] [--dtype f64|f32]\n"
    "       mlp eval MODEL --metrics --data SPEC [--weights FILE] [--label COLS] [--scale HOW]\n"
    "\n"
    "Evaluate the model and print every `output` and the `loss`.\n"
    "With --metrics, evaluate it on a data set as `mlp train` reads one (fashion-mnist:test,\n"
    "IMAGES,LABELS, FILE.csv with --label/--features, by default the columns the weights were\n"
    "trained on; scaling saved with the weights is applied, else --scale as in train with\n"
    "statistics from this data) and print the mean loss and, for classifiers, the accuracy, per-class precision\n"
    "and recall and the confusion matrix; for squared_error models, the mean squared error.\n"
    "\n"
    "  --set NAME=VALUE  value of an input (or a parameter): 0.5, [1, 2, 3], [[1, 2], [3, 4]],\n"
    "                    fractions like 1/3; a single number fills every element\n"
    "  --data FILE.csv   one sample per row, evaluated as a batch. With a header row, columns\n"
    "                    are named x (scalar input), x[i] or x[i,j]; without one, the columns\n"
    "                    are the inputs not given by --set, flattened in declaration order.\n"
    "                    Results are printed as CSV, one row per sample.\n"
    "  --json            print {\"values\": {\"NAME\": value, ...}} (with --data, each value\n"
    "                    has a leading batch axis)\n"
    "  --dtype T         f64 (default) or f32\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "  --weights FILE    load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable);\n"
    "                    scaling saved with them (train --scale) is applied to the first\n"
    "                    input's values, which are then raw features\n"
    "  --quantized int8  evaluate the int8-quantised model with mlp's integer reference (what\n"
    "                    `mlp export --format c --quantize int8` generates, bit for bit);\n"
    "                    with --metrics, the accuracy of float32 and of int8\n"
    "  --calibrate DATA  the data whose activations set the int8 scales (as --data SPEC)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or bad input.\n";

/* The names eval reports: the outputs, then the loss unless it is also an output, or needs an
 * input not given (a target, when only the predictions are wanted). */
static int reported_names(const mlp_model *m, const struct cli_inputs *in, const char **names)
{
    int n = 0;
    for (int i = 0; i < mlp_model_count(m, MLP_OUTPUT); i++)
        names[n++] = mlp_model_name(m, MLP_OUTPUT, i);
    const char *loss = mlp_model_name(m, MLP_LOSS, 0);
    if (loss && n > 0 && cli_inputs_unset(in, m, loss))
        loss = NULL;
    for (int i = 0; loss && i < n; i++)
        if (!strcmp(names[i], loss))
            loss = NULL;
    if (loss)
        names[n++] = loss;
    return n;
}

/* Header of the CSV output: "y" for a scalar, "y[0]", "y[1,2]" for elements. */
static void print_csv_header(const mlp_model *m, const char **names, int n)
{
    bool first = true;
    for (int i = 0; i < n; i++) {
        int rank, dims[MLP_MAX_RANK];
        size_t size = cli_shape(m, names[i], &rank, dims);
        for (size_t e = 0; e < size; e++) {
            printf(first ? "%s" : ",%s", names[i]);
            first = false;
            if (rank == 0)
                continue;
            size_t rest = e;
            int idx[MLP_MAX_RANK];
            for (int k = rank - 1; k >= 0; k--) {
                idx[k] = (int)(rest % (size_t)dims[k]);
                rest /= (size_t)dims[k];
            }
            for (int k = 0; k < rank; k++)
                printf(k ? ",%d" : "[%d", idx[k]);
            putchar(']');
        }
    }
    putchar('\n');
}

static void print_csv_rows(const struct cli_run *run, const char **names, int n, double **vals)
{
    char buf[32];
    for (int r = 0; r < run->inputs.batch; r++) {
        bool first = true;
        for (int i = 0; i < n; i++) {
            size_t size = mlp_model_size(run->model, names[i]);
            size_t row = mlp_session_is_batched(run->session, names[i]) ? (size_t)r : 0;
            for (size_t e = 0; e < size; e++) {
                printf(first ? "%s" : ",%s", mlp_format_double(vals[i][row * size + e], buf));
                first = false;
            }
        }
        putchar('\n');
    }
}

int cmd_eval(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"--set", CLI_LIST},     {"--data", CLI_VALUE},    {"--json", CLI_FLAG},    {"--dtype", CLI_VALUE},
        {"--seed", CLI_VALUE},    {"--weights", CLI_LIST}, {"--metrics", CLI_FLAG}, {"--label", CLI_VALUE},
        {"--features", CLI_VALUE}, {"--scale", CLI_VALUE},  {"--quantized", CLI_VALUE},
        {"--calibrate", CLI_VALUE}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "eval", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (cli_get(&a, "--quantized"))
        return cli_eval_quantized(&a);
    if (cli_flag(&a, "--metrics"))
        return cli_eval_metrics(&a);
    struct cli_run run;
    rc = cli_run_begin(&a, NULL, 0, false, true, &run);
    int cap = rc == EXIT_OK ? mlp_model_count(run.model, MLP_OUTPUT) + 1 : 1;
    const char **names = calloc((size_t)cap, sizeof *names);
    double **vals = calloc((size_t)cap, sizeof *vals);
    if (rc == EXIT_OK && (!names || !vals))
        rc = cli_usage_error(&a, "out of memory");
    int n = rc == EXIT_OK ? reported_names(run.model, &run.inputs, names) : 0;
    if (!vals)
        n = 0;
    for (int i = 0; i < n && rc == EXIT_OK; i++)
        rc = cli_inputs_require(&a, &run.inputs, run.model, names[i]);
    if (rc == EXIT_OK && n == 0)
        rc = cli_usage_error(&a, "%s has no `output` or `loss` statement: nothing to print",
                             a.pos[0]);
    bool batched = cli_get(&a, "--data") != NULL, json = cli_flag(&a, "--json");
    for (int i = 0; i < n && rc == EXIT_OK; i++) { /* sized by the data: malloc (mem.h) */
        size_t size = mlp_model_size(run.model, names[i]), batch = (size_t)run.inputs.batch;
        vals[i] = size <= SIZE_MAX / sizeof(double) / batch ? malloc(size * batch * sizeof(double))
                                                            : NULL;
        if (!vals[i]) {
            rc = cli_usage_error(&a, "out of memory for the values of %s over %zu samples",
                                 names[i], batch);
            break;
        }
        mlp_session_get(run.session, names[i], vals[i], NULL);
    }
    if (rc == EXIT_OK && batched && !json) {
        print_csv_header(run.model, names, n);
        print_csv_rows(&run, names, n, vals);
    } else if (rc == EXIT_OK) {
        if (json)
            printf("{\"values\": {");
        for (int i = 0; i < n; i++) {
            int rank, dims[MLP_MAX_RANK];
            size_t size = cli_shape(run.model, names[i], &rank, dims);
            bool per_sample = mlp_session_is_batched(run.session, names[i]);
            if (batched && !per_sample) /* same for every sample: repeat it per row */
                for (int r = 1; r < run.inputs.batch; r++)
                    memcpy(vals[i] + (size_t)r * size, vals[i], size * sizeof(double));
            if (json) {
                printf(i ? ", " : "");
                cli_print_json_string(stdout, names[i]);
                printf(": ");
            } else {
                printf("%s = ", names[i]);
            }
            cli_print_value(stdout, vals[i], batched ? run.inputs.batch : 0, rank, dims, json);
            if (!json)
                putchar('\n');
        }
        if (json)
            printf("}}\n");
    }
    for (int i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    free(names);
    cli_run_free(&run);
    return rc;
}

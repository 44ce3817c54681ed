/* quant.c - the int8 paths of `mlp export` and `mlp eval`: calibration data, quantisation, and
 * the integer reference's outputs and accuracy. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

/* The model quantised with scales from --calibrate DATA (read and scaled as train reads data). */
static mlp_quantized *quantize(const struct cli_args *a, const mlp_model *m)
{
    const char *spec = cli_get(a, "--calibrate");
    mlp_scale scale;
    if (!spec) {
        cli_usage_error(a, "int8 quantisation needs --calibrate DATA (fashion-mnist, "
                           "IMAGES,LABELS or FILE.csv)");
        return NULL;
    }
    if (!cli_scale(a, &scale))
        return NULL;
    mlp_dataset *d = cli_load_data(a, spec);
    if (!d)
        return NULL;
    mlp_error err = {0};
    mlp_quantized *q = NULL;
    if (mlp_dataset_scale(d, NULL, scale, &err) == MLP_OK)
        q = mlp_quantize_int8(m, d, &err);
    if (!q)
        cli_report(&err);
    mlp_dataset_free(d);
    return q;
}

int cli_export_c_int8(const struct cli_args *a, const mlp_model *m, const char *out, char **header,
                      char **source)
{
    mlp_quantized *q = quantize(a, m);
    if (!q)
        return EXIT_BAD_INPUT;
    mlp_error err = {0};
    int rc = mlp_export_c_int8(q, out, header, source, &err) ? cli_report(&err) : EXIT_OK;
    mlp_quantized_free(q);
    return rc;
}

static void print_accuracy(const char *what, const mlp_metrics *mt, bool json)
{
    if (json)
        printf("\"%s\": {\"samples\": %d, \"accuracy\": %.17g}", what, mt->n, mt->accuracy);
    else
        printf("%-8s samples %d  accuracy %.2f%%\n", what, mt->n, 100 * mt->accuracy);
}

/* --metrics: the accuracy of the float32 model and of the int8 reference on --data. */
static int quantized_metrics(const struct cli_args *a, const mlp_model *m, const mlp_quantized *q)
{
    const char *spec = cli_get(a, "--data");
    mlp_scale scale;
    if (!spec)
        return cli_usage_error(a, "--metrics needs --data SPEC (the data set to evaluate on)");
    if (!cli_scale(a, &scale))
        return EXIT_BAD_INPUT;
    mlp_dataset *d = cli_load_data(a, spec);
    if (!d)
        return EXIT_BAD_INPUT;
    mlp_metrics f = {0}, i8 = {0};
    mlp_error err = {0};
    int rc = EXIT_OK;
    if (mlp_dataset_scale(d, NULL, scale, &err) || mlp_evaluate(m, d, &f, &err) ||
        mlp_quantized_evaluate(q, d, &i8, &err))
        rc = cli_report(&err);
    bool json = cli_flag(a, "--json");
    if (rc == EXIT_OK && json) {
        printf("{");
        print_accuracy("float32", &f, true);
        printf(", ");
        print_accuracy("int8", &i8, true);
        printf("}\n");
    } else if (rc == EXIT_OK) {
        print_accuracy("float32", &f, false);
        print_accuracy("int8", &i8, false);
        printf("int8 - float32: %+.2f points\n", 100 * (i8.accuracy - f.accuracy));
    }
    mlp_metrics_free(&f);
    mlp_metrics_free(&i8);
    mlp_dataset_free(d);
    return rc;
}

/* The int8 reference's outputs on --set / --data inputs: CSV rows (9 significant digits, which
 * read back as the same float32) with --data, else NAME = VALUE. */
static int quantized_outputs(const struct cli_args *a, const mlp_model *m, const mlp_quantized *q)
{
    struct cli_inputs in;
    int rc = cli_inputs_load(a, m, false, 1, &in);
    if (rc != EXIT_OK)
        return rc;
    const char *name = mlp_quantized_input_name(q);
    const struct cli_input *x = NULL;
    for (int i = 0; i < in.ninputs; i++)
        if (!strcmp(in.in[i].name, name))
            x = &in.in[i];
    int nin = mlp_quantized_inputs(q), nout = mlp_quantized_outputs(q);
    float *fi = malloc((size_t)nin * sizeof *fi), *fo = malloc((size_t)nout * sizeof *fo);
    bool csv = cli_get(a, "--data") != NULL;
    if (!x || !fi || !fo) {
        rc = cli_usage_error(a, x ? "out of memory" : "input '%s' has no value", name);
    } else {
        const char *out = mlp_quantized_output_name(q);
        for (int j = 0; csv && j < nout; j++)
            printf(j ? ",%s[%d]" : "%s[%d]", out, j);
        if (csv)
            putchar('\n');
        for (int r = 0; r < in.batch; r++) {
            const double *v = x->values + (x->rows > 1 ? (size_t)r * x->size : 0);
            for (int j = 0; j < nin; j++)
                fi[j] = (float)v[j];
            mlp_quantized_run(q, fi, fo);
            if (!csv)
                printf("%s = [", out);
            for (int j = 0; j < nout; j++)
                printf(j ? (csv ? ",%.9g" : ", %.9g") : "%.9g", (double)fo[j]);
            printf(csv ? "\n" : "]\n");
        }
    }
    free(fi);
    free(fo);
    cli_inputs_free(&in);
    return rc;
}

int cli_eval_quantized(const struct cli_args *a)
{
    const char *how = cli_get(a, "--quantized");
    if (strcmp(how, "int8"))
        return cli_usage_error(a, "--quantized must be int8, got '%s'", how);
    mlp_model *m = cli_load_model(a);
    if (!m)
        return EXIT_BAD_INPUT;
    mlp_quantized *q = quantize(a, m);
    int rc = !q ? EXIT_BAD_INPUT : cli_flag(a, "--metrics") ? quantized_metrics(a, m, q)
                                                             : quantized_outputs(a, m, q);
    mlp_quantized_free(q);
    mlp_model_free(m);
    return rc;
}

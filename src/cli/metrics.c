/* metrics.c - `mlp eval --metrics`: how a model does on a data set, for people and for --json. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>

/* Column sums (predicted) and row sums (true) of the confusion matrix. */
static void margins(const mlp_metrics *mt, int64_t *pred, int64_t *truth)
{
    int k = mt->classes;
    for (int i = 0; i < k; i++)
        pred[i] = truth[i] = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            truth[i] += mt->confusion[i * k + j];
            pred[j] += mt->confusion[i * k + j];
        }
}

static double ratio(int64_t a, int64_t b) { return b ? (double)a / (double)b : NAN; }

static void percent(FILE *f, double v)
{
    if (isnan(v))
        fprintf(f, "  %9s", "-");
    else
        fprintf(f, "  %8.1f%%", 100 * v);
}

static const char *class_name(const mlp_model *m, const mlp_metrics *mt, int c);

static void print_json(FILE *f, const mlp_metrics *mt, const mlp_model *m, const int64_t *pred,
                       const int64_t *truth)
{
    char buf[32];
    fprintf(f, "{\"samples\": %d, \"loss\": ", mt->n);
    cli_print_value(f, &mt->loss, 0, 0, NULL, true);
    if (mt->classes) {
        fprintf(f, ", \"accuracy\": %s, \"precision\": [", mlp_format_double(mt->accuracy, buf));
        for (int c = 0; c < mt->classes; c++) {
            double p = ratio(mt->confusion[c * mt->classes + c], pred[c]);
            fputs(c ? ", " : "", f);
            cli_print_value(f, &p, 0, 0, NULL, true);
        }
        fputs("], \"recall\": [", f);
        for (int c = 0; c < mt->classes; c++) {
            double r = ratio(mt->confusion[c * mt->classes + c], truth[c]);
            fputs(c ? ", " : "", f);
            cli_print_value(f, &r, 0, 0, NULL, true);
        }
        fputs("], \"confusion\": [", f);
        for (int i = 0; i < mt->classes; i++) {
            fputs(i ? ", [" : "[", f);
            for (int j = 0; j < mt->classes; j++)
                fprintf(f, j ? ", %lld" : "%lld", (long long)mt->confusion[i * mt->classes + j]);
            fputc(']', f);
        }
        fputc(']', f);
        for (int c = 0; class_name(m, mt, 0) && c < mt->classes; c++) {
            fputs(c ? ", " : ", \"class_names\": [", f);
            cli_print_json_string(f, class_name(m, mt, c));
        }
        if (class_name(m, mt, 0))
            fputc(']', f);
    }
    if (!isnan(mt->mse)) {
        fputs(", \"mse\": ", f);
        cli_print_value(f, &mt->mse, 0, 0, NULL, true);
    }
    fputs("}\n", f);
}

void cli_print_metrics(FILE *f, const mlp_metrics *mt, bool json)
{
    cli_print_metrics_for(f, mt, NULL, json);
}

/* Class c's label text (weights trained on label texts), or NULL. */
static const char *class_name(const mlp_model *m, const mlp_metrics *mt, int c)
{
    return m && mlp_model_class_count(m) == mt->classes ? mlp_model_class_name(m, c) : NULL;
}

void cli_print_metrics_for(FILE *f, const mlp_metrics *mt, const mlp_model *m, bool json)
{
    int k = mt->classes;
    int64_t *pred = calloc((size_t)k + 1, sizeof *pred), *truth = calloc((size_t)k + 1, sizeof *truth);
    if (k)
        margins(mt, pred, truth);
    if (json) {
        print_json(f, mt, m, pred, truth);
    } else {
        char buf[32];
        fprintf(f, "samples %d  loss %.6g\n", mt->n, mt->loss);
        if (!isnan(mt->mse))
            fprintf(f, "mean squared error %s\n", mlp_format_double(mt->mse, buf));
        if (k) {
            fprintf(f, "accuracy %.2f%%\n\n%5s  %9s  %9s  %7s\n", 100 * mt->accuracy, "class",
                    "precision", "recall", "samples");
            for (int c = 0; c < k; c++) {
                fprintf(f, "%5d", c);
                percent(f, ratio(mt->confusion[c * k + c], pred[c]));
                percent(f, ratio(mt->confusion[c * k + c], truth[c]));
                fprintf(f, "  %7lld", (long long)truth[c]);
                if (class_name(m, mt, c)) /* the label text, after the numbers */
                    fprintf(f, "  %s", class_name(m, mt, c));
                fputc('\n', f);
            }
            fprintf(f, "\nconfusion matrix (rows: true class, columns: predicted)\n%5s", "");
            for (int j = 0; j < k; j++)
                fprintf(f, " %6d", j);
            for (int i = 0; i < k; i++) {
                fprintf(f, "\n%5d", i);
                for (int j = 0; j < k; j++)
                    fprintf(f, " %6lld", (long long)mt->confusion[i * k + j]);
            }
            fputc('\n', f);
        }
    }
    free(pred);
    free(truth);
}

int cli_eval_metrics(const struct cli_args *a)
{
    const char *spec = cli_get(a, "--data");
    if (!spec)
        return cli_usage_error(a, "--metrics needs --data SPEC (the data set to evaluate on)");
    mlp_scale scale;
    mlp_model *m = cli_load_model(a);
    /* weights that carry their scaling get it (mlp_evaluate applies it), never statistics of
     * the evaluated data */
    mlp_dataset *d = m && cli_scale_for(a, m, &scale) ? cli_load_data_for(a, m, spec) : NULL;
    mlp_metrics mt = {0};
    mlp_error err = {0};
    int rc = d ? EXIT_OK : EXIT_BAD_INPUT;
    if (rc == EXIT_OK && mlp_dataset_targets(d) == 0)
        rc = cli_usage_error(a, "%s has no label column to compare with (name it with --label)",
                             spec);
    if (rc == EXIT_OK && (mlp_dataset_scale(d, NULL, scale, &err) || mlp_evaluate(m, d, &mt, &err)))
        rc = cli_report(&err);
    if (rc == EXIT_OK)
        cli_print_metrics_for(stdout, &mt, m, cli_flag(a, "--json"));
    mlp_metrics_free(&mt);
    mlp_dataset_free(d);
    mlp_model_free(m);
    return rc;
}

/* cmd_predict.c - `mlp predict`: a trained model's predictions for every row of a data set. */
#include "cli/cli.h"
#include "base/numfmt.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp predict MODEL --weights FILE --data SPEC [-o OUT.csv] [--json] [--metrics]\n"
    "                   [--label COLS] [--features COLS] [--scale HOW]\n"
    "\n"
    "Predict with a trained model for every sample of a data set, as `mlp train` reads one:\n"
    "fashion-mnist:test, IMAGES,LABELS (IDX files), or FILE.csv with a header row. For a CSV\n"
    "the feature columns are, by default, those the weights were trained on (so the training\n"
    "file works unchanged, and so does the same layout without its label column); the label\n"
    "column, when the file has it, is used only by --metrics. Scaling and label names saved\n"
    "with the weights are applied. Runs in float32, exactly as `eval --metrics` evaluates.\n"
    "\n"
    "Writes a CSV with a header: for a softmax_xent model `class` (the argmax: the label's own\n"
    "text when training had texts as labels) and the probabilities p[0], p[1], ...; for\n"
    "bce_logits `class` and p; otherwise the outputs' elements by name (y[0], ...). Numbers are\n"
    "the shortest decimals that read back as the same float32.\n"
    "\n"
    "  --weights FILE    parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --data SPEC       the samples to predict\n"
    "  -o FILE           write the predictions to FILE (atomically) instead of stdout\n"
    "  --json            {\"columns\": [NAMES], \"rows\": [[class, p0, ...], ...]} instead of CSV\n"
    "  --metrics         also print the report of `mlp eval --metrics` (needs the label column)\n"
    "  --label COLS      CSV: the label column(s) (default: the trained ones, if present)\n"
    "  --features COLS   CSV: the feature columns (default: the trained ones, else all others)\n"
    "  --scale HOW       for weights without saved scaling: none (default), unit or standard\n"
    "                    with statistics from this data, as eval --metrics does\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or bad input.\n";

/* A growing text buffer: a 100,000-row prediction is tens of megabytes, written at once. */
struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

static char *room(struct text *t, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1 << 16;
        while (t->len + n + 1 > cap)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = true;
            return NULL;
        }
        t->s = s;
        t->cap = cap;
    }
    return t->s + t->len;
}

static void put(struct text *t, const char *s, size_t n)
{
    char *p = room(t, n);
    if (p) {
        memcpy(p, s, n);
        t->len += n;
        t->s[t->len] = '\0';
    }
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static void put_float(struct text *t, float v, bool json)
{
    char buf[32];
    int n = json && !(v - v == 0) ? (int)strlen(strcpy(buf, "null")) : mlp_format_float(v, buf);
    put(t, buf, (size_t)n);
}

/* A CSV field or JSON string for a class: its text, or its index. */
static void put_class(struct text *t, const mlp_model *m, int c, bool json)
{
    const char *name = mlp_model_class_name(m, c);
    char buf[16];
    if (!name) {
        snprintf(buf, sizeof buf, "%d", c);
        puts_(t, buf);
        return;
    }
    bool quote = json || strpbrk(name, ",\"") != NULL;
    if (quote)
        put(t, "\"", 1);
    for (const char *s = name; *s; s++) {
        if (*s == '"')
            puts_(t, json ? "\\\"" : "\"\"");
        else if (json && *s == '\\')
            puts_(t, "\\\\");
        else if (json && (unsigned char)*s < 0x20)
            snprintf(buf, sizeof buf, "\\u%04x", (unsigned char)*s), puts_(t, buf);
        else
            put(t, s, 1);
    }
    if (quote)
        put(t, "\"", 1);
}

static void format(struct text *t, const mlp_model *m, const mlp_predictions *p, bool json)
{
    const char *sep = json ? ", " : ",";
    puts_(t, json ? "{\"columns\": [" : "");
    for (int c = -1; c < p->width; c++) {
        if (c < 0 && !p->cls)
            continue;
        if (c > (p->cls ? -1 : 0))
            puts_(t, sep);
        puts_(t, json ? "\"" : "");
        puts_(t, c < 0 ? "class" : p->names[c]);
        puts_(t, json ? "\"" : "");
    }
    puts_(t, json ? "], \"rows\": [" : "\n");
    for (int r = 0; r < p->n && !t->failed; r++) {
        puts_(t, json ? (r ? ", [" : "[") : "");
        if (p->cls) {
            put_class(t, m, p->cls[r], json);
            if (p->width)
                puts_(t, sep);
        }
        const float *v = p->values + (size_t)r * (size_t)p->width;
        for (int c = 0; c < p->width; c++) {
            if (c)
                puts_(t, sep);
            put_float(t, v[c], json);
        }
        puts_(t, json ? "]" : "\n");
    }
    puts_(t, json ? "]}\n" : "");
}

/* The data set, scaled as the weights say (or as --scale says for weights without scaling). */
static mlp_dataset *load_data(const struct cli_args *a, const mlp_model *m)
{
    const char *spec = cli_get(a, "--data");
    mlp_scale scale;
    if (!spec) {
        cli_usage_error(a, "missing --data SPEC (the samples to predict)");
        return NULL;
    }
    if (!cli_scale_for(a, m, &scale))
        return NULL;
    mlp_error err = {0};
    mlp_dataset *d = cli_load_data_for(a, m, spec);
    if (d && mlp_dataset_scale(d, NULL, scale, &err)) {
        cli_report(&err);
        mlp_dataset_free(d);
        return NULL;
    }
    return d;
}

int cmd_predict(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"--weights", CLI_LIST}, {"--data", CLI_VALUE},  {"-o", CLI_VALUE},
        {"--json", CLI_FLAG},    {"--metrics", CLI_FLAG}, {"--label", CLI_VALUE},
        {"--features", CLI_VALUE}, {"--scale", CLI_VALUE}, {"--seed", CLI_VALUE},
        {"--set", CLI_LIST},     {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "predict", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    mlp_model *m = cli_load_model_for_output(&a);
    mlp_dataset *d = m ? load_data(&a, m) : NULL;
    mlp_predictions p = {0};
    mlp_metrics mt = {0};
    mlp_error err = {0};
    struct text t = {0};
    bool metrics = cli_flag(&a, "--metrics");
    rc = d ? EXIT_OK : EXIT_BAD_INPUT;
    if (rc == EXIT_OK && metrics && mlp_dataset_targets(d) == 0)
        rc = cli_usage_error(&a, "--metrics needs the data's labels, and %s has no label column "
                                 "(name it with --label)", cli_get(&a, "--data"));
    if (rc == EXIT_OK && (mlp_predict(m, d, &p, &err) || (metrics && mlp_evaluate(m, d, &mt, &err))))
        rc = cli_report(&err);
    if (rc == EXIT_OK) {
        format(&t, m, &p, cli_flag(&a, "--json"));
        rc = t.failed ? cli_usage_error(&a, "out of memory for the predictions")
                      : cli_write_output(cli_get(&a, "-o"), t.s);
    }
    if (rc == EXIT_OK && metrics)
        cli_print_metrics_for(stdout, &mt, m, cli_flag(&a, "--json"));
    free(t.s);
    mlp_metrics_free(&mt);
    mlp_predictions_free(&p);
    mlp_dataset_free(d);
    mlp_model_free(m);
    return rc;
}

/* sparsity.c - `mlp grad --sparsity`: on concrete inputs, which ReLU (and step) units are
 * inactive and which gradient entries are exactly zero, the numerical side of `mlp zeros`. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

/* "h[1,2]" for flat element e of a value of the given dims, "h1" for a scalar. */
static void element_name(char *buf, size_t size, const char *name, int rank, const int *dims,
                         size_t e)
{
    int idx[MLP_MAX_RANK];
    for (int k = rank - 1; k >= 0; k--) {
        idx[k] = (int)(e % (size_t)dims[k]);
        e /= (size_t)dims[k];
    }
    size_t n = (size_t)snprintf(buf, size, "%s", name);
    for (int k = 0; k < rank && n < size; k++)
        n += (size_t)snprintf(buf + n, size - n, k ? ",%d" : "[%d", idx[k]);
    if (rank && n < size)
        snprintf(buf + n, size - n, "]");
}

/* `label: Z of T (P%)`, or the opening of its JSON object (the caller closes it). */
static void print_count(const char *label, const char *key, size_t zero, size_t total, bool json,
                        bool first)
{
    double frac = total ? (double)zero / (double)total : 0;
    if (json) {
        printf("%s", first ? "" : ", ");
        cli_print_json_string(stdout, label);
        printf(": {\"%s\": %zu, \"total\": %zu, \"fraction\": %.17g", key, zero, total, frac);
    } else {
        printf("  %s: %zu of %zu (%.4g%%)", label, zero, total, 100 * frac);
    }
}

/* One named relu/step value: its zero outputs over the batch, and the units zero in every
 * sample. */
static void print_units(const struct cli_run *run, const char *name, bool json, bool first)
{
    int rank, dims[MLP_MAX_RANK];
    size_t size = cli_shape(run->model, name, &rank, dims);
    int rows = mlp_session_is_batched(run->session, name) ? run->inputs.batch : 1;
    double *v = malloc(size * (size_t)rows * sizeof *v);
    mlp_session_get(run->session, name, v, NULL);
    size_t zero = 0;
    for (size_t i = 0; i < size * (size_t)rows; i++)
        zero += v[i] == 0;
    print_count(name, "inactive", zero, size * (size_t)rows, json, first);
    printf(json ? ", \"always_inactive\": [" : "");
    int listed = 0;
    for (size_t e = 0; e < size; e++) {
        bool always = true;
        for (int r = 0; r < rows; r++)
            always &= v[(size_t)r * size + e] == 0;
        if (!always)
            continue;
        char el[300];
        element_name(el, sizeof el, name, rank, dims, e);
        printf("%s", listed++ ? ", " : json ? "" : rows > 1 ? "; in every sample: " : ": ");
        if (json)
            cli_print_json_string(stdout, el);
        else
            printf("%s", el);
    }
    printf(json ? "]}" : "\n");
    free(v);
}

/* One gradient: its entries that are exactly 0. */
static void print_grad(const struct cli_run *run, const char *name, bool json, bool first)
{
    int rank, dims[MLP_MAX_RANK];
    size_t size = cli_shape(run->model, name, &rank, dims);
    int batch = run->inputs.batch;
    size_t n = size * (size_t)(mlp_session_is_batched(run->session, name) ? batch : 1);
    double *g = malloc(size * (size_t)batch * sizeof *g);
    mlp_session_grad(run->session, name, g, NULL);
    size_t zero = 0;
    for (size_t e = 0; e < n; e++)
        zero += g[e] == 0;
    char label[300];
    if (json)
        snprintf(label, sizeof label, "%s", name);
    else
        snprintf(label, sizeof label, "d%s/d%s", mlp_model_name(run->model, MLP_LOSS, 0), name);
    print_count(label, "zero", zero, n, json, first);
    printf(json ? "}" : "\n");
    free(g);
}

void cli_print_sparsity(const struct cli_run *run, const char *const *wrt, int nwrt, bool json)
{
    const mlp_model *m = run->model;
    if (json)
        printf(", \"sparsity\": {\"units\": {");
    else
        printf("inactive units (output exactly 0%s):\n",
               run->inputs.batch > 1 ? ", counted over every sample" : "");
    bool first = true;
    for (int i = 0; i < mlp_model_count(m, MLP_DEF); i++) {
        const char *name = mlp_model_name(m, MLP_DEF, i);
        if (mlp_model_is_unit(m, name)) {
            print_units(run, name, json, first);
            first = false;
        }
    }
    if (first && !json)
        printf("  (the model has no named relu, relu6 or step values)\n");
    printf(json ? "}, \"grad\": {" : "gradient entries exactly 0:\n");
    for (int i = 0; i < nwrt; i++)
        print_grad(run, wrt[i], json, i == 0);
    printf(json ? "}}" : "");
}

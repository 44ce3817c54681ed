/* data.c - what train and eval --metrics share: data sets, scaling and weight files. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --label and --features name CSV columns: false, with the usage error printed, when the data
 * is no .csv file (a directory is left to the loader, which says that it is one). */
static bool columns_apply(const struct cli_args *a, const char *spec)
{
    size_t n = strlen(spec);
    struct stat st;
    if ((n >= 4 && !strcmp(spec + n - 4, ".csv")) || !(cli_get(a, "--label") || cli_get(a, "--features")) ||
        (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)))
        return true;
    cli_usage_error(a, "--label and --features name CSV columns, but '%s' is not a .csv file", spec);
    return false;
}

mlp_dataset *cli_load_data(const struct cli_args *a, const char *spec)
{
    if (!columns_apply(a, spec))
        return NULL;
    mlp_error err = {0};
    mlp_dataset *d = mlp_dataset_load(spec, cli_get(a, "--label"), cli_get(a, "--features"), &err);
    if (!d)
        cli_report(&err);
    return d;
}

mlp_dataset *cli_load_data_for(const struct cli_args *a, const mlp_model *m, const char *spec)
{
    if (!columns_apply(a, spec))
        return NULL;
    mlp_error err = {0};
    mlp_dataset *d = mlp_dataset_load_for(m, spec, cli_get(a, "--label"), cli_get(a, "--features"),
                                          &err);
    if (!d)
        cli_report(&err);
    return d;
}

bool cli_scale(const struct cli_args *a, mlp_scale *out)
{
    static const char *const names[] = {"auto", "none", "unit", "standard"};
    const char *v = cli_get(a, "--scale");
    for (int i = 0; i < 4; i++)
        if (!v || !strcmp(v, names[i])) {
            *out = v ? (mlp_scale)i : MLP_SCALE_AUTO;
            return true;
        }
    cli_usage_error(a, "--scale must be auto, none, unit or standard, got '%s'", v);
    return false;
}

bool cli_scale_for(const struct cli_args *a, const mlp_model *m, mlp_scale *out)
{
    mlp_scale asked, saved = mlp_model_scale(m);
    if (!cli_scale(a, &asked))
        return false;
    if (saved != MLP_SCALE_NONE && asked != MLP_SCALE_AUTO && asked != saved) {
        cli_usage_error(a, "--scale %s, but the weights were trained with --scale %s (saved with "
                           "them, and applied)", cli_get(a, "--scale"),
                        saved == MLP_SCALE_UNIT ? "unit" : "standard");
        return false;
    }
    *out = saved != MLP_SCALE_NONE ? MLP_SCALE_NONE : asked;
    return true;
}

bool cli_load_weights(const struct cli_args *a, mlp_model *m)
{
    return cli_load_weights_from(a, "--weights", m);
}

bool cli_load_weights_from(const struct cli_args *a, const char *option, mlp_model *m)
{
    for (int i = 0; i < a->ngiven; i++) {
        if (strcmp(a->given[i].name, option))
            continue;
        const char *v = a->given[i].value, *eq = strchr(v, '=');
        mlp_error err = {0};
        int rc;
        size_t n = strlen(v);
        struct stat st;
        if (eq && stat(v, &st) != 0) { /* NAME=FILE.npy, unless a file is called that */
            char *name = strndup(v, (size_t)(eq - v)); /* whole: a long name is not cut */
            rc = name ? mlp_model_load_npy(m, name, eq + 1, &err) : MLP_ERR_NOMEM;
            free(name);
        } else if (n >= 4 && !strcmp(v + n - 4, ".npy")) {
            cli_usage_error(a, "%s %s: a .npy file holds one array; name the parameter it is "
                               "for: %s NAME=%s", option, v, option, v);
            return false;
        } else {
            rc = mlp_model_load_weights(m, v, &err);
        }
        if (rc != MLP_OK) {
            cli_report(&err);
            return false;
        }
    }
    return true;
}

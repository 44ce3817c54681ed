/* inputs.c - the model a command works on, and the values of its inputs (--set, --data). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>


/* Split "NAME=VALUE": a new string holding NAME, and *value pointing into arg; NULL if there is
 * no '=' or nothing before it. */
static char *split_set(const char *arg, const char **value)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return NULL;
    *value = eq + 1;
    return strndup(arg, (size_t)(eq - arg));
}

/* Parse a --set value for a named value of the model. */
static double *parse_set_value(const mlp_model *m, const char *name, const char *text)
{
    int dims[MLP_MAX_RANK];
    int rank = mlp_model_shape(m, name, dims);
    size_t size = mlp_model_size(m, name);
    double *v = malloc(size * sizeof *v);
    char where[300];
    snprintf(where, sizeof where, "--set %s", name);
    mlp_error err = {0};
    if (!v || mlp_parse_value(text, rank, dims, v, where, &err) != MLP_OK) {
        if (!v)
            fprintf(stderr, "mlp: out of memory\n");
        else
            cli_report(&err);
        free(v);
        return NULL;
    }
    return v;
}

/* Whether --set number i names the same value as an earlier --set. */
static bool set_before(const struct cli_args *a, int i, const char *name)
{
    size_t len = strlen(name);
    for (int j = 0; j < i; j++)
        if (!strcmp(a->given[j].name, "--set") && !strncmp(a->given[j].value, name, len) &&
            a->given[j].value[len] == '=')
            return true;
    return false;
}

/* Check --set number i and apply it if it is for a parameter; false (error printed) if bad. */
static bool apply_set(const struct cli_args *a, int i, mlp_model *m)
{
    const char *text;
    char *name = split_set(a->given[i].value, &text);
    bool ok = false;
    int kind = name ? mlp_model_kind(m, name) : -1;
    if (!name)
        cli_usage_error(a, "--set needs NAME=VALUE, got '%s'", a->given[i].value);
    else if (set_before(a, i, name))
        cli_usage_error(a, "--set %s: given more than once", name);
    else if (kind < 0)
        cli_usage_error(a, "--set %s: the model has no value named '%s'", name, name);
    else if (kind != MLP_INPUT && kind != MLP_PARAM)
        cli_usage_error(a, "--set %s: only inputs and parameters can be set", name);
    else
        ok = true;
    if (ok && kind == MLP_PARAM) {
        mlp_error err = {0};
        double *v = parse_set_value(m, name, text);
        ok = v && mlp_model_set_values(m, name, v, &err) == MLP_OK;
        if (v && !ok)
            cli_report(&err);
        free(v);
    }
    free(name);
    return ok;
}

mlp_model *cli_load_model_for_output(const struct cli_args *a)
{
    const struct cli_file out_file[] = {{"-o", cli_get(a, "-o")}};
    return cli_check_command_outputs(a, out_file, 1) ? cli_load_model(a) : NULL;
}

mlp_model *cli_load_model(const struct cli_args *a)
{
    if (a->npos < 1) {
        cli_usage_error(a, "missing MODEL (a .mlp, .onnx or .nnet file)");
        return NULL;
    }
    mlp_error err = {0};
    /* --nnet-normalize means something only to commands that list it among their options. */
    int flags = cli_flag(a, "--nnet-normalize") ? MLP_LOAD_NNET_NORMALIZE : 0;
    mlp_model *m = mlp_model_load_flags(a->pos[0], flags, &err);
    if (!m) {
        cli_report(&err);
        return NULL;
    }
    long seed = 1;
    if (!cli_int(a, "--seed", 0, 0x7fffffffL, &seed))
        goto fail;
    if (seed != 1)
        mlp_model_init_params(m, (uint64_t)seed, NULL);
    if (!cli_load_weights(a, m))
        goto fail;
    for (int i = 0; i < a->ngiven; i++)
        if (!strcmp(a->given[i].name, "--set") && !apply_set(a, i, m))
            goto fail;
    return m;
fail:
    mlp_model_free(m);
    return NULL;
}

static struct cli_input *find_input(struct cli_inputs *in, const char *name, size_t len)
{
    for (int i = 0; i < in->ninputs; i++)
        if (strlen(in->in[i].name) == len && !strncmp(in->in[i].name, name, len))
            return &in->in[i];
    return NULL;
}

/* Column "x[1,2]" -> the input x and the flat element index; "x" for a scalar input. */
static struct cli_input *column_target(struct cli_inputs *in, const mlp_model *m,
                                       const char *col, size_t *elem)
{
    const char *br = strchr(col, '[');
    size_t len = br ? (size_t)(br - col) : strlen(col);
    struct cli_input *ci = find_input(in, col, len);
    if (!ci)
        return NULL;
    int dims[MLP_MAX_RANK];
    int rank = mlp_model_shape(m, ci->name, dims);
    size_t flat = 0;
    int k = 0;
    const char *p = br ? br + 1 : NULL;
    while (p && k < rank) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v >= dims[k])
            return NULL;
        flat = flat * (size_t)dims[k++] + (size_t)v;
        p = end;
        if (*p == ',')
            p++;
        else
            break;
    }
    if (k != rank || (br && (!p || strcmp(p, "]"))))
        return NULL;
    *elem = flat;
    return ci;
}

struct column {
    int input, col;
    size_t elem;
};

static int by_element(const void *pa, const void *pb)
{
    const struct column *a = pa, *b = pb;
    if (a->input != b->input)
        return a->input < b->input ? -1 : 1;
    if (a->elem != b->elem)
        return a->elem < b->elem ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

/* "x[1,2]": the name of element `elem` (row-major) of input `name`. */
static void element_name(const mlp_model *m, const char *name, size_t elem, char *buf, size_t size)
{
    int dims[MLP_MAX_RANK], idx[MLP_MAX_RANK];
    int rank = mlp_model_shape(m, name, dims);
    for (int k = rank - 1; k >= 0; k--) {
        idx[k] = (int)(elem % (size_t)dims[k]);
        elem /= (size_t)dims[k];
    }
    int n = snprintf(buf, size, "%s", name);
    for (int k = 0; k < rank && n > 0 && (size_t)n < size; k++)
        n += snprintf(buf + n, size - (size_t)n, k ? ",%d" : "[%d", idx[k]);
    if (rank > 0 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "]");
}

/* Named columns must give each element of an input at most once, and every element of an input
 * they give at all (the others would silently be 0). Sorting by element finds both. */
static int check_columns(const struct cli_args *a, const mlp_model *m, const struct cli_inputs *in,
                         const mlp_table *t, const int *col_input, const size_t *col_elem)
{
    struct column *c = malloc((size_t)t->cols * sizeof *c);
    if (!c)
        return cli_usage_error(a, "out of memory");
    for (int i = 0; i < t->cols; i++)
        c[i] = (struct column){col_input[i], i, col_elem[i]};
    qsort(c, (size_t)t->cols, sizeof *c, by_element);
    const char *file = cli_get(a, "--data");
    int rc = EXIT_OK;
    size_t next = 0; /* the element the current input's next column should give */
    for (int i = 0; i < t->cols && rc == EXIT_OK; i++) {
        const struct cli_input *ci = &in->in[c[i].input];
        char elem[300];
        if (i > 0 && c[i].input == c[i - 1].input && c[i].elem == c[i - 1].elem) {
            rc = cli_usage_error(a, "%s: columns %d and %d both give %s", file, c[i - 1].col + 1,
                                 c[i].col + 1, t->names[c[i].col]);
            break;
        }
        if (c[i].elem == next)
            next++;
        bool last = i + 1 == t->cols || c[i + 1].input != c[i].input;
        if (c[i].elem + 1 != next || (last && next != ci->size)) {
            element_name(m, ci->name, next, elem, sizeof elem);
            rc = cli_usage_error(a, "%s has no column for %s (with a header, every element of an "
                                    "input needs a column)", file, elem);
        }
        if (last)
            next = 0;
    }
    free(c);
    return rc;
}

/* Give the rows of the data table to the inputs it covers. */
static int take_columns(const struct cli_args *a, const mlp_model *m, struct cli_inputs *in)
{
    mlp_table *t = in->data;
    int *col_input = calloc((size_t)t->cols, sizeof *col_input);
    size_t *col_elem = calloc((size_t)t->cols, sizeof *col_elem);
    int rc = EXIT_OK;
    if (!col_input || !col_elem) {
        rc = cli_usage_error(a, "out of memory");
        goto done;
    }
    if (t->names) {
        for (int c = 0; c < t->cols && rc == EXIT_OK; c++) {
            struct cli_input *ci = column_target(in, m, t->names[c], &col_elem[c]);
            if (!ci)
                rc = cli_usage_error(a, "%s: column '%s' names no input element (expected "
                                        "NAME for a scalar input, NAME[i] or NAME[i,j])",
                                     cli_get(a, "--data"), t->names[c]);
            else if (ci->rows == 1 && ci->values)
                rc = cli_usage_error(a, "%s: column '%s' is for input '%s', which --set already "
                                        "gives", cli_get(a, "--data"), t->names[c], ci->name);
            else
                col_input[c] = (int)(ci - in->in);
        }
        if (rc == EXIT_OK)
            rc = check_columns(a, m, in, t, col_input, col_elem);
    } else {
        size_t need = 0;
        for (int i = 0; i < in->ninputs; i++)
            need += in->in[i].values ? 0 : in->in[i].size;
        if (need != (size_t)t->cols)
            rc = cli_usage_error(a, "%s has %d columns, but the inputs not given by --set need %zu "
                                    "(in declaration order, flattened; or add a header row)",
                                 cli_get(a, "--data"), t->cols, need);
        for (int i = 0, c = 0; i < in->ninputs && rc == EXIT_OK; i++)
            for (size_t e = 0; !in->in[i].values && e < in->in[i].size; e++, c++) {
                col_input[c] = i;
                col_elem[c] = e;
            }
    }
    for (int c = 0; c < t->cols && rc == EXIT_OK; c++) {
        struct cli_input *ci = &in->in[col_input[c]];
        if (!ci->values) {
            ci->values = calloc(ci->size * (size_t)t->rows, sizeof *ci->values);
            ci->rows = t->rows;
            if (!ci->values)
                rc = cli_usage_error(a, "out of memory for the data");
        }
        for (int r = 0; r < t->rows && rc == EXIT_OK; r++)
            ci->values[(size_t)r * ci->size + col_elem[c]] = t->values[(size_t)r * t->cols + c];
    }
done:
    free(col_input);
    free(col_elem);
    return rc;
}

int cli_inputs_load(const struct cli_args *a, const mlp_model *m, bool random_fill,
                    uint64_t seed, struct cli_inputs *in)
{
    memset(in, 0, sizeof *in);
    in->batch = 1;
    in->ninputs = mlp_model_count(m, MLP_INPUT);
    in->in = calloc((size_t)in->ninputs + 1, sizeof *in->in);
    for (int i = 0; i < in->ninputs; i++) {
        in->in[i].name = mlp_model_name(m, MLP_INPUT, i);
        in->in[i].size = mlp_model_size(m, in->in[i].name);
    }
    for (int i = 0; i < a->ngiven; i++) {
        const char *text;
        char *name = strcmp(a->given[i].name, "--set") ? NULL : split_set(a->given[i].value, &text);
        struct cli_input *ci = name ? find_input(in, name, strlen(name)) : NULL;
        if (ci) { /* (parameters were applied when the model was loaded) */
            free(ci->values);
            ci->values = parse_set_value(m, name, text);
            ci->rows = 1;
        }
        free(name);
        if (ci && !ci->values)
            return EXIT_BAD_INPUT;
    }
    const char *data = cli_get(a, "--data");
    if (data) {
        mlp_error err = {0};
        in->data = mlp_table_read_csv(data, &err);
        if (!in->data)
            return cli_report(&err);
        in->batch = in->data->rows;
        int rc = take_columns(a, m, in);
        if (rc != EXIT_OK)
            return rc;
    }
    for (int i = 0; i < in->ninputs; i++) {
        struct cli_input *ci = &in->in[i];
        if (ci->values || !random_fill) /* without values: needed only if something uses it */
            continue;
        ci->values = malloc(ci->size * sizeof *ci->values);
        ci->rows = 1;
        if (!ci->values)
            return cli_usage_error(a, "out of memory for the values of '%s'", ci->name);
        mlp_random_normal(seed, (uint64_t)i + 1, ci->values, ci->size);
    }
    return EXIT_OK;
}

const char *cli_inputs_unset(const struct cli_inputs *in, const mlp_model *m, const char *name)
{
    int *needs = calloc((size_t)in->ninputs + 1, sizeof *needs);
    const char *unset = NULL;
    if (needs && mlp_model_inputs_needed(m, name, needs, NULL) == MLP_OK)
        for (int i = 0; i < in->ninputs && !unset; i++)
            if (!in->in[i].values && needs[i])
                unset = in->in[i].name;
    free(needs);
    return unset;
}

int cli_inputs_require(const struct cli_args *a, const struct cli_inputs *in, const mlp_model *m,
                       const char *name)
{
    const char *x = cli_inputs_unset(in, m, name);
    if (!x)
        return EXIT_OK;
    return cli_usage_error(a, "input '%s' has no value: give it with --set %s=VALUE or in --data",
                           x, x);
}

int cli_inputs_apply(const struct cli_inputs *in, mlp_session *s, mlp_error *err)
{
    for (int i = 0; i < in->ninputs; i++) {
        if (!in->in[i].values)
            continue;
        int rc = mlp_session_set(s, in->in[i].name, in->in[i].values, in->in[i].rows, err);
        if (rc != MLP_OK)
            return rc;
    }
    return MLP_OK;
}

void cli_inputs_free(struct cli_inputs *in)
{
    for (int i = 0; i < in->ninputs; i++)
        free(in->in[i].values);
    free(in->in);
    mlp_table_free(in->data);
    memset(in, 0, sizeof *in);
}

/* cmd_gradcheck.c - `mlp gradcheck`: analytic gradients against central finite differences.
 *
 * For each checked element v of an input or parameter, numeric = (L(v+h) - L(v-h)) / 2h with
 * h = 1e-6 max(1, |v|), in float64, where L is the loss summed over the batch. The error of an
 * element is |analytic - numeric| / max(|analytic|, |numeric|, floor), floor = 1e-3 max(1, |L|):
 * relative where gradients are large, absolute (scaled by the loss) where they are near zero,
 * so rounding noise in L(v+h) - L(v-h) does not fail exact zeros. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp gradcheck MODEL [--wrt NAME[,NAME...]] [--set NAME=VALUE]... [--data FILE.csv]\n"
    "                     [--tol T] [--max-checks N] [--seed N] [--json]\n"
    "\n"
    "Compare the gradient of the loss (from the adjoint graph) with central finite\n"
    "differences in float64, and print the worst error per input and parameter.\n"
    "Inputs without a value get seeded N(0, 1) values.\n"
    "\n"
    "  --wrt NAMES       what to check (default: every parameter and input)\n"
    "  --tol T           largest acceptable error (default 1e-6)\n"
    "  --max-checks N    check at most N elements of each value, evenly spread (default 2000)\n"
    "  --seed N          seed for unset inputs and initialised parameters (default 1)\n"
    "  --weights FILE    load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --set, --data     values, as for `mlp eval`\n"
    "  --json            print {\"tolerance\": T, \"ok\": bool, \"results\": {NAME: {...}}}\n"
    "\n"
    "The error of an element is |analytic - numeric| / max(|analytic|, |numeric|, floor),\n"
    "floor = 1e-3 max(1, |L|). Exit status: 0 all within tolerance, 1 some gradient is not,\n"
    "2 bad usage or bad input.\n";

struct check {
    const char *name;
    int checked, total;
    int undefined; /* elements where L(v +- h) is not finite though L(v) is: not compared */
    double worst;
    size_t worst_at;
};

/* Within tolerance: every compared element (a value whose every element is undefined, like a
 * class index, has nothing to disagree with). */
static bool passes(const struct check *c, double tol) { return c->checked == 0 || c->worst <= tol; }

/* The loss summed over the batch, for the session's current values. */
static double total_loss(const struct cli_run *run)
{
    mlp_session_run(run->session, NULL);
    return cli_loss_sum(run);
}

/* Values of a parameter (size) or an input expanded to every sample (batch * size). */
static double *current_values(const struct cli_run *run, const char *name, size_t n, bool input)
{
    double *v = malloc(n * sizeof *v);
    if (!v)
        return NULL;
    if (!input) {
        mlp_model_get_values(run->model, name, v, NULL);
        return v;
    }
    mlp_session_get(run->session, name, v, NULL);
    return v;
}

static void set_values(struct cli_run *run, const char *name, const double *v, bool input)
{
    if (input)
        mlp_session_set(run->session, name, v, run->inputs.batch, NULL);
    else
        mlp_session_set_param(run->session, name, v, NULL);
}

static void check_one(struct cli_run *run, double floor_scale, long max_checks,
                      struct check *c)
{
    bool input = mlp_model_kind(run->model, c->name) == MLP_INPUT;
    size_t size = mlp_model_size(run->model, c->name);
    size_t n = input ? size * (size_t)run->inputs.batch : size;
    double *v = current_values(run, c->name, n, input);
    double *analytic = malloc(n * sizeof *analytic);
    if (!v || !analytic) {
        free(v), free(analytic);
        c->worst = INFINITY;
        return;
    }
    total_loss(run);
    mlp_session_grad(run->session, c->name, analytic, NULL);
    c->total = (int)n;
    size_t stride = n > (size_t)max_checks ? (n + (size_t)max_checks - 1) / (size_t)max_checks : 1;
    for (size_t e = 0; e < n; e += stride) {
        double orig = v[e], h = 1e-6 * fmax(1.0, fabs(orig));
        v[e] = orig + h;
        set_values(run, c->name, v, input);
        double up = total_loss(run);
        v[e] = orig - h;
        set_values(run, c->name, v, input);
        double down = total_loss(run);
        v[e] = orig;
        if (!isfinite(up) || !isfinite(down)) {
            c->undefined++; /* e.g. a class index moved off an integer */
            continue;
        }
        double numeric = (up - down) / (2 * h), a = analytic[e];
        double err = fabs(a - numeric) / fmax(fmax(fabs(a), fabs(numeric)), floor_scale);
        if (!(err <= c->worst) || c->checked == 0) { /* NaN counts as the worst */
            c->worst = err;
            c->worst_at = e;
        }
        c->checked++;
    }
    set_values(run, c->name, v, input);
    free(v), free(analytic);
}

static void print_text(const char *file, const struct check *c, int n, double tol, int batch)
{
    printf("gradcheck %s: float64 central differences, batch of %d\n", file, batch);
    printf("  %-12s %10s  %-12s %s\n", "name", "checked", "worst error", "");
    bool ok = true;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        bool pass = passes(&c[i], tol);
        ok &= pass;
        if (c[i].checked && !(c[i].worst <= worst))
            worst = c[i].worst;
        char count[48];
        snprintf(count, sizeof count, "%d/%d", c[i].checked, c[i].total);
        if (c[i].checked)
            printf("  %-12s %10s  %-12.3g %s", c[i].name, count, c[i].worst,
                   pass ? "ok" : "MISMATCH");
        else
            printf("  %-12s %10s  %-12s", c[i].name, count, "-");
        if (c[i].undefined)
            printf("%s%d skipped: the loss is undefined next to their values (class indices?)",
                   c[i].checked ? "  " : "", c[i].undefined);
        putchar('\n');
    }
    if (ok)
        printf("ok: every gradient agrees with finite differences (worst %.3g, tolerance %g)\n",
               worst, tol);
    else
        printf("FAILED: some gradients differ from finite differences (tolerance %g)\n", tol);
}

static void print_json(const struct check *c, int n, double tol)
{
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok &= passes(&c[i], tol);
    printf("{\"tolerance\": %g, \"ok\": %s, \"results\": {", tol, ok ? "true" : "false");
    for (int i = 0; i < n; i++) {
        printf(i ? ", " : "");
        cli_print_json_string(stdout, c[i].name);
        printf(": {\"checked\": %d, \"total\": %d, \"undefined\": %d, \"worst_error\": ",
               c[i].checked, c[i].total, c[i].undefined);
        if (c[i].checked)
            cli_print_value(stdout, &c[i].worst, 0, 0, NULL, true);
        else
            printf("null");
        printf(", \"worst_index\": %zu, \"ok\": %s}", c[i].worst_at,
               passes(&c[i], tol) ? "true" : "false");
    }
    printf("}}\n");
}

/* The names to check: --wrt, or every parameter and then every input of the model. Returns a
 * malloc'ed array (pointing into *buf or the model) and its length in *n; NULL on a bad --wrt. */
static const char **names_to_check(const struct cli_args *a, const mlp_model *m, char **buf, int *n)
{
    const char **names = calloc(CLI_MAX_WRT, sizeof *names);
    *n = cli_wrt(a, false, buf, names, CLI_MAX_WRT);
    if (*n != 0) {
        if (*n < 0) {
            free(names);
            names = NULL;
        }
        return names;
    }
    free(names);
    int np = mlp_model_count(m, MLP_PARAM), ni = mlp_model_count(m, MLP_INPUT);
    names = calloc((size_t)(np + ni) + 1, sizeof *names);
    for (int i = 0; i < np; i++)
        names[(*n)++] = mlp_model_name(m, MLP_PARAM, i);
    for (int i = 0; i < ni; i++)
        names[(*n)++] = mlp_model_name(m, MLP_INPUT, i);
    return names;
}

/* Check every name against finite differences and print the results; the exit status. */
static int check_all(const struct cli_args *a, struct cli_run *run, const char **names, int n,
                     double tol, long max_checks)
{
    const char *loss = mlp_model_name(run->model, MLP_LOSS, 0);
    double L = total_loss(run);
    if (!isfinite(L))
        return cli_usage_error(a, "the loss %s is %g at these inputs, so there is no gradient to "
                                  "check; give the inputs values with --set or --data (unset "
                                  "inputs get N(0, 1) values, which are no class indices)",
                               loss, L);
    for (int i = 0; i < n; i++) {
        int kind = mlp_model_kind(run->model, names[i]);
        if (kind != MLP_INPUT && kind != MLP_PARAM)
            return cli_usage_error(a, "--wrt %s: gradcheck perturbs inputs and parameters only",
                                   names[i]);
    }
    struct check *c = calloc((size_t)n + 1, sizeof *c);
    for (int i = 0; i < n; i++) {
        c[i].name = names[i];
        check_one(run, 1e-3 * fmax(1.0, fabs(L)), max_checks, &c[i]);
    }
    if (cli_flag(a, "--json"))
        print_json(c, n, tol);
    else
        print_text(a->pos[0], c, n, tol, run->inputs.batch);
    int rc = EXIT_OK;
    for (int i = 0; i < n; i++)
        if (!passes(&c[i], tol))
            rc = EXIT_CHECK_FAILED;
    free(c);
    return rc;
}

int cmd_gradcheck(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"--wrt", CLI_VALUE},  {"--set", CLI_LIST},  {"--data", CLI_VALUE},       {"--tol", CLI_VALUE},
        {"--seed", CLI_VALUE}, {"--json", CLI_FLAG}, {"--max-checks", CLI_VALUE}, {"--weights", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "gradcheck", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    double tol = 1e-6;
    long max_checks = 2000;
    if (!cli_double(&a, "--tol", &tol) || !cli_int(&a, "--max-checks", 1, 1L << 30, &max_checks))
        return EXIT_BAD_INPUT;
    if (tol < 0)
        return cli_usage_error(&a, "--tol must not be negative, got '%s'", cli_get(&a, "--tol"));
    mlp_model *probe = cli_load_model(&a); /* to list the names before the run starts */
    if (!probe)
        return EXIT_BAD_INPUT;
    if (!mlp_model_name(probe, MLP_LOSS, 0)) {
        mlp_model_free(probe);
        return cli_usage_error(&a, "%s has no `loss` statement: gradcheck checks the gradient "
                                   "of the loss", a.pos[0]);
    }
    char *buf;
    int n;
    const char **names = names_to_check(&a, probe, &buf, &n);
    struct cli_run run = {0}; /* freed below even when nothing was started */
    if (!names)
        rc = EXIT_BAD_INPUT;
    else if (n == 0)
        rc = cli_usage_error(&a, "nothing to check");
    else if ((rc = cli_run_start(&a, names, n, true, &run)) == EXIT_OK)
        rc = check_all(&a, &run, names, n, tol, max_checks);
    cli_run_free(&run);
    free(names);
    free(buf);
    mlp_model_free(probe);
    return rc;
}

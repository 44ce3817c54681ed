/* cmd_verify.c - `mlp verify`: prove properties of a piecewise-linear model over every real
 * input, or print an exact counterexample. */
#include "cli/cli.h"
#include "cli/verify_vnnlib.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp verify MODEL --spec PROPERTY [--spec PROPERTY]... [--bounds BOX]... [BUDGET] [--json]\n"
    "       mlp verify NET --vnnlib PROP [BUDGET] [--json]\n"
    "       BUDGET: [--timeout S] [--max-memory SIZE] [--threads N]\n"
    "\n"
    "Decide each property for every real input of the model (or every input inside the\n"
    "--bounds boxes), exactly: \"holds\" is a proof, \"violated\" comes with a counterexample\n"
    "in exact rationals, re-checked by evaluating the network in rational arithmetic.\n"
    "The model must be piecewise linear: + - @ dot sum mean, * and / by constants, indexing,\n"
    "concat slice reshape flatten, step relu identity drelu, leaky_relu abs max min clip relu6\n"
    "sign. Literals are taken exactly as written (0.1 is 1/10).\n"
    "\n"
    "  --spec PROPERTY   linear comparisons of the model's named values (inputs, outputs,\n"
    "                    any statement; x[i], W[i, j]) with < <= == != >= >, chained as in\n"
    "                    Python (x[0] > x[1] > x[2]), joined by not, and, or, => and <=>.\n"
    "                    Vectors compare elementwise (all elements; != : some element).\n"
    "                    Example: 'y == 1 <=> x[0] > x[1] > x[2] > x[3] > x[4]'.\n"
    "                    Repeatable: each property is decided and reported on its own.\n"
    "  --bounds BOX      only inputs in the box: 'x in [-1, 1]', 'x[0] in [0, 1/2]',\n"
    "                    several joined by 'and' or ','. Repeatable.\n"
    "  --set P=VALUE     replace a parameter's values (inputs are quantified over: bound\n"
    "                    one with --bounds 'x in [v, v]' to fix it)\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "  --weights FILE    load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --json            {\"results\": [{\"spec\", \"result\": \"holds\"|\"violated\"|\"unknown\",\n"
    "                    \"counterexample\": {input: value}, \"output\": {name: value},\n"
    "                    \"requires\", \"domain\", \"method\", \"regions\", \"branches\",\n"
    "                    \"settled\", \"solver_calls\", with branch and bound \"boxes\",\n"
    "                    \"splits\", \"attack_steps\", \"candidates\", \"exact_leaves\", \"open\",\n"
    "                    \"depth\"; \"seconds\"}]}, values as exact rationals in strings (\"-1/4\")\n"
    "\n"
    "A spec whose --bounds bound every input it depends on, and that names (besides inputs) one\n"
    "value computed by dense relu layers, is decided by the branch and bound of --vnnlib\n"
    "(\"method\": \"branch and bound\"); others by exact region enumeration (\"regions\").\n"
    "\n"
    "  --vnnlib PROP     a VNNLIB property (VNN-COMP's subset): its asserts describe the\n"
    "                    unsafe set over inputs X_i and outputs Y_i; decided by branch and\n"
    "                    bound on sound float bounds, attacks checked exactly (docs/verify.md)\n"
    "  --timeout S       give up after S seconds (answer unknown); for --spec, per spec\n"
    "  --max-memory SIZE give up when open sub-problems need more (512M, 2G)\n"
    "  --threads N       worker threads (the same answer for every N)\n"
    "                    (the budget and threads apply to the branch and bound; the region\n"
    "                    enumeration runs to the end on one thread)\n"
    "\n"
    "Exit status: 0 every property holds, 1 one is violated, 2 bad usage or bad input,\n"
    "3 none is violated but one is unknown (the time or memory budget ran out).\n";

/* An exact value: "1/2", or nested lists "[1, -1/4]", quoted in JSON. */
static void print_exact(FILE *f, const mlp_exact_value *v, bool json)
{
    size_t at = 0;
    int idx[MLP_MAX_RANK] = {0};
    for (int axis = 0;;) {
        if (axis < v->rank) { /* open lists down to the elements */
            fputc('[', f);
            idx[axis++] = 0;
            continue;
        }
        fprintf(f, json ? "\"%s\"" : "%s", v->values[at++]);
        while (axis > 0 && ++idx[axis - 1] == v->dims[axis - 1]) {
            fputc(']', f);
            axis--;
        }
        if (axis == 0)
            return;
        fputs(", ", f);
    }
}

/* "x = [1, 2], t = 3" */
static void print_assignments(FILE *f, const mlp_exact_value *v, int n)
{
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s%s = ", i ? ", " : "", v[i].name);
        print_exact(f, &v[i], false);
    }
}

/* "16 activation regions, 31 solver calls, 0.02 s", or the branch and bound's counts */
static void print_effort(const mlp_verify_result *r)
{
    if (r->bab) {
        cli_verify_print_counts(r);
        return;
    }
    printf("%ld activation region%s, ", r->regions, r->regions == 1 ? "" : "s");
    if (r->settled)
        printf("%ld part%s settled by bounds, ", r->settled, r->settled == 1 ? "" : "s");
    printf("%ld solver call%s, %.3g s", r->solver_calls, r->solver_calls == 1 ? "" : "s",
           r->seconds);
}

static void print_text(const mlp_verify_result *r, const char *indent)
{
    if (r->holds) {
        printf("%sholds for every %s (", indent, r->domain[0] ? r->domain : "input");
        print_effort(r);
        printf(")\n");
        return;
    }
    if (r->unknown) {
        printf("%sunknown: the budget ran out with %ld sub-problem%s open (", indent, r->open,
               r->open == 1 ? "" : "s");
        print_effort(r);
        printf(")\n");
        return;
    }
    printf("%sviolated: ", indent);
    print_assignments(stdout, r->inputs, r->ninputs);
    if (r->nvalues) {
        printf(r->ninputs ? " gives " : "");
        print_assignments(stdout, r->values, r->nvalues);
        if (r->requires)
            printf(", but the spec requires %s", r->requires);
        else
            printf(", and the spec fails there whatever those values are");
    } else if (!r->ninputs) {
        printf("the spec is false");
    }
    printf("\n%s(counterexample re-checked in exact arithmetic; found after ", indent);
    print_effort(r);
    printf(")\n");
}

static void print_json_values(const char *key, const mlp_exact_value *v, int n)
{
    printf(", \"%s\": {", key);
    for (int i = 0; i < n; i++) {
        printf(i ? ", " : "");
        cli_print_json_string(stdout, v[i].name);
        printf(": ");
        print_exact(stdout, &v[i], true);
    }
    printf("}");
}

static void print_json(const mlp_verify_result *r, const char *spec, bool first)
{
    printf("%s{\"spec\": ", first ? "" : ", ");
    cli_print_json_string(stdout, spec);
    printf(", \"result\": \"%s\", \"domain\": ",
           r->holds ? "holds" : r->unknown ? "unknown" : "violated");
    cli_print_json_string(stdout, r->domain);
    if (!r->holds && !r->unknown) {
        print_json_values("counterexample", r->inputs, r->ninputs);
        print_json_values("output", r->values, r->nvalues);
        printf(", \"requires\": ");
        if (r->requires)
            cli_print_json_string(stdout, r->requires);
        else
            printf("null");
    }
    printf(", \"method\": \"%s\", \"regions\": %ld, \"branches\": %ld, \"settled\": %ld, "
           "\"solver_calls\": %ld", r->bab ? "branch and bound" : "regions", r->regions,
           r->branches, r->settled, r->solver_calls);
    if (r->bab)
        printf(", \"boxes\": %ld, \"splits\": %ld, \"attack_steps\": %ld, \"candidates\": %ld, "
               "\"exact_leaves\": %ld, \"open\": %ld, \"depth\": %ld", r->boxes, r->splits,
               r->attack_steps, r->candidates, r->exact_leaves, r->open, r->depth);
    printf(", \"seconds\": %.6f}", r->seconds);
}

/* --set may replace parameters only: inputs are what verify quantifies over. */
static bool check_sets(const struct cli_args *a, const mlp_model *m)
{
    for (int i = 0; i < a->ngiven; i++) {
        if (strcmp(a->given[i].name, "--set"))
            continue;
        const char *v = a->given[i].value, *eq = strchr(v, '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
        if (mlp_model_kind(m, name) == MLP_INPUT) {
            cli_usage_error(a, "--set %s: verify covers every value of the input '%s'; fix it "
                            "with --bounds '%s in [v, v]' instead", name, name, name);
            return false;
        }
    }
    return true;
}

/* Collect the values of a repeatable option. */
static int collect(const struct cli_args *a, const char *opt, const char **out)
{
    int n = 0;
    for (int i = 0; i < a->ngiven; i++)
        if (!strcmp(a->given[i].name, opt))
            out[n++] = a->given[i].value;
    return n;
}

int cmd_verify(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--spec", CLI_LIST}, {"--bounds", CLI_LIST}, {"--set", CLI_LIST},
                                          {"--seed", CLI_VALUE}, {"--json", CLI_FLAG}, {"--weights", CLI_LIST},
                                          {"--vnnlib", CLI_VALUE}, {"--timeout", CLI_VALUE},
                                          {"--max-memory", CLI_VALUE}, {"--threads", CLI_VALUE},
                                          {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "verify", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    const char *specs[CLI_MAX_GIVEN], *bounds[CLI_MAX_GIVEN];
    int nspecs = collect(&a, "--spec", specs), nbounds = collect(&a, "--bounds", bounds);
    const char *vnnlib = cli_get(&a, "--vnnlib");
    if (vnnlib && (nspecs || nbounds))
        return cli_usage_error(&a, "--vnnlib gives the property and its box: no --spec or --bounds");
    if (a.npos == 1 && nspecs == 0 && !vnnlib)
        return cli_usage_error(&a, "missing --spec PROPERTY or --vnnlib PROP (what to prove)");
    mlp_model *m = cli_load_model(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    if (!check_sets(&a, m)) {
        mlp_model_free(m);
        return EXIT_BAD_INPUT;
    }
    if (vnnlib) {
        rc = cli_verify_vnnlib(&a, m);
        mlp_model_free(m);
        return rc;
    }
    mlp_verify_options o;
    if ((rc = cli_verify_options(&a, &o)) != 0) {
        mlp_model_free(m);
        return rc;
    }
    /* Decide everything first: bad input in any spec leaves stdout empty. */
    mlp_verify_result *res = calloc((size_t)nspecs, sizeof *res);
    mlp_error err = {0};
    int done = 0;
    for (; done < nspecs && rc == EXIT_OK; done++) {
        if (mlp_verify_with(m, specs[done], bounds, nbounds, &o, &res[done], &err) != MLP_OK)
            rc = cli_report(&err);
        cli_verify_progress_done(&o);
    }
    bool violated = false, unknown = false, json = cli_flag(&a, "--json");
    for (int i = 0; i < nspecs && rc == EXIT_OK; i++) {
        violated = violated || (!res[i].holds && !res[i].unknown);
        unknown = unknown || res[i].unknown;
        if (json) {
            printf(i ? "" : "{\"results\": [");
            print_json(&res[i], specs[i], i == 0);
        } else {
            if (nspecs > 1)
                printf("spec %d: %s\n", i + 1, specs[i]);
            print_text(&res[i], nspecs > 1 ? "  " : "");
        }
    }
    if (rc == EXIT_OK && json)
        printf("]}\n");
    for (int i = 0; i < done; i++)
        mlp_verify_result_free(&res[i]);
    free(res);
    mlp_model_free(m);
    return rc != EXIT_OK ? rc : violated ? EXIT_CHECK_FAILED : unknown ? EXIT_UNKNOWN : EXIT_OK;
}

/* cmd_equiv.c - `mlp equiv`: do two models compute the same outputs? */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp equiv A.mlp B.mlp [--samples N] [--bounds LO,HI] [--tol T] [--seed N] [--json]\n"
    "                 [--weights FILE]... [--weights-a FILE]... [--weights-b FILE]...\n"
    "\n"
    "Evaluate both models in float64 on the same inputs and report the largest difference\n"
    "between their outputs (A's outputs, or its loss when it has none; B must compute values of\n"
    "the same names and shapes, from the same inputs). The inputs: all zeros, 6 samples of large\n"
    "magnitude (every element +-1e2, +-1e4 or +-1e6), and N random samples (N(0, 2^2)). This tests\n"
    "equivalence, it does not prove it.\n"
    "\n"
    "  --samples N     random samples (default 1000)\n"
    "  --bounds LO,HI  draw inputs uniformly from [LO, HI]; the large samples sit at the bounds\n"
    "  --tol T         equal when |a - b| <= T * max(1, |a|, |b|) (default 1e-9)\n"
    "  --seed N        seed for the samples (default 1)\n"
    "  --weights FILE  load parameters into both models: FILE.safetensors, or NAME=FILE.npy\n"
    "                  (repeatable); --weights-a and --weights-b load them into one model\n"
    "  --json          print {\"equivalent\": true|false, \"samples\": N, \"max_abs_diff\": d,\n"
    "                  \"max_rel_diff\": r, \"tol\": T, \"worst\": {\"output\": NAME, \"index\": i,\n"
    "                  \"sample\": s, \"a\": va, \"b\": vb}}\n"
    "\n"
    "Exit status: 0 equivalent, 1 a difference exceeds the tolerance, 2 bad usage or bad input.\n";

static bool parse_bounds(const struct cli_args *a, mlp_equiv_options *o)
{
    const char *v = cli_get(a, "--bounds");
    if (!v)
        return true;
    const char *comma = strchr(v, ',');
    char lo[128] = "";
    bool ok = comma && (size_t)(comma - v) < sizeof lo;
    if (ok)
        memcpy(lo, v, (size_t)(comma - v));
    ok = ok && cli_number(lo, &o->lo) && cli_number(comma + 1, &o->hi) && o->lo <= o->hi;
    if (!ok)
        cli_usage_error(a, "--bounds needs LO,HI with finite LO <= HI, got '%s'", v);
    o->bounded = 1;
    return ok;
}

static void print_result(const mlp_equiv_result *r, const mlp_equiv_options *o, bool json)
{
    char a[32], b[32], d[32], t[32];
    if (json) {
        printf("{\"equivalent\": %s, \"samples\": %d, \"max_abs_diff\": ",
               r->equivalent ? "true" : "false", r->nsamples);
        cli_print_value(stdout, &r->max_abs, 0, 0, NULL, true);
        printf(", \"max_rel_diff\": ");
        cli_print_value(stdout, &r->max_rel, 0, 0, NULL, true);
        printf(", \"tol\": %s, \"worst\": {\"output\": ", mlp_format_double(o->tol, t));
        cli_print_json_string(stdout, r->output);
        printf(", \"index\": %d, \"sample\": %d, \"a\": ", r->index, r->sample);
        cli_print_value(stdout, &r->a, 0, 0, NULL, true);
        printf(", \"b\": ");
        cli_print_value(stdout, &r->b, 0, 0, NULL, true);
        printf("}}\n");
        return;
    }
    printf("compared %s on %d samples (", r->output, r->nsamples);
    if (o->bounded)
        printf("uniform in [%g, %g], extremes at the bounds)\n", o->lo, o->hi);
    else
        printf("zero, 6 of magnitude 1e2 to 1e6, %d from N(0, 2^2))\n", o->samples);
    printf("largest difference: %s (relative %s) at %s element %d, sample %d: %s vs %s\n",
           mlp_format_double(r->max_abs, d), mlp_format_double(r->max_rel, t), r->output,
           r->index, r->sample, mlp_format_double(r->a, a), mlp_format_double(r->b, b));
    printf("%s (tolerance %s)\n", r->equivalent ? "equivalent" : "NOT equivalent",
           mlp_format_double(o->tol, t));
}

/* Model A (which = 0) or B with --weights and its own --weights-a or --weights-b applied;
 * NULL with the error printed. */
static mlp_model *load(const struct cli_args *a, int which, mlp_error *err)
{
    mlp_model *m = mlp_model_load(a->pos[which], err);
    if (!m) {
        cli_report(err);
        return NULL;
    }
    if (!cli_load_weights(a, m) || !cli_load_weights_from(a, which ? "--weights-b" : "--weights-a", m)) {
        mlp_model_free(m);
        return NULL;
    }
    return m;
}

int cmd_equiv(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--samples", CLI_VALUE}, {"--bounds", CLI_VALUE},
                                          {"--tol", CLI_VALUE},     {"--seed", CLI_VALUE},
                                          {"--json", CLI_FLAG},   {"--weights", CLI_LIST},
                                          {"--weights-a", CLI_LIST}, {"--weights-b", CLI_LIST},
                                          {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse_args(argc, argv, "equiv", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (a.npos != 2)
        return cli_usage_error(&a, "expected two models A and B, got %d arguments", a.npos);
    mlp_equiv_options o = {.samples = 1000, .tol = 1e-9, .seed = 1};
    long samples = o.samples, seed = 1;
    if (!cli_int(&a, "--samples", 0, 10000000, &samples) || !cli_int(&a, "--seed", 0, 0x7fffffffL, &seed) ||
        !cli_double(&a, "--tol", &o.tol) || !parse_bounds(&a, &o))
        return EXIT_BAD_INPUT;
    if (o.tol < 0)
        return cli_usage_error(&a, "--tol must be >= 0");
    o.samples = (int)samples;
    o.seed = (uint64_t)seed;
    mlp_error err = {0};
    mlp_model *ma = load(&a, 0, &err), *mb = NULL;
    mlp_equiv_result r;
    if (!ma || !(mb = load(&a, 1, &err)))
        rc = EXIT_BAD_INPUT;
    else if (mlp_equiv(ma, mb, &o, &r, &err) != MLP_OK)
        rc = cli_report(&err);
    else {
        print_result(&r, &o, cli_flag(&a, "--json"));
        rc = r.equivalent ? EXIT_OK : EXIT_CHECK_FAILED;
    }
    mlp_model_free(ma);
    mlp_model_free(mb);
    return rc;
}

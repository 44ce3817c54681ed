/* verify_vnnlib.c - `mlp verify MODEL --vnnlib PROP [--timeout S] [--max-memory SIZE]
 * [--threads N] [--json]`. */
#include "cli/verify_vnnlib.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "512M", "2G", "1000000" (bytes). */
static bool parse_size(const char *s, size_t *out)
{
    char *end;
    double v = strtod(s, &end);
    double unit = 1;
    if (*end && strchr("kKmMgG", *end)) {
        unit = tolower((unsigned char)*end) == 'k' ? 1e3 * 1.024
               : tolower((unsigned char)*end) == 'm' ? 1048576.0 : 1073741824.0;
        end++;
    }
    if (end == s || *end || !(v > 0) || v * unit > 1e18)
        return false;
    *out = (size_t)(v * unit);
    return true;
}

static void print_progress(const mlp_verify_progress *p, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "\rverify: %ld sub-problems, %ld open, worst margin %.3g, %.1f s   ",
            p->boxes, p->open, p->worst, p->seconds);
    fflush(stderr);
}

/* "p/q" as a decimal approximation, for reading (the exact value is in --json). */
static double approx(const char *q)
{
    const char *slash = strchr(q, '/');
    long double num = strtold(q, NULL), den = slash ? strtold(slash + 1, NULL) : 1;
    return (double)(num / den);
}

/* "y ~ [0.1, -2]": the approximate outputs. */
static void print_approx(FILE *f, const mlp_exact_value *v, int n)
{
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s%s ~ %s", i ? ", " : "", v[i].name, v[i].rank ? "[" : "");
        for (size_t e = 0; e < v[i].size; e++)
            fprintf(f, "%s%.9g", e ? ", " : "", approx(v[i].values[e]));
        fprintf(f, v[i].rank ? "]" : "");
    }
}

static void print_values(FILE *f, const mlp_exact_value *v, int n, bool json)
{
    for (int i = 0; i < n; i++) {
        if (json) {
            fprintf(f, "%s", i ? ", " : "");
            cli_print_json_string(f, v[i].name);
            fprintf(f, ": ");
        } else {
            fprintf(f, "%s%s = ", i ? ", " : "", v[i].name);
        }
        fprintf(f, v[i].rank ? "[" : "");
        for (size_t e = 0; e < v[i].size; e++)
            fprintf(f, json ? "%s\"%s\"" : "%s%s", e ? ", " : "", v[i].values[e]);
        fprintf(f, v[i].rank ? "]" : "");
    }
}

static void print_counts(const mlp_verify_result *r)
{
    printf("%ld sub-problem%s, %ld split%s", r->boxes, r->boxes == 1 ? "" : "s", r->splits,
           r->splits == 1 ? "" : "s");
    if (r->exact_leaves)
        printf(", %ld decided by exact region search", r->exact_leaves);
    printf(", %.3g s", r->seconds);
}

static void print_text(const mlp_verify_result *r)
{
    if (r->holds) {
        printf("holds: no input in the property's box has an output in the unsafe set (");
    } else if (r->unknown) {
        printf("unknown: the budget ran out with %ld sub-problem%s open (", r->open,
               r->open == 1 ? "" : "s");
    } else {
        printf("violated: ");
        print_values(stdout, r->inputs, r->ninputs, false);
        printf(" gives ");
        print_approx(stdout, r->values, r->nvalues);
        printf(", in the unsafe set\n(counterexample re-checked in exact arithmetic, exact "
               "outputs with --json; ");
    }
    print_counts(r);
    printf(")\n");
}

static void print_json(const mlp_verify_result *r, const char *prop)
{
    printf("{\"property\": ");
    cli_print_json_string(stdout, prop);
    printf(", \"result\": \"%s\", \"domain\": ",
           r->holds ? "holds" : r->unknown ? "unknown" : "violated");
    cli_print_json_string(stdout, r->domain);
    if (!r->holds && !r->unknown) {
        printf(", \"counterexample\": {");
        print_values(stdout, r->inputs, r->ninputs, true);
        printf("}, \"output\": {");
        print_values(stdout, r->values, r->nvalues, true);
        printf("}");
    }
    printf(", \"boxes\": %ld, \"splits\": %ld, \"attack_steps\": %ld, \"candidates\": %ld, "
           "\"exact_leaves\": %ld, \"open\": %ld, \"depth\": %ld, \"seconds\": %.6f}\n", r->boxes,
           r->splits, r->attack_steps, r->candidates, r->exact_leaves, r->open, r->depth,
           r->seconds);
}

int cli_verify_vnnlib(const struct cli_args *a, const mlp_model *m)
{
    mlp_verify_options o = {0};
    long threads = 1;
    const char *mem = cli_get(a, "--max-memory");
    if (!cli_double(a, "--timeout", &o.timeout) || !cli_int(a, "--threads", 1, 1024, &threads))
        return EXIT_BAD_INPUT;
    if (o.timeout < 0)
        return cli_usage_error(a, "--timeout must be >= 0 seconds (0: no limit)");
    if (mem && !parse_size(mem, &o.max_memory))
        return cli_usage_error(a, "--max-memory %s: expected a size such as 512M or 2G", mem);
    o.threads = (int)threads;
    bool json = cli_flag(a, "--json");
    if (!json && isatty(STDERR_FILENO))
        o.progress = print_progress;
    mlp_verify_result r;
    mlp_error err = {0};
    const char *prop = cli_get(a, "--vnnlib");
    int rc = mlp_verify_vnnlib(m, prop, &o, &r, &err);
    if (o.progress)
        fprintf(stderr, "\r%*s\r", 78, "");
    if (rc != MLP_OK)
        return cli_report(&err);
    if (json)
        print_json(&r, prop);
    else
        print_text(&r);
    int status = r.holds ? EXIT_OK : r.unknown ? EXIT_UNKNOWN : EXIT_CHECK_FAILED;
    mlp_verify_result_free(&r);
    return status;
}

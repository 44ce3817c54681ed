/* cmd_zeros.c - `mlp zeros`: which gradients facts like `z1 < 0` force to zero, and why. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp zeros MODEL --assume FACTS [--assume FACTS]... [--wrt NAMES] [--json]\n"
    "\n"
    "Say which gradients of the loss are guaranteed to be 0 for every value of everything the\n"
    "facts leave open (parameters and inputs count as unknown), with the reason as a chain of\n"
    "factors. For seed problem 3: mlp zeros relu-net.mlp --assume 'z1 < 0' answers YES for w1\n"
    "(relu'(z1) = 0) and w2 (its input h1 = 0), NO for w3.\n"
    "\n"
    "  --assume FACTS  comparisons of named values with numbers, separated by ',' or 'and':\n"
    "                  'z1 < 0', 'h1 == 0, z2 >= 0'. A fact covers every element of a value.\n"
    "  --wrt NAMES     comma-separated values to check (default: every parameter)\n"
    "  --json          print {\"facts\": [...], \"params\": {NAME: {\"always_zero\": true|false,\n"
    "                  \"why\": \"...\"}}}\n"
    "  --weights FILE  parameters from FILE.safetensors or NAME=FILE.npy (repeatable); they\n"
    "                  are checked against the model, but the answer holds for all their values\n"
    "\n"
    "Method: the facts are substituted into the adjoint graph (z1 < 0 makes relu(z1) and\n"
    "relu'(z1) the constant 0; h1 == 0 for h1 = relu(z1) implies z1 <= 0, so relu'(z1) = 0 too,\n"
    "as relu'(0) = 0) and the graph is simplified; YES means the gradient folds to the constant\n"
    "0, a proof over the real numbers. step'(z) = 0 everywhere.\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, bad input, or facts that contradict each other.\n";

static void print_text(const char *const *facts, int nfacts, const mlp_zero_result *r, int n)
{
    printf("Assuming ");
    for (int i = 0; i < nfacts; i++)
        printf(i ? ", %s" : "%s", facts[i]);
    printf(nfacts ? "" : "nothing");
    printf(", for every value of everything else:\n");
    int width = 0;
    for (int i = 0; i < n; i++)
        if ((int)strlen(r[i].name) > width)
            width = (int)strlen(r[i].name);
    for (int i = 0; i < n; i++)
        printf("  %-*s  %-3s  %s\n", width, r[i].name, r[i].always_zero ? "YES" : "NO", r[i].why);
}

static void print_json(const char *const *facts, int nfacts, const mlp_zero_result *r, int n)
{
    printf("{\"facts\": [");
    for (int i = 0; i < nfacts; i++) {
        printf(i ? ", " : "");
        cli_print_json_string(stdout, facts[i]);
    }
    printf("], \"params\": {");
    for (int i = 0; i < n; i++) {
        printf(i ? ", " : "");
        cli_print_json_string(stdout, r[i].name);
        printf(": {\"always_zero\": %s, \"why\": ", r[i].always_zero ? "true" : "false");
        cli_print_json_string(stdout, r[i].why);
        printf("}");
    }
    printf("}}\n");
}

int cmd_zeros(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"--assume", CLI_LIST}, {"--wrt", CLI_VALUE}, {"--json", CLI_FLAG}, {"--weights", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "zeros", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    const char *facts[CLI_MAX_GIVEN];
    int nfacts = 0;
    for (int i = 0; i < a.ngiven; i++)
        if (!strcmp(a.given[i].name, "--assume"))
            facts[nfacts++] = a.given[i].value;
    char *buf;
    const char *wrt[CLI_MAX_WRT];
    int nwrt = cli_wrt(&a, false, &buf, wrt, CLI_MAX_WRT);
    if (nwrt < 0) {
        free(buf);
        return EXIT_BAD_INPUT;
    }
    mlp_model *m = cli_load_model(&a);
    mlp_zero_result *r = NULL;
    int n = 0;
    mlp_error err = {0};
    if (!m)
        rc = EXIT_BAD_INPUT;
    else if (mlp_zeros(m, facts, nfacts, nwrt ? wrt : NULL, nwrt, &r, &n, &err) != MLP_OK)
        rc = cli_report(&err);
    else if (cli_flag(&a, "--json"))
        print_json(facts, nfacts, r, n);
    else
        print_text(facts, nfacts, r, n);
    mlp_zero_results_free(r, n);
    mlp_model_free(m);
    free(buf);
    return rc;
}

/* cmd_print.c - `mlp print`: the canonical text of a model. */
#include "cli/cli.h"

static const char usage[] =
    "usage: mlp print MODEL [--values] [--seed N] [--set NAME=VALUE]...\n"
    "\n"
    "Print the model in canonical form: one declaration or statement per line, expressions\n"
    "fully parenthesised by precedence, numbers in shortest round-trip form. Parsing the\n"
    "output gives back the same graph.\n"
    "\n"
    "  --values         write parameters as literal values instead of `~ INIT`\n"
    "  --seed N         seed for parameters declared with an initialiser (default 1)\n"
    "  --set NAME=VAL   replace a parameter's values first (implies nothing else)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or a model with errors.\n";

int cmd_print(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"--values", CLI_FLAG}, {"--seed", CLI_VALUE}, {"--set", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "print", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    mlp_model *m = cli_load_model(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    mlp_error err = {0};
    rc = mlp_model_write(m, stdout, cli_flag(&a, "--values") ? MLP_WRITE_VALUES : 0, &err);
    mlp_model_free(m);
    return rc == MLP_OK ? EXIT_OK : cli_report(&err);
}

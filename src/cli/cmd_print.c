/* cmd_print.c - `mlp print`: the canonical text of a model. */
#include "cli/cli.h"

#include <stdlib.h>

static const char usage[] =
    "usage: mlp print MODEL [--values] [--weights FILE]... [--seed N] [--set NAME=VALUE]...\n"
    "                 [-o OUT.mlp]\n"
    "\n"
    "Print the model as a model file in canonical form: one declaration or statement per line,\n"
    "expressions fully parenthesised by precedence, numbers in shortest round-trip form.\n"
    "Parsing the output gives back the same graph. With --values and --weights, the output is\n"
    "a self-contained copy of a trained model: every parameter written as its values, float32\n"
    "weights as their exact decimals, so that eval computes the same numbers, bit for bit, and\n"
    "verify reasons about the very same weights.\n"
    "\n"
    "  --values         write parameters as literal values instead of `~ INIT`\n"
    "  --weights FILE   load parameters first: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --seed N         seed for parameters declared with an initialiser (default 1)\n"
    "  --set NAME=VAL   replace a parameter's values first\n"
    "  -o FILE          write to FILE (atomically) instead of stdout\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or a model with errors.\n";

int cmd_print(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--values", CLI_FLAG}, {"--seed", CLI_VALUE},
                                          {"--set", CLI_LIST},    {"--weights", CLI_LIST},
                                          {"-o", CLI_VALUE},      {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "print", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    mlp_model *m = cli_load_model_for_output(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    mlp_error err = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rc = f ? mlp_model_write(m, f, cli_flag(&a, "--values") ? MLP_WRITE_VALUES : 0, &err)
           : MLP_ERR_NOMEM;
    if (f)
        fclose(f);
    mlp_model_free(m);
    if (rc == MLP_OK)
        rc = cli_write_output(cli_get(&a, "-o"), text);
    else
        rc = f ? cli_report(&err) : cli_usage_error(&a, "out of memory");
    free(text);
    return rc;
}

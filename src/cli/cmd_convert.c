/* cmd_convert.c - `mlp convert`: an equivalent model with other activations (seed problem 2). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp convert MODEL --activation FROM=TO [--all] [-o OUT.mlp]\n"
    "       mlp convert MODEL --fold batch_norm_infer [-o OUT.mlp]\n"
    "\n"
    "Write an equivalent model in which every hidden FROM activation is a TO activation, using\n"
    "  sigmoid(a) = 0.5 * tanh(0.5 * a) + 0.5      (--activation sigmoid=tanh)\n"
    "  tanh(a)    = 2 * sigmoid(2 * a) - 1         (--activation tanh=sigmoid)\n"
    "The constants are folded into the neighbouring affine layers where possible: for\n"
    "h = sigmoid(W1 @ x + b1) used as W2 @ h + b2 that gives W1* = W1/2, b1* = b1/2, W2* = W2/2\n"
    "and b2* = b2 + (1/2) sum_j W2[:, j], the seed's parameters. Where folding is impossible\n"
    "(a parameter used elsewhere, a use that is not a product with a parameter followed by a\n"
    "bias) the affine map is written out, so the result is always equivalent. The output is a\n"
    "model file with numeric values (shortest round-trip digits); its first lines are comments\n"
    "saying what was done. Check it with `mlp equiv MODEL OUT.mlp`.\n"
    "With --fold batch_norm_infer, every batch_norm_infer(W @ x + b, mean, var, gamma, beta,\n"
    "eps) whose W and b are parameters used only there is folded into them:\n"
    "W* = diag(s) W, b* = s (b - mean) + beta with s = gamma / sqrt(var + eps), in float64.\n"
    "\n"
    "  --activation F=T  the rewrite: sigmoid=tanh or tanh=sigmoid\n"
    "  --fold OP         fold OP into the affine layer before it: batch_norm_infer\n"
    "  --all             also rewrite activations whose value is an output or the loss\n"
    "                    (explicitly, since their value must not change)\n"
    "  -o OUT            write to OUT (written completely or not at all) instead of stdout\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "  --weights FILE    load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --set NAME=VALUE  replace a parameter's values first\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, bad input, or no activation to rewrite.\n";

int cmd_convert(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--activation", CLI_VALUE}, {"--all", CLI_FLAG}, {"-o", CLI_VALUE},
                                          {"--seed", CLI_VALUE},       {"--set", CLI_LIST},  {"--weights", CLI_LIST},
                                          {"--fold", CLI_VALUE},       {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "convert", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    const char *spec = cli_get(&a, "--activation"), *fold = cli_get(&a, "--fold");
    if (fold && strcmp(fold, "batch_norm_infer"))
        return cli_usage_error(&a, "--fold takes batch_norm_infer, got '%s'", fold);
    if (fold && spec)
        return cli_usage_error(&a, "--fold and --activation are separate conversions: run one, "
                                   "then the other on its output");
    if (!spec && !fold)
        return cli_usage_error(&a, "--activation FROM=TO is required (sigmoid=tanh or "
                                   "tanh=sigmoid), or --fold batch_norm_infer");
    const char *eq = spec ? strchr(spec, '=') : NULL;
    if (spec && (!eq || eq == spec || !eq[1]))
        return cli_usage_error(&a, "--activation needs FROM=TO, got '%s'", spec);
    char from[64];
    snprintf(from, sizeof from, "%.*s", eq ? (int)(eq - spec) : 0, spec ? spec : "");
    mlp_model *m = cli_load_model_for_output(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    mlp_error err = {0};
    char *report = NULL;
    mlp_model *out = fold ? mlp_convert_fold(m, &report, &err)
                          : mlp_convert_activation(m, from, eq + 1, cli_flag(&a, "--all") ?
                                                   MLP_CONVERT_OUTPUTS : 0, &report, &err);
    rc = out ? EXIT_OK : cli_report(&err);
    if (out) {
        /* The model text goes to a memory stream first: one complete write, or none. */
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        fputs(report, mem);
        rc = mlp_model_write(out, mem, MLP_WRITE_VALUES, &err) == MLP_OK ? EXIT_OK
                                                                          : cli_report(&err);
        fclose(mem);
        if (rc == EXIT_OK)
            rc = cli_write_output(cli_get(&a, "-o"), text);
        free(text);
    }
    free(report);
    mlp_model_free(out);
    mlp_model_free(m);
    return rc;
}

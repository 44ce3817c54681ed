/* cmd_derive.c - `mlp derive`: the backpropagation equations of a model's loss. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp derive MODEL --wrt NAME[,NAME...] [--format text|latex|mlp]\n"
    "\n"
    "Print the backpropagation equations for the model's loss: the adjoint x̄ = dL/dx of every\n"
    "named value between the loss and the --wrt values, in the order backpropagation computes\n"
    "them, simplified as a person writes them (for the seed's residual MLP:\n"
    "ȳ = y − s, h̄ = r + W2ᵀ ȳ, z̄ = h̄ ∘ σ'(z), x̄ = W1ᵀ z̄ + ȳ). These are the equations\n"
    "`mlp grad` evaluates.\n"
    "\n"
    "  --wrt NAMES      comma-separated inputs, parameters or named values\n"
    "  --format F       text (default, UTF-8), latex (an aligned environment), or mlp: a model\n"
    "                   file whose outputs are the adjoints d_NAME; `mlp eval` runs it\n"
    "  --weights FILE   parameters from FILE.safetensors or NAME=FILE.npy (repeatable): the\n"
    "                   values --format mlp writes\n"
    "\n"
    "Sums list first the terms that mention no other adjoint, then the others in the order the\n"
    "program uses the value. Parameter adjoints are written per sample; over a batch they are\n"
    "summed.\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or bad input.\n";

static bool parse_format(const struct cli_args *a, mlp_derive_format *f)
{
    const char *v = cli_get(a, "--format");
    static const struct {
        const char *name;
        mlp_derive_format f;
    } formats[] = {{"text", MLP_DERIVE_TEXT}, {"latex", MLP_DERIVE_LATEX}, {"mlp", MLP_DERIVE_MLP}};
    *f = MLP_DERIVE_TEXT;
    for (size_t i = 0; v && i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(v, formats[i].name)) {
            *f = formats[i].f;
            return true;
        }
    if (v)
        cli_usage_error(a, "--format must be text, latex or mlp, got '%s'", v);
    return !v;
}

int cmd_derive(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--wrt", CLI_VALUE}, {"--format", CLI_VALUE}, {"--weights", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "derive", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    mlp_derive_format format;
    if (!parse_format(&a, &format))
        return EXIT_BAD_INPUT;
    char *buf;
    const char *wrt[CLI_MAX_WRT];
    int nwrt = cli_wrt(&a, true, &buf, wrt, CLI_MAX_WRT);
    if (nwrt < 0) {
        free(buf);
        return EXIT_BAD_INPUT;
    }
    mlp_model *m = cli_load_model(&a);
    mlp_error err = {0};
    char *text = m ? mlp_derive(m, wrt, nwrt, format, &err) : NULL;
    rc = text ? EXIT_OK : (m ? cli_report(&err) : EXIT_BAD_INPUT);
    if (text)
        fputs(text, stdout);
    free(text);
    free(buf);
    mlp_model_free(m);
    return rc;
}

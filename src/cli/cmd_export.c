/* cmd_export.c - `mlp export`: a model in another format; each format is one library call. */
#include "cli/cli.h"

#include <string.h>

static const char usage[] =
    "usage: mlp export MODEL [--weights W] --format onnx -o OUT\n"
    "\n"
    "Write the model's outputs (and the graph they depend on) in another format:\n"
    "  onnx   an ONNX model (IR 8, opset 17): every input as [N, ...] with N the batch, every\n"
    "         parameter and constant as a float32 initializer of its own name, each op as the\n"
    "         ONNX op (or short pattern) that computes it; `mlp import` reads it back as the\n"
    "         same function. Ops without an ONNX counterpart are an error naming them.\n"
    "\n"
    "  --format F        the format (onnx)\n"
    "  -o OUT            the file to write (written completely or not at all; - for stdout)\n"
    "  --weights FILE    load parameters first: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "  --set NAME=VALUE  replace a parameter's values first\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, bad input, or an op the format cannot hold.\n";

static int export_onnx(const mlp_model *m, const char *out)
{
    mlp_error err = {0};
    return mlp_model_export_onnx(m, out, &err) == MLP_OK ? EXIT_OK : cli_report(&err);
}

static const struct format {
    const char *name;
    int (*write)(const mlp_model *m, const char *out);
} formats[] = {
    {"onnx", export_onnx},
};

int cmd_export(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--format", CLI_VALUE}, {"-o", CLI_VALUE},
                                          {"--weights", CLI_LIST}, {"--seed", CLI_VALUE},
                                          {"--set", CLI_LIST},     {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "export", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    const char *fmt = cli_get(&a, "--format"), *out = cli_get(&a, "-o");
    if (!fmt || !out)
        return cli_usage_error(&a, "--format and -o are required (e.g. --format onnx -o net.onnx)");
    const struct format *f = NULL;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(fmt, formats[i].name))
            f = &formats[i];
    if (!f)
        return cli_usage_error(&a, "unknown --format '%s' (onnx)", fmt);
    mlp_model *m = cli_load_model(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    rc = f->write(m, out);
    mlp_model_free(m);
    return rc;
}

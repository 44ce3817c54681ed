/* cmd_export.c - `mlp export`: a model in another format; each format is a library exporter
 * behind one entry of the table below. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp export MODEL [--weights W] --format onnx -o OUT\n"
    "       mlp export MODEL [--weights W] --format c -o DIR/NAME\n"
    "       mlp export MODEL --format c -o DIR/NAME --quantize int8 --calibrate DATA\n"
    "\n"
    "Write the model's outputs (and the graph they depend on) in another format:\n"
    "  onnx   an ONNX model (IR 8, opset 17): every input as [N, ...] with N the batch, every\n"
    "         parameter and constant as a float32 initializer of its own name, each op as the\n"
    "         ONNX op (or short pattern) that computes it; `mlp import` reads it back as the\n"
    "         same function. Ops without an ONNX counterpart are an error naming them.\n"
    "  c      standalone C99 for microcontrollers: DIR/NAME.h and DIR/NAME.c, with\n"
    "         NAME_predict(input, output) and the sizes as macros (see docs/export.md). No\n"
    "         dynamic memory, no stdio, no global state but one documented static workspace.\n"
    "\n"
    "  --format F         onnx or c\n"
    "  -o OUT             the file to write (onnx; - for stdout), or DIR/NAME (c: NAME.h and\n"
    "                     NAME.c, NAME the C prefix); written completely or not at all\n"
    "  --weights FILE     load parameters first: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --seed N           seed for parameters declared with an initialiser (default 1)\n"
    "  --set NAME=VALUE   replace a parameter's values first\n"
    "  --quantize int8    (c) post-training quantisation: int8 weights and activations, int32\n"
    "                     accumulators, integer-only NAME_predict_q\n"
    "  --calibrate DATA   (c) the data whose activations set the int8 scales: fashion-mnist,\n"
    "                     IMAGES,LABELS (IDX) or FILE.csv (with --label/--features)\n"
    "  --label COLS, --features COLS, --scale HOW   read DATA as `mlp train` does\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, bad input, or an op the format cannot hold.\n";

static int export_onnx(const struct cli_args *a, const mlp_model *m, const char *out)
{
    (void)a;
    mlp_error err = {0};
    return mlp_model_export_onnx(m, out, &err) == MLP_OK ? EXIT_OK : cli_report(&err);
}

/* Write NAME.h and NAME.c; neither is replaced unless both could be written. */
static int write_pair(const char *out, const char *header, const char *source)
{
    size_t n = strlen(out);
    if (n >= 2 && out[n - 2] == '.' && (out[n - 1] == 'c' || out[n - 1] == 'h'))
        n -= 2;
    char *hpath = malloc(n + 3), *cpath = malloc(n + 3);
    mlp_error err = {0};
    mlp_outfile *h = NULL, *c = NULL;
    int rc = EXIT_BAD_INPUT;
    if (hpath && cpath) {
        snprintf(hpath, n + 3, "%.*s.h", (int)n, out);
        snprintf(cpath, n + 3, "%.*s.c", (int)n, out);
        h = mlp_outfile_open(hpath, &err);
        c = h ? mlp_outfile_open(cpath, &err) : NULL;
    }
    if (c && fputs(header, mlp_outfile_stream(h)) >= 0 && fputs(source, mlp_outfile_stream(c)) >= 0) {
        rc = mlp_outfile_commit(c, &err) == MLP_OK && mlp_outfile_commit(h, &err) == MLP_OK
                 ? EXIT_OK : cli_report(&err);
        c = h = NULL;
    } else if (err.status != MLP_OK) {
        cli_report(&err);
    } else {
        fprintf(stderr, "mlp export: cannot write %s\n", hpath ? hpath : out);
    }
    mlp_outfile_abort(c);
    mlp_outfile_abort(h);
    free(hpath);
    free(cpath);
    return rc;
}

static int export_c(const struct cli_args *a, const mlp_model *m, const char *out)
{
    mlp_error err = {0};
    char *header = NULL, *source = NULL;
    int rc = EXIT_OK;
    if (cli_get(a, "--quantize"))
        rc = cli_export_c_int8(a, m, out, &header, &source);
    else if (mlp_export_c(m, out, &header, &source, &err))
        rc = cli_report(&err);
    if (rc == EXIT_OK)
        rc = write_pair(out, header, source);
    free(header);
    free(source);
    return rc;
}

static const struct format {
    const char *name;
    bool quantizes; /* accepts --quantize/--calibrate */
    int (*write)(const struct cli_args *a, const mlp_model *m, const char *out);
} formats[] = {
    {"onnx", false, export_onnx},
    {"c", true, export_c},
};

int cmd_export(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"--format", CLI_VALUE},    {"-o", CLI_VALUE},        {"--weights", CLI_LIST},
        {"--seed", CLI_VALUE},      {"--set", CLI_LIST},      {"--quantize", CLI_VALUE},
        {"--calibrate", CLI_VALUE}, {"--label", CLI_VALUE},   {"--features", CLI_VALUE},
        {"--scale", CLI_VALUE},     {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "export", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    const char *fmt = cli_get(&a, "--format"), *out = cli_get(&a, "-o");
    if (!fmt)
        return cli_usage_error(&a, "--format is required (onnx or c)");
    const struct format *f = NULL;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(fmt, formats[i].name))
            f = &formats[i];
    if (!f)
        return cli_usage_error(&a, "unknown --format '%s' (known: onnx, c)", fmt);
    if (!out)
        return cli_usage_error(&a, f->quantizes ? "-o DIR/NAME is required (the files are NAME.h and NAME.c)"
                                                : "-o OUT is required (e.g. -o net.onnx)");
    const char *base = strrchr(out, '/');
    if (f->quantizes && (!*out || (base && (!base[1] || !strcmp(base + 1, ".c") || !strcmp(base + 1, ".h")))))
        return cli_usage_error(&a, "-o DIR/NAME is required, with a NAME (the files are NAME.h and "
                                   "NAME.c)");
    const char *quantize = cli_get(&a, "--quantize");
    if ((quantize || cli_get(&a, "--calibrate")) && !f->quantizes)
        return cli_usage_error(&a, "--quantize and --calibrate apply to --format c only");
    if (quantize && strcmp(quantize, "int8"))
        return cli_usage_error(&a, "--quantize must be int8, got '%s'", quantize);
    if (!quantize != !cli_get(&a, "--calibrate"))
        return cli_usage_error(&a, quantize ? "--quantize int8 needs --calibrate DATA"
                                            : "--calibrate needs --quantize int8");
    mlp_model *m = cli_load_model(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    rc = f->write(&a, m, out);
    mlp_model_free(m);
    return rc;
}

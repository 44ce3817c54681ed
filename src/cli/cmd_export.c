/* cmd_export.c - `mlp export`: a model in another form, written by the library's exporters. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mlp export MODEL --format c -o DIR/NAME [--weights FILE]\n"
    "       mlp export MODEL --format c -o DIR/NAME --quantize int8 --calibrate DATA\n"
    "\n"
    "Write the model's outputs as standalone C99 for microcontrollers: DIR/NAME.h and\n"
    "DIR/NAME.c, with NAME_predict(input, output) and the sizes as macros (see docs/export.md).\n"
    "No dynamic memory, no stdio, no global state but one documented static workspace.\n"
    "\n"
    "  --format c         standalone C (float32, or int8 with --quantize)\n"
    "  -o DIR/NAME        where to write NAME.h and NAME.c; NAME becomes the C prefix\n"
    "  --weights FILE     load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "  --seed N           seed for parameters declared with an initialiser (default 1)\n"
    "  --set NAME=VALUE   replace a parameter's values\n"
    "  --quantize int8    post-training quantisation: int8 weights and activations, int32\n"
    "                     accumulators, integer-only NAME_predict_q\n"
    "  --calibrate DATA   the data whose activations set the int8 scales: fashion-mnist,\n"
    "                     IMAGES,LABELS (IDX) or FILE.csv (with --label/--features)\n"
    "  --label COLS, --features COLS, --scale HOW   read DATA as `mlp train` does\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, bad input or an op without a C lowering.\n";

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
    const char *format = cli_get(&a, "--format"), *out = cli_get(&a, "-o");
    if (!format || strcmp(format, "c"))
        return cli_usage_error(&a, format ? "unknown --format '%s' (known: c)"
                                          : "--format is required (c)%s", format ? format : "");
    const char *base = out ? strrchr(out, '/') : NULL;
    if (!out || !*out || (base && (!base[1] || !strcmp(base + 1, ".c") || !strcmp(base + 1, ".h"))))
        return cli_usage_error(&a, "-o DIR/NAME is required, with a NAME (the files are NAME.h and "
                                   "NAME.c)");
    const char *quantize = cli_get(&a, "--quantize");
    if (quantize && strcmp(quantize, "int8"))
        return cli_usage_error(&a, "--quantize must be int8, got '%s'", quantize);
    if (!quantize != !cli_get(&a, "--calibrate"))
        return cli_usage_error(&a, quantize ? "--quantize int8 needs --calibrate DATA"
                                            : "--calibrate needs --quantize int8");
    mlp_model *m = cli_load_model(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    mlp_error err = {0};
    char *header = NULL, *source = NULL;
    if (quantize)
        rc = cli_export_c_int8(&a, m, out, &header, &source);
    else if (mlp_export_c(m, out, &header, &source, &err))
        rc = cli_report(&err);
    if (rc == EXIT_OK)
        rc = write_pair(out, header, source);
    free(header);
    free(source);
    mlp_model_free(m);
    return rc;
}

/* cmd_import.c - `mlp import`: an ONNX or .nnet model as a model file in the language. */
#include "cli/cli.h"

#include <stdlib.h>

static const char usage[] =
    "usage: mlp import FILE [-o OUT.mlp] [--nnet-normalize] [--weights FILE]...\n"
    "\n"
    "Write the model in FILE (ONNX or .nnet, recognised by content) as a model file in the\n"
    "language: one declaration per input, initializer or weight, one statement per node\n"
    "(fused where a person would write one: W @ x + b), and the outputs. Numbers keep their\n"
    "exact values: float32 initializers print as the doubles they are (which verify reads as\n"
    "exact binary fractions), .nnet weights as the decimals written in the file. Every other\n"
    "command reads FILE directly as well; import is for reading, editing and keeping it.\n"
    "\n"
    "Names: ONNX names are kept where they are identifiers; any other character becomes '_',\n"
    "a leading digit gets a leading '_', and a name taken twice (or a keyword) gets a suffix\n"
    "_2, _3, ... The batch dimension of ONNX shapes becomes mlp's implicit batch. A .nnet\n"
    "network reads as input x, weights W1, b1, ..., output y.\n"
    "\n"
    "  -o OUT            write to OUT (written completely or not at all) instead of stdout\n"
    "  --nnet-normalize  .nnet only: include the file's input clamping and normalisation,\n"
    "                    (clamp(x, min, max) - mean) / range, and its output scaling\n"
    "                    y * range + mean (default: the raw network, as in the ONNX copies)\n"
    "  --weights FILE    replace the parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, a damaged file, or an op mlp does not have (named).\n";

int cmd_import(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        {"-o", CLI_VALUE}, {"--nnet-normalize", CLI_FLAG}, {"--weights", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "import", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    mlp_model *m = cli_load_model_for_output(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    mlp_error err = {0};
    rc = mlp_model_write(m, mem, MLP_WRITE_VALUES, &err) == MLP_OK ? EXIT_OK : cli_report(&err);
    fclose(mem);
    if (rc == EXIT_OK)
        rc = cli_write_output(cli_get(&a, "-o"), text);
    free(text);
    mlp_model_free(m);
    return rc;
}

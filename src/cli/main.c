/* main.c - `mlp`: dispatch to a subcommand (one file per subcommand). */
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"eval", cmd_eval, "evaluate a model's outputs and loss (one sample or a CSV batch)"},
    {"grad", cmd_grad, "the loss and its gradient with respect to inputs and parameters"},
    {"gradcheck", cmd_gradcheck, "compare every gradient with float64 finite differences"},
    {"print", cmd_print, "a model in canonical form; with --values --weights, a trained model as one file"},
    {"draw", cmd_draw, "the computation graph as DOT, Mermaid, SVG or PNG"},
    {"derive", cmd_derive, "the backpropagation equations, as text, LaTeX or a model file"},
    {"zeros", cmd_zeros, "which gradients facts like `z1 < 0` force to zero, and why"},
    {"convert", cmd_convert, "rewrite activations (sigmoid <-> tanh) into an equivalent model"},
    {"equiv", cmd_equiv, "compare two models' outputs on the same inputs"},
    {"train", cmd_train, "train the parameters on a data set (SGD, Adam, AdamW; IDX, CSV)"},
    {"verify", cmd_verify, "prove a property for every real input, or give an exact counterexample"},
    {"predict", cmd_predict, "a trained model's predictions (classes, probabilities) for a data set"},
    {"import", cmd_import, "an ONNX or .nnet model as a model file in the language"},
    {"export", cmd_export, "write a model in another format: ONNX, or standalone C (float32 or int8)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mlp COMMAND [ARGS]   (mlp help COMMAND, or mlp COMMAND --help, for details)\n\n"
               "mlp %s: multilayer perceptrons and their computation graphs.\n\ncommands:\n",
            MLP_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nExit status: 0 ok, 1 a check failed, 2 bad usage or bad input.\n");
}

/* Results that did not reach stdout (a full disk, a closed pipe) are a failure, not success. */
static int finish(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "mlp: cannot write the output: %s\n", strerror(errno ? errno : EIO));
    return EXIT_BAD_INPUT;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(argv[1], "help") && argc > 2) { /* `mlp help CMD`: CMD's own --help */
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            if (!strcmp(argv[2], commands[i].name))
                return finish(commands[i].run(1, (char *[]){"--help", NULL}));
        fprintf(stderr, "mlp help: unknown command '%s'\n\n", argv[2]);
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mlp %s\n", MLP_VERSION);
        return EXIT_OK;
    }
    cli_signals_install();
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return finish(commands[i].run(argc - 2, argv + 2));
    fprintf(stderr, "mlp: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_BAD_INPUT;
}

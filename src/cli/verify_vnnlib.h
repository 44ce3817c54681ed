/* verify_vnnlib.h - `mlp verify MODEL --vnnlib PROP`: options, output and exit status. */
#ifndef MLP_CLI_VERIFY_VNNLIB_H
#define MLP_CLI_VERIFY_VNNLIB_H

#include "cli/cli.h"

/* Exit status of an undecided property (time or memory ran out). */
enum { EXIT_UNKNOWN = 3 };

/* Decide the --vnnlib property of m and print the verdict; the exit status. */
int cli_verify_vnnlib(const struct cli_args *a, const mlp_model *m);

#endif

/* verify_vnnlib.h - `mlp verify MODEL --vnnlib PROP`: options, output and exit status. */
#ifndef MLP_CLI_VERIFY_VNNLIB_H
#define MLP_CLI_VERIFY_VNNLIB_H

#include "cli/cli.h"

/* Exit status of an undecided property (time or memory ran out). */
enum { EXIT_UNKNOWN = 3 };

/* --timeout, --max-memory, --threads (and a progress line on a terminal unless --json) into
 * o; 0, or the exit status of a usage error. */
int cli_verify_options(const struct cli_args *a, mlp_verify_options *o);
/* "N sub-problems, M splits, ..., T s": the branch and bound's effort. */
void cli_verify_print_counts(const mlp_verify_result *r);
/* Clear the progress line, if o drew one. */
void cli_verify_progress_done(const mlp_verify_options *o);

/* Decide the --vnnlib property of m and print the verdict; the exit status. */
int cli_verify_vnnlib(const struct cli_args *a, const mlp_model *m);

#endif

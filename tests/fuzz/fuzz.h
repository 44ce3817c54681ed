/* fuzz.h - what the fuzz harnesses share.
 *
 * Each harness tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput (and, if it needs set-up,
 * LLVMFuzzerInitialize). It is linked either with libFuzzer (`make fuzz`, clang) or with the
 * standalone driver.c, which replays the committed corpus tests/fuzz/corpus/NAME/ under the
 * build's own compiler and sanitizers (`make test`). A harness checks invariants, not only that
 * nothing crashes: a failed FUZZ_ASSERT prints what went wrong and aborts, which both drivers
 * report as a crash with the input that caused it.
 */
#ifndef MLP_FUZZ_H
#define MLP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond, ...)                                                                  \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

/* A NUL-terminated copy of the input (which may itself contain NUL bytes). */
char *fuzz_cstr(const uint8_t *data, size_t size);
/* The invariants of a reported error about `text` (len bytes) named `file`: an input error with
 * a one-line message, and a position, when given, in `file` and inside the text (a column
 * without a line, as "spec:COL" reports, inside its first line). */
void fuzz_check_error(const mlp_error *err, const char *text, size_t len, const char *file);
/* A binary file's error that says "at byte N" names a byte of the file (N <= size). */
void fuzz_check_byte_position(const mlp_error *err, size_t size);
/* A harness's own fixed model, parsed once; aborts the harness if it does not parse. */
mlp_model *fuzz_fixed_model(const char *text, const char *file);
/* The weight harnesses' fixed model (W[2,3], b[2], a scalar s), parsed twice: one to load fuzzed
 * files into, one to reload their round trip into. Aborts if it does not parse. */
void fuzz_weights_models(mlp_model **model, mlp_model **copy);
/* Save m's parameters (float64 safetensors, in a private temporary folder), load the file into
 * `copy` (a model of the same text) and check that every parameter comes back with the same
 * bits: the weight harnesses' round trip. */
void fuzz_check_weights_round_trip(const mlp_model *m, mlp_model *copy);
struct mlp_graph;
/* The model as `mlp print` writes it (with parameter values when `values`), malloc'd. */
char *fuzz_print(const struct mlp_graph *g, bool values);
/* An importer's model printed with its values parses back (under `budget` nodes) and prints the
 * same: `mlp import` is load-then-print, so what it writes must be a model. */
void fuzz_check_reprint(const struct mlp_graph *g, int64_t budget);
/* Equal numbers, counting NaN equal to NaN. */
static inline bool fuzz_same(double a, double b) { return a == b || (a != a && b != b); }

#endif

/* verify_nets.h - random relu networks for the verify tests, and an independent exact oracle
 * for their extremes (Z3's optimiser over the network written as if-then-else terms). */
#ifndef MLP_TEST_VERIFY_NETS_H
#define MLP_TEST_VERIFY_NETS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/rng.h"

/* A random relu network with weights in eighths and biases in quarters: input x[nin], `hidden`
 * hidden layers of `width` to `width` + 2 units, output y[2]. */
void random_net_sized(mlp_rng *rng, char *buf, size_t size, int nin, int hidden, int width);

/* The exact largest value of sign * (c0 * y[0] + c1 * y[1]) (sign +1 or -1) of model text over
 * the box [-1, 1]^nin, as a rational "p/q" in out (size bytes); false on failure. */
bool exact_extreme(const char *model, double c0, double c1, int sign, char *out, size_t size);

/* Everything a VNNLIB run reports but its time, on `threads` threads with a timeout (seconds,
 * 0: none): "holds|violated|unknown N boxes ... " then the counterexample's inputs and outputs
 * as exact rationals; "error" on failure. */
void vnn_summary(const char *model, const char *prop, int threads, double timeout, char *out,
                 size_t size);

#endif

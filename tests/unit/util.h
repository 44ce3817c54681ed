/* util.h - helpers shared by the unit tests. */
#ifndef MLP_TEST_UTIL_H
#define MLP_TEST_UTIL_H

#include "mlp.h"

/* Parse a model from text; NULL (and the error printed) on failure. */
mlp_model *parse_ok(const char *text);
/* Parse text expected to fail; returns "line:col: message" in a static buffer ("" if it parsed). */
const char *parse_error(const char *text);
/* Evaluate `name` of model text with inputs given as "x=[1,2]" strings (NULL-terminated list)
 * into out; returns 0 on success. */
int eval_model(const char *text, const char *const *sets, const char *name, double *out);
/* Largest error between the model's analytic gradients (every input and parameter) and central
 * finite differences, at seeded random inputs, in float64. */
double gradient_error(const char *text, unsigned seed);

/* Largest relative difference between the outputs d_NAME of the model file `mlp derive
 * --format mlp` writes and the session's gradients, for every input and parameter, at seeded
 * random inputs; INFINITY if anything fails. */
double derived_gradient_error(const char *text, unsigned seed);
/* "1/1000...0" with n zeros (n <= 1000), in a static buffer: 10^-n as an exact rational. */
const char *one_over_10_to(int n);

#endif

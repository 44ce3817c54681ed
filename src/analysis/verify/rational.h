/* rational.h - exact rationals (GMP mpq_t) for verification: model literals taken exactly as
 * written ("1e-9", "-1/4", "0.1" is 1/10, not the nearest double), doubles taken at their exact
 * value, and rationals printed as "p/q". */
#ifndef MLP_ANALYSIS_VERIFY_RATIONAL_H
#define MLP_ANALYSIS_VERIFY_RATIONAL_H

#include <stdbool.h>
#include <stdint.h>
#include <gmp.h>

#include "graph/graph.h"

/* Largest decimal exponent a literal may have (1e-4096 is fine; 1e-99999999 would take GMP
 * minutes and gigabytes, so it is refused rather than approximated). */
#define VQ_MAX_EXPONENT 4096

/* Parse a number as the model language writes it: [+-] DIGITS [. DIGITS] [e [+-] DIGITS], with an
 * optional "/ DENOMINATOR" of the same form. Exact; false if malformed, the exponent is beyond
 * VQ_MAX_EXPONENT or the denominator is zero. */
bool vq_parse(mpq_t q, const char *text);
/* The exact value of a finite double; false for NaN and infinities. */
bool vq_set_double(mpq_t q, double v);
/* The exact value of pool entry `off` of a graph: its literal text when the model wrote one, else
 * the double stored there. False when neither gives a finite rational. */
bool vq_pool_value(mpq_t q, const mlp_graph *g, int64_t off);
/* out = the least multiple of 2^-bits that is >= q (out may be q). */
void vq_round_up_dyadic(mpq_t out, const mpq_t q, unsigned bits);
/* The greatest double <= q and the least double >= q (equal when q is a double); q must lie
 * within the range of doubles. */
double vq_down(const mpq_t q);
double vq_up(const mpq_t q);
/* "p/q", or "p" for an integer; malloc'ed. */
char *vq_str(const mpq_t q);

/* Arrays of rationals: allocated and initialised to 0 / cleared and freed. */
mpq_t *vq_array_new(int64_t n);
void vq_array_free(mpq_t *a, int64_t n);

#endif

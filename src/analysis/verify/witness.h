/* witness.h - turning a floating-point candidate into a counterexample, or not.
 *
 * The candidate is moved into the case's exact box (a coordinate outside it, even by one ulp,
 * becomes the box's bound: float(0.6) < 3/5), the network is evaluated at that rational point
 * by the exact evaluator (net.h), and the point counts only when the exact outputs and inputs lie
 * in the case's unsafe set (vnnlib.h). */
#ifndef MLP_ANALYSIS_VERIFY_WITNESS_H
#define MLP_ANALYSIS_VERIFY_WITNESS_H

#include <stdbool.h>
#include <gmp.h>

#include "analysis/verify/net.h"
#include "analysis/verify/vnnlib.h"

/* Whether x (nx doubles), snapped into case k's box, violates the property exactly; the snapped
 * point goes to point (nx rationals) either way. `out` is the cone node of the outputs Y. */
bool vwit_check(const struct vnet *net, int out, const struct vnnlib *p, int k, const double *x,
                mpq_t *point);
/* The exact outputs at a rational input point: y (ny rationals). */
void vwit_outputs(const struct vnet *net, int out, const mpq_t *point, mpq_t *y);

#endif

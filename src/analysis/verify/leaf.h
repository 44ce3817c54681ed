/* leaf.h - the exact decision of a sub-box the float bounds could not settle.
 *
 * A box that stays open deep in the search (bab.h) is decided by the region
 * enumeration of search.h, which is exact: its unsafe set (the open terms of the case) becomes
 * the spec `not (term_1 or ...)` over the network's input and output elements, and the box is
 * the exact intersection of the float box with the case's box. */
#ifndef MLP_ANALYSIS_VERIFY_LEAF_H
#define MLP_ANALYSIS_VERIFY_LEAF_H

#include <stdint.h>
#include <gmp.h>

#include "analysis/verify/net.h"
#include "analysis/verify/vnnlib.h"

/* 1: no point of the box is unsafe; 0: point (nx rationals) is, re-checked exactly; -1: error.
 * `open`: the terms of case k still to decide (a bit each). */
int vleaf_decide(const struct vnet *net, int out, const struct vnnlib *p, int k,
                 const double *xl, const double *xu, uint64_t open, mpq_t *point,
                 mlp_error *err);

#endif

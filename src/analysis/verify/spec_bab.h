/* spec_bab.h - a spec over a bounded box decided by the branch and bound of --vnnlib (bab.h).
 *
 * The spec's negation is the unsafe set: brought to disjunctive normal form over its
 * comparisons, each comparison made atoms `t >= 0` / `t > 0` (t <= 0 is -t >= 0, t == 0 both,
 * t != 0 either strict one), over the inputs and the elements of the one value the spec names
 * besides them. That is a VNNLIB property with one box (cases of at most VBAB_MAX_TERMS terms),
 * decided as --vnnlib decides one. It applies when every input is bounded, the spec names one
 * value besides the inputs, and that value's part of the model is a chain of dense relu layers
 * (dense.h); otherwise the caller uses the region enumeration (search.h). */
#ifndef MLP_ANALYSIS_VERIFY_SPEC_BAB_H
#define MLP_ANALYSIS_VERIFY_SPEC_BAB_H

#include <gmp.h>

#include "analysis/verify/linform.h"
#include "analysis/verify/net.h"
#include "analysis/verify/spec.h"
#include "mlp.h"

/* 1: the spec holds on the box; 0: violated at point (nvars rationals, re-checked exactly
 * against the unsafe set; the caller re-checks it against the spec); -1: unknown (the budget of
 * opt ran out); -2: error (err filled); -3: the branch and bound does not apply. The counts go
 * to r (boxes, splits, ...). t0: when the verification started (CLOCK_MONOTONIC seconds). */
int vspec_bab(const struct vnet *net, const struct vspec *s, const struct vbox *box,
              const mlp_verify_options *opt, double t0, mpq_t *point, mlp_verify_result *r,
              mlp_error *err);

#endif

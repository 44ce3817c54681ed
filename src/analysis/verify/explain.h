/* explain.h - the words around a verdict: which inputs a proof covers, and what a property
 * demands at a counterexample. */
#ifndef MLP_ANALYSIS_VERIFY_EXPLAIN_H
#define MLP_ANALYSIS_VERIFY_EXPLAIN_H

#include "analysis/verify/linform.h"
#include "analysis/verify/net.h"
#include "analysis/verify/spec.h"

/* "x in R^5", "x in [-1, 1]^2, t in R", "x in R^3 with x[0] in [0, 1]" (malloc'ed; "" when the
 * property depends on no input). */
char *vexplain_domain(const struct vnet *net, const struct vbox *box);
/* What the spec requires of the values it names other than inputs, the inputs being fixed at a
 * concrete evaluation `ev` (n = 0): "y = 0" when those values are 0/1 unit outputs and exactly
 * one choice satisfies it, else the spec with the inputs substituted and simplified ("y == 1").
 * NULL when it names no such value or no value could satisfy it. */
char *vexplain_requires(const struct vspec *s, const struct veval *ev);
/* Name and shape an exact value of a verdict (a counterexample's input or output): v->values
 * gets v->size empty slots (plus a NULL) for the caller's decimal strings. */
void vexplain_value_init(mlp_exact_value *v, const char *name, mlp_shape shape);

#endif

/* vnnverify.h - deciding a parsed VNNLIB property of a model's graph (mlp_verify_vnnlib reads
 * the file and calls this). */
#ifndef MLP_ANALYSIS_VERIFY_VNNVERIFY_H
#define MLP_ANALYSIS_VERIFY_VNNVERIFY_H

#include <stdbool.h>

#include "analysis/verify/dense.h"
#include "analysis/verify/net.h"
#include "analysis/verify/vnnlib.h"
#include "graph/graph.h"

/* `where` names the property in messages. exact_only (tests): skip the float branch and bound
 * and decide each case by the exact region search alone, as for networks that are not dense
 * relu chains. */
int vnn_verify(const mlp_graph *g, const struct vnnlib *p, const char *where,
               const mlp_verify_options *opt, bool exact_only, mlp_verify_result *out,
               mlp_error *err);

/* Decide each case of p in turn for the net's node `out` (its elements are the Y_i, the net's
 * variables the X_i): by branch and bound on d, or by the exact region search when d is NULL.
 * 1 all hold, 0 one is violated (at point, nx rationals), -1 unknown, -2 error; the counts go
 * to r. t0: the start, for opt's timeout (CLOCK_MONOTONIC seconds). */
int vnn_decide(const struct vnet *net, int out, const struct vdense *d, const struct vnnlib *p,
               const mlp_verify_options *opt, double t0, mpq_t *point, mlp_verify_result *r,
               mlp_error *err);

#endif

/* vnnverify.h - deciding a parsed VNNLIB property of a model's graph (mlp_verify_vnnlib reads
 * the file and calls this). */
#ifndef MLP_ANALYSIS_VERIFY_VNNVERIFY_H
#define MLP_ANALYSIS_VERIFY_VNNVERIFY_H

#include <stdbool.h>

#include "analysis/verify/vnnlib.h"
#include "graph/graph.h"

/* `where` names the property in messages. exact_only (tests): skip the float branch and bound
 * and decide each case by the exact region search alone, as for networks that are not dense
 * relu chains. */
int vnn_verify(const mlp_graph *g, const struct vnnlib *p, const char *where,
               const mlp_verify_options *opt, bool exact_only, mlp_verify_result *out,
               mlp_error *err);

#endif

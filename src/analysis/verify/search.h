/* search.h - deciding a spec over every input in a box by enumerating activation regions.
 *
 * Depth-first over the branching units (step, relu, drelu) in topological order: within the
 * current region every value is an affine form of the inputs (net.h), so a unit's
 * pre-activation z is one too, and the region splits into {z >= 0} and {z < 0} (step; relu and
 * drelu split at z > 0). A side is taken without asking the solver when z is constant there or
 * its sign is fixed over the box; otherwise a point known to lie in the region (the witness)
 * shows which side is feasible, and one exact solver call decides the other. Each leaf is a
 * full activation region, where the spec's comparisons are affine too: one more call decides
 * whether region and not-spec meet. Every input lies in exactly one leaf (the two sides of a
 * split partition the region, ties included), so "no leaf meets not-spec" is a proof.
 *
 * When the box bounds every input, each new subtree is first judged from bounds: the cone is
 * evaluated with the units decided so far exact and the rest relaxed (net.h), which bounds every
 * value the spec names over the region; if that settles the spec true (or false) everywhere
 * there, the subtree needs no further look. */
#ifndef MLP_ANALYSIS_VERIFY_SEARCH_H
#define MLP_ANALYSIS_VERIFY_SEARCH_H

#include "analysis/verify/linform.h"
#include "analysis/verify/net.h"
#include "analysis/verify/spec.h"

struct vsearch_stats {
    long regions;  /* activation regions decided (leaves) */
    long branches; /* units where both sides were feasible */
    long settled;  /* subtrees decided by bounds over the box, without visiting their regions */
    long calls;    /* exact solver checks */
};

/* 1: the spec holds at every point of the box; 0: it is violated at `point` (nvars rationals,
 * simplified to small denominators where the region allows); -1 on error. `settle` enables
 * deciding whole subtrees by bounds when the box bounds every input (tests turn it off to check
 * that it changes no verdict). */
int vsearch_run(const struct vnet *net, const struct vspec *spec, const struct vbox *box,
                bool settle, mpq_t *point, struct vsearch_stats *st, mlp_error *err);

#endif

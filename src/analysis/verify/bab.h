/* bab.h - deciding one case of a VNNLIB property by branch and bound over its input box.
 *
 * A box is safe when every term of the case's unsafe set (an AND of atoms t >= 0) has an atom
 * whose sound upper bound over the box (bound.h) is below 0. Otherwise the box is split in two
 * along the input dimension that helps most: strong branching bounds both halves along the
 * dimensions of most smear (not far narrower than the widest) and keeps the split whose halves
 * have the least margin left together. Before and during the search, gradient ascent in doubles
 * (attack.h) looks for a point of the unsafe set; a candidate is reported only after the exact
 * re-check (witness.h). Boxes that stay undecided when deep with few unstable units (a margin
 * of exactly 0, where float bounds never close), or down to the resolution of doubles, are
 * handed to the exact region search (search.h) over their exact sub-box. Deterministic for any number of threads: the same inputs give the same answer, the
 * same counterexample and the same counts. */
#ifndef MLP_ANALYSIS_VERIFY_BAB_H
#define MLP_ANALYSIS_VERIFY_BAB_H

#include <stdbool.h>
#include <stddef.h>
#include <gmp.h>

#include "analysis/verify/dense.h"
#include "analysis/verify/net.h"
#include "analysis/verify/vnnlib.h"

struct vbab_stats {
    long boxes;        /* boxes bounded (sub-problems) */
    long splits;       /* boxes split */
    long attack_steps; /* gradient steps of the counterexample search */
    long candidates;   /* float candidates re-checked exactly */
    long exact_leaves; /* boxes decided by the exact region search */
    long open;         /* boxes still open when the search stopped */
    int depth;         /* deepest split */
    double worst;      /* the open boxes' worst margin (> 0: not yet proved), for progress */
};

struct vbab_opts {
    double deadline;   /* CLOCK_MONOTONIC seconds; 0: none */
    size_t max_memory; /* bytes for open boxes; 0: none */
    int threads;       /* threads to use (bab_impl.h: the same results for every count) */
    void (*progress)(const struct vbab_stats *st, double elapsed, void *ctx);
    void *ctx;
};

/* 1: case k holds (its unsafe set is empty); 0: violated at point (nx rationals, re-checked
 * exactly); -1: unknown (deadline or memory); -2: error (err filled). */
int vbab_run(const struct vnet *net, int out, const struct vdense *d, const struct vnnlib *p,
             int k, const struct vbab_opts *o, mpq_t *point, struct vbab_stats *st,
             mlp_error *err);

#endif

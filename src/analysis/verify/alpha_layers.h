/* alpha_layers.h - optimised lower relu slopes for the hidden layers' bounds (full alpha-CROWN).
 *
 * A hidden unit's bounds [l, u] come from back-substituting the rows +z_j and -z_j through the
 * layers below it; each unstable relu on the way is bounded below by a z for a slope a in
 * [0, 1], and DeepPoly's 0-or-1 is only a guess there too. Here each of the two rows of every
 * unit that the plain pass leaves unstable gets its own slopes on all the units below, improved
 * by Adam steps on that row's own bound (alpha.h's exact gradient, with the row's corner
 * propagated only up to the unit's layer), layer by layer from the first: a layer's tighter
 * bounds tighten its relaxation (the chord, and fewer unstable units) for every layer above.
 * The slopes are saved per box and its halves start from them.
 *
 * Sound for any slopes: each bound kept is a full back-substitution with the rounding set
 * upward (vbound_units_alpha), and a unit keeps the best of its plain and optimised bounds. */
#ifndef MLP_ANALYSIS_VERIFY_ALPHA_LAYERS_H
#define MLP_ANALYSIS_VERIFY_ALPHA_LAYERS_H

#include "analysis/verify/bound.h"

#include <stddef.h>

struct valayers {
    double *store; /* the box's slopes (valayers_size doubles): read, and updated */
    int steps;     /* bounds computed per layer (Adam steps between them: steps - 1) */
    int *unit;     /* scratch: a layer's unstable units (width) */
    double *alpha, *best; /* scratch: their rows' slopes (2 width sets of units), bounds */
};

/* Doubles in a box's store of slopes: per hidden layer m >= 1, 2 rows per unit, each with a
 * slope per unit below m. */
size_t valayers_size(const struct vdense *d);
/* Mark a store as unset: the first use fills it with DeepPoly's slopes. */
void valayers_clear(const struct vdense *d, double *store);
void valayers_init(struct valayers *va, const struct vbwork *w, int steps);
void valayers_free(struct valayers *va);
/* vbound_forward's layer_hook (ctx: struct valayers with store set): tighten layer m's
 * unstable units' bounds by optimised slopes, warm-started from and saved to the store. */
void valayers_hook(struct vbwork *w, int m, const double *xl, const double *xu, void *ctx);

#endif

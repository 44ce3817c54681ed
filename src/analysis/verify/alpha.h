/* alpha.h - optimised lower relu slopes for the bounds of a few rows (alpha-CROWN).
 *
 * A relu's lower relaxation a >= s z is valid for every s in [0, 1], and which s gives the
 * tightest bound depends on the row being bounded: DeepPoly's choice (1 when u > -l, else 0)
 * is a guess. Each row gets its own slopes on the unstable units, improved by gradient steps
 * (Adam) on the row's upper bound. The gradient is exact for the piecewise-linear bound: the
 * bound is a maximum of a linear function of the relaxed network, attained at the box corner
 * x* its input coefficients point to, and its derivative in the slope of unit k is H[k] z[k],
 * where H[k] < 0 is the row's coefficient on the unit's output and z[k] the unit's input when
 * x* is propagated through the same relaxations (one forward pass per row).
 *
 * The optimisation is plain float arithmetic and can be anything: every bound it reports is
 * computed by vbound_rows_alpha (bound.h), sound for any slopes, so the slopes only decide how
 * tight the bounds are. */
#ifndef MLP_ANALYSIS_VERIFY_ALPHA_H
#define MLP_ANALYSIS_VERIFY_ALPHA_H

#include "analysis/verify/bound.h"

#include <stdbool.h>

/* Start optimising R rows (R <= w->arows) from the slopes alpha (R sets of units): clears the
 * optimiser's state and takes alpha as each row's best so far. */
void valpha_begin(struct vbwork *w, int R, const double *alpha);
/* One step, after vbound_forward on the box: the sound upper bounds of the rows C with the
 * slopes alpha; where one is below best[r], it becomes best[r] and alpha's row the row's best
 * slopes; then alpha moves by one gradient step (step: 0, 1, ... since valpha_begin). */
void valpha_step(struct vbwork *w, const double *xl, const double *xu, int R, const double *C,
                 double *alpha, int step, double *best);
/* valpha_step for the 2 R rows +z_j, -z_j of layer m's units j = unit[r] (vbound_units_alpha:
 * bounds into best[r], best[R + r]; alpha: 2 R sets of units), called from w->layer_hook; the
 * gradient step only when `move` (not after the last bound that will be kept). */
void valpha_units_step(struct vbwork *w, int m, const double *xl, const double *xu, int R,
                       const int *unit, double *alpha, int step, bool move, double *best);
/* The best slopes found since valpha_begin (R sets of units). */
const double *valpha_best(const struct vbwork *w);

#endif

/* bound.h - sound bounds of a dense relu network (dense.h) over a box of inputs, in doubles.
 *
 * Two linear relaxations, as in DeepPoly/CROWN:
 *  - forward: every pre-activation z gets linear lower and upper bounds in the box's
 *    coordinates t in [0, 1]^n (x = lo + (hi - lo) t), and from them concrete bounds [l, u];
 *    an unstable relu (l < 0 < u) is bounded above by its chord u (z - l) / (u - l) and below
 *    by a z with a = 1 when u > -l, else 0 (DeepPoly's choice);
 *  - backward (back-substitution) for the rows c asked for: c . y is rewritten layer by layer
 *    into a linear function of the inputs plus a constant, each relu replaced by the relaxation
 *    that bounds it in the needed direction, using the forward pass's [l, u].
 *
 * Soundness for the exact network. All arithmetic runs with the rounding mode set upward, and
 * every quantity is either an upper bound computed as a sum of upward-rounded products, or a
 * lower bound computed as the negated upper bound of the negation. Coefficients need no error
 * terms because they only ever multiply non-negative quantities (the t coordinates, and relu
 * outputs): rounding such a coefficient up keeps an upper bound an upper bound. Weights that are
 * not doubles are intervals [wlo, whi] and each product takes the end that is worse for it. A
 * relu's relaxation slope may be any double: its offset is computed as the maximum of the gap
 * over the kinks {l, 0, u} (the gap is piecewise linear in z), rounded up, so the band is valid
 * whatever the slope's rounding. */
#ifndef MLP_ANALYSIS_VERIFY_BOUND_H
#define MLP_ANALYSIS_VERIFY_BOUND_H

#include "analysis/verify/dense.h"

struct vbwork {
    const struct vdense *d;
    int rows;           /* most rows per vbound_rows call */
    double **l, **u;    /* per layer: bounds of its pre-activations (the last: of y) */
    double *U, *Lo;     /* forward forms of the current layer: width x (n + 1) */
    double *UA, *LA;    /* forms of the previous layer's relu outputs */
    double *G, *H;      /* back-substitution: rows x width */
    double *cst;
    double *rub;        /* refine's bounds: 2 x width */
    double **slope;     /* per relu layer: its relaxation for back-substitution (4 x out) */
    int **unst, *nunst; /* per relu layer: its unstable units */
    int **live, *nlive; /* per layer: its units that are not dead (the last: all) */
    double *alpha;      /* lower slopes per unit of the widest layer (scratch) */
    int units;          /* hidden units in all (the size of a saved set of bounds) */
    int *off;           /* per relu layer: its units' offset in a set of units (0, ...) */
    /* per-row lower slopes (alpha.h): the rows' H on each relu layer's outputs, kept by
     * vbound_rows_alpha for the slopes' gradient (arows x units), and the optimiser's state */
    int arows;          /* rows that can have their own slopes (vbound_init's rows, and at
                         * least 2 x width: a layer's units' two bounds, alpha_layers.h) */
    double *hsave, *am, *av, *abest, *az, *aa, *aub;
    /* called by vbound_forward after layer m's back-substitution, before its relaxation is
     * fixed (NULL: none): may tighten w->l[m], w->u[m] with sound bounds (alpha_layers.h) */
    void (*layer_hook)(struct vbwork *w, int m, const double *xl, const double *xu, void *ctx);
    void *hook_ctx;
};

void vbound_init(struct vbwork *w, const struct vdense *d, int rows);
void vbound_free(struct vbwork *w);
/* Forward pass over the box [xl, xu] (n = d->nx doubles each): fills w->l and w->u. `known`
 * (NULL: none) holds bounds valid on a box containing this one (vbound_save of an enclosing
 * box): they clamp the new ones, so fewer units need back-substitution. */
void vbound_forward(struct vbwork *w, const double *xl, const double *xu, const double *known);
/* The hidden units' bounds of the last forward pass into out (2 w->units doubles). */
void vbound_save(const struct vbwork *w, double *out);
/* After vbound_rows: the input coefficients of row r (upper ends of G W at the first layer). */
const double *vbound_input_coefs(const struct vbwork *w, int r);
/* After vbound_forward on the same box: ub[r] >= max over the box of C[r] . y for the exact
 * network (C: R x ny doubles, R <= w->rows). */
void vbound_rows(struct vbwork *w, const double *xl, const double *xu, int R, const double *C,
                 double *ub);
/* vbound_rows with row r's own lower slopes on the unstable units: alpha + r units (a set of
 * units, indexed by w->off; R <= w->arows); any doubles are sound (the offsets are the rounded
 * up largest gaps), so alpha only decides how tight the bound is. Keeps each row's H on every
 * relu layer's outputs in w->hsave (for valpha_optimise's gradient). */
void vbound_rows_alpha(struct vbwork *w, const double *xl, const double *xu, int R,
                       const double *C, const double *alpha, double *ub);
/* Upper bounds of +z_j (ub[r]) and -z_j (ub[R + r]) for the R units j = unit[r] of layer m
 * (1 <= m < nl - 1, after vbound_forward has fixed layers < m, e.g. from w->layer_hook), each
 * of the 2 R rows with its own lower slopes alpha + r units on the layers below m; sound for
 * any slopes, as vbound_rows_alpha (whose w->hsave it fills the same way). */
void vbound_units_alpha(struct vbwork *w, int m, const double *xl, const double *xu, int R,
                        const int *unit, const double *alpha, double *ub);
/* DeepPoly's lower slopes (1 when u > -l, else 0) for the last forward pass, into alpha (one
 * set of units). */
void vbound_default_alpha(const struct vbwork *w, double *alpha);
/* After vbound_forward: ub[r] >= max over the box of C'[r] . y + E[r] . x + c0[r] for every
 * C' within crad[r] of C[r] (crad NULL: C exact) and E[r] in [elo[r], ehi[r]]. */
void vbound_atoms(struct vbwork *w, const double *xl, const double *xu, int R, const double *C,
                  const double *crad, const double *elo, const double *ehi, const double *c0,
                  double *ub);
/* vbound_atoms' terms beyond C[r] . y: ub[r] (an upper bound of C[r] . y, from vbound_rows or
 * vbound_rows_alpha) plus the inputs' part, the output coefficients' error and c0, rounded up. */
void vbound_atoms_rest(const struct vbwork *w, const double *xl, const double *xu, int R,
                       const double *crad, const double *elo, const double *ehi,
                       const double *c0, double *ub);
/* An upper bound of sum c[i] x[i] over the box for c[i] in [clo[i], chi[i]], rounded up. */
double vbound_linear_box(int n, const double *clo, const double *chi, const double *xl,
                         const double *xu);

#endif

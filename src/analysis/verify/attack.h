/* attack.h - looking for counterexamples in floating point: the network evaluated in doubles,
 * the gradient of a linear function of its outputs, and projected gradient ascent in a box.
 * Nothing here is trusted: every point found is re-checked exactly (witness.h). */
#ifndef MLP_ANALYSIS_VERIFY_ATTACK_H
#define MLP_ANALYSIS_VERIFY_ATTACK_H

#include "analysis/verify/dense.h"

struct vatk {
    const struct vdense *d;
    double **z;   /* per layer: pre-activations at the last point evaluated */
    double *g, *h; /* gradient scratch (width) */
};

void vatk_init(struct vatk *a, const struct vdense *d);
void vatk_free(struct vatk *a);
/* y = net(x) in doubles (the weights' upper ends), round to nearest. Returns y (d->ny values,
 * owned by a). */
const double *vatk_forward(struct vatk *a, const double *x);
/* After vatk_forward at x: grad (nx) = d(c . y)/dx. */
void vatk_gradient(struct vatk *a, const double *c, double *grad);

#endif

/* dense.h - a chain of dense layers with relu between them, lowered from a model's cone.
 *
 * The float engine (bound.h, bab.h) works on x -> z_1 = W_0 x + b_0 -> relu -> ... -> z_L =
 * W_{L-1} a_{L-1} + b_{L-1} = y. The weights are whatever the model's ops compute from its
 * parameters, found in exact rationals by the same per-op rules as the exact evaluator (net.h):
 * each stage between two relu nodes is affine in the earlier relu's outputs, so evaluating it
 * exactly at 0 and at the unit vectors gives its matrix and bias. Each rational is then kept as
 * the two doubles around it ([lo, hi], equal when it is a double, as float32 weights are), so
 * every bound computed from them can be made sound for the exact network. */
#ifndef MLP_ANALYSIS_VERIFY_DENSE_H
#define MLP_ANALYSIS_VERIFY_DENSE_H

#include <stdbool.h>

#include "analysis/verify/net.h"

struct vlayer {
    int in, out;
    double *wlo, *whi; /* out x in, row-major */
    double *blo, *bhi;
    bool exact;        /* wlo == whi and blo == bhi */
};

struct vdense {
    int nl;            /* layers; relu after every one but the last */
    struct vlayer *L;
    int nx, ny;
    int width;         /* widest layer */
};

/* Lower the cone of `root` (a cone node) to dense layers. MLP_ERR_UNSUPPORTED (err filled) when
 * the cone is not such a chain (step units, a value that skips a relu layer, ...): the caller
 * then uses the region enumeration instead. */
int vdense_from_net(struct vdense *d, const struct vnet *net, int root, mlp_error *err);
void vdense_free(struct vdense *d);
/* z = W a + b in doubles with W's and b's upper ends, each z[j] summed in the order
 * b[j] + W[j][0] a[0] + W[j][1] a[1] + ... (four rows at a time: independent sums, the same
 * values as one row at a time). Not rounded in any direction: for the attack and the slopes'
 * gradient, never for a bound. */
void vdense_affine(const struct vlayer *L, const double *a, double *z);

#endif

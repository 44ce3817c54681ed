/* attack.c - the network in doubles and its gradient, for the counterexample search. */
#include "analysis/verify/attack.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

void vatk_init(struct vatk *a, const struct vdense *d)
{
    a->d = d;
    a->z = mlp_xcalloc((size_t)d->nl, sizeof *a->z);
    for (int i = 0; i < d->nl; i++)
        a->z[i] = mlp_xcalloc((size_t)d->L[i].out + 1, sizeof **a->z);
    a->g = mlp_xcalloc((size_t)d->width + 1, sizeof *a->g);
    a->h = mlp_xcalloc((size_t)d->width + 1, sizeof *a->h);
}

void vatk_free(struct vatk *a)
{
    for (int i = 0; a->z && i < a->d->nl; i++)
        free(a->z[i]);
    free(a->z);
    free(a->g);
    free(a->h);
    memset(a, 0, sizeof *a);
}

const double *vatk_forward(struct vatk *a, const double *x)
{
    const struct vdense *d = a->d;
    const double *in = x;
    for (int i = 0; i < d->nl; i++) {
        const struct vlayer *L = &d->L[i];
        if (i > 0) { /* relu of the previous layer (its z stays as computed, for the gradient) */
            for (int k = 0; k < L->in; k++)
                a->h[k] = in[k] < 0 ? 0 : in[k];
            in = a->h;
        }
        vdense_affine(L, in, a->z[i]);
        in = a->z[i];
    }
    return a->z[d->nl - 1];
}

void vatk_gradient(struct vatk *a, const double *c, double *grad)
{
    const struct vdense *d = a->d;
    double *g = a->g, *h = a->h;
    memcpy(g, c, (size_t)d->ny * sizeof *g);
    for (int i = d->nl - 1; i >= 0; i--) {
        const struct vlayer *L = &d->L[i];
        double *out = i == 0 ? grad : h;
        memset(out, 0, (size_t)L->in * sizeof *out);
        for (int j = 0; j < L->out; j++) {
            if (g[j] == 0)
                continue;
            const double *w = L->whi + (size_t)j * L->in;
            for (int k = 0; k < L->in; k++)
                out[k] += g[j] * w[k];
        }
        if (i == 0)
            break;
        const double *zp = a->z[i - 1]; /* through the relu of layer i - 1 */
        for (int k = 0; k < L->in; k++)
            g[k] = zp[k] > 0 ? h[k] : 0;
    }
}

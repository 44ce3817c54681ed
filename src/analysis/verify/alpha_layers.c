/* alpha_layers.c - optimised slopes for the hidden layers' bounds (see alpha_layers.h). */
#include "analysis/verify/alpha_layers.h"
#include "analysis/verify/alpha.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Units below layer m (the slopes of one of its rows). */
static size_t below(const struct vdense *d, int m)
{
    size_t n = 0;
    for (int i = 0; i < m; i++)
        n += (size_t)d->L[i].out;
    return n;
}

/* Where layer m's block starts in a store. */
static size_t block_at(const struct vdense *d, int m)
{
    size_t at = 0;
    for (int i = 1; i < m; i++)
        at += 2 * (size_t)d->L[i].out * below(d, i);
    return at;
}

size_t valayers_size(const struct vdense *d)
{
    return d->nl > 2 ? block_at(d, d->nl - 1) : 0;
}

void valayers_clear(const struct vdense *d, double *store)
{
    for (int m = 1; m < d->nl - 1; m++)
        store[block_at(d, m)] = NAN;
}

void valayers_init(struct valayers *va, const struct vbwork *w, int steps)
{
    size_t W = (size_t)w->d->width;
    memset(va, 0, sizeof *va);
    va->steps = steps;
    va->unit = mlp_xcalloc(W + 1, sizeof *va->unit);
    va->alpha = mlp_xcalloc(2 * W * (size_t)w->units + 1, sizeof *va->alpha);
    va->best = mlp_xcalloc(2 * W + 1, sizeof *va->best);
}

void valayers_free(struct valayers *va)
{
    free(va->unit);
    free(va->alpha);
    free(va->best);
    memset(va, 0, sizeof *va);
}

/* A block never used: every row gets DeepPoly's slopes of the layers below m. */
static void fill_default(const struct vbwork *w, int m, double *block, size_t len)
{
    const struct vdense *d = w->d;
    for (int r = 0; r < 2 * d->L[m].out; r++) {
        double *row = block + (size_t)r * len;
        for (int i = 0; i < m; i++) {
            int n = d->L[i].out;
            memcpy(row + w->off[i], w->slope[i] + n, (size_t)n * sizeof *row);
        }
    }
}

void valayers_hook(struct vbwork *w, int m, const double *xl, const double *xu, void *ctx)
{
    struct valayers *va = ctx;
    const struct vdense *d = w->d;
    int out = d->L[m].out, R = 0;
    for (int j = 0; j < out; j++)
        if (w->l[m][j] < 0 && w->u[m][j] > 0)
            va->unit[R++] = j;
    if (!R || va->steps < 1)
        return;
    size_t len = below(d, m), nu = (size_t)w->units;
    double *block = va->store + block_at(d, m);
    if (isnan(block[0]))
        fill_default(w, m, block, len);
    for (int r = 0; r < 2 * R; r++) { /* row r < R: +z_j, else -z_j; store row j or out + j */
        int j = va->unit[r % R], row = r < R ? j : out + j;
        memcpy(va->alpha + (size_t)r * nu, block + (size_t)row * len, len * sizeof *block);
        va->best[r] = INFINITY;
    }
    valpha_begin(w, 2 * R, va->alpha);
    for (int it = 0; it < va->steps; it++) {
        valpha_units_step(w, m, xl, xu, R, va->unit, va->alpha, it, it + 1 < va->steps,
                          va->best);
        for (int r = 0; r < R; r++) { /* both are sound: keep the better */
            int j = va->unit[r];
            w->u[m][j] = fmin(w->u[m][j], va->best[r]);
            w->l[m][j] = fmax(w->l[m][j], -va->best[R + r]);
        }
    }
    const double *best = valpha_best(w);
    for (int r = 0; r < 2 * R; r++) {
        int j = va->unit[r % R], row = r < R ? j : out + j;
        memcpy(block + (size_t)row * len, best + (size_t)r * nu, len * sizeof *block);
    }
}

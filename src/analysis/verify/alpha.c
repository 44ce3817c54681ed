/* alpha.c - gradient steps on the rows' lower relu slopes (see alpha.h). */
#include "analysis/verify/alpha.h"

#include <math.h>
#include <string.h>

/* Adam's rates: the slopes live in [0, 1], so a step of a few hundredths moves them visibly
 * within the handful of steps a box gets. */
#ifndef LR
#define LR 0.1
#endif
#define B1 0.9
#define B2 0.999
#define EPS 1e-12

void valpha_begin(struct vbwork *w, int R, const double *alpha)
{
    size_t n = (size_t)R * (size_t)w->units;
    memset(w->am, 0, n * sizeof *w->am);
    memset(w->av, 0, n * sizeof *w->av);
    memcpy(w->abest, alpha, n * sizeof *w->abest);
}

const double *valpha_best(const struct vbwork *w) { return w->abest; }

/* Row r's gradient in its slopes, and one Adam step on them; the row is on layer m (its
 * slopes are those of the relu layers below m). The row's H on every relu layer (w->hsave)
 * and its input coefficients (w->H, both ends, of R rows) are those of the last
 * back-substitution with the slopes. */
static void step_row(struct vbwork *w, const double *xl, const double *xu, int m, int R, int r,
                     double *alpha, int step)
{
    const struct vdense *d = w->d;
    const double *hi = w->H + (size_t)r * d->nx, *lo = w->H + (size_t)(R + r) * d->nx;
    double *z = w->az, *a = w->aa;
    for (int k = 0; k < d->nx; k++) /* the corner where the row's bound is attained */
        a[k] = hi[k] + lo[k] > 0 ? xu[k] : xl[k];
    vdense_affine(&d->L[0], a, z);
    double c1 = 1 - pow(B1, step + 1), c2 = 1 - pow(B2, step + 1);
    for (int i = 0; i < m; i++) {
        size_t at = (size_t)r * w->units + (size_t)w->off[i];
        const double *h = w->hsave + at, *l = w->l[i], *u = w->u[i], *up = w->slope[i];
        double *al = alpha + at, *mo = w->am + at, *v = w->av + at;
        for (int k = 0; k < d->L[i].out; k++) {
            if (u[k] <= 0 || l[k] >= 0) {
                a[k] = u[k] <= 0 ? 0 : z[k];
                continue;
            }
            a[k] = h[k] >= 0 ? up[k] * (z[k] - l[k]) : al[k] * z[k];
            double g = h[k] < 0 ? h[k] * z[k] : 0; /* d bound / d slope */
            mo[k] = B1 * mo[k] + (1 - B1) * g;
            v[k] = B2 * v[k] + (1 - B2) * g * g;
            double s = al[k] - LR * (mo[k] / c1) / (sqrt(v[k] / c2) + EPS);
            al[k] = s < 0 ? 0 : s > 1 ? 1 : s;
        }
        if (i + 1 < m)
            vdense_affine(&d->L[i + 1], a, z);
    }
}

/* Where a row's sound bound res[r] beats best[r], it becomes best[r] and the row's slopes its
 * best. */
static void keep_best(struct vbwork *w, int R, const double *res, const double *alpha,
                      double *best)
{
    size_t nu = (size_t)w->units;
    for (int r = 0; r < R; r++)
        if (res[r] < best[r]) {
            best[r] = res[r];
            memcpy(w->abest + (size_t)r * nu, alpha + (size_t)r * nu, nu * sizeof *alpha);
        }
}

void valpha_step(struct vbwork *w, const double *xl, const double *xu, int R, const double *C,
                 double *alpha, int step, double *best)
{
    double *res = w->aub; /* the bounds (sound) with the current slopes */
    vbound_rows_alpha(w, xl, xu, R, C, alpha, res);
    keep_best(w, R, res, alpha, best);
    for (int r = 0; r < R; r++)
        step_row(w, xl, xu, w->d->nl - 1, R, r, alpha, step);
}

void valpha_units_step(struct vbwork *w, int m, const double *xl, const double *xu, int R,
                       const int *unit, double *alpha, int step, bool move, double *best)
{
    double *res = w->aub;
    vbound_units_alpha(w, m, xl, xu, R, unit, alpha, res);
    keep_best(w, 2 * R, res, alpha, best);
    for (int r = 0; move && r < 2 * R; r++)
        step_row(w, xl, xu, m, 2 * R, r, alpha, step);
}

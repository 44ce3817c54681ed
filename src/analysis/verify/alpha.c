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

/* z = W a + b for R points at once (a: in x R, z: out x R, point r in column r), each
 * z[j][r] summed as b[j] + W[j][0] a[0][r] + W[j][1] a[1][r] + ... (vdense_affine's order); the
 * points are the inner loop, so it vectorises without reordering any sum. */
static void affine_cols(const struct vlayer *L, int R, const double *a, double *z)
{
    enum { B = 8 }; /* points per block: B independent sums held in registers across k */
    for (int j = 0; j < L->out; j++) {
        double *zj = z + (size_t)j * R;
        const double *wj = L->whi + (size_t)j * L->in;
        int r = 0;
        for (; r + B <= R; r += B) {
            double acc[B];
            for (int q = 0; q < B; q++)
                acc[q] = L->bhi[j];
            for (int k = 0; k < L->in; k++) {
                double wk = wj[k];
                const double *ak = a + (size_t)k * R + r;
                for (int q = 0; q < B; q++)
                    acc[q] += wk * ak[q];
            }
            memcpy(zj + r, acc, sizeof acc);
        }
        for (; r < R; r++) {
            double s = L->bhi[j];
            for (int k = 0; k < L->in; k++)
                s += wj[k] * a[(size_t)k * R + r];
            zj[r] = s;
        }
    }
}

/* The R rows' gradients in their slopes, and one Adam step on them; the rows are on layer m
 * (their slopes are those of the relu layers below m). Each row's H on every relu layer
 * (w->hsave) and its input coefficients (w->H, both ends) are those of the last
 * back-substitution with the slopes. The rows' corners go up the layers together. */
static void step_rows(struct vbwork *w, const double *xl, const double *xu, int m, int R,
                      double *alpha, int step)
{
    const struct vdense *d = w->d;
    size_t nu = (size_t)w->units;
    double *z = w->az, *a = w->aa;
    for (int r = 0; r < R; r++) { /* the corner where the row's bound is attained */
        const double *hi = w->H + (size_t)r * d->nx, *lo = w->H + (size_t)(R + r) * d->nx;
        for (int k = 0; k < d->nx; k++)
            a[(size_t)k * R + r] = hi[k] + lo[k] > 0 ? xu[k] : xl[k];
    }
    affine_cols(&d->L[0], R, a, z);
    double c1 = 1 - pow(B1, step + 1), c2 = 1 - pow(B2, step + 1);
    for (int i = 0; i < m; i++) {
        const double *l = w->l[i], *u = w->u[i], *up = w->slope[i];
        for (int k = 0; k < d->L[i].out; k++) {
            double *zk = z + (size_t)k * R, *ak = a + (size_t)k * R;
            if (u[k] <= 0 || l[k] >= 0) {
                for (int r = 0; r < R; r++)
                    ak[r] = u[k] <= 0 ? 0 : zk[r];
                continue;
            }
            for (int r = 0; r < R; r++) {
                size_t at = (size_t)r * nu + (size_t)w->off[i] + (size_t)k;
                double h = w->hsave[at];
                ak[r] = h >= 0 ? up[k] * (zk[r] - l[k]) : alpha[at] * zk[r];
                double g = h < 0 ? h * zk[r] : 0; /* d bound / d slope */
                w->am[at] = B1 * w->am[at] + (1 - B1) * g;
                w->av[at] = B2 * w->av[at] + (1 - B2) * g * g;
                double s = alpha[at] - LR * (w->am[at] / c1) / (sqrt(w->av[at] / c2) + EPS);
                alpha[at] = s < 0 ? 0 : s > 1 ? 1 : s;
            }
        }
        if (i + 1 < m)
            affine_cols(&d->L[i + 1], R, a, z);
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
    step_rows(w, xl, xu, w->d->nl - 1, R, alpha, step);
}

void valpha_units_step(struct vbwork *w, int m, const double *xl, const double *xu, int R,
                       const int *unit, double *alpha, int step, bool move, double *best)
{
    double *res = w->aub;
    vbound_units_alpha(w, m, xl, xu, R, unit, alpha, res);
    keep_best(w, 2 * R, res, alpha, best);
    if (move)
        step_rows(w, xl, xu, m, 2 * R, alpha, step);
}

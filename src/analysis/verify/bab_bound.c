/* bab_bound.c - bounding one box of the branch and bound (see bab_impl.h): plain CROWN bounds
 * of the case's rows, then, while terms stay open, the rows nearest to proving them again with
 * their own optimised lower relu slopes (alpha.h), warm-started from the enclosing box's. */
#include "analysis/verify/alpha.h"
#include "analysis/verify/bab_impl.h"

#include <math.h>
#include <string.h>

/* Gradient steps on the rows' lower relu slopes (alpha.h) for a box plain bounds leave open. */
#ifndef ALPHA_STEPS
#define ALPHA_STEPS 8
#endif

/* The terms among `open` that ub does not prove impossible; their worst margin into *score
 * and the row that has it into *worst (-1: none open). */
static uint64_t decide(const struct prob *pr, const double *ub, uint64_t open, double *score,
                       int *worst)
{
    *score = -INFINITY;
    *worst = -1;
    for (int t = 0; t < pr->nt; t++) {
        if (!(open >> t & 1))
            continue;
        double m = INFINITY;
        bool proved = false;
        int arg = -1;
        for (int j = 0; j < pr->plen[t] && !proved; j++) {
            int r = pr->tproof[t][j];
            proved = pr->strict[r] ? ub[r] <= 0 : ub[r] < 0;
            if (ub[r] < m) {
                m = ub[r];
                arg = r;
            }
        }
        if (proved) {
            open &= ~((uint64_t)1 << t);
        } else if (m > *score || *worst < 0) {
            *score = fmax(*score, m);
            *worst = arg;
        }
    }
    return open;
}

int bab_pick_rows(const struct prob *pr, const double *ub, uint64_t open, int *sel)
{
    int R = 0;
    for (int t = 0; t < pr->nt; t++) {
        if (!(open >> t & 1))
            continue;
        int arg = pr->tproof[t][0];
        for (int j = 1; j < pr->plen[t]; j++)
            if (ub[pr->tproof[t][j]] < ub[arg])
                arg = pr->tproof[t][j];
        int q = 0;
        while (q < R && sel[q] != arg)
            q++;
        if (q == R)
            sel[R++] = arg;
    }
    return R;
}

/* The bounds of the rows pick_rows chooses again, with their own lower slopes optimised
 * (alpha.h) from w->alpha, for at most ALPHA_STEPS steps while terms stay open; w->ub keeps
 * the better of the two sound bounds of each row, w->alpha takes those rows' best slopes. */
static uint64_t optimise(const struct S *s, struct wk *w, const double *xl, const double *xu,
                         uint64_t open, double *score, int *worst)
{
    const struct prob *pr = &s->pr;
    size_t nu = (size_t)w->bw.units, ny = (size_t)s->ny, nx = (size_t)s->nx;
    int R = bab_pick_rows(pr, w->ub, open, w->sel);
    for (int q = 0; q < R; q++) {
        memcpy(w->csub + q * ny, pr->C + (size_t)w->sel[q] * ny, ny * sizeof *w->csub);
        memcpy(w->asub + q * nu, w->alpha + (size_t)w->sel[q] * nu, nu * sizeof *w->asub);
        w->rub[q] = INFINITY;
    }
    valpha_begin(&w->bw, R, w->asub);
    for (int it = 0; it < ALPHA_STEPS && open; it++) {
        valpha_step(&w->bw, xl, xu, R, w->csub, w->asub, it, w->rub);
        for (int q = 0; q < R; q++) {
            size_t r = (size_t)w->sel[q];
            double v = w->rub[q];
            vbound_atoms_rest(&w->bw, xl, xu, 1, pr->any_rad ? pr->crad + r * ny : NULL,
                              pr->elo + r * nx, pr->ehi + r * nx, pr->c0 + r, &v);
            w->ub[r] = fmin(w->ub[r], v); /* both are sound: keep the better */
        }
        open = decide(pr, w->ub, open, score, worst);
    }
    const double *best = valpha_best(&w->bw);
    for (int q = 0; q < R; q++)
        memcpy(w->alpha + (size_t)w->sel[q] * nu, best + q * nu, nu * sizeof *w->alpha);
    return open;
}

/* The smear and corner come from the plain bounds' input coefficients even where the
 * optimised slopes decide: taken from the optimised ones they steer the splits badly (N1,1 phi3
 * 449 -> 1,745 boxes; N4,5 and N5,5 phi1 unknown). */
uint64_t bab_evaluate(const struct S *s, struct wk *w, const double *xl, const double *xu,
                      uint64_t open, const double *known, double *score, double *out)
{
    const struct prob *pr = &s->pr;
    size_t nu = (size_t)w->bw.units, na = (size_t)pr->na, nx = (size_t)s->nx;
    vbound_forward(&w->bw, xl, xu, known);
    vbound_atoms(&w->bw, xl, xu, pr->na, pr->C, pr->any_rad ? pr->crad : NULL, pr->elo,
                 pr->ehi, pr->c0, w->ub);
    int worst;
    open = decide(pr, w->ub, open, score, &worst);
    if (!open)
        return open;
    memcpy(w->hplain, vbound_input_coefs(&w->bw, 0), 2 * na * nx * sizeof *w->hplain);
    if (known)
        memcpy(w->alpha, known + 2 * nu, na * nu * sizeof *w->alpha);
    else
        for (size_t r = 0; r < na; r++)
            vbound_default_alpha(&w->bw, w->alpha + r * nu);
    if (ALPHA_STEPS > 0)
        open = optimise(s, w, xl, xu, open, score, &worst);
    if (out && open && worst >= 0) {
        const double *hi = w->hplain + (size_t)worst * nx, *lo = w->hplain + (na + worst) * nx;
        for (size_t i = 0; i < nx; i++) {
            out[i] = fmax(fabs(hi[i]), fabs(lo[i])) * (xu[i] - xl[i]);
            out[nx + i] = hi[i] > 0 ? xu[i] : hi[i] < 0 ? xl[i] : 0.5 * (xl[i] + xu[i]);
        }
        vbound_save(&w->bw, out + 2 * nx);
        memcpy(out + 2 * nx + 2 * nu, w->alpha, na * nu * sizeof *w->alpha);
    }
    return open;
}

/* bab_relu.c - relu phase splitting for boxes that input splitting no longer closes.
 *
 * A child of a phase split is the box together with one unstable unit's phase: inactive
 * (z <= 0, relu = 0) or active (z >= 0, relu = z). The two cover the box. The phase is
 * enforced by tightening the unit's bounds in the box's `known` ones (u = 0, or l = 0):
 * vbound_forward clamps every bound to `known`, so the unit is treated as dead or active, and
 * the bounds of every later layer and of the rows are recomputed from it. Every bound so
 * computed is sound on the box's points that satisfy the phase (the only points of the child),
 * and it is inherited by the child's own halves, which are subsets of it; a child whose known
 * bounds cross (l > u) is empty. The exact leaf and the attacks see only the input box, a
 * superset of the child: whatever they decide there is true of the child too. */
#include "analysis/verify/bab_impl.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1: phase splits are tried (0: never, the default). Measured on the merged engine (hidden-layer
 * slopes; docs/verify.md, ACAS Xu): N3,3 phi2 14.4 -> 6.6 s CPU, but N4,2 phi2 7.3 -> 8.9 s and
 * N1,1 phi6, N3,3 phi9 (11.0 s, 5.7 s) unknown after 20 s, so not taken. When on, they are tried
 * on RCAND units, from depth RELU_DEPTH on, where input splitting stalls: its best halves'
 * margins sum to at least STALL times the box's own. Tried on every box (STALL 0) they cost
 * more bounds than they save; STALL 1.5 closed fewer; RCAND 2 or a fixed depth 10-20 did not
 * close N3,3 phi2 on the engine without hidden-layer slopes. */
#ifndef RELU_SPLIT
#define RELU_SPLIT 0
#endif
#ifndef RELU_DEPTH
#define RELU_DEPTH 0
#endif
#ifndef RCAND
#define RCAND 4
#endif
#ifndef STALL
#define STALL 0.8
#endif

/* The row that decides the worst open term (of the rows nearest to proving each open term,
 * the one of largest bound ub); -1 when none. sel: scratch (pr->na ints). */
static int worst_row(const struct prob *pr, const double *ub, uint64_t open, int *sel)
{
    int worst = -1, R = bab_pick_rows(pr, ub, open, sel);
    for (int q = 0; q < R; q++)
        if (worst < 0 || ub[sel[q]] > ub[worst])
            worst = sel[q];
    return worst;
}

/* The RCAND unstable units of b whose relaxation costs the worst row's bound most (BaBSR's
 * estimate: the row's coefficient on the unit's output times the chord's largest gap to the
 * relu, -l u / (u - l)) into units; how many. Ties keep the lower index first. Plain float
 * arithmetic: the choice only steers the search. */
static int relu_candidates(struct S *s, const struct box *b, int *units)
{
    struct wk *w = &s->w[0];
    int nu = w->bw.units, n = 0;
    double sc, gap[RCAND];
    uint64_t open = bab_evaluate(s, w, b->xl, b->xu, b->open, b->known, &sc, NULL);
    s->st->boxes++;
    int r = worst_row(&s->pr, w->ub, open, w->sel);
    if (r < 0)
        return 0;
    vbound_rows_alpha(&w->bw, b->xl, b->xu, 1, s->pr.C + (size_t)r * s->ny,
                      b->known + 2 * nu + (size_t)r * nu, &sc);
    const double *H = w->bw.hsave;
    for (int q = 0; q < nu; q++) {
        double l = b->known[q], u = b->known[nu + q];
        if (!(l < 0 && u > 0))
            continue;
        double g = fabs(H[q]) * (-l * u / (u - l));
        int at = n < RCAND ? n++ : RCAND;
        for (; at > 0 && g > gap[at - 1]; at--) {
            if (at < RCAND) {
                gap[at] = gap[at - 1];
                units[at] = units[at - 1];
            }
        }
        if (at < RCAND) {
            gap[at] = g;
            units[at] = q;
        }
    }
    return n;
}

void bab_relu_fix(double *known, int units, int q, bool active)
{
    if (active)
        known[q] = fmax(known[q], 0); /* z >= 0 */
    else
        known[units + q] = fmin(known[units + q], 0); /* z <= 0 */
}

struct rtrial {
    const struct box *b;
    const int *units;
    double *known[RCAND][2]; /* the children's known bounds and slopes */
    double *out[RCAND][2];   /* their smear, corner, known, slopes */
    uint64_t open[RCAND][2];
    double score[RCAND][2];
};

static void phase_task(struct S *s, struct wk *w, int task, void *ctx)
{
    struct rtrial *tr = ctx;
    int c = task / 2, h = task % 2, nu = w->bw.units, q = tr->units[c];
    double *k = tr->known[c][h];
    bab_relu_fix(k, nu, q, h);
    tr->open[c][h] = bab_evaluate(s, w, tr->b->xl, tr->b->xu, tr->b->open, k,
                                  &tr->score[c][h], tr->out[c][h]);
}

bool bab_relu_branch(struct S *s, const struct box *b, const double bestkey[2])
{
    int units[RCAND];
    if (!RELU_SPLIT || b->depth < RELU_DEPTH || !(bestkey[0] >= STALL * b->score))
        return false;
    int nc = relu_candidates(s, b, units);
    if (nc == 0)
        return false;
    size_t nx = (size_t)s->nx, kn = s->box_doubles - 4 * nx, extra = s->box_doubles - 2 * nx;
    struct rtrial tr = {.b = b, .units = units};
    double *mem = mlp_xmalloc((size_t)nc * 2 * (kn + extra) * sizeof *mem + 1);
    for (int c = 0; c < nc; c++)
        for (int h = 0; h < 2; h++) {
            tr.known[c][h] = mem + (size_t)(2 * c + h) * (kn + extra);
            tr.out[c][h] = tr.known[c][h] + kn;
            memcpy(tr.known[c][h], b->known, kn * sizeof *mem);
        }
    bab_run_tasks(s, 2 * nc, phase_task, &tr);
    s->st->boxes += 2 * nc;
    int bc = -1;
    double bk[2] = {bestkey[0], bestkey[1]};
    for (int c = 0; c < nc; c++) {
        const double *score = tr.score[c];
        double key[2] = {fmax(score[0], 0) + fmax(score[1], 0), fmax(score[0], score[1])};
        if (key[0] < bk[0] || (key[0] == bk[0] && key[1] < bk[1])) {
            bc = c;
            memcpy(bk, key, sizeof bk);
        }
    }
    if (bc >= 0) {
        s->st->splits++;
        int first = tr.score[bc][1] > tr.score[bc][0];
        for (int k = 0; k < 2; k++) {
            int h = k ? first : !first;
            if (!tr.open[bc][h])
                continue;
            double *o = tr.out[bc][h]; /* the layers' slopes: b's (bab_evaluate keeps none) */
            memcpy(o + extra - s->layer_doubles, b->xl + s->box_doubles - s->layer_doubles,
                   s->layer_doubles * sizeof *o);
            bab_push(s, b->xl, b->xu, o, tr.open[bc][h], tr.score[bc][h], b->depth + 1);
        }
    }
    free(mem);
    return bc >= 0;
}

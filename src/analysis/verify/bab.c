/* bab.c - branch and bound over the input box with strong branching and gradient attacks. */
#include "analysis/verify/bab.h"
#include "analysis/verify/attack.h"
#include "analysis/verify/bound.h"
#include "analysis/verify/leaf.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/witness.h"
#include "base/mem.h"
#include "base/rng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Terms decided together per search (a bit each). */
#define MAXTERMS 64
/* Gradient steps per start, and random starts per burst. */
#ifndef PGD_STEPS
#define PGD_STEPS 25
#endif
/* A burst samples SAMPLES random points of the box and ascends from the best TOP of them. */
#ifndef SAMPLES
#define SAMPLES 256
#endif
#ifndef TOP
#define TOP 8
#endif
/* and from RESTARTS fresh random points */
#ifndef RESTARTS
#define RESTARTS 16
#endif
#ifndef PBOX_STEPS
#define PBOX_STEPS 5
#endif
/* Dimensions tried by strong branching: the ones with the largest smear. */
#ifndef STRONG
#define STRONG 2
#endif
#define NCAND STRONG

/* The case in doubles: its distinct atoms as rows, and its terms over them. */
struct prob {
    int na, nt;
    double *C, *crad, *elo, *ehi, *c0; /* na rows */
    bool *strict, any_rad;
    int *tlen, **tatom;               /* term i: its atoms' rows */
    int *plen, **tproof;              /* term i: the rows that can prove it impossible: its
                                       * atoms, and sums of two and of all of them (when every
                                       * atom of a sum holds, so does the sum) */
};

/* Most atoms of a term for which sums of pairs are tried. */
#define MAXPAIRS 8

struct box {
    double *xl, *xu; /* one allocation: xl, xu, smear, corner, known */
    double *smear;   /* per input: |d margin / d x_i| times the width, of the worst atom */
    double *corner;  /* where the worst atom's linear upper bound is largest: a start for the
                      * counterexample search */
    double *known;   /* the hidden units' bounds here (vbound_save) */
    uint64_t open; /* terms not yet proved impossible in the box */
    double score;  /* its worst open term's margin */
    int depth;
    int hits;      /* attacks run inside it */
};

struct S {
    const struct vnet *net;
    int out, nx, ny, k;
    const struct vdense *d;
    const struct vnnlib *p;
    const struct vbab_opts *o;
    struct prob pr;
    struct vbwork bw;
    struct vatk atk;
    double *ub, *rootl, *rootu, *x, *grad;
    double *half[NCAND][2]; /* smear, corner, known of the halves tried: 2 nx + 2 units */
    size_t box_doubles;
    struct box *stack;
    int n, cap;
    mlp_rng rng;
    mpq_t *point;
    struct vbab_stats *st;
    double t0, last_progress;
    mlp_error *err;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- the case in doubles ---- */

/* A row: the sum of the atoms a[0..n) of p (exact), rounded outwards. */
static void set_row(struct prob *pr, int r, const struct vnnlib *p, const int *a, int n)
{
    size_t ny = (size_t)p->ny, nx = (size_t)p->nx, nv = nx + ny;
    mpq_t *c = vq_array_new((int64_t)nv + 1);
    bool strict = true;
    for (int i = 0; i < n; i++) {
        const struct vnn_atom *at = &p->atoms[a[i]];
        for (size_t j = 0; j < nv; j++)
            mpq_add(c[j], c[j], at->c[j]);
        mpq_add(c[nv], c[nv], at->c0);
        strict = strict && at->strict;
    }
    for (size_t j = 0; j < ny; j++) {
        pr->C[r * ny + j] = vq_down(c[nx + j]);
        pr->crad[r * ny + j] = vq_up(c[nx + j]) - pr->C[r * ny + j]; /* 0, or one ulp */
        pr->any_rad = pr->any_rad || pr->crad[r * ny + j] != 0;
    }
    for (size_t i = 0; i < nx; i++) {
        pr->elo[r * nx + i] = vq_down(c[i]);
        pr->ehi[r * nx + i] = vq_up(c[i]);
    }
    pr->c0[r] = vq_up(c[nv]);
    pr->strict[r] = strict;
    vq_array_free(c, (int64_t)nv + 1);
}

/* Rows a term of n atoms gets: the atoms, their pairs (up to MAXPAIRS atoms), all of them. */
static int term_rows(int n)
{
    return n + (n >= 2 && n <= MAXPAIRS ? n * (n - 1) / 2 : 0) + (n >= 3);
}

static void prob_init(struct prob *pr, const struct vnnlib *p, int k)
{
    const struct vnn_case *c = &p->cases[k];
    memset(pr, 0, sizeof *pr);
    pr->nt = c->nterms;
    int total = 0;
    for (int i = 0; i < pr->nt; i++)
        total += term_rows(c->len[i]);
    size_t ny = (size_t)p->ny, nx = (size_t)p->nx, na = (size_t)total;
    pr->C = mlp_xcalloc(na * ny + 1, sizeof(double));
    pr->crad = mlp_xcalloc(na * ny + 1, sizeof(double));
    pr->elo = mlp_xcalloc(na * nx + 1, sizeof(double));
    pr->ehi = mlp_xcalloc(na * nx + 1, sizeof(double));
    pr->c0 = mlp_xcalloc(na + 1, sizeof(double));
    pr->strict = mlp_xcalloc(na + 1, sizeof(bool));
    pr->tlen = mlp_xmalloc((size_t)pr->nt * sizeof *pr->tlen + 1);
    pr->tatom = mlp_xmalloc((size_t)pr->nt * sizeof *pr->tatom + 1);
    pr->plen = mlp_xmalloc((size_t)pr->nt * sizeof *pr->plen + 1);
    pr->tproof = mlp_xmalloc((size_t)pr->nt * sizeof *pr->tproof + 1);
    for (int i = 0; i < pr->nt; i++) {
        int n = c->len[i];
        const int *a = c->term[i];
        pr->tlen[i] = n;
        pr->plen[i] = term_rows(n);
        pr->tatom[i] = mlp_xmalloc((size_t)n * sizeof **pr->tatom + 1);
        pr->tproof[i] = mlp_xmalloc((size_t)pr->plen[i] * sizeof **pr->tproof + 1);
        int q = 0;
        for (int j = 0; j < n; j++) {
            pr->tatom[i][j] = pr->na;
            pr->tproof[i][q++] = pr->na;
            set_row(pr, pr->na++, p, a + j, 1);
        }
        for (int j = 0; n <= MAXPAIRS && j < n; j++)
            for (int l = j + 1; l < n; l++) {
                int two[2] = {a[j], a[l]};
                pr->tproof[i][q++] = pr->na;
                set_row(pr, pr->na++, p, two, 2);
            }
        if (n >= 3) {
            pr->tproof[i][q++] = pr->na;
            set_row(pr, pr->na++, p, a, n);
        }
    }
}

static void prob_free(struct prob *pr)
{
    for (int i = 0; i < pr->nt; i++) {
        free(pr->tatom[i]);
        free(pr->tproof[i]);
    }
    free(pr->tatom);
    free(pr->tproof);
    free(pr->plen);
    free(pr->tlen);
    free(pr->C);
    free(pr->crad);
    free(pr->elo);
    free(pr->ehi);
    free(pr->c0);
    free(pr->strict);
}

/* ---- bounding a box ---- */

/* Bound the box (inside a box whose units' bounds are `known`, or NULL); returns the terms
 * still open among `open`, their worst margin in *score; its smear and bounds into `out`
 * (nx + 2 units doubles) unless NULL. */
static uint64_t evaluate(struct S *s, const double *xl, const double *xu, uint64_t open,
                         const double *known, double *score, double *out)
{
    struct prob *pr = &s->pr;
    s->st->boxes++;
    vbound_forward(&s->bw, xl, xu, known);
    vbound_atoms(&s->bw, xl, xu, pr->na, pr->C, pr->any_rad ? pr->crad : NULL, pr->elo,
                 pr->ehi, pr->c0, s->ub);
    *score = -INFINITY;
    int worst = -1;
    for (int t = 0; t < pr->nt; t++) {
        if (!(open >> t & 1))
            continue;
        double m = INFINITY;
        bool proved = false;
        int arg = -1;
        for (int j = 0; j < pr->plen[t] && !proved; j++) {
            int r = pr->tproof[t][j];
            proved = pr->strict[r] ? s->ub[r] <= 0 : s->ub[r] < 0;
            if (s->ub[r] < m) {
                m = s->ub[r];
                arg = r;
            }
        }
        if (proved) {
            open &= ~((uint64_t)1 << t);
        } else if (m > *score || worst < 0) {
            *score = fmax(*score, m);
            worst = arg;
        }
    }
    if (out && open && worst >= 0) {
        const double *hi = vbound_input_coefs(&s->bw, worst);
        const double *lo = vbound_input_coefs(&s->bw, pr->na + worst);
        for (int i = 0; i < s->nx; i++) {
            out[i] = fmax(fabs(hi[i]), fabs(lo[i])) * (xu[i] - xl[i]);
            out[s->nx + i] = hi[i] > 0 ? xu[i] : hi[i] < 0 ? xl[i] : 0.5 * (xl[i] + xu[i]);
        }
        vbound_save(&s->bw, out + 2 * s->nx);
    }
    return open;
}

/* ---- counterexample search ---- */

/* The float value of term t at x (its least atom), the least atom's row into *arg. */
static double term_value(struct S *s, int t, const double *x, const double *y, int *arg)
{
    const struct prob *pr = &s->pr;
    double m = INFINITY;
    for (int j = 0; j < pr->tlen[t]; j++) {
        int r = pr->tatom[t][j];
        double v = pr->c0[r];
        for (int i = 0; i < s->ny; i++)
            v += pr->C[(size_t)r * s->ny + i] * y[i];
        for (int i = 0; i < s->nx; i++)
            v += pr->ehi[(size_t)r * s->nx + i] * x[i];
        if (v < m) {
            m = v;
            *arg = r;
        }
    }
    return m;
}

/* Gradient ascent on term t from s->x within [xl, xu]; true when an exact counterexample was
 * found (in s->point). */
static bool ascend(struct S *s, int t, const double *xl, const double *xu, int steps)
{
    double *x = s->x, step = 0.25;
    for (int it = 0; it <= steps; it++, step *= 0.75) {
        s->st->attack_steps++;
        const double *y = vatk_forward(&s->atk, x);
        int r = 0;
        double v = term_value(s, t, x, y, &r);
        if (v >= -1e-9 * (1 + fabs(s->pr.c0[r]))) { /* at or near the unsafe set: check exactly */
            s->st->candidates++;
            if (vwit_check(s->net, s->out, s->p, s->k, x, s->point))
                return true;
        }
        if (it == steps)
            break;
        vatk_gradient(&s->atk, s->pr.C + (size_t)r * s->ny, s->grad);
        for (int i = 0; i < s->nx; i++) {
            double g = s->grad[i] + s->pr.ehi[(size_t)r * s->nx + i];
            x[i] += step * (xu[i] - xl[i]) * (g > 0 ? 1 : g < 0 ? -1 : 0);
            x[i] = fmin(xu[i], fmax(xl[i], x[i]));
        }
    }
    return false;
}

/* Gradient ascent from the centre of the box and from `corner` (NULL: none), for each open
 * term. */
static bool attack_centre(struct S *s, const double *xl, const double *xu, const double *corner,
                          uint64_t open, int steps)
{
    for (int t = 0; t < s->pr.nt; t++) {
        if (!(open >> t & 1))
            continue;
        for (int from = 0; from < (corner ? 2 : 1); from++) {
            for (int i = 0; i < s->nx; i++)
                s->x[i] = from ? corner[i] : xl[i] + 0.5 * (xu[i] - xl[i]);
            if (ascend(s, t, xl, xu, steps))
                return true;
        }
    }
    return false;
}

/* For each open term: SAMPLES random points, then ascent from the TOP best of them and from
 * RESTARTS fresh random points. */
static bool attack_burst(struct S *s, const double *xl, const double *xu, uint64_t open)
{
    int nx = s->nx;
    double *pts = mlp_xmalloc((size_t)SAMPLES * nx * sizeof *pts), val[SAMPLES];
    bool found = false;
    for (int t = 0; t < s->pr.nt && !found; t++) {
        if (!(open >> t & 1))
            continue;
        int order[SAMPLES];
        for (int n = 0; n < SAMPLES; n++) {
            double *x = pts + (size_t)n * nx;
            for (int i = 0; i < nx; i++)
                x[i] = xl[i] + mlp_rng_uniform(&s->rng) * (xu[i] - xl[i]);
            int r;
            val[n] = term_value(s, t, x, vatk_forward(&s->atk, x), &r);
            int at = n;
            for (; at > 0 && val[n] > val[order[at - 1]]; at--)
                order[at] = order[at - 1];
            order[at] = n;
        }
        s->st->attack_steps += SAMPLES;
        for (int n = 0; n < TOP && !found; n++) {
            memcpy(s->x, pts + (size_t)order[n] * nx, (size_t)nx * sizeof *s->x);
            found = ascend(s, t, xl, xu, PGD_STEPS);
        }
        for (int n = 0; n < RESTARTS && !found; n++) {
            for (int i = 0; i < nx; i++)
                s->x[i] = xl[i] + mlp_rng_uniform(&s->rng) * (xu[i] - xl[i]);
            found = ascend(s, t, xl, xu, PGD_STEPS);
        }
    }
    free(pts);
    return found;
}

/* ---- the search ---- */

/* Every ROOT_EVERY boxes popped, a burst of random restarts runs over the whole box (some
 * counterexamples, N1,9 phi7 and N5,3 phi2, sit in regions so small that only many restarts
 * meet them: the search then spends about as much time attacking as bounding); every BOX_EVERY,
 * one runs inside the open box whose worst margin is largest (halved for each attack it already
 * had): counterexamples hide in the boxes the bounds cannot close, and a burst there samples
 * them far more densely (N1,5 and N1,6 phi2). */
#ifndef ROOT_EVERY
#define ROOT_EVERY 4
#endif
#ifndef BOX_EVERY
#define BOX_EVERY 64
#endif

static bool attack_open(struct S *s)
{
    int best = -1;
    double key = -INFINITY;
    for (int i = 0; i < s->n; i++) {
        double k = ldexp(s->stack[i].score, -s->stack[i].hits);
        if (k > key) {
            key = k;
            best = i;
        }
    }
    if (best < 0)
        return false;
    struct box *b = &s->stack[best];
    b->hits++;
    return attack_burst(s, b->xl, b->xu, b->open);
}

/* Push a box; `extra` is its smear and known bounds (nx + 2 units doubles). */
static void push(struct S *s, const double *xl, const double *xu, const double *extra,
                 uint64_t open, double score, int depth)
{
    mlp_xreserve(&s->stack, &s->cap, s->n + 1, sizeof *s->stack);
    struct box *b = &s->stack[s->n++];
    b->xl = mlp_xmalloc(s->box_doubles * sizeof(double));
    b->xu = b->xl + s->nx;
    b->smear = b->xu + s->nx;
    b->corner = b->smear + s->nx;
    b->known = b->corner + s->nx;
    memcpy(b->xl, xl, (size_t)s->nx * sizeof(double));
    memcpy(b->xu, xu, (size_t)s->nx * sizeof(double));
    memcpy(b->smear, extra, (s->box_doubles - 2 * (size_t)s->nx) * sizeof(double));
    b->open = open;
    b->score = score;
    b->depth = depth;
    b->hits = 0;
}

/* The STRONG dimensions of largest smear that can still be halved, into dims; how many. */
static int candidates(const struct S *s, const struct box *b, int *dims)
{
    int n = 0, *all = (int *)s->grad; /* scratch: nx ints fit in nx doubles */
    for (int i = 0; i < s->nx; i++) {
        double mid = b->xl[i] + 0.5 * (b->xu[i] - b->xl[i]);
        if (!(mid > b->xl[i] && mid < b->xu[i]))
            continue;
        int at = n++;
        for (; at > 0 && b->smear[i] > b->smear[all[at - 1]]; at--)
            all[at] = all[at - 1]; /* largest first; ties keep the lower index first */
        all[at] = i;
    }
    n = n < STRONG ? n : STRONG;
    memcpy(dims, all, (size_t)n * sizeof *dims);
    return n;
}

/* Bound the two halves of b along input dimension i, halved at mid. */
static void try_split(struct S *s, const struct box *b, int c, int i, double mid,
                      uint64_t *open, double *score)
{
    int nx = s->nx;
    double *l = s->x, *u = s->x + nx;
    for (int h = 0; h < 2; h++) {
        memcpy(l, b->xl, (size_t)nx * sizeof *l);
        memcpy(u, b->xu, (size_t)nx * sizeof *u);
        (h ? l : u)[i] = mid;
        open[h] = evaluate(s, l, u, b->open, b->known, &score[h], s->half[c][h]);
    }
}

/* Split b along the input dimension (of the STRONG with most smear) whose halves bound best
 * together; push the halves still open. False when no dimension can be halved in doubles. */
static bool branch(struct S *s, const struct box *b)
{
    int nx = s->nx, dims[STRONG], bc = -1;
    double bestkey[2] = {INFINITY, INFINITY}, bscore[2] = {0, 0};
    uint64_t bopen[2] = {0, 0};
    int nd = candidates(s, b, dims);
    for (int c = 0; c < nd; c++) {
        int i = dims[c];
        double mid = b->xl[i] + 0.5 * (b->xu[i] - b->xl[i]);
        uint64_t open[2];
        double score[2];
        try_split(s, b, c, i, mid, open, score);
        /* the halves' margins together (a proved half counts 0), then the worse half */
        double key[2] = {fmax(score[0], 0) + fmax(score[1], 0), fmax(score[0], score[1])};
        if (key[0] < bestkey[0] || (key[0] == bestkey[0] && key[1] < bestkey[1])) {
            bc = c;
            memcpy(bestkey, key, sizeof key);
            memcpy(bopen, open, sizeof open);
            memcpy(bscore, score, sizeof score);
        }
    }
    if (bc < 0)
        return false;
    s->st->splits++;
    s->st->depth = b->depth + 1 > s->st->depth ? b->depth + 1 : s->st->depth;
    double *l = s->x, *u = s->x + nx;
    int first = bscore[1] > bscore[0]; /* the half nearer to unsafe is popped first */
    for (int k = 0; k < 2; k++) {
        int h = k ? first : !first;
        if (!bopen[h])
            continue;
        memcpy(l, b->xl, (size_t)nx * sizeof *l);
        memcpy(u, b->xu, (size_t)nx * sizeof *u);
        int i = dims[bc];
        (h ? l : u)[i] = b->xl[i] + 0.5 * (b->xu[i] - b->xl[i]);
        push(s, l, u, s->half[bc][h], bopen[h], bscore[h], b->depth + 1);
    }
    return true;
}

static void progress(struct S *s, double t)
{
    if (!s->o->progress || t - s->last_progress < 0.25)
        return;
    s->last_progress = t;
    s->st->open = s->n;
    double worst = -INFINITY;
    for (int i = 0; i < s->n; i++)
        worst = fmax(worst, s->stack[i].score);
    s->st->worst = worst;
    s->o->progress(s->st, t - s->t0, s->o->ctx);
}

/* 1 holds, 0 violated, -1 out of time or memory, -2 error. */
static int search(struct S *s)
{
    const struct vnn_case *c = &s->p->cases[s->k];
    for (int i = 0; i < s->nx; i++) {
        s->rootl[i] = vq_down(c->lo[i]);
        s->rootu[i] = vq_up(c->hi[i]);
    }
    uint64_t all = s->pr.nt >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << s->pr.nt) - 1;
    double score;
    uint64_t open = evaluate(s, s->rootl, s->rootu, all, NULL, &score, s->half[0][0]);
    if (!open)
        return 1;
    if (attack_centre(s, s->rootl, s->rootu, s->half[0][0] + s->nx, open, PGD_STEPS) ||
        attack_burst(s, s->rootl, s->rootu, open))
        return 0;
    push(s, s->rootl, s->rootu, s->half[0][0], open, score, 0);
    size_t box_bytes = sizeof(struct box) + s->box_doubles * sizeof(double);
    int rc = 1;
    for (long iter = 0; s->n > 0; iter++) {
        struct box b = s->stack[--s->n];
        double t = (iter & 15) ? 0 : now();
        if (t && s->o->deadline > 0 && t > s->o->deadline)
            rc = -1;
        else if (s->o->max_memory && (size_t)s->n * box_bytes > s->o->max_memory)
            rc = -1;
        else if (attack_centre(s, b.xl, b.xu, b.corner, b.open, PBOX_STEPS) ||
                 (iter % ROOT_EVERY == ROOT_EVERY - 1 && attack_burst(s, s->rootl, s->rootu, all)) ||
                 (iter % BOX_EVERY == BOX_EVERY - 1 && attack_open(s)))
            rc = 0;
        else if (!branch(s, &b)) {
            int v = vleaf_decide(s->net, s->out, s->p, s->k, b.xl, b.xu, b.open, s->point,
                                 s->err);
            s->st->exact_leaves++;
            rc = v == 1 ? 1 : v == 0 ? 0 : -2;
        }
        if (t)
            progress(s, t);
        if (rc != 1) {
            push(s, b.xl, b.xu, b.smear, b.open, b.score, b.depth); /* still open */
            free(b.xl);
            break;
        }
        free(b.xl);
    }
    s->st->open = s->n;
    return rc;
}

int vbab_run(const struct vnet *net, int out, const struct vdense *d, const struct vnnlib *p,
             int k, const struct vbab_opts *o, mpq_t *point, struct vbab_stats *st,
             mlp_error *err)
{
    memset(st, 0, sizeof *st);
    struct S s = {.net = net, .out = out, .nx = d->nx, .ny = d->ny, .k = k, .d = d, .p = p,
                  .o = o, .point = point, .st = st, .err = err};
    s.t0 = s.last_progress = now();
    prob_init(&s.pr, p, k);
    vbound_init(&s.bw, d, s.pr.na);
    vatk_init(&s.atk, d);
    s.ub = mlp_xcalloc((size_t)s.pr.na + 1, sizeof *s.ub);
    s.rootl = mlp_xcalloc((size_t)s.nx, sizeof *s.rootl);
    s.rootu = mlp_xcalloc((size_t)s.nx, sizeof *s.rootu);
    s.x = mlp_xcalloc(2 * (size_t)s.nx, sizeof *s.x);
    s.grad = mlp_xcalloc((size_t)s.nx, sizeof *s.grad);
    mlp_rng_seed(&s.rng, 13, (uint64_t)k);
    s.box_doubles = 4 * (size_t)s.nx + 2 * (size_t)s.bw.units;
    for (int c = 0; c < NCAND; c++)
        for (int h = 0; h < 2; h++)
            s.half[c][h] = mlp_xcalloc(s.box_doubles, sizeof(double));
    int rc = s.pr.nt > MAXTERMS ? -3 : s.pr.nt == 0 ? 2 : search(&s);
    if (rc == 2) { /* the whole box is unsafe: any point of it */
        for (int i = 0; i < s.nx; i++)
            mpq_set(point[i], p->cases[k].lo[i]);
        rc = 0;
    }
    if (rc == -3) {
        mlp_fail(err, MLP_ERR_UNSUPPORTED, NULL, MLP_NOLOC,
                 "a case of the property has more than %d disjuncts", MAXTERMS);
        rc = -2;
    }
    st->open = s.n;
    for (int i = 0; i < s.n; i++)
        free(s.stack[i].xl);
    free(s.stack);
    for (int c = 0; c < NCAND; c++)
        for (int h = 0; h < 2; h++)
            free(s.half[c][h]);
    free(s.ub);
    free(s.rootl);
    free(s.rootu);
    free(s.x);
    free(s.grad);
    vatk_free(&s.atk);
    vbound_free(&s.bw);
    prob_free(&s.pr);
    return rc;
}

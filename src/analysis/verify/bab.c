/* bab.c - branch and bound over the input box with strong branching and gradient attacks. */
#include "analysis/verify/bab_impl.h"
#include "analysis/verify/leaf.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Gradient steps per start in a popped box. */
#ifndef PBOX_STEPS
#define PBOX_STEPS 5
#endif
/* Bounds per hidden layer in bab_tighten (alpha_layers.h; 0: none). */
#ifndef LAYER_STEPS
#define LAYER_STEPS 3
#endif
/* 1: a popped box is tightened (bab_tighten) before its attacks, which a box it proves then
 * skips. Measured and not taken (docs/verify.md): the same trees, 4-25% less CPU on instances
 * that hold, but fewer whole-box bursts per box popped, so N1,9 phi7 and N1,5 phi2 are found
 * later (8.6 -> 11.0 s, 3.8 -> 4.6 s). */
#ifndef TIGHTEN_FIRST
#define TIGHTEN_FIRST 0
#endif
/* Most atoms of a term for which sums of pairs are tried. */
#define MAXPAIRS 8

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
    return bab_attack_burst(s, b->xl, b->xu, b->open);
}

/* A deep box with few unstable units goes to the exact region search (leaf.h) instead of being
 * split again. Float bounds can never close a box whose margin is exactly 0 (a threshold equal
 * to the network's largest value, attained at one point): the boxes around that point stay
 * open at every depth, and an attack rarely hits the point itself, so such a search halved
 * boxes down to the resolution of doubles (half an hour on a 3-input net). At LEAF_DEPTH
 * splits per input a box is about 2^-LEAF_DEPTH of the root in each dimension; with at most
 * LEAF_UNSTABLE unstable units per input (a point where the maximum is attained is a vertex:
 * nx kinks or faces meet there) the exact search has few regions to visit, where a box of
 * ACAS Xu with 5 of its 300 units unstable costs the exact search 90 ms, 100 float boxes. The
 * rule reads the box alone, so every thread count decides the same boxes the same way. */
#ifndef LEAF_DEPTH
#define LEAF_DEPTH 10
#endif
#ifndef LEAF_UNSTABLE
#define LEAF_UNSTABLE 1
#endif

/* The box's hidden units whose bounds straddle 0. */
static int unstable(const struct S *s, const struct box *b)
{
    int n = 0, units = s->w[0].bw.units;
    for (int q = 0; q < units; q++)
        n += b->known[q] < 0 && b->known[units + q] > 0;
    return n;
}

static bool to_leaf(const struct S *s, const struct box *b)
{
    return b->depth >= LEAF_DEPTH * s->nx && unstable(s, b) <= LEAF_UNSTABLE * s->nx;
}

void bab_push(struct S *s, const double *xl, const double *xu, const double *extra,
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

/* Dimensions whose share of the root's width is under 1/IMBALANCE of the largest share are not
 * tried. The smear is the worst atom's linear bound's slope along a dimension times its width;
 * where a wide input's slope is small, the narrow ones win on smear alone, and once they are
 * narrow, halving one gives two halves equal to the box, whose bounds, recomputed inside the
 * box's own (vbound_forward's `known`), come out a little better than the box's: that split then
 * beats the one along the wide input that would really tighten the bound, at every depth, down
 * to the resolution of doubles (a tie, test_verify_ties.c, spent hours so). */
#ifndef IMBALANCE
#define IMBALANCE 256.0
#endif

/* The share of the root's width of b along i. */
static double share(const struct S *s, const struct box *b, int i)
{
    return (b->xu[i] - b->xl[i]) / (s->rootu[i] - s->rootl[i]);
}

/* The STRONG dimensions of largest smear that can still be halved and are not far narrower
 * than the widest, into dims; how many. */
static int candidates(const struct S *s, const struct box *b, int *dims)
{
    int n = 0, *all = (int *)s->w[0].grad; /* scratch: nx ints fit in nx doubles */
    double widest = 0;
    for (int i = 0; i < s->nx; i++)
        if (s->rootu[i] > s->rootl[i])
            widest = fmax(widest, share(s, b, i));
    for (int i = 0; i < s->nx; i++) {
        double mid = b->xl[i] + 0.5 * (b->xu[i] - b->xl[i]);
        if (!(mid > b->xl[i] && mid < b->xu[i]) || share(s, b, i) * IMBALANCE < widest)
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

/* The halves strong branching tries: task 2 c + h is half h of b along dims[c]. */
struct trial {
    const struct box *b;
    const int *dims;
    uint64_t open[NCAND][2];
    double score[NCAND][2];
};

static void half_task(struct S *s, struct wk *w, int task, void *ctx)
{
    struct trial *tr = ctx;
    const struct box *b = tr->b;
    int nx = s->nx, c = task / 2, h = task % 2, i = tr->dims[c];
    double *l = w->x, *u = w->x + nx;
    memcpy(l, b->xl, (size_t)nx * sizeof *l);
    memcpy(u, b->xu, (size_t)nx * sizeof *u);
    (h ? l : u)[i] = b->xl[i] + 0.5 * (b->xu[i] - b->xl[i]);
    tr->open[c][h] =
        bab_evaluate(s, w, l, u, b->open, b->known, &tr->score[c][h], s->half[c][h]);
}

/* Split b along the input dimension (of the STRONG with most smear) whose halves bound best
 * together, or on a relu phase when that bounds better still (bab_relu.c); push the children
 * still open. False when no dimension can be halved in doubles. */
static bool branch(struct S *s, const struct box *b)
{
    int nx = s->nx, dims[STRONG], bc = -1;
    double bestkey[2] = {INFINITY, INFINITY}, bscore[2] = {0, 0};
    uint64_t bopen[2] = {0, 0};
    int nd = candidates(s, b, dims);
    struct trial tr = {.b = b, .dims = dims};
    bab_run_tasks(s, 2 * nd, half_task, &tr);
    s->st->boxes += 2 * nd;
    for (int c = 0; c < nd; c++) {
        const uint64_t *open = tr.open[c];
        const double *score = tr.score[c];
        /* the halves' margins together (a proved half counts 0), then the worse half */
        double key[2] = {fmax(score[0], 0) + fmax(score[1], 0), fmax(score[0], score[1])};
        if (key[0] < bestkey[0] || (key[0] == bestkey[0] && key[1] < bestkey[1])) {
            bc = c;
            memcpy(bestkey, key, sizeof key);
            memcpy(bopen, open, sizeof bopen);
            memcpy(bscore, score, sizeof bscore);
        }
    }
    if (bab_relu_branch(s, b, bestkey))
        return true;
    if (bc < 0)
        return false;
    s->st->splits++;
    s->st->depth = b->depth + 1 > s->st->depth ? b->depth + 1 : s->st->depth;
    double *l = s->w[0].x, *u = s->w[0].x + nx;
    int first = bscore[1] > bscore[0]; /* the half nearer to unsafe is popped first */
    for (int k = 0; k < 2; k++) {
        int h = k ? first : !first;
        if (!bopen[h])
            continue;
        memcpy(l, b->xl, (size_t)nx * sizeof *l);
        memcpy(u, b->xu, (size_t)nx * sizeof *u);
        int i = dims[bc];
        (h ? l : u)[i] = b->xl[i] + 0.5 * (b->xu[i] - b->xl[i]);
        double *half = s->half[bc][h]; /* the layers' slopes: b's (the halves keep none) */
        memcpy(half + s->box_doubles - 2 * (size_t)nx - s->layer_doubles,
               b->xl + s->box_doubles - s->layer_doubles, s->layer_doubles * sizeof *half);
        bab_push(s, l, u, half, bopen[h], bscore[h], b->depth + 1);
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
    uint64_t open =
        bab_evaluate(s, &s->w[0], s->rootl, s->rootu, all, NULL, &score, s->half[0][0]);
    s->st->boxes++;
    if (!open)
        return 1;
    if (bab_attack_centre(s, s->rootl, s->rootu, s->half[0][0] + s->nx, open, PGD_STEPS) ||
        bab_attack_burst(s, s->rootl, s->rootu, open))
        return 0;
    valayers_clear(s->d, s->half[0][0] + s->box_doubles - 2 * (size_t)s->nx - s->layer_doubles);
    bab_push(s, s->rootl, s->rootu, s->half[0][0], open, score, 0);
    size_t box_bytes = sizeof(struct box) + s->box_doubles * sizeof(double);
    int rc = 1;
    for (long iter = 0; s->n > 0; iter++) {
        struct box b = s->stack[--s->n];
        double t = (iter & 15) ? 0 : now();
        if (t && s->o->deadline > 0 && t > s->o->deadline)
            rc = -1;
        else if (s->o->max_memory && (size_t)s->n * box_bytes > s->o->max_memory)
            rc = -1;
        else if (TIGHTEN_FIRST && !bab_tighten(s, &s->w[0], &b))
            ; /* proved by the tighter bounds */
        else if (bab_attack_centre(s, b.xl, b.xu, b.corner, b.open, PBOX_STEPS) ||
                 (iter % ROOT_EVERY == ROOT_EVERY - 1 &&
                  bab_attack_burst(s, s->rootl, s->rootu, all)) ||
                 (iter % BOX_EVERY == BOX_EVERY - 1 && attack_open(s)))
            rc = 0;
        else if ((TIGHTEN_FIRST || bab_tighten(s, &s->w[0], &b)) &&
                 (to_leaf(s, &b) || !branch(s, &b))) {
            int v = vleaf_decide(s->net, s->out, s->p, s->k, b.xl, b.xu, b.open, s->point,
                                 s->err);
            s->st->exact_leaves++;
            rc = v == 1 ? 1 : v == 0 ? 0 : -2;
        }
        if (t)
            progress(s, t);
        if (rc != 1) {
            bab_push(s, b.xl, b.xu, b.smear, b.open, b.score, b.depth); /* still open */
            free(b.xl);
            break;
        }
        free(b.xl);
    }
    s->st->open = s->n;
    return rc;
}

/* ---- threads ---- */

/* Most threads a search uses (a burst has 24 ascents, a split 2 STRONG halves). */
#define MAXTHREADS 64

struct job {
    struct S *s;
    int n;
    atomic_int next;
    bab_task_fn fn;
    void *ctx;
};

/* A pool part takes the next task until none is left: which thread runs a task does not
 * change what it computes. */
static void job_part(void *arg, int part, int parts)
{
    (void)parts;
    struct job *j = arg;
    for (int t; (t = atomic_fetch_add(&j->next, 1)) < j->n;)
        j->fn(j->s, &j->s->w[part], t, j->ctx);
}

void bab_run_tasks(struct S *s, int n, bab_task_fn fn, void *ctx)
{
    if (!s->pool || n <= 1) {
        for (int t = 0; t < n; t++)
            fn(s, &s->w[0], t, ctx);
        return;
    }
    struct job j = {.s = s, .n = n, .fn = fn, .ctx = ctx};
    atomic_init(&j.next, 0);
    mlp_pool_run(s->pool, job_part, &j);
}

static void wk_init(struct wk *w, const struct S *s)
{
    vbound_init(&w->bw, s->d, s->pr.na);
    vatk_init(&w->atk, s->d);
    w->ub = mlp_xcalloc((size_t)s->pr.na + 1, sizeof *w->ub);
    w->x = mlp_xcalloc(2 * (size_t)s->nx, sizeof *w->x);
    w->grad = mlp_xcalloc((size_t)s->nx, sizeof *w->grad);
    size_t na = (size_t)s->pr.na;
    w->alpha = mlp_xcalloc(na * (size_t)w->bw.units + 1, sizeof *w->alpha);
    w->rub = mlp_xcalloc(na + 1, sizeof *w->rub);
    w->hplain = mlp_xcalloc(2 * na * (size_t)s->nx + 1, sizeof *w->hplain);
    w->sel = mlp_xcalloc(na + 1, sizeof *w->sel);
    w->csub = mlp_xcalloc(na * (size_t)s->ny + 1, sizeof *w->csub);
    w->asub = mlp_xcalloc(na * (size_t)w->bw.units + 1, sizeof *w->asub);
    valayers_init(&w->va, &w->bw, LAYER_STEPS);
    w->tight = mlp_xcalloc(s->box_doubles, sizeof *w->tight);
    w->point = vq_array_new(s->nx);
}

static void wk_free(struct wk *w, const struct S *s)
{
    vq_array_free(w->point, s->nx);
    free(w->ub);
    free(w->x);
    free(w->grad);
    free(w->alpha);
    free(w->rub);
    free(w->hplain);
    free(w->sel);
    free(w->csub);
    free(w->asub);
    free(w->tight);
    valayers_free(&w->va);
    vatk_free(&w->atk);
    vbound_free(&w->bw);
}

/* nw workspaces, and a pool when there is more than one (one thread if none can be had). */
static void threads_init(struct S *s, int threads)
{
    s->nw = threads < 1 ? 1 : threads > MAXTHREADS ? MAXTHREADS : threads;
    s->pool = s->nw > 1 ? mlp_pool_new(s->nw) : NULL;
    if (!s->pool)
        s->nw = 1;
    s->w = mlp_xcalloc((size_t)s->nw, sizeof *s->w);
    for (int i = 0; i < s->nw; i++)
        wk_init(&s->w[i], s);
}

static void threads_free(struct S *s)
{
    mlp_pool_free(s->pool);
    for (int i = 0; i < s->nw; i++)
        wk_free(&s->w[i], s);
    free(s->w);
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
    s.layer_doubles = valayers_size(d);
    s.rootl = mlp_xcalloc((size_t)s.nx, sizeof *s.rootl);
    s.rootu = mlp_xcalloc((size_t)s.nx, sizeof *s.rootu);
    mlp_rng_seed(&s.rng, 13, (uint64_t)k);
    mlp_rng_seed(&s.faces, 14, (uint64_t)k);
    size_t units = 0;
    for (int i = 0; i < d->nl - 1; i++)
        units += (size_t)d->L[i].out;
    s.box_doubles = 4 * (size_t)s.nx + 2 * units + (size_t)s.pr.na * units + s.layer_doubles;
    threads_init(&s, o->threads); /* after box_doubles: a workspace holds a box's part */
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
    free(s.rootl);
    free(s.rootu);
    threads_free(&s);
    prob_free(&s.pr);
    return rc;
}

/* bab_attack.c - the branch and bound's counterexample search: projected gradient ascent in
 * doubles on the least atom of a term, every candidate re-checked exactly (witness.h). A burst's
 * random numbers are drawn in order on the calling thread; its sampled points and ascents are
 * tasks (bab_impl.h), so a burst finds the same counterexample with the same counts on any
 * number of threads. */
#include "analysis/verify/bab_impl.h"
#include "analysis/verify/witness.h"
#include "base/mem.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A burst samples SAMPLES random points of the box and ascends from the best TOP of them, */
#ifndef SAMPLES
#define SAMPLES 256
#endif
#ifndef TOP
#define TOP 8
#endif
/* and from RESTARTS fresh random points, and FACES on the box's faces: each coordinate at its
 * lower or its upper end with probability 1/4 each, else uniform. Counterexamples can lie on a
 * face or an edge of the box, where random points never are and an ascent from inside gets only
 * when the gradient leads there: N1,9 phi7's has 4 of its 5 inputs at a bound. The face starts
 * draw from their own random stream, so every other start is the point it was without them. */
#ifndef RESTARTS
#define RESTARTS 16
#endif
#ifndef FACES
#define FACES 4
#endif
#define STARTS (TOP + RESTARTS + FACES)
/* Sampled points per task. */
#define CHUNK 32
_Static_assert(SAMPLES % CHUNK == 0, "a burst's samples are whole tasks");

/* The float value of term t at x (its least atom), the least atom's row into *arg. */
static double term_value(const struct S *s, int t, const double *x, const double *y, int *arg)
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

/* Gradient ascent on term t from w->x within [xl, xu]; true when an exact counterexample was
 * found (in w->point). Counts into w->steps and w->cands. */
static bool ascend(const struct S *s, struct wk *w, int t, const double *xl, const double *xu,
                   int steps)
{
    double *x = w->x, step = 0.25;
    for (int it = 0; it <= steps; it++, step *= 0.75) {
        w->steps++;
        const double *y = vatk_forward(&w->atk, x);
        int r = 0;
        double v = term_value(s, t, x, y, &r);
        if (v >= -1e-9 * (1 + fabs(s->pr.c0[r]))) { /* at or near the unsafe set: check exactly */
            w->cands++;
            if (vwit_check(s->net, s->out, s->p, s->k, x, w->point))
                return true;
        }
        if (it == steps)
            break;
        vatk_gradient(&w->atk, s->pr.C + (size_t)r * s->ny, w->grad);
        for (int i = 0; i < s->nx; i++) {
            double g = w->grad[i] + s->pr.ehi[(size_t)r * s->nx + i];
            x[i] += step * (xu[i] - xl[i]) * (g > 0 ? 1 : g < 0 ? -1 : 0);
            x[i] = fmin(xu[i], fmax(xl[i], x[i]));
        }
    }
    return false;
}

/* The counts of w's last ascent into the search's, and its counterexample if it found one. */
static bool take(struct S *s, struct wk *w, bool found)
{
    s->st->attack_steps += w->steps;
    s->st->candidates += w->cands;
    w->steps = w->cands = 0;
    for (int i = 0; found && i < s->nx; i++)
        mpq_set(s->point[i], w->point[i]);
    return found;
}

bool bab_attack_centre(struct S *s, const double *xl, const double *xu, const double *corner,
                       uint64_t open, int steps)
{
    struct wk *w = &s->w[0];
    for (int t = 0; t < s->pr.nt; t++) {
        if (!(open >> t & 1))
            continue;
        for (int from = 0; from < (corner ? 2 : 1); from++) {
            for (int i = 0; i < s->nx; i++)
                w->x[i] = from ? corner[i] : xl[i] + 0.5 * (xu[i] - xl[i]);
            if (take(s, w, ascend(s, w, t, xl, xu, steps)))
                return true;
        }
    }
    return false;
}

/* One burst on one term: the points (SAMPLES sampled, then the STARTS starts) and the
 * results of the tasks. */
struct burst {
    const double *xl, *xu;
    int t;
    double *pts, val[SAMPLES];
    double *start; /* STARTS x nx */
    long steps[STARTS], cands[STARTS];
    int who[STARTS]; /* the thread that found a counterexample in the task, or -1 */
    atomic_int first;        /* least task that found one (STARTS: none yet) */
};

static void sample_task(struct S *s, struct wk *w, int task, void *ctx)
{
    struct burst *b = ctx;
    for (int n = task * CHUNK; n < (task + 1) * CHUNK; n++) {
        const double *x = b->pts + (size_t)n * s->nx;
        int r;
        b->val[n] = term_value(s, b->t, x, vatk_forward(&w->atk, x), &r);
    }
}

/* An ascent; skipped when an earlier task found a counterexample (a sequential run would not
 * have run it, and its counts are not taken). */
static void ascent_task(struct S *s, struct wk *w, int task, void *ctx)
{
    struct burst *b = ctx;
    b->who[task] = -1;
    if (task > atomic_load(&b->first))
        return;
    memcpy(w->x, b->start + (size_t)task * s->nx, (size_t)s->nx * sizeof *w->x);
    w->steps = w->cands = 0;
    bool found = ascend(s, w, b->t, b->xl, b->xu, PGD_STEPS);
    b->steps[task] = w->steps;
    b->cands[task] = w->cands;
    w->steps = w->cands = 0;
    if (found) {
        b->who[task] = (int)(w - s->w);
        int seen = atomic_load(&b->first);
        while (task < seen && !atomic_compare_exchange_weak(&b->first, &seen, task))
            ;
    }
}

/* Ascents from the best TOP of SAMPLES random points, from RESTARTS fresh ones and from FACES
 * on the faces, on term b->t. */
static bool burst_term(struct S *s, struct burst *b)
{
    int nx = s->nx, order[SAMPLES];
    for (int n = 0; n < SAMPLES; n++) {
        double *x = b->pts + (size_t)n * nx;
        for (int i = 0; i < nx; i++)
            x[i] = b->xl[i] + mlp_rng_uniform(&s->rng) * (b->xu[i] - b->xl[i]);
    }
    bab_run_tasks(s, SAMPLES / CHUNK, sample_task, b);
    for (int n = 0; n < SAMPLES; n++) { /* best first; ties keep the earlier point first */
        int at = n;
        for (; at > 0 && b->val[n] > b->val[order[at - 1]]; at--)
            order[at] = order[at - 1];
        order[at] = n;
    }
    s->st->attack_steps += SAMPLES;
    for (int n = 0; n < TOP; n++)
        memcpy(b->start + (size_t)n * nx, b->pts + (size_t)order[n] * nx, (size_t)nx * sizeof *b->pts);
    for (int n = TOP; n < TOP + RESTARTS; n++)
        for (int i = 0; i < nx; i++)
            b->start[(size_t)n * nx + i] = b->xl[i] + mlp_rng_uniform(&s->rng) * (b->xu[i] - b->xl[i]);
    for (int n = TOP + RESTARTS; n < STARTS; n++)
        for (int i = 0; i < nx; i++) {
            double u = mlp_rng_uniform(&s->faces);
            b->start[(size_t)n * nx + i] = u < 0.25 ? b->xl[i] : u < 0.5 ? b->xu[i]
                                           : b->xl[i] + (2 * u - 1) * (b->xu[i] - b->xl[i]);
        }
    atomic_store(&b->first, STARTS);
    bab_run_tasks(s, STARTS, ascent_task, b);
    int f = atomic_load(&b->first);
    for (int n = 0; n < STARTS && n <= f; n++) {
        s->st->attack_steps += b->steps[n];
        s->st->candidates += b->cands[n];
    }
    if (f == STARTS)
        return false;
    const struct wk *w = &s->w[b->who[f]];
    for (int i = 0; i < nx; i++)
        mpq_set(s->point[i], w->point[i]);
    return true;
}

bool bab_attack_burst(struct S *s, const double *xl, const double *xu, uint64_t open)
{
    struct burst *b = mlp_xcalloc(1, sizeof *b);
    b->xl = xl;
    b->xu = xu;
    b->pts = mlp_xmalloc((size_t)SAMPLES * s->nx * sizeof *b->pts);
    b->start = mlp_xmalloc((size_t)STARTS * s->nx * sizeof *b->start);
    bool found = false;
    for (int t = 0; t < s->pr.nt && !found; t++) {
        if (!(open >> t & 1))
            continue;
        b->t = t;
        found = burst_term(s, b);
    }
    free(b->pts);
    free(b->start);
    free(b);
    return found;
}

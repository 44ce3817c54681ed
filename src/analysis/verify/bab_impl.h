/* bab_impl.h - the branch and bound's state, shared by its two halves (bab.c bounds and splits
 * boxes, bab_attack.c looks for counterexamples). Not for use elsewhere.
 *
 * Threads. Work that is independent by construction runs on a pool of threads owned by the
 * search (tensor/pool.h): the bounds of the halves strong branching tries, and the gradient
 * ascents of an attack burst (and its sampled points). Each such piece of work is a *task*
 * with a fixed index; a task is a pure function of its inputs, run on whichever thread takes
 * it, in that thread's workspace (struct wk); the results are merged by the calling thread in
 * task order, with the counts of the tasks a sequential run would have run. So the answer, the
 * counterexample and every count are the same for every number of threads, and the same as
 * with one. */
#ifndef MLP_ANALYSIS_VERIFY_BAB_IMPL_H
#define MLP_ANALYSIS_VERIFY_BAB_IMPL_H

#include "analysis/verify/alpha_layers.h"
#include "analysis/verify/attack.h"
#include "analysis/verify/bab.h"
#include "analysis/verify/bound.h"
#include "base/rng.h"
#include "tensor/pool.h"

#include <stdint.h>

/* Terms decided together per search (a bit each). */
#define MAXTERMS VBAB_MAX_TERMS
/* Dimensions tried by strong branching: the ones with the largest smear. */
#ifndef STRONG
#define STRONG 4
#endif
#define NCAND STRONG
/* Gradient steps per start of a burst and at the root. */
#ifndef PGD_STEPS
#define PGD_STEPS 25
#endif

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

struct box {
    double *xl, *xu; /* one allocation: xl, xu, smear, corner, known */
    double *smear;   /* per input: |d margin / d x_i| times the width, of the worst atom */
    double *corner;  /* where the worst atom's linear upper bound is largest: a start for the
                      * counterexample search */
    double *known;   /* the hidden units' bounds here (vbound_save), then the rows' lower
                      * relu slopes (alpha.h: na sets of units), where its halves start from,
                      * then the hidden layers' slopes (alpha_layers.h: s->layer_doubles) */
    uint64_t open; /* terms not yet proved impossible in the box */
    double score;  /* its worst open term's margin */
    int depth;
    int hits;      /* attacks run inside it */
};

/* One thread's workspace: everything a task writes besides its own result slot. */
struct wk {
    struct vbwork bw;
    struct vatk atk;
    double *ub, *x, *grad; /* na; 2 nx; nx */
    double *alpha, *rub;   /* the rows' lower slopes (na sets of units), their own bounds (na) */
    double *hplain;        /* the plain bounds' input coefficients (2 na nx) */
    int *sel;              /* the rows being optimised (na) */
    double *csub, *asub;   /* their C rows (na ny) and slopes (na sets of units) */
    struct valayers va;    /* the hidden layers' slopes' optimiser (bab_tighten) */
    double *tight;         /* bab_tighten's result (box_doubles - 2 nx) */
    mpq_t *point;          /* the counterexample this thread found last (nx rationals) */
    long steps, cands;     /* attack counts of the task being run */
};

struct S {
    const struct vnet *net;
    int out, nx, ny, k;
    const struct vdense *d;
    const struct vnnlib *p;
    const struct vbab_opts *o;
    struct prob pr;
    struct wk *w; /* nw workspaces; w[0] is the calling thread's */
    int nw;
    mlp_pool *pool; /* nw parts; NULL with one thread */
    double *rootl, *rootu;
    double *half[NCAND][2]; /* smear, corner, known of the halves tried (box_doubles - 2 nx) */
    size_t box_doubles, layer_doubles; /* layer_doubles: alpha_layers.h's store, at the end */
    struct box *stack;
    int n, cap;
    mlp_rng rng;
    mlp_rng faces; /* the face starts' own stream (bab_attack.c) */
    mpq_t *point;
    struct vbab_stats *st;
    double t0, last_progress;
    mlp_error *err;
};

/* Run fn(s, w, task) for every task in 0..n-1 on the pool's threads (w: the running thread's
 * workspace); returns when all are done. */
typedef void (*bab_task_fn)(struct S *s, struct wk *w, int task, void *ctx);
void bab_run_tasks(struct S *s, int n, bab_task_fn fn, void *ctx);

/* Push a box; `extra` is its smear, corner, known bounds and slopes (box_doubles - 2 nx). */
void bab_push(struct S *s, const double *xl, const double *xu, const double *extra,
              uint64_t open, double score, int depth);

/* bab_relu.c: when b is deep enough, try splitting it on the phase of a few unstable relus;
 * if one's children bound better together than bestkey (the best input split's: the
 * children's margins summed, a proved one counting 0, then the worse), push the open ones and
 * return true. */
bool bab_relu_branch(struct S *s, const struct box *b, const double bestkey[2]);
/* Fix unit q's phase in `known` (vbound_save's layout of `units` units): active (z >= 0) or
 * inactive (z <= 0). Bounds computed inside it hold on the points with that phase. */
void bab_relu_fix(double *known, int units, int q, bool active);

/* bab_bound.c: the rows worth optimising into sel: for each open term, the row nearest to
 * proving it impossible (its smallest bound ub); how many. */
int bab_pick_rows(const struct prob *pr, const double *ub, uint64_t open, int *sel);

/* bab_bound.c: bound the box [xl, xu] in w (inside a box whose units' bounds and rows' slopes
 * are `known`, or NULL: the root); returns the terms still open among `open`, their worst
 * margin in *score, and when some are open its smear, corner, bounds and slopes into `out`
 * (box_doubles - 2 nx doubles) unless NULL. */
uint64_t bab_evaluate(const struct S *s, struct wk *w, const double *xl, const double *xu,
                      uint64_t open, const double *known, double *score, double *out);

/* bab_tighten.c: bound b again with the hidden layers' bounds optimised (alpha_layers.h),
 * inside its own bounds and from its slopes, which take the results; the terms still open
 * (b->open, b->score and its smear, corner and bounds updated). */
uint64_t bab_tighten(struct S *s, struct wk *w, struct box *b);

/* bab_attack.c: gradient ascent from the centre of [xl, xu] and from `corner` (NULL: none)
 * for each open term, on the calling thread; a burst of SAMPLES random points, ascents from the
 * best of them and from fresh random points, for each open term, on the pool. True when a
 * counterexample was found (in s->point, re-checked exactly). */
bool bab_attack_centre(struct S *s, const double *xl, const double *xu, const double *corner,
                       uint64_t open, int steps);
bool bab_attack_burst(struct S *s, const double *xl, const double *xu, uint64_t open);

#endif

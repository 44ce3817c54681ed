/* search.c - depth-first enumeration of activation regions with exact decisions. */
#include "analysis/verify/search.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/smt.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* A unit where both sides were feasible: the side being explored, and a point of the other. */
struct choice {
    int k;
    int64_t e;
    bool active, flipped;
    mpq_t *other;
};

/* What a step of the search ends in. */
enum { S_ERROR = -1, S_LEAF, S_HOLDS, S_VIOLATED, S_GO };

struct search {
    const struct vnet *net;
    const struct vspec *spec;
    const struct vbox *box;
    struct veval ev;   /* exact, in the current region */
    struct veval rel;  /* relaxed over the box, to settle whole subtrees */
    bool relax;        /* the box bounds every variable, so relaxations are finite */
    bool leaf;         /* the search stopped at a complete region (not a settled subtree) */
    struct vsmt smt;
    int n;           /* variables */
    mpq_t *witness;  /* a point of the current region */
    mpq_t *model;    /* scratch for solver models */
    struct choice *stack;
    int depth, cap;
    unsigned char **side; /* the side each unit takes in the current region */
    struct vaf *atomv; /* each spec atom's value */
    mpq_t **cmpf;    /* each spec comparison's form */
    signed char *truth;
    struct vsearch_stats *st;
    mlp_error *err;
};

/* The constraint "this side": z >= 0 / z < 0 for step, z > 0 / z <= 0 for relu and drelu. */
static Z3_ast side_constraint(struct search *S, int k, const mpq_t *z, bool active)
{
    bool closed = vnet_closed(S->net, k);
    enum vrel rel = active ? (closed ? VREL_GE : VREL_GT) : (closed ? VREL_LT : VREL_LE);
    return vsmt_cmp(&S->smt, z, rel);
}

static void copy_point(int n, mpq_t *dst, const mpq_t *src)
{
    for (int i = 0; i < n; i++)
        mpq_set(dst[i], src[i]);
}

/* Which side of unit (k, e) the current region takes, or -1 on error. Pushes a choice (and a
 * solver scope holding its side) when both are feasible. */
static int decide(struct search *S, int k, int64_t e, bool *fresh)
{
    const mpq_t *z = veval_pre(&S->ev, k, e);
    if (lin_is_const(S->n, z))
        return vnet_active_at(S->net, k, z[0]);
    bool closed = vnet_closed(S->net, k), ge0, gt0, le0, lt0;
    lin_box_signs(z, S->box, &ge0, &gt0, &le0, &lt0);
    if (closed ? ge0 : gt0)
        return 1;
    if (closed ? lt0 : le0)
        return 0;
    mpq_t v;
    mpq_init(v);
    lin_eval(S->n, z, S->witness, v);
    bool side = vnet_active_at(S->net, k, v);
    mpq_clear(v);
    vsmt_push(&S->smt);
    vsmt_assert(&S->smt, side_constraint(S, k, z, !side));
    int other = vsmt_check(&S->smt, S->model, S->err);
    vsmt_pop(&S->smt);
    if (other <= 0)
        return other < 0 ? -1 : side;
    mlp_xreserve(&S->stack, &S->cap, S->depth + 1, sizeof *S->stack);
    struct choice *c = &S->stack[S->depth++];
    *c = (struct choice){k, e, side, false, vq_array_new(S->n)};
    copy_point(S->n, c->other, S->model);
    vsmt_push(&S->smt);
    vsmt_assert(&S->smt, side_constraint(S, k, z, side));
    S->st->branches++;
    *fresh = true;
    return side;
}

/* The spec's value on every point of the current region within the box, judged from the cone
 * over-approximated: the units decided so far (those before (k0, e0)) exact, the others
 * relaxed. S_HOLDS or S_VIOLATED settle the whole subtree; S_GO when the bounds are not enough. */
static int settle(struct search *S, int k0, int64_t e0)
{
    const struct vnet *net = S->net;
    if (!S->relax)
        return S_GO;
    for (int k = 0; k < net->n && k <= k0; k++) /* the decided part, as it is */
        for (int64_t e = 0; e < net->size[k] && (k < k0 || e < e0); e++)
            af_copy(S->n, veval_af(&S->rel, k, e), veval_af(&S->ev, k, e));
    for (int k = k0; k < net->n; k++) {
        if (!vnet_branches(net, k)) {
            if (veval_node(&S->rel, k, S->err) != MLP_OK)
                return S_ERROR;
            continue;
        }
        for (int64_t e = k == k0 ? e0 : 0; e < net->size[k]; e++)
            veval_relax_unit(&S->rel, k, e);
    }
    const struct vspec *sp = S->spec;
    for (int j = 0; j < sp->natoms; j++)
        S->atomv[j] = veval_af(&S->rel, net->slot[sp->atoms[j].node], sp->atoms[j].elem);
    for (int i = 0; i < sp->ncmps; i++)
        S->truth[i] = (signed char)vspec_cmp_truth(sp, i, S->n, S->atomv, S->box, S->cmpf[i]);
    int v = vspec_eval3(sp, sp->root, S->truth);
    S->st->settled += v >= 0;
    return v == 1 ? S_HOLDS : v == 0 ? S_VIOLATED : S_GO;
}

/* Compute the cone from node k, element e on; `forced` (0/1, or -1) is the side of (k, e),
 * which then starts a new subtree. S_LEAF at a complete region, or how a subtree settled. */
static int advance(struct search *S, int k, int64_t e, int forced)
{
    const struct vnet *net = S->net;
    for (; k < net->n; k++, e = 0) {
        if (!vnet_branches(net, k)) {
            if (veval_node(&S->ev, k, S->err) != MLP_OK)
                return S_ERROR;
            continue;
        }
        for (; e < net->size[k]; e++) {
            bool fresh = forced >= 0;
            int side = forced >= 0 ? forced : decide(S, k, e, &fresh);
            forced = -1;
            if (side < 0)
                return S_ERROR;
            S->side[k][e] = (unsigned char)side;
            veval_set_side(&S->ev, k, e, side);
            int settled = fresh ? settle(S, k, e + 1) : S_GO;
            if (settled != S_GO)
                return settled;
        }
    }
    return S_LEAF;
}

/* Continued-fraction convergents of q with denominators up to `maxden`, simplest first, into
 * out (at most `max`); returns how many. */
static int convergents(const mpq_t q, mpq_t *out, int max, unsigned long maxden)
{
    mpz_t a, num, den, h0, h1, k0, k1, t;
    mpz_inits(a, num, den, h0, h1, k0, k1, t, NULL);
    mpz_set(num, mpq_numref(q));
    mpz_set(den, mpq_denref(q));
    mpz_set_ui(h0, 1), mpz_set_ui(h1, 0), mpz_set_ui(k0, 0), mpz_set_ui(k1, 1);
    int n = 0;
    while (n < max && mpz_sgn(den)) {
        mpz_fdiv_qr(a, t, num, den); /* num/den = a + t/den */
        mpz_set(num, den);
        mpz_set(den, t);
        mpz_addmul(h1, a, h0); /* h = a h0 + h1, shifted: (h0, h1) <- (h, h0) */
        mpz_swap(h0, h1);
        mpz_addmul(k1, a, k0);
        mpz_swap(k0, k1);
        if (mpz_cmp_ui(k0, maxden) > 0)
            break;
        mpq_set_num(out[n], h0);
        mpq_set_den(out[n], k0);
        mpq_canonicalize(out[n++]);
    }
    mpz_clears(a, num, den, h0, h1, k0, k1, t, NULL);
    return n;
}

/* Make a counterexample readable: pin each coordinate in turn to the simplest value (0, then
 * convergents of its value) for which the region and not-spec still meet. The solver keeps the
 * pinned coordinates and moves the others, so ties survive. */
static int simplify_point(struct search *S, mpq_t *point)
{
    enum { MAXC = 12 };
    mpq_t *cand = vq_array_new(MAXC), *form = vq_array_new(S->n + 1);
    int pinned = 0, rc = 0;
    for (int i = 0; i < S->n && rc >= 0; i++) {
        int nc = convergents(point[i], cand + 1, MAXC - 1, 1000) + 1;
        mpq_set_ui(cand[0], 0, 1);
        for (int c = 0; c < nc && mpq_cmp(cand[c], point[i]) != 0 && rc >= 0; c++) {
            if (c > 0 && mpq_sgn(cand[c]) == 0)
                continue; /* 0 was tried first */
            lin_var(S->n, form, i);
            mpq_sub(form[0], form[0], cand[c]);
            vsmt_push(&S->smt);
            vsmt_assert(&S->smt, vsmt_cmp(&S->smt, form, VREL_EQ));
            rc = vsmt_check(&S->smt, S->model, S->err);
            if (rc > 0) {
                copy_point(S->n, point, S->model);
                pinned++;
                break;
            }
            vsmt_pop(&S->smt);
        }
    }
    while (pinned--)
        vsmt_pop(&S->smt);
    vq_array_free(cand, MAXC);
    vq_array_free(form, S->n + 1);
    return rc < 0 ? -1 : 0;
}

/* Move a counterexample off the units' kinks where the violation allows: for each unit on its
 * closed side (z >= 0 for step, z <= 0 for relu), ask for the strict inequality instead. What
 * remains tied is a tie the violation needs: x = [3, 2, 1, 0, 0] rather than [0, 0, 0, 0, 0].
 * Returns how many solver scopes it left pushed, or -1 on error. */
static int separate_ties(struct search *S, mpq_t *point)
{
    int pushed = 0;
    for (int k = 0; k < S->net->n; k++)
        for (int64_t e = 0; vnet_branches(S->net, k) && e < S->net->size[k]; e++) {
            const mpq_t *z = veval_pre(&S->ev, k, e);
            bool active = S->side[k][e], closed = vnet_closed(S->net, k);
            if (lin_is_const(S->n, z) || active != closed)
                continue; /* fixed, or already on a strict side */
            vsmt_push(&S->smt);
            vsmt_assert(&S->smt, vsmt_cmp(&S->smt, z, active ? VREL_GT : VREL_LT));
            int rc = vsmt_check(&S->smt, S->model, S->err);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                vsmt_pop(&S->smt);
                continue;
            }
            copy_point(S->n, point, S->model);
            pushed++;
        }
    return pushed;
}

/* Report a violation somewhere in the current region, whose witness violates the spec; the
 * counterexample is that, made readable (asserting not-spec keeps the point violating). */
static int counterexample(struct search *S, mpq_t *point)
{
    const struct vspec *sp = S->spec;
    vsmt_push(&S->smt);
    for (int j = 0; j < sp->natoms; j++)
        S->atomv[j] = veval_af(&S->ev, S->net->slot[sp->atoms[j].node], sp->atoms[j].elem);
    copy_point(S->n, point, S->witness);
    int rc = 0, pushed = 0;
    if (S->leaf) { /* the spec's comparisons are affine here: keep not-spec as a constraint */
        for (int i = 0; i < sp->ncmps; i++)
            S->truth[i] = (signed char)vspec_cmp_truth(sp, i, S->n, S->atomv, S->box, S->cmpf[i]);
        Z3_ast f = vsmt_formula(&S->smt, sp, sp->root, S->truth, S->cmpf);
        vsmt_assert(&S->smt, Z3_mk_not(S->smt.c, f));
        pushed = separate_ties(S, point);
    }
    if (pushed < 0)
        rc = -1;
    if (rc == 0)
        rc = simplify_point(S, point);
    while (pushed-- > 0)
        vsmt_pop(&S->smt);
    vsmt_pop(&S->smt);
    return rc;
}

/* Decide the spec in the current (complete) region: S_HOLDS, S_VIOLATED (the witness is a
 * counterexample), or S_ERROR. */
static int check_leaf(struct search *S)
{
    const struct vspec *sp = S->spec;
    for (int j = 0; j < sp->natoms; j++)
        S->atomv[j] = veval_af(&S->ev, S->net->slot[sp->atoms[j].node], sp->atoms[j].elem);
    for (int i = 0; i < sp->ncmps; i++) /* constant, or fixed over the box: no solver needed */
        S->truth[i] = (signed char)vspec_cmp_truth(sp, i, S->n, S->atomv, S->box, S->cmpf[i]);
    int v = vspec_eval3(sp, sp->root, S->truth);
    if (v == 1)
        return S_HOLDS;
    if (v == 0) /* false throughout the region: its witness is a counterexample */
        return S_VIOLATED;
    vsmt_push(&S->smt);
    Z3_ast f = vsmt_formula(&S->smt, sp, sp->root, S->truth, S->cmpf);
    vsmt_assert(&S->smt, Z3_mk_not(S->smt.c, f));
    int rc = vsmt_check(&S->smt, S->witness, S->err); /* a model is a point of the region */
    vsmt_pop(&S->smt);
    return rc < 0 ? S_ERROR : rc ? S_VIOLATED : S_HOLDS;
}

/* Leave the explored side of the deepest open choice for its other side and advance there
 * (its outcome in *rc); false when every choice has had both sides explored. */
static bool backtrack(struct search *S, int *rc)
{
    while (S->depth > 0) {
        struct choice *c = &S->stack[S->depth - 1];
        vsmt_pop(&S->smt);
        if (!c->flipped) {
            c->flipped = true;
            c->active = !c->active;
            copy_point(S->n, S->witness, c->other);
            const mpq_t *z = veval_pre(&S->ev, c->k, c->e); /* its operands are unchanged */
            vsmt_push(&S->smt);
            vsmt_assert(&S->smt, side_constraint(S, c->k, z, c->active));
            *rc = advance(S, c->k, c->e, c->active);
            return true;
        }
        vq_array_free(c->other, S->n);
        S->depth--;
    }
    return false;
}

/* The box as solver assertions: lo <= x_i <= hi. */
static void assert_box(struct search *S)
{
    mpq_t *f = vq_array_new(S->n + 1);
    for (int i = 0; i < S->n; i++)
        for (int end = 0; end < 2; end++) {
            if (!(end ? S->box->has_hi[i] : S->box->has_lo[i]))
                continue;
            lin_var(S->n, f, i);
            mpq_sub(f[0], f[0], end ? S->box->hi[i] : S->box->lo[i]);
            vsmt_assert(&S->smt, vsmt_cmp(&S->smt, f, end ? VREL_LE : VREL_GE));
        }
    vq_array_free(f, S->n + 1);
}

/* Whether the box bounds every variable: relaxed units then have finite bounds. */
static bool bounded(const struct vbox *b)
{
    for (int i = 0; i < b->n; i++)
        if (!b->has_lo[i] || !b->has_hi[i])
            return false;
    return b->n > 0;
}

/* Search every region; S_HOLDS, S_VIOLATED (the witness violates the spec) or S_ERROR. */
static int explore(struct search *S)
{
    int r = settle(S, 0, 0);
    if (r == S_GO)
        r = advance(S, 0, 0, -1);
    for (;;) {
        S->leaf = r == S_LEAF;
        if (S->leaf) {
            r = check_leaf(S);
            S->st->regions++;
        }
        if (r != S_HOLDS)
            return r;
        if (!backtrack(S, &r))
            return S_HOLDS;
    }
}

int vsearch_run(const struct vnet *net, const struct vspec *spec, const struct vbox *box,
                bool settle, mpq_t *point, struct vsearch_stats *st, mlp_error *err)
{
    struct search S = {.net = net, .spec = spec, .box = box, .n = net->nvars, .st = st, .err = err};
    memset(st, 0, sizeof *st);
    if (vsmt_init(&S.smt, S.n, err) != MLP_OK)
        return -1;
    veval_init(&S.ev, net, NULL);
    S.relax = settle && bounded(box);
    veval_init(&S.rel, net, NULL);
    S.rel.box = box;
    S.witness = vq_array_new(S.n);
    S.model = vq_array_new(S.n);
    S.atomv = mlp_xcalloc((size_t)spec->natoms + 1, sizeof *S.atomv);
    S.cmpf = mlp_xcalloc((size_t)spec->ncmps + 1, sizeof *S.cmpf);
    for (int i = 0; i < spec->ncmps; i++)
        S.cmpf[i] = vq_array_new(S.n + 1);
    S.truth = mlp_xmalloc((size_t)spec->ncmps + 1);
    S.side = mlp_xcalloc((size_t)net->n + 1, sizeof *S.side);
    for (int k = 0; k < net->n; k++)
        S.side[k] = vnet_branches(net, k) ? mlp_xcalloc((size_t)net->size[k], 1) : NULL;
    assert_box(&S);
    vbox_point(box, S.witness);
    int r = explore(&S);
    int rc = r == S_HOLDS ? 1 : r == S_VIOLATED && counterexample(&S, point) == 0 ? 0 : -1;
    st->calls = S.smt.calls;
    for (int d = 0; d < S.depth; d++)
        vq_array_free(S.stack[d].other, S.n);
    free(S.stack);
    for (int i = 0; i < spec->ncmps; i++)
        vq_array_free(S.cmpf[i], S.n + 1);
    free(S.cmpf);
    free(S.atomv);
    free(S.truth);
    for (int k = 0; k < net->n; k++)
        free(S.side[k]);
    free(S.side);
    vq_array_free(S.witness, S.n);
    vq_array_free(S.model, S.n);
    veval_free(&S.rel);
    veval_free(&S.ev);
    vsmt_free(&S.smt);
    return rc;
}

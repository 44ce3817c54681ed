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

struct search {
    const struct vnet *net;
    const struct vspec *spec;
    const struct vbox *box;
    struct veval ev;
    struct vsmt smt;
    int n;           /* variables */
    mpq_t *witness;  /* a point of the current region */
    mpq_t *model;    /* scratch for solver models */
    struct choice *stack;
    int depth, cap;
    unsigned char **side; /* the side each unit takes in the current region */
    mpq_t **atomf;   /* each spec atom's form in the current region */
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
static int decide(struct search *S, int k, int64_t e)
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
    return side;
}

/* Compute the cone from node k, element e on; `forced` (0/1, or -1) is the side of (k, e). */
static int advance(struct search *S, int k, int64_t e, int forced)
{
    const struct vnet *net = S->net;
    for (; k < net->n; k++, e = 0) {
        if (!vnet_branches(net, k)) {
            if (veval_node(&S->ev, k, S->err) != MLP_OK)
                return -1;
            continue;
        }
        for (; e < net->size[k]; e++) {
            int side = forced >= 0 ? forced : decide(S, k, e);
            forced = -1;
            if (side < 0)
                return -1;
            S->side[k][e] = (unsigned char)side;
            veval_set_side(&S->ev, k, e, side);
        }
    }
    return 0;
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

/* Decide the spec in the current (complete) region: 1 holds, 0 violated at `point`, -1 error. */
static int check_leaf(struct search *S, mpq_t *point)
{
    const struct vspec *sp = S->spec;
    for (int j = 0; j < sp->natoms; j++)
        S->atomf[j] = veval_form(&S->ev, S->net->slot[sp->atoms[j].node], sp->atoms[j].elem);
    for (int i = 0; i < sp->ncmps; i++) {
        vspec_cmp_form(sp, i, S->n, S->atomf, S->cmpf[i]);
        S->truth[i] = lin_is_const(S->n, S->cmpf[i])
                          ? vrel_holds(sp->cmps[i].rel, mpq_sgn(S->cmpf[i][0])) : -1;
    }
    int v = vspec_eval3(sp, sp->root, S->truth);
    if (v == 1)
        return 1;
    vsmt_push(&S->smt);
    int rc = 0;
    if (v == 0) { /* false throughout the region: its witness is a counterexample */
        copy_point(S->n, point, S->witness);
    } else {
        Z3_ast f = vsmt_formula(&S->smt, sp, sp->root, S->truth, S->cmpf);
        vsmt_assert(&S->smt, Z3_mk_not(S->smt.c, f));
        rc = vsmt_check(&S->smt, point, S->err);
        rc = rc < 0 ? -1 : !rc;
    }
    int pushed = rc == 0 ? separate_ties(S, point) : 0;
    if (pushed < 0)
        rc = -1;
    if (rc == 0)
        rc = simplify_point(S, point);
    while (pushed-- > 0)
        vsmt_pop(&S->smt);
    vsmt_pop(&S->smt);
    return rc;
}

/* Leave the explored side of the deepest open choice for its other side; false when every
 * choice has had both sides explored. */
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

int vsearch_run(const struct vnet *net, const struct vspec *spec, const struct vbox *box,
                mpq_t *point, struct vsearch_stats *st, mlp_error *err)
{
    struct search S = {.net = net, .spec = spec, .box = box, .n = net->nvars, .st = st, .err = err};
    memset(st, 0, sizeof *st);
    if (vsmt_init(&S.smt, S.n, err) != MLP_OK)
        return -1;
    veval_init(&S.ev, net, NULL);
    S.witness = vq_array_new(S.n);
    S.model = vq_array_new(S.n);
    S.atomf = mlp_xcalloc((size_t)spec->natoms + 1, sizeof *S.atomf);
    S.cmpf = mlp_xcalloc((size_t)spec->ncmps + 1, sizeof *S.cmpf);
    for (int i = 0; i < spec->ncmps; i++)
        S.cmpf[i] = vq_array_new(S.n + 1);
    S.truth = mlp_xmalloc((size_t)spec->ncmps + 1);
    S.side = mlp_xcalloc((size_t)net->n + 1, sizeof *S.side);
    for (int k = 0; k < net->n; k++)
        S.side[k] = vnet_branches(net, k) ? mlp_xcalloc((size_t)net->size[k], 1) : NULL;
    assert_box(&S);
    vbox_point(box, S.witness);
    int rc = advance(&S, 0, 0, -1);
    while (rc == 0) {
        rc = check_leaf(&S, point);
        st->regions++;
        if (rc != 1)
            break; /* violated (0) or error (-1) */
        if (!backtrack(&S, &rc))
            break; /* rc == 1: every region checked */
        rc = rc < 0 ? -1 : 0;
    }
    st->calls = S.smt.calls;
    for (int d = 0; d < S.depth; d++)
        vq_array_free(S.stack[d].other, S.n);
    free(S.stack);
    for (int i = 0; i < spec->ncmps; i++)
        vq_array_free(S.cmpf[i], S.n + 1);
    free(S.cmpf);
    free(S.atomf);
    free(S.truth);
    for (int k = 0; k < net->n; k++)
        free(S.side[k]);
    free(S.side);
    vq_array_free(S.witness, S.n);
    vq_array_free(S.model, S.n);
    veval_free(&S.ev);
    vsmt_free(&S.smt);
    return rc;
}

/* spec_bab.c - a spec's negation as a VNNLIB property of one box, decided by branch and bound. */
#include "analysis/verify/spec_bab.h"
#include "analysis/verify/bab.h"
#include "analysis/verify/dense.h"
#include "analysis/verify/dnf.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/vnnlib.h"
#include "analysis/verify/vnnverify.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Numbers beyond this are left to the region enumeration: the float search keeps each rational
 * as the doubles around it. */
#define BIG 1e300

struct tr {
    const struct vspec *s;
    struct vnnlib *p;
    int *var;  /* spec atom j: its variable in (X, Y) */
    int *made; /* comparison i, sign, strict: its VNNLIB atom + 1 (0: not made yet) */
    int cap;   /* of p->atoms */
};

static bool small(const mpq_t q)
{
    return fabs(mpq_get_d(q)) < BIG;
}

/* The VNNLIB atom sign * t_i >= 0 (> 0 when strict) of comparison i's term t_i. */
static int atom_for(struct tr *t, int i, int sign, bool strict)
{
    int *m = &t->made[4 * i + 2 * (sign < 0) + strict];
    if (*m)
        return *m - 1;
    struct vnnlib *p = t->p;
    mlp_xreserve(&p->atoms, &t->cap, p->natoms + 1, sizeof *p->atoms);
    struct vnn_atom *a = &p->atoms[p->natoms];
    a->c = vq_array_new(p->nx + p->ny);
    mpq_init(a->c0);
    const struct vterm *tm = &t->s->cmps[i].t;
    mpq_set(a->c0, tm->c0);
    for (int k = 0; k < tm->n; k++)
        mpq_add(a->c[t->var[tm->atom[k]]], a->c[t->var[tm->atom[k]]], tm->coef[k]);
    for (int j = 0; sign < 0 && j < p->nx + p->ny; j++)
        mpq_neg(a->c[j], a->c[j]);
    if (sign < 0)
        mpq_neg(a->c0, a->c0);
    a->strict = strict;
    *m = ++p->natoms;
    return *m - 1;
}

static enum vrel negated(enum vrel r)
{
    static const enum vrel neg[] = {[VREL_LT] = VREL_GE, [VREL_LE] = VREL_GT,
                                    [VREL_EQ] = VREL_NE, [VREL_NE] = VREL_EQ,
                                    [VREL_GE] = VREL_LT, [VREL_GT] = VREL_LE};
    return neg[r];
}

/* Comparison i (its negation when neg) as atoms. */
static void literal(struct tr *t, int i, bool neg, struct vdnf *out)
{
    const struct vcmp *c = &t->s->cmps[i];
    enum vrel r = neg ? negated(c->rel) : c->rel;
    if (c->t.n == 0) { /* a constant: true (and of nothing) or false (or of nothing) */
        if (vrel_holds(r, mpq_sgn(c->t.c0)))
            vdnf_push(out, NULL, 0, NULL, 0);
        return;
    }
    int a[2];
    switch (r) {
    case VREL_EQ: /* t >= 0 and -t >= 0 */
        a[0] = atom_for(t, i, 1, false);
        a[1] = atom_for(t, i, -1, false);
        vdnf_push(out, a, 2, NULL, 0);
        return;
    case VREL_NE: /* t > 0 or -t > 0 */
        a[0] = atom_for(t, i, 1, true);
        a[1] = atom_for(t, i, -1, true);
        vdnf_push(out, a, 1, NULL, 0);
        vdnf_push(out, a + 1, 1, NULL, 0);
        return;
    default: /* t >= 0, t > 0; t <= 0 is -t >= 0, t < 0 is -t > 0 */
        a[0] = atom_for(t, i, r == VREL_GE || r == VREL_GT ? 1 : -1,
                        r == VREL_GT || r == VREL_LT);
        vdnf_push(out, a, 1, NULL, 0);
    }
}

static bool dnf(struct tr *t, int f, bool neg, struct vdnf *out);

/* (fa, negated when na) AND (or OR) (fb, negated when nb). */
static bool both(struct tr *t, int fa, bool na, int fb, bool nb, bool conj, struct vdnf *out)
{
    struct vdnf y;
    if (!dnf(t, fa, na, out))
        return false;
    if (!dnf(t, fb, nb, &y)) {
        vdnf_free(out);
        return false;
    }
    return (conj ? vdnf_and : vdnf_or)(out, &y, VNN_MAX_TERMS);
}

/* The normal form of formula f (of its negation when neg); false when it has too many terms. */
static bool dnf(struct tr *t, int f, bool neg, struct vdnf *out)
{
    const struct vf *n = &t->s->f[f];
    memset(out, 0, sizeof *out);
    switch (n->op) {
    case VF_TRUE:
    case VF_FALSE:
        if ((n->op == VF_TRUE) != neg)
            vdnf_push(out, NULL, 0, NULL, 0);
        return true;
    case VF_CMP:
        literal(t, n->a, neg, out);
        return true;
    case VF_NOT:
        return dnf(t, n->a, !neg, out);
    case VF_AND:
    case VF_OR:
        return both(t, n->a, neg, n->b, neg, (n->op == VF_AND) != neg, out);
    case VF_IMPLIES: /* (not a) or b */
        return both(t, n->a, !neg, n->b, neg, neg, out);
    case VF_IFF: { /* (a and b) or (not a and not b); negated: (a and not b) or (not a and b) */
        struct vdnf y;
        if (!both(t, n->a, false, n->b, neg, true, out))
            return false;
        if (!both(t, n->a, true, n->b, !neg, true, &y)) {
            vdnf_free(out);
            return false;
        }
        return vdnf_or(out, &y, VNN_MAX_TERMS);
    }
    }
    return false;
}

/* The unsafe set's terms as cases of the box, at most VBAB_MAX_TERMS each; a term of no atoms
 * makes the whole box unsafe (a case of no terms). Takes the terms' arrays. */
static void make_cases(struct vnnlib *p, struct vdnf *u, const struct vbox *box)
{
    bool all = false;
    for (int i = 0; i < u->n; i++)
        all = all || u->t[i].n == 0;
    int ncases = all ? 1 : (u->n + VBAB_MAX_TERMS - 1) / VBAB_MAX_TERMS;
    p->cases = mlp_xcalloc((size_t)ncases + 1, sizeof *p->cases);
    for (int k = 0; k < ncases; k++) {
        struct vnn_case *c = &p->cases[p->ncases++];
        c->lo = vq_array_new(p->nx);
        c->hi = vq_array_new(p->nx);
        for (int i = 0; i < p->nx; i++) {
            mpq_set(c->lo[i], box->lo[i]);
            mpq_set(c->hi[i], box->hi[i]);
        }
        int first = k * VBAB_MAX_TERMS, n = all ? 0 : u->n - first;
        c->nterms = n < VBAB_MAX_TERMS ? n : VBAB_MAX_TERMS;
        c->term = mlp_xcalloc((size_t)c->nterms + 1, sizeof *c->term);
        c->len = mlp_xcalloc((size_t)c->nterms + 1, sizeof *c->len);
        for (int i = 0; i < c->nterms; i++) {
            c->term[i] = u->t[first + i].a;
            c->len[i] = u->t[first + i].n;
            u->t[first + i].a = NULL;
        }
    }
}

/* The one node the spec names besides the inputs; -1 when none or several. Its elements are
 * the outputs Y; each input element is its variable. Fills var. */
static mlp_id named_value(const struct vnet *net, const struct vspec *s, int *var)
{
    mlp_id y = -1;
    for (int j = 0; j < s->natoms; j++) {
        const struct vatom *a = &s->atoms[j];
        int k = net->slot[a->node];
        if (net->var0[k] >= 0) {
            var[j] = net->var0[k] + (int)a->elem;
        } else if (y < 0 || y == a->node) {
            y = a->node;
            var[j] = net->nvars + (int)a->elem;
        } else {
            return -1;
        }
    }
    return y;
}

/* Whether the box bounds every variable, within the range of doubles. */
static bool bounded(const struct vbox *box)
{
    bool ok = box->n > 0;
    for (int i = 0; i < box->n && ok; i++)
        ok = box->has_lo[i] && box->has_hi[i] && small(box->lo[i]) && small(box->hi[i]);
    return ok;
}

/* Whether every atom's numbers are within the range of doubles. */
static bool atoms_small(const struct vnnlib *p)
{
    bool ok = true;
    for (int a = 0; a < p->natoms && ok; a++) {
        ok = small(p->atoms[a].c0);
        for (int j = 0; j < p->nx + p->ny && ok; j++)
            ok = small(p->atoms[a].c[j]);
    }
    return ok;
}

int vspec_bab(const struct vnet *net, const struct vspec *s, const struct vbox *box,
              const mlp_verify_options *opt, double t0, mpq_t *point, mlp_verify_result *r,
              mlp_error *err)
{
    if (!bounded(box) || s->natoms == 0)
        return -3;
    int *var = mlp_xcalloc((size_t)s->natoms, sizeof *var);
    mlp_id y = named_value(net, s, var);
    struct vdense d;
    mlp_error why = {0};
    if (y < 0 || vdense_from_net(&d, net, net->slot[y], &why) != MLP_OK) {
        free(var);
        return -3;
    }
    int out = net->slot[y];
    struct vnnlib p = {.nx = net->nvars, .ny = (int)net->size[out]};
    struct tr t = {.s = s, .p = &p, .var = var,
                   .made = mlp_xcalloc(4 * (size_t)s->ncmps + 1, sizeof *t.made)};
    struct vdnf u;
    int v = -3;
    if (dnf(&t, s->root, true, &u)) {
        make_cases(&p, &u, box);
        vdnf_free(&u);
        if (atoms_small(&p))
            v = vnn_decide(net, out, &d, &p, opt, t0, point, r, err);
    }
    vnnlib_free(&p);
    vdense_free(&d);
    free(t.made);
    free(var);
    return v;
}

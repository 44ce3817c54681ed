/* vnnlib_dnf.c - a VNNLIB formula as cases: disjunctive normal form, each disjunct split into
 * the box its single-input bounds make and the atoms that remain. */
#include "analysis/verify/vnnlib_impl.h"
#include "analysis/verify/dnf.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static bool too_many(struct vp *p)
{
    mlp_fail(p->err, MLP_ERR_INPUT, p->file, MLP_NOLOC,
             "the asserts have more than %d disjuncts in disjunctive normal form", VNN_MAX_TERMS);
    return false;
}

/* The normal form of node k into out. */
static bool dnf(struct vp *p, int k, struct vdnf *out)
{
    const struct fnode *f = &p->f[k];
    memset(out, 0, sizeof *out);
    if (f->op == F_ATOM) {
        vdnf_push(out, &f->a, 1, NULL, 0);
        return true;
    }
    bool is_or = f->op == F_OR;
    if (!is_or)
        vdnf_push(out, NULL, 0, NULL, 0); /* and of nothing: true */
    for (int c = f->first; c >= 0; c = p->f[c].next) {
        struct vdnf sub;
        if (!dnf(p, c, &sub)) {
            vdnf_free(out);
            return false;
        }
        if (!(is_or ? vdnf_or : vdnf_and)(out, &sub, VNN_MAX_TERMS))
            return too_many(p);
    }
    return true;
}

/* The read atoms as dense forms over (X, Y). */
static void dense_atoms(struct vp *p, struct vnnlib *out)
{
    int nv = out->nx + out->ny;
    out->natoms = p->natoms;
    out->atoms = mlp_xcalloc((size_t)p->natoms + 1, sizeof *out->atoms);
    for (int i = 0; i < p->natoms; i++) {
        struct vnn_atom *a = &out->atoms[i];
        const struct satom *s = &p->atoms[i];
        a->c = vq_array_new(nv);
        mpq_init(a->c0);
        mpq_set(a->c0, s->t.c0);
        a->strict = s->strict;
        for (int j = 0; j < s->t.n; j++) {
            int v = s->t.v[j], idx = v / 2;
            mpq_add(a->c[v % 2 ? out->nx + idx : idx], a->c[v % 2 ? out->nx + idx : idx],
                    s->t.k[j]);
        }
    }
}

/* If atom a bounds one input (c X_i + c0 >= 0), that input's index; else -1. */
static int bound_var(const struct vnnlib *out, int a)
{
    int var = -1;
    for (int j = 0; j < out->nx + out->ny; j++)
        if (mpq_sgn(out->atoms[a].c[j])) {
            if (var >= 0 || j >= out->nx)
                return -1;
            var = j;
        }
    return var;
}

struct box {
    mpq_t *lo, *hi;
    bool *has_lo, *has_hi;
};

/* The box of term t, and its other atoms (into keep, *nkeep). False when an input is left
 * unbounded (an error); *empty when the bounds leave no point. */
static bool term_box(struct vp *p, const struct vnnlib *out, const struct vdnf_term *t, struct box *b,
                     int *keep, int *nkeep, bool *empty)
{
    int nx = out->nx;
    *nkeep = 0;
    *empty = false;
    mpq_t v;
    mpq_init(v);
    for (int i = 0; i < t->n; i++) {
        int a = t->a[i], x = bound_var(out, a);
        const struct vnn_atom *at = &out->atoms[a];
        if (x < 0 || at->strict)
            keep[(*nkeep)++] = a; /* a strict bound is kept as an atom too; the box is closed */
        if (x < 0)
            continue;
        mpq_div(v, at->c0, at->c[x]);
        mpq_neg(v, v); /* c X + c0 >= 0: X >= -c0/c when c > 0, X <= -c0/c when c < 0 */
        bool lower = mpq_sgn(at->c[x]) > 0;
        if (lower && (!b->has_lo[x] || mpq_cmp(v, b->lo[x]) > 0)) {
            mpq_set(b->lo[x], v);
            b->has_lo[x] = true;
        } else if (!lower && (!b->has_hi[x] || mpq_cmp(v, b->hi[x]) < 0)) {
            mpq_set(b->hi[x], v);
            b->has_hi[x] = true;
        }
    }
    mpq_clear(v);
    for (int x = 0; x < nx; x++) {
        if (!b->has_lo[x] || !b->has_hi[x]) {
            mlp_fail(p->err, MLP_ERR_INPUT, p->file, MLP_NOLOC,
                     "X_%d has no %s bound in some disjunct of the asserts (verify needs every "
                     "input in a box)", x, b->has_lo[x] ? "upper" : "lower");
            return false;
        }
        *empty = *empty || mpq_cmp(b->lo[x], b->hi[x]) > 0;
    }
    return true;
}

/* The case whose box is b, appended if there is none yet. */
static struct vnn_case *case_for(struct vnnlib *out, const struct box *b)
{
    for (int k = 0; k < out->ncases; k++) {
        struct vnn_case *c = &out->cases[k];
        bool same = true;
        for (int x = 0; x < out->nx && same; x++)
            same = mpq_equal(c->lo[x], b->lo[x]) && mpq_equal(c->hi[x], b->hi[x]);
        if (same)
            return c;
    }
    out->cases = mlp_xrealloc(out->cases, (size_t)(out->ncases + 1) * sizeof *out->cases);
    struct vnn_case *c = &out->cases[out->ncases++];
    memset(c, 0, sizeof *c);
    c->lo = vq_array_new(out->nx);
    c->hi = vq_array_new(out->nx);
    for (int x = 0; x < out->nx; x++) {
        mpq_set(c->lo[x], b->lo[x]);
        mpq_set(c->hi[x], b->hi[x]);
    }
    return c;
}

static bool build_cases(struct vp *p, struct vnnlib *out, const struct vdnf *d)
{
    int nx = out->nx;
    struct box b = {vq_array_new(nx), vq_array_new(nx), mlp_xcalloc((size_t)nx, 1),
                    mlp_xcalloc((size_t)nx, 1)};
    bool ok = true;
    for (int i = 0; i < d->n && ok; i++) {
        memset(b.has_lo, 0, (size_t)nx);
        memset(b.has_hi, 0, (size_t)nx);
        int *keep = mlp_xmalloc((size_t)(d->t[i].n + 1) * sizeof *keep), nkeep;
        bool empty;
        ok = term_box(p, out, &d->t[i], &b, keep, &nkeep, &empty);
        if (!ok || empty) {
            free(keep);
            continue;
        }
        struct vnn_case *c = case_for(out, &b);
        c->term = mlp_xrealloc(c->term, (size_t)(c->nterms + 1) * sizeof *c->term);
        c->len = mlp_xrealloc(c->len, (size_t)(c->nterms + 1) * sizeof *c->len);
        c->term[c->nterms] = keep;
        c->len[c->nterms++] = nkeep;
    }
    vq_array_free(b.lo, nx);
    vq_array_free(b.hi, nx);
    free(b.has_lo);
    free(b.has_hi);
    return ok;
}

/* Variables must be X_0 .. X_{n-1} and Y_0 .. Y_{m-1}, with none missing. */
static bool check_declared(struct vp *p)
{
    for (int kind = 0; kind < 2; kind++) {
        if (p->ndecl[kind] == 0)
            return mlp_fail(p->err, MLP_ERR_INPUT, p->file, MLP_NOLOC,
                            "no %s declared (declare-const %c_0 Real ...)",
                            kind ? "outputs" : "inputs", "XY"[kind]), false;
        for (int i = 0; i < p->ndecl[kind]; i++)
            if (!p->decl[kind][i])
                return mlp_fail(p->err, MLP_ERR_INPUT, p->file, MLP_NOLOC,
                                "%c_%d is not declared, but %c_%d is (the %s are %c_0 .. "
                                "%c_%d)", "XY"[kind], i, "XY"[kind], p->ndecl[kind] - 1,
                                kind ? "outputs" : "inputs", "XY"[kind], "XY"[kind],
                                p->ndecl[kind] - 1), false;
    }
    return true;
}

bool vnn_build(struct vp *p, struct vnnlib *out)
{
    if (!check_declared(p))
        return false;
    out->nx = p->ndecl[0];
    out->ny = p->ndecl[1];
    dense_atoms(p, out);
    struct vdnf d;
    if (!dnf(p, p->root, &d))
        return false;
    bool ok = build_cases(p, out, &d);
    vdnf_free(&d);
    return ok;
}

void vnnlib_free(struct vnnlib *p)
{
    for (int i = 0; i < p->natoms; i++) {
        vq_array_free(p->atoms[i].c, p->nx + p->ny);
        mpq_clear(p->atoms[i].c0);
    }
    free(p->atoms);
    for (int k = 0; k < p->ncases; k++) {
        struct vnn_case *c = &p->cases[k];
        vq_array_free(c->lo, p->nx);
        vq_array_free(c->hi, p->nx);
        for (int i = 0; i < c->nterms; i++)
            free(c->term[i]);
        free(c->term);
        free(c->len);
    }
    free(p->cases);
    memset(p, 0, sizeof *p);
}

bool vnn_atom_holds(const struct vnnlib *p, int a, const mpq_t *v)
{
    const struct vnn_atom *at = &p->atoms[a];
    mpq_t s, t;
    mpq_inits(s, t, NULL);
    mpq_set(s, at->c0);
    for (int j = 0; j < p->nx + p->ny; j++)
        if (mpq_sgn(at->c[j])) {
            mpq_mul(t, at->c[j], v[j]);
            mpq_add(s, s, t);
        }
    bool holds = at->strict ? mpq_sgn(s) > 0 : mpq_sgn(s) >= 0;
    mpq_clears(s, t, NULL);
    return holds;
}

bool vnn_case_contains(const struct vnnlib *p, int k, const mpq_t *v)
{
    const struct vnn_case *c = &p->cases[k];
    for (int x = 0; x < p->nx; x++)
        if (mpq_cmp(v[x], c->lo[x]) < 0 || mpq_cmp(v[x], c->hi[x]) > 0)
            return false;
    for (int i = 0; i < c->nterms; i++) {
        bool all = true;
        for (int j = 0; j < c->len[i] && all; j++)
            all = vnn_atom_holds(p, c->term[i][j], v);
        if (all)
            return true;
    }
    return false;
}

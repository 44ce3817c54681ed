/* spec_terms.c - linear terms, values and formulas as the spec parser builds them. */
#include "analysis/verify/spec_parse.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- linear terms ---- */

void vsp_term_init(struct vterm *t)
{
    memset(t, 0, sizeof *t);
    mpq_init(t->c0);
}

void vsp_term_clear(struct vterm *t)
{
    mpq_clear(t->c0);
    for (int i = 0; i < t->n; i++)
        mpq_clear(t->coef[i]);
    free(t->atom);
    free(t->coef);
}

/* dst += k * src, keeping only nonzero coefficients (a constant term has n == 0). */
void vsp_term_addmul(struct vterm *dst, const struct vterm *src, const mpq_t k)
{
    mpq_t t;
    mpq_init(t);
    mpq_mul(t, src->c0, k);
    mpq_add(dst->c0, dst->c0, t);
    for (int i = 0; i < src->n; i++) {
        int j = 0;
        while (j < dst->n && dst->atom[j] != src->atom[i])
            j++;
        if (j == dst->n) {
            if (dst->n == dst->cap) {
                dst->cap = dst->cap ? 2 * dst->cap : 4;
                dst->atom = mlp_xrealloc(dst->atom, (size_t)dst->cap * sizeof *dst->atom);
                dst->coef = mlp_xrealloc(dst->coef, (size_t)dst->cap * sizeof *dst->coef);
            }
            dst->atom[j] = src->atom[i];
            mpq_init(dst->coef[j]);
            dst->n++;
        }
        mpq_mul(t, src->coef[i], k);
        mpq_add(dst->coef[j], dst->coef[j], t);
        if (mpq_sgn(dst->coef[j]) == 0) { /* cancelled: move the last entry here */
            mpq_swap(dst->coef[j], dst->coef[dst->n - 1]);
            dst->atom[j] = dst->atom[dst->n - 1];
            mpq_clear(dst->coef[--dst->n]);
        }
    }
    mpq_clear(t);
}

/* dst = a + s * b, s = +1 or -1 */
void vsp_term_combine(struct vterm *dst, const struct vterm *a, const struct vterm *b, int s)
{
    mpq_t k;
    mpq_init(k);
    vsp_term_init(dst);
    mpq_set_si(k, 1, 1);
    vsp_term_addmul(dst, a, k);
    mpq_set_si(k, s, 1);
    vsp_term_addmul(dst, b, k);
    mpq_clear(k);
}

/* ---- values while parsing ---- */

void vsp_pv_alloc(struct pv *v, mlp_shape shape)
{
    v->formula = false;
    v->shape = shape;
    v->n = mlp_shape_size(shape);
    v->el = mlp_xmalloc((size_t)v->n * sizeof *v->el);
    for (int64_t i = 0; i < v->n; i++)
        vsp_term_init(&v->el[i]);
}

void vsp_pv_free(struct pv *v)
{
    for (int64_t i = 0; v->el && i < v->n; i++)
        vsp_term_clear(&v->el[i]);
    free(v->el);
    v->el = NULL;
    v->n = 0;
}

bool vsp_pv_const(const struct pv *v)
{
    for (int64_t i = 0; i < v->n; i++)
        if (v->el[i].n)
            return false;
    return true;
}

/* ---- formulas ---- */

int vsp_add_formula(struct vspec *s, enum vf_op op, int a, int b)
{
    /* Fold constants so that trivially true parts vanish from residuals. */
    bool two = op == VF_AND || op == VF_OR;
    bool ta = two && s->f[a].op == VF_TRUE, fa = two && s->f[a].op == VF_FALSE;
    bool tb = two && s->f[b].op == VF_TRUE, fb = two && s->f[b].op == VF_FALSE;
    if (op == VF_AND && (ta || fb))
        return b;
    if (op == VF_AND && (tb || fa))
        return a;
    if (op == VF_OR && (fa || tb))
        return b;
    if (op == VF_OR && (fb || ta))
        return a;
    mlp_xreserve(&s->f, &s->capf, s->nf + 1, sizeof *s->f);
    s->f[s->nf] = (struct vf){op, a, b};
    return s->nf++;
}

int vsp_add_const(struct vspec *s, bool v) { return vsp_add_formula(s, v ? VF_TRUE : VF_FALSE, -1, -1); }

/* `t REL 0` as a formula (taking t); a constant t folds to true or false. */
int vsp_add_cmp(struct vspec *s, struct vterm *t, enum vrel rel)
{
    if (t->n == 0) {
        bool v = vrel_holds(rel, mpq_sgn(t->c0));
        vsp_term_clear(t);
        return vsp_add_const(s, v);
    }
    mlp_xreserve(&s->cmps, &s->capcmps, s->ncmps + 1, sizeof *s->cmps);
    s->cmps[s->ncmps] = (struct vcmp){*t, rel};
    return vsp_add_formula(s, VF_CMP, s->ncmps++, -1);
}

/* A balanced `and` (or `or`) of formulas f[0..n-1], so that long vectors nest shallowly. */
int vsp_combine(struct vspec *s, enum vf_op op, const int *f, int64_t n)
{
    if (n == 1)
        return f[0];
    int64_t h = n / 2;
    int a = vsp_combine(s, op, f, h);
    return vsp_add_formula(s, op, a, vsp_combine(s, op, f + h, n - h));
}

/* The atoms of every element of a node, made together the first time the node is named, so
 * that element e is atom atom0[node] + e: found in constant time (a linear search made `x > 0`
 * quadratic in the size of x). */
int vsp_node_atoms(struct vspec *s, int *atom0, mlp_id node, int64_t n, int name)
{
    if (atom0[node] >= 0)
        return atom0[node];
    atom0[node] = s->natoms;
    for (int64_t e = 0; e < n; e++) {
        mlp_xreserve(&s->atoms, &s->capatoms, s->natoms + 1, sizeof *s->atoms);
        s->atoms[s->natoms++] = (struct vatom){node, e, name};
    }
    return atom0[node];
}


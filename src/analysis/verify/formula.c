/* formula.c - what a parsed spec means: truth of comparisons and formulas (three-valued while
 * some comparisons are undecided), and printing what is left of a formula once the inputs are
 * known. */
#include "analysis/verify/rational.h"
#include "analysis/verify/spec.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

bool vrel_holds(enum vrel r, int sign)
{
    switch (r) {
    case VREL_LT: return sign < 0;
    case VREL_LE: return sign <= 0;
    case VREL_EQ: return sign == 0;
    case VREL_NE: return sign != 0;
    case VREL_GE: return sign >= 0;
    default: return sign > 0;
    }
}

void vspec_cmp_form(const struct vspec *s, int i, int n, mpq_t *const *atomf, mpq_t *out)
{
    const struct vterm *t = &s->cmps[i].t;
    for (int j = 0; j <= n; j++)
        mpq_set_ui(out[j], 0, 1);
    mpq_set(out[0], t->c0);
    mpq_t m;
    mpq_init(m);
    for (int k = 0; k < t->n; k++) {
        const mpq_t *f = atomf[t->atom[k]];
        for (int j = 0; j <= n; j++)
            if (mpq_sgn(f[j])) {
                mpq_mul(m, f[j], t->coef[k]);
                mpq_add(out[j], out[j], m);
            }
    }
    mpq_clear(m);
}

/* Whether `t REL 0` holds for every t in the range (1), for none (0), or it depends (-1); a
 * missing end of the range is infinite. */
static int rel_over(enum vrel r, const mpq_t lo, bool has_lo, const mpq_t hi, bool has_hi)
{
    int slo = has_lo ? mpq_sgn(lo) : -2, shi = has_hi ? mpq_sgn(hi) : 2; /* -2, 2: infinite */
    switch (r) {
    case VREL_LT: return shi < 0 ? 1 : slo >= 0 ? 0 : -1;
    case VREL_LE: return shi <= 0 ? 1 : slo > 0 ? 0 : -1;
    case VREL_GE: return slo >= 0 ? 1 : shi < 0 ? 0 : -1;
    case VREL_GT: return slo > 0 ? 1 : shi <= 0 ? 0 : -1;
    case VREL_EQ: return slo == 0 && shi == 0 ? 1 : slo > 0 || shi < 0 ? 0 : -1;
    default: return slo == 0 && shi == 0 ? 0 : slo > 0 || shi < 0 ? 1 : -1;
    }
}

int vspec_cmp_truth(const struct vspec *s, int i, int n, const struct vaf *atomv,
                    const struct vbox *box, mpq_t *form_out)
{
    const struct vterm *t = &s->cmps[i].t;
    mpq_t lo, hi, p;
    mpq_inits(lo, hi, p, NULL);
    bool unb = false, has_lo, has_hi;
    lin_zero(n, form_out);
    mpq_set(form_out[0], t->c0);
    for (int k = 0; k < t->n; k++) { /* c0 + sum coef * (f + [lo, hi]) */
        struct vaf x = atomv[t->atom[k]];
        mpq_srcptr c = t->coef[k];
        unb = unb || *x.unb;
        lin_addmul(n, form_out, x.f, c);
        mpq_mul(p, c, mpq_sgn(c) > 0 ? x.lo : x.hi);
        mpq_add(lo, lo, p);
        mpq_mul(p, c, mpq_sgn(c) > 0 ? x.hi : x.lo);
        mpq_add(hi, hi, p);
    }
    struct vaf sum = {form_out, lo, hi, &unb};
    mpq_t rlo, rhi;
    mpq_inits(rlo, rhi, NULL);
    af_range(n, sum, box, rlo, rhi, &has_lo, &has_hi);
    int truth = rel_over(s->cmps[i].rel, rlo, has_lo, rhi, has_hi);
    mpq_clears(lo, hi, p, rlo, rhi, NULL);
    return truth;
}

int vspec_eval3(const struct vspec *s, int f, const signed char *truth)
{
    const struct vf *x = &s->f[f];
    int a, b;
    switch (x->op) {
    case VF_TRUE: return 1;
    case VF_FALSE: return 0;
    case VF_CMP: return truth[x->a];
    case VF_NOT: a = vspec_eval3(s, x->a, truth); return a < 0 ? -1 : !a;
    case VF_AND:
    case VF_OR: {
        int dominant = x->op == VF_OR; /* the value that decides alone */
        a = vspec_eval3(s, x->a, truth);
        if (a == dominant)
            return a;
        b = vspec_eval3(s, x->b, truth);
        return b == dominant ? b : (a < 0 || b < 0 ? -1 : a);
    }
    case VF_IMPLIES:
        a = vspec_eval3(s, x->a, truth);
        if (a == 0)
            return 1;
        b = vspec_eval3(s, x->b, truth);
        return b == 1 ? 1 : (a < 0 || b < 0 ? -1 : 0);
    default: /* VF_IFF */
        a = vspec_eval3(s, x->a, truth);
        b = vspec_eval3(s, x->b, truth);
        return a < 0 || b < 0 ? -1 : a == b;
    }
}

bool vspec_holds(const struct vspec *s, mpq_t *const *atomv)
{
    signed char *truth = mlp_xmalloc((size_t)s->ncmps + 1);
    mpq_t v;
    mpq_init(v);
    for (int i = 0; i < s->ncmps; i++) {
        vspec_cmp_form(s, i, 0, atomv, &v);
        truth[i] = (signed char)vrel_holds(s->cmps[i].rel, mpq_sgn(v));
    }
    mpq_clear(v);
    bool holds = vspec_eval3(s, s->root, truth) == 1;
    free(truth);
    return holds;
}

void vspec_atom_name(const struct vspec *s, int atom, mlp_strbuf *out)
{
    const struct vatom *a = &s->atoms[atom];
    mlp_sb_puts(out, s->g->names[a->name].text);
    mlp_shape sh = mlp_node(s->g, a->node)->shape;
    int64_t rest = a->elem, idx[MLP_MAX_RANK];
    for (int k = sh.rank - 1; k >= 0; k--) {
        idx[k] = rest % sh.dim[k];
        rest /= sh.dim[k];
    }
    for (int k = 0; k < sh.rank; k++)
        mlp_sb_printf(out, "%c%lld", k ? ',' : '[', (long long)idx[k]);
    if (sh.rank)
        mlp_sb_putc(out, ']');
}

/* ---- printing what is left of a formula ---- */

static const char *const rel_text[] = {"<", "<=", "==", "!=", ">=", ">"};
static enum vrel negated(enum vrel r)
{
    static const enum vrel neg[] = {VREL_GE, VREL_GT, VREL_NE, VREL_EQ, VREL_LT, VREL_LE};
    return neg[r];
}

static void put_q(mlp_strbuf *out, const mpq_t q)
{
    char *t = vq_str(q);
    mlp_sb_puts(out, t);
    free(t);
}

/* sum coef_j atom_j REL -c0, written with a positive leading coefficient. */
static void print_cmp(const struct vspec *s, const mpq_t *form, enum vrel rel, mlp_strbuf *out)
{
    int lead = 0;
    for (int j = 1; j <= s->natoms && !lead; j++)
        lead = mpq_sgn(form[j]);
    int sgn = lead < 0 ? -1 : 1;
    if (sgn < 0) /* -y < 1 reads better as y > -1 */
        rel = rel == VREL_EQ || rel == VREL_NE ? rel : (enum vrel)(VREL_LT + VREL_GT - rel);
    mpq_t c;
    mpq_init(c);
    bool first = true;
    for (int j = 1; j <= s->natoms; j++) {
        if (!mpq_sgn(form[j]))
            continue;
        mpq_set(c, form[j]);
        if (sgn < 0)
            mpq_neg(c, c);
        if (!first || mpq_sgn(c) < 0)
            mlp_sb_puts(out, first ? "-" : mpq_sgn(c) < 0 ? " - " : " + ");
        mpq_abs(c, c);
        if (mpq_cmp_ui(c, 1, 1) != 0) {
            put_q(out, c);
            mlp_sb_putc(out, '*');
        }
        vspec_atom_name(s, j - 1, out);
        first = false;
    }
    mpq_set(c, form[0]);
    if (sgn > 0)
        mpq_neg(c, c);
    mlp_sb_printf(out, " %s ", rel_text[rel]);
    put_q(out, c);
    mpq_clear(c);
}

enum { P_IFF = 1, P_IMPLIES, P_OR, P_AND, P_NOT, P_ATOM };

static void print_f(const struct vspec *s, int f, const signed char *truth, mpq_t *const *form,
                    bool neg, int ctx, mlp_strbuf *out)
{
    const struct vf *x = &s->f[f];
    int v = vspec_eval3(s, f, truth);
    if (v >= 0) {
        mlp_sb_puts(out, v != neg ? "true" : "false");
        return;
    }
    int va = x->op >= VF_NOT ? vspec_eval3(s, x->a, truth) : -1;
    int vb = x->op >= VF_AND ? vspec_eval3(s, x->b, truth) : -1;
    /* Drop the parts whose truth is already known. */
    if (x->op == VF_NOT)
        return print_f(s, x->a, truth, form, !neg, ctx, out);
    if (x->op == VF_CMP)
        return print_cmp(s, form[x->a], neg ? negated(s->cmps[x->a].rel) : s->cmps[x->a].rel, out);
    if ((x->op == VF_AND && va == 1) || (x->op == VF_OR && va == 0) ||
        (x->op == VF_IMPLIES && va == 1))
        return print_f(s, x->b, truth, form, neg, ctx, out);
    if ((x->op == VF_AND && vb == 1) || (x->op == VF_OR && vb == 0))
        return print_f(s, x->a, truth, form, neg, ctx, out);
    if (x->op == VF_IMPLIES && vb == 0)
        return print_f(s, x->a, truth, form, !neg, ctx, out);
    if (x->op == VF_IFF && va >= 0)
        return print_f(s, x->b, truth, form, neg == (va == 1), ctx, out);
    if (x->op == VF_IFF && vb >= 0)
        return print_f(s, x->a, truth, form, neg == (vb == 1), ctx, out);
    static const int prec[] = {[VF_AND] = P_AND, [VF_OR] = P_OR, [VF_IMPLIES] = P_IMPLIES,
                               [VF_IFF] = P_IFF};
    static const char *const word[] = {[VF_AND] = " and ", [VF_OR] = " or ",
                                       [VF_IMPLIES] = " => ", [VF_IFF] = " <=> "};
    mlp_strbuf a = {0}, b = {0};
    print_f(s, x->a, truth, form, false, prec[x->op] + (x->op == VF_IMPLIES), &a);
    print_f(s, x->b, truth, form, false, prec[x->op] + (x->op != VF_IMPLIES), &b);
    if ((x->op == VF_AND || x->op == VF_OR) && !strcmp(mlp_sb_str(&a), mlp_sb_str(&b))) {
        print_f(s, x->a, truth, form, neg, ctx, out); /* p and p: once is enough */
    } else {
        bool paren = !neg && prec[x->op] < ctx;
        mlp_sb_printf(out, "%s%s%s%s%s", neg ? "not (" : paren ? "(" : "", mlp_sb_str(&a),
                      word[x->op], mlp_sb_str(&b), neg || paren ? ")" : "");
    }
    mlp_sb_free(&a);
    mlp_sb_free(&b);
}

void vspec_print_residual(const struct vspec *s, int f, const signed char *truth,
                          mpq_t *const *form, mlp_strbuf *out)
{
    print_f(s, f, truth, form, false, 0, out);
}

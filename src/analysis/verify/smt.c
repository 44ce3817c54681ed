/* smt.c - affine constraints and spec formulas as Z3 terms; checks and exact models. */
#include "analysis/verify/smt.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <stdlib.h>

int vsmt_init(struct vsmt *m, int n, mlp_error *err)
{
    Z3_config cfg = Z3_mk_config();
    m->c = Z3_mk_context(cfg);
    Z3_del_config(cfg);
    if (!m->c)
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "cannot start the Z3 solver");
    Z3_set_error_handler(m->c, NULL); /* report through Z3_get_error_code, never abort */
    m->real = Z3_mk_real_sort(m->c);
    m->s = Z3_mk_solver_for_logic(m->c, Z3_mk_string_symbol(m->c, "QF_LRA"));
    Z3_solver_inc_ref(m->c, m->s);
    m->n = n;
    m->calls = 0;
    m->x = mlp_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *m->x);
    for (int i = 0; i < n; i++)
        m->x[i] = Z3_mk_const(m->c, Z3_mk_int_symbol(m->c, i), m->real);
    return MLP_OK;
}

void vsmt_free(struct vsmt *m)
{
    if (!m->c)
        return;
    Z3_solver_dec_ref(m->c, m->s);
    Z3_del_context(m->c);
    free(m->x);
    m->c = NULL;
}

void vsmt_push(struct vsmt *m) { Z3_solver_push(m->c, m->s); }
void vsmt_pop(struct vsmt *m) { Z3_solver_pop(m->c, m->s, 1); }
void vsmt_assert(struct vsmt *m, Z3_ast a) { Z3_solver_assert(m->c, m->s, a); }

static Z3_ast numeral(struct vsmt *m, const mpq_t q)
{
    char *t = vq_str(q);
    Z3_ast a = Z3_mk_numeral(m->c, t, m->real);
    free(t);
    return a;
}

Z3_ast vsmt_cmp(struct vsmt *m, const mpq_t *f, enum vrel rel)
{
    Z3_ast *terms = mlp_xmalloc((size_t)(m->n + 1) * sizeof *terms);
    int k = 0;
    for (int i = 0; i < m->n; i++)
        if (mpq_sgn(f[1 + i])) {
            Z3_ast prod[2] = {numeral(m, f[1 + i]), m->x[i]};
            terms[k++] = Z3_mk_mul(m->c, 2, prod);
        }
    mpq_t c;
    mpq_init(c);
    mpq_neg(c, f[0]);
    Z3_ast lhs = k == 0 ? numeral(m, f[0]) : k == 1 ? terms[0] : Z3_mk_add(m->c, (unsigned)k, terms);
    Z3_ast rhs = k == 0 ? Z3_mk_real(m->c, 0, 1) : numeral(m, c); /* sum c_i x_i REL -c_0 */
    mpq_clear(c);
    free(terms);
    switch (rel) {
    case VREL_LT: return Z3_mk_lt(m->c, lhs, rhs);
    case VREL_LE: return Z3_mk_le(m->c, lhs, rhs);
    case VREL_EQ: return Z3_mk_eq(m->c, lhs, rhs);
    case VREL_NE: return Z3_mk_not(m->c, Z3_mk_eq(m->c, lhs, rhs));
    case VREL_GE: return Z3_mk_ge(m->c, lhs, rhs);
    default: return Z3_mk_gt(m->c, lhs, rhs);
    }
}

Z3_ast vsmt_formula(struct vsmt *m, const struct vspec *s, int f, const signed char *truth,
                    mpq_t *const *form)
{
    const struct vf *x = &s->f[f];
    int v = vspec_eval3(s, f, truth);
    if (v >= 0)
        return v ? Z3_mk_true(m->c) : Z3_mk_false(m->c);
    if (x->op == VF_CMP)
        return vsmt_cmp(m, form[x->a], s->cmps[x->a].rel);
    Z3_ast a = vsmt_formula(m, s, x->a, truth, form);
    if (x->op == VF_NOT)
        return Z3_mk_not(m->c, a);
    Z3_ast b = vsmt_formula(m, s, x->b, truth, form), ab[2] = {a, b};
    switch (x->op) {
    case VF_AND: return Z3_mk_and(m->c, 2, ab);
    case VF_OR: return Z3_mk_or(m->c, 2, ab);
    case VF_IMPLIES: return Z3_mk_implies(m->c, a, b);
    default: return Z3_mk_iff(m->c, a, b);
    }
}

int vsmt_check(struct vsmt *m, mpq_t *point, mlp_error *err)
{
    m->calls++;
    Z3_lbool r = Z3_solver_check(m->c, m->s);
    if (r == Z3_L_UNDEF || Z3_get_error_code(m->c) != Z3_OK) {
        mlp_fail(err, MLP_ERR_UNSUPPORTED, NULL, MLP_NOLOC, "the Z3 solver gave no answer (%s)",
                 r == Z3_L_UNDEF ? Z3_solver_get_reason_unknown(m->c, m->s) : "an API error");
        return -1;
    }
    if (r == Z3_L_FALSE || !point)
        return r == Z3_L_TRUE;
    Z3_model model = Z3_solver_get_model(m->c, m->s);
    Z3_model_inc_ref(m->c, model);
    bool ok = true;
    for (int i = 0; i < m->n && ok; i++) {
        Z3_ast v;
        /* completion: a variable the constraints leave free gets a value too */
        ok = Z3_model_eval(m->c, model, m->x[i], true, &v) && Z3_is_numeral_ast(m->c, v) &&
             mpq_set_str(point[i], Z3_get_numeral_string(m->c, v), 10) == 0;
        if (ok)
            mpq_canonicalize(point[i]);
    }
    Z3_model_dec_ref(m->c, model);
    if (!ok) {
        mlp_fail(err, MLP_ERR_UNSUPPORTED, NULL, MLP_NOLOC, "the Z3 solver gave a model that is "
                 "not a rational point");
        return -1;
    }
    return 1;
}

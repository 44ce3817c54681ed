/* smt.h - the exact solver behind verify: Z3's linear real arithmetic (QF_LRA).
 *
 * Z3 decides conjunctions and boolean combinations of linear constraints over the rationals
 * exactly: a simplex on arbitrary-precision rationals, with strict inequalities handled by
 * infinitesimals, so `z < 0` and `z >= 0` are never confused at z = 0 and coefficients such as
 * 1e-9 enter as the exact rationals given. Models come back as exact rationals. Terms enter as
 * affine forms (linform.h) over the variables x_0 .. x_{n-1}. */
#ifndef MLP_ANALYSIS_VERIFY_SMT_H
#define MLP_ANALYSIS_VERIFY_SMT_H

#include <stdbool.h>
#include <gmp.h>
#include <z3.h>

#include "analysis/verify/spec.h"

struct vsmt {
    Z3_context c;
    Z3_solver s;
    Z3_sort real;
    Z3_ast *x; /* the variables */
    int n;
    long calls; /* satisfiability checks made */
};

int vsmt_init(struct vsmt *m, int n, mlp_error *err);
void vsmt_free(struct vsmt *m);
void vsmt_push(struct vsmt *m);
void vsmt_pop(struct vsmt *m);
/* f REL 0 for an affine form f; valid until the scope it was made in is popped. */
Z3_ast vsmt_cmp(struct vsmt *m, const mpq_t *f, enum vrel rel);
/* Formula f of a spec, where comparison i is truth[i] when known, else `form[i] REL 0`. */
Z3_ast vsmt_formula(struct vsmt *m, const struct vspec *s, int f, const signed char *truth,
                    mpq_t *const *form);
void vsmt_assert(struct vsmt *m, Z3_ast a);
/* Check the assertions: 1 satisfiable (with a model written to point, n rationals, when point is
 * not NULL), 0 unsatisfiable, -1 (err filled) if Z3 gives no answer. */
int vsmt_check(struct vsmt *m, mpq_t *point, mlp_error *err);

#endif

/* spec_parse.h - the parts of the spec and bounds parser shared by its files: linear terms and
 * formulas under construction (spec_terms.c), value expressions (spec_expr.c), and properties
 * and bounds (spec.c). Not for use outside the parser. */
#ifndef MLP_ANALYSIS_VERIFY_SPEC_PARSE_H
#define MLP_ANALYSIS_VERIFY_SPEC_PARSE_H

#include "analysis/verify/spec.h"
#include "lang/tokens.h"

#define VSP_MAX_NESTING 200

/* ---- linear terms (spec_terms.c) ---- */

void vsp_term_init(struct vterm *t);
void vsp_term_clear(struct vterm *t);
/* dst += k * src */
void vsp_term_addmul(struct vterm *dst, const struct vterm *src, const mpq_t k);
/* dst = a + s * b */
void vsp_term_combine(struct vterm *dst, const struct vterm *a, const struct vterm *b, int s);

/* ---- values while parsing: a property, or a (vector of) linear terms ---- */

struct pv {
    bool formula;
    int f;
    mlp_shape shape;
    int64_t n;
    struct vterm *el;
    mlp_srcloc loc;    /* where it starts, and its text (for messages) */
    const char *start;
};

void vsp_pv_alloc(struct pv *v, mlp_shape shape);
void vsp_pv_free(struct pv *v);
bool vsp_pv_const(const struct pv *v);

/* ---- formulas (spec_terms.c) ---- */

int vsp_add_formula(struct vspec *s, enum vf_op op, int a, int b);
int vsp_add_const(struct vspec *s, bool v);
int vsp_add_cmp(struct vspec *s, struct vterm *t, enum vrel rel);
int vsp_combine(struct vspec *s, enum vf_op op, const int *f, int64_t n);
int vsp_node_atoms(struct vspec *s, int *atom0, mlp_id node, int64_t n, int name);

/* ---- the parser (spec_expr.c) ---- */

struct sp {
    struct mlp_cursor cur; /* the current token, and where the previous one ended */
    const char *text, *where;
    const mlp_graph *g;
    struct vspec *s;
    mlp_error *err;
    int depth;
    int *atom0; /* per graph node: its first atom, or -1 (node_atoms) */
};

bool vsp_fail(struct sp *p, mlp_srcloc loc, const char *fmt, ...) MLP_PRINTF(3, 4);
bool vsp_unexpected(struct sp *p, const char *what);
bool vsp_expect(struct sp *p, enum mlp_tok kind, const char *what);
int vsp_span(const struct sp *p, const struct pv *v);
bool vsp_need_value(struct sp *p, const struct pv *v);
bool vsp_need_formula(struct sp *p, const struct pv *v);
void vsp_begin(struct sp *p, struct pv *v);
bool vsp_postfix(struct sp *p, struct pv *v);
bool vsp_parse_sum(struct sp *p, struct pv *v);
/* The shape of `a op b` for values a and b: equal shapes, or a scalar and anything. */
bool vsp_broadcast_shape(struct sp *p, const struct pv *a, const struct pv *b,
                         struct mlp_token op, mlp_shape *out);
/* (spec.c) */
bool vsp_parse_iff(struct sp *p, struct pv *v);

/* Every parse function starts by clearing its result: on failure the caller frees whatever it
 * holds with pv_free, which is safe on a cleared value. */
#define FRESH(v) memset((v), 0, sizeof *(v))

#endif

/* spec.c - parsing specs and bounds into formulas over linear comparisons (their meaning is in
 * formula.c): comparisons, connectives, and the entry points. Terms are in spec_terms.c, value
 * expressions in spec_expr.c. */
#include "analysis/verify/spec_parse.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- comparisons and connectives ---- */

static int relation(enum mlp_tok k)
{
    switch (k) {
    case TOK_LT: return VREL_LT;
    case TOK_LE: return VREL_LE;
    case TOK_EQ: return VREL_EQ;
    case TOK_NE: return VREL_NE;
    case TOK_GE: return VREL_GE;
    case TOK_GT: return VREL_GT;
    default: return -1;
    }
}

/* a REL b for every element (some element, for !=) as one formula. */
static bool compare(struct sp *p, const struct pv *a, const struct pv *b, enum vrel rel,
                    struct mlp_token op, int *out)
{
    mlp_shape shape;
    if (!vsp_broadcast_shape(p, a, b, op, &shape))
        return false;
    int64_t n = mlp_shape_size(shape);
    int *f = mlp_xmalloc((size_t)n * sizeof *f);
    for (int64_t e = 0; e < n; e++) {
        struct vterm t;
        vsp_term_combine(&t, &a->el[a->n == 1 ? 0 : e], &b->el[b->n == 1 ? 0 : e], -1);
        f[e] = vsp_add_cmp(p->s, &t, rel);
    }
    *out = vsp_combine(p->s, rel == VREL_NE ? VF_OR : VF_AND, f, n);
    free(f);
    return true;
}

/* sum {REL sum}: a chain a < b < c means a < b and b < c. */
static bool comparison(struct sp *p, struct pv *v)
{
    if (!vsp_parse_sum(p, v))
        return false;
    if (p->cur.tok.kind == TOK_ASSIGN)
        return vsp_unexpected(p, "a comparison");
    if (relation(p->cur.tok.kind) < 0)
        return true;
    struct pv left = *v;
    int f = -1;
    bool ok = vsp_need_value(p, &left);
    while (ok && relation(p->cur.tok.kind) >= 0) {
        struct mlp_token op = p->cur.tok;
        mlp_cursor_next(&p->cur);
        struct pv right = {0};
        int c;
        ok = vsp_parse_sum(p, &right) && vsp_need_value(p, &right) &&
             compare(p, &left, &right, (enum vrel)relation(op.kind), op, &c);
        if (ok)
            f = f < 0 ? c : vsp_add_formula(p->s, VF_AND, f, c);
        vsp_pv_free(&left);
        left = right;
    }
    vsp_pv_free(&left);
    v->formula = true;
    v->f = f;
    v->el = NULL;
    v->n = 0;
    return ok;
}

static bool parse_not(struct sp *p, struct pv *v)
{
    FRESH(v);
    if (!mlp_tok_is_word(&p->cur.tok, "not"))
        return comparison(p, v);
    struct mlp_token t = p->cur.tok;
    mlp_cursor_next(&p->cur);
    if (++p->depth > VSP_MAX_NESTING)
        return vsp_fail(p, t.loc, "the %s nests too deeply", p->where);
    bool ok = parse_not(p, v) && vsp_need_formula(p, v);
    p->depth--;
    if (ok)
        v->f = vsp_add_formula(p->s, VF_NOT, v->f, -1);
    v->loc = t.loc, v->start = t.start;
    return ok;
}

/* Left-associative levels `and` and `or`. */
static bool connective(struct sp *p, struct pv *v, const char *word)
{
    bool is_and = !strcmp(word, "and");
    if (!(is_and ? parse_not(p, v) : connective(p, v, "and")))
        return false;
    while (mlp_tok_is_word(&p->cur.tok, word)) {
        mlp_cursor_next(&p->cur);
        struct pv r = {0};
        bool ok = vsp_need_formula(p, v) &&
                  (is_and ? parse_not(p, &r) : connective(p, &r, "and")) && vsp_need_formula(p, &r);
        vsp_pv_free(&r);
        if (!ok)
            return false;
        v->f = vsp_add_formula(p->s, is_and ? VF_AND : VF_OR, v->f, r.f);
    }
    return true;
}

/* a => b => c means a => (b => c). */
static bool parse_implies(struct sp *p, struct pv *v)
{
    if (!connective(p, v, "or"))
        return false;
    if (p->cur.tok.kind != TOK_IMPLIES)
        return true;
    struct mlp_token op = p->cur.tok;
    mlp_cursor_next(&p->cur);
    if (++p->depth > VSP_MAX_NESTING)
        return vsp_fail(p, op.loc, "the %s nests too deeply", p->where);
    struct pv r = {0};
    bool ok = vsp_need_formula(p, v) && parse_implies(p, &r) && vsp_need_formula(p, &r);
    vsp_pv_free(&r);
    p->depth--;
    if (ok)
        v->f = vsp_add_formula(p->s, VF_IMPLIES, v->f, r.f);
    return ok;
}

bool vsp_parse_iff(struct sp *p, struct pv *v)
{
    FRESH(v);
    if (++p->depth > VSP_MAX_NESTING)
        return vsp_fail(p, p->cur.tok.loc, "the %s nests too deeply", p->where);
    bool ok = parse_implies(p, v);
    while (ok && p->cur.tok.kind == TOK_IFF) {
        mlp_cursor_next(&p->cur);
        struct pv r = {0};
        ok = vsp_need_formula(p, v) && parse_implies(p, &r) && vsp_need_formula(p, &r);
        vsp_pv_free(&r);
        if (ok)
            v->f = vsp_add_formula(p->s, VF_IFF, v->f, r.f);
    }
    p->depth--;
    return ok;
}

/* Set up the parser; false (with the error) for a text of more than one line: positions are
 * columns of its one line. */
static bool start(struct sp *p, const mlp_graph *g, const char *text, const char *where,
                  struct vspec *s, mlp_error *err)
{
    memset(p, 0, sizeof *p);
    p->g = g;
    p->text = text;
    p->where = where;
    p->s = s;
    p->err = err;
    memset(s, 0, sizeof *s);
    s->g = g;
    s->root = -1;
    p->atom0 = mlp_xmalloc(((size_t)g->n + 1) * sizeof *p->atom0);
    for (mlp_id id = 0; id < g->n; id++)
        p->atom0[id] = -1;
    mlp_cursor_init(&p->cur, text);
    size_t line = strcspn(text, "\r\n");
    if (text[line]) /* the lexer would go on to line 2, whose columns the message cannot show */
        return vsp_fail(p, (mlp_srcloc){1, line < INT_MAX ? (int)line + 1 : INT_MAX},
                        "the %s must be one line", where);
    return true;
}

static void finish(struct sp *p) { free(p->atom0); }

int vspec_parse(struct vspec *s, const mlp_graph *g, const char *text, mlp_error *err)
{
    struct sp p;
    struct pv v = {0};
    bool ok = start(&p, g, text, "spec", s, err);
    if (ok && p.cur.tok.kind == TOK_EOF)
        vsp_fail(&p, (mlp_srcloc){1, 1}, "the spec is empty");
    else if (ok && vsp_parse_iff(&p, &v) && vsp_need_formula(&p, &v)) {
        if (p.cur.tok.kind != TOK_EOF)
            vsp_unexpected(&p, "'and', 'or', '=>', '<=>' or the end of the spec");
        s->root = v.f;
    }
    vsp_pv_free(&v);
    finish(&p);
    if (!mlp_failed(err) && p.cur.tok.kind == TOK_EOF && s->root >= 0)
        return MLP_OK;
    if (!mlp_failed(err))
        vsp_fail(&p, p.cur.tok.loc, "invalid spec");
    vspec_free(s);
    return MLP_ERR_INPUT;
}

void vspec_free(struct vspec *s)
{
    for (int i = 0; i < s->ncmps; i++)
        vsp_term_clear(&s->cmps[i].t);
    free(s->cmps);
    free(s->atoms);
    free(s->f);
    memset(s, 0, sizeof *s);
}

/* ---- bounds ---- */

/* One `TARGET in [lo, hi]`, appended to *out. */
static bool bound(struct sp *p, struct vbound **out, int *n, int *cap)
{
    struct pv target = {0}, lo = {0}, hi = {0};
    bool ok = vsp_postfix(p, &target) && vsp_need_value(p, &target);
    for (int64_t e = 0; ok && e < target.n; e++) {
        const struct vterm *t = &target.el[e];
        ok = t->n == 1 && mpq_sgn(t->c0) == 0 && mpq_cmp_ui(t->coef[0], 1, 1) == 0 &&
             mlp_is_input(p->g, p->s->atoms[t->atom[0]].node);
        if (!ok)
            vsp_fail(p, target.loc, "'%.*s' is not an input: bounds restrict inputs",
                 vsp_span(p, &target), target.start);
    }
    ok = ok && (mlp_tok_is_word(&p->cur.tok, "in") || vsp_unexpected(p, "'in'"));
    if (ok)
        mlp_cursor_next(&p->cur);
    ok = ok && vsp_expect(p, TOK_LBRACK, "'[' (an interval [lo, hi])");
    ok = ok && vsp_parse_sum(p, &lo) && vsp_need_value(p, &lo);
    int lo_len = ok ? vsp_span(p, &lo) : 0;
    ok = ok && vsp_expect(p, TOK_COMMA, "','") && vsp_parse_sum(p, &hi) && vsp_need_value(p, &hi);
    int hi_len = ok ? vsp_span(p, &hi) : 0;
    ok = ok && vsp_expect(p, TOK_RBRACK, "']'");
    bool lo_bad = lo.n != 1 || !vsp_pv_const(&lo), hi_bad = hi.n != 1 || !vsp_pv_const(&hi);
    if (ok && (lo_bad || hi_bad))
        ok = vsp_fail(p, lo_bad ? lo.loc : hi.loc, "an interval's ends must be numbers");
    if (ok && mpq_cmp(lo.el[0].c0, hi.el[0].c0) > 0)
        ok = vsp_fail(p, lo.loc, "empty interval: %.*s > %.*s", lo_len, lo.start, hi_len, hi.start);
    for (int64_t e = 0; ok && e < target.n; e++) {
        mlp_xreserve(out, cap, *n + 1, sizeof **out);
        struct vbound *b = &(*out)[(*n)++];
        const struct vatom *a = &p->s->atoms[target.el[e].atom[0]];
        b->node = a->node;
        b->elem = a->elem;
        mpq_init(b->lo);
        mpq_init(b->hi);
        mpq_set(b->lo, lo.el[0].c0);
        mpq_set(b->hi, hi.el[0].c0);
    }
    vsp_pv_free(&target);
    vsp_pv_free(&lo);
    vsp_pv_free(&hi);
    return ok;
}

int vbounds_parse(const mlp_graph *g, const char *text, struct vbound **out, int *n,
                  mlp_error *err)
{
    struct vspec scratch;
    struct sp p;
    int cap = *n;
    bool ok = start(&p, g, text, "bounds", &scratch, err) &&
              (p.cur.tok.kind != TOK_EOF || vsp_fail(&p, p.cur.tok.loc, "no bounds given"));
    while (ok) {
        ok = bound(&p, out, n, &cap);
        if (!ok || p.cur.tok.kind == TOK_EOF)
            break;
        if (p.cur.tok.kind == TOK_COMMA || mlp_tok_is_word(&p.cur.tok, "and"))
            mlp_cursor_next(&p.cur);
        else
            ok = vsp_unexpected(&p, "',', 'and' or the end of the bounds");
    }
    finish(&p);
    vspec_free(&scratch);
    return ok ? MLP_OK : MLP_ERR_INPUT;
}

void vbounds_free(struct vbound *b, int n)
{
    for (int i = 0; i < n; i++) {
        mpq_clear(b[i].lo);
        mpq_clear(b[i].hi);
    }
    free(b);
}

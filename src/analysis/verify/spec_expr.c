/* spec_expr.c - the spec parser's tokens and messages, and its value expressions: numbers,
 * names, lists, indexing and linear arithmetic. */
#include "analysis/verify/spec_parse.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vsp_fail(struct sp *p, mlp_srcloc loc, const char *fmt, ...)
{
    if (mlp_failed(p->err))
        return false;
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(p->err, MLP_ERR_INPUT, p->where, (mlp_srcloc){0, loc.col}, fmt, ap);
    va_end(ap);
    if (p->err) {
        size_t n = strcspn(p->text, "\r\n");
        if (n >= sizeof p->err->source_line)
            n = sizeof p->err->source_line - 1;
        memcpy(p->err->source_line, p->text, n);
        p->err->source_line[n] = 0;
    }
    return false;
}

bool vsp_unexpected(struct sp *p, const char *what)
{
    if (p->cur.tok.kind == TOK_NEWLINE)
        return vsp_fail(p, p->cur.tok.loc, "the %s must be one line", p->where);
    if (p->cur.tok.kind == TOK_ASSIGN && !strcmp(p->where, "spec"))
        return vsp_fail(p, p->cur.tok.loc, "'=' is not a comparison: write '==' to compare");
    char msg[160];
    mlp_tok_expected(&p->cur.tok, what, msg, sizeof msg);
    return vsp_fail(p, p->cur.tok.loc, "%s", msg);
}

bool vsp_expect(struct sp *p, enum mlp_tok kind, const char *what)
{
    return mlp_cursor_accept(&p->cur, kind) || vsp_unexpected(p, what);
}

/* The source text of v so far, for messages: at most 60 characters. */
int vsp_span(const struct sp *p, const struct pv *v) { int n = (int)(p->cur.prev_end - v->start); return n > 60 ? 60 : n; }

bool vsp_need_value(struct sp *p, const struct pv *v)
{
    if (!v->formula)
        return true;
    return vsp_fail(p, v->loc, "'%.*s' is a property (true or false), not a number", vsp_span(p, v), v->start);
}

bool vsp_need_formula(struct sp *p, const struct pv *v)
{
    if (v->formula)
        return true;
    return vsp_fail(p, v->loc, "'%.*s' is a value, not a property: compare it (for example '%.*s == 1')",
                vsp_span(p, v), v->start, vsp_span(p, v), v->start);
}



void vsp_begin(struct sp *p, struct pv *v)
{
    memset(v, 0, sizeof *v);
    v->loc = p->cur.tok.loc;
    v->start = p->cur.tok.start;
}

/* ---- primaries: numbers, names, (...), [list] ---- */

static bool number(struct sp *p, struct pv *v)
{
    char buf[128];
    if (p->cur.tok.len >= (int)sizeof buf)
        return vsp_fail(p, p->cur.tok.loc, "number too long");
    memcpy(buf, p->cur.tok.start, (size_t)p->cur.tok.len);
    buf[p->cur.tok.len] = 0;
    vsp_pv_alloc(v, mlp_shape_scalar());
    if (!vq_parse(v->el[0].c0, buf))
        return vsp_fail(p, p->cur.tok.loc, "number out of range: %s", buf);
    mlp_cursor_next(&p->cur);
    return true;
}

/* "x; outputs y" for unknown-name messages. */
static void known_names(const mlp_graph *g, char *buf, size_t size)
{
    mlp_strbuf b = {0};
    for (int i = 0, first = 1; i < g->nnames; i++)
        if (g->names[i].kind == MLP_INPUT) {
            mlp_sb_printf(&b, "%s%s", first ? "inputs: " : ", ", g->names[i].text);
            first = 0;
        }
    for (int i = 0; i < g->noutputs; i++)
        mlp_sb_printf(&b, "%s%s", i ? ", " : (b.len ? "; outputs: " : "outputs: "),
                      g->names[g->outputs[i]].text);
    snprintf(buf, size, "%s", mlp_sb_str(&b));
    mlp_sb_free(&b);
}

static bool name_value(struct sp *p, struct pv *v)
{
    struct mlp_token t = p->cur.tok;
    struct mlp_lexer ahead = p->cur.lx;
    if (mlp_lex_next(&ahead).kind == TOK_LPAREN)
        return vsp_fail(p, t.loc, "'%.*s(...)': a spec has no function calls, only linear arithmetic",
                    t.len > 40 ? 40 : t.len, t.start);
    int nm = mlp_graph_find(p->g, t.start, t.len);
    if (nm < 0) {
        char known[300];
        known_names(p->g, known, sizeof known);
        return vsp_fail(p, t.loc, "unknown name '%.*s' (%s)", t.len > 40 ? 40 : t.len, t.start, known);
    }
    mlp_cursor_next(&p->cur);
    mlp_id node = p->g->names[nm].node;
    const struct mlp_node *nd = mlp_node(p->g, node);
    vsp_pv_alloc(v, nd->shape);
    bool valued = mlp_op(nd->op)->cls == MLP_CLASS_LEAF && !mlp_is_input(p->g, node);
    int first = valued ? -1 : vsp_node_atoms(p->s, p->atom0, node, v->n, nm);
    mpq_t one;
    mpq_init(one);
    mpq_set_ui(one, 1, 1);
    bool ok = true;
    for (int64_t e = 0; e < v->n && ok; e++) {
        if (valued) { /* parameters and constants are numbers, exactly as written */
            ok = vq_pool_value(v->el[e].c0, p->g, nd->data + e);
            continue;
        }
        struct vterm a;
        vsp_term_init(&a);
        a.n = a.cap = 1;
        a.atom = mlp_xmalloc(sizeof *a.atom);
        a.coef = mlp_xmalloc(sizeof *a.coef);
        a.atom[0] = first + (int)e;
        mpq_init(a.coef[0]);
        mpq_set_ui(a.coef[0], 1, 1);
        vsp_term_addmul(&v->el[e], &a, one);
        vsp_term_clear(&a);
    }
    mpq_clear(one);
    return ok || vsp_fail(p, t.loc, "'%.*s' holds a value that is not finite", t.len, t.start);
}

/* '[' value {',' value} ']': elements of equal shape stacked along a new leading axis. */
static bool list(struct sp *p, struct pv *v)
{
    mlp_srcloc open = p->cur.tok.loc;
    mlp_cursor_next(&p->cur);
    if (++p->depth > VSP_MAX_NESTING) /* checked before recursing: 100000 '[' overflowed the stack */
        return vsp_fail(p, open, "the %s nests too deeply", p->where);
    struct pv *items = NULL;
    int n = 0, cap = 0;
    bool ok = true;
    do {
        if (p->cur.tok.kind == TOK_RBRACK)
            break;
        mlp_xreserve(&items, &cap, n + 1, sizeof *items);
        ok = vsp_parse_sum(p, &items[n]) && vsp_need_value(p, &items[n]);
        n++;
        if (ok && !mlp_shape_equal(items[n - 1].shape, items[0].shape))
            ok = vsp_fail(p, items[n - 1].loc, "list elements differ in shape");
        if (ok && items[0].shape.rank == MLP_MAX_RANK)
            ok = vsp_fail(p, open, "list nested deeper than %d levels", MLP_MAX_RANK);
    } while (ok && p->cur.tok.kind == TOK_COMMA && (mlp_cursor_next(&p->cur), true));
    if (ok && n == 0)
        ok = vsp_fail(p, open, "empty list");
    ok = ok && vsp_expect(p, TOK_RBRACK, "',' or ']'");
    if (ok) {
        mlp_shape s = {items[0].shape.rank + 1, {n}};
        for (int i = 0; i < items[0].shape.rank; i++)
            s.dim[i + 1] = items[0].shape.dim[i];
        vsp_pv_alloc(v, s);
        mpq_t one;
        mpq_init(one);
        mpq_set_ui(one, 1, 1);
        for (int i = 0; i < n; i++)
            for (int64_t e = 0; e < items[i].n; e++)
                vsp_term_addmul(&v->el[i * items[i].n + e], &items[i].el[e], one);
        mpq_clear(one);
    }
    for (int i = 0; i < n; i++)
        vsp_pv_free(&items[i]);
    free(items);
    p->depth--;
    return ok;
}

static bool primary(struct sp *p, struct pv *v)
{
    FRESH(v);
    if (p->cur.tok.kind == TOK_NUMBER)
        return number(p, v);
    if (p->cur.tok.kind == TOK_LBRACK)
        return list(p, v);
    if (p->cur.tok.kind == TOK_LPAREN) {
        mlp_srcloc open = p->cur.tok.loc;
        mlp_cursor_next(&p->cur);
        if (!vsp_parse_iff(p, v))
            return false;
        if (p->cur.tok.kind == TOK_EOF)
            return vsp_fail(p, open, "'(' is never closed");
        return vsp_expect(p, TOK_RPAREN, "')'");
    }
    static const char *const words[] = {"and", "or", "not", "in"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (mlp_tok_is_word(&p->cur.tok, words[i]))
            return vsp_unexpected(p, "a value");
    if (p->cur.tok.kind == TOK_IDENT)
        return name_value(p, v);
    return vsp_unexpected(p, "a value");
}

/* v[i, j, ...]: the block at those leading indices. */
static bool index_into(struct sp *p, struct pv *v)
{
    int len = vsp_span(p, v);
    mlp_cursor_next(&p->cur);
    int idx[MLP_MAX_RANK], nidx = 0;
    do {
        if (p->cur.tok.kind != TOK_NUMBER)
            return vsp_unexpected(p, "an index");
        if (nidx == v->shape.rank)
            return vsp_fail(p, p->cur.tok.loc, "too many indices: '%.*s' has %d ax%s", len, v->start,
                        v->shape.rank, v->shape.rank == 1 ? "is" : "es");
        char *end;
        long i = strtol(p->cur.tok.start, &end, 10);
        if (end != p->cur.tok.start + p->cur.tok.len || i < 0 || i >= v->shape.dim[nidx])
            return vsp_fail(p, p->cur.tok.loc, "index %.*s out of range for axis %d of size %d",
                        p->cur.tok.len > 20 ? 20 : p->cur.tok.len, p->cur.tok.start, nidx, v->shape.dim[nidx]);
        idx[nidx++] = (int)i;
        mlp_cursor_next(&p->cur);
    } while (p->cur.tok.kind == TOK_COMMA && (mlp_cursor_next(&p->cur), true));
    if (!vsp_expect(p, TOK_RBRACK, "',' or ']'"))
        return false;
    mlp_shape rest = {v->shape.rank - nidx, {0}};
    for (int i = 0; i < rest.rank; i++)
        rest.dim[i] = v->shape.dim[nidx + i];
    int64_t off = 0;
    for (int i = 0; i < nidx; i++)
        off = off * v->shape.dim[i] + idx[i];
    off *= mlp_shape_size(rest);
    struct pv r = *v;
    vsp_pv_alloc(v, rest);
    for (int64_t e = 0; e < v->n; e++) {
        struct vterm t = v->el[e];
        v->el[e] = r.el[off + e];
        r.el[off + e] = t;
    }
    vsp_pv_free(&r);
    return true;
}

bool vsp_postfix(struct sp *p, struct pv *v)
{
    vsp_begin(p, v);
    mlp_srcloc loc = v->loc;
    const char *start = v->start;
    if (!primary(p, v))
        return false;
    v->loc = loc, v->start = start;
    while (p->cur.tok.kind == TOK_LBRACK) {
        if (!vsp_need_value(p, v) || !index_into(p, v))
            return false;
        v->loc = loc, v->start = start;
    }
    return true;
}

/* ---- arithmetic ---- */

static bool unary(struct sp *p, struct pv *v)
{
    FRESH(v);
    struct mlp_token t = p->cur.tok;
    if (t.kind != TOK_MINUS && t.kind != TOK_PLUS)
        return vsp_postfix(p, v);
    mlp_cursor_next(&p->cur);
    if (++p->depth > VSP_MAX_NESTING)
        return vsp_fail(p, t.loc, "the %s nests too deeply", p->where);
    bool ok = unary(p, v) && vsp_need_value(p, v);
    p->depth--;
    if (!ok)
        return false;
    v->loc = t.loc, v->start = t.start;
    if (t.kind == TOK_MINUS) {
        mpq_t k;
        mpq_init(k);
        mpq_set_si(k, -1, 1);
        for (int64_t e = 0; e < v->n; e++) {
            struct vterm r;
            vsp_term_init(&r);
            vsp_term_addmul(&r, &v->el[e], k);
            vsp_term_clear(&v->el[e]);
            v->el[e] = r;
        }
        mpq_clear(k);
    }
    return true;
}

/* The shape of an elementwise result: equal shapes, or a scalar that broadcasts. */
bool vsp_broadcast_shape(struct sp *p, const struct pv *a, const struct pv *b,
                         struct mlp_token op, mlp_shape *out)
{
    if (a->n == 1 && a->shape.rank == 0)
        *out = b->shape;
    else if ((b->n == 1 && b->shape.rank == 0) || mlp_shape_equal(a->shape, b->shape))
        *out = a->shape;
    else {
        char sa[64], sb[64];
        mlp_shape_format(a->shape, sa);
        mlp_shape_format(b->shape, sb);
        return vsp_fail(p, op.loc, "shape mismatch in '%.*s': %s %.*s %s", vsp_span(p, a), a->start, sa,
                    op.len, op.start, sb);
    }
    return true;
}

/* a op b elementwise for + - * /; the result replaces a. */
static bool arith(struct sp *p, struct pv *a, struct pv *b, struct mlp_token op)
{
    mlp_shape shape;
    if (!vsp_broadcast_shape(p, a, b, op, &shape))
        return false;
    bool mul = op.kind == TOK_STAR, div = op.kind == TOK_SLASH;
    if (mul && !vsp_pv_const(a) && !vsp_pv_const(b))
        return vsp_fail(p, op.loc, "nonlinear term '%.*s': both factors depend on the model's values "
                    "(a spec is linear: multiply by numbers only)", vsp_span(p, a), a->start);
    if (div && !vsp_pv_const(b))
        return vsp_fail(p, op.loc, "nonlinear term '%.*s': the divisor depends on the model's values",
                    vsp_span(p, a), a->start);
    struct pv r;
    vsp_begin(p, &r);
    r.loc = a->loc, r.start = a->start;
    vsp_pv_alloc(&r, shape);
    mpq_t k;
    mpq_init(k);
    bool ok = true;
    for (int64_t e = 0; e < r.n && ok; e++) {
        const struct vterm *x = &a->el[a->n == 1 ? 0 : e], *y = &b->el[b->n == 1 ? 0 : e];
        vsp_term_clear(&r.el[e]);
        if (op.kind == TOK_PLUS || op.kind == TOK_MINUS) {
            vsp_term_combine(&r.el[e], x, y, op.kind == TOK_PLUS ? 1 : -1);
            continue;
        }
        vsp_term_init(&r.el[e]);
        if (div && mpq_sgn(y->c0) == 0) {
            ok = vsp_fail(p, op.loc, "division by zero in '%.*s'", vsp_span(p, a), a->start);
        } else if (div) {
            mpq_inv(k, y->c0);
            vsp_term_addmul(&r.el[e], x, k);
        } else if (x->n == 0) {
            vsp_term_addmul(&r.el[e], y, x->c0);
        } else {
            vsp_term_addmul(&r.el[e], x, y->c0);
        }
    }
    mpq_clear(k);
    vsp_pv_free(a);
    vsp_pv_free(b);
    *a = r;
    if (!ok)
        vsp_pv_free(a);
    return ok;
}

static bool product(struct sp *p, struct pv *v)
{
    if (!unary(p, v))
        return false;
    while (p->cur.tok.kind == TOK_STAR || p->cur.tok.kind == TOK_SLASH || p->cur.tok.kind == TOK_AT) {
        struct mlp_token op = p->cur.tok;
        if (op.kind == TOK_AT)
            return vsp_fail(p, op.loc, "'@' is not available in a spec (compare elements instead)");
        mlp_cursor_next(&p->cur);
        struct pv r = {0};
        bool ok = vsp_need_value(p, v) && unary(p, &r) && vsp_need_value(p, &r) && arith(p, v, &r, op);
        vsp_pv_free(&r);
        if (!ok)
            return false;
    }
    return true;
}

bool vsp_parse_sum(struct sp *p, struct pv *v)
{
    if (!product(p, v))
        return false;
    while (p->cur.tok.kind == TOK_PLUS || p->cur.tok.kind == TOK_MINUS) {
        struct mlp_token op = p->cur.tok;
        mlp_cursor_next(&p->cur);
        struct pv r = {0};
        bool ok = vsp_need_value(p, v) && product(p, &r) && vsp_need_value(p, &r) && arith(p, v, &r, op);
        vsp_pv_free(&r);
        if (!ok)
            return false;
    }
    return true;
}


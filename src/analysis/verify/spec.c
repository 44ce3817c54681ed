/* spec.c - parsing specs and bounds into formulas over linear comparisons (their meaning is in
 * formula.c). */
#include "analysis/verify/spec.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"
#include "lang/lexer.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 200

/* ---- linear terms ---- */

static void term_init(struct vterm *t)
{
    memset(t, 0, sizeof *t);
    mpq_init(t->c0);
}

static void term_clear(struct vterm *t)
{
    mpq_clear(t->c0);
    for (int i = 0; i < t->n; i++)
        mpq_clear(t->coef[i]);
    free(t->atom);
    free(t->coef);
}

/* dst += k * src, keeping only nonzero coefficients (a constant term has n == 0). */
static void term_addmul(struct vterm *dst, const struct vterm *src, const mpq_t k)
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
static void term_combine(struct vterm *dst, const struct vterm *a, const struct vterm *b, int s)
{
    mpq_t k;
    mpq_init(k);
    term_init(dst);
    mpq_set_si(k, 1, 1);
    term_addmul(dst, a, k);
    mpq_set_si(k, s, 1);
    term_addmul(dst, b, k);
    mpq_clear(k);
}

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

static void pv_alloc(struct pv *v, mlp_shape shape)
{
    v->formula = false;
    v->shape = shape;
    v->n = mlp_shape_size(shape);
    v->el = mlp_xmalloc((size_t)v->n * sizeof *v->el);
    for (int64_t i = 0; i < v->n; i++)
        term_init(&v->el[i]);
}

static void pv_free(struct pv *v)
{
    for (int64_t i = 0; v->el && i < v->n; i++)
        term_clear(&v->el[i]);
    free(v->el);
    v->el = NULL;
    v->n = 0;
}

static bool pv_const(const struct pv *v)
{
    for (int64_t i = 0; i < v->n; i++)
        if (v->el[i].n)
            return false;
    return true;
}

/* ---- formulas ---- */

static int add_formula(struct vspec *s, enum vf_op op, int a, int b)
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

static int add_const(struct vspec *s, bool v) { return add_formula(s, v ? VF_TRUE : VF_FALSE, -1, -1); }

/* `t REL 0` as a formula (taking t); a constant t folds to true or false. */
static int add_cmp(struct vspec *s, struct vterm *t, enum vrel rel)
{
    if (t->n == 0) {
        bool v = vrel_holds(rel, mpq_sgn(t->c0));
        term_clear(t);
        return add_const(s, v);
    }
    mlp_xreserve(&s->cmps, &s->capcmps, s->ncmps + 1, sizeof *s->cmps);
    s->cmps[s->ncmps] = (struct vcmp){*t, rel};
    return add_formula(s, VF_CMP, s->ncmps++, -1);
}

/* A balanced `and` (or `or`) of formulas f[0..n-1], so that long vectors nest shallowly. */
static int combine(struct vspec *s, enum vf_op op, const int *f, int64_t n)
{
    if (n == 1)
        return f[0];
    int64_t h = n / 2;
    int a = combine(s, op, f, h);
    return add_formula(s, op, a, combine(s, op, f + h, n - h));
}

/* The atoms of every element of a node, made together the first time the node is named, so
 * that element e is atom atom0[node] + e: found in constant time (a linear search made `x > 0`
 * quadratic in the size of x). */
static int node_atoms(struct vspec *s, int *atom0, mlp_id node, int64_t n, int name)
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

/* ---- the parser ---- */

struct sp {
    struct mlp_lexer lx;
    struct mlp_token tok;
    const char *prev_end;
    const char *text, *where;
    const mlp_graph *g;
    struct vspec *s;
    mlp_error *err;
    int depth;
    int *atom0; /* per graph node: its first atom, or -1 (node_atoms) */
};

static bool fail(struct sp *p, mlp_srcloc loc, const char *fmt, ...) MLP_PRINTF(3, 4);
static bool fail(struct sp *p, mlp_srcloc loc, const char *fmt, ...)
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

static void next(struct sp *p)
{
    p->prev_end = p->tok.start + p->tok.len;
    p->tok = mlp_lex_next(&p->lx);
}

static bool is_word(const struct mlp_token *t, const char *w)
{
    return t->kind == TOK_IDENT && t->len == (int)strlen(w) && !memcmp(t->start, w, (size_t)t->len);
}

static bool unexpected(struct sp *p, const char *what)
{
    char got[64];
    mlp_tok_describe(&p->tok, got, sizeof got);
    if (p->tok.kind == TOK_NEWLINE)
        return fail(p, p->tok.loc, "the %s must be one line", p->where);
    if (p->tok.kind == TOK_ERROR)
        return fail(p, p->tok.loc, "unexpected character %s", got);
    if (p->tok.kind == TOK_ASSIGN && !strcmp(p->where, "spec"))
        return fail(p, p->tok.loc, "'=' is not a comparison: write '==' to compare");
    return fail(p, p->tok.loc, "expected %s, got %s", what, got);
}

static bool expect(struct sp *p, enum mlp_tok kind, const char *what)
{
    if (p->tok.kind != kind)
        return unexpected(p, what);
    next(p);
    return true;
}

/* The source text of v so far, for messages: at most 60 characters. */
static int span(const struct sp *p, const struct pv *v) { int n = (int)(p->prev_end - v->start); return n > 60 ? 60 : n; }

static bool need_value(struct sp *p, const struct pv *v)
{
    if (!v->formula)
        return true;
    return fail(p, v->loc, "'%.*s' is a property (true or false), not a number", span(p, v), v->start);
}

static bool need_formula(struct sp *p, const struct pv *v)
{
    if (v->formula)
        return true;
    return fail(p, v->loc, "'%.*s' is a value, not a property: compare it (for example '%.*s == 1')",
                span(p, v), v->start, span(p, v), v->start);
}

static bool parse_iff(struct sp *p, struct pv *out);
static bool parse_sum(struct sp *p, struct pv *out);

/* Every parse function starts by clearing its result: on failure the caller frees whatever it
 * holds with pv_free, which is safe on a cleared value. */
#define FRESH(v) memset((v), 0, sizeof *(v))

static void begin(struct sp *p, struct pv *v)
{
    memset(v, 0, sizeof *v);
    v->loc = p->tok.loc;
    v->start = p->tok.start;
}

/* ---- primaries: numbers, names, (...), [list] ---- */

static bool number(struct sp *p, struct pv *v)
{
    char buf[128];
    if (p->tok.len >= (int)sizeof buf)
        return fail(p, p->tok.loc, "number too long");
    memcpy(buf, p->tok.start, (size_t)p->tok.len);
    buf[p->tok.len] = 0;
    pv_alloc(v, mlp_shape_scalar());
    if (!vq_parse(v->el[0].c0, buf))
        return fail(p, p->tok.loc, "number out of range: %s", buf);
    next(p);
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
    struct mlp_token t = p->tok;
    struct mlp_lexer ahead = p->lx;
    if (mlp_lex_next(&ahead).kind == TOK_LPAREN)
        return fail(p, t.loc, "'%.*s(...)': a spec has no function calls, only linear arithmetic",
                    t.len > 40 ? 40 : t.len, t.start);
    int nm = mlp_graph_find(p->g, t.start, t.len);
    if (nm < 0) {
        char known[300];
        known_names(p->g, known, sizeof known);
        return fail(p, t.loc, "unknown name '%.*s' (%s)", t.len > 40 ? 40 : t.len, t.start, known);
    }
    next(p);
    mlp_id node = p->g->names[nm].node;
    const struct mlp_node *nd = mlp_node(p->g, node);
    pv_alloc(v, nd->shape);
    bool valued = nd->op == MLP_OP_PARAM || nd->op == MLP_OP_CONST;
    int first = valued ? -1 : node_atoms(p->s, p->atom0, node, v->n, nm);
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
        term_init(&a);
        a.n = a.cap = 1;
        a.atom = mlp_xmalloc(sizeof *a.atom);
        a.coef = mlp_xmalloc(sizeof *a.coef);
        a.atom[0] = first + (int)e;
        mpq_init(a.coef[0]);
        mpq_set_ui(a.coef[0], 1, 1);
        term_addmul(&v->el[e], &a, one);
        term_clear(&a);
    }
    mpq_clear(one);
    return ok || fail(p, t.loc, "'%.*s' holds a value that is not finite", t.len, t.start);
}

/* '[' value {',' value} ']': elements of equal shape stacked along a new leading axis. */
static bool list(struct sp *p, struct pv *v)
{
    mlp_srcloc open = p->tok.loc;
    next(p);
    if (++p->depth > MAX_NESTING) /* checked before recursing: 100000 '[' overflowed the stack */
        return fail(p, open, "the %s nests too deeply", p->where);
    struct pv *items = NULL;
    int n = 0, cap = 0;
    bool ok = true;
    do {
        if (p->tok.kind == TOK_RBRACK)
            break;
        mlp_xreserve(&items, &cap, n + 1, sizeof *items);
        ok = parse_sum(p, &items[n]) && need_value(p, &items[n]);
        n++;
        if (ok && !mlp_shape_equal(items[n - 1].shape, items[0].shape))
            ok = fail(p, items[n - 1].loc, "list elements differ in shape");
        if (ok && items[0].shape.rank == MLP_MAX_RANK)
            ok = fail(p, open, "list nested deeper than %d levels", MLP_MAX_RANK);
    } while (ok && p->tok.kind == TOK_COMMA && (next(p), true));
    if (ok && n == 0)
        ok = fail(p, open, "empty list");
    ok = ok && expect(p, TOK_RBRACK, "',' or ']'");
    if (ok) {
        mlp_shape s = {items[0].shape.rank + 1, {n}};
        for (int i = 0; i < items[0].shape.rank; i++)
            s.dim[i + 1] = items[0].shape.dim[i];
        pv_alloc(v, s);
        mpq_t one;
        mpq_init(one);
        mpq_set_ui(one, 1, 1);
        for (int i = 0; i < n; i++)
            for (int64_t e = 0; e < items[i].n; e++)
                term_addmul(&v->el[i * items[i].n + e], &items[i].el[e], one);
        mpq_clear(one);
    }
    for (int i = 0; i < n; i++)
        pv_free(&items[i]);
    free(items);
    p->depth--;
    return ok;
}

static bool primary(struct sp *p, struct pv *v)
{
    FRESH(v);
    if (p->tok.kind == TOK_NUMBER)
        return number(p, v);
    if (p->tok.kind == TOK_LBRACK)
        return list(p, v);
    if (p->tok.kind == TOK_LPAREN) {
        mlp_srcloc open = p->tok.loc;
        next(p);
        if (!parse_iff(p, v))
            return false;
        if (p->tok.kind == TOK_EOF)
            return fail(p, open, "'(' is never closed");
        return expect(p, TOK_RPAREN, "')'");
    }
    static const char *const words[] = {"and", "or", "not", "in"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (is_word(&p->tok, words[i]))
            return unexpected(p, "a value");
    if (p->tok.kind == TOK_IDENT)
        return name_value(p, v);
    return unexpected(p, "a value");
}

/* v[i, j, ...]: the block at those leading indices. */
static bool index_into(struct sp *p, struct pv *v)
{
    int len = span(p, v);
    next(p);
    int idx[MLP_MAX_RANK], nidx = 0;
    do {
        if (p->tok.kind != TOK_NUMBER)
            return unexpected(p, "an index");
        if (nidx == v->shape.rank)
            return fail(p, p->tok.loc, "too many indices: '%.*s' has %d ax%s", len, v->start,
                        v->shape.rank, v->shape.rank == 1 ? "is" : "es");
        char *end;
        long i = strtol(p->tok.start, &end, 10);
        if (end != p->tok.start + p->tok.len || i < 0 || i >= v->shape.dim[nidx])
            return fail(p, p->tok.loc, "index %.*s out of range for axis %d of size %d",
                        p->tok.len > 20 ? 20 : p->tok.len, p->tok.start, nidx, v->shape.dim[nidx]);
        idx[nidx++] = (int)i;
        next(p);
    } while (p->tok.kind == TOK_COMMA && (next(p), true));
    if (!expect(p, TOK_RBRACK, "',' or ']'"))
        return false;
    mlp_shape rest = {v->shape.rank - nidx, {0}};
    for (int i = 0; i < rest.rank; i++)
        rest.dim[i] = v->shape.dim[nidx + i];
    int64_t off = 0;
    for (int i = 0; i < nidx; i++)
        off = off * v->shape.dim[i] + idx[i];
    off *= mlp_shape_size(rest);
    struct pv r = *v;
    pv_alloc(v, rest);
    for (int64_t e = 0; e < v->n; e++) {
        struct vterm t = v->el[e];
        v->el[e] = r.el[off + e];
        r.el[off + e] = t;
    }
    pv_free(&r);
    return true;
}

static bool postfix(struct sp *p, struct pv *v)
{
    begin(p, v);
    mlp_srcloc loc = v->loc;
    const char *start = v->start;
    if (!primary(p, v))
        return false;
    v->loc = loc, v->start = start;
    while (p->tok.kind == TOK_LBRACK) {
        if (!need_value(p, v) || !index_into(p, v))
            return false;
        v->loc = loc, v->start = start;
    }
    return true;
}

/* ---- arithmetic ---- */

static bool unary(struct sp *p, struct pv *v)
{
    FRESH(v);
    struct mlp_token t = p->tok;
    if (t.kind != TOK_MINUS && t.kind != TOK_PLUS)
        return postfix(p, v);
    next(p);
    if (++p->depth > MAX_NESTING)
        return fail(p, t.loc, "the %s nests too deeply", p->where);
    bool ok = unary(p, v) && need_value(p, v);
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
            term_init(&r);
            term_addmul(&r, &v->el[e], k);
            term_clear(&v->el[e]);
            v->el[e] = r;
        }
        mpq_clear(k);
    }
    return true;
}

/* The shape of an elementwise result: equal shapes, or a scalar that broadcasts. */
static bool broadcast_shape(struct sp *p, const struct pv *a, const struct pv *b,
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
        return fail(p, op.loc, "shape mismatch in '%.*s': %s %.*s %s", span(p, a), a->start, sa,
                    op.len, op.start, sb);
    }
    return true;
}

/* a op b elementwise for + - * /; the result replaces a. */
static bool arith(struct sp *p, struct pv *a, struct pv *b, struct mlp_token op)
{
    mlp_shape shape;
    if (!broadcast_shape(p, a, b, op, &shape))
        return false;
    bool mul = op.kind == TOK_STAR, div = op.kind == TOK_SLASH;
    if (mul && !pv_const(a) && !pv_const(b))
        return fail(p, op.loc, "nonlinear term '%.*s': both factors depend on the model's values "
                    "(a spec is linear: multiply by numbers only)", span(p, a), a->start);
    if (div && !pv_const(b))
        return fail(p, op.loc, "nonlinear term '%.*s': the divisor depends on the model's values",
                    span(p, a), a->start);
    struct pv r;
    begin(p, &r);
    r.loc = a->loc, r.start = a->start;
    pv_alloc(&r, shape);
    mpq_t k;
    mpq_init(k);
    bool ok = true;
    for (int64_t e = 0; e < r.n && ok; e++) {
        const struct vterm *x = &a->el[a->n == 1 ? 0 : e], *y = &b->el[b->n == 1 ? 0 : e];
        term_clear(&r.el[e]);
        if (op.kind == TOK_PLUS || op.kind == TOK_MINUS) {
            term_combine(&r.el[e], x, y, op.kind == TOK_PLUS ? 1 : -1);
            continue;
        }
        term_init(&r.el[e]);
        if (div && mpq_sgn(y->c0) == 0) {
            ok = fail(p, op.loc, "division by zero in '%.*s'", span(p, a), a->start);
        } else if (div) {
            mpq_inv(k, y->c0);
            term_addmul(&r.el[e], x, k);
        } else if (x->n == 0) {
            term_addmul(&r.el[e], y, x->c0);
        } else {
            term_addmul(&r.el[e], x, y->c0);
        }
    }
    mpq_clear(k);
    pv_free(a);
    pv_free(b);
    *a = r;
    if (!ok)
        pv_free(a);
    return ok;
}

static bool product(struct sp *p, struct pv *v)
{
    if (!unary(p, v))
        return false;
    while (p->tok.kind == TOK_STAR || p->tok.kind == TOK_SLASH || p->tok.kind == TOK_AT) {
        struct mlp_token op = p->tok;
        if (op.kind == TOK_AT)
            return fail(p, op.loc, "'@' is not available in a spec (compare elements instead)");
        next(p);
        struct pv r = {0};
        bool ok = need_value(p, v) && unary(p, &r) && need_value(p, &r) && arith(p, v, &r, op);
        pv_free(&r);
        if (!ok)
            return false;
    }
    return true;
}

static bool parse_sum(struct sp *p, struct pv *v)
{
    if (!product(p, v))
        return false;
    while (p->tok.kind == TOK_PLUS || p->tok.kind == TOK_MINUS) {
        struct mlp_token op = p->tok;
        next(p);
        struct pv r = {0};
        bool ok = need_value(p, v) && product(p, &r) && need_value(p, &r) && arith(p, v, &r, op);
        pv_free(&r);
        if (!ok)
            return false;
    }
    return true;
}

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
    if (!broadcast_shape(p, a, b, op, &shape))
        return false;
    int64_t n = mlp_shape_size(shape);
    int *f = mlp_xmalloc((size_t)n * sizeof *f);
    for (int64_t e = 0; e < n; e++) {
        struct vterm t;
        term_combine(&t, &a->el[a->n == 1 ? 0 : e], &b->el[b->n == 1 ? 0 : e], -1);
        f[e] = add_cmp(p->s, &t, rel);
    }
    *out = combine(p->s, rel == VREL_NE ? VF_OR : VF_AND, f, n);
    free(f);
    return true;
}

/* sum {REL sum}: a chain a < b < c means a < b and b < c. */
static bool comparison(struct sp *p, struct pv *v)
{
    if (!parse_sum(p, v))
        return false;
    if (p->tok.kind == TOK_ASSIGN)
        return unexpected(p, "a comparison");
    if (relation(p->tok.kind) < 0)
        return true;
    struct pv left = *v;
    int f = -1;
    bool ok = need_value(p, &left);
    while (ok && relation(p->tok.kind) >= 0) {
        struct mlp_token op = p->tok;
        next(p);
        struct pv right = {0};
        int c;
        ok = parse_sum(p, &right) && need_value(p, &right) &&
             compare(p, &left, &right, (enum vrel)relation(op.kind), op, &c);
        if (ok)
            f = f < 0 ? c : add_formula(p->s, VF_AND, f, c);
        pv_free(&left);
        left = right;
    }
    pv_free(&left);
    v->formula = true;
    v->f = f;
    v->el = NULL;
    v->n = 0;
    return ok;
}

static bool parse_not(struct sp *p, struct pv *v)
{
    FRESH(v);
    if (!is_word(&p->tok, "not"))
        return comparison(p, v);
    struct mlp_token t = p->tok;
    next(p);
    if (++p->depth > MAX_NESTING)
        return fail(p, t.loc, "the %s nests too deeply", p->where);
    bool ok = parse_not(p, v) && need_formula(p, v);
    p->depth--;
    if (ok)
        v->f = add_formula(p->s, VF_NOT, v->f, -1);
    v->loc = t.loc, v->start = t.start;
    return ok;
}

/* Left-associative levels `and` and `or`. */
static bool connective(struct sp *p, struct pv *v, const char *word)
{
    bool is_and = !strcmp(word, "and");
    if (!(is_and ? parse_not(p, v) : connective(p, v, "and")))
        return false;
    while (is_word(&p->tok, word)) {
        next(p);
        struct pv r = {0};
        bool ok = need_formula(p, v) &&
                  (is_and ? parse_not(p, &r) : connective(p, &r, "and")) && need_formula(p, &r);
        pv_free(&r);
        if (!ok)
            return false;
        v->f = add_formula(p->s, is_and ? VF_AND : VF_OR, v->f, r.f);
    }
    return true;
}

/* a => b => c means a => (b => c). */
static bool parse_implies(struct sp *p, struct pv *v)
{
    if (!connective(p, v, "or"))
        return false;
    if (p->tok.kind != TOK_IMPLIES)
        return true;
    struct mlp_token op = p->tok;
    next(p);
    if (++p->depth > MAX_NESTING)
        return fail(p, op.loc, "the %s nests too deeply", p->where);
    struct pv r = {0};
    bool ok = need_formula(p, v) && parse_implies(p, &r) && need_formula(p, &r);
    pv_free(&r);
    p->depth--;
    if (ok)
        v->f = add_formula(p->s, VF_IMPLIES, v->f, r.f);
    return ok;
}

static bool parse_iff(struct sp *p, struct pv *v)
{
    FRESH(v);
    if (++p->depth > MAX_NESTING)
        return fail(p, p->tok.loc, "the %s nests too deeply", p->where);
    bool ok = parse_implies(p, v);
    while (ok && p->tok.kind == TOK_IFF) {
        next(p);
        struct pv r = {0};
        ok = need_formula(p, v) && parse_implies(p, &r) && need_formula(p, &r);
        pv_free(&r);
        if (ok)
            v->f = add_formula(p->s, VF_IFF, v->f, r.f);
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
    mlp_lex_init(&p->lx, text);
    p->tok.start = text; /* next() computes the end of the token before: none yet (NULL + 0) */
    size_t line = strcspn(text, "\r\n");
    if (text[line]) /* the lexer would go on to line 2, whose columns the message cannot show */
        return fail(p, (mlp_srcloc){1, line < INT_MAX ? (int)line + 1 : INT_MAX},
                    "the %s must be one line", where);
    next(p);
    return true;
}

static void finish(struct sp *p) { free(p->atom0); }

int vspec_parse(struct vspec *s, const mlp_graph *g, const char *text, mlp_error *err)
{
    struct sp p;
    struct pv v = {0};
    bool ok = start(&p, g, text, "spec", s, err);
    if (ok && p.tok.kind == TOK_EOF)
        fail(&p, (mlp_srcloc){1, 1}, "the spec is empty");
    else if (ok && parse_iff(&p, &v) && need_formula(&p, &v)) {
        if (p.tok.kind != TOK_EOF)
            unexpected(&p, "'and', 'or', '=>', '<=>' or the end of the spec");
        s->root = v.f;
    }
    pv_free(&v);
    finish(&p);
    if (!mlp_failed(err) && p.tok.kind == TOK_EOF && s->root >= 0)
        return MLP_OK;
    if (!mlp_failed(err))
        fail(&p, p.tok.loc, "invalid spec");
    vspec_free(s);
    return MLP_ERR_INPUT;
}

void vspec_free(struct vspec *s)
{
    for (int i = 0; i < s->ncmps; i++)
        term_clear(&s->cmps[i].t);
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
    bool ok = postfix(p, &target) && need_value(p, &target);
    for (int64_t e = 0; ok && e < target.n; e++) {
        const struct vterm *t = &target.el[e];
        ok = t->n == 1 && mpq_sgn(t->c0) == 0 && mpq_cmp_ui(t->coef[0], 1, 1) == 0 &&
             mlp_node(p->g, p->s->atoms[t->atom[0]].node)->op == MLP_OP_INPUT;
        if (!ok)
            fail(p, target.loc, "'%.*s' is not an input: bounds restrict inputs",
                 span(p, &target), target.start);
    }
    ok = ok && (is_word(&p->tok, "in") || unexpected(p, "'in'"));
    if (ok)
        next(p);
    ok = ok && expect(p, TOK_LBRACK, "'[' (an interval [lo, hi])");
    ok = ok && parse_sum(p, &lo) && need_value(p, &lo);
    int lo_len = ok ? span(p, &lo) : 0;
    ok = ok && expect(p, TOK_COMMA, "','") && parse_sum(p, &hi) && need_value(p, &hi);
    int hi_len = ok ? span(p, &hi) : 0;
    ok = ok && expect(p, TOK_RBRACK, "']'");
    bool lo_bad = lo.n != 1 || !pv_const(&lo), hi_bad = hi.n != 1 || !pv_const(&hi);
    if (ok && (lo_bad || hi_bad))
        ok = fail(p, lo_bad ? lo.loc : hi.loc, "an interval's ends must be numbers");
    if (ok && mpq_cmp(lo.el[0].c0, hi.el[0].c0) > 0)
        ok = fail(p, lo.loc, "empty interval: %.*s > %.*s", lo_len, lo.start, hi_len, hi.start);
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
    pv_free(&target);
    pv_free(&lo);
    pv_free(&hi);
    return ok;
}

int vbounds_parse(const mlp_graph *g, const char *text, struct vbound **out, int *n,
                  mlp_error *err)
{
    struct vspec scratch;
    struct sp p;
    int cap = *n;
    bool ok = start(&p, g, text, "bounds", &scratch, err) &&
              (p.tok.kind != TOK_EOF || fail(&p, p.tok.loc, "no bounds given"));
    while (ok) {
        ok = bound(&p, out, n, &cap);
        if (!ok || p.tok.kind == TOK_EOF)
            break;
        if (p.tok.kind == TOK_COMMA || is_word(&p.tok, "and"))
            next(&p);
        else
            ok = unexpected(&p, "',', 'and' or the end of the bounds");
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

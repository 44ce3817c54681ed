/* parser.c - recursive descent over the model language (grammar in README.md).
 *
 * The parser builds the graph directly through the smart constructors: each expression node is
 * built with g->loc at its operator and g->ctx spanning its source text, so a shape error reads
 * "model.mlp:7:9: error: shape mismatch in 'W1 @ x': [2,3] @ [4]".
 */
#include "lang/parser.h"
#include "base/mem.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    struct mlp_lexer lx;
    struct mlp_token tok;  /* current token */
    const char *prev_end;  /* end of the previous token: expression spans end here */
    mlp_graph *g;          /* NULL when parsing a bare literal */
    const char *file;
    mlp_error *err;
    bool in_expr; /* inside an expression '/' divides, so literals there take no fractions */
    struct mlp_token defining; /* the name the current statement defines, for messages */
    int depth;    /* nesting of expressions and signs: recursion is bounded by MAX_NESTING */
    bool *is_output; /* per name index: already marked `output` (so checking is constant time) */
    int cap_is_output;
};

/* Deepest nesting of parentheses, call arguments and prefix signs in one expression. Recursive
 * descent uses a few stack frames per level; the bound keeps hostile text like 100000 '('
 * from overflowing the stack, and is far beyond what a person writes. */
#define MAX_NESTING 200
/* Longest name a model may define (names appear in messages, CSV headers and JSON). */
#define MAX_NAME 256
#define UTF8_BOM "\xef\xbb\xbf"
/* Largest index or slice bound written in a model: any axis is smaller (MLP_MAX_ELEMENTS), and
 * it fits an int32 attribute with room to add a length. */
#define MAX_INDEX (1 << 30)

/* Reserved: declarations, and the connectives of `mlp verify` specs. */
static const char *const keywords[] = {"input", "param", "const", "output", "loss",
                                       "and",   "or",    "not",   "in"};

static void next(struct parser *ps)
{
    if (ps->tok.start) /* the first call has no previous token (and NULL + 0 is undefined) */
        ps->prev_end = ps->tok.start + ps->tok.len;
    ps->tok = mlp_lex_next(&ps->lx);
}

static bool fail_at(struct parser *ps, mlp_srcloc loc, const char *fmt, ...) MLP_PRINTF(3, 4);
static bool fail_at(struct parser *ps, mlp_srcloc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(ps->err, MLP_ERR_INPUT, ps->file, loc, fmt, ap);
    va_end(ap);
    return false;
}

/* "expected X, got Y" at the current token. */
static bool expected(struct parser *ps, const char *what)
{
    char got[64];
    mlp_tok_describe(&ps->tok, got, sizeof got);
    if (ps->tok.kind == TOK_ERROR)
        return fail_at(ps, ps->tok.loc, "unexpected character %s", got);
    return fail_at(ps, ps->tok.loc, "expected %s, got %s", what, got);
}

static bool accept(struct parser *ps, enum mlp_tok kind)
{
    if (ps->tok.kind != kind)
        return false;
    next(ps);
    return true;
}

static bool expect(struct parser *ps, enum mlp_tok kind, const char *what)
{
    return accept(ps, kind) || expected(ps, what);
}

/* Edit distance between two short words (for "did you mean"), capped at 3. */
static int distance(const char *a, int la, const char *b, int lb)
{
    if (la > 32 || lb > 32)
        return 3;
    int d[33][33];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb] < 3 ? d[la][lb] : 3;
}

/* " (did you mean 'sigmoid'?)" when a known word is close to t, else "". */
static void suggest(const struct mlp_token *t, const char *const *words, int n, char *buf, int size)
{
    int best = 3;
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        int d = distance(t->start, t->len, words[i], (int)strlen(words[i]));
        if (d < best && d < t->len) {
            best = d;
            snprintf(buf, (size_t)size, " (did you mean '%s'?)", words[i]);
        }
    }
}

/* A token's text for a message: at most 60 characters, "..." marking a cut (a hostile file
 * can hold a name of any length; messages stay one readable line). */
static const char *shown(const struct mlp_token *t, char buf[64])
{
    if (t->len <= 60)
        snprintf(buf, 64, "%.*s", t->len, t->start);
    else
        snprintf(buf, 64, "%.57s...", t->start);
    return buf;
}

static bool is_word(const struct mlp_token *t, const char *w)
{
    return t->kind == TOK_IDENT && t->len == (int)strlen(w) && !memcmp(t->start, w, (size_t)t->len);
}

/* ---- numbers and literals ---- */

/* A non-negative integer token (dimension or index). */
static bool parse_int(struct parser *ps, const char *what, int max, int *out)
{
    if (ps->tok.kind != TOK_NUMBER)
        return expected(ps, what);
    char buf[32];
    long v = -1;
    if (ps->tok.len < (int)sizeof buf) {
        memcpy(buf, ps->tok.start, (size_t)ps->tok.len);
        buf[ps->tok.len] = 0;
        char *end;
        errno = 0;
        v = strtol(buf, &end, 10);
        if (*end || errno)
            v = -1;
    }
    if (v < 0 || v > max)
        return fail_at(ps, ps->tok.loc, "%s must be an integer from 0 to %d, got '%.*s'", what, max,
                       ps->tok.len > 30 ? 30 : ps->tok.len, ps->tok.start);
    *out = (int)v;
    next(ps);
    return true;
}

/* A number token's value; errors for out-of-range values like 1e999. */
static bool number_value(struct parser *ps, const struct mlp_token *t, double *out)
{
    enum mlp_num_status st = mlp_tok_number(t, out);
    if (st == MLP_NUM_LONG)
        return fail_at(ps, t->loc, "number too long");
    if (st == MLP_NUM_RANGE)
        return fail_at(ps, t->loc, "number out of range: %.*s", t->len, t->start);
    return true; /* underflow to 0 or a subnormal is the nearest double: accepted as a value */
}

/* number := ['+'|'-'] NUM ['/' NUM]; writes the value and its text. */
static bool parse_number(struct parser *ps, double *value, mlp_strbuf *text)
{
    bool neg = false;
    if (ps->tok.kind == TOK_MINUS || ps->tok.kind == TOK_PLUS) {
        neg = ps->tok.kind == TOK_MINUS;
        next(ps);
    }
    if (ps->tok.kind != TOK_NUMBER)
        return expected(ps, "a number");
    struct mlp_token num = ps->tok;
    double v;
    if (!number_value(ps, &num, &v))
        return false;
    next(ps);
    if (neg)
        mlp_sb_putc(text, '-');
    mlp_sb_putn(text, num.start, (size_t)num.len);
    if (ps->tok.kind == TOK_SLASH && !ps->in_expr) {
        next(ps);
        struct mlp_token den = ps->tok;
        double d;
        if (den.kind != TOK_NUMBER)
            return expected(ps, "a denominator");
        if (!number_value(ps, &den, &d))
            return false;
        if (d == 0)
            return fail_at(ps, den.loc, "division by zero in a literal");
        next(ps);
        mlp_sb_putc(text, '/');
        mlp_sb_putn(text, den.start, (size_t)den.len);
        v /= d;
        if (isinf(v))
            return fail_at(ps, num.loc, "number out of range: %.*s/%.*s",
                           num.len > 40 ? 40 : num.len, num.start, den.len > 40 ? 40 : den.len,
                           den.start);
    }
    *value = neg ? -v : v;
    return true;
}

void mlp_literal_free(struct mlp_literal *lit)
{
    for (int64_t i = 0; i < lit->n; i++)
        free(lit->texts[i]);
    free(lit->values);
    free(lit->texts);
    memset(lit, 0, sizeof *lit);
}

static bool literal_push(struct parser *ps, struct mlp_literal *lit, double v, char *text)
{
    if (lit->n >= MLP_MAX_ELEMENTS) {
        free(text);
        return fail_at(ps, ps->tok.loc, "literal too large");
    }
    if (lit->n == lit->cap) {
        int64_t cap = lit->cap ? lit->cap * 2 : 16;
        lit->values = mlp_xrealloc(lit->values, (size_t)cap * sizeof *lit->values);
        lit->texts = mlp_xrealloc(lit->texts, (size_t)cap * sizeof *lit->texts);
        lit->cap = cap;
    }
    lit->values[lit->n] = v;
    lit->texts[lit->n++] = text;
    return true;
}

/* One element at nesting `depth`; all lists at a depth must have equal length (dims[depth]) and
 * all numbers must sit at the same depth (*leaf_depth). */
static bool literal_element(struct parser *ps, struct mlp_literal *lit, int depth, int *dims,
                            int *leaf_depth)
{
    if (ps->tok.kind != TOK_LBRACK) {
        if (*leaf_depth >= 0 && *leaf_depth != depth)
            return fail_at(ps, ps->tok.loc, "inconsistent nesting: a number where a list was "
                                            "expected, or the other way round");
        *leaf_depth = depth;
        mlp_strbuf text = {0};
        double v;
        if (!parse_number(ps, &v, &text)) {
            mlp_sb_free(&text);
            return false;
        }
        return literal_push(ps, lit, v, mlp_sb_take(&text));
    }
    mlp_srcloc open = ps->tok.loc;
    if (depth >= MLP_MAX_RANK)
        return fail_at(ps, open, "literal nested deeper than %d levels", MLP_MAX_RANK);
    if (*leaf_depth >= 0 && *leaf_depth <= depth)
        return fail_at(ps, open, "inconsistent nesting: a list where a number was expected");
    next(ps);
    int count = 0;
    if (ps->tok.kind == TOK_RBRACK)
        return fail_at(ps, open, "empty list in a literal");
    do {
        if (ps->tok.kind == TOK_RBRACK) /* trailing comma */
            break;
        if (ps->tok.kind == TOK_EOF)
            return fail_at(ps, open, "'[' is never closed");
        if (!literal_element(ps, lit, depth + 1, dims, leaf_depth))
            return false;
        count++;
    } while (accept(ps, TOK_COMMA));
    if (ps->tok.kind == TOK_EOF)
        return fail_at(ps, open, "'[' is never closed");
    if (!expect(ps, TOK_RBRACK, "',' or ']'"))
        return false;
    if (dims[depth] == 0)
        dims[depth] = count;
    else if (dims[depth] != count)
        return fail_at(ps, open, "ragged literal: this list has %d element%s, an earlier one at the "
                                 "same level has %d", count, count == 1 ? "" : "s", dims[depth]);
    return true;
}

static bool parse_literal(struct parser *ps, struct mlp_literal *lit)
{
    int dims[MLP_MAX_RANK + 1] = {0}, leaf_depth = -1;
    memset(lit, 0, sizeof *lit);
    if (!literal_element(ps, lit, 0, dims, &leaf_depth)) {
        mlp_literal_free(lit);
        return false;
    }
    lit->shape.rank = leaf_depth;
    for (int i = 0; i < leaf_depth; i++)
        lit->shape.dim[i] = dims[i];
    return true;
}

int mlp_literal_fit(const struct mlp_literal *lit, mlp_shape shape, const char *what,
                    double *out, char **texts_out, const char *file, mlp_srcloc loc,
                    mlp_error *err)
{
    int64_t size = mlp_shape_size(shape);
    bool fill = lit->n == 1 && lit->shape.rank == 0;
    if (!fill && !mlp_shape_equal(lit->shape, shape)) {
        char want[64], got[64];
        mlp_shape_format(shape, want);
        mlp_shape_format(lit->shape, got);
        return mlp_fail(err, MLP_ERR_INPUT, file, loc,
                        "%s has shape %s but the literal has shape %s (%lld values)", what, want,
                        got, (long long)lit->n);
    }
    for (int64_t i = 0; i < size; i++) {
        out[i] = lit->values[fill ? 0 : i];
        if (texts_out)
            texts_out[i] = lit->texts[fill ? 0 : i];
    }
    return MLP_OK;
}

int mlp_parse_literal_text(const char *text, const char *where, struct mlp_literal *lit,
                           mlp_error *err)
{
    struct parser ps = {.file = where, .err = err};
    mlp_lex_init(&ps.lx, text);
    next(&ps);
    memset(lit, 0, sizeof *lit);
    if (!parse_literal(&ps, lit))
        goto fail;
    while (ps.tok.kind == TOK_NEWLINE) /* a value read from a file may end with line breaks */
        next(&ps);
    if (ps.tok.kind != TOK_EOF) {
        mlp_literal_free(lit);
        expected(&ps, "end of value");
        goto fail;
    }
    return MLP_OK;
fail:
    if (err && err->line == 1)
        mlp_error_attach_source(err, text);
    return MLP_ERR_INPUT;
}

/* ---- declarations ---- */

/* Turn a building error into the parser's error. */
static mlp_id checked(struct parser *ps, mlp_id id)
{
    if (id == MLP_NONE && ps->g->err.status != MLP_OK && !mlp_failed(ps->err))
        *ps->err = ps->g->err;
    return id;
}

static bool check_new_name(struct parser *ps, const struct mlp_token *t)
{
    if (t->len > MAX_NAME)
        return fail_at(ps, t->loc, "name too long: %d characters (at most %d)", t->len, MAX_NAME);
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (is_word(t, keywords[i]))
            return fail_at(ps, t->loc, "'%s' is a keyword and cannot name a value", keywords[i]);
    if (mlp_op_lookup(t->start, t->len) >= 0)
        return fail_at(ps, t->loc, "'%.*s' is a function and cannot name a value", t->len, t->start);
    int prev = mlp_graph_find(ps->g, t->start, t->len);
    if (prev >= 0) {
        mlp_srcloc at = ps->g->names[prev].loc;
        return fail_at(ps, t->loc, "redefinition of '%.*s' (first defined at line %d, column %d)",
                       t->len, t->start, at.line, at.col);
    }
    return true;
}

/* Optional shape: '[' INT {',' INT} ']'. */
static bool parse_shape(struct parser *ps, mlp_shape *shape)
{
    *shape = mlp_shape_scalar();
    if (!accept(ps, TOK_LBRACK))
        return true;
    int64_t size = 1;
    do {
        if (shape->rank == MLP_MAX_RANK)
            return fail_at(ps, ps->tok.loc, "more than %d dimensions", MLP_MAX_RANK);
        mlp_srcloc at = ps->tok.loc;
        int d;
        if (!parse_int(ps, "a dimension", 1 << 30, &d))
            return false;
        if (d == 0)
            return fail_at(ps, at, "dimensions must be positive");
        size *= d;
        if (size > MLP_MAX_ELEMENTS)
            return fail_at(ps, at, "shape too large: more than %lld elements",
                           (long long)MLP_MAX_ELEMENTS);
        shape->dim[shape->rank++] = d;
    } while (accept(ps, TOK_COMMA));
    return expect(ps, TOK_RBRACK, "',' or ']'");
}

#define INIT_ARG_MAX 1e300

/* `~ NAME [(args)]` for a parameter. */
static bool parse_init(struct parser *ps, struct mlp_init *init)
{
    static const struct {
        const char *name;
        int nargs;
    } inits[] = {
#define MLP_INIT_ROW(id, name, nargs) {name, nargs},
        MLP_INITS(MLP_INIT_ROW)
#undef MLP_INIT_ROW
    };
    struct mlp_token t = ps->tok;
    if (t.kind != TOK_IDENT)
        return expected(ps, "an initialiser (zeros, ones, normal(mean, std), uniform(lo, hi), "
                            "xavier, xavier_normal, he, he_uniform)");
    int kind = -1;
    for (int i = 1; i < MLP_INIT_COUNT; i++)
        if (is_word(&t, inits[i].name))
            kind = i;
    char buf[64];
    if (kind < 0)
        return fail_at(ps, t.loc, "unknown initialiser '%s' (known: zeros, ones, normal, uniform, "
                                  "xavier, xavier_normal, he, he_uniform)", shown(&t, buf));
    next(ps);
    init->kind = (enum mlp_init_kind)kind;
    int nargs = 0;
    if (accept(ps, TOK_LPAREN)) {
        if (ps->tok.kind != TOK_RPAREN) {
            do {
                mlp_strbuf text = {0};
                double v = 0;
                bool ok = parse_number(ps, &v, &text);
                mlp_sb_free(&text);
                if (!ok)
                    return false;
                if (nargs < 2)
                    init->arg[nargs] = v;
                nargs++;
            } while (accept(ps, TOK_COMMA));
        }
        if (!expect(ps, TOK_RPAREN, "',' or ')'"))
            return false;
    }
    if (nargs != inits[kind].nargs)
        return fail_at(ps, t.loc, "%s takes %d argument%s, got %d", inits[kind].name,
                       inits[kind].nargs, inits[kind].nargs == 1 ? "" : "s", nargs);
    /* Bounded arguments keep every drawn value finite: |mean| + 9 std (Box-Muller's normals stay
     * within 8.6) and hi - lo cannot overflow. */
    double a = init->arg[0], b = init->arg[1];
    if (fabs(a) > INIT_ARG_MAX || fabs(b) > INIT_ARG_MAX)
        return fail_at(ps, t.loc, "%s arguments must lie within -1e300 to 1e300",
                       inits[kind].name);
    if (init->kind == MLP_INIT_NORMAL && !(b >= 0))
        return fail_at(ps, t.loc, "normal(mean, std) needs std >= 0");
    if (init->kind == MLP_INIT_UNIFORM && !(a <= b))
        return fail_at(ps, t.loc, "uniform(lo, hi) needs lo <= hi");
    return true;
}

/* The values of a declaration must fit the model's budget; checked before any are allocated. */
static bool values_fit(struct parser *ps, const struct mlp_token *name, mlp_shape shape,
                       mlp_srcloc at)
{
    const mlp_graph *g = ps->g;
    int64_t size = mlp_shape_size(shape);
    if (size <= g->max_values - g->npool)
        return true;
    return fail_at(ps, at, "'%.*s' needs %lld values, but the parameters and constants of a model "
                           "may hold at most %lld in all", name->len, name->start,
                   (long long)size, (long long)g->max_values);
}

/* Check a declaration's literal against its shape and store it, values and texts, straight into
 * the pool: a literal `0` filling a large shape costs no temporary copies. */
static bool store_literal(struct parser *ps, const struct mlp_literal *lit, mlp_id id,
                          const char *name, mlp_srcloc at)
{
    mlp_graph *g = ps->g;
    mlp_shape shape = mlp_node(g, id)->shape;
    if (mlp_literal_fit(lit, shape, name, mlp_node_values(g, id), NULL, ps->file, at, ps->err))
        return false;
    int64_t off = mlp_node(g, id)->data, size = mlp_shape_size(shape);
    for (int64_t i = 0; i < size; i++)
        mlp_pool_set_text(g, off + i, lit->texts[lit->n == 1 ? 0 : i]);
    return true;
}

/* input NAME [shape] | param NAME [shape] (= literal | ~ init) | const NAME [shape] = literal */
static bool declaration(struct parser *ps, mlp_kind kind)
{
    next(ps);
    struct mlp_token name = ps->tok;
    if (name.kind != TOK_IDENT)
        return expected(ps, "a name");
    if (!check_new_name(ps, &name))
        return false;
    next(ps);
    mlp_srcloc shape_at = ps->tok.loc;
    mlp_shape shape;
    if (!parse_shape(ps, &shape) || (kind != MLP_INPUT && !values_fit(ps, &name, shape, shape_at)))
        return false;
    struct mlp_literal lit = {0};
    struct mlp_init init = {MLP_INIT_NONE, {0, 0}};
    mlp_srcloc at = ps->tok.loc;
    if (kind == MLP_PARAM && accept(ps, TOK_TILDE)) {
        if (!parse_init(ps, &init))
            return false;
    } else if (kind != MLP_INPUT) {
        if (ps->tok.kind != TOK_ASSIGN)
            return expected(ps, kind == MLP_PARAM ? "'= value' or '~ initialiser'" : "'= value'");
        next(ps);
        at = ps->tok.loc;
        if (!parse_literal(ps, &lit))
            return false;
    }
    char *text = mlp_xstrndup(name.start, (size_t)name.len);
    mlp_id id = checked(ps, mlp_graph_declare(ps->g, kind, text, shape, NULL, NULL, name.loc));
    bool ok = id != MLP_NONE && (lit.n == 0 || store_literal(ps, &lit, id, text, at));
    if (ok && kind == MLP_PARAM)
        ps->g->names[ps->g->nnames - 1].init = init;
    mlp_literal_free(&lit);
    free(text);
    return ok;
}

/* ---- expressions ---- */

static mlp_id expr(struct parser *ps);

/* Build through the graph with location and source span set, so errors point at the code. */
static void set_context(struct parser *ps, mlp_srcloc loc, const char *span_start)
{
    ps->g->loc = loc;
    ps->g->ctx = span_start;
    ps->g->ctxlen = (int)(ps->prev_end - span_start);
}

static mlp_id literal_const(struct parser *ps)
{
    struct mlp_literal lit;
    mlp_srcloc at = ps->tok.loc;
    const char *start = ps->tok.start;
    if (!parse_literal(ps, &lit))
        return MLP_NONE;
    set_context(ps, at, start);
    mlp_id id = checked(ps, mlp_const(ps->g, lit.shape, lit.values));
    if (id != MLP_NONE)
        for (int64_t i = 0; i < lit.n; i++)
            mlp_pool_set_text(ps->g, mlp_node(ps->g, id)->data + i, lit.texts[i]);
    mlp_literal_free(&lit);
    return id;
}

/* '[' INT {',' INT} ']' after a value or in unindex(...): index positions. */
static bool parse_indices(struct parser *ps, int32_t *idx, int *nidx)
{
    *nidx = 0;
    do {
        if (*nidx == MLP_MAX_RANK)
            return fail_at(ps, ps->tok.loc, "more than %d indices", MLP_MAX_RANK);
        int v;
        if (!parse_int(ps, "an index", MAX_INDEX, &v))
            return false;
        idx[(*nidx)++] = v;
    } while (accept(ps, TOK_COMMA));
    return true;
}

/* "1 argument", "1 or 2 arguments", "1 to 4 arguments", "at most 64 arguments". */
static void arg_count(const struct mlp_op_info *info, int arity, char *buf, size_t size)
{
    int least = info->min_args ? info->min_args : arity, most = info->max_args ? info->max_args : arity;
    if (least == most)
        snprintf(buf, size, "%d argument%s", most, most == 1 ? "" : "s");
    else if (most == MLP_MAX_CALL_ARGS)
        snprintf(buf, size, "%d to %d arguments", least, most);
    else
        snprintf(buf, size, "%d %s %d arguments", least, most == least + 1 ? "or" : "to", most);
}

static bool too_many_args(struct parser *ps, int op)
{
    char count[64];
    arg_count(mlp_op(op), mlp_op_arity(op), count, sizeof count);
    return fail_at(ps, ps->tok.loc, "%s takes %s", mlp_op_name(op), count);
}

/* An omitted operand: the constant its entry gives, keeping the literal's text (exact verify). */
static mlp_id default_arg(struct parser *ps, const char *text)
{
    mlp_id id = checked(ps, mlp_scalar(ps->g, strtod(text, NULL)));
    if (id != MLP_NONE)
        mlp_pool_set_text(ps->g, mlp_node(ps->g, id)->data, text);
    return id;
}

/* What the op's entry says follows the operands: a shape, indices, or a range (into attr). */
static bool call_extra(struct parser *ps, enum mlp_call_extra extra, mlp_shape *target,
                       int32_t attr[MLP_MAX_ATTR])
{
    if (extra == MLP_EXTRA_NONE)
        return true;
    if (extra == MLP_EXTRA_RANGE) {
        int start, stop;
        if (!expect(ps, TOK_COMMA, "',' and a start") || !parse_int(ps, "a start", MAX_INDEX, &start) ||
            !expect(ps, TOK_COMMA, "',' and a stop") || !parse_int(ps, "a stop", MAX_INDEX, &stop))
            return false;
        attr[0] = start;
        attr[1] = stop;
        return true;
    }
    if (!expect(ps, TOK_COMMA, "',' and a shape") || !parse_shape(ps, target))
        return false;
    if (extra != MLP_EXTRA_SHAPE_INDICES)
        return true;
    int32_t idx[MLP_MAX_RANK];
    int nidx = 0;
    if (!expect(ps, TOK_COMMA, "',' and indices") || !parse_indices(ps, idx, &nidx))
        return false;
    attr[0] = nidx;
    for (int i = 0; i < nidx && i < MLP_MAX_ATTR - 1; i++)
        attr[1 + i] = idx[i];
    return true;
}

/* name(args): ops callable by name. Their entries say how many operands a call writes, the
 * defaults of those it may omit, what follows them, and how the node is built. */
static mlp_id call(struct parser *ps, struct mlp_token fn, const char *start)
{
    int op = mlp_op_lookup(fn.start, fn.len);
    const struct mlp_op_info *info = op >= 0 ? mlp_op(op) : NULL;
    if (!info || info->syntax == MLP_SYNTAX_LEAF || info->syntax == MLP_SYNTAX_INDEX) {
        const char *names[MLP_OP_COUNT];
        for (int i = 0; i < MLP_OP_COUNT; i++)
            names[i] = mlp_op_name(i);
        char hint[64], buf[64];
        suggest(&fn, names, MLP_OP_COUNT, hint, sizeof hint);
        fail_at(ps, fn.loc, "unknown function '%s'%s", shown(&fn, buf), hint);
        return MLP_NONE;
    }
    next(ps); /* '(' */
    int arity = mlp_op_arity(op);
    int least = info->min_args ? info->min_args : arity, most = info->max_args ? info->max_args : arity;
    mlp_id args[MLP_MAX_CALL_ARGS];
    int nargs = 0;
    if (ps->tok.kind != TOK_RPAREN) {
        do {
            args[nargs] = expr(ps);
            if (args[nargs++] == MLP_NONE)
                return MLP_NONE;
        } while (nargs < most && accept(ps, TOK_COMMA));
    }
    if (nargs < least) {
        expected(ps, "another argument");
        return MLP_NONE;
    }
    if (info->extra == MLP_EXTRA_NONE && ps->tok.kind == TOK_COMMA) {
        too_many_args(ps, op);
        return MLP_NONE;
    }
    mlp_shape target = mlp_shape_scalar();
    int32_t attr[MLP_MAX_ATTR] = {0};
    if (!call_extra(ps, info->extra, &target, attr) || !expect(ps, TOK_RPAREN, "')'"))
        return MLP_NONE;
    set_context(ps, fn.loc, start);
    for (; nargs < arity; nargs++)
        if ((args[nargs] = default_arg(ps, info->defaults[nargs])) == MLP_NONE)
            return MLP_NONE;
    if (info->call)
        return checked(ps, info->call(ps->g, (enum mlp_op)op, args, nargs));
    return checked(ps, mlp_build(ps->g, (enum mlp_op)op, args, attr, target));
}

/* Line of a later statement or declaration that defines the name, or 0. */
static int defined_later(const struct parser *ps, const struct mlp_token *t)
{
    struct mlp_lexer lx = ps->lx;
    int line = 0;
    bool line_start = true;
    for (struct mlp_token k = mlp_lex_next(&lx); k.kind != TOK_EOF; k = mlp_lex_next(&lx)) {
        if (k.kind == TOK_NEWLINE) {
            line_start = true;
            continue;
        }
        bool decl = is_word(&k, "input") || is_word(&k, "param") || is_word(&k, "const");
        if (line_start && decl)
            continue;
        if (line_start && k.len == t->len && !memcmp(k.start, t->start, (size_t)t->len)) {
            line = k.loc.line;
            break;
        }
        line_start = false;
    }
    return line;
}

static void unknown_name(struct parser *ps, const struct mlp_token *t)
{
    const struct mlp_token *d = &ps->defining;
    int later = defined_later(ps, t);
    char buf[64];
    if (mlp_op_lookup(t->start, t->len) >= 0) {
        fail_at(ps, t->loc, "'%.*s' is a function: call it as %.*s(...)", t->len, t->start,
                t->len, t->start);
    } else if (d->len == t->len && !memcmp(d->start, t->start, (size_t)t->len)) {
        fail_at(ps, t->loc, "'%.*s' is used in its own definition (a model is a graph without "
                            "cycles: a statement can only use names defined before it)",
                t->len, t->start);
    } else if (later) {
        fail_at(ps, t->loc, "'%s' is used before its definition on line %d (a statement can "
                            "only use names defined before it)", shown(t, buf), later);
    } else {
        const char **names = mlp_xmalloc((size_t)(ps->g->nnames + 1) * sizeof *names);
        for (int i = 0; i < ps->g->nnames; i++)
            names[i] = ps->g->names[i].text;
        char hint[300];
        suggest(t, names, ps->g->nnames, hint, sizeof hint);
        free(names);
        fail_at(ps, t->loc, "unknown name '%s'%s", shown(t, buf), hint);
    }
}

static mlp_id primary(struct parser *ps)
{
    struct mlp_token t = ps->tok;
    const char *start = t.start;
    if (t.kind == TOK_NUMBER || t.kind == TOK_LBRACK)
        return literal_const(ps);
    if (accept(ps, TOK_LPAREN)) {
        mlp_id e = expr(ps);
        if (e != MLP_NONE && ps->tok.kind == TOK_EOF) {
            fail_at(ps, t.loc, "'(' is never closed");
            return MLP_NONE;
        }
        if (e != MLP_NONE && !expect(ps, TOK_RPAREN, "')'"))
            return MLP_NONE;
        return e;
    }
    if (t.kind != TOK_IDENT) {
        expected(ps, "a value");
        return MLP_NONE;
    }
    next(ps);
    if (ps->tok.kind == TOK_LPAREN)
        return call(ps, t, start);
    int nm = mlp_graph_find(ps->g, t.start, t.len);
    if (nm < 0) {
        unknown_name(ps, &t);
        return MLP_NONE;
    }
    return ps->g->names[nm].node;
}

/* primary { '[' indices ']' | '.T' } */
static mlp_id postfix(struct parser *ps)
{
    const char *start = ps->tok.start;
    mlp_id e = primary(ps);
    while (e != MLP_NONE) {
        mlp_srcloc at = ps->tok.loc;
        if (accept(ps, TOK_LBRACK)) {
            int32_t idx[MLP_MAX_RANK];
            int nidx;
            if (!parse_indices(ps, idx, &nidx) || !expect(ps, TOK_RBRACK, "',' or ']'"))
                return MLP_NONE;
            set_context(ps, at, start);
            e = checked(ps, mlp_index(ps->g, e, idx, nidx));
        } else if (accept(ps, TOK_DOT)) {
            if (!is_word(&ps->tok, "T")) {
                expected(ps, "'T' (transpose) after '.'");
                return MLP_NONE;
            }
            next(ps);
            set_context(ps, at, start);
            e = checked(ps, mlp_transpose(ps->g, e));
        } else {
            break;
        }
    }
    return e;
}

/* Enter one level of nesting; false (with the error) beyond MAX_NESTING. */
static bool enter(struct parser *ps)
{
    if (ps->depth < MAX_NESTING) {
        ps->depth++;
        return true;
    }
    return fail_at(ps, ps->tok.loc, "expression nested too deeply (more than %d levels of "
                                    "parentheses, function calls and signs)", MAX_NESTING);
}

/* ['-' | '+'] unary | postfix */
static mlp_id unary(struct parser *ps)
{
    struct mlp_token t = ps->tok;
    if (t.kind != TOK_MINUS && t.kind != TOK_PLUS)
        return postfix(ps);
    if (!enter(ps))
        return MLP_NONE;
    next(ps);
    mlp_id e = unary(ps);
    ps->depth--;
    if (t.kind == TOK_PLUS)
        return e;
    set_context(ps, t.loc, t.start);
    return checked(ps, mlp_neg(ps->g, e));
}

/* Left-associative binary levels, as in Python: {* / @} binds tighter than {+ -}. */
static mlp_id binary(struct parser *ps, int level)
{
    const char *start = ps->tok.start;
    mlp_id left = level == MLP_PREC_MUL ? unary(ps) : binary(ps, MLP_PREC_MUL);
    for (;;) {
        struct mlp_token t = ps->tok;
        enum mlp_op op;
        if (level == MLP_PREC_ADD && t.kind == TOK_PLUS)
            op = MLP_OP_ADD;
        else if (level == MLP_PREC_ADD && t.kind == TOK_MINUS)
            op = MLP_OP_SUB;
        else if (level == MLP_PREC_MUL && t.kind == TOK_STAR)
            op = MLP_OP_MUL;
        else if (level == MLP_PREC_MUL && t.kind == TOK_SLASH)
            op = MLP_OP_DIV;
        else if (level == MLP_PREC_MUL && t.kind == TOK_AT)
            op = MLP_OP_MATMUL;
        else
            return left;
        if (left == MLP_NONE)
            return MLP_NONE;
        next(ps);
        mlp_id right = level == MLP_PREC_MUL ? unary(ps) : binary(ps, MLP_PREC_MUL);
        if (right == MLP_NONE)
            return MLP_NONE;
        set_context(ps, t.loc, start);
        mlp_id in[2] = {left, right};
        left = checked(ps, mlp_build(ps->g, op, in, NULL, mlp_shape_scalar()));
    }
}

static mlp_id expr(struct parser *ps)
{
    if (!enter(ps))
        return MLP_NONE;
    bool outer = ps->in_expr;
    ps->in_expr = true;
    mlp_id e = binary(ps, MLP_PREC_ADD);
    ps->in_expr = outer;
    ps->depth--;
    return e;
}

/* ---- statements ---- */

static bool assignment(struct parser *ps)
{
    struct mlp_token name = ps->tok;
    if (!check_new_name(ps, &name))
        return false;
    next(ps);
    if (!expect(ps, TOK_ASSIGN, "'=' (a statement is NAME = EXPRESSION)"))
        return false;
    ps->defining = name;
    mlp_id e = expr(ps);
    ps->defining.len = 0;
    if (e == MLP_NONE)
        return false;
    char *text = mlp_xstrndup(name.start, (size_t)name.len);
    mlp_graph_define(ps->g, text, e, name.loc);
    free(text);
    return true;
}

/* The name a marker statement refers to; it must exist. */
static int marked_name(struct parser *ps, const char *what)
{
    struct mlp_token t = ps->tok;
    if (t.kind != TOK_IDENT) {
        expected(ps, what);
        return -1;
    }
    int nm = mlp_graph_find(ps->g, t.start, t.len);
    char buf[64];
    if (nm < 0)
        fail_at(ps, t.loc, "unknown name '%s'", shown(&t, buf));
    else
        next(ps);
    return nm;
}

static bool output_statement(struct parser *ps)
{
    mlp_graph *g = ps->g;
    next(ps);
    do {
        mlp_srcloc at = ps->tok.loc;
        int nm = marked_name(ps, "a name to output");
        if (nm < 0)
            return false;
        int old_cap = ps->cap_is_output;
        mlp_xreserve(&ps->is_output, &ps->cap_is_output, g->nnames, sizeof *ps->is_output);
        memset(ps->is_output + old_cap, 0, (size_t)(ps->cap_is_output - old_cap));
        if (ps->is_output[nm])
            return fail_at(ps, at, "'%s' is already an output", g->names[nm].text);
        ps->is_output[nm] = true;
        mlp_xreserve(&g->outputs, &g->capoutputs, g->noutputs + 1, sizeof *g->outputs);
        g->outputs[g->noutputs++] = nm;
    } while (accept(ps, TOK_COMMA));
    return true;
}

static bool loss_statement(struct parser *ps)
{
    mlp_graph *g = ps->g;
    next(ps);
    mlp_srcloc at = ps->tok.loc;
    int nm = marked_name(ps, "the name of the loss");
    if (nm < 0)
        return false;
    if (g->loss >= 0)
        return fail_at(ps, at, "a model has at most one loss; '%s' is already the loss",
                       g->names[g->loss].text);
    mlp_shape s = mlp_node(g, g->names[nm].node)->shape;
    if (s.rank != 0) {
        char buf[64];
        mlp_shape_format(s, buf);
        return fail_at(ps, at, "the loss must be a scalar per sample, but '%s' has shape %s "
                               "(reduce it with sum, mean or sumsq)", g->names[nm].text, buf);
    }
    g->loss = nm;
    return true;
}

static bool statement(struct parser *ps)
{
    const struct mlp_token *t = &ps->tok;
    if (t->kind != TOK_IDENT)
        return expected(ps, "a statement (input, param, const, output, loss or NAME = ...)");
    if (is_word(t, "input"))
        return declaration(ps, MLP_INPUT);
    if (is_word(t, "param"))
        return declaration(ps, MLP_PARAM);
    if (is_word(t, "const"))
        return declaration(ps, MLP_CONST);
    if (is_word(t, "output"))
        return output_statement(ps);
    if (is_word(t, "loss"))
        return loss_statement(ps);
    return assignment(ps);
}

mlp_graph *mlp_parse_model(const char *text, size_t len, const char *file, mlp_error *err)
{
    return mlp_parse_model_budget(text, len, file, MLP_MAX_MODEL_VALUES, err);
}

mlp_graph *mlp_parse_model_budget(const char *text, size_t len, const char *file,
                                  int64_t max_values, mlp_error *err)
{
    mlp_error local;
    if (!err)
        err = &local;
    mlp_error_clear(err);
    if (strlen(text) != len) {
        struct mlp_lexer lx;
        mlp_lex_init(&lx, text);
        while (*lx.p)
            mlp_lex_next(&lx);
        mlp_fail(err, MLP_ERR_INPUT, file, lx.loc, "the file contains a NUL byte (not a text file?)");
        return NULL;
    }
    if (len >= 3 && !memcmp(text, UTF8_BOM, 3)) { /* some editors start files with one */
        text += 3;
        len -= 3;
    }
    struct parser ps = {.file = file, .err = err};
    ps.g = mlp_graph_new(file);
    ps.g->max_values = max_values;
    mlp_lex_init(&ps.lx, text);
    next(&ps);
    while (ps.tok.kind != TOK_EOF) {
        if (accept(&ps, TOK_NEWLINE))
            continue;
        ps.g->ctx = NULL;
        if (!statement(&ps))
            break;
        if (ps.tok.kind != TOK_NEWLINE && ps.tok.kind != TOK_EOF) {
            expected(&ps, "end of line");
            break;
        }
    }
    ps.g->ctx = NULL;
    free(ps.is_output);
    if (mlp_failed(err)) {
        mlp_error_attach_source(err, text);
        mlp_graph_free(ps.g);
        return NULL;
    }
    ps.g->loc = MLP_NOLOC;
    return ps.g;
}

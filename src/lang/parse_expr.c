/* parse_expr.c - expressions of the model language: operators at their precedence and calls,
 * each built through the smart constructors. Which ops exist, how they are written and what
 * their calls take come from the op table. */
#include "lang/parse_internal.h"
#include "base/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- expressions ---- */

mlp_id ps_expr(struct parser *ps);

/* Build through the graph with location and source span set, so errors point at the code. */
void ps_set_context(struct parser *ps, mlp_srcloc loc, const char *span_start)
{
    ps->g->loc = loc;
    ps->g->ctx = span_start;
    ps->g->ctxlen = (int)(ps->cur.prev_end - span_start);
}

static mlp_id literal_const(struct parser *ps)
{
    struct mlp_literal lit;
    mlp_srcloc at = ps->cur.tok.loc;
    const char *start = ps->cur.tok.start;
    if (!ps_literal(ps, &lit))
        return MLP_NONE;
    ps_set_context(ps, at, start);
    mlp_id id = ps_checked(ps, mlp_const(ps->g, lit.shape, lit.values));
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
            return ps_fail(ps, ps->cur.tok.loc, "more than %d indices", MLP_MAX_RANK);
        int v;
        if (!ps_int(ps, "an index", 0, MAX_INDEX, &v))
            return false;
        idx[(*nidx)++] = v;
    } while (mlp_cursor_accept(&ps->cur, TOK_COMMA));
    return true;
}

/* "1 argument", "1 or 2 arguments", "1 to 4 arguments", "at most 64 arguments". */
static void arg_count(const struct mlp_op_info *info, int arity, char *buf, size_t size)
{
    int least = info->min_args ? info->min_args : arity;
    int most = info->max_args ? info->max_args : arity;
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
    return ps_fail(ps, ps->cur.tok.loc, "%s takes %s", mlp_op_name(op), count);
}

/* An omitted operand: the constant its entry gives, keeping the literal's text (exact verify). */
static mlp_id default_arg(struct parser *ps, const char *text)
{
    mlp_id id = ps_checked(ps, mlp_scalar(ps->g, strtod(text, NULL)));
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
        if (!ps_expect(ps, TOK_COMMA, "',' and a start") ||
            !ps_int(ps, "a start", 0, MAX_INDEX, &start) ||
            !ps_expect(ps, TOK_COMMA, "',' and a stop") || !ps_int(ps, "a stop", 0, MAX_INDEX, &stop))
            return false;
        attr[0] = start;
        attr[1] = stop;
        return true;
    }
    if (!ps_expect(ps, TOK_COMMA, "',' and a shape") || !ps_shape(ps, target))
        return false;
    if (extra != MLP_EXTRA_SHAPE_INDICES)
        return true;
    int32_t idx[MLP_MAX_RANK];
    int nidx = 0;
    if (!ps_expect(ps, TOK_COMMA, "',' and indices") || !parse_indices(ps, idx, &nidx))
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
        int n = 0;
        for (int i = 0; i < MLP_OP_COUNT; i++) /* only what a call can name */
            if (mlp_op(i)->syntax != MLP_SYNTAX_LEAF && mlp_op(i)->syntax != MLP_SYNTAX_INDEX)
                names[n++] = mlp_op_name(i);
        char hint[64], buf[64];
        mlp_tok_suggest(&fn, names, n, hint, sizeof hint);
        ps_fail(ps, fn.loc, "unknown function '%s'%s", mlp_tok_shown(&fn, buf), hint);
        return MLP_NONE;
    }
    mlp_cursor_next(&ps->cur); /* '(' */
    int arity = mlp_op_arity(op);
    int least = info->min_args ? info->min_args : arity;
    int most = info->max_args ? info->max_args : arity;
    mlp_id args[MLP_MAX_CALL_ARGS];
    int nargs = 0;
    if (ps->cur.tok.kind != TOK_RPAREN) {
        do {
            args[nargs] = ps_expr(ps);
            if (args[nargs++] == MLP_NONE)
                return MLP_NONE;
        } while (nargs < most && mlp_cursor_accept(&ps->cur, TOK_COMMA));
    }
    if (nargs < least) {
        ps_expected(ps, "another argument");
        return MLP_NONE;
    }
    if (info->extra == MLP_EXTRA_NONE && ps->cur.tok.kind == TOK_COMMA) {
        too_many_args(ps, op);
        return MLP_NONE;
    }
    mlp_shape target = mlp_shape_scalar();
    int32_t attr[MLP_MAX_ATTR] = {0};
    if (!call_extra(ps, info->extra, &target, attr) || !ps_expect(ps, TOK_RPAREN, "')'"))
        return MLP_NONE;
    ps_set_context(ps, fn.loc, start);
    for (; nargs < arity; nargs++)
        if ((args[nargs] = default_arg(ps, info->defaults[nargs])) == MLP_NONE)
            return MLP_NONE;
    if (info->call)
        return ps_checked(ps, info->call(ps->g, (enum mlp_op)op, args, nargs));
    return ps_checked(ps, mlp_build(ps->g, (enum mlp_op)op, args, attr, target));
}

/* Line of a later statement or declaration that defines the name, or 0. */
static int defined_later(const struct parser *ps, const struct mlp_token *t)
{
    struct mlp_lexer lx = ps->cur.lx;
    int line = 0;
    bool line_start = true;
    for (struct mlp_token k = mlp_lex_next(&lx); k.kind != TOK_EOF; k = mlp_lex_next(&lx)) {
        if (k.kind == TOK_NEWLINE) {
            line_start = true;
            continue;
        }
        bool decl = mlp_tok_is_word(&k, "input") || mlp_tok_is_word(&k, "param") || mlp_tok_is_word(&k, "const");
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
        ps_fail(ps, t->loc, "'%.*s' is a function: call it as %.*s(...)", t->len, t->start,
                t->len, t->start);
    } else if (d->len == t->len && !memcmp(d->start, t->start, (size_t)t->len)) {
        ps_fail(ps, t->loc, "'%.*s' is used in its own definition (a model is a graph without "
                            "cycles: a statement can only use names defined before it)",
                t->len, t->start);
    } else if (later) {
        ps_fail(ps, t->loc, "'%s' is used before its definition on line %d (a statement can "
                            "only use names defined before it)", mlp_tok_shown(t, buf), later);
    } else {
        const char **names = mlp_xmalloc((size_t)(ps->g->nnames + 1) * sizeof *names);
        for (int i = 0; i < ps->g->nnames; i++)
            names[i] = ps->g->names[i].text;
        char hint[300];
        mlp_tok_suggest(t, names, ps->g->nnames, hint, sizeof hint);
        free(names);
        ps_fail(ps, t->loc, "unknown name '%s'%s", mlp_tok_shown(t, buf), hint);
    }
}

static mlp_id primary(struct parser *ps)
{
    struct mlp_token t = ps->cur.tok;
    const char *start = t.start;
    if (t.kind == TOK_NUMBER || t.kind == TOK_LBRACK)
        return literal_const(ps);
    if (mlp_cursor_accept(&ps->cur, TOK_LPAREN)) {
        mlp_id e = ps_expr(ps);
        if (e != MLP_NONE && ps->cur.tok.kind == TOK_EOF) {
            ps_fail(ps, t.loc, "'(' is never closed");
            return MLP_NONE;
        }
        if (e != MLP_NONE && !ps_expect(ps, TOK_RPAREN, "')'"))
            return MLP_NONE;
        return e;
    }
    if (t.kind != TOK_IDENT) {
        ps_expected(ps, "a value");
        return MLP_NONE;
    }
    mlp_cursor_next(&ps->cur);
    if (ps->cur.tok.kind == TOK_LPAREN)
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
    const char *start = ps->cur.tok.start;
    mlp_id e = primary(ps);
    while (e != MLP_NONE) {
        mlp_srcloc at = ps->cur.tok.loc;
        if (mlp_cursor_accept(&ps->cur, TOK_LBRACK)) {
            int32_t idx[MLP_MAX_RANK];
            int nidx;
            if (!parse_indices(ps, idx, &nidx) || !ps_expect(ps, TOK_RBRACK, "',' or ']'"))
                return MLP_NONE;
            ps_set_context(ps, at, start);
            e = ps_checked(ps, mlp_index(ps->g, e, idx, nidx));
        } else if (mlp_cursor_accept(&ps->cur, TOK_DOT)) {
            if (!mlp_tok_is_word(&ps->cur.tok, "T")) {
                ps_expected(ps, "'T' (transpose) after '.'");
                return MLP_NONE;
            }
            mlp_cursor_next(&ps->cur);
            ps_set_context(ps, at, start);
            e = ps_checked(ps, mlp_unary(ps->g, (enum mlp_op)mlp_op_of_syntax(MLP_SYNTAX_T), e));
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
    return ps_fail(ps, ps->cur.tok.loc, "expression nested too deeply (more than %d levels of "
                                    "parentheses, function calls and signs)", MAX_NESTING);
}

/* ['-' | '+'] unary | postfix */
static mlp_id unary(struct parser *ps)
{
    struct mlp_token t = ps->cur.tok;
    if (t.kind != TOK_MINUS && t.kind != TOK_PLUS)
        return postfix(ps);
    if (!enter(ps))
        return MLP_NONE;
    mlp_cursor_next(&ps->cur);
    mlp_id e = unary(ps);
    ps->depth--;
    if (t.kind == TOK_PLUS)
        return e;
    ps_set_context(ps, t.loc, t.start);
    return ps_checked(ps, mlp_unary(ps->g, (enum mlp_op)mlp_op_of_syntax(MLP_SYNTAX_PREFIX), e));
}

/* Left-associative binary levels, as in Python: {* / @} binds tighter than {+ -}. */
static mlp_id binary(struct parser *ps, int level)
{
    const char *start = ps->cur.tok.start;
    mlp_id left = level == MLP_PREC_MUL ? unary(ps) : binary(ps, MLP_PREC_MUL);
    for (;;) {
        struct mlp_token t = ps->cur.tok;
        /* The op written with this symbol at this level, as the op table says. */
        int op = t.kind == TOK_IDENT || t.kind == TOK_NUMBER ? -1 : mlp_op_infix(t.start, t.len, level);
        if (op < 0)
            return left;
        if (left == MLP_NONE)
            return MLP_NONE;
        mlp_cursor_next(&ps->cur);
        mlp_id right = level == MLP_PREC_MUL ? unary(ps) : binary(ps, MLP_PREC_MUL);
        if (right == MLP_NONE)
            return MLP_NONE;
        ps_set_context(ps, t.loc, start);
        mlp_id in[2] = {left, right};
        left = ps_checked(ps, mlp_build(ps->g, (enum mlp_op)op, in, NULL, mlp_shape_scalar()));
    }
}

mlp_id ps_expr(struct parser *ps)
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


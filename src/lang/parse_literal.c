/* parse_literal.c - numbers (with exact fractions p/q), nested-list literals and shapes of the
 * model language, also read on their own for --set values. */
#include "lang/parse_internal.h"
#include "base/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers and literals ---- */

/* An integer token from min to max (a dimension, from 1; an index, from 0). */
bool ps_int(struct parser *ps, const char *what, int min, int max, int *out)
{
    if (ps->cur.tok.kind != TOK_NUMBER)
        return ps_expected(ps, what);
    char buf[32];
    long v = -1;
    if (ps->cur.tok.len < (int)sizeof buf) {
        memcpy(buf, ps->cur.tok.start, (size_t)ps->cur.tok.len);
        buf[ps->cur.tok.len] = 0;
        char *end;
        errno = 0;
        v = strtol(buf, &end, 10);
        if (*end || errno)
            v = -1;
    }
    if (v < min || v > max)
        return ps_fail(ps, ps->cur.tok.loc, "%s must be an integer from %d to %d, got '%.*s'", what, min, max,
                       ps->cur.tok.len > 30 ? 30 : ps->cur.tok.len, ps->cur.tok.start);
    *out = (int)v;
    mlp_cursor_next(&ps->cur);
    return true;
}

/* A number token's value; errors for out-of-range values like 1e999. */
static bool number_value(struct parser *ps, const struct mlp_token *t, double *out)
{
    enum mlp_num_status st = mlp_tok_number(t, out);
    if (st == MLP_NUM_LONG)
        return ps_fail(ps, t->loc, "number too long");
    if (st == MLP_NUM_RANGE)
        return ps_fail(ps, t->loc, "number out of range: %.*s", t->len, t->start);
    return true; /* underflow to 0 or a subnormal is the nearest double: accepted as a value */
}

/* number := ['+'|'-'] NUM ['/' NUM]; writes the value and its text. */
bool ps_number(struct parser *ps, double *value, mlp_strbuf *text)
{
    bool neg = false;
    if (ps->cur.tok.kind == TOK_MINUS || ps->cur.tok.kind == TOK_PLUS) {
        neg = ps->cur.tok.kind == TOK_MINUS;
        mlp_cursor_next(&ps->cur);
    }
    if (ps->cur.tok.kind != TOK_NUMBER)
        return ps_expected(ps, "a number");
    struct mlp_token num = ps->cur.tok;
    double v;
    if (!number_value(ps, &num, &v))
        return false;
    mlp_cursor_next(&ps->cur);
    if (neg)
        mlp_sb_putc(text, '-');
    mlp_sb_putn(text, num.start, (size_t)num.len);
    if (ps->cur.tok.kind == TOK_SLASH && !ps->in_expr) {
        mlp_cursor_next(&ps->cur);
        struct mlp_token den = ps->cur.tok;
        double d;
        if (den.kind != TOK_NUMBER)
            return ps_expected(ps, "a denominator");
        if (!number_value(ps, &den, &d))
            return false;
        if (d == 0)
            return ps_fail(ps, den.loc, "division by zero in a literal");
        mlp_cursor_next(&ps->cur);
        mlp_sb_putc(text, '/');
        mlp_sb_putn(text, den.start, (size_t)den.len);
        v /= d;
        if (isinf(v))
            return ps_fail(ps, num.loc, "number out of range: %.*s/%.*s",
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
        return ps_fail(ps, ps->cur.tok.loc, "literal too large");
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
    if (ps->cur.tok.kind != TOK_LBRACK) {
        if (*leaf_depth >= 0 && *leaf_depth != depth)
            return ps_fail(ps, ps->cur.tok.loc, "inconsistent nesting: a number where a list was "
                                            "expected, or the other way round");
        *leaf_depth = depth;
        mlp_strbuf text = {0};
        double v;
        if (!ps_number(ps, &v, &text)) {
            mlp_sb_free(&text);
            return false;
        }
        return literal_push(ps, lit, v, mlp_sb_take(&text));
    }
    mlp_srcloc open = ps->cur.tok.loc;
    if (depth >= MLP_MAX_RANK)
        return ps_fail(ps, open, "literal nested deeper than %d levels", MLP_MAX_RANK);
    if (*leaf_depth >= 0 && *leaf_depth <= depth)
        return ps_fail(ps, open, "inconsistent nesting: a list where a number was expected");
    mlp_cursor_next(&ps->cur);
    int count = 0;
    if (ps->cur.tok.kind == TOK_RBRACK)
        return ps_fail(ps, open, "empty list in a literal");
    do {
        if (ps->cur.tok.kind == TOK_RBRACK) /* trailing comma */
            break;
        if (ps->cur.tok.kind == TOK_EOF)
            return ps_fail(ps, open, "'[' is never closed");
        if (!literal_element(ps, lit, depth + 1, dims, leaf_depth))
            return false;
        count++;
    } while (mlp_cursor_accept(&ps->cur, TOK_COMMA));
    if (ps->cur.tok.kind == TOK_EOF)
        return ps_fail(ps, open, "'[' is never closed");
    if (!ps_expect(ps, TOK_RBRACK, "',' or ']'"))
        return false;
    if (dims[depth] == 0)
        dims[depth] = count;
    else if (dims[depth] != count)
        return ps_fail(ps, open, "ragged literal: this list has %d element%s, an earlier one at the "
                                 "same level has %d", count, count == 1 ? "" : "s", dims[depth]);
    return true;
}

bool ps_literal(struct parser *ps, struct mlp_literal *lit)
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
    mlp_cursor_init(&ps.cur, text);
    memset(lit, 0, sizeof *lit);
    if (!ps_literal(&ps, lit))
        goto fail;
    while (ps.cur.tok.kind == TOK_NEWLINE) /* a value read from a file may end with line breaks */
        mlp_cursor_next(&ps.cur);
    if (ps.cur.tok.kind != TOK_EOF) {
        mlp_literal_free(lit);
        ps_expected(&ps, "end of value");
        goto fail;
    }
    return MLP_OK;
fail:
    if (err && err->line == 1)
        mlp_error_attach_source(err, text);
    return MLP_ERR_INPUT;
}

/* Optional shape: '[' INT {',' INT} ']'. */
bool ps_shape(struct parser *ps, mlp_shape *shape)
{
    *shape = mlp_shape_scalar();
    if (!mlp_cursor_accept(&ps->cur, TOK_LBRACK))
        return true;
    int64_t size = 1;
    do {
        if (shape->rank == MLP_MAX_RANK)
            return ps_fail(ps, ps->cur.tok.loc, "more than %d dimensions", MLP_MAX_RANK);
        mlp_srcloc at = ps->cur.tok.loc;
        int d;
        if (!ps_int(ps, "a dimension", 1, MLP_MAX_COUNT, &d))
            return false;
        size *= d;
        if (size > MLP_MAX_ELEMENTS)
            return ps_fail(ps, at, "shape too large: more than %lld elements",
                           (long long)MLP_MAX_ELEMENTS);
        shape->dim[shape->rank++] = d;
    } while (mlp_cursor_accept(&ps->cur, TOK_COMMA));
    return ps_expect(ps, TOK_RBRACK, "',' or ']'");
}


/* parse_internal.h - the model parser's state and the parts its files share: messages and
 * tokens (parser.c), numbers, literals and shapes (parse_literal.c), expressions
 * (parse_expr.c). Not for use outside src/lang. */
#ifndef MLP_LANG_PARSE_INTERNAL_H
#define MLP_LANG_PARSE_INTERNAL_H

#include "lang/parser.h"
#include "lang/tokens.h"
#include "base/mem.h"
#include "base/strbuf.h"

struct parser {
    struct mlp_cursor cur; /* the current token, and where the previous one ended */
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
#define MAX_INDEX MLP_MAX_COUNT

/* (Messages quote the parser's position through these.) */
bool ps_fail(struct parser *ps, mlp_srcloc loc, const char *fmt, ...) MLP_PRINTF(3, 4);
/* "expected X, got Y" at the current token. */
bool ps_expected(struct parser *ps, const char *what);
bool ps_expect(struct parser *ps, enum mlp_tok kind, const char *what);
/* Turn a building error into the parser's error. */
mlp_id ps_checked(struct parser *ps, mlp_id id);
/* A name a statement or declaration may define (not a keyword, function or earlier name). */
bool ps_check_new_name(struct parser *ps, const struct mlp_token *t);

/* parse_literal.c */
/* A non-negative integer token (dimension or index) up to max. */
bool ps_int(struct parser *ps, const char *what, int min, int max, int *out);
/* number := ['+'|'-'] NUM ['/' NUM]; writes the value and its text. */
bool ps_number(struct parser *ps, double *value, mlp_strbuf *text);
bool ps_literal(struct parser *ps, struct mlp_literal *lit);
/* Optional shape: '[' INT {',' INT} ']'. */
bool ps_shape(struct parser *ps, mlp_shape *shape);

/* parse_expr.c */
mlp_id ps_expr(struct parser *ps);
/* Build through the graph with location and source span set, so errors point at the code. */
void ps_set_context(struct parser *ps, mlp_srcloc loc, const char *span_start);

#endif

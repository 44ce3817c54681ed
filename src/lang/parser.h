/* parser.h - model text -> graph; value literals -> numbers; graph -> canonical text. */
#ifndef MLP_LANG_PARSER_H
#define MLP_LANG_PARSER_H

#include "graph/graph.h"
#include "lang/lexer.h"
#include "base/strbuf.h"

/* Parse a whole model. On error returns NULL with err holding file:line:col and the source line. */
mlp_graph *mlp_parse_model(const char *text, size_t len, const char *file, mlp_error *err);
/* The same with a smaller budget for the values of parameters and constants (the fuzz harness
 * uses it to keep runs fast); mlp_parse_model allows MLP_MAX_MODEL_VALUES. */
mlp_graph *mlp_parse_model_budget(const char *text, size_t len, const char *file,
                                  int64_t max_values, mlp_error *err);

/* A literal value as written: numbers, fractions p/q, nested lists. */
struct mlp_literal {
    double *values;
    char **texts; /* each element as written ("-1/4", "1e-9"), for exact analyses */
    int64_t n, cap;
    mlp_shape shape;
};
void mlp_literal_free(struct mlp_literal *lit);
/* Parse a complete literal from text; `where` names it in messages. */
int mlp_parse_literal_text(const char *text, const char *where, struct mlp_literal *lit,
                           mlp_error *err);
/* Check a parsed literal against a declared shape (a single number fills it) and expand it into
 * `out` (size of shape) and, if texts_out is non-NULL, its element texts (borrowed from lit). */
int mlp_literal_fit(const struct mlp_literal *lit, mlp_shape shape, const char *what,
                    double *out, char **texts_out, const char *file, mlp_srcloc loc,
                    mlp_error *err);

/* Printing options for the canonical text. */
struct mlp_print_options {
    bool values; /* print parameter values as literals even when declared with `~ INIT` */
};
/* Append the canonical text of a model; parsing it gives back the same graph. */
void mlp_print_model(const mlp_graph *g, const struct mlp_print_options *opt, mlp_strbuf *out);
/* Append the expression computing node id as it would appear in statement number `upto` (names
 * defined before that statement are used; other nodes are written out). */
void mlp_print_expr(const mlp_graph *g, mlp_id id, int upto, mlp_strbuf *out);
/* Append a value as a literal: a number, or nested lists for a tensor. */
void mlp_print_values(const mlp_graph *g, mlp_shape shape, int64_t pool_offset, mlp_strbuf *out);

#endif

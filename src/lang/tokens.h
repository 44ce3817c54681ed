/* tokens.h - what every parser over the lexer's tokens shares: a cursor (the current token and
 * where the previous one ended, for expression spans), keyword tests, and the pieces of error
 * messages ("expected X, got Y", a token shown cut to one line, "did you mean"). The model
 * parser, the spec and bounds parser of `mlp verify` and the facts of `mlp zeros` use it; each
 * reports errors its own way (file:line:col, or a column of a one-line text). */
#ifndef MLP_LANG_TOKENS_H
#define MLP_LANG_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "lang/lexer.h"

struct mlp_cursor {
    struct mlp_lexer lx;
    struct mlp_token tok; /* the current token */
    const char *prev_end; /* end of the previous token: expression spans end here */
};

/* Start at the first token of text. */
void mlp_cursor_init(struct mlp_cursor *c, const char *text);
/* Move to the next token. */
void mlp_cursor_next(struct mlp_cursor *c);
/* If the current token is of `kind`, move past it and return true. */
bool mlp_cursor_accept(struct mlp_cursor *c, enum mlp_tok kind);

/* Whether t is the identifier w. */
bool mlp_tok_is_word(const struct mlp_token *t, const char *w);
/* "expected WHAT, got 'x'" for token t, or "unexpected character 'x'" where the lexer found a
 * character the language does not use. */
void mlp_tok_expected(const struct mlp_token *t, const char *what, char *buf, size_t size);
/* A token's text for a message: at most 60 characters, "..." marking a cut (a hostile file can
 * hold a name of any length; messages stay one readable line). Returns buf. */
const char *mlp_tok_shown(const struct mlp_token *t, char buf[64]);
/* " (did you mean 'sigmoid'?)" when one of the n words is close to t, else "". */
void mlp_tok_suggest(const struct mlp_token *t, const char *const *words, int n, char *buf,
                     int size);

#endif

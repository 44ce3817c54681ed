/* lexer.h - tokens of the model language (also used for --set values and specs). */
#ifndef MLP_LANG_LEXER_H
#define MLP_LANG_LEXER_H

#include "base/error.h"

enum mlp_tok {
    TOK_EOF,
    TOK_NEWLINE, /* ends a statement; not produced inside ( ) or [ ] */
    TOK_IDENT,
    TOK_NUMBER,
    TOK_LBRACK,
    TOK_RBRACK,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COMMA,
    TOK_ASSIGN, /* = */
    TOK_TILDE,
    TOK_PLUS,
    TOK_MINUS,
    TOK_STAR,
    TOK_SLASH,
    TOK_AT,
    TOK_DOT,
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    TOK_EQ,    /* == */
    TOK_NE,    /* != */
    TOK_IMPLIES, /* => */
    TOK_IFF,     /* <=> */
    TOK_ERROR,
};

struct mlp_token {
    enum mlp_tok kind;
    const char *start;
    int len;
    mlp_srcloc loc;
};

struct mlp_lexer {
    const char *src, *p;
    mlp_srcloc loc;
    int depth; /* open brackets: newlines inside them do not end statements */
};

void mlp_lex_init(struct mlp_lexer *lx, const char *src);
/* The next token; TOK_ERROR for a character the language does not use. */
struct mlp_token mlp_lex_next(struct mlp_lexer *lx);
/* The value of a number token, correctly rounded (strtod). Tokens of MLP_NUMBER_MAX characters
 * or more are refused rather than cut: a cut number would silently be another number. */
#define MLP_NUMBER_MAX 128
enum mlp_num_status {
    MLP_NUM_OK,
    MLP_NUM_LONG,  /* MLP_NUMBER_MAX characters or more */
    MLP_NUM_RANGE, /* beyond the largest double: 1e999 */
    MLP_NUM_TINY,  /* nonzero, but nearer to 0 than any double: 1e-400 reads as 0 (*out is 0) */
};
enum mlp_num_status mlp_tok_number(const struct mlp_token *t, double *out);

/* Printable description of a token for messages ("'foo'", "end of line"). */
void mlp_tok_describe(const struct mlp_token *t, char *buf, int size);

#endif

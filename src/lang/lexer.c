/* lexer.c - turns model text into tokens; `#` starts a comment to the end of the line. */
#include "lang/lexer.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void mlp_lex_init(struct mlp_lexer *lx, const char *src)
{
    lx->src = lx->p = src;
    lx->loc = (mlp_srcloc){1, 1};
    lx->depth = 0;
}

static void advance(struct mlp_lexer *lx, int n)
{
    for (int i = 0; i < n && *lx->p; i++) {
        if (*lx->p == '\n') {
            lx->loc.line++;
            lx->loc.col = 1;
        } else {
            lx->loc.col++;
        }
        lx->p++;
    }
}

static void skip_blank(struct mlp_lexer *lx)
{
    for (;;) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r' || (c == '\n' && lx->depth > 0))
            advance(lx, 1);
        else if (c == '#')
            while (*lx->p && *lx->p != '\n')
                advance(lx, 1);
        else if (c == '\\' && lx->p[1] == '\n') /* explicit line continuation */
            advance(lx, 2);
        else
            return;
    }
}

static int number_length(const char *p)
{
    const char *s = p;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if ((*p == 'e' || *p == 'E') &&
        (isdigit((unsigned char)p[1]) ||
         ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        p += 2;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return (int)(p - s);
}

struct mlp_token mlp_lex_next(struct mlp_lexer *lx)
{
    skip_blank(lx);
    struct mlp_token t = {TOK_EOF, lx->p, 0, lx->loc};
    const char *p = lx->p;
    char c = *p;
    if (!c)
        return t;
    static const struct {
        const char *text;
        enum mlp_tok kind;
    } puncts[] = {
        {"<=>", TOK_IFF}, {"=>", TOK_IMPLIES}, {"==", TOK_EQ}, {"!=", TOK_NE}, {"<=", TOK_LE},
        {">=", TOK_GE},   {"<", TOK_LT},       {">", TOK_GT},  {"=", TOK_ASSIGN},
        {"[", TOK_LBRACK}, {"]", TOK_RBRACK},  {"(", TOK_LPAREN}, {")", TOK_RPAREN},
        {",", TOK_COMMA}, {"~", TOK_TILDE},    {"+", TOK_PLUS}, {"-", TOK_MINUS},
        {"*", TOK_STAR},  {"/", TOK_SLASH},    {"@", TOK_AT},  {"\n", TOK_NEWLINE},
    };
    if (isalpha((unsigned char)c) || c == '_') {
        int n = 1;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        t.kind = TOK_IDENT;
        t.len = n;
    } else if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p[1]))) {
        t.kind = TOK_NUMBER;
        t.len = number_length(p);
    } else if (c == '.') {
        t.kind = TOK_DOT;
        t.len = 1;
    } else {
        t.kind = TOK_ERROR;
        t.len = 1;
        for (size_t i = 0; i < sizeof puncts / sizeof *puncts; i++) {
            size_t n = strlen(puncts[i].text);
            if (!strncmp(p, puncts[i].text, n)) {
                t.kind = puncts[i].kind;
                t.len = (int)n;
                break;
            }
        }
        if (t.kind == TOK_LBRACK || t.kind == TOK_LPAREN)
            lx->depth++;
        else if ((t.kind == TOK_RBRACK || t.kind == TOK_RPAREN) && lx->depth > 0)
            lx->depth--;
    }
    advance(lx, t.len);
    return t;
}

enum mlp_num_status mlp_tok_number(const struct mlp_token *t, double *out)
{
    char buf[MLP_NUMBER_MAX];
    *out = 0;
    if (t->len >= (int)sizeof buf)
        return MLP_NUM_LONG;
    memcpy(buf, t->start, (size_t)t->len);
    buf[t->len] = 0;
    errno = 0;
    *out = strtod(buf, NULL);
    if (errno == ERANGE && isinf(*out))
        return MLP_NUM_RANGE;
    return errno == ERANGE && *out == 0 ? MLP_NUM_TINY : MLP_NUM_OK;
}

void mlp_tok_describe(const struct mlp_token *t, char *buf, int size)
{
    if (t->kind == TOK_EOF)
        snprintf(buf, (size_t)size, "end of input");
    else if (t->kind == TOK_NEWLINE)
        snprintf(buf, (size_t)size, "end of line");
    else if (t->kind == TOK_ERROR && !isprint((unsigned char)t->start[0]))
        snprintf(buf, (size_t)size, "byte 0x%02x", (unsigned char)t->start[0]);
    else
        snprintf(buf, (size_t)size, "'%.*s'", t->len > 40 ? 40 : t->len, t->start);
}

/* tokens.c - the token cursor and message pieces shared by the parsers (tokens.h). */
#include "lang/tokens.h"

#include <stdio.h>
#include <string.h>

void mlp_cursor_init(struct mlp_cursor *c, const char *text)
{
    mlp_lex_init(&c->lx, text);
    c->prev_end = text;
    c->tok = mlp_lex_next(&c->lx);
}

void mlp_cursor_next(struct mlp_cursor *c)
{
    c->prev_end = c->tok.start + c->tok.len;
    c->tok = mlp_lex_next(&c->lx);
}

bool mlp_cursor_accept(struct mlp_cursor *c, enum mlp_tok kind)
{
    if (c->tok.kind != kind)
        return false;
    mlp_cursor_next(c);
    return true;
}

bool mlp_tok_is_word(const struct mlp_token *t, const char *w)
{
    return t->kind == TOK_IDENT && t->len == (int)strlen(w) && !memcmp(t->start, w, (size_t)t->len);
}

void mlp_tok_expected(const struct mlp_token *t, const char *what, char *buf, size_t size)
{
    char got[64];
    mlp_tok_describe(t, got, sizeof got);
    if (t->kind == TOK_ERROR)
        snprintf(buf, size, "unexpected character %s", got);
    else
        snprintf(buf, size, "expected %s, got %s", what, got);
}

const char *mlp_tok_shown(const struct mlp_token *t, char buf[64])
{
    if (t->len <= 60)
        snprintf(buf, 64, "%.*s", t->len, t->start);
    else
        snprintf(buf, 64, "%.57s...", t->start);
    return buf;
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

void mlp_tok_suggest(const struct mlp_token *t, const char *const *words, int n, char *buf,
                     int size)
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

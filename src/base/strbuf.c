/* strbuf.c - growable strings. */
#include "base/strbuf.h"
#include "base/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void reserve(mlp_strbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->s = mlp_xrealloc(b->s, cap);
    b->cap = cap;
}

void mlp_sb_putn(mlp_strbuf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void mlp_sb_puts(mlp_strbuf *b, const char *s) { mlp_sb_putn(b, s, strlen(s)); }
void mlp_sb_putc(mlp_strbuf *b, char c) { mlp_sb_putn(b, &c, 1); }

void mlp_sb_printf(mlp_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mlp_sb_double(mlp_strbuf *b, double v)
{
    char buf[32];
    mlp_sb_puts(b, mlp_format_double(v, buf));
}

const char *mlp_sb_str(const mlp_strbuf *b) { return b->s ? b->s : ""; }

char *mlp_sb_take(mlp_strbuf *b)
{
    char *s = b->s ? b->s : mlp_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void mlp_sb_free(mlp_strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* strbuf.h - a growable string for building text (printed models, JSON, DOT, messages). */
#ifndef MLP_BASE_STRBUF_H
#define MLP_BASE_STRBUF_H

#include <stddef.h>
#include "base/error.h"

typedef struct mlp_strbuf {
    char *s; /* always NUL-terminated once anything was appended; NULL when empty */
    size_t len, cap;
} mlp_strbuf;

void mlp_sb_putc(mlp_strbuf *b, char c);
void mlp_sb_puts(mlp_strbuf *b, const char *s);
void mlp_sb_putn(mlp_strbuf *b, const char *s, size_t n);
void mlp_sb_printf(mlp_strbuf *b, const char *fmt, ...) MLP_PRINTF(2, 3);
/* Append a double in shortest round-trip form. */
void mlp_sb_double(mlp_strbuf *b, double v);
/* The text so far ("" when empty); stays owned by b. */
const char *mlp_sb_str(const mlp_strbuf *b);
/* Hand the text to the caller (who frees it) and reset b. */
char *mlp_sb_take(mlp_strbuf *b);
void mlp_sb_free(mlp_strbuf *b);

#endif

/* error.c - error records and their compiler-style display. */
#include "base/error.h"
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void mlp_error_clear(mlp_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int mlp_vfail(mlp_error *err, int status, const char *file, mlp_srcloc loc, const char *fmt,
              va_list ap)
{
    if (!err || err->status != MLP_OK)
        return status;
    err->status = status;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = loc.line;
    err->col = loc.col;
    err->source_line[0] = 0;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return status;
}

int mlp_fail(mlp_error *err, int status, const char *file, mlp_srcloc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(err, status, file, loc, fmt, ap);
    va_end(ap);
    return status;
}

void mlp_error_attach_source(mlp_error *err, const char *text)
{
    if (!err || !text || err->line <= 0)
        return;
    const char *p = text;
    for (int line = 1; line < err->line && *p; p++)
        if (*p == '\n')
            line++;
    size_t n = strcspn(p, "\r\n");
    if (n >= sizeof err->source_line)
        n = sizeof err->source_line - 1;
    if (err->col > (int)n + 1)
        return; /* the column lies beyond what fits: a caret at the cut would mislead */
    memcpy(err->source_line, p, n);
    err->source_line[n] = 0;
}

int mlp_utf8_length(const unsigned char *s, size_t avail)
{
    int n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
          : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if ((size_t)n > avail)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong forms, UTF-16 surrogates and code points beyond U+10FFFF are not UTF-8. */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* Text from a file, made safe for a terminal: control bytes and bytes that are not UTF-8 could
 * move the cursor or garble the screen, so they are written as `bad` (one column) or, with
 * bad == 0, as \xNN. Tabs are kept. */
static void escape_text(const char *text, char bad, mlp_strbuf *out)
{
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        int n = mlp_utf8_length(s, SIZE_MAX); /* a NUL ends a sequence early */
        if (n == 1 && (*s < 0x20 || *s == 0x7f) && *s != '\t')
            n = 0;
        if (n > 0) {
            mlp_sb_putn(out, (const char *)s, (size_t)n);
            s += n;
        } else {
            if (bad)
                mlp_sb_putc(out, bad);
            else
                mlp_sb_printf(out, "\\x%02x", *s);
            s++;
        }
    }
}

static void put_text(const char *text, char bad, FILE *out)
{
    mlp_strbuf b = {0};
    escape_text(text, bad, &b);
    fputs(mlp_sb_str(&b), out);
    mlp_sb_free(&b);
}

const char *mlp_quote(const char *text, char *buf, size_t size)
{
    mlp_strbuf b = {0};
    escape_text(text, 0, &b);
    size_t n = b.len;
    if (n >= size) { /* cut on a character boundary, and say so */
        n = size - 4;
        while (n > 0 && (b.s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(buf, mlp_sb_str(&b), n);
    snprintf(buf + n, size - n, "%s", n < b.len ? "..." : "");
    mlp_sb_free(&b);
    return buf;
}

void mlp_error_print(const mlp_error *err, FILE *out)
{
    if (!err || err->status == MLP_OK)
        return;
    put_text(err->file, 0, out);
    if (err->file[0] && err->line > 0)
        fprintf(out, ":%d:%d: ", err->line, err->col);
    else if (err->file[0] && err->col > 0) /* a one-line text (a spec): file:col */
        fprintf(out, ":%d: ", err->col);
    else if (err->file[0])
        fputs(": ", out);
    fputs("error: ", out);
    put_text(err->message, 0, out);
    fputc('\n', out);
    if (!err->source_line[0])
        return;
    fputs("  ", out);
    put_text(err->source_line, '?', out);
    fputs("\n  ", out);
    /* The caret goes under column col (counted in bytes): one space per character before it,
     * tabs echoed as tabs, so it lines up with the line as displayed. */
    const unsigned char *s = (const unsigned char *)err->source_line;
    for (int i = 1; i < err->col && *s;) {
        int n = mlp_utf8_length(s, SIZE_MAX);
        n = n > 0 ? n : 1;
        fputc(*s == '\t' ? '\t' : ' ', out);
        s += n;
        i += n;
    }
    fputs("^\n", out);
}

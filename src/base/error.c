/* error.c - error records and their compiler-style display. */
#include "base/error.h"

#include <stdarg.h>
#include <string.h>

void mlp_error_clear(mlp_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int mlp_fail(mlp_error *err, int status, const char *file, mlp_srcloc loc, const char *fmt, ...)
{
    if (!err || err->status != MLP_OK)
        return status;
    err->status = status;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = loc.line;
    err->col = loc.col;
    err->source_line[0] = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
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
    memcpy(err->source_line, p, n);
    err->source_line[n] = 0;
}

void mlp_error_print(const mlp_error *err, FILE *out)
{
    if (!err || err->status == MLP_OK)
        return;
    if (err->file[0] && err->line > 0)
        fprintf(out, "%s:%d:%d: ", err->file, err->line, err->col);
    else if (err->file[0] && err->col > 0) /* a one-line text (a spec): file:col */
        fprintf(out, "%s:%d: ", err->file, err->col);
    else if (err->file[0])
        fprintf(out, "%s: ", err->file);
    fprintf(out, "error: %s\n", err->message);
    if (!err->source_line[0])
        return;
    fprintf(out, "  %s\n  ", err->source_line);
    /* Tabs in the source keep the caret aligned only if echoed as tabs. */
    for (int i = 1; i < err->col && err->source_line[i - 1]; i++)
        fputc(err->source_line[i - 1] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}

/* ctext.c - the pieces of C text both generators write (export.h): identifiers, float
 * literals, and kernels kept as X-macro token strings laid out as code. */
#include "export/export.h"

#include <ctype.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mlp_c_float(float f, char buf[40])
{
    if (isnan(f)) {
        strcpy(buf, "NAN");
        return;
    }
    if (isinf(f)) {
        strcpy(buf, f < 0 ? "-INFINITY" : "INFINITY");
        return;
    }
    for (int digits = 1; digits <= 9; digits++) { /* the shortest decimal that reads back as f */
        snprintf(buf, 32, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    strcat(buf, "f");
}

int mlp_c_identifier(const char *text, char *out, mlp_error *err)
{
    const char *base = strrchr(text, '/') ? strrchr(text, '/') + 1 : text;
    size_t n = strlen(base);
    if (n >= 2 && base[n - 2] == '.' && (base[n - 1] == 'c' || base[n - 1] == 'h'))
        n -= 2;
    if (n == 0)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "'%s' names no file: the C files are NAME.h and NAME.c", text);
    /* A leading digit or underscore (reserved at file scope) gets a prefix. */
    bool prefix = isdigit((unsigned char)base[0]) || base[0] == '_';
    size_t len = prefix ? 3 : 0;
    if (prefix)
        memcpy(out, "net", 3);
    for (size_t i = 0; i < n && len < MLP_C_NAME_MAX; i++)
        out[len++] = isalnum((unsigned char)base[i]) ? base[i] : '_';
    out[len] = 0;
    return MLP_OK;
}

/* Does the '{' at p open a struct or union body? */
static bool opens_aggregate(const char *text, const char *p)
{
    return (p - text >= 6 && !strncmp(p - 6, "union ", 6)) ||
           (p - text >= 7 && !strncmp(p - 7, "struct ", 7));
}

/* One statement per line: break after '{', '}' and a ';' outside parentheses, except inside a
 * struct or union body (`union { float f; uint32_t u; } c;` stays on one line). */
void mlp_c_print_kernel(mlp_strbuf *sb, const char *text)
{
    int depth = 0, parens = 0;
    bool line_start = true, in_aggregate = false;
    for (const char *p = text; *p; p++) {
        if (line_start && *p == ' ')
            continue;
        if (*p == '}' && !in_aggregate)
            depth--;
        if (line_start)
            for (int i = 0; i < 4 * depth; i++)
                mlp_sb_putc(sb, ' ');
        line_start = false;
        mlp_sb_putc(sb, *p);
        parens += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (in_aggregate || (*p == '{' && opens_aggregate(text, p))) {
            in_aggregate = *p != '}';
            continue;
        }
        if (*p == '{')
            depth++;
        if (*p == '{' || *p == '}' || (*p == ';' && parens == 0)) {
            mlp_sb_putc(sb, '\n');
            line_start = true;
        }
    }
    mlp_sb_putc(sb, '\n');
}

/* csv.c - numeric CSV tables: strict, with exact positions in every error. */
#include "mlp.h"
#include "base/error.h"
#include "base/mem.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct field {
    const char *start;
    int len;
    int col; /* 1-based column in the line */
};

/* Split one line (without its newline) into trimmed fields; returns the count. */
static int split(const char *line, int len, struct field **fields, int *cap)
{
    int n = 0, i = 0;
    for (;;) {
        int start = i;
        while (i < len && line[i] != ',')
            i++;
        int a = start, b = i;
        while (a < b && isspace((unsigned char)line[a]))
            a++;
        while (b > a && isspace((unsigned char)line[b - 1]))
            b--;
        if (b - a >= 2 && line[a] == '"' && line[b - 1] == '"')
            a++, b--;
        mlp_xreserve(fields, cap, n + 1, sizeof **fields);
        (*fields)[n++] = (struct field){line + a, b - a, a + 1};
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

static bool parse_number(const struct field *f, double *out)
{
    char buf[64];
    if (f->len == 0 || f->len >= (int)sizeof buf)
        return false;
    memcpy(buf, f->start, (size_t)f->len);
    buf[f->len] = 0;
    char *end;
    errno = 0;
    *out = strtod(buf, &end);
    return *end == 0 && !(errno == ERANGE && isinf(*out));
}

void mlp_table_free(mlp_table *t)
{
    if (!t)
        return;
    if (t->names)
        for (int i = 0; i < t->cols; i++)
            free(t->names[i]);
    free(t->names);
    free(t->values);
    free(t);
}

/* Append one row of parsed numbers, growing the table. */
static int add_row(mlp_table *t, int64_t *cap, const struct field *f, int n, const char *path,
                   int line, mlp_error *err)
{
    if (n != t->cols)
        return mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, 1},
                        "row has %d fields, expected %d", n, t->cols);
    if ((int64_t)(t->rows + 1) * t->cols > *cap) {
        int64_t ncap = *cap ? *cap * 2 : 1024;
        while (ncap < (int64_t)(t->rows + 1) * t->cols)
            ncap *= 2;
        double *v = realloc(t->values, (size_t)ncap * sizeof *v);
        if (!v)
            return mlp_fail(err, MLP_ERR_NOMEM, path, (mlp_srcloc){line, 1}, "out of memory");
        t->values = v;
        *cap = ncap;
    }
    double *row = t->values + (int64_t)t->rows * t->cols;
    for (int i = 0; i < n; i++)
        if (!parse_number(&f[i], &row[i]))
            return mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, f[i].col},
                            "'%.*s' is not a number", f[i].len > 40 ? 40 : f[i].len, f[i].start);
    if (t->rows == (1 << 30))
        return mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, 1}, "too many rows");
    t->rows++;
    return MLP_OK;
}

mlp_table *mlp_table_read_csv(const char *path, mlp_error *err)
{
    size_t len;
    char *text = mlp_read_file(path, &len);
    if (!text) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read: %s", strerror(errno));
        return NULL;
    }
    mlp_table *t = mlp_xcalloc(1, sizeof *t);
    struct field *f = NULL;
    int fcap = 0, rc = MLP_OK, line = 0;
    int64_t cap = 0;
    bool first = true;
    for (size_t pos = 0; pos < len && rc == MLP_OK;) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        if (end - pos > (1u << 30)) {
            rc = mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, 1}, "line too long");
            break;
        }
        int n = (int)(end - pos);
        const char *s = text + pos;
        pos = end + 1;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n > 0 && memchr(s, 0, (size_t)n)) {
            rc = mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, 1}, "NUL byte in a CSV file");
            break;
        }
        int k = 0;
        while (k < n && isspace((unsigned char)s[k]))
            k++;
        if (k == n || s[k] == '#')
            continue;
        int nf = split(s, n, &f, &fcap);
        if (first) {
            first = false;
            t->cols = nf;
            double dummy;
            bool header = false;
            for (int i = 0; i < nf; i++)
                header |= !parse_number(&f[i], &dummy);
            if (header) {
                t->names = mlp_xcalloc((size_t)nf, sizeof *t->names);
                for (int i = 0; i < nf; i++) {
                    if (f[i].len == 0) {
                        rc = mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, f[i].col},
                                      "empty column name in the header");
                        break;
                    }
                    t->names[i] = mlp_xstrndup(f[i].start, (size_t)f[i].len);
                }
                continue;
            }
        }
        rc = add_row(t, &cap, f, nf, path, line, err);
    }
    free(f);
    free(text);
    if (rc == MLP_OK && t->rows == 0)
        rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "no data rows");
    if (rc != MLP_OK) {
        mlp_table_free(t);
        return NULL;
    }
    return t;
}

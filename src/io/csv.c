/* csv.c - numeric CSV tables: strict, with exact positions in every error. */
#include "io/csv.h"
#include "base/error.h"
#include "base/mem.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct field {
    const char *start;
    int len;
    int dline; /* lines after the record's first: a quoted field before it held line breaks */
    int col;   /* 1-based column in that line */
};

/* Where field f of the record that starts on line `record` begins. */
static mlp_srcloc field_loc(int record, const struct field *f)
{
    return (mlp_srcloc){record + f->dline, f->col};
}

/* Where offset `to` of a record lies: *dline line breaks after its start, column *col. The
 * scan resumes at *from, so placing every field of a record costs one pass over it. */
static void place(const char *rec, int to, int *from, int *dline, int *line_start, int *col)
{
    for (; *from < to; (*from)++)
        if (rec[*from] == '\n')
            (*dline)++, *line_start = *from + 1;
    *col = to - *line_start + 1;
}

/* A field in double quotes (RFC 4180): commas and line breaks are part of it, and "" is one
 * quote. Its text is decoded into out; returns the index after the closing quote, or -1. */
static int quoted(const char *line, int len, int i, char *out, int *outlen)
{
    int n = 0;
    for (i++; i < len; i++) {
        if (line[i] == '"' && i + 1 < len && line[i + 1] == '"')
            out[n++] = line[i++];
        else if (line[i] == '"')
            break;
        else
            out[n++] = line[i];
    }
    *outlen = n;
    return i < len ? i + 1 : -1;
}

/* Split one record (without its line break) into trimmed fields; returns the count, or -1
 * with *bad placed where a malformed quoted field starts and *why what is wrong. Quoted fields
 * are decoded into scratch (at least len bytes), which the fields then point into. */
static int split(const char *line, int len, struct field **fields, int *cap, char *scratch,
                 struct field *bad, const char **why)
{
    int n = 0, i = 0, used = 0, scanned = 0, dline = 0, line_start = 0, col;
    for (;;) {
        int start = i;
        while (i < len && line[i] != ',' && isspace((unsigned char)line[i]))
            i++;
        struct field f;
        if (i < len && line[i] == '"') {
            int q = i, k;
            i = quoted(line, len, i, scratch + used, &k);
            while (i >= 0 && i < len && line[i] != ',' && isspace((unsigned char)line[i]))
                i++;
            place(line, q, &scanned, &dline, &line_start, &col);
            if (i < 0 || (i < len && line[i] != ',')) {
                *bad = (struct field){NULL, 0, dline, col};
                *why = i < 0 ? "a quoted field has no closing quote"
                             : "text after the closing quote of a field";
                return -1;
            }
            f = (struct field){scratch + used, k, dline, col};
            used += k;
        } else {
            while (i < len && line[i] != ',')
                i++;
            int a = start, b = i;
            while (a < b && isspace((unsigned char)line[a]))
                a++;
            while (b > a && isspace((unsigned char)line[b - 1]))
                b--;
            place(line, a, &scanned, &dline, &line_start, &col);
            f = (struct field){line + a, b - a, dline, col};
        }
        mlp_xreserve(fields, cap, n + 1, sizeof **fields);
        (*fields)[n++] = f;
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

enum number_kind {
    NUMBER,     /* a finite number */
    NOT_FINITE, /* nan, inf, or a decimal beyond the range of doubles (1e999) */
    NOT_NUMBER, /* anything else: a header name, or an error in a data row */
};

/* Whether [p, e) is `word`, ignoring case. */
static bool is_word(const char *p, const char *e, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(e - p) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)p[i]) != word[i])
            return false;
    return true;
}

/* Skip decimal digits; returns how many. */
static int digits(const char **p, const char *e)
{
    int n = 0;
    while (*p < e && isdigit((unsigned char)**p))
        ++*p, ++n;
    return n;
}

/* A field as a number. Only decimal syntax is a number, as in the model language:
 * [+-] digits [. digits] [(e|E) [+-] digits] (or [+-] . digits ...). strtod alone would also take
 * hex floats and "nan(...)"; nan and inf are recognised so that a data row holding them gets
 * a clear error rather than being read as a header. Underflow to 0 is the nearest double. */
static enum number_kind field_number(const struct field *f, double *out)
{
    const char *p = f->start, *e = f->start + f->len;
    if (p < e && (*p == '+' || *p == '-'))
        p++;
    if (is_word(p, e, "nan") || is_word(p, e, "inf") || is_word(p, e, "infinity"))
        return NOT_FINITE;
    int n = digits(&p, e);
    if (p < e && *p == '.') {
        p++;
        n += digits(&p, e);
    }
    if (n == 0)
        return NOT_NUMBER;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (digits(&p, e) == 0)
            return NOT_NUMBER;
    }
    if (p != e)
        return NOT_NUMBER;
    char small[64];
    char *buf = f->len < (int)sizeof small ? small : mlp_xmalloc((size_t)f->len + 1);
    memcpy(buf, f->start, (size_t)f->len);
    buf[f->len] = 0;
    errno = 0;
    double v = strtod(buf, NULL);
    bool overflow = errno == ERANGE && isinf(v);
    if (buf != small)
        free(buf);
    if (overflow)
        return NOT_FINITE;
    *out = v;
    return NUMBER;
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

/* The texts of the columns that may hold text (labels such as "setosa"), row by row. */
struct text_cells {
    bool *is_text; /* per column, from the header; NULL: no text columns */
    char **cell;   /* rows x cols, only text columns filled */
    int64_t cap;
};

/* Append one row of parsed numbers, growing the table. */
static int add_row(mlp_table *t, int64_t *cap, const struct field *f, int n, const char *path,
                   int line, struct text_cells *tc, mlp_error *err)
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
    if (tc->is_text && (int64_t)(t->rows + 1) * t->cols > tc->cap) {
        int64_t ncap = *cap;
        char **c = realloc(tc->cell, (size_t)ncap * sizeof *c);
        if (!c)
            return mlp_fail(err, MLP_ERR_NOMEM, path, (mlp_srcloc){line, 1}, "out of memory");
        memset(c + tc->cap, 0, (size_t)(ncap - tc->cap) * sizeof *c); /* freed if a row fails */
        tc->cell = c;
        tc->cap = ncap;
    }
    for (int i = 0; i < n; i++) {
        if (tc->is_text && tc->is_text[i]) {
            if (f[i].len == 0)
                return mlp_fail(err, MLP_ERR_INPUT, path, field_loc(line, &f[i]),
                                "empty label");
            tc->cell[(int64_t)t->rows * t->cols + i] = mlp_xstrndup(f[i].start, (size_t)f[i].len);
            row[i] = 0;
            continue;
        }
        enum number_kind k = field_number(&f[i], &row[i]);
        if (k != NUMBER)
            return mlp_fail(err, MLP_ERR_INPUT, path, field_loc(line, &f[i]),
                            k == NOT_FINITE ? "'%.*s' is not a finite number"
                                            : "'%.*s' is not a number",
                            f[i].len > 40 ? 40 : f[i].len, f[i].start);
    }
    if (t->rows == MLP_MAX_COUNT)
        return mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, 1}, "too many rows");
    t->rows++;
    return MLP_OK;
}

mlp_table *mlp_table_read_csv(const char *path, mlp_error *err)
{
    size_t len;
    char *text = mlp_read_text(path, &len);
    if (!text) {
        char why[128];
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read: %s", mlp_read_error(errno, why));
        return NULL;
    }
    mlp_table *t = mlp_csv_parse(text, len, path, err);
    free(text);
    return t;
}

/* Which header names `list` (comma-separated) names; NULL when list is NULL. */
static bool *text_columns(const mlp_table *t, const char *list)
{
    if (!list || !t->names)
        return NULL;
    bool *is = mlp_xcalloc((size_t)t->cols, sizeof *is);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        for (int c = 0; c < t->cols; c++)
            if (strlen(t->names[c]) == len && !strncmp(t->names[c], p, len))
                is[c] = true;
        p += len + (p[len] == ',');
    }
    return is;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A text column whose every value is a number stays numbers; any other gets its distinct texts
 * in byte order as classes, and each value the index of its text. */
static void resolve_text_column(mlp_table *t, const struct text_cells *tc, int c,
                                struct mlp_csv_classes *out)
{
    bool numbers = true;
    for (int r = 0; r < t->rows && numbers; r++) {
        const char *s = tc->cell[(int64_t)r * t->cols + c];
        struct field f = {s, (int)strlen(s), 0, 1};
        numbers = field_number(&f, &t->values[(int64_t)r * t->cols + c]) == NUMBER;
    }
    if (numbers)
        return;
    char **sorted = mlp_xmalloc((size_t)t->rows * sizeof *sorted);
    for (int r = 0; r < t->rows; r++)
        sorted[r] = tc->cell[(int64_t)r * t->cols + c];
    qsort(sorted, (size_t)t->rows, sizeof *sorted, by_text);
    int k = 0;
    for (int r = 0; r < t->rows; r++)
        if (r == 0 || strcmp(sorted[r], sorted[k - 1]))
            sorted[k++] = sorted[r];
    out->n = k;
    out->names = mlp_xmalloc((size_t)k * sizeof *out->names);
    for (int i = 0; i < k; i++)
        out->names[i] = mlp_xstrdup(sorted[i]);
    for (int r = 0; r < t->rows; r++) { /* binary search: a million rows of many labels */
        const char *s = tc->cell[(int64_t)r * t->cols + c];
        int lo = 0, hi = k - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (strcmp(out->names[mid], s) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        t->values[(int64_t)r * t->cols + c] = lo;
    }
    free(sorted);
}

void mlp_csv_classes_free(struct mlp_csv_classes *c, int cols)
{
    for (int i = 0; c && i < cols; i++) {
        for (int k = 0; k < c[i].n; k++)
            free(c[i].names[k]);
        free(c[i].names);
    }
    free(c);
}

static mlp_table *parse(const char *text, size_t len, const char *path, const char *text_cols,
                        struct mlp_csv_classes **classes, mlp_error *err);

mlp_table *mlp_csv_parse(const char *text, size_t len, const char *path, mlp_error *err)
{
    return parse(text, len, path, NULL, NULL, err);
}

mlp_table *mlp_csv_parse_labels(const char *text, size_t len, const char *path,
                                const char *text_cols, struct mlp_csv_classes **classes,
                                mlp_error *err)
{
    return parse(text, len, path, text_cols, classes, err);
}

mlp_table *mlp_csv_read_labels(const char *path, const char *text_cols,
                               struct mlp_csv_classes **classes, mlp_error *err)
{
    size_t len;
    char *text = mlp_read_text(path, &len);
    if (!text) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read: %s", strerror(errno));
        return NULL;
    }
    mlp_table *t = parse(text, len, path, text_cols, classes, err);
    free(text);
    return t;
}

/* Where the record starting at pos ends: the first line break outside a field in quotes (a
 * quote opens one only at a field's start; "" inside is a quote). A comment line ends at its
 * line break, whatever quotes it holds. */
static size_t record_end(const char *text, size_t pos, size_t len, int *breaks)
{
    size_t i = pos;
    while (i < len && text[i] != '\n' && isspace((unsigned char)text[i]))
        i++;
    bool comment = i < len && text[i] == '#', field_start = true;
    for (i = pos; i < len && text[i] != '\n'; i++) {
        if (!comment && field_start && text[i] == '"') {
            for (i++; i < len && !(text[i] == '"' && (i + 1 >= len || text[i + 1] != '"')); i++) {
                *breaks += text[i] == '\n';
                i += text[i] == '"'; /* "" */
            }
            if (i >= len)
                return len;
            field_start = false;
            continue;
        }
        if (text[i] == ',')
            field_start = true;
        else if (!isspace((unsigned char)text[i]))
            field_start = false;
    }
    return i;
}

static mlp_table *parse(const char *text, size_t len, const char *path, const char *text_cols,
                        struct mlp_csv_classes **classes, mlp_error *err)
{
    struct text_cells tc = {0};
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) { /* a UTF-8 byte-order mark */
        text += 3;
        len -= 3;
    }
    mlp_table *t = mlp_xcalloc(1, sizeof *t);
    struct field *f = NULL;
    int fcap = 0, rc = MLP_OK, line = 0, scap = 0;
    char *scratch = NULL;
    const char *why = NULL;
    int64_t cap = 0;
    bool first = true;
    for (size_t pos = 0; pos < len && rc == MLP_OK;) {
        line++;
        int breaks = 0; /* line breaks inside quoted fields: the record spans 1 + breaks lines */
        size_t end = record_end(text, pos, len, &breaks);
        if (end - pos > (1u << 30) || line == INT_MAX) {
            rc = mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, 1},
                          line == INT_MAX ? "too many lines" : "line too long");
            break;
        }
        int n = (int)(end - pos);
        const char *s = text + pos;
        pos = end + 1;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        const char *nul = n > 0 ? memchr(s, 0, (size_t)n) : NULL;
        if (nul) {
            rc = mlp_fail(err, MLP_ERR_INPUT, path, (mlp_srcloc){line, (int)(nul - s) + 1},
                          "NUL byte in a CSV file (not a text file?)");
            break;
        }
        int k = 0;
        while (k < n && isspace((unsigned char)s[k]))
            k++;
        if (k == n || s[k] == '#')
            continue;
        if (n > scap) {
            scap = n;
            scratch = mlp_xrealloc(scratch, (size_t)scap);
        }
        struct field bad = {0};
        int nf = split(s, n, &f, &fcap, scratch, &bad, &why);
        int record = line;
        line += breaks;
        if (nf < 0) {
            rc = mlp_fail(err, MLP_ERR_INPUT, path, field_loc(record, &bad), "%s", why);
            break;
        }
        if (first) {
            first = false;
            t->cols = nf;
            double dummy;
            int names = 0, name = -1;
            for (int i = nf - 1; i >= 0; i--)
                if (field_number(&f[i], &dummy) == NOT_NUMBER)
                    names++, name = i;
            if (names > 0 && names < nf) {
                rc = mlp_fail(err, MLP_ERR_INPUT, path, field_loc(record, &f[name]),
                              "'%.*s' is not a number (and a header row names every column)",
                              f[name].len > 40 ? 40 : f[name].len, f[name].start);
                break;
            }
            if (names > 0) {
                t->names = mlp_xcalloc((size_t)nf, sizeof *t->names);
                for (int i = 0; i < nf; i++) {
                    if (f[i].len == 0) {
                        rc = mlp_fail(err, MLP_ERR_INPUT, path, field_loc(record, &f[i]),
                                      "empty column name in the header");
                        break;
                    }
                    t->names[i] = mlp_xstrndup(f[i].start, (size_t)f[i].len);
                }
                tc.is_text = rc == MLP_OK ? text_columns(t, text_cols) : NULL;
                continue;
            }
        }
        rc = add_row(t, &cap, f, nf, path, record, &tc, err);
    }
    free(f);
    free(scratch);
    if (rc == MLP_OK && t->rows == 0)
        rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "no data rows");
    if (classes)
        *classes = rc == MLP_OK ? mlp_xcalloc((size_t)t->cols, sizeof **classes) : NULL;
    for (int c = 0; rc == MLP_OK && tc.is_text && c < t->cols; c++)
        if (tc.is_text[c])
            resolve_text_column(t, &tc, c, &(*classes)[c]);
    for (int64_t i = 0; tc.is_text && i < (int64_t)t->rows * t->cols; i++)
        if (tc.is_text[i % t->cols])
            free(tc.cell[i]);
    /* a row that failed midway has text cells filled up to the bad field: */
    if (rc != MLP_OK && tc.is_text)
        for (int i = 0; i < t->cols; i++)
            if (tc.is_text[i] && (int64_t)t->rows * t->cols + i < tc.cap)
                free(tc.cell[(int64_t)t->rows * t->cols + i]);
    free(tc.cell);
    free(tc.is_text);
    if (rc != MLP_OK) {
        mlp_table_free(t);
        return NULL;
    }
    return t;
}

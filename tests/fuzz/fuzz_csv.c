/* fuzz_csv.c - CSV tables (mlp_table_read_csv reads a file and parses it with mlp_csv_parse).
 *
 * For text that does not parse: an input error positioned inside the text.
 * For text that parses: at least one row and one column, every value finite, and the table
 * written back (names quoted, numbers in shortest round-trip form) parses to the same names
 * and the same bits. Read with a column "label" that may hold texts, the text parses or fails
 * the same way, and a column of texts holds class indices into its sorted, distinct texts.
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "base/strbuf.h"
#include "io/csv.h"

static void write_csv(const mlp_table *t, mlp_strbuf *out)
{
    char buf[32];
    for (int c = 0; t->names && c < t->cols; c++)
        mlp_sb_printf(out, "%s\"%s\"", c ? "," : "", t->names[c]);
    if (t->names)
        mlp_sb_putc(out, '\n');
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->cols; c++) {
            if (c)
                mlp_sb_putc(out, ',');
            mlp_sb_puts(out, mlp_format_double(t->values[(size_t)r * t->cols + c], buf));
        }
        mlp_sb_putc(out, '\n');
    }
}

/* Text that parses as numbers parses with label texts allowed too, to the same numbers. */
static void check_labels(const char *text, size_t size, const mlp_table *t)
{
    mlp_error err = {0};
    struct mlp_csv_classes *cls = NULL;
    mlp_table *u = mlp_csv_parse_labels(text, size, "fuzz.csv", "label", &cls, &err);
    FUZZ_ASSERT(u, "numbers do not parse with label texts allowed: %s", err.message);
    FUZZ_ASSERT(!memcmp(t->values, u->values, (size_t)t->rows * t->cols * sizeof *t->values),
                "label texts allowed changed the numbers");
    for (int c = 0; c < u->cols; c++)
        FUZZ_ASSERT(cls[c].n == 0, "a column of numbers got classes");
    mlp_csv_classes_free(cls, u->cols);
    mlp_table_free(u);
}

/* Any text: with label texts allowed, an error in the text, or classes that index right. */
static void check_texts(const char *text, size_t size)
{
    mlp_error err = {0};
    struct mlp_csv_classes *cls = NULL;
    mlp_table *u = mlp_csv_parse_labels(text, size, "fuzz.csv", "label", &cls, &err);
    if (!u) {
        fuzz_check_error(&err, text, size, "fuzz.csv");
        return;
    }
    for (int c = 0; c < u->cols; c++) {
        for (int k = 1; k < cls[c].n; k++)
            FUZZ_ASSERT(strcmp(cls[c].names[k - 1], cls[c].names[k]) < 0, "classes not sorted");
        for (int r = 0; cls[c].n && r < u->rows; r++) {
            double v = u->values[(size_t)r * u->cols + c];
            FUZZ_ASSERT(v >= 0 && v < cls[c].n && v == (int)v, "class index %g of %d", v, cls[c].n);
        }
    }
    mlp_csv_classes_free(cls, u->cols);
    mlp_table_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    mlp_error err = {0};
    check_texts(text, size);
    mlp_table *t = mlp_csv_parse(text, size, "fuzz.csv", &err);
    if (!t) {
        fuzz_check_error(&err, text, size, "fuzz.csv");
        return 0;
    }
    FUZZ_ASSERT(t->rows >= 1 && t->cols >= 1, "%d rows, %d columns", t->rows, t->cols);
    size_t n = (size_t)t->rows * (size_t)t->cols;
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(isfinite(t->values[i]), "value %zu is %g", i, t->values[i]);
    mlp_strbuf b = {0};
    write_csv(t, &b);
    mlp_table *u = mlp_csv_parse(mlp_sb_str(&b), b.len, "written.csv", &err);
    FUZZ_ASSERT(u, "the table written back does not parse: %d:%d: %s\n%s", err.line, err.col,
                err.message, mlp_sb_str(&b));
    FUZZ_ASSERT(u->rows == t->rows && u->cols == t->cols && !u->names == !t->names,
                "written back: %dx%d, was %dx%d", u->rows, u->cols, t->rows, t->cols);
    for (int c = 0; t->names && c < t->cols; c++)
        FUZZ_ASSERT(!strcmp(t->names[c], u->names[c]), "name '%s' came back as '%s'",
                    t->names[c], u->names[c]);
    FUZZ_ASSERT(!memcmp(t->values, u->values, n * sizeof *t->values), "values differ");
    mlp_table_free(u);
    mlp_sb_free(&b);
    check_labels(text, size, t);
    mlp_table_free(t);
    return 0;
}

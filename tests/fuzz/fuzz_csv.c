/* fuzz_csv.c - CSV tables (mlp_table_read_csv reads a file and parses it with mlp_csv_parse).
 *
 * For text that does not parse: an input error positioned inside the text.
 * For text that parses: at least one row and one column, every value finite, and the table
 * written back (names quoted, numbers in shortest round-trip form) parses to the same names
 * and the same bits.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    mlp_error err = {0};
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
    mlp_table_free(t);
    mlp_sb_free(&b);
    return 0;
}

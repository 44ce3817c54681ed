/* csv.h - numeric CSV tables from text in memory (mlp_table_read_csv reads a file into this). */
#ifndef MLP_IO_CSV_H
#define MLP_IO_CSV_H

#include <stddef.h>
#include "mlp.h"

/* Parse `len` bytes of CSV text (NUL bytes are an error, not an end); `file` names it in
 * messages. NULL with err filled (file:line:col) on failure. */
mlp_table *mlp_csv_parse(const char *text, size_t len, const char *file, mlp_error *err);

/* The classes of a text column: the distinct texts in byte order (n 0 for a column of numbers). */
struct mlp_csv_classes {
    int n;
    char **names;
};
/* Like mlp_csv_parse, but the columns the header names in `text_cols` (comma-separated; NULL:
 * none) may hold text such as "setosa": when any value of such a column is not a number, its
 * values become class indices into its distinct texts, listed in (*classes)[column]. *classes
 * gets one entry per column (free with mlp_csv_classes_free). */
mlp_table *mlp_csv_parse_labels(const char *text, size_t len, const char *file,
                                const char *text_cols, struct mlp_csv_classes **classes,
                                mlp_error *err);
mlp_table *mlp_csv_read_labels(const char *path, const char *text_cols,
                               struct mlp_csv_classes **classes, mlp_error *err);
void mlp_csv_classes_free(struct mlp_csv_classes *c, int cols);

#endif

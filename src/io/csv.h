/* csv.h - numeric CSV tables from text in memory (mlp_table_read_csv reads a file into this). */
#ifndef MLP_IO_CSV_H
#define MLP_IO_CSV_H

#include <stddef.h>
#include "mlp.h"

/* Parse `len` bytes of CSV text (NUL bytes are an error, not an end); `file` names it in
 * messages. NULL with err filled (file:line:col) on failure. */
mlp_table *mlp_csv_parse(const char *text, size_t len, const char *file, mlp_error *err);

#endif

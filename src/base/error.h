/* error.h - filling mlp_error: a message, the file and position it concerns, the source line. */
#ifndef MLP_BASE_ERROR_H
#define MLP_BASE_ERROR_H

#include "mlp.h"

/* A position in a source text: 1-based line and column (column counts bytes); 0 = unknown. */
typedef struct mlp_srcloc {
    int line, col;
} mlp_srcloc;

#define MLP_NOLOC ((mlp_srcloc){0, 0})

#if defined(__GNUC__)
#define MLP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MLP_PRINTF(f, a)
#endif

/* Record an error (status, file, position, message). Keeps the first error: later calls on an
 * err that already holds one do nothing, so the root cause is what the user sees. */
int mlp_fail(mlp_error *err, int status, const char *file, mlp_srcloc loc, const char *fmt, ...)
    MLP_PRINTF(5, 6);
/* Attach line `loc.line` of `text` as the error's source line (for the caret display). */
void mlp_error_attach_source(mlp_error *err, const char *text);
/* Whether err holds an error. */
static inline int mlp_failed(const mlp_error *err) { return err && err->status != MLP_OK; }

#endif

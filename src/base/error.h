/* error.h - filling mlp_error: a message, the file and position it concerns, the source line. */
#ifndef MLP_BASE_ERROR_H
#define MLP_BASE_ERROR_H

#include <stdarg.h>
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
/* mlp_fail with the arguments as a va_list, for functions that report errors in their own
 * terms (a parser's fail(ps, loc, fmt, ...)). */
int mlp_vfail(mlp_error *err, int status, const char *file, mlp_srcloc loc, const char *fmt,
              va_list ap);
/* Attach line `loc.line` of `text` as the error's source line (for the caret display). */
void mlp_error_attach_source(mlp_error *err, const char *text);
/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 if s does not start one within
 * `avail` bytes: overlong forms, UTF-16 surrogates and code points beyond U+10FFFF are not
 * UTF-8. (A NUL-terminated string may pass SIZE_MAX: its NUL ends any sequence.) */
int mlp_utf8_length(const unsigned char *s, size_t avail);
/* A name or text from a file, for a message: control bytes and bytes that are not UTF-8 as
 * \xNN (a message is one line, and safe to print), cut to fit `size` bytes (at least 8) with
 * "..." marking the cut. Returns buf. */
const char *mlp_quote(const char *text, char *buf, size_t size);
/* Whether err holds an error. */
static inline int mlp_failed(const mlp_error *err) { return err && err->status != MLP_OK; }

#endif

/* export.h - helpers the C generators share (float32: c.c; int8: c_q8.c). */
#ifndef MLP_EXPORT_EXPORT_H
#define MLP_EXPORT_EXPORT_H

#include "base/error.h"
#include "base/strbuf.h"

/* Longest identifier prefix the generated code uses (NAME_predict_r and the macros fit C99's
 * 63 significant characters of an internal identifier). */
#define MLP_C_NAME_MAX 40

/* The identifier NAME for output path DIR/NAME (a trailing .c or .h dropped): characters other
 * than letters, digits and '_' become '_', and a leading digit or '_' gets the prefix "net".
 * out holds MLP_C_NAME_MAX + 1 bytes. MLP_ERR_INPUT when the path names no file. */
int mlp_c_identifier(const char *path, char *out, mlp_error *err);
/* A float32 literal that reads back as exactly f ("0.1f", "1.0f", "-INFINITY", "NAN"). */
void mlp_c_float(float f, char buf[40]);
/* Write a kernel given as one line of tokens (an X macro's #__VA_ARGS__: q8_kernels.h,
 * base/fexp.h) laid out one statement per line, indented by brace depth; a struct or union
 * body stays on its line. */
void mlp_c_print_kernel(mlp_strbuf *sb, const char *text);
/* Write base/fexp.h's functions that `uses` (MLP_C_USES_F* bits) names, each after those it
 * calls: mlp_fexp_core first, then mlp_fexp if wanted, then the rest. */
void mlp_c_print_fexp(mlp_strbuf *sb, unsigned uses);

#endif

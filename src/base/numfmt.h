/* numfmt.h - numbers as text, beyond the public mlp_format_double: float32 values printed
 * shortest and fast (predictions, many per row), and exactly (weights in model files). */
#ifndef MLP_BASE_NUMFMT_H
#define MLP_BASE_NUMFMT_H

#include <stdbool.h>

/* The shortest decimal that reads back (strtof) as exactly v, laid out as mlp_format_double
 * lays out doubles ("0.1", "1e-05", "nan", "-inf"). Returns its length; buf needs 32 bytes.
 * Arithmetic on doubles decides almost every value; the few it cannot decide with certainty
 * (near a tie) go through snprintf and strtof, so the result is always the slow loop's. */
int mlp_format_float(float v, char buf[32]);
/* The same by the slow loop alone (what mlp_format_float must equal; for the tests). */
int mlp_format_float_slow(float v, char buf[32]);

/* Whether v is finite and exactly a float32 value. */
bool mlp_is_float32(double v);
/* The exact decimal expansion of a float32 value v (every float32 is a finite decimal; at most
 * 112 significant digits, 0.1f is "0.100000001490116119384765625"), laid out as
 * mlp_format_double lays out numbers: parsing it as a double or as an exact rational gives v
 * itself. Requires mlp_is_float32(v). */
#define MLP_EXACT_BUF 256
char *mlp_format_exact_float(double v, char buf[MLP_EXACT_BUF]);

#endif

/* vnnlib.h - VNNLIB properties (the subset VNN-COMP uses) as boxes of inputs and unsafe sets.
 *
 * A VNNLIB file declares the network's inputs X_0 .. X_{n-1} and outputs Y_0 .. Y_{m-1} as Real
 * constants and asserts linear comparisons of them (<=, >=, <, >; chains as in SMT-LIB), joined
 * by `and` and `or`. The asserts describe the UNSAFE set: the property is violated when some
 * input and its output satisfy all of them. Terms are linear: numbers, variables, + - and
 * products with a number, exactly as written (0.6 is 3/5).
 *
 * The asserts are brought to disjunctive normal form and each disjunct is split into what bounds
 * single inputs (its box) and the rest (atoms). Disjuncts with the same box share a case: the
 * unsafe set of a case is box AND (term_1 OR term_2 ...), each term an AND of atoms. */
#ifndef MLP_ANALYSIS_VERIFY_VNNLIB_H
#define MLP_ANALYSIS_VERIFY_VNNLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <gmp.h>

#include "base/error.h"

/* Most disjuncts the normal form may have, and deepest nesting of parentheses. */
#define VNN_MAX_TERMS 4096
#define VNN_MAX_DEPTH 64
/* Largest file read (bytes). */
#define VNN_MAX_BYTES ((size_t)64 << 20)

/* t = c0 + sum c[i] v_i over v = (X_0 .. X_{nx-1}, Y_0 .. Y_{ny-1}); the atom says t >= 0, or
 * t > 0 when strict. */
struct vnn_atom {
    mpq_t *c;
    mpq_t c0;
    bool strict;
};

/* A box of inputs and what is unsafe in it: OR over terms of AND over atoms (indices). */
struct vnn_case {
    mpq_t *lo, *hi; /* nx each, closed */
    int nterms;
    int **term, *len;
};

struct vnnlib {
    int nx, ny;
    int natoms;
    struct vnn_atom *atoms;
    int ncases;
    struct vnn_case *cases;
};

/* Parse `len` bytes of VNNLIB text. Errors read "FILE:LINE:COL: error: ..." with the line
 * attached (MLP_ERR_INPUT). */
int vnnlib_parse(struct vnnlib *p, const char *text, size_t len, const char *file,
                 mlp_error *err);
/* Read and parse a file. */
int vnnlib_load(struct vnnlib *p, const char *path, mlp_error *err);
void vnnlib_free(struct vnnlib *p);
/* Whether atom a holds at the point v (nx + ny rationals), exactly. */
bool vnn_atom_holds(const struct vnnlib *p, int a, const mpq_t *v);
/* Whether the unsafe set of case k contains the point v (box and some term). */
bool vnn_case_contains(const struct vnnlib *p, int k, const mpq_t *v);

#endif

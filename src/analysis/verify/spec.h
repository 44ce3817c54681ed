/* spec.h - properties for `mlp verify`, and the boxes of inputs they are checked over.
 *
 * A spec is one line: linear comparisons of a model's named values (inputs, outputs, any
 * statement; x[i], W[i, j]) with < <= == != >= > chained as in Python (a > b > c), combined with
 * not, and, or, => and <=> (loosest last). Comparing vectors compares every element (!= : some
 * element differs). Terms are linear: + and -, and * and / where one side is a number.
 * Parameters and constants are numbers here, taken exactly as the model wrote them.
 *
 * Parsing compiles the spec to a formula over atomic comparisons `term REL 0`, each term a
 * linear combination of atoms (one element of one graph node) plus a constant. */
#ifndef MLP_ANALYSIS_VERIFY_SPEC_H
#define MLP_ANALYSIS_VERIFY_SPEC_H

#include <stdbool.h>
#include <gmp.h>

#include "analysis/verify/linform.h"
#include "base/strbuf.h"
#include "graph/graph.h"

enum vrel { VREL_LT, VREL_LE, VREL_EQ, VREL_NE, VREL_GE, VREL_GT };

/* One element of a named value. */
struct vatom {
    mlp_id node;
    int64_t elem;
    int name; /* index in g->names, for display */
};

/* c0 + sum coef[i] * atoms[atom[i]] */
struct vterm {
    mpq_t c0;
    int n, cap;
    int *atom;
    mpq_t *coef;
};

struct vcmp {
    struct vterm t;
    enum vrel rel; /* t REL 0 */
};

enum vf_op { VF_TRUE, VF_FALSE, VF_CMP, VF_NOT, VF_AND, VF_OR, VF_IMPLIES, VF_IFF };
struct vf {
    enum vf_op op;
    int a, b; /* VF_CMP: a is the comparison; otherwise the operand formulas */
};

struct vspec {
    const mlp_graph *g;
    struct vatom *atoms;
    int natoms, capatoms;
    struct vcmp *cmps;
    int ncmps, capcmps;
    struct vf *f;
    int nf, capf;
    int root;
};

/* Parse a spec against a model's graph. Errors read "spec:COL: error: ..." with the spec as
 * the source line. */
int vspec_parse(struct vspec *s, const mlp_graph *g, const char *text, mlp_error *err);
void vspec_free(struct vspec *s);

/* A bound lo <= node[elem] <= hi on one input element. */
struct vbound {
    mlp_id node;
    int64_t elem;
    mpq_t lo, hi;
};
/* Parse "x in [-1, 1]", "x[0] in [0, 1/2]", several joined by `and` or `,`. Appends to *out
 * (*n entries; free with vbounds_free). Errors read "bounds:COL: error: ...". */
int vbounds_parse(const mlp_graph *g, const char *text, struct vbound **out, int *n,
                  mlp_error *err);
void vbounds_free(struct vbound *b, int n);

/* Whether `sign(t) REL 0` holds. */
bool vrel_holds(enum vrel r, int sign);
/* Comparison i's term as an affine form over n variables, given each atom's form (n + 1
 * rationals each): out = c0 + sum coef * atomf[atom]. */
void vspec_cmp_form(const struct vspec *s, int i, int n, mpq_t *const *atomf, mpq_t *out);
/* Comparison i over a box (NULL: all of R^n) when atom j's value lies in atomv[j] (forms over n
 * variables with intervals, linform.h): 1 if it holds at every point, 0 if at none, -1 if
 * unknown. Its form (without the interval) goes to form_out (n + 1 rationals). */
int vspec_cmp_truth(const struct vspec *s, int i, int n, const struct vaf *atomv,
                    const struct vbox *box, mpq_t *form_out);
/* Three-valued truth of formula f from the comparisons' truths (1, 0, or -1 unknown). */
int vspec_eval3(const struct vspec *s, int f, const signed char *truth);
/* Whether the spec holds when atom j has the value atomv[j] (one rational each). */
bool vspec_holds(const struct vspec *s, mpq_t *const *atomv);
/* An atom as the spec would write it: "y", "x[2]", "W[1,0]". */
void vspec_atom_name(const struct vspec *s, int atom, mlp_strbuf *out);
/* Formula f with known comparisons replaced by their truth and the rest printed from
 * `form[i]`, affine forms whose variable j is atom j (natoms variables). */
void vspec_print_residual(const struct vspec *s, int f, const signed char *truth,
                          mpq_t *const *form, mlp_strbuf *out);

#endif

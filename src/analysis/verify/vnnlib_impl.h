/* vnnlib_impl.h - the VNNLIB reader's state, shared by its two halves (vnnlib.c reads the text,
 * vnnlib_dnf.c builds the cases). Not for use elsewhere. */
#ifndef MLP_ANALYSIS_VERIFY_VNNLIB_IMPL_H
#define MLP_ANALYSIS_VERIFY_VNNLIB_IMPL_H

#include "analysis/verify/vnnlib.h"

#define VNN_MAX_VARS (1 << 20)
#define VNN_MAX_NUMBER 4096

enum { TK_LP, TK_RP, TK_SYM, TK_END };
enum { F_AND, F_OR, F_ATOM };

/* c0 + sum k[i] var v[i], where var 2 i is X_i and 2 i + 1 is Y_i. */
struct lt {
    mpq_t c0;
    int n, cap;
    int *v;
    mpq_t *k;
};

/* t >= 0, or t > 0 */
struct satom {
    struct lt t;
    bool strict;
};

/* A formula node: and / or of its children (first, then next...), or atom a. */
struct fnode {
    int op, a;
    int first, last, next;
};

struct vp {
    const char *s, *text, *file;
    size_t len, pos, tstart;
    int line, col;
    int tk;
    mlp_srcloc tloc;
    mlp_error *err;
    bool failed;
    unsigned char *decl[2]; /* X_i, Y_i declared */
    int ndecl[2];
    struct fnode *f;
    int nf, capf, root;
    struct satom *atoms;
    int natoms, capatoms;
};

void vnn_lt_clear(struct lt *t);
/* The normal form and the cases of what was read into out. */
bool vnn_build(struct vp *p, struct vnnlib *out);

#endif

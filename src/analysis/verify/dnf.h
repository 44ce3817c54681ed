/* dnf.h - disjunctive normal forms: an OR of terms, each an AND of atoms (indices). Shared by
 * the VNNLIB reader (vnnlib_dnf.c) and the spec's branch and bound (spec_bab.c). */
#ifndef MLP_ANALYSIS_VERIFY_DNF_H
#define MLP_ANALYSIS_VERIFY_DNF_H

#include <stdbool.h>

struct vdnf_term {
    int n;
    int *a;
};

struct vdnf {
    int n, cap;
    struct vdnf_term *t;
};

void vdnf_free(struct vdnf *s);
/* Append the term a[0..n) followed by b[0..m) (either may be NULL when empty). */
void vdnf_push(struct vdnf *s, const int *a, int n, const int *b, int m);
/* out = out OR sub, and out = out AND sub (every pair of terms); sub is freed. False, with out
 * freed, when the result would have more than max terms. */
bool vdnf_or(struct vdnf *out, struct vdnf *sub, int max);
bool vdnf_and(struct vdnf *out, struct vdnf *sub, int max);

#endif

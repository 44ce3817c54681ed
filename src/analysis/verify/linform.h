/* linform.h - affine forms over exact rationals: f(x) = c[0] + c[1] x_0 + ... + c[n] x_{n-1}.
 *
 * Within one activation region a piecewise-linear network is affine in its inputs, so every
 * value it computes is such a form. A form is n + 1 consecutive mpq_t; with n = 0 it is just a
 * rational, which is how the exact evaluator reuses the same code. */
#ifndef MLP_ANALYSIS_VERIFY_LINFORM_H
#define MLP_ANALYSIS_VERIFY_LINFORM_H

#include <stdbool.h>
#include <gmp.h>

/* A box over the variables: lo[i] <= x_i <= hi[i] where has_lo[i] / has_hi[i]. */
struct vbox {
    int n;
    mpq_t *lo, *hi;
    bool *has_lo, *has_hi;
};

void vbox_init(struct vbox *b, int n);
void vbox_free(struct vbox *b);
/* Intersect variable i's interval with [lo, hi]. */
void vbox_restrict(struct vbox *b, int i, const mpq_t lo, const mpq_t hi);
/* Whether some variable's interval is empty; *i receives it. */
bool vbox_empty(const struct vbox *b, int *i);
/* A point of the box (each coordinate 0 when the interval allows it, else its nearest end). */
void vbox_point(const struct vbox *b, mpq_t *x);
/* Whether x lies in the box. */
bool vbox_contains(const struct vbox *b, const mpq_t *x);

void lin_zero(int n, mpq_t *f);
/* f = x_i */
void lin_var(int n, mpq_t *f, int i);
void lin_copy(int n, mpq_t *dst, const mpq_t *src);
/* dst += k * a */
void lin_addmul(int n, mpq_t *dst, const mpq_t *a, const mpq_t k);
/* dst = a + s b  (s = +1 or -1) */
void lin_add(int n, mpq_t *dst, const mpq_t *a, const mpq_t *b, int s);
/* dst = a * k */
void lin_scale(int n, mpq_t *dst, const mpq_t *a, const mpq_t k);
/* Whether no variable has a nonzero coefficient. */
bool lin_is_const(int n, const mpq_t *f);
/* out = f(x). */
void lin_eval(int n, const mpq_t *f, const mpq_t *x, mpq_t out);
/* The least (dir = -1) or greatest (dir = +1) value of f over the box into out; false when f is
 * unbounded that way. */
bool lin_box_extreme(const mpq_t *f, const struct vbox *b, int dir, mpq_t out);
/* Sign information of f over a box: sets *ge0 when f >= 0 on all of it, *gt0 when f > 0, *le0,
 * *lt0 likewise (exact; unbounded directions decide nothing). */
void lin_box_signs(const mpq_t *f, const struct vbox *b, bool *ge0, bool *gt0, bool *le0,
                   bool *lt0);

/* ---- affine forms with an error interval ----
 * The set of values f(x) + t, lo <= t <= hi; or, when *unb, nothing is known. This is how a
 * relaxed unit (one whose side is not decided) is over-approximated; exact values have
 * lo = hi = 0 and the operations below then reduce to the exact ones. A vaf views storage owned
 * by an evaluation (net.h). */
struct vaf {
    mpq_t *f;
    mpq_ptr lo, hi;
    bool *unb;
};

void af_zero(int n, struct vaf d);
void af_copy(int n, struct vaf d, struct vaf a);
/* d = a + s b  (s = +1 or -1) */
void af_add(int n, struct vaf d, struct vaf a, struct vaf b, int s);
/* d = k a */
void af_scale(int n, struct vaf d, struct vaf a, const mpq_t k);
/* d += c a, where c's form is a constant (its variables' coefficients are 0) and its interval
 * may be nonzero; a's range over the box then bounds the product (NULL box: unbounded). */
void af_addmul(int n, struct vaf d, struct vaf c, struct vaf a, const struct vbox *box);
/* The range of a over the box (NULL: all of R^n): [*lo, *hi] where *has_lo / *has_hi. */
void af_range(int n, struct vaf a, const struct vbox *box, mpq_t lo, mpq_t hi, bool *has_lo,
              bool *has_hi);

#endif

/* signs.c - arithmetic on sign sets ({negative, zero, positive} as MLP_SIGN_* bits), from which
 * the ops' sign facts are written. */
#include "graph/ops/common.h"

enum { N = MLP_SIGN_NEG, Z = MLP_SIGN_ZERO, P = MLP_SIGN_POS, ANY = MLP_SIGN_ANY };

unsigned mlp_signs_each(unsigned s, unsigned neg, unsigned zero, unsigned pos)
{
    return (s & N ? neg : 0) | (s & Z ? zero : 0) | (s & P ? pos : 0);
}

unsigned mlp_signs_flip(unsigned s) { return mlp_signs_each(s, P, Z, N); }

unsigned mlp_signs_times(unsigned a, unsigned b)
{
    return mlp_signs_each(a, mlp_signs_flip(b), b ? Z : 0, b);
}

unsigned mlp_signs_plus(unsigned a, unsigned b)
{
    unsigned r = 0;
    for (unsigned x = 1; x <= P; x <<= 1)
        for (unsigned y = 1; y <= P; y <<= 1)
            if ((a & x) && (b & y))
                r |= x == Z ? y : y == Z ? x : x == y ? x : ANY;
    return r;
}

unsigned mlp_signs_sum_of(unsigned s) { return s == (N | P) || s == ANY ? ANY : s; }

/* The sign classes are ordered (N < Z < P) and max and min respect the order, so the sign of
 * max(x, y) is the larger of the two signs. */
static unsigned pairwise(unsigned a, unsigned b, bool larger)
{
    unsigned r = 0;
    for (unsigned x = 1; x <= P; x <<= 1)
        for (unsigned y = 1; y <= P; y <<= 1)
            if ((a & x) && (b & y))
                r |= larger ? (x > y ? x : y) : (x < y ? x : y);
    return r;
}

unsigned mlp_signs_max(unsigned a, unsigned b) { return pairwise(a, b, true); }
unsigned mlp_signs_min(unsigned a, unsigned b) { return pairwise(a, b, false); }

/* ---- sign facts shared by several ops ---- */

unsigned mlp_sign_any(const unsigned *in)
{
    (void)in;
    return ANY;
}
unsigned mlp_sign_add(const unsigned *in) { return mlp_signs_plus(in[0], in[1]); }
unsigned mlp_sign_sub(const unsigned *in) { return mlp_signs_plus(in[0], mlp_signs_flip(in[1])); }
unsigned mlp_sign_times(const unsigned *in) { return mlp_signs_times(in[0], in[1]); }
/* a / b: a zero divisor leaves nothing known (inf or nan). */
unsigned mlp_sign_div(const unsigned *in)
{
    return in[1] == Z ? ANY : mlp_signs_times(in[0], in[1] & ~(unsigned)Z);
}
/* Sums of products (matmul, dot). */
unsigned mlp_sign_products(const unsigned *in)
{
    return mlp_signs_sum_of(mlp_signs_times(in[0], in[1]));
}
/* A sum (or mean) of the operand's elements. */
unsigned mlp_sign_sum(const unsigned *in) { return mlp_signs_sum_of(in[0]); }
/* Some of the operand's elements, and zeros. */
unsigned mlp_sign_with_zeros(const unsigned *in) { return in[0] | Z; }
/* Elements of either operand (concat). */
unsigned mlp_sign_union(const unsigned *in) { return in[0] | in[1]; }
unsigned mlp_sign_max(const unsigned *in) { return mlp_signs_max(in[0], in[1]); }
unsigned mlp_sign_min(const unsigned *in) { return mlp_signs_min(in[0], in[1]); }

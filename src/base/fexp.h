/* fexp.h - mlp's own float32 exponential and logistic, written once for the library's float32
 * kernels and for the C that `mlp export --format c` generates.
 *
 * Why not libm's expf: glibc has no vector expf without -ffast-math, so every float32 sigmoid
 * was a scalar call through the PLT (a quarter of the residual benchmark, 16 of the 25 ns of a
 * generated 5-4-1 network); and libm's result is the host's, while a microcontroller's libm may
 * round differently, so the generated C could not promise `mlp eval --dtype f32`'s bits. These
 * functions are plain float arithmetic and unsigned bit operations with no branch, no table and
 * no call: the vectoriser turns a loop over them into SIMD code, and every compiler at every
 * optimisation level computes the same bits from them, provided that
 *   - float operations are done in float (FLT_EVAL_METHOD 0: x86-64 SSE, ARM, soft float; not
 *     the x87 of 32-bit x86 without -mfpmath=sse),
 *   - nothing is contracted into a fused multiply-add: every product and sum below is its own
 *     statement, so that holds with GCC's -ffp-contract=off (its default in the ISO modes,
 *     -std=c99 / -std=c11; GNU modes default to =fast, which may fuse across statements) and with
 *     clang's default -ffp-contract=on (which fuses only within one expression); and
 *   - no -ffast-math (or -fassociative-math), which would cancel the rounding trick below.
 *
 * Method (as Cody and Waite, and Cephes's expf): n = round(x / ln 2) by adding and subtracting
 * 1.5 * 2^23, which leaves the integer part of a float below 2^22 in the low mantissa bits;
 * r = x - n ln 2 with ln 2 in two parts, the first with 16 significant bits so n * LN2_HI is
 * exact for |n| <= 255 and x - n * LN2_HI is exact (Sterbenz); |r| <= 0.3466. exp(r) is
 * 1 + r + r^2 Q(r) with Q of degree 4, a minimax fit of relative error 4.3e-9 over
 * [-0.3471, 0.3471] after rounding its coefficients to float (0.07 of half an ulp), evaluated
 * as Estrin's scheme, (c2 + c3 r) + r^2 (c4 + c5 r) + r^4 c6, whose independent parts overlap
 * (Horner's rule is a chain of eight dependent operations: the 5-4-1 network's two sigmoid
 * layers took 37 ns per call with it, 33 ns this way); the rounding of r and of the last two
 * additions bound the result to about 1 ulp. Then 2^n is applied as two powers of two
 * 2^floor(n/2) and 2^ceil(n/2), each a normal float, so p 2^floor(n/2) is exact and the second
 * product rounds once: subnormal results are correctly rounded from p, and n = 128 overflows to
 * infinity. Beyond [-104, 89] (where the result is 0 or infinity anyway) the arithmetic above
 * gives meaningless bits, which the last line replaces: masks from the comparisons x > 89 and
 * x < -104, both false for NaN, so a NaN passes through (it makes every float operation NaN).
 * The reduction is mlp_fexp_reduce (r and the biased n) and with the polynomial mlp_fexp_core
 * (p = exp(r)), so that the logistic and tanh, which know their argument's range, can scale
 * once and skip the masks (below).
 * Measured error: MLP_FEXP_MAX_ULP below.
 *
 * Each function is the argument of an X macro, as q8_kernels.h's are:
 * MLP_FEXP_CODE(MLP_FEXP_EXPAND) compiles it here, and c.c writes the tokens of
 * MLP_FEXP_CODE(MLP_FEXP_STRING) into the generated file, so the two cannot differ (one macro
 * per function, so a generated file holds only those it calls: clang warns of an unused static
 * function even when it is inline). Hence no comments inside (they would not survive
 * stringification) and no macros: the constants are written out, with their meaning here:
 *   89, -104          exp(89) overflows float, exp(-104) < 2^-150 rounds to 0
 *   0x7f800000        the bits of +infinity
 *   1.442695f       1 / ln 2, rounded to float
 *   12582912.0f       1.5 * 2^23
 *   0.693145751953125f   LN2_HI = 0x1.62e4p-1 (16 bits)
 *   1.4286068e-06f      LN2_LO = ln 2 - LN2_HI, rounded to float (0x1.7f7d1cp-20)
 *   0.49999994f .. 0.001381439f   Q's coefficients c2 .. c6
 *   0x4b400000        the bits of 1.5 * 2^23, so k.u - 0x4b400000 = n (mod 2^32); adding 256
 *                     makes n + 256 in [105, 385] before halving (no shift of a negative value)
 *   0xc2d00000, 0x41a00000   the bits of -104 and 20 (the clamp bounds of the sigmoid and tanh)
 *   65u, 129u         256 - 127 - 64 and 256 - 127: (n - 65) << 23 is the float 2^(n - 256 + 64)
 *   0x1p64f           2^64, the sigmoid's scale
 *   12, 120, 60       the Pade approximant's coefficients (exact in float)
 * mlp_ftanh: for |v| < 0.5493 (atanh 1/2) the odd polynomial |v| + |v|^3 P(v^2), P of degree 4
 * a minimax fit of relative error 5.3e-9 (after rounding to float; coefficients c3 .. c11
 * below); above, 1 - 2 / (e + 1) with e = exp(2|v|), which loses no accuracy to cancellation
 * since the result is at least 1/2; the sign is v's (so tanh(-0) = -0), and a NaN stays NaN (the
 * comparison is false, the second form NaN). Both are computed and one is kept by a bit mask:
 * with `?:` GCC makes a branch of it, and the division (which it cannot prove safe to run for
 * both) keeps the loop from being vectorised.
 * mlp_fsigmoid is mlp's float32 logistic: 1 / (1 + e^-v) for v >= 0, e^v / (1 + e^v) below, so
 * no large positive number is exponentiated; written with e = exp(-|v|) and a select of the
 * numerator, so it has no branch either. Its exp(r) is not the polynomial but the [3/3] Pade
 * approximant P(r) / P(-r), P(r) = E + O with E = 120 + 12 r^2 and O = r (60 + r^2)
 * (mlp_fexp_pade returns P(r) and, through q, P(-r) = E - O): its error, r^7 / 100800 at most
 * (6e-12 relative on |r| <= 0.3466), is nothing beside float's rounding, and since the logistic
 * divides anyway, e / (1 + e) = 2^n P / (Q + 2^n P) costs no second division: five operations
 * on the chain after r instead of the polynomial's seven and the addition of 1, and no constant
 * but 12, 120 and 60. With the reduction's exact scaling below that made the 5-4-1 network's
 * generated C 29 -> 24 ns per call at -O2 (18 ns with -mavx) and a long float32 sigmoid loop at
 * -O3 1.65 -> 1.24 ns per element, for an error of 2.62 ulp instead of 2.40 (all 2^32 floats).
 * tanh keeps the polynomial: near its switch to the exp form (tanh = 1/2) the Pade's roundings
 * gave 1.75 ulp against 1.38.
 * mlp_fsoftmax is the float32 softmax of n >= 1 values (y may be x): m the largest (0 when it is
 * infinite or NaN: m - m is then not 0, as the float64 kernel's shift), e_i = mlp_fexp(x_i - m)
 * and their float sum in index order, then e_i / s; all in float, so the library's float32
 * kernel and the generated code compute the same thing with no double exp.
 * Both know their exponent's range, so they reduce it themselves, not by mlp_fexp, and scale
 * once, with no masks: tanh's 2|v| is clamped to 20 (tanh is 1 in float from 9.01 on), sigmoid's
 * -|v| to -104 (e^-104 < 2^-150), and then one power of two is a normal float: 2^n for tanh, and
 * for the sigmoid 2^(n + 64), i.e. 2^n P 2^64, with Q + 2^n P written as Q 2^64 + 2^n P 2^64 and
 * the numerator as Q 2^64 or 2^n P 2^64. Scaling by 2^64 is exact, so every normal case gives
 * the bits of the unscaled formula, and a subnormal e^v, which mlp_fexp would round before the
 * division, is rounded by the division instead (with the polynomial this was checked to give the
 * bits of exp(-|v|) from mlp_fexp for all 2^32 floats; tanh too). That takes the
 * second scaling product and the masks (two integer-register round trips in scalar code) off the
 * chain: the 5-4-1 network's call fell from 31.6 to 29.0 ns (chained 55.1 to 51.5 ns; a long
 * float32 sigmoid loop at -O3 from 1.61 to 1.38 ns per element, bench/export/RESULTS.md). The
 * clamp bounds are not constants: -104 or the float below it, chosen by the argument's last
 * bit (hi likewise). With a constant bound GCC's partial-redundancy pass computes the whole
 * function as a constant on the clamped arm and branches to it, and the loop is no longer
 * vectorised; with a bound that depends on the argument it emits a compare and a select (or a
 * maxss). Either bound gives the same result (0 or 1).
 */
#ifndef MLP_BASE_FEXP_H
#define MLP_BASE_FEXP_H

#include <stdint.h>

/* The largest error of mlp_fexp, in ulps of the exact result (double exp): 1.027 over all
 * 2^32 floats (measured once, exhaustively, at 1.027 for x = 0x1.4cbe9ap+2); mlp_fsigmoid's is
 * 2.62 (at -0x1.1ca0dap+0, all floats; 2.402 with the polynomial, as with libm's expf in the same
 * formula), mlp_ftanh's 1.38 over every 256th float (glibc's tanhf 2.09).
 * tests/unit/test_fexp.c checks the bounds over every 256th float. */
#define MLP_FEXP_MAX_ULP 1.03

#define MLP_FEXP_REDUCE_CODE(X) X(                                                                  \
static inline float mlp_fexp_reduce(float x, uint32_t *n)                                           \
{                                                                                                   \
    union { float f; uint32_t u; } k;                                                               \
    float t, kf, h, l, r;                                                                           \
    t = x * 1.442695f;                                                                              \
    k.f = t + 12582912.0f;                                                                          \
    kf = k.f - 12582912.0f;                                                                         \
    h = kf * 0.693145751953125f;                                                                    \
    r = x - h;                                                                                      \
    l = kf * 1.4286068e-06f;                                                                        \
    *n = k.u - 0x4b400000u + 256u;                                                                  \
    return r - l;                                                                                   \
})

#define MLP_FEXP_CORE_CODE(X) X(                                                                    \
static inline float mlp_fexp_core(float x, uint32_t *n)                                             \
{                                                                                                   \
    float r, r2, r4, a, b, q;                                                                       \
    r = mlp_fexp_reduce(x, n);                                                                      \
    r2 = r * r;                                                                                     \
    a = r * 0.1666652f;                                                                             \
    a = a + 0.49999994f;                                                                            \
    b = r * 0.008368817f;                                                                           \
    b = b + 0.041668396f;                                                                           \
    r4 = r2 * r2;                                                                                   \
    b = b * r2;                                                                                     \
    q = r4 * 0.001381439f;                                                                          \
    a = a + b;                                                                                      \
    q = a + q;                                                                                      \
    q = q * r2;                                                                                     \
    q = q + r;                                                                                      \
    return q + 1.0f;                                                                                \
})

#define MLP_FEXP_PADE_CODE(X) X(                                                                    \
static inline float mlp_fexp_pade(float r, float *q)                                                \
{                                                                                                   \
    float r2, e, o;                                                                                 \
    r2 = r * r;                                                                                     \
    e = r2 * 12.0f;                                                                                 \
    e = e + 120.0f;                                                                                 \
    o = r2 + 60.0f;                                                                                 \
    o = o * r;                                                                                      \
    *q = e - o;                                                                                     \
    return e + o;                                                                                   \
})

#define MLP_FEXP_CODE(X) X(                                                                         \
static inline float mlp_fexp(float x)                                                               \
{                                                                                                   \
    union { float f; uint32_t u; } s1, s2, y;                                                       \
    float p;                                                                                        \
    uint32_t big, small, n, n1;                                                                     \
    big = 0u - (uint32_t)(x > 89.0f);                                                               \
    small = 0u - (uint32_t)(x < -104.0f);                                                           \
    p = mlp_fexp_core(x, &n);                                                                       \
    n1 = n >> 1;                                                                                    \
    s1.u = (n1 - 1u) << 23;                                                                         \
    s2.u = (n - n1 - 1u) << 23;                                                                     \
    p = p * s1.f;                                                                                   \
    y.f = p * s2.f;                                                                                 \
    y.u = (y.u & ~(big | small)) | (0x7f800000u & big);                                             \
    return y.f;                                                                                     \
})

#define MLP_FSIGMOID_CODE(X) X(                                                                     \
static inline float mlp_fsigmoid(float v)                                                           \
{                                                                                                   \
    union { float f; uint32_t u; } a, lo, s;                                                        \
    uint32_t n;                                                                                     \
    float r, p, q, sp, q64, d, num;                                                                 \
    a.f = v >= 0 ? -v : v;                                                                          \
    lo.u = 0xc2d00000u | (a.u & 1u);                                                                \
    a.f = a.f < -104.0f ? lo.f : a.f;                                                               \
    r = mlp_fexp_reduce(a.f, &n);                                                                   \
    p = mlp_fexp_pade(r, &q);                                                                       \
    s.u = (n - 65u) << 23;                                                                          \
    sp = p * s.f;                                                                                   \
    q64 = q * 0x1p64f;                                                                              \
    d = q64 + sp;                                                                                   \
    num = v >= 0 ? q64 : sp;                                                                        \
    return num / d;                                                                                 \
})

#define MLP_FTANH_CODE(X) X(                                                                        \
static inline float mlp_ftanh(float v)                                                              \
{                                                                                                   \
    union { float f; uint32_t u; } a, hi, s, small, large;                                          \
    uint32_t sign, below, n;                                                                        \
    float x2, x3, p, x, e, d, q;                                                                    \
    a.f = v;                                                                                        \
    sign = a.u & 0x80000000u;                                                                       \
    a.u = a.u & 0x7fffffffu;                                                                        \
    x2 = a.f * a.f;                                                                                 \
    p = x2 * -0.006279516f;                                                                         \
    p = p + 0.021075182f;                                                                           \
    p = p * x2;                                                                                     \
    p = p + -0.053853102f;                                                                          \
    p = p * x2;                                                                                     \
    p = p + 0.13332593f;                                                                            \
    p = p * x2;                                                                                     \
    p = p + -0.33333316f;                                                                           \
    x3 = x2 * a.f;                                                                                  \
    p = p * x3;                                                                                     \
    small.f = a.f + p;                                                                              \
    x = a.f + a.f;                                                                                  \
    hi.u = 0x41a00000u | (a.u & 1u);                                                                \
    x = x > 20.0f ? hi.f : x;                                                                       \
    e = mlp_fexp_core(x, &n);                                                                       \
    s.u = (n - 129u) << 23;                                                                         \
    e = e * s.f;                                                                                    \
    d = e + 1;                                                                                      \
    q = 2 / d;                                                                                      \
    large.f = 1 - q;                                                                                \
    below = 0u - (uint32_t)(a.f < 0.5493f);                                                         \
    a.u = (small.u & below) | (large.u & ~below) | sign;                                            \
    return a.f;                                                                                     \
})

#define MLP_FSOFTMAX_CODE(X) X(                                                                     \
static inline void mlp_fsoftmax(const float *x, float *y, long n)                                   \
{                                                                                                   \
    long i;                                                                                         \
    float m = x[0], s = 0, e;                                                                       \
    for (i = 1; i < n; i++)                                                                         \
        m = x[i] > m ? x[i] : m;                                                                    \
    if (m - m != 0)                                                                                 \
        m = 0;                                                                                      \
    for (i = 0; i < n; i++) {                                                                       \
        e = mlp_fexp(x[i] - m);                                                                     \
        y[i] = e;                                                                                   \
        s += e;                                                                                     \
    }                                                                                               \
    for (i = 0; i < n; i++)                                                                         \
        y[i] = y[i] / s;                                                                            \
})

#define MLP_FEXP_EXPAND(...) __VA_ARGS__
#define MLP_FEXP_STRING(...) #__VA_ARGS__

MLP_FEXP_REDUCE_CODE(MLP_FEXP_EXPAND)
MLP_FEXP_CORE_CODE(MLP_FEXP_EXPAND)
MLP_FEXP_PADE_CODE(MLP_FEXP_EXPAND)
MLP_FEXP_CODE(MLP_FEXP_EXPAND)
MLP_FSIGMOID_CODE(MLP_FEXP_EXPAND)
MLP_FTANH_CODE(MLP_FEXP_EXPAND)
MLP_FSOFTMAX_CODE(MLP_FEXP_EXPAND)

#endif

/* q8_kernels.h - the int8 kernels, written once for the reference evaluator and the generated C.
 *
 * Each kernel is the argument of an X macro: quant.c expands it into C (the in-library integer
 * reference, `mlp eval --quantized int8`), and c_q8.c turns the very same tokens into a string
 * (#__VA_ARGS__) and writes it into the generated NAME.c. The two cannot drift apart, so the
 * generated code gives the reference's results bit for bit on any compiler (integer arithmetic
 * is exact, and the float wrapper's few operations are the same operations in the same order).
 *
 * Requantisation (as TFLite Micro and CMSIS-NN do it, in our own formulation): an int32
 * accumulator `acc` is scaled by the real multiplier M = s_in * s_w / s_out, represented as a
 * Q31 integer `mult` in [2^30, 2^31) and a right shift `shift` (M = mult / 2^shift), then
 * rounded half up: floor((acc * mult + 2^(shift-1)) / 2^shift), in 64-bit arithmetic, with the
 * floor of a negative number computed without a right shift of a negative value (whose result C
 * leaves to the implementation). The output zero point is added and the result clamped to
 * [lo, hi], which is also how ReLU is applied (lo = the zero point of 0).
 */
#ifndef MLP_EXPORT_Q8_KERNELS_H
#define MLP_EXPORT_Q8_KERNELS_H

/* floor(p / 2^s) for 1 <= s <= 62, rounded half up after adding 2^(s-1). */
#define MLP_Q8_ROUND_SHIFT(X) X(                                                                \
static int32_t q8_round_shift(int64_t p, int32_t s)                                             \
{                                                                                               \
    int64_t q = p + ((int64_t)1 << (s - 1));                                                    \
    return (int32_t)(q >= 0 ? q >> s : -(((-q - 1) >> s) + 1));                                 \
})

/* y = clamp(zp_out + requantise(bias + W x), lo, hi) for an n_out x n_in int8 matrix W. The
 * bias already holds -zp_in * (row sum of W), so x is used as stored. x is first widened into
 * xw (n_in int16): a product of two int16 values summed into an int32 is the shape compilers
 * turn into SSE2's pmaddwd (eight products, pairwise added, per instruction), where two int8
 * operands are widened product by product. The sum is the same integer either way. */
#define MLP_Q8_DENSE(X) X(                                                                      \
static void q8_dense(const int8_t *x, int8_t *y, const int8_t *w, const int32_t *bias,          \
                     const int32_t *mult, const int32_t *shift, int32_t n_in, int32_t n_out,    \
                     int32_t zp_out, int32_t lo, int32_t hi, int16_t *xw)                       \
{                                                                                               \
    int32_t i, j;                                                                               \
    for (i = 0; i < n_in; i++)                                                                  \
        xw[i] = x[i];                                                                           \
    for (j = 0; j < n_out; j++) {                                                               \
        const int8_t *row = w + j * n_in;                                                       \
        int32_t acc = bias[j], r;                                                               \
        int64_t wide;                                                                           \
        for (i = 0; i < n_in; i++) {                                                            \
            int16_t wi = row[i];                                                                \
            acc += wi * xw[i];                                                                  \
        }                                                                                       \
        wide = (int64_t)q8_round_shift((int64_t)acc * mult[j], shift[j]) + zp_out;              \
        r = wide < lo ? lo : wide > hi ? hi : (int32_t)wide;                                    \
        y[j] = (int8_t)r;                                                                       \
    }                                                                                           \
})

/* An activation as a table over the 256 int8 values (sigmoid, tanh, step in hidden layers). */
#define MLP_Q8_LUT(X) X(                                                                        \
static void q8_lut(int8_t *v, const int8_t *table, int32_t n)                                   \
{                                                                                               \
    int32_t i;                                                                                  \
    for (i = 0; i < n; i++)                                                                     \
        v[i] = table[(int32_t)v[i] + 128];                                                      \
})

/* The float wrapper: q = clamp(round(v / scale) + zp) with ties away from zero (NaN gives zp),
 * and v = (q - zp) * scale. */
#define MLP_Q8_QUANTIZE(X) X(                                                                   \
static void q8_quantize(const float *v, int8_t *q, int32_t n, float inv_scale, int32_t zp)      \
{                                                                                               \
    int32_t i, r;                                                                               \
    for (i = 0; i < n; i++) {                                                                   \
        float t = v[i] * inv_scale;                                                             \
        if (!(t == t))                                                                          \
            t = 0;                                                                              \
        t = t < -512.0f ? -512.0f : t > 512.0f ? 512.0f : t;                                    \
        r = (int32_t)(t >= 0 ? t + 0.5f : t - 0.5f) + zp;                                       \
        q[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);                                   \
    }                                                                                           \
})

#define MLP_Q8_DEQUANTIZE(X) X(                                                                 \
static void q8_dequantize(const int8_t *q, float *v, int32_t n, float scale, int32_t zp)        \
{                                                                                               \
    int32_t i;                                                                                  \
    for (i = 0; i < n; i++)                                                                     \
        v[i] = (float)((int32_t)q[i] - zp) * scale;                                             \
})

/* A final activation in the float wrapper (sigmoid, tanh, softmax) is its op's, written the same
 * way beside the op (graph/ops_c.h's mlp_q8_final). */

#define MLP_Q8_EXPAND(...) __VA_ARGS__
#define MLP_Q8_STRING(...) #__VA_ARGS__

#endif

/* fused.c - the dense-layer and activation-backward kernels of graph/lower.h.
 *
 * Each computes what the unfused nodes compute, element by element with the same operations in
 * the same order: the GEMM is the call matmul's kernel makes, the bias is added as add's kernel
 * adds it, and the activations below are the expressions of graph/ops/activation.c (repeated
 * here so the pass can stay in registers; tests/unit/test_fused.c checks the results bit for
 * bit against the unfused plan). What is saved is the memory: the product and the sum are
 * never stored and re-read, and act'(z) is taken from act(z) instead of recomputing exp. */
#include "graph/lower.h"
#include "graph/ops/common.h"

#include <tgmath.h>

/* As activation.c: the stable logistic, one exp per element. */
static inline double sigmoid_d(double v)
{
    double e = exp(v >= 0 ? -v : v);
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}
static inline float sigmoid_f(float v)
{
    float e = expf(v >= 0 ? -v : v);
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* y = act(v) for the activation op (MLP_OP_ADD: none). */
#define ACT_PASS(T, op, n, EXPR_V)                                                              \
    do {                                                                                        \
        switch (op) {                                                                           \
        case MLP_OP_RELU:                                                                       \
            for (int64_t i = 0; i < (n); i++) {                                                 \
                T v = EXPR_V;                                                                   \
                y[i] = (T)(v > 0 ? v : (v != v ? v : 0));                                       \
            }                                                                                   \
            break;                                                                              \
        case MLP_OP_SIGMOID:                                                                    \
            for (int64_t i = 0; i < (n); i++) {                                                 \
                T v = EXPR_V;                                                                   \
                y[i] = (T)MLP_GENERIC(sigmoid, v);                                              \
            }                                                                                   \
            break;                                                                              \
        case MLP_OP_TANH:                                                                       \
            for (int64_t i = 0; i < (n); i++) {                                                 \
                T v = EXPR_V;                                                                   \
                y[i] = (T)tanh(v);                                                              \
            }                                                                                   \
            break;                                                                              \
        default:                                                                                \
            for (int64_t i = 0; i < (n); i++)                                                   \
                y[i] = (T)(EXPR_V);                                                             \
        }                                                                                       \
    } while (0)

void mlp_dense_forward(const struct mlp_kargs *k)
{
    const mlp_shape ws = k->inode[0]->shape;
    int m = ws.dim[0], kk = ws.dim[1];
    bool ta = k->trans[0], c_left = k->trans[2];
    /* The vectors are the rows of X, so Y = X op(W)^T in one GEMM, exactly as matmul does. */
    mlp_gemm_any(k, 0, !ta, k->rows, m, kk, k->in[1], kk, k->in[0], ta ? m : kk, 0, k->out, m);
    enum mlp_op op = k->node->op;
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *c = (const T *)k->in[2] + r * k->in_stride[2];
        T *y = (T *)k->out + (int64_t)r * m;
        if (c_left)
            ACT_PASS(T, op, m, c[i] + y[i]);
        else
            ACT_PASS(T, op, m, y[i] + c[i]);
    });
}

/* act'(z) from h = act(z), as the derivative ops compute it from z. */
#define DERIV(op, h) ((op) == MLP_OP_DRELU ? ((h) > 0 ? 1 : 0)                                  \
                      : (op) == MLP_OP_DSIGMOID ? (h) * (1 - (h)) : 1 - (h) * (h))

void mlp_act_backward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    enum mlp_op d = k->inode[1]->op;
    bool d_left = k->trans[0];
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *gy = (const T *)k->in[0] + r * k->in_stride[0];
        const T *h = (const T *)k->in[1] + r * k->in_stride[1];
        T *y = (T *)k->out + r * n;
        for (int64_t i = 0; i < n; i++) {
            T dv = (T)DERIV(d, h[i]);
            y[i] = d_left ? dv * gy[i] : gy[i] * dv;
        }
    });
}

void mlp_act_derivative(const struct mlp_kargs *k)
{
    int64_t n = (int64_t)k->rows * mlp_shape_size(k->node->shape);
    enum mlp_op d = k->node->op;
    MLP_DISPATCH(k->dtype, const T *h = k->in[0]; T *y = k->out;
                 for (int64_t i = 0; i < n; i++) y[i] = (T)DERIV(d, h[i]););
}

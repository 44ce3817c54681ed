/* fused.c - the dense-layer and activation-backward kernels of graph/lower.h.
 *
 * Each computes what the unfused nodes compute, element by element with the same operations in
 * the same order: the GEMM is the call matmul's kernel makes, the bias is added as add's kernel
 * adds it, and the activations are the expressions of graph/ops/activation.c (the logistic is
 * common.h's mlp_sigmoid_*, shared with it; tests/unit/test_fused.c checks the results bit for
 * bit against the unfused plan). What is saved is the memory: the product and the sum are
 * never stored and re-read, and act'(z) is taken from act(z) instead of recomputing exp. */
#include "graph/lower.h"
#include "graph/ops/common.h"
#include "tensor/gemm.h"

#include <tgmath.h>

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
                y[i] = (T)MLP_GENERIC(mlp_sigmoid, v);                                              \
            }                                                                                   \
            break;                                                                              \
        case MLP_OP_TANH:                                                                       \
            for (int64_t i = 0; i < (n); i++) {                                                 \
                T v = EXPR_V;                                                                   \
                y[i] = (T)MLP_GENERIC(mlp_tanh, v);                                             \
            }                                                                                   \
            break;                                                                              \
        default:                                                                                \
            for (int64_t i = 0; i < (n); i++)                                                   \
                y[i] = (T)(EXPR_V);                                                             \
        }                                                                                       \
    } while (0)

/* y = act(S), or act(b + S) / act(S + b) with a second addend b (a dense sum S plus b). */
#define ADDEND_PASS(T, op, n, b, b_left, S)                                                    \
    do {                                                                                        \
        if (!(b))                                                                               \
            ACT_PASS(T, op, n, S);                                                              \
        else if (b_left)                                                                        \
            ACT_PASS(T, op, n, (T)(b[i] + (S)));                                                \
        else                                                                                    \
            ACT_PASS(T, op, n, (T)((S) + b[i]));                                                \
    } while (0)

/* y = act(X op(W)^T + c) for a product small enough that the GEMM would use plain loops: the
 * same sums (mlp_gemm_is_small), then the same bias and activation, element by element in one
 * loop without the GEMM call's overhead, which is what rules single samples. Not vectorised:
 * for rows of a few elements the vectoriser's set-up costs more than the loop. */
#if defined(__GNUC__) && !defined(__clang__)
#define SCALAR __attribute__((optimize("no-tree-vectorize")))
#else
#define SCALAR
#endif

static inline float act_f(enum mlp_op op, float v)
{
    return op == MLP_OP_RELU      ? (v > 0 ? v : (v != v ? v : 0))
         : op == MLP_OP_SIGMOID ? mlp_sigmoid_f(v)
         : op == MLP_OP_TANH    ? mlp_tanh_f(v) : v;
}
static inline double act_d(enum mlp_op op, double v)
{
    return op == MLP_OP_RELU      ? (v > 0 ? v : (v != v ? v : 0))
         : op == MLP_OP_SIGMOID ? mlp_sigmoid_d(v)
         : op == MLP_OP_TANH    ? tanh(v) : v;
}

#define DENSE_SMALL(T, name, act)                                                               \
    SCALAR static void name(const struct mlp_kargs *k, int m, int kk)                           \
    {                                                                                           \
        const T *W = k->in[0], *X = k->in[1];                                                   \
        bool ta = k->trans[0], c_left = k->trans[2], b_left = k->trans[3];                     \
        bool bias = k->node->op != MLP_OP_MATMUL;                                               \
        enum mlp_op op = k->node->op;                                                           \
        for (int r = 0; r < k->rows; r++) {                                                     \
            const T *x = X + (int64_t)r * kk;                                                   \
            const T *c = bias ? (const T *)k->in[2] + r * k->in_stride[2] : NULL;               \
            const T *b = k->in[3] ? (const T *)k->in[3] + r * k->in_stride[3] : NULL;           \
            T *y = (T *)k->out + (int64_t)r * m;                                                \
            for (int i = 0; i < m; i++) {                                                       \
                T s = 0;                                                                        \
                for (int p = 0; p < kk; p++)                                                    \
                    s += x[p] * (ta ? W[(int64_t)p * m + i] : W[(int64_t)i * kk + p]);          \
                if (!bias) {                                                                    \
                    y[i] = s;                                                                   \
                    continue;                                                                   \
                }                                                                               \
                T v = c_left ? c[i] + s : s + c[i];                                             \
                if (b)                                                                          \
                    v = b_left ? b[i] + v : v + b[i];                                           \
                y[i] = act(op, v);                                                              \
            }                                                                                   \
        }                                                                                       \
    }
DENSE_SMALL(float, dense_small_f32, act_f)
DENSE_SMALL(double, dense_small_f64, act_d)

void mlp_dense_forward(const struct mlp_kargs *k)
{
    const mlp_shape ws = k->inode[0]->shape;
    bool ta = k->trans[0], c_left = k->trans[2];
    int m = ws.dim[0], kk = ws.dim[1]; /* op(W)'s shape: the operand's own */
    if (mlp_gemm_is_small(k->rows, m, kk)) {
        if (k->dtype == MLP_F64)
            dense_small_f64(k, m, kk);
        else
            dense_small_f32(k, m, kk);
        return;
    }
    /* The vectors are the rows of X, so Y = X op(W)^T in one GEMM, exactly as matmul does. */
    mlp_gemm_any(k, 0, !ta, k->rows, m, kk, k->in[1], kk, k->in[0], ta ? m : kk, 0, k->out, m);
    enum mlp_op op = k->node->op;
    if (op == MLP_OP_MATMUL) /* W @ x alone: no bias, no activation */
        return;
    bool b_left = k->trans[3];
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *c = (const T *)k->in[2] + r * k->in_stride[2];
        const T *b = k->in[3] ? (const T *)k->in[3] + r * k->in_stride[3] : NULL;
        T *y = (T *)k->out + (int64_t)r * m;
        if (c_left)
            ADDEND_PASS(T, op, m, b, b_left, c[i] + y[i]);
        else
            ADDEND_PASS(T, op, m, b, b_left, y[i] + c[i]);
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

/* batch_sum(outer(a, b)) = A^T B over the batch; when the GEMM would use plain loops, the same
 * sums inline (for each element, p = 0..batch-1 in order from 0), else the GEMM kernel. */
#define OUTER_SMALL(T, name)                                                                    \
    SCALAR static void name(const struct mlp_kargs *k, int m, int n)                            \
    {                                                                                           \
        const T *A = k->in[0], *B = k->in[1];                                                   \
        int64_t sa = k->in_stride[0], sb = k->in_stride[1];                                     \
        T *y = k->out;                                                                          \
        if (k->batch == 1) { /* one sample: the sum 0 + a b of one term (SGD on one sample) */  \
            for (int i = 0; i < m; i++)                                                         \
                for (int j = 0; j < n; j++)                                                     \
                    y[(int64_t)i * n + j] = (T)0 + A[i] * B[j];                                 \
            return;                                                                             \
        }                                                                                       \
        for (int i = 0; i < m; i++)                                                             \
            for (int j = 0; j < n; j++) {                                                       \
                T s = 0;                                                                        \
                for (int p = 0; p < k->batch; p++)                                              \
                    s += A[p * sa + i] * B[p * sb + j];                                         \
                y[(int64_t)i * n + j] = s;                                                      \
            }                                                                                   \
    }
OUTER_SMALL(float, outer_small_f32)
OUTER_SMALL(double, outer_small_f64)

void mlp_batch_outer_fast(const struct mlp_kargs *k)
{
    int m = k->inode[0]->shape.dim[0], n = k->inode[1]->shape.dim[0];
    if (!mlp_gemm_is_small(m, n, k->batch))
        mlp_batch_outer_forward(k);
    else if (k->dtype == MLP_F64)
        outer_small_f64(k, m, n);
    else
        outer_small_f32(k, m, n);
}

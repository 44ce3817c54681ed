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

#include <string.h>
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

/* 16-byte vectors (GCC/clang extensions; plain scalar code where the target has none). */
typedef float v4f __attribute__((vector_size(16)));
typedef double v2d __attribute__((vector_size(16)));

/* The activation over one row of a small dense layer, in a loop of its own (one per op) that
 * the vectoriser maps to SIMD: the float32 sigmoid is base/fexp.h's branch-free arithmetic
 * (four lanes for the price of about one), and no call spills the sums' state
 * around every element. */
static void act_row_f32(float *y, int n, enum mlp_op op) { ACT_PASS(float, op, n, y[i]); }
static void act_row_f64(double *y, int n, enum mlp_op op) { ACT_PASS(double, op, n, y[i]); }

/* act'(z) from h = act(z), as the derivative ops compute it from z. */
#define DERIV(op, h) ((op) == MLP_OP_DRELU ? ((h) > 0 ? 1 : 0)                                  \
                      : (op) == MLP_OP_DSIGMOID ? (h) * (1 - (h)) : 1 - (h) * (h))

/* The small dense kernel's three forms: W @ x alone, a dense layer act(W @ x + c [+ b]), and
 * the adjoint into a hidden layer (W @ x) * act'(z) (c = h = act(z)). */
enum { DENSE_MATMUL, DENSE_LAYER, DENSE_BACK, DENSE_BACK_ADD /* with an addend b */ };

/* One form with the transpose flag fixed, so the inner loop has no branch: each element is
 * s = 0 + x_0 w_0 + x_1 w_1 + ... in order, as the GEMM's plain loops sum. */
#define DENSE_SMALL(T, name, act_row)                                                           \
    static inline __attribute__((always_inline)) void name(const struct mlp_kargs *k, int m,    \
                                                           int kk, int form, bool ta)           \
    {                                                                                           \
        const T *W = k->in[0], *X = k->in[1];                                                   \
        bool c_left = k->trans[2], b_left = k->trans[3];                                        \
        enum mlp_op op = k->node->op, dop = form >= DENSE_BACK ? k->inode[2]->op : op;          \
        for (int r = 0; r < k->rows; r++) {                                                     \
            const T *x = X + (int64_t)r * kk;                                                   \
            const T *c = form != DENSE_MATMUL ? (const T *)k->in[2] + r * k->in_stride[2] : 0;  \
            const T *b = k->in[3] ? (const T *)k->in[3] + r * k->in_stride[3] : NULL;           \
            T *y = (T *)k->out + (int64_t)r * m;                                                \
            for (int i = 0; i < m; i++) {                                                       \
                T s = 0;                                                                        \
                if (ta)                                                                         \
                    for (int p = 0; p < kk; p++)                                                \
                        s += x[p] * W[(int64_t)p * m + i];                                      \
                else                                                                            \
                    for (int p = 0; p < kk; p++)                                                \
                        s += x[p] * W[(int64_t)i * kk + p];                                     \
                if (form == DENSE_MATMUL) {                                                     \
                    y[i] = s;                                                                   \
                } else if (form >= DENSE_BACK) { /* (+ b as add) * act'(z) as act_backward */   \
                    T g = form == DENSE_BACK_ADD ? (b_left ? b[i] + s : s + b[i]) : s;          \
                    T dv = (T)DERIV(dop, c[i]);                                                 \
                    y[i] = c_left ? dv * g : g * dv;                                            \
                } else {                                                                        \
                    T v = c_left ? c[i] + s : s + c[i];                                         \
                    y[i] = b ? (b_left ? b[i] + v : v + b[i]) : v;                              \
                }                                                                               \
            }                                                                                   \
            if (form == DENSE_LAYER && op != MLP_OP_ADD)                                        \
                act_row(y, m, op);                                                              \
        }                                                                                       \
    }
DENSE_SMALL(float, dense_form_f32, act_row_f32)
DENSE_SMALL(double, dense_form_f64, act_row_f64)

/* Each form and transpose flag as its own loop (not vectorised: rows of a few elements). */
#define DENSE_DISPATCH(name, form_fn)                                                           \
    MLP_SCALAR static void name(const struct mlp_kargs *k, int m, int kk)                       \
    {                                                                                           \
        enum mlp_op op = k->node->op;                                                           \
        int form = op == MLP_OP_MATMUL ? DENSE_MATMUL                                           \
                 : op == MLP_OP_MUL    ? (k->in[3] ? DENSE_BACK_ADD : DENSE_BACK)               \
                                       : DENSE_LAYER;                                           \
        switch (form * 2 + k->trans[0]) {                                                       \
        case 0: form_fn(k, m, kk, DENSE_MATMUL, false); break;                                  \
        case 1: form_fn(k, m, kk, DENSE_MATMUL, true); break;                                   \
        case 2: form_fn(k, m, kk, DENSE_LAYER, false); break;                                   \
        case 3: form_fn(k, m, kk, DENSE_LAYER, true); break;                                    \
        case 4: form_fn(k, m, kk, DENSE_BACK, false); break;                                    \
        case 5: form_fn(k, m, kk, DENSE_BACK, true); break;                                     \
        case 6: form_fn(k, m, kk, DENSE_BACK_ADD, false); break;                                \
        default: form_fn(k, m, kk, DENSE_BACK_ADD, true); break;                                \
        }                                                                                       \
    }
DENSE_DISPATCH(dense_small_f32, dense_form_f32)
DENSE_DISPATCH(dense_small_f64, dense_form_f64)

/* A dense layer's pass after its product Y (rows of m), over columns [j0, j0 + n): the bias
 * and activation, or (W @ x [+ b]) * act'(z) from h = act(z); the same operations on each
 * element wherever the columns are cut. */
struct dense_cols {
    const struct mlp_kargs *k;
    int m;
};

static void dense_cols(void *arg, int j0, int n)
{
    const struct dense_cols *e = arg;
    const struct mlp_kargs *k = e->k;
    int m = e->m;
    enum mlp_op op = k->node->op;
    bool b_left = k->trans[3], c_left = k->trans[2];
    if (op == MLP_OP_MUL) { /* (W @ x [+ b]) * act'(z), from h = act(z) */
        enum mlp_op d = k->inode[2]->op;
        MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
            const T *h = (const T *)k->in[2] + r * k->in_stride[2] + j0;
            const T *b = k->in[3] ? (const T *)k->in[3] + r * k->in_stride[3] + j0 : NULL;
            T *y = (T *)k->out + (int64_t)r * m + j0;
            for (int i = 0; b && i < n; i++)
                y[i] = b_left ? b[i] + y[i] : y[i] + b[i];
            for (int i = 0; i < n; i++) {
                T dv = (T)DERIV(d, h[i]);
                y[i] = c_left ? dv * y[i] : y[i] * dv;
            }
        });
        return;
    }
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *c = (const T *)k->in[2] + r * k->in_stride[2] + j0;
        const T *b = k->in[3] ? (const T *)k->in[3] + r * k->in_stride[3] + j0 : NULL;
        T *y = (T *)k->out + (int64_t)r * m + j0;
        if (c_left)
            ADDEND_PASS(T, op, n, b, b_left, c[i] + y[i]);
        else
            ADDEND_PASS(T, op, n, b, b_left, y[i] + c[i]);
    });
}

void mlp_dense_forward(const struct mlp_kargs *k)
{
    const mlp_shape ws = k->inode[0]->shape;
    bool ta = k->trans[0];
    int m = ws.dim[0], kk = ws.dim[1]; /* op(W)'s shape: the operand's own */
    if (mlp_gemm_is_small(k->rows, m, kk)) {
        if (k->dtype == MLP_F64)
            dense_small_f64(k, m, kk);
        else
            dense_small_f32(k, m, kk);
        return;
    }
    /* The vectors are the rows of X, so Y = X op(W)^T in one GEMM, exactly as matmul does; the
     * bias and activation follow on each part's columns (split with the product). */
    struct dense_cols e = {k, m};
    mlp_gemm_then then = {dense_cols, &e};
    mlp_gemm_any_then(k, 0, !ta, k->rows, m, kk, k->in[1], kk, k->in[0], ta ? m : kk, 0, k->out,
                      m, k->node->op == MLP_OP_MATMUL ? NULL : &then);
}

#define ACT_BACKWARD_ROWS(k, n, rows)                                                           \
    do {                                                                                        \
        enum mlp_op d = (k)->inode[1]->op;                                                      \
        bool d_left = (k)->trans[0];                                                            \
        MLP_DISPATCH((k)->dtype, for (int r = 0; r < (rows); r++) {                             \
            const T *gy = (const T *)(k)->in[0] + r * (k)->in_stride[0];                        \
            const T *h = (const T *)(k)->in[1] + r * (k)->in_stride[1];                         \
            T *y = (T *)(k)->out + r * (n);                                                     \
            for (int64_t i = 0; i < (n); i++) {                                                 \
                T dv = (T)DERIV(d, h[i]);                                                       \
                y[i] = d_left ? dv * gy[i] : gy[i] * dv;                                        \
            }                                                                                   \
        });                                                                                     \
    } while (0)

MLP_SCALAR static void act_backward_tiny(const struct mlp_kargs *k, int64_t n)
{
    ACT_BACKWARD_ROWS(k, n, 1);
}

__attribute__((noinline)) static void act_backward_rows(const struct mlp_kargs *k, int64_t n)
{
    ACT_BACKWARD_ROWS(k, n, k->rows);
}

void mlp_act_backward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    if (k->rows == 1 && n <= MLP_TINY)
        act_backward_tiny(k, n);
    else
        act_backward_rows(k, n);
}

void mlp_act_derivative(const struct mlp_kargs *k)
{
    int64_t n = (int64_t)k->rows * mlp_shape_size(k->node->shape);
    enum mlp_op d = k->node->op;
    MLP_DISPATCH(k->dtype, const T *h = k->in[0]; T *y = k->out;
                 for (int64_t i = 0; i < n; i++) y[i] = (T)DERIV(d, h[i]););
}

/* The weights an SGD run updates by out (i = 0) or out2 (i = 1), or NULL; the rate as T. */
#define SGD_W(k, i) ((k)->sgd && (k)->sgd->on ? (k)->sgd_w[i] : NULL)
#define SGD_LR(T, k) ((k)->sgd ? (T)(k)->sgd->lr : (T)0)

/* out2 = batch_sum(a) over the batch, as batch_sum sums it (a is batched: rows of m), and
 * wb -= lr * out2 when an SGD run fuses the bias update here. */
#define BIAS_SUM(T, k, m)                                                                       \
    do {                                                                                        \
        const T *restrict A_ = (k)->in[0];                                                      \
        T *restrict bs_ = (k)->out2, *wb_ = SGD_W(k, 1), lr_ = SGD_LR(T, k);                   \
        MLP_SUM_ROWS(T, bs_, A_, (k)->batch, (int64_t)(m));                                     \
        for (int i = 0; wb_ && i < (m); i++)                                                    \
            wb_[i] -= lr_ * bs_[i];                                                             \
    } while (0)

/* One row of a single sample's outer product, y_j = 0 + a b_j, and w_j -= lr y_j when w is not
 * NULL: 16 bytes at a time (each lane the scalar operations, so the same bits), then the rest.
 * `a * vb` broadcasts a without arithmetic. */
#define OUTER_ROW(T, V, a, B, yi, wi, lr, n)                                                    \
    do {                                                                                        \
        int j = 0;                                                                              \
        for (; j + (int)(sizeof(V) / sizeof(T)) <= (n); j += (int)(sizeof(V) / sizeof(T))) {   \
            V vb, vg, vw;                                                                       \
            memcpy(&vb, (B) + j, sizeof vb);                                                    \
            vg = (V){0} + (a) * vb;                                                             \
            memcpy((yi) + j, &vg, sizeof vg);                                                   \
            if (wi) {                                                                           \
                memcpy(&vw, (wi) + j, sizeof vw);                                               \
                vw -= (lr) * vg;                                                                \
                memcpy((wi) + j, &vw, sizeof vw);                                               \
            }                                                                                   \
        }                                                                                       \
        for (; j < (n); j++) {                                                                  \
            T g = (T)0 + (a) * (B)[j];                                                          \
            (yi)[j] = g;                                                                        \
            if (wi)                                                                             \
                (wi)[j] -= (lr) * g;                                                            \
        }                                                                                       \
    } while (0)

/* batch_sum(outer(a, b)) = A^T B over the batch; when the GEMM would use plain loops, the same
 * sums inline (for each element, p = 0..batch-1 in order from 0), else the GEMM kernel. An SGD
 * run's update w -= lr * y is applied as each y is made (single samples) or after the sums. */
#define OUTER_SMALL(T, V, name)                                                                 \
    MLP_SCALAR static void name(const struct mlp_kargs *k, int m, int n)                        \
    {                                                                                           \
        const T *A = k->in[0], *B = k->in[1];                                                   \
        int64_t sa = k->in_stride[0], sb = k->in_stride[1];                                     \
        T *y = k->out, *w = SGD_W(k, 0), lr = SGD_LR(T, k);                                     \
        if (k->batch == 1) { /* one sample: the sum 0 + a b of one term (SGD on one sample) */  \
            for (int i = 0; i < m; i++) {                                                       \
                T a = A[i], *yi = y + (int64_t)i * n, *wi = w ? w + (int64_t)i * n : NULL;      \
                OUTER_ROW(T, V, a, B, yi, wi, lr, n);                                           \
            }                                                                                   \
        } else {                                                                                \
            for (int i = 0; i < m; i++)                                                         \
                for (int j = 0; j < n; j++) {                                                   \
                    T s = 0;                                                                    \
                    for (int p = 0; p < k->batch; p++)                                          \
                        s += A[p * sa + i] * B[p * sb + j];                                     \
                    y[(int64_t)i * n + j] = s;                                                  \
                }                                                                               \
            for (int64_t e = 0; w && e < (int64_t)m * n; e++)                                   \
                w[e] -= lr * y[e];                                                              \
        }                                                                                       \
        if (k->out2)                                                                            \
            BIAS_SUM(T, k, m);                                                                  \
    }
OUTER_SMALL(float, v4f, outer_small_f32)
OUTER_SMALL(double, v2d, outer_small_f64)

/* The same after the GEMM: the weight update in one pass, then the bias sum. */
static void outer_finish(const struct mlp_kargs *k, int m, int n)
{
    int64_t count = (int64_t)m * n;
    MLP_DISPATCH(k->dtype, T *restrict w = SGD_W(k, 0); const T *restrict y = k->out;
                 T lr = SGD_LR(T, k);
                 for (int64_t e = 0; w && e < count; e++) w[e] -= lr * y[e];
                 if (k->out2) BIAS_SUM(T, k, m););
}

void mlp_batch_outer_fast(const struct mlp_kargs *k)
{
    int m = k->inode[0]->shape.dim[0], n = k->inode[1]->shape.dim[0];
    if (!mlp_gemm_is_small(m, n, k->batch)) {
        mlp_batch_outer_forward(k);
        outer_finish(k, m, n);
    } else if (k->dtype == MLP_F64) {
        outer_small_f64(k, m, n);
    } else {
        outer_small_f32(k, m, n);
    }
}

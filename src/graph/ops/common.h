/* common.h - shared pieces of the op families: dtype dispatch, elementwise loops, shape rules. */
#ifndef MLP_GRAPH_OPS_COMMON_H
#define MLP_GRAPH_OPS_COMMON_H

#include <math.h>
#include <string.h>
#include "base/fexp.h"
#include "graph/graph.h"

/* Run the statements once with T = double or T = float, by the kernel's dtype. */
#define MLP_DISPATCH(dtype, ...)                                                                \
    do {                                                                                        \
        if ((dtype) == MLP_F64) {                                                               \
            typedef double T;                                                                   \
            __VA_ARGS__                                                                         \
        } else {                                                                                \
            typedef float T;                                                                    \
            __VA_ARGS__                                                                         \
        }                                                                                       \
    } while (0)

/* Pick the float or double version of a scalar function by the argument's type. */
#define MLP_GENERIC(fn, v) _Generic((v), float: fn##_f, default: fn##_d)(v)

/* A forward kernel computing y = EXPR(v) for each element v of the single operand. A unary op's
 * operand is batched exactly when its result is, so rows * size elements are contiguous. */
#define MLP_UNARY_FORWARD(fname, EXPR)                                                          \
    static void fname(const struct mlp_kargs *k)                                                \
    {                                                                                           \
        int64_t count = (int64_t)k->rows * mlp_shape_size(k->node->shape);                      \
        MLP_DISPATCH(k->dtype, const T *x = k->in[0]; T *y = k->out;                            \
                     for (int64_t i = 0; i < count; i++) {                                      \
                         T v = x[i];                                                            \
                         y[i] = (T)(EXPR);                                                      \
                     });                                                                        \
    }

/* A function the vectoriser leaves alone: for a few elements its set-up (alias checks, peeling,
 * the remainder loop) costs more than the loop (single samples). */
#if defined(__GNUC__) && !defined(__clang__)
#define MLP_SCALAR __attribute__((optimize("no-tree-vectorize")))
#else
#define MLP_SCALAR
#endif
/* At most this many elements in all: a kernel's plain loop (MLP_SCALAR). */
#define MLP_TINY 8

/* Operand j of an elementwise kernel whose rows of n can be read as one long row: per-sample
 * values of the result's size, back to back, or one scalar for every sample. */
#define MLP_FLAT_OPERAND(k, j, n, size)                                                         \
    ((k)->in_stride[j] == (n) ? (size) == (n) : (k)->in_stride[j] == 0 && (size) == 1)

/* A forward kernel computing y = EXPR(a, b) elementwise; either operand may be a scalar
 * (broadcast) or unbatched (in_stride 0). One sample of a few elements takes a plain loop. */
#define MLP_BINARY_FORWARD(fname, EXPR)                                                         \
    MLP_SCALAR static void fname##_tiny(const struct mlp_kargs *k, int64_t n, int64_t na,      \
                                        int64_t nb)                                             \
    {                                                                                           \
        MLP_DISPATCH(k->dtype, const T *A = k->in[0]; const T *B = k->in[1]; T *Y = k->out;    \
                     for (int64_t i = 0; i < n; i++) {                                          \
                         T a = A[na == n ? i : 0], b = B[nb == n ? i : 0];                      \
                         Y[i] = (T)(EXPR);                                                      \
                     });                                                                        \
    }                                                                                           \
    __attribute__((noinline)) static void fname##_rows(const struct mlp_kargs *k, int rows,     \
                                                       int64_t n, int64_t na, int64_t nb)       \
    {                                                                                           \
        MLP_DISPATCH(k->dtype, for (int r = 0; r < rows; r++) {                                 \
            const T *A = (const T *)k->in[0] + r * k->in_stride[0];                             \
            const T *B = (const T *)k->in[1] + r * k->in_stride[1];                             \
            T *Y = (T *)k->out + r * n;                                                         \
            if (na == n && nb == n) {                                                           \
                for (int64_t i = 0; i < n; i++) {                                               \
                    T a = A[i], b = B[i];                                                       \
                    Y[i] = (T)(EXPR);                                                           \
                }                                                                               \
            } else if (na == n) {                                                               \
                T b = B[0];                                                                     \
                for (int64_t i = 0; i < n; i++) {                                               \
                    T a = A[i];                                                                 \
                    Y[i] = (T)(EXPR);                                                           \
                }                                                                               \
            } else {                                                                            \
                T a = A[0];                                                                     \
                for (int64_t i = 0; i < n; i++) {                                               \
                    T b = B[i];                                                                 \
                    Y[i] = (T)(EXPR);                                                           \
                }                                                                               \
            }                                                                                   \
        });                                                                                     \
    }                                                                                           \
    static void fname(const struct mlp_kargs *k)                                                \
    {                                                                                           \
        int64_t n = mlp_shape_size(k->node->shape);                                             \
        int64_t na = mlp_shape_size(k->inode[0]->shape);                                        \
        int64_t nb = mlp_shape_size(k->inode[1]->shape);                                        \
        int rows = k->rows;                                                                     \
        if (rows > 1 && MLP_FLAT_OPERAND(k, 0, n, na) && MLP_FLAT_OPERAND(k, 1, n, nb)) {       \
            /* the samples back to back as one row: one loop instead of one per sample */      \
            na = k->in_stride[0] ? n * rows : 1;                                                \
            nb = k->in_stride[1] ? n * rows : 1;                                                \
            n *= rows;                                                                          \
            rows = 1;                                                                           \
        }                                                                                       \
        if (rows == 1 && n <= MLP_TINY)                                                         \
            fname##_tiny(k, n, na, nb);                                                         \
        else                                                                                    \
            fname##_rows(k, rows, n, na, nb);                                                   \
    }

/* A forward kernel computing y = EXPR over NARGS operands, element by element: EXPR reads the
 * operands' elements as a[0], a[1], ...; a scalar operand broadcasts, an unbatched one repeats
 * for every sample. */
#define MLP_NARY_FORWARD(fname, NARGS, EXPR)                                                    \
    static void fname(const struct mlp_kargs *k)                                                \
    {                                                                                           \
        int64_t n = mlp_shape_size(k->node->shape), step[NARGS];                                \
        for (int j = 0; j < (NARGS); j++)                                                       \
            step[j] = mlp_shape_size(k->inode[j]->shape) == n ? 1 : 0;                          \
        MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {                              \
            const T *in[NARGS];                                                                 \
            for (int j = 0; j < (NARGS); j++)                                                   \
                in[j] = (const T *)k->in[j] + r * k->in_stride[j];                              \
            T *Y = (T *)k->out + r * n;                                                         \
            for (int64_t i = 0; i < n; i++) {                                                   \
                T a[NARGS];                                                                     \
                for (int j = 0; j < (NARGS); j++)                                               \
                    a[j] = in[j][i * step[j]];                                                  \
                Y[i] = (T)(EXPR);                                                               \
            }                                                                                   \
        });                                                                                     \
    }

/* y = 0 + x_0 + x_1 + ... + x_{rows-1} per element, x holding `rows` rows of n (batch_sum, and
 * the bias gradient beside a weight gradient). Column blocks of 128 bytes are summed over the
 * rows in registers (the order of a running sum in y), so y is not loaded and stored once per
 * row. One row (SGD on single samples, or a value that does not vary per sample) is 0 + x_0 in
 * one pass. y and x are T pointers that do not alias. */
#define MLP_SUM_ROWS(T, y, x, rows, n)                                                          \
    do {                                                                                        \
        enum { W_ = 128 / sizeof(T) };                                                          \
        int64_t i0_ = 0;                                                                        \
        for (; (rows) > 1 && i0_ + W_ <= (n); i0_ += W_) {                                      \
            T acc_[W_] = {0};                                                                   \
            for (int r_ = 0; r_ < (rows); r_++)                                                 \
                for (int i_ = 0; i_ < W_; i_++)                                                 \
                    acc_[i_] += (x)[r_ * (n) + i0_ + i_];                                       \
            memcpy((y) + i0_, acc_, sizeof acc_);                                               \
        }                                                                                       \
        for (int64_t i_ = i0_; i_ < (n); i_++)                                                  \
            (y)[i_] = (T)0 + (x)[i_];                                                           \
        for (int r_ = 1; r_ < (rows); r_++)                                                     \
            for (int64_t i_ = i0_; i_ < (n); i_++)                                              \
                (y)[i_] += (x)[r_ * (n) + i_];                                                  \
    } while (0)

/* Per-sample sums of TERM (an expression of the element index i and the row pointers
 * a[j], b[j] of sample r + j) over n elements, accumulated in double from 0 in index order;
 * out[r] = (T)FINISH(s). Eight samples go together: each sum is still one chain in order (the
 * same bits as one sample at a time), but eight independent chains keep the adder busy where a
 * single one waits out each add's latency. TERM need not read b. */
#define MLP_ROW_SUMS 8
#define MLP_ROWWISE_SUM(T, k, n, A, sa, B, sb, TERM, FINISH)                                   \
    do {                                                                                        \
        T *out_ = (T *)(k)->out;                                                                \
        int rows_ = (k)->rows, r = 0;                                                           \
        for (; r + MLP_ROW_SUMS <= rows_; r += MLP_ROW_SUMS) {                                  \
            const T *a[MLP_ROW_SUMS], *b[MLP_ROW_SUMS];                                         \
            double acc[MLP_ROW_SUMS] = {0};                                                     \
            for (int j = 0; j < MLP_ROW_SUMS; j++) {                                            \
                a[j] = (const T *)(A) + (r + j) * (sa);                                         \
                b[j] = (const T *)(B) + (r + j) * (sb);                                         \
            }                                                                                   \
            (void)b;                                                                            \
            for (int64_t i = 0; i < (n); i++)                                                   \
                for (int j = 0; j < MLP_ROW_SUMS; j++)                                          \
                    acc[j] += (TERM);                                                           \
            for (int j = 0; j < MLP_ROW_SUMS; j++) {                                            \
                double s = acc[j];                                                              \
                out_[r + j] = (T)(FINISH);                                                      \
            }                                                                                   \
        }                                                                                       \
        for (; r < rows_; r++) { /* the last few samples (or the only one) alone */             \
            const T *a[1] = {(const T *)(A) + r * (sa)}, *b[1] = {(const T *)(B) + r * (sb)};   \
            const int j = 0;                                                                    \
            double s = 0;                                                                       \
            (void)b;                                                                            \
            for (int64_t i = 0; i < (n); i++)                                                   \
                s += (TERM);                                                                    \
            out_[r] = (T)(FINISH);                                                              \
        }                                                                                       \
    } while (0)

/* Sign facts shared by several ops (signs.c). */
unsigned mlp_sign_any(const unsigned *in);
unsigned mlp_sign_add(const unsigned *in);
unsigned mlp_sign_sub(const unsigned *in);
unsigned mlp_sign_times(const unsigned *in);
unsigned mlp_sign_div(const unsigned *in);
unsigned mlp_sign_products(const unsigned *in);
unsigned mlp_sign_sum(const unsigned *in);
unsigned mlp_sign_with_zeros(const unsigned *in);
unsigned mlp_sign_union(const unsigned *in);
unsigned mlp_sign_max(const unsigned *in);
unsigned mlp_sign_min(const unsigned *in);
/* Sign triples (.sign) for elementwise unary ops. */
#define MLP_S_N MLP_SIGN_NEG
#define MLP_S_Z MLP_SIGN_ZERO
#define MLP_S_P MLP_SIGN_POS
#define MLP_S_ANY MLP_SIGN_ANY
#define MLP_SIGNS(neg, zero, pos) {(neg), (zero), (pos)}
/* The same signs as the operand, element for element (identity, transpose, reshape). */
#define MLP_SIGNS_SAME MLP_SIGNS(MLP_S_N, MLP_S_Z, MLP_S_P)

/* Shape rules shared by several ops. */
bool mlp_shape_same(mlp_graph *g, const struct mlp_node *n, mlp_shape *out);
bool mlp_shape_elementwise(mlp_graph *g, const struct mlp_node *n, mlp_shape *out);
bool mlp_shape_to_scalar(mlp_graph *g, const struct mlp_node *n, mlp_shape *out);
/* Operand 0's shape; every other operand is a scalar (leaky_relu's slope, clip's bounds). */
bool mlp_shape_scalar_args(mlp_graph *g, const struct mlp_node *n, mlp_shape *out);
/* Every operand shaped like the others, or a scalar (batch_norm_infer's); the common shape. */
bool mlp_shape_elementwise_n(mlp_graph *g, const struct mlp_node *n, mlp_shape *out);
/* The texts a shape error quotes: the expression (or op name) and the operands' shapes. */
struct mlp_shape_texts {
    char ctx[100], a[64], b[64];
};
void mlp_shape_texts(mlp_graph *g, const struct mlp_node *n, struct mlp_shape_texts *t);
/* Report "<what> needs <need>, got [dims] in 'expr'". */
bool mlp_shape_require(mlp_graph *g, const struct mlp_node *n, const char *need);

/* Operand shapes, for brevity in rules. */
static inline mlp_shape mlp_in_shape(const mlp_graph *g, const struct mlp_node *n, int i)
{
    return g->nodes[n->in[i]].shape;
}

/* Build op on two or three operands through the smart constructors. */
static inline mlp_id mlp_op2(mlp_graph *g, enum mlp_op op, mlp_id a, mlp_id b)
{
    mlp_id in[MLP_MAX_ARITY] = {a, b, MLP_NONE, MLP_NONE, MLP_NONE, MLP_NONE};
    return mlp_build(g, op, in, NULL, mlp_shape_scalar());
}
static inline mlp_id mlp_op3(mlp_graph *g, enum mlp_op op, mlp_id a, mlp_id b, mlp_id c)
{
    mlp_id in[MLP_MAX_ARITY] = {a, b, c, MLP_NONE, MLP_NONE, MLP_NONE};
    return mlp_build(g, op, in, NULL, mlp_shape_scalar());
}

/* Numerically stable logistic: never exponentiates a large positive number. */
static inline double mlp_sigmoid_d(double v)
{
    double e = exp(v >= 0 ? -v : v); /* one exp per element (the value is the same) */
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}
/* float32: base/fexp.h's, which is also the generated C's (mlp export --format c), with no
 * libm call, so a loop over it vectorises: the same formula over mlp's own exp. */
static inline float mlp_sigmoid_f(float v) { return mlp_fsigmoid(v); }

/* tanh by dtype: libm's in float64, base/fexp.h's in float32 (the same in the generated C). */
static inline double mlp_tanh_d(double v) { return tanh(v); }
static inline float mlp_tanh_f(float v) { return mlp_ftanh(v); }

/* exp by dtype: libm's in float64, base/fexp.h's in float32 (see there why). */
static inline double mlp_exp_d(double v) { return exp(v); }
static inline float mlp_exp_f(float v) { return mlp_fexp(v); }


/* sum(exp(x - m)) over n values of the dtype, where m (stored in *shift) is their maximum (0 if
 * that is infinite): logsumexp(x) = m + log(result), and no finite input overflows. */
double mlp_sum_exp_shifted(mlp_dtype dtype, const void *x, int64_t n, double *shift);

/* C = op(A) op(B) + beta C on untyped buffers of the kernel's dtype, with the kernel's GEMM
 * context (its packing workspace). */
void mlp_gemm_any(const struct mlp_kargs *k, int ta, int tb, int M, int N, int K, const void *A,
                  int lda, const void *B, int ldb, double beta, void *C, int ldc);
/* The same with an elementwise pass over C's columns split with the product (tensor/gemm.h). */
struct mlp_gemm_then;
void mlp_gemm_any_then(const struct mlp_kargs *k, int ta, int tb, int M, int N, int K,
                       const void *A, int lda, const void *B, int ldb, double beta, void *C,
                       int ldc, const struct mlp_gemm_then *then);

#endif

/* loss.c - per-sample training losses, each a scalar per sample, and the derivative op the
 * softmax cross-entropy's rule emits.
 *
 *   squared_error(y, t)  = 1/2 sum((y - t)^2)                      dy = y - t
 *   bce_logits(z, t)     = sum(max(z, 0) - z t + log(1 + exp(-|z|)))  dz = sigmoid(z) - t
 *   softmax_xent(z, c)   = logsumexp(z) - z[c]   (c: a class index)    dz = softmax(z) - onehot(c)
 *
 * The forms are the numerically stable ones: bce_logits never exponentiates a positive number,
 * softmax_xent subtracts the maximum logit first. A class index that is not an integer in
 * 0..n-1 gives NaN (data loaders reject such labels before they get here). The training loop
 * minimises the batch mean of the per-sample loss; see src/train/trainer.c.
 */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <tgmath.h>

/* Two operands of equal shape -> a scalar. */
static bool pair_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, nd, 0), b = mlp_in_shape(g, nd, 1);
    if (!mlp_shape_equal(a, b)) {
        struct mlp_shape_texts t;
        mlp_shape_texts(g, nd, &t);
        mlp_graph_fail(g, "shape mismatch in %s: %s needs a prediction and a target of equal "
                          "shapes, got %s and %s", t.ctx, mlp_op_name(nd->op), t.a, t.b);
        return false;
    }
    *out = mlp_shape_scalar();
    return true;
}

/* Logits (a vector) and a class index (a scalar); the result is a scalar or logit-shaped. */
static bool class_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape z = mlp_in_shape(g, nd, 0), c = mlp_in_shape(g, nd, 1);
    if (z.rank != 1 || c.rank != 0) {
        struct mlp_shape_texts t;
        mlp_shape_texts(g, nd, &t);
        mlp_graph_fail(g, "%s needs a vector of logits and a scalar class index, got %s and %s "
                          "in %s", mlp_op_name(nd->op), t.a, t.b, t.ctx);
        return false;
    }
    *out = nd->op == MLP_OP_SOFTMAX_XENT ? mlp_shape_scalar() : z;
    return true;
}

/* Per-sample sum of TERM(a, b) over the elements of two equal-shaped operands. */
#define PAIR_LOSS_FORWARD(fname, TERM)                                                          \
    static void fname(const struct mlp_kargs *k)                                                \
    {                                                                                           \
        int64_t n = mlp_shape_size(k->inode[0]->shape);                                         \
        MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {                              \
            const T *A = (const T *)k->in[0] + r * k->in_stride[0];                             \
            const T *B = (const T *)k->in[1] + r * k->in_stride[1];                             \
            double s = 0;                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                   \
                double a = A[i], b = B[i];                                                      \
                s += (TERM);                                                                    \
            }                                                                                   \
            ((T *)k->out)[r] = (T)s;                                                            \
        });                                                                                     \
    }

/* ---- squared_error(y, t) = 1/2 sum((y - t)^2) ---- */
PAIR_LOSS_FORWARD(squared_error_forward, 0.5 * (a - b) * (a - b))
static void squared_error_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id d = mlp_mul(g, gy, mlp_sub(g, mlp_operand(g, y, 0), mlp_operand(g, y, 1)));
    gx[0] = need[0] ? d : MLP_NONE;
    gx[1] = need[1] ? mlp_neg(g, d) : MLP_NONE;
}

/* ---- bce_logits(z, t): binary cross-entropy of sigmoid(z) against targets t in [0, 1] ---- */
PAIR_LOSS_FORWARD(bce_logits_forward, (a > 0 ? a : 0) - a * b + log1p(exp(-fabs(a))))
static void bce_logits_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id z = mlp_operand(g, y, 0), t = mlp_operand(g, y, 1);
    gx[0] = need[0] ? mlp_mul(g, gy, mlp_sub(g, mlp_unary(g, MLP_OP_SIGMOID, z), t)) : MLP_NONE;
    gx[1] = need[1] ? mlp_neg(g, mlp_mul(g, gy, z)) : MLP_NONE;
}

/* The class index of sample r, or -1 when it is not an integer in 0..n-1. */
static int64_t class_of(const struct mlp_kargs *k, int r, int64_t n)
{
    double c;
    MLP_DISPATCH(k->dtype, c = ((const T *)k->in[1])[r * k->in_stride[1]];);
    return c >= 0 && c < (double)n && c == floor(c) ? (int64_t)c : -1;
}

/* ---- softmax_xent(z, c) = logsumexp(z) - z[c]: cross-entropy of softmax(z) and class c ---- */
static void softmax_xent_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->inode[0]->shape);
    size_t es = mlp_dtype_size(k->dtype);
    for (int r = 0; r < k->rows; r++) {
        const void *z = (const char *)k->in[0] + (size_t)(r * k->in_stride[0]) * es;
        int64_t c = class_of(k, r, n);
        double m, s = mlp_sum_exp_shifted(k->dtype, z, n, &m), zc = NAN;
        if (c >= 0)
            MLP_DISPATCH(k->dtype, zc = ((const T *)z)[c];);
        /* (m - zc) first: both are large when the logits are, their difference is not. */
        MLP_DISPATCH(k->dtype, ((T *)k->out)[r] = (T)((m - zc) + log(s)););
    }
}
static void softmax_xent_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    /* The class index is piecewise constant: its derivative is zero wherever it exists. */
    mlp_id in[2] = {mlp_operand(g, y, 0), mlp_operand(g, y, 1)};
    gx[0] = need[0] ? mlp_mul(g, gy, mlp_build(g, MLP_OP_DSOFTMAX_XENT, in, NULL,
                                                mlp_shape_scalar()))
                    : MLP_NONE;
    gx[1] = MLP_NONE;
}

/* ---- dsoftmax_xent(z, c) = softmax(z) - onehot(c): the gradient of softmax_xent in z ---- */
static void dsoftmax_xent_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->inode[0]->shape);
    size_t es = mlp_dtype_size(k->dtype);
    for (int r = 0; r < k->rows; r++) {
        const void *z = (const char *)k->in[0] + (size_t)(r * k->in_stride[0]) * es;
        int64_t c = class_of(k, r, n);
        double m, s = mlp_sum_exp_shifted(k->dtype, z, n, &m);
        MLP_DISPATCH(k->dtype, const T *x = z; T *out = (T *)k->out + r * n;
                     for (int64_t i = 0; i < n; i++) {
                         double p = exp((double)x[i] - m) / s;
                         out[i] = (T)(c < 0 ? NAN : p - (i == c));
                     });
    }
}
/* d(softmax(z))^T gy = s * (gy - dot(gy, s)), s = softmax(z); the one-hot part is constant. */
static void dsoftmax_xent_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id s = mlp_unary(g, MLP_OP_SOFTMAX, mlp_operand(g, y, 0));
    gx[0] = need[0] ? mlp_mul(g, s, mlp_sub(g, gy, mlp_dot(g, gy, s))) : MLP_NONE;
    gx[1] = MLP_NONE;
}

#define LOSS_INFO(ID, shape_fn, fwd, vjp_fn, math_, latex_)                                     \
    const struct mlp_op_info mlp_op_info_##ID = {                                               \
        .cls = MLP_CLASS_SMOOTH, .shape = shape_fn, .forward = fwd, .vjp = vjp_fn,              \
        .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = math_, .latex = latex_,       \
        .sign_fn = mlp_sign_any};

LOSS_INFO(SQUARED_ERROR, pair_shape, squared_error_forward, squared_error_vjp, "squared_error",
          "\\operatorname{squared\\_error}")
LOSS_INFO(BCE_LOGITS, pair_shape, bce_logits_forward, bce_logits_vjp, "bce_logits",
          "\\operatorname{bce\\_logits}")
LOSS_INFO(SOFTMAX_XENT, class_shape, softmax_xent_forward, softmax_xent_vjp, "softmax_xent",
          "\\operatorname{softmax\\_xent}")
LOSS_INFO(DSOFTMAX_XENT, class_shape, dsoftmax_xent_forward, dsoftmax_xent_vjp, "dsoftmax_xent",
          "\\operatorname{dsoftmax\\_xent}")

/* ---- the C lowerings (graph/ops_c.h) ---- */

#define LOSS_WHY "a training loss (export the outputs a deployed model computes, not its loss)"
MLP_C_OP(SQUARED_ERROR, MLP_C_UNSUPPORTED(LOSS_WHY), MLP_Q8_NO)
MLP_C_OP(BCE_LOGITS, MLP_C_UNSUPPORTED(LOSS_WHY), MLP_Q8_NO)
MLP_C_OP(SOFTMAX_XENT, MLP_C_UNSUPPORTED(LOSS_WHY), MLP_Q8_NO)
MLP_C_OP(DSOFTMAX_XENT, MLP_C_UNSUPPORTED("the gradient of a training loss"), MLP_Q8_NO)

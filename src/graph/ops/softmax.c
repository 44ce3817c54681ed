/* softmax.c - softmax, log-softmax and log-sum-exp over a vector, computed stably: the maximum
 * is subtracted before exponentiating, so no finite input overflows. */
#include "graph/ops/common.h"

#include <tgmath.h>

static bool vector_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    if (mlp_in_shape(g, nd, 0).rank != 1)
        return mlp_shape_require(g, nd, "a vector");
    *out = nd->op == MLP_OP_LOGSUMEXP ? mlp_shape_scalar() : mlp_in_shape(g, nd, 0);
    return true;
}

/* Largest element, or 0 when it is infinite (so x - max stays meaningful). */
static double shift_of(const double *xd, const float *xf, int64_t n)
{
    double m = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double v = xd ? xd[i] : xf[i];
        if (v > m)
            m = v;
    }
    return isfinite(m) ? m : 0;
}

double mlp_sum_exp_shifted(mlp_dtype dtype, const void *x, int64_t n, double *shift)
{
    const double *xd = dtype == MLP_F64 ? x : NULL;
    const float *xf = dtype == MLP_F64 ? NULL : x;
    double m = shift_of(xd, xf, n), s = 0;
    for (int64_t i = 0; i < n; i++)
        s += exp((xd ? xd[i] : xf[i]) - m);
    *shift = m;
    return s;
}

/* Each kernel walks the samples; `mode` picks what to write. With m the maximum and
 * s = sum(exp(x - m)): softmax = exp(x - m) / s, log_softmax = (x - m) - log(s),
 * logsumexp = m + log(s); x - m is exact, so no precision is lost to large inputs. */
enum { SOFTMAX, LOG_SOFTMAX, LOGSUMEXP };

static void softmax_family(const struct mlp_kargs *k, int mode)
{
    int64_t n = mlp_shape_size(k->inode[0]->shape);
    bool f64 = k->dtype == MLP_F64;
    size_t es = mlp_dtype_size(k->dtype);
    for (int r = 0; r < k->rows; r++) {
        const void *x = (const char *)k->in[0] + (size_t)(r * k->in_stride[0]) * es;
        if (mode == SOFTMAX && !f64) { /* all in float, as the generated C */
            mlp_fsoftmax(x, (float *)k->out + r * n, (long)n);
            continue;
        }
        const double *xd = f64 ? x : NULL;
        const float *xf = f64 ? NULL : x;
        double m, s = mlp_sum_exp_shifted(k->dtype, x, n, &m), log_s = log(s);
        if (mode == LOGSUMEXP) {
            MLP_DISPATCH(k->dtype, ((T *)k->out)[r] = (T)(m + log_s););
            continue;
        }
        MLP_DISPATCH(k->dtype, T *y = (T *)k->out + r * n; for (int64_t i = 0; i < n; i++) {
            double v = (xd ? xd[i] : xf[i]) - m;
            y[i] = (T)(mode == SOFTMAX ? exp(v) / s : v - log_s);
        });
    }
}

static void softmax_forward(const struct mlp_kargs *k) { softmax_family(k, SOFTMAX); }
static void log_softmax_forward(const struct mlp_kargs *k) { softmax_family(k, LOG_SOFTMAX); }
static void logsumexp_forward(const struct mlp_kargs *k) { softmax_family(k, LOGSUMEXP); }

/* s = softmax(x):  dx = s * (gy - dot(gy, s)) */
static void softmax_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_mul(g, y, mlp_sub(g, gy, mlp_dot(g, gy, y)));
}

/* y = x - logsumexp(x):  dx = gy - softmax(x) * sum(gy) */
static void log_softmax_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_id s = mlp_unary(g, MLP_OP_SOFTMAX, mlp_operand(g, y, 0));
    gx[0] = mlp_sub(g, gy, mlp_mul(g, s, mlp_unary(g, MLP_OP_SUM, gy)));
}

/* y = logsumexp(x):  dx = gy * softmax(x) */
static void logsumexp_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_mul(g, gy, mlp_unary(g, MLP_OP_SOFTMAX, mlp_operand(g, y, 0)));
}

#define SOFTMAX_INFO(ID, fwd, vjp_fn, math_, latex_, ...)                                       \
    const struct mlp_op_info mlp_op_info_##ID = {                                               \
        .cls = MLP_CLASS_SMOOTH, .shape = vector_shape, .forward = fwd, .vjp = vjp_fn,          \
        .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = math_, .latex = latex_,       \
        __VA_ARGS__};

SOFTMAX_INFO(SOFTMAX, softmax_forward, softmax_vjp, "softmax", "\\operatorname{softmax}",
             .sign = MLP_SIGNS(MLP_S_P, MLP_S_P, MLP_S_P),
             .onnx = {MLP_ONNX_SOFTMAX, "Softmax"})
SOFTMAX_INFO(LOG_SOFTMAX, log_softmax_forward, log_softmax_vjp, "log_softmax",
             "\\operatorname{log\\,softmax}",
             .sign = MLP_SIGNS(MLP_S_N | MLP_S_Z, MLP_S_N | MLP_S_Z, MLP_S_N | MLP_S_Z),
             .onnx = {MLP_ONNX_SOFTMAX, "LogSoftmax"})
SOFTMAX_INFO(LOGSUMEXP, logsumexp_forward, logsumexp_vjp, "logsumexp",
             "\\operatorname{logsumexp}", .sign_fn = mlp_sign_any)

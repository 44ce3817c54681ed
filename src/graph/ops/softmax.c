/* softmax.c - softmax, log-softmax and log-sum-exp over a vector, computed stably: the maximum
 * is subtracted before exponentiating, so no finite input overflows. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

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
             .onnx = MLP_ONNX_OP(SOFTMAX, "Softmax"))
SOFTMAX_INFO(LOG_SOFTMAX, log_softmax_forward, log_softmax_vjp, "log_softmax",
             "\\operatorname{log\\,softmax}",
             .sign = MLP_SIGNS(MLP_S_N | MLP_S_Z, MLP_S_N | MLP_S_Z, MLP_S_N | MLP_S_Z),
             .onnx = MLP_ONNX_OP(SOFTMAX, "LogSoftmax"))
SOFTMAX_INFO(LOGSUMEXP, logsumexp_forward, logsumexp_vjp, "logsumexp",
             "\\operatorname{logsumexp}", .sign_fn = mlp_sign_any)

/* ---- the C lowerings (graph/ops_c.h) ---- */

enum { C_SOFTMAX, C_LOG_SOFTMAX, C_LOGSUMEXP }; /* the forms of emit_softmax */

/* softmax: base/fexp.h's mlp_fsoftmax, the float32 kernel's own function.
 * log_softmax, logsumexp: the largest element m (0 if infinite), s = sum exp(x - m) in double,
 * then (x - m) - log(s) or m + log(s). */
static void emit_softmax(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    int form = mlp_c_variant(cg, id);
    int64_t n = mlp_c_size(cg, low->in[0]);
    if (form == C_SOFTMAX) {
        P("        mlp_fsoftmax(a, y, %lld);\n", (long long)n);
        return;
    }
    P("        long i;\n        double m = -HUGE_VAL, s = 0, log_s;\n");
    P("        for (i = 0; i < %lld; i++)\n            if (a[i] > m)\n                m = a[i];\n",
      (long long)n);
    P("        if (!(m > -HUGE_VAL && m < HUGE_VAL))\n            m = 0;\n");
    P("        for (i = 0; i < %lld; i++)\n            s += exp(a[i] - m);\n", (long long)n);
    P("        log_s = log(s);\n");
    if (form == C_LOGSUMEXP) {
        P("        y[0] = (float)(m + log_s);\n");
        return;
    }
    P("        for (i = 0; i < %lld; i++)\n            y[i] = (float)((a[i] - m) - log_s);\n", (long long)n);
}

/* softmax as an int8 model's output, in float after the integer core: mlp_fsoftmax, so the
 * generated file calls no libm function for it and computes what the float32 kernel does. */
#define Q8_SOFTMAX(X) X(                                                                        \
static void q8_softmax(float *v, int32_t n)                                                     \
{                                                                                               \
    mlp_fsoftmax(v, v, n);                                                                      \
})
Q8_SOFTMAX(MLP_C_CODE)
static const struct mlp_q8_final softmax_final = {q8_softmax, Q8_SOFTMAX(MLP_C_CODE_TEXT), "q8_softmax",
                                                  MLP_C_USES_FSOFTMAX, 0};

MLP_C_OP(SOFTMAX, MLP_C_FORM(emit_softmax, C_SOFTMAX, MLP_C_USES_FSOFTMAX), MLP_Q8_FINAL(&softmax_final))
MLP_C_OP(LOG_SOFTMAX, MLP_C_FORM(emit_softmax, C_LOG_SOFTMAX, MLP_C_USES_EXP | MLP_C_USES_LOG),
         MLP_Q8_NO)
MLP_C_OP(LOGSUMEXP, MLP_C_FORM(emit_softmax, C_LOGSUMEXP, MLP_C_USES_EXP | MLP_C_USES_LOG),
         MLP_Q8_NO)

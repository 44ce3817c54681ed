/* smooth.c - smooth elementwise functions (PyTorch's definitions and defaults), and the
 * derivatives their rules emit. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <tgmath.h>

enum { N = MLP_S_N, Z = MLP_S_Z, P = MLP_S_P, ANY = MLP_S_ANY };

#define SQRT_HALF 0.70710678118654752440        /* 1/sqrt(2) */
#define INV_SQRT_2PI 0.39894228040143267794     /* 1/sqrt(2 pi) */
#define SQRT_2_OVER_PI 0.79788456080286535588   /* sqrt(2/pi) */
#define GELU_TANH_C 0.044715

#define SMOOTH_INFO(ID, shape_, fwd, vjp_, math_, latex_, ...)                                  \
    const struct mlp_op_info mlp_op_info_##ID = {                                               \
        .cls = MLP_CLASS_SMOOTH, .shape = shape_, .forward = fwd, .vjp = vjp_,                  \
        .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = math_, .latex = latex_,       \
        __VA_ARGS__};

/* dx = gy * d(x) for the derivative op d. */
#define CHAIN_VJP(fname, DOP)                                                                   \
    static void fname(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])        \
    {                                                                                           \
        (void)need;                                                                             \
        gx[0] = mlp_mul(g, gy, mlp_unary(g, DOP, mlp_operand(g, y, 0)));                        \
    }

/* ---- softplus(x) = log(1 + exp(x)), and x itself above 20 (PyTorch's threshold) ---- */
MLP_UNARY_FORWARD(softplus_forward, v > 20 ? v : log1p(exp(v)))
CHAIN_VJP(softplus_vjp, MLP_OP_SIGMOID)
SMOOTH_INFO(SOFTPLUS, mlp_shape_same, softplus_forward, softplus_vjp, "softplus",
            "\\operatorname{softplus}", .sign = MLP_SIGNS(P, P, P),
            .onnx = MLP_ONNX_OP(UNARY, "Softplus"))

/* ---- gelu(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (PyTorch's default, exact form) ---- */
MLP_UNARY_FORWARD(gelu_forward, 0.5 * v * (1 + erf(v * SQRT_HALF)))
CHAIN_VJP(gelu_vjp, MLP_OP_DGELU)
SMOOTH_INFO(GELU, mlp_shape_same, gelu_forward, gelu_vjp, "gelu", "\\operatorname{gelu}",
            .sign = MLP_SIGNS_SAME, .sign_back = true,
            .onnx = MLP_ONNX_OP(GELU, NULL))

/* ---- gelu'(x) = Phi(x) + x phi(x) ---- */
MLP_UNARY_FORWARD(dgelu_forward,
                  0.5 * (1 + erf(v * SQRT_HALF)) + v * exp(-0.5 * v * v) * INV_SQRT_2PI)
/* gelu''(x) = phi(x) (2 - x^2) */
static void dgelu_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_id x = mlp_operand(g, y, 0), x2 = mlp_unary(g, MLP_OP_SQUARE, x);
    mlp_id phi = mlp_mul(g, mlp_scalar(g, INV_SQRT_2PI),
                         mlp_unary(g, MLP_OP_EXP, mlp_mul(g, mlp_scalar(g, -0.5), x2)));
    gx[0] = mlp_mul(g, gy, mlp_mul(g, phi, mlp_sub(g, mlp_scalar(g, 2), x2)));
}
SMOOTH_INFO(DGELU, mlp_shape_same, dgelu_forward, dgelu_vjp, "gelu'", "\\operatorname{gelu}'",
            .sign = MLP_SIGNS(ANY, P, P))

/* ---- gelu_tanh(x) = x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 (approximate='tanh') ---- */
#define GELU_U(v) (SQRT_2_OVER_PI * ((v) + GELU_TANH_C * (v) * (v) * (v)))
MLP_UNARY_FORWARD(gelu_tanh_forward, 0.5 * v * (1 + tanh(GELU_U(v))))
CHAIN_VJP(gelu_tanh_vjp, MLP_OP_DGELU_TANH)
SMOOTH_INFO(GELU_TANH, mlp_shape_same, gelu_tanh_forward, gelu_tanh_vjp, "gelu_tanh",
            "\\operatorname{gelu_{tanh}}", .sign = MLP_SIGNS_SAME, .sign_back = true)

/* ---- gelu_tanh'(x) = (1 + t) / 2 + x (1 - t^2) u'(x) / 2, t = tanh(u(x)) ---- */
static inline double dgelu_tanh_d(double v)
{
    double t = tanh(GELU_U(v));
    return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * v * v);
}
static inline float dgelu_tanh_f(float v) { return (float)dgelu_tanh_d(v); }
MLP_UNARY_FORWARD(dgelu_tanh_forward, MLP_GENERIC(dgelu_tanh, v))
SMOOTH_INFO(DGELU_TANH, mlp_shape_same, dgelu_tanh_forward, NULL, "gelu_tanh'",
            "\\operatorname{gelu_{tanh}}'", .grad = MLP_GRAD_NONE, .sign = MLP_SIGNS(ANY, P, P))

/* ---- elu(x, a) = x for x > 0, else a (exp(x) - 1) (PyTorch's alpha, default 1) ---- */
MLP_NARY_FORWARD(elu_forward, 2, a[0] > 0 ? a[0] : a[1] * expm1(a[0]))
/* dx = gy elu'(x, a); da = gy min(expm1(x), 0) */
static void elu_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id x = mlp_operand(g, y, 0), a = mlp_operand(g, y, 1);
    gx[0] = need[0] ? mlp_mul(g, gy, mlp_op2(g, MLP_OP_DELU, x, a)) : MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, mlp_op2(g, MLP_OP_MIN, mlp_unary(g, MLP_OP_EXPM1, x),
                                             mlp_scalar(g, 0)))
                    : MLP_NONE;
}
static unsigned elu_signs(const unsigned *in)
{
    return mlp_signs_each(in[0], mlp_signs_flip(in[1]), Z, P);
}
SMOOTH_INFO(ELU, mlp_shape_scalar_args, elu_forward, elu_vjp, "elu", "\\operatorname{elu}",
            .min_args = 1, .defaults = {NULL, "1"}, .sign_fn = elu_signs,
            .onnx = MLP_ONNX_OP(ALPHA, "Elu"))

/* ---- elu'(x, a) = 1 for x > 0, else a exp(x) ---- */
MLP_NARY_FORWARD(delu_forward, 2, a[0] > 0 ? 1 : a[1] * exp(a[0]))
/* below 0 it is a exp(x): dx = gy elu'(x, a) [x <= 0], da = gy exp(x) [x <= 0] */
static void delu_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id x = mlp_operand(g, y, 0), below = mlp_unary(g, MLP_OP_STEP, mlp_neg(g, x));
    gx[0] = need[0] ? mlp_mul(g, gy, mlp_mul(g, y, below)) : MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, mlp_mul(g, mlp_unary(g, MLP_OP_EXP, x), below)) : MLP_NONE;
}
static unsigned delu_signs(const unsigned *in) { return mlp_signs_each(in[0], in[1], in[1], P); }
SMOOTH_INFO(DELU, mlp_shape_scalar_args, delu_forward, delu_vjp, "elu'", "\\operatorname{elu}'",
            .sign_fn = delu_signs)

/* ---- silu(x) = x sigmoid(x);  dx = gy s (1 + x (1 - s)) ---- */
MLP_UNARY_FORWARD(silu_forward, v * MLP_GENERIC(mlp_sigmoid, v))
static void silu_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_id x = mlp_operand(g, y, 0), s = mlp_unary(g, MLP_OP_SIGMOID, x);
    mlp_id one = mlp_scalar(g, 1);
    mlp_id d = mlp_mul(g, s, mlp_add(g, one, mlp_mul(g, x, mlp_sub(g, one, s))));
    gx[0] = mlp_mul(g, gy, d);
}
SMOOTH_INFO(SILU, mlp_shape_same, silu_forward, silu_vjp, "silu", "\\operatorname{silu}",
            .sign = MLP_SIGNS_SAME, .sign_back = true)

/* ---- sqrt(x);  dx = gy / (2 y) ---- */
MLP_UNARY_FORWARD(sqrt_forward, sqrt(v))
static void sqrt_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_div(g, gy, mlp_mul(g, mlp_scalar(g, 2), y));
}
SMOOTH_INFO(SQRT, mlp_shape_same, sqrt_forward, sqrt_vjp, "√", "\\sqrt",
            .sign = MLP_SIGNS(ANY, Z, P),
            .onnx = MLP_ONNX_OP(UNARY, "Sqrt"))

/* ---- square(x) = x^2;  dx = 2 gy x ---- */
MLP_UNARY_FORWARD(square_forward, v * v)
static void square_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_mul(g, mlp_mul(g, mlp_scalar(g, 2), gy), mlp_operand(g, y, 0));
}
SMOOTH_INFO(SQUARE, mlp_shape_same, square_forward, square_vjp, "square", "\\operatorname{square}",
            .sign = MLP_SIGNS(P, Z, P), .sign_back = true)

/* ---- log1p(x) = log(1 + x);  dx = gy / (1 + x) ---- */
MLP_UNARY_FORWARD(log1p_forward, log1p(v))
static void log1p_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_div(g, gy, mlp_add(g, mlp_scalar(g, 1), mlp_operand(g, y, 0)));
}
SMOOTH_INFO(LOG1P, mlp_shape_same, log1p_forward, log1p_vjp, "log1p", "\\operatorname{log1p}",
            .sign = MLP_SIGNS(ANY, Z, P))

/* ---- expm1(x) = exp(x) - 1;  dx = gy exp(x) ---- */
MLP_UNARY_FORWARD(expm1_forward, expm1(v))
CHAIN_VJP(expm1_vjp, MLP_OP_EXP)
SMOOTH_INFO(EXPM1, mlp_shape_same, expm1_forward, expm1_vjp, "expm1", "\\operatorname{expm1}",
            .sign = MLP_SIGNS_SAME, .sign_back = true)

/* ---- the C lowerings (graph/ops_c.h) ---- */

/* Each the kernel's expression, split into statements where it holds a multiply-add
 * (GELU_TANH_C = 0.044715, SQRT_2_OVER_PI, SQRT_HALF, INV_SQRT_2PI as above), calling the
 * functions <tgmath.h> picks above: float ones for float operands (expf, log1pf, sqrtf), double
 * ones where a double constant makes the argument double (erf). */
MLP_C_OP(SOFTPLUS, MLP_C_NARY("r = a0 > 20 ? a0 : log1pf(expf(a0));", "expf, log1pf"), MLP_Q8_NO)
MLP_C_OP(GELU, MLP_C_NARY("r = 0.5 * a0 * (1 + erf(a0 * 0.70710678118654752440));", "erf"),
         MLP_Q8_NO)
MLP_C_OP(DGELU, MLP_C_NARY("double p = 0.5 * (1 + erf(a0 * 0.70710678118654752440)), q;\n"
    "            q = a0 * exp(-0.5 * a0 * a0) * 0.39894228040143267794;\n            r = p + q;", "erf, exp"), MLP_Q8_NO)
MLP_C_OP(GELU_TANH, MLP_C_NARY("double c3 = 0.044715 * a0 * a0 * a0;\n"
    "            double u = 0.79788456080286535588 * (a0 + c3);\n"
    "            r = 0.5 * a0 * (1 + tanh(u));", "tanh"), MLP_Q8_NO)
MLP_C_OP(DGELU_TANH, MLP_C_NARY("double v = a0, c3 = 0.044715 * v * v * v, t, t2, k3, p, q;\n"
    "            t = tanh(0.79788456080286535588 * (v + c3));\n            t2 = t * t;\n"
    "            k3 = 3 * 0.044715 * v * v;\n            p = 0.5 * (1 + t);\n"
    "            q = 0.5 * v * (1 - t2) * 0.79788456080286535588 * (1 + k3);\n"
    "            r = (float)(p + q);", "tanh"), MLP_Q8_NO)
MLP_C_OP(ELU, MLP_C_NARY("r = a0 > 0 ? a0 : a1 * expm1f(a0);", "expm1f"), MLP_Q8_NO)
MLP_C_OP(DELU, MLP_C_NARY("r = a0 > 0 ? 1 : a1 * expf(a0);", "expf"), MLP_Q8_NO)
MLP_C_OP(SILU, MLP_C_NARY_USES("r = a0 * mlp_fsigmoid(a0);", MLP_C_USES_FSIGMOID), MLP_Q8_NO)
MLP_C_OP(SQRT, MLP_C_NARY("r = sqrtf(a0);", "sqrtf"), MLP_Q8_NO)
MLP_C_OP(SQUARE, MLP_C_NARY("r = a0 * a0;", ""), MLP_Q8_NO)
MLP_C_OP(LOG1P, MLP_C_NARY("r = log1pf(a0);", "log1pf"), MLP_Q8_NO)
MLP_C_OP(EXPM1, MLP_C_NARY("r = expm1f(a0);", "expm1f"), MLP_Q8_NO)

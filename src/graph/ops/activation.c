/* activation.c - elementwise activations and functions, and the derivatives their rules emit.
 *
 * Conventions at the kinks, as the seed and PyTorch define them: step(z) = 1 for z >= 0 and its
 * derivative is 0 everywhere; relu'(0) = 0, so drelu(z) = 1 for z > 0 and 0 otherwise. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <tgmath.h>

static inline double dsigmoid_d(double v) { double s = mlp_sigmoid_d(v); return s * (1 - s); }
static inline float dsigmoid_f(float v) { float s = mlp_sigmoid_f(v); return s * (1 - s); }
static inline double dtanh_d(double v) { double t = mlp_tanh_d(v); return 1 - t * t; }
static inline float dtanh_f(float v) { float t = mlp_tanh_f(v); return 1 - t * t; }

#define ACTIVATION(ID, cls_, fwd_expr, vjp_fn, math_, latex_, ...)                              \
    MLP_UNARY_FORWARD(ID##_forward, fwd_expr)                                                   \
    const struct mlp_op_info mlp_op_info_##ID = {                                               \
        .cls = cls_, .shape = mlp_shape_same, .forward = ID##_forward, .vjp = vjp_fn,           \
        .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = math_, .latex = latex_,       \
        __VA_ARGS__};

enum { N = MLP_S_N, Z = MLP_S_Z, P = MLP_S_P, ANY = MLP_S_ANY };

/* dx = gy * d(x) for an activation with derivative op d. */
#define CHAIN_VJP(fname, DOP)                                                                   \
    static void fname(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])        \
    {                                                                                           \
        (void)need;                                                                             \
        gx[0] = mlp_mul(g, gy, mlp_unary(g, DOP, mlp_operand(g, y, 0)));                       \
    }

static void identity_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)g, (void)y, (void)need;
    gx[0] = gy;
}

/* exp: dx = gy * exp(x), which is the node itself. */
static void exp_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_mul(g, gy, y);
}

static void log_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_div(g, gy, mlp_operand(g, y, 0));
}

CHAIN_VJP(sigmoid_vjp, MLP_OP_DSIGMOID)
CHAIN_VJP(tanh_vjp, MLP_OP_DTANH)
CHAIN_VJP(relu_vjp, MLP_OP_DRELU)

/* d/dx sigma'(x) = sigma'(x) (1 - 2 sigma(x)) */
static void dsigmoid_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_id x = mlp_operand(g, y, 0);
    mlp_id s = mlp_unary(g, MLP_OP_SIGMOID, x);
    gx[0] = mlp_mul(g, gy, mlp_mul(g, y, mlp_sub(g, mlp_scalar(g, 1), mlp_mul(g, mlp_scalar(g, 2), s))));
}

/* d/dx tanh'(x) = -2 tanh(x) tanh'(x) */
static void dtanh_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_id t = mlp_unary(g, MLP_OP_TANH, mlp_operand(g, y, 0));
    gx[0] = mlp_mul(g, gy, mlp_mul(g, mlp_mul(g, mlp_scalar(g, -2), t), y));
}

ACTIVATION(STEP, MLP_CLASS_PIECEWISE, v >= 0 ? 1 : 0, NULL, "step", "\\operatorname{step}",
           .grad = MLP_GRAD_ZERO, .sign = MLP_SIGNS(Z, P, P), .sign_back = true,
           .vsem = MLP_V_STEP, .fold = {{Z | P, MLP_FOLD_ONE}},
           .onnx = MLP_ONNX_OP(STEP, NULL))
ACTIVATION(SIGMOID, MLP_CLASS_SMOOTH, MLP_GENERIC(mlp_sigmoid, v), sigmoid_vjp, "σ", "\\sigma",
           .sign = MLP_SIGNS(P, P, P),
           .onnx = MLP_ONNX_OP(UNARY, "Sigmoid"))
ACTIVATION(TANH, MLP_CLASS_SMOOTH, MLP_GENERIC(mlp_tanh, v), tanh_vjp, "tanh", "\\tanh", .sign = MLP_SIGNS_SAME,
           .sign_back = true,
           .onnx = MLP_ONNX_OP(UNARY, "Tanh"))
ACTIVATION(RELU, MLP_CLASS_PIECEWISE, v > 0 ? v : (v != v ? v : 0), relu_vjp, "relu",
           "\\operatorname{relu}", .sign = MLP_SIGNS(Z, Z, P), .sign_back = true,
           .vsem = MLP_V_RELU, .fold = {{Z | P, MLP_FOLD_OPERAND}},
           .onnx = MLP_ONNX_OP(UNARY, "Relu"))
ACTIVATION(IDENTITY, MLP_CLASS_PIECEWISE, v, identity_vjp, "id", "\\operatorname{id}",
           .sign = MLP_SIGNS_SAME, .sign_back = true, .vsem = MLP_V_COPY,
           .onnx = MLP_ONNX_OP(UNARY, "Identity"))
ACTIVATION(EXP, MLP_CLASS_SMOOTH, MLP_GENERIC(mlp_exp, v), exp_vjp, "exp", "\\exp",
           .sign = MLP_SIGNS(P, P, P),
           .onnx = MLP_ONNX_OP(UNARY, "Exp"))
ACTIVATION(LOG, MLP_CLASS_SMOOTH, log(v), log_vjp, "log", "\\log", .sign_fn = mlp_sign_any,
           .onnx = MLP_ONNX_OP(UNARY, "Log"))
ACTIVATION(DSIGMOID, MLP_CLASS_SMOOTH, MLP_GENERIC(dsigmoid, v), dsigmoid_vjp, "σ'", "\\sigma'",
           .sign = MLP_SIGNS(P, P, P))
ACTIVATION(DTANH, MLP_CLASS_SMOOTH, MLP_GENERIC(dtanh, v), dtanh_vjp, "tanh'", "\\tanh'",
           .sign = MLP_SIGNS(P, P, P))
ACTIVATION(DRELU, MLP_CLASS_PIECEWISE, v > 0 ? 1 : 0, NULL, "relu'", "\\operatorname{relu}'",
           .grad = MLP_GRAD_ZERO, .sign = MLP_SIGNS(Z, Z, P), .sign_back = true,
           .vsem = MLP_V_DRELU, .fold = {{P, MLP_FOLD_ONE}})

/* ---- the C lowerings (graph/ops_c.h) ---- */

/* tanh'(v) = 1 - tanh(v)^2, with the square its own statement (no contraction). */
static void emit_dtanh(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)mlp_c_size(cg, id));
    P("            float t = mlp_ftanh(a[i]);\n            float t2 = t * t;\n"
      "            y[i] = 1 - t2;\n        }\n");
    (void)low;
}

/* What the int8 tables of hidden sigmoid, tanh and step layers hold, in double. */
static double q8_sigmoid_d(double v) { return 1 / (1 + exp(-v)); }
static double q8_tanh_d(double v) { return tanh(v); }
static double q8_step_d(double v) { return v >= 0 ? 1 : 0; }

/* sigmoid and tanh as an int8 model's output, in float after the integer core: v = FN(v) with
 * base/fexp.h's FN, which the generated file holds before these, so it calls no libm function. */
#define Q8_MAP(X, NAME, FN) X(                                                                  \
static void NAME(float *v, int32_t n)                                                           \
{                                                                                               \
    int32_t i;                                                                                  \
    for (i = 0; i < n; i++)                                                                     \
        v[i] = FN(v[i]);                                                                        \
})
Q8_MAP(MLP_C_CODE, q8_sigmoid, mlp_fsigmoid)
Q8_MAP(MLP_C_CODE, q8_tanh, mlp_ftanh)
static const struct mlp_q8_final sigmoid_final = {
    q8_sigmoid, Q8_MAP(MLP_C_CODE_TEXT, q8_sigmoid, mlp_fsigmoid), "q8_sigmoid", MLP_C_USES_FSIGMOID,
    0.5f};
static const struct mlp_q8_final tanh_final = {
    q8_tanh, Q8_MAP(MLP_C_CODE_TEXT, q8_tanh, mlp_ftanh), "q8_tanh", MLP_C_USES_FTANH, 0};

MLP_C_OP(STEP, MLP_C_UNARY("v >= 0 ? 1 : 0", 0), MLP_Q8_TABLE_OF(q8_step_d, NULL))
/* sigmoid, tanh, exp: base/fexp.h's functions, written into the file (no libm call) */
MLP_C_OP(SIGMOID, MLP_C_UNARY("mlp_fsigmoid(v)", MLP_C_USES_FSIGMOID),
         MLP_Q8_TABLE_OF(q8_sigmoid_d, &sigmoid_final))
MLP_C_OP(TANH, MLP_C_UNARY("mlp_ftanh(v)", MLP_C_USES_FTANH),
         MLP_Q8_TABLE_OF(q8_tanh_d, &tanh_final))
/* relu: the clamp to [0, +inf), i.e. from the output's zero point up */
MLP_C_OP(RELU, MLP_C_UNARY("v > 0 ? v : (v != v ? v : 0)", 0), MLP_Q8_CLAMP_TO(0, INFINITY))
MLP_C_OP(IDENTITY, MLP_C_UNARY("v", 0), MLP_Q8_AS(MLP_Q8_PASS))
MLP_C_OP(EXP, MLP_C_UNARY("mlp_fexp(v)", MLP_C_USES_FEXP), MLP_Q8_NO)
MLP_C_OP(LOG, MLP_C_UNARY("logf(v)", MLP_C_USES_LOGF), MLP_Q8_NO)
MLP_C_OP(DSIGMOID, MLP_C_UNARY("mlp_fsigmoid(v) * (1 - mlp_fsigmoid(v))", MLP_C_USES_FSIGMOID),
         MLP_Q8_NO)
MLP_C_OP(DTANH, MLP_C_EMIT(emit_dtanh, MLP_C_USES_FTANH), MLP_Q8_NO)
MLP_C_OP(DRELU, MLP_C_UNARY("v > 0 ? 1 : 0", 0), MLP_Q8_NO)

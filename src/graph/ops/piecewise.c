/* piecewise.c - piecewise-linear functions beyond relu and step, and the derivatives their
 * rules emit. Conventions at the kinks are PyTorch's: leaky_relu'(0) = slope, abs'(0) =
 * sign(0) = 0, max splits a tie's gradient in halves, clip (hardtanh) and relu6 have derivative
 * 0 at their corners. Each gives verify its exact semantics as relu, step and drelu of affine
 * pre-activations (.lower): those pre-activations are its split points. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <tgmath.h>

enum { N = MLP_S_N, Z = MLP_S_Z, P = MLP_S_P, ANY = MLP_S_ANY };

static mlp_id relu_of(mlp_graph *g, mlp_id z) { return mlp_unary(g, MLP_OP_RELU, z); }
static mlp_id drelu_of(mlp_graph *g, mlp_id z) { return mlp_unary(g, MLP_OP_DRELU, z); }
static mlp_id step_of(mlp_graph *g, mlp_id z) { return mlp_unary(g, MLP_OP_STEP, z); }

#define PIECEWISE_INFO(ID, shape_, fwd, vjp_, math_, latex_, ...)                               \
    const struct mlp_op_info mlp_op_info_##ID = {                                               \
        .cls = MLP_CLASS_PIECEWISE, .shape = shape_, .forward = fwd, .vjp = vjp_,               \
        .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = math_, .latex = latex_,       \
        .vsem = MLP_V_LOWER, __VA_ARGS__};

/* ---- leaky_relu(x, a) = x for x > 0, else a x (PyTorch's negative_slope, default 0.01) ---- */
MLP_NARY_FORWARD(leaky_relu_forward, 2, a[0] > 0 ? a[0] : a[0] * a[1])
/* dx = gy leaky_relu'(x, a); da = gy min(x, 0) */
static void leaky_relu_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id x = mlp_operand(g, y, 0), a = mlp_operand(g, y, 1);
    gx[0] = need[0] ? mlp_mul(g, gy, mlp_op2(g, MLP_OP_DLEAKY_RELU, x, a)) : MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, mlp_op2(g, MLP_OP_MIN, x, mlp_scalar(g, 0))) : MLP_NONE;
}
static unsigned leaky_relu_signs(const unsigned *in)
{
    return mlp_signs_each(in[0], mlp_signs_flip(in[1]), Z, P);
}
/* relu(x) - a relu(-x): no arithmetic on a, so a written 1/10 stays exactly 1/10 */
static mlp_id leaky_relu_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_sub(g, relu_of(g, in[0]), mlp_mul(g, in[1], relu_of(g, mlp_neg(g, in[0]))));
}
PIECEWISE_INFO(LEAKY_RELU, mlp_shape_scalar_args, leaky_relu_forward, leaky_relu_vjp,
               "leaky_relu", "\\operatorname{leaky\\_relu}", .min_args = 1,
               .defaults = {NULL, "0.01"}, .sign_fn = leaky_relu_signs, .lower = leaky_relu_lower,
               .fold = {{Z | P, MLP_FOLD_OPERAND}},
               .onnx = MLP_ONNX_OP(ALPHA, "LeakyRelu"))

/* ---- leaky_relu'(x, a) = 1 for x > 0, else a ---- */
MLP_NARY_FORWARD(dleaky_relu_forward, 2, a[0] > 0 ? 1 : a[1])
/* constant in x; da = gy [x <= 0] = gy step(-x) */
static void dleaky_relu_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id x = mlp_operand(g, y, 0);
    gx[0] = MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, step_of(g, mlp_neg(g, x))) : MLP_NONE;
}
static unsigned dleaky_relu_signs(const unsigned *in)
{
    return mlp_signs_each(in[0], in[1], in[1], P);
}
static mlp_id dleaky_relu_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_add(g, drelu_of(g, in[0]), mlp_mul(g, in[1], step_of(g, mlp_neg(g, in[0]))));
}
PIECEWISE_INFO(DLEAKY_RELU, mlp_shape_scalar_args, dleaky_relu_forward, dleaky_relu_vjp,
               "leaky_relu'", "\\operatorname{leaky\\_relu}'", .sign_fn = dleaky_relu_signs,
               .lower = dleaky_relu_lower, .fold = {{P, MLP_FOLD_ONE}})

/* ---- abs(x) = |x|;  dx = gy sign(x) ---- */
MLP_UNARY_FORWARD(abs_forward, fabs(v))
static void abs_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_mul(g, gy, mlp_unary(g, MLP_OP_SIGN, mlp_operand(g, y, 0)));
}
static mlp_id abs_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_add(g, relu_of(g, in[0]), relu_of(g, mlp_neg(g, in[0])));
}
PIECEWISE_INFO(ABS, mlp_shape_same, abs_forward, abs_vjp, "abs", "\\operatorname{abs}",
               .math_form = MLP_MATH_ABS, .sign = MLP_SIGNS(P, Z, P), .sign_back = true,
               .lower = abs_lower, .fold = {{Z | P, MLP_FOLD_OPERAND}},
               .onnx = MLP_ONNX_OP(UNARY, "Abs"))

/* ---- sign(x): -1, 0 or 1 (0 for nan, as PyTorch) ---- */
MLP_UNARY_FORWARD(sign_forward, v > 0 ? 1 : v < 0 ? -1 : 0)
static mlp_id sign_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_sub(g, drelu_of(g, in[0]), drelu_of(g, mlp_neg(g, in[0])));
}
PIECEWISE_INFO(SIGN, mlp_shape_same, sign_forward, NULL, "sign", "\\operatorname{sign}",
               .grad = MLP_GRAD_ZERO, .sign = MLP_SIGNS_SAME, .sign_back = true,
               .lower = sign_lower, .fold = {{P, MLP_FOLD_ONE}})

/* ---- max(a, b), min(a, b): elementwise, nan if either is (torch.maximum, torch.minimum) ---- */
MLP_NARY_FORWARD(max_forward, 2, a[0] != a[0] || a[0] > a[1] ? a[0] : a[1])
MLP_NARY_FORWARD(min_forward, 2, a[0] != a[0] || a[0] < a[1] ? a[0] : a[1])
/* da = gy dmax(a, b), db = gy dmax(b, a); min swaps them */
static void max_min_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id a = mlp_operand(g, y, 0), b = mlp_operand(g, y, 1);
    bool max = mlp_node(g, y)->op == MLP_OP_MAX;
    gx[0] = need[0] ? mlp_mul(g, gy, mlp_op2(g, MLP_OP_DMAX, max ? a : b, max ? b : a)) : MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, mlp_op2(g, MLP_OP_DMAX, max ? b : a, max ? a : b)) : MLP_NONE;
}
static mlp_id max_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_add(g, in[1], relu_of(g, mlp_sub(g, in[0], in[1])));
}
static mlp_id min_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_sub(g, in[0], relu_of(g, mlp_sub(g, in[0], in[1])));
}
PIECEWISE_INFO(MAX, mlp_shape_elementwise, max_forward, max_min_vjp, "max", "\\max",
               .sign_fn = mlp_sign_max, .lower = max_lower,
               .onnx = MLP_ONNX_OP(BINARY, "Max"))
PIECEWISE_INFO(MIN, mlp_shape_elementwise, min_forward, max_min_vjp, "min", "\\min",
               .sign_fn = mlp_sign_min, .lower = min_lower,
               .onnx = MLP_ONNX_OP(BINARY, "Min"))

/* ---- dmax(a, b) = 1 if a > b, 1/2 if a = b, else 0: d max(a, b) / da ---- */
MLP_NARY_FORWARD(dmax_forward, 2, a[0] > a[1] ? 1 : a[0] == a[1] ? 0.5 : 0)
/* a > b is sure when a's sign class is above b's; equal classes decide nothing but 0 = 0. */
static unsigned dmax_signs(const unsigned *in)
{
    unsigned r = 0;
    for (unsigned x = 1; x <= P; x <<= 1)
        for (unsigned y = 1; y <= P; y <<= 1)
            if ((in[0] & x) && (in[1] & y))
                r |= x > y ? P : x < y ? Z : x == Z ? P : Z | P;
    return r;
}
static mlp_id dmax_lower(mlp_graph *g, const mlp_id *in)
{
    mlp_id d = mlp_sub(g, in[0], in[1]), half = mlp_scalar(g, 0.5);
    return mlp_add(g, mlp_mul(g, half, drelu_of(g, d)), mlp_mul(g, half, step_of(g, d)));
}
PIECEWISE_INFO(DMAX, mlp_shape_elementwise, dmax_forward, NULL, "max'", "\\max'",
               .grad = MLP_GRAD_ZERO, .sign_fn = dmax_signs, .lower = dmax_lower)

/* ---- clip(x, lo, hi) = min(max(x, lo), hi) (hardtanh); lo <= hi constants ---- */
static bool clip_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    if (!mlp_shape_scalar_args(g, nd, out))
        return false;
    double lo = mlp_node_values(g, nd->in[1])[0], hi = mlp_node_values(g, nd->in[2])[0];
    if (!(lo <= hi)) {
        char ctx[100];
        mlp_graph_context(g, nd->op, ctx, sizeof ctx);
        mlp_graph_fail(g, "clip needs lo <= hi, got %.17g > %.17g in %s", lo, hi, ctx);
        return false;
    }
    return true;
}
MLP_NARY_FORWARD(clip_forward, 3,
                 a[0] != a[0] ? a[0] : a[0] < a[1] ? a[1] : a[0] > a[2] ? a[2] : a[0])
static void clip_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    struct mlp_node n = *mlp_node(g, y);
    gx[0] = mlp_mul(g, gy, mlp_op3(g, MLP_OP_DCLIP, n.in[0], n.in[1], n.in[2]));
}
static unsigned clip_signs(const unsigned *in)
{
    return mlp_signs_min(mlp_signs_max(in[0], in[1]), in[2]);
}
/* m = max(x, lo) = lo + relu(x - lo); min(m, hi) = m - relu(m - hi) */
static mlp_id clip_lower(mlp_graph *g, const mlp_id *in)
{
    mlp_id m = mlp_add(g, in[1], relu_of(g, mlp_sub(g, in[0], in[1])));
    return mlp_sub(g, m, relu_of(g, mlp_sub(g, m, in[2])));
}
PIECEWISE_INFO(CLIP, clip_shape, clip_forward, clip_vjp, "clip", "\\operatorname{clip}",
               .const_args = 6, .sign_fn = clip_signs, .lower = clip_lower,
               .onnx = MLP_ONNX_OP(CLIP, "Clip"))

/* ---- relu6(x) = clip(x, 0, 6) ---- */
MLP_UNARY_FORWARD(relu6_forward, v != v ? v : v < 0 ? 0 : v > 6 ? 6 : v)
static void relu6_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_id x = mlp_operand(g, y, 0);
    gx[0] = mlp_mul(g, gy, mlp_op3(g, MLP_OP_DCLIP, x, mlp_scalar(g, 0), mlp_scalar(g, 6)));
}
static mlp_id relu6_lower(mlp_graph *g, const mlp_id *in)
{
    mlp_id m = relu_of(g, in[0]);
    return mlp_sub(g, m, relu_of(g, mlp_sub(g, m, mlp_scalar(g, 6))));
}
PIECEWISE_INFO(RELU6, mlp_shape_same, relu6_forward, relu6_vjp, "relu6", "\\operatorname{relu6}",
               .sign = MLP_SIGNS(Z, Z, P), .sign_back = true, .lower = relu6_lower,
               .onnx = MLP_ONNX_CLIP_TO(0, 6))

/* ---- dclip(x, lo, hi) = 1 if lo < x < hi, else 0: d clip / dx ---- */
MLP_NARY_FORWARD(dclip_forward, 3, a[1] < a[0] && a[0] < a[2] ? 1 : 0)
/* Whether x <= y for every x in signs a and y in signs b (0 <= 0; otherwise a lower class). */
static bool surely_le(unsigned a, unsigned b)
{
    for (unsigned x = 1; x <= P; x <<= 1)
        for (unsigned y = 1; y <= P; y <<= 1)
            if ((a & x) && (b & y) && !(x < y || (x == Z && y == Z)))
                return false;
    return true;
}
static unsigned dclip_signs(const unsigned *in)
{
    return surely_le(in[0], in[1]) || surely_le(in[2], in[0]) ? Z : Z | P;
}
/* 1 above lo, less 1 from hi up: drelu(x - lo) - step(x - hi), as lo <= hi */
static mlp_id dclip_lower(mlp_graph *g, const mlp_id *in)
{
    return mlp_sub(g, drelu_of(g, mlp_sub(g, in[0], in[1])), step_of(g, mlp_sub(g, in[0], in[2])));
}
PIECEWISE_INFO(DCLIP, clip_shape, dclip_forward, NULL, "clip'", "\\operatorname{clip}'",
               .grad = MLP_GRAD_ZERO, .const_args = 6, .sign_fn = dclip_signs,
               .lower = dclip_lower)

/* ---- the C lowerings (graph/ops_c.h) ---- */

/* Each the kernel's expression; clip (bounds from its operands 1 and 2) and relu6 (0, 6) are
 * an int8 layer's clamp. */
MLP_C_OP(LEAKY_RELU, MLP_C_NARY("r = a0 > 0 ? a0 : a0 * a1;", ""), MLP_Q8_NO)
MLP_C_OP(DLEAKY_RELU, MLP_C_NARY("r = a0 > 0 ? 1 : a1;", ""), MLP_Q8_NO)
MLP_C_OP(ABS, MLP_C_NARY("r = fabsf(a0);", "fabsf"), MLP_Q8_NO)
MLP_C_OP(SIGN, MLP_C_NARY("r = a0 > 0 ? 1 : a0 < 0 ? -1 : 0;", ""), MLP_Q8_NO)
MLP_C_OP(MAX, MLP_C_NARY("r = a0 != a0 || a0 > a1 ? a0 : a1;", ""), MLP_Q8_NO)
MLP_C_OP(MIN, MLP_C_NARY("r = a0 != a0 || a0 < a1 ? a0 : a1;", ""), MLP_Q8_NO)
MLP_C_OP(DMAX, MLP_C_NARY("r = a0 > a1 ? 1 : a0 == a1 ? 0.5 : 0;", ""), MLP_Q8_NO)
MLP_C_OP(CLIP, MLP_C_NARY("r = a0 != a0 ? a0 : a0 < a1 ? a1 : a0 > a2 ? a2 : a0;", ""),
         MLP_Q8_CLAMP_TO(0, 0))
MLP_C_OP(RELU6, MLP_C_NARY("r = a0 != a0 ? a0 : a0 < 0 ? 0 : a0 > 6 ? 6 : a0;", ""),
         MLP_Q8_CLAMP_TO(0, 6))
MLP_C_OP(DCLIP, MLP_C_NARY("r = a1 < a0 && a0 < a2 ? 1 : 0;", ""), MLP_Q8_NO)

/* arith.c - elementwise + - * / and negation; a scalar operand broadcasts to the other's shape. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

/* add: y = a + b;  da = gy, db = gy */
MLP_BINARY_FORWARD(add_forward, a + b)
static void add_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)g, (void)y, (void)need;
    gx[0] = gx[1] = gy;
}
const struct mlp_op_info mlp_op_info_ADD = {
    .cls = MLP_CLASS_LINEAR, .shape = mlp_shape_elementwise, .forward = add_forward,
    .vjp = add_vjp, .syntax = MLP_SYNTAX_INFIX, .symbol = "+", .prec = MLP_PREC_ADD,
    .math = "+", .latex = "+",
    .sign_fn = mlp_sign_add, .vsem = MLP_V_ADD, .math_form = MLP_MATH_SUM,
    .onnx = MLP_ONNX_OP(AFFINE, "Add")};

/* sub: y = a - b;  da = gy, db = -gy */
MLP_BINARY_FORWARD(sub_forward, a - b)
static void sub_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)y;
    gx[0] = gy;
    gx[1] = need[1] ? mlp_neg(g, gy) : MLP_NONE;
}
const struct mlp_op_info mlp_op_info_SUB = {
    .cls = MLP_CLASS_LINEAR, .shape = mlp_shape_elementwise, .forward = sub_forward,
    .vjp = sub_vjp, .syntax = MLP_SYNTAX_INFIX, .symbol = "-", .prec = MLP_PREC_ADD,
    .math = "−", .latex = "-",
    .sign_fn = mlp_sign_sub, .vsem = MLP_V_SUB, .math_form = MLP_MATH_SUM,
    .onnx = MLP_ONNX_OP(BINARY, "Sub")};

/* mul: y = a * b (elementwise);  da = gy * b, db = gy * a */
MLP_BINARY_FORWARD(mul_forward, a * b)
static void mul_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    const struct mlp_node *n = mlp_node(g, y);
    mlp_id a = n->in[0], b = n->in[1];
    gx[0] = need[0] ? mlp_mul(g, gy, b) : MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, a) : MLP_NONE;
}
const struct mlp_op_info mlp_op_info_MUL = {
    .cls = MLP_CLASS_BILINEAR, .shape = mlp_shape_elementwise, .forward = mul_forward,
    .vjp = mul_vjp, .syntax = MLP_SYNTAX_INFIX, .symbol = "*", .prec = MLP_PREC_MUL,
    .math = "∘", .latex = "\\circ",
    .sign_fn = mlp_sign_times, .vsem = MLP_V_MUL, .math_form = MLP_MATH_PRODUCT,
    .onnx = MLP_ONNX_OP(BINARY, "Mul")};

/* div: y = a / b;  da = gy / b, db = -gy * y / b */
MLP_BINARY_FORWARD(div_forward, a / b)
static void div_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id b = mlp_operand(g, y, 1);
    gx[0] = need[0] ? mlp_div(g, gy, b) : MLP_NONE;
    gx[1] = need[1] ? mlp_neg(g, mlp_div(g, mlp_mul(g, gy, y), b)) : MLP_NONE;
}
const struct mlp_op_info mlp_op_info_DIV = {
    .cls = MLP_CLASS_SMOOTH, .shape = mlp_shape_elementwise, .forward = div_forward,
    .vjp = div_vjp, .syntax = MLP_SYNTAX_INFIX, .symbol = "/", .prec = MLP_PREC_MUL,
    .math = "/", .latex = "/",
    .sign_fn = mlp_sign_div, .vsem = MLP_V_DIV, .math_form = MLP_MATH_DIV,
    .onnx = MLP_ONNX_OP(BINARY, "Div")};

/* neg: y = -a;  da = -gy */
MLP_UNARY_FORWARD(neg_forward, -v)
static void neg_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)y, (void)need;
    gx[0] = mlp_neg(g, gy);
}
const struct mlp_op_info mlp_op_info_NEG = {
    .cls = MLP_CLASS_LINEAR, .shape = mlp_shape_same, .forward = neg_forward, .vjp = neg_vjp,
    .syntax = MLP_SYNTAX_PREFIX, .symbol = "-", .prec = MLP_PREC_UNARY, .math = "−",
    .latex = "-",
    .sign = MLP_SIGNS(MLP_S_P, MLP_S_Z, MLP_S_N), .sign_back = true, .vsem = MLP_V_NEG,
    .math_form = MLP_MATH_NEG,
    .onnx = MLP_ONNX_OP(UNARY, "Neg")};

/* ---- the C lowerings (graph/ops_c.h) ---- */

MLP_C_OP(ADD, MLP_C_BINARY("a_ + b_"), MLP_Q8_AS(MLP_Q8_BIAS))
MLP_C_OP(SUB, MLP_C_BINARY("a_ - b_"), MLP_Q8_NO)
MLP_C_OP(MUL, MLP_C_BINARY("a_ * b_"), MLP_Q8_NO)
MLP_C_OP(DIV, MLP_C_BINARY("a_ / b_"), MLP_Q8_NO)
MLP_C_OP(NEG, MLP_C_UNARY("-v", 0), MLP_Q8_NO)

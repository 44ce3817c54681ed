/* norm.c - normalisation: layer_norm over a sample, and batch_norm in its inference form. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <tgmath.h>

/* ---- layer_norm(x, eps) = (x - mean(x)) / sqrt(var(x) + eps), over every element of the
 * sample, var biased (PyTorch's F.layer_norm with normalized_shape = the sample's shape, no
 * affine; eps default 1e-5). layer_norm(x, eps, gamma, beta) scales and shifts the result. ---- */
static void layer_norm_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *x = (const T *)k->in[0] + r * k->in_stride[0];
        double eps = ((const T *)k->in[1])[r * k->in_stride[1]], mean = 0, var = 0;
        for (int64_t i = 0; i < n; i++)
            mean += x[i];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++)
            var += (x[i] - mean) * (x[i] - mean);
        double inv = 1 / sqrt(var / (double)n + eps);
        T *y = (T *)k->out + r * n;
        for (int64_t i = 0; i < n; i++)
            y[i] = (T)((x[i] - mean) * inv);
    });
}
/* With c = x - mean(x), v = mean(c^2) + eps, y = c / sqrt(v):
 * dx = (gy - mean(gy) - y mean(gy y)) / sqrt(v);  d eps = -sum(gy y) / (2 v) */
static void layer_norm_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id x = mlp_operand(g, y, 0), eps = mlp_operand(g, y, 1);
    mlp_id c = mlp_sub(g, x, mlp_unary(g, MLP_OP_MEAN, x));
    mlp_id v = mlp_add(g, mlp_unary(g, MLP_OP_MEAN, mlp_unary(g, MLP_OP_SQUARE, c)), eps);
    mlp_id gyy = mlp_mul(g, gy, y);
    if (need[0]) {
        mlp_id centred = mlp_sub(g, gy, mlp_unary(g, MLP_OP_MEAN, gy));
        mlp_id d = mlp_sub(g, centred, mlp_mul(g, y, mlp_unary(g, MLP_OP_MEAN, gyy)));
        gx[0] = mlp_div(g, d, mlp_unary(g, MLP_OP_SQRT, v));
    }
    if (need[1])
        gx[1] = mlp_mul(g, mlp_scalar(g, -0.5), mlp_div(g, mlp_unary(g, MLP_OP_SUM, gyy), v));
}
static mlp_id layer_norm_call(mlp_graph *g, enum mlp_op op, const mlp_id *args, int nargs)
{
    if (nargs == 3)
        return mlp_graph_fail(g, "layer_norm takes 1, 2 or 4 arguments (x, eps, gamma, beta): "
                                 "gamma and beta go together");
    mlp_id y = mlp_op2(g, op, args[0], args[1]);
    return nargs == 4 ? mlp_add(g, mlp_mul(g, y, args[2]), args[3]) : y;
}
const struct mlp_op_info mlp_op_info_LAYER_NORM = {
    .cls = MLP_CLASS_SMOOTH, .shape = mlp_shape_scalar_args, .forward = layer_norm_forward,
    .vjp = layer_norm_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM,
    .math = "layer_norm", .latex = "\\operatorname{layer\\_norm}", .min_args = 1,
    .max_args = 4, .defaults = {NULL, "1e-05"}, .call = layer_norm_call,
    .sign_fn = mlp_sign_any};

/* ---- batch_norm_infer(x, mean, var, gamma, beta, eps) = (x - mean) / sqrt(var + eps) * gamma
 * + beta, elementwise (F.batch_norm with training=False; eps default 1e-5). mlp convert folds
 * it into a W @ x + b before it. ---- */
MLP_NARY_FORWARD(batch_norm_forward, 6, (a[0] - a[1]) / sqrt(a[2] + a[5]) * a[3] + a[4])
/* With d = x - mean, s = sqrt(var + eps): dx = gy gamma / s, dmean = -dx, dgamma = gy d / s,
 * dbeta = gy, dvar = deps = -gy gamma d / (2 s^3) */
static void batch_norm_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    struct mlp_node n = *mlp_node(g, y);
    mlp_id x = n.in[0], mean = n.in[1], var = n.in[2], gamma = n.in[3], eps = n.in[5];
    mlp_id d = mlp_sub(g, x, mean), ve = mlp_add(g, var, eps), s = mlp_unary(g, MLP_OP_SQRT, ve);
    mlp_id dx = need[0] || need[1] ? mlp_mul(g, gy, mlp_div(g, gamma, s)) : MLP_NONE;
    gx[0] = need[0] ? dx : MLP_NONE;
    gx[1] = need[1] ? mlp_neg(g, dx) : MLP_NONE;
    gx[3] = need[3] ? mlp_mul(g, gy, mlp_div(g, d, s)) : MLP_NONE;
    gx[4] = need[4] ? gy : MLP_NONE;
    if (need[2] || need[5]) {
        mlp_id dv = mlp_mul(g, mlp_mul(g, mlp_scalar(g, -0.5), gy),
                            mlp_div(g, mlp_mul(g, gamma, d), mlp_mul(g, ve, s)));
        gx[2] = need[2] ? dv : MLP_NONE;
        gx[5] = need[5] ? dv : MLP_NONE;
    }
}
const struct mlp_op_info mlp_op_info_BATCH_NORM_INFER = {
    .cls = MLP_CLASS_SMOOTH, .shape = mlp_shape_elementwise_n, .forward = batch_norm_forward,
    .vjp = batch_norm_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM,
    .math = "batch_norm", .latex = "\\operatorname{batch\\_norm}", .min_args = 5,
    .defaults = {NULL, NULL, NULL, NULL, NULL, "1e-05"}, .sign_fn = mlp_sign_any,
    .onnx = MLP_ONNX_OP(BATCH_NORM, NULL)};

/* ---- the C lowerings (graph/ops_c.h) ---- */

/* layer_norm(x, eps): mean and biased variance in double, y = (x - mean) / sqrt(var + eps). */
static void emit_layer_norm(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    int64_t n = mlp_c_size(cg, id);
    P("        long i;\n        double eps = b[0], mean = 0, var = 0, inv;\n");
    P("        for (i = 0; i < %lld; i++)\n            mean += a[i];\n        mean /= (double)%lld;\n",
      (long long)n, (long long)n);
    P("        for (i = 0; i < %lld; i++) {\n            double d = a[i] - mean;\n            double d2 = d * d;\n"
      "            var += d2;\n        }\n", (long long)n);
    P("        inv = 1 / sqrt(var / (double)%lld + eps);\n", (long long)n);
    P("        for (i = 0; i < %lld; i++)\n            y[i] = (float)((a[i] - mean) * inv);\n", (long long)n);
    (void)low;
}

MLP_C_OP(LAYER_NORM, MLP_C_EMIT_CALLS(emit_layer_norm, "sqrt"), MLP_Q8_NO)
MLP_C_OP(BATCH_NORM_INFER, MLP_C_NARY("float t = (a0 - a1) / sqrtf(a2 + a5);\n"
    "            float u = t * a3;\n            r = u + a4;", "sqrtf"), MLP_Q8_NO)

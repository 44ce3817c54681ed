/* reduce.c - reductions of a sample to a scalar (sum, mean, sumsq), and of a batch to one value. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

/* Per-sample sum of f(x) over all elements, accumulated in double for both dtypes (in index
 * order; several samples at once, common.h). TERM reads V, the element as a double. */
#define V ((double)a[j][i])
#define REDUCE_FORWARD(fname, TERM, FINISH)                                                     \
    static void fname(const struct mlp_kargs *k)                                                \
    {                                                                                           \
        int64_t n = mlp_shape_size(k->inode[0]->shape);                                         \
        MLP_DISPATCH(k->dtype, MLP_ROWWISE_SUM(T, k, n, k->in[0], k->in_stride[0], k->in[0],   \
                                               k->in_stride[0], TERM, FINISH););                \
    }

/* Spread a scalar adjoint back over the operand's shape. */
static mlp_id spread(mlp_graph *g, mlp_id y, mlp_id s)
{
    return mlp_broadcast(g, s, mlp_node(g, mlp_operand(g, y, 0))->shape);
}

/* ---- sum(x) ---- */
REDUCE_FORWARD(sum_forward, V, s)
static void sum_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = spread(g, y, gy);
}
const struct mlp_op_info mlp_op_info_SUM = {
    .cls = MLP_CLASS_LINEAR, .shape = mlp_shape_to_scalar, .forward = sum_forward,
    .vjp = sum_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "Σ",
    .latex = "\\sum",
    .sign_fn = mlp_sign_sum, .vsem = MLP_V_SUM};

/* ---- mean(x) ---- */
REDUCE_FORWARD(mean_forward, V, s / (double)n)
static void mean_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_shape xs = mlp_node(g, mlp_operand(g, y, 0))->shape;
    gx[0] = spread(g, y, mlp_div(g, gy, mlp_scalar(g, (double)mlp_shape_size(xs))));
}
const struct mlp_op_info mlp_op_info_MEAN = {
    .cls = MLP_CLASS_LINEAR, .shape = mlp_shape_to_scalar, .forward = mean_forward,
    .vjp = mean_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "mean",
    .latex = "\\operatorname{mean}",
    .sign_fn = mlp_sign_sum, .vsem = MLP_V_MEAN};

/* ---- sumsq(x) = sum of squares = ||x||^2;  dx = 2 gy x ---- */
REDUCE_FORWARD(sumsq_forward, V * V, s)
static void sumsq_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    gx[0] = mlp_mul(g, mlp_mul(g, mlp_scalar(g, 2), gy), mlp_operand(g, y, 0));
}
const struct mlp_op_info mlp_op_info_SUMSQ = {
    .cls = MLP_CLASS_SMOOTH, .shape = mlp_shape_to_scalar, .forward = sumsq_forward,
    .vjp = sumsq_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "sumsq",
    .latex = "\\operatorname{sumsq}",
    .sign = MLP_SIGNS(MLP_S_P, MLP_S_Z, MLP_S_P), .math_form = MLP_MATH_NORM2};

/* ---- batch_sum(x): the sum over the samples of a batch (unbatched result) ----
 * Autodiff emits it where a batched value's adjoint flows into a parameter. Applied to a value
 * that does not vary per sample it means batch * x, the sum of that value over every sample. */
static void batch_sum_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    bool per_sample = k->in_stride[0] != 0;
    int rows = per_sample ? k->batch : 1;
    double scale = per_sample ? 1.0 : (double)k->batch;
    MLP_DISPATCH(k->dtype, T *restrict y = k->out; const T *restrict x = k->in[0];
                 MLP_SUM_ROWS(T, y, x, rows, n);
                 if (scale != 1.0) for (int64_t i = 0; i < n; i++) y[i] = (T)(y[i] * scale););
}
static void batch_sum_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)g, (void)y, (void)need;
    gx[0] = gy; /* each sample's value contributes once; gy reaches every sample unchanged */
}
const struct mlp_op_info mlp_op_info_BATCH_SUM = {
    .cls = MLP_CLASS_LINEAR, .shape = mlp_shape_same, .forward = batch_sum_forward,
    .vjp = batch_sum_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "Σ_batch",
    .latex = "\\sum_{\\text{batch}}",
    .sign_fn = mlp_sign_sum, .math_form = MLP_MATH_BATCH_SUM};

/* ---- the C lowerings (graph/ops_c.h) ---- */

enum { C_SUM, C_MEAN, C_SUMSQ }; /* the forms of emit_reduce */

static void emit_reduce(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    int form = mlp_c_variant(cg, id);
    int64_t n = mlp_c_size(cg, low->in[0]);
    P("        long i;\n        double s = 0;\n        for (i = 0; i < %lld; i++) {\n", (long long)n);
    P("            double v = a[i];\n");
    P(form == C_SUMSQ ? "            double t = v * v;\n            s += t;\n        }\n"
                         : "            s += v;\n        }\n");
    if (form == C_MEAN)
        P("        y[0] = (float)(s / %lld.0);\n", (long long)n);
    else
        P("        y[0] = (float)s;\n");
}

/* batch_sum over the one sample of a call: the value itself (summed into zero, as the kernel). */
static void emit_batch_sum(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n            y[i] = 0;\n"
      "            y[i] += a[i];\n        }\n", (long long)mlp_c_size(cg, id));
    (void)low;
}

MLP_C_OP(SUM, MLP_C_FORM(emit_reduce, C_SUM, 0), MLP_Q8_NO)
MLP_C_OP(MEAN, MLP_C_FORM(emit_reduce, C_MEAN, 0), MLP_Q8_NO)
MLP_C_OP(SUMSQ, MLP_C_FORM(emit_reduce, C_SUMSQ, 0), MLP_Q8_NO)
MLP_C_OP(BATCH_SUM, MLP_C_EMIT(emit_batch_sum, 0), MLP_Q8_NO)

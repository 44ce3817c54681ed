/* c_ops.c - the C lowering of every op, keyed by op id.
 *
 * Each lowering writes the loops that compute one node in float32 exactly as the op's float32
 * kernel does (src/graph/ops/): the same operations in the same order, accumulating in double
 * where the kernel does (dot, sum, mean, sumsq, the softmax family). A product and the sum it
 * feeds are separate statements, so no compiler contracts them into a fused multiply-add unless
 * told to across statements (GCC's -ffp-contract=fast, which -std=c99 turns off).
 *
 * The table is built from MLP_OPS: every op must define C_LOWER_<ID> below, either a lowering or
 * C_UNSUPPORTED(why), or this file does not compile, so a new op cannot silently lack one.
 * (The table can move into struct mlp_op_info once the op table carries a C lowering field.)
 */
#include "export/cgen.h"

#include <string.h>

/* Element counts of a node and of its lowered operands. */
static int64_t size_of(const struct cgen *cg, mlp_id id)
{
    return mlp_shape_size(mlp_node(cg->g, id)->shape);
}

#define P(...) mlp_sb_printf(cg->out, __VA_ARGS__)

static void emit_unary(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n            float v = a[i];\n",
      (long long)size_of(cg, id));
    /* SIGMOID(...) stands for the generated helper NAME_sigmoid. */
    const char *e = mlp_c_lowering(mlp_node(cg->g, id)->op)->expr, *s;
    P("            y[i] = (float)(");
    while ((s = strstr(e, "SIGMOID(")) != NULL) {
        P("%.*s%s_sigmoid(", (int)(s - e), e, cg->name);
        e = s + strlen("SIGMOID(");
    }
    P("%s);\n        }\n", e);
    (void)low;
}

/* tanh'(v) = 1 - tanh(v)^2, with the square its own statement (no contraction). */
static void emit_dtanh(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)size_of(cg, id));
    P("            float t = tanhf(a[i]);\n            float t2 = t * t;\n"
      "            y[i] = 1 - t2;\n        }\n");
    (void)low;
}

/* Either operand may be a scalar, spread over the other (as MLP_BINARY_FORWARD). */
static void emit_binary(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    int64_t n = size_of(cg, id);
    bool a_all = size_of(cg, low->in[0]) == n, b_all = size_of(cg, low->in[1]) == n;
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)n);
    P("            float a_ = a[%s], b_ = b[%s];\n", a_all ? "i" : "0", b_all || !a_all ? "i" : "0");
    P("            y[i] = %s;\n        }\n", mlp_c_lowering(mlp_node(cg->g, id)->op)->expr);
}

/* matmul: each element a sum over the inner dimension, in order, from 0 (the executor's
 * one-sample products; lower.h's transpose views become index orders). */
static void emit_matmul(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    mlp_shape sa = mlp_node(cg->g, low->operand[0])->shape, sb = mlp_node(cg->g, low->operand[1])->shape;
    int m = sa.rank == 2 ? sa.dim[0] : 1, k = sa.rank == 2 ? sa.dim[1] : sa.dim[0];
    int n = sb.rank == 2 ? sb.dim[1] : 1;
    /* op(A)[i][p] and op(B)[p][j] as stored: a transposed view reads its source by columns. */
    char ia[64], ib[64];
    if (low->trans[0])
        snprintf(ia, sizeof ia, "p * %d + i", m);
    else
        snprintf(ia, sizeof ia, "i * %d + p", k);
    if (n == 1) /* a matrix-vector product: no column loop */
        snprintf(ib, sizeof ib, "p");
    else if (low->trans[1])
        snprintf(ib, sizeof ib, "j * %d + p", k);
    else
        snprintf(ib, sizeof ib, "p * %d + j", n);
    P("        long i, %sp;\n        for (i = 0; i < %d; i++)", n > 1 ? "j, " : "", m);
    if (n > 1)
        P("\n            for (j = 0; j < %d; j++)", n);
    P(" {\n            float s = 0;\n            for (p = 0; p < %d; p++) {\n", k);
    P("                float t = a[%s] * b[%s];\n                s += t;\n            }\n", ia, ib);
    if (n > 1)
        P("            y[i * %d + j] = s;\n        }\n", n);
    else
        P("            y[i] = s;\n        }\n");
}

static void emit_transpose(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    mlp_shape s = mlp_node(cg->g, low->operand[0])->shape;
    P("        long i, j;\n        for (i = 0; i < %d; i++)\n", s.dim[0]);
    P("            for (j = 0; j < %d; j++)\n                y[j * %d + i] = a[i * %d + j];\n",
      s.dim[1], s.dim[0], s.dim[1]);
    (void)id;
}

static void emit_outer(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    mlp_shape s = mlp_node(cg->g, id)->shape;
    P("        long i, j;\n        for (i = 0; i < %d; i++)\n", s.dim[0]);
    P("            for (j = 0; j < %d; j++)\n                y[i * %d + j] = a[i] * b[j];\n",
      s.dim[1], s.dim[1]);
    (void)low;
}

/* dot, sum, mean, sumsq: accumulated in double, as their kernels do. */
static void emit_dot(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        double s = 0;\n        for (i = 0; i < %lld; i++) {\n",
      (long long)size_of(cg, low->in[0]));
    P("            double t = (double)a[i] * (double)b[i];\n            s += t;\n        }\n"
      "        y[0] = (float)s;\n");
    (void)id;
}

static void emit_reduce(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    enum mlp_op op = mlp_node(cg->g, id)->op;
    int64_t n = size_of(cg, low->in[0]);
    P("        long i;\n        double s = 0;\n        for (i = 0; i < %lld; i++) {\n", (long long)n);
    P("            double v = a[i];\n");
    P(op == MLP_OP_SUMSQ ? "            double t = v * v;\n            s += t;\n        }\n"
                         : "            s += v;\n        }\n");
    if (op == MLP_OP_MEAN)
        P("        y[0] = (float)(s / %lld.0);\n", (long long)n);
    else
        P("        y[0] = (float)s;\n");
}

/* batch_sum over the one sample of a call: the value itself (summed into zero, as the kernel). */
static void emit_batch_sum(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n            y[i] = 0;\n"
      "            y[i] += a[i];\n        }\n", (long long)size_of(cg, id));
    (void)low;
}

/* Offset of the block x[idx...] in a value of shape full (structure.c's block_offset). */
static int64_t block_offset(mlp_shape full, const int32_t *attr)
{
    int64_t off = 0;
    for (int i = 0; i < full.rank; i++)
        off = off * full.dim[i] + (i < attr[0] ? attr[1 + i] : 0);
    return off;
}

static void emit_index(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    const struct mlp_node *n = mlp_node(cg->g, id);
    int64_t off = block_offset(mlp_node(cg->g, low->operand[0])->shape, n->attr);
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = a[%lld + i];\n",
      (long long)size_of(cg, id), (long long)off);
}

static void emit_unindex(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    const struct mlp_node *n = mlp_node(cg->g, id);
    int64_t off = block_offset(n->shape, n->attr);
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = 0;\n",
      (long long)size_of(cg, id));
    P("        for (i = 0; i < %lld; i++)\n            y[%lld + i] = a[i];\n",
      (long long)size_of(cg, low->in[0]), (long long)off);
}

static void emit_broadcast(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = a[0];\n",
      (long long)size_of(cg, id));
    (void)low;
}

/* softmax, log_softmax, logsumexp (softmax.c): the largest element m (0 if infinite),
 * s = sum exp(x - m) in double, then exp(x - m) / s, (x - m) - log(s) or m + log(s). */
static void emit_softmax(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    enum mlp_op op = mlp_node(cg->g, id)->op;
    int64_t n = size_of(cg, low->in[0]);
    P("        long i;\n        double m = -HUGE_VAL, s = 0%s;\n", op == MLP_OP_SOFTMAX ? "" : ", log_s");
    P("        for (i = 0; i < %lld; i++)\n            if (a[i] > m)\n                m = a[i];\n",
      (long long)n);
    P("        if (!(m > -HUGE_VAL && m < HUGE_VAL))\n            m = 0;\n");
    P("        for (i = 0; i < %lld; i++)\n            s += exp(a[i] - m);\n", (long long)n);
    if (op != MLP_OP_SOFTMAX)
        P("        log_s = log(s);\n");
    if (op == MLP_OP_LOGSUMEXP) {
        P("        y[0] = (float)(m + log_s);\n");
        return;
    }
    P("        for (i = 0; i < %lld; i++) {\n            double v = a[i] - m;\n", (long long)n);
    P(op == MLP_OP_SOFTMAX ? "            y[i] = (float)(exp(v) / s);\n        }\n"
                           : "            y[i] = (float)(v - log_s);\n        }\n");
}

#define C_LEAF {NULL, NULL, 0, NULL}
#define C_UNARY(expr, uses) {emit_unary, expr, uses, NULL}
#define C_BINARY(expr) {emit_binary, expr, 0, NULL}
#define C_UNSUPPORTED(why) {NULL, NULL, 0, why}

#define C_LOWER_INPUT C_LEAF
#define C_LOWER_PARAM C_LEAF
#define C_LOWER_CONST C_LEAF
#define C_LOWER_ADD C_BINARY("a_ + b_")
#define C_LOWER_SUB C_BINARY("a_ - b_")
#define C_LOWER_MUL C_BINARY("a_ * b_")
#define C_LOWER_DIV C_BINARY("a_ / b_")
#define C_LOWER_NEG C_UNARY("-v", 0)
#define C_LOWER_MATMUL {emit_matmul, NULL, 0, NULL}
#define C_LOWER_TRANSPOSE {emit_transpose, NULL, 0, NULL}
#define C_LOWER_OUTER {emit_outer, NULL, 0, NULL}
#define C_LOWER_DOT {emit_dot, NULL, 0, NULL}
#define C_LOWER_INDEX {emit_index, NULL, 0, NULL}
#define C_LOWER_UNINDEX {emit_unindex, NULL, 0, NULL}
#define C_LOWER_BROADCAST {emit_broadcast, NULL, 0, NULL}
#define C_LOWER_SUM {emit_reduce, NULL, 0, NULL}
#define C_LOWER_MEAN {emit_reduce, NULL, 0, NULL}
#define C_LOWER_SUMSQ {emit_reduce, NULL, 0, NULL}
#define C_LOWER_BATCH_SUM {emit_batch_sum, NULL, 0, NULL}
#define C_LOWER_STEP C_UNARY("v >= 0 ? 1 : 0", 0)
#define C_LOWER_SIGMOID C_UNARY("SIGMOID(v)", C_USES_SIGMOID | C_USES_EXPF)
#define C_LOWER_TANH C_UNARY("tanhf(v)", C_USES_TANHF)
#define C_LOWER_RELU C_UNARY("v > 0 ? v : (v != v ? v : 0)", 0)
#define C_LOWER_IDENTITY C_UNARY("v", 0)
#define C_LOWER_EXP C_UNARY("expf(v)", C_USES_EXPF)
#define C_LOWER_LOG C_UNARY("logf(v)", C_USES_LOGF)
#define C_LOWER_DSIGMOID C_UNARY("SIGMOID(v) * (1 - SIGMOID(v))", C_USES_SIGMOID | C_USES_EXPF)
#define C_LOWER_DTANH {emit_dtanh, NULL, C_USES_TANHF, NULL}
#define C_LOWER_DRELU C_UNARY("v > 0 ? 1 : 0", 0)
#define C_LOWER_SOFTMAX {emit_softmax, NULL, C_USES_EXP, NULL}
#define C_LOWER_LOG_SOFTMAX {emit_softmax, NULL, C_USES_EXP | C_USES_LOG, NULL}
#define C_LOWER_LOGSUMEXP {emit_softmax, NULL, C_USES_EXP | C_USES_LOG, NULL}
#define LOSS_WHY "a training loss (export the outputs a deployed model computes, not its loss)"
#define C_LOWER_SQUARED_ERROR C_UNSUPPORTED(LOSS_WHY)
#define C_LOWER_BCE_LOGITS C_UNSUPPORTED(LOSS_WHY)
#define C_LOWER_SOFTMAX_XENT C_UNSUPPORTED(LOSS_WHY)
#define C_LOWER_DSOFTMAX_XENT C_UNSUPPORTED("the gradient of a training loss")

/* The ops of the op-table extension, merged before their C lowerings were written: each is an
 * error naming it, until it has one. */
#define NOT_YET "no C lowering yet"
#define C_LOWER_LEAKY_RELU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_ABS C_UNSUPPORTED(NOT_YET)
#define C_LOWER_MAX C_UNSUPPORTED(NOT_YET)
#define C_LOWER_MIN C_UNSUPPORTED(NOT_YET)
#define C_LOWER_CLIP C_UNSUPPORTED(NOT_YET)
#define C_LOWER_RELU6 C_UNSUPPORTED(NOT_YET)
#define C_LOWER_SIGN C_UNSUPPORTED(NOT_YET)
#define C_LOWER_DLEAKY_RELU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_DMAX C_UNSUPPORTED(NOT_YET)
#define C_LOWER_DCLIP C_UNSUPPORTED(NOT_YET)
#define C_LOWER_SOFTPLUS C_UNSUPPORTED(NOT_YET)
#define C_LOWER_GELU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_GELU_TANH C_UNSUPPORTED(NOT_YET)
#define C_LOWER_ELU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_SILU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_SQRT C_UNSUPPORTED(NOT_YET)
#define C_LOWER_SQUARE C_UNSUPPORTED(NOT_YET)
#define C_LOWER_LOG1P C_UNSUPPORTED(NOT_YET)
#define C_LOWER_EXPM1 C_UNSUPPORTED(NOT_YET)
#define C_LOWER_DGELU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_DGELU_TANH C_UNSUPPORTED(NOT_YET)
#define C_LOWER_DELU C_UNSUPPORTED(NOT_YET)
#define C_LOWER_CONCAT C_UNSUPPORTED(NOT_YET)
#define C_LOWER_SLICE C_UNSUPPORTED(NOT_YET)
#define C_LOWER_RESHAPE C_UNSUPPORTED(NOT_YET)
#define C_LOWER_FLATTEN C_UNSUPPORTED(NOT_YET)
#define C_LOWER_ARGMAX C_UNSUPPORTED(NOT_YET)
#define C_LOWER_LAYER_NORM C_UNSUPPORTED(NOT_YET)
#define C_LOWER_BATCH_NORM_INFER C_UNSUPPORTED(NOT_YET)

static const struct c_lowering lowerings[MLP_OP_COUNT] = {
#define C_ROW(id, name, arity) [MLP_OP_##id] = C_LOWER_##id,
    MLP_OPS(C_ROW)
#undef C_ROW
};

const struct c_lowering *mlp_c_lowering(enum mlp_op op) { return &lowerings[op]; }

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
 * Everything the generator needs to know about an op is in its row (its emit function, the form
 * that function writes, leaf kind, transposed-matrix reads), so neither the emit functions nor
 * c.c name an op. The rows are keyed by MLP_OPS rather than stored in struct mlp_op_info, which
 * would make the graph library depend on the C generator.
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
    P("            y[i] = (float)(%s);\n        }\n", mlp_c_lowering(mlp_node(cg->g, id)->op)->expr);
    (void)low;
}

/* tanh'(v) = 1 - tanh(v)^2, with the square its own statement (no contraction). */
static void emit_dtanh(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)size_of(cg, id));
    P("            float t = mlp_ftanh(a[i]);\n            float t2 = t * t;\n"
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

/* y = A x with A stored transposed ([k, m]): the same sums, in the same order, accumulated in y;
 * the inner loop runs over contiguous outputs, so compilers vectorise it without reordering any
 * sum. Four rows at a time, each output's four products added one after the other to a local
 * (still in the order of p), so y is loaded and stored once per four rows, not once per row. */
static void emit_matvec_t(struct cgen *cg, int m, int k)
{
    P("        long i, p;\n        for (i = 0; i < %d; i++)\n            y[i] = 0;\n", m);
    if (k >= 4) {
        P("        for (p = 0; p + 3 < %d; p += 4) {\n", k);
        P("            const float *r0 = a + p * %d, *r1 = r0 + %d, *r2 = r1 + %d, *r3 = r2 + %d;\n",
          m, m, m, m);
        P("            float x0 = b[p], x1 = b[p + 1], x2 = b[p + 2], x3 = b[p + 3];\n");
        P("            for (i = 0; i < %d; i++) {\n                float s = y[i];\n", m);
        for (int r = 0; r < 4; r++)
            P("                float t%d = r%d[i] * x%d;\n                s += t%d;\n", r, r, r, r);
        P("                y[i] = s;\n            }\n        }\n");
    }
    if (k % 4) {
        P("        for (p = %d; p < %d; p++) {\n            const float *row = a + p * %d;\n",
          k - k % 4, k, m);
        P("            float xp = b[p];\n            for (i = 0; i < %d; i++) {\n", m);
        P("                float t = row[i] * xp;\n                y[i] += t;\n            }\n        }\n");
    }
}

/* matmul: each element a sum over the inner dimension, in order, from 0 (the executor's
 * one-sample products; lower.h's transpose views become index orders). */
static void emit_matmul(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    mlp_shape sa = mlp_node(cg->g, low->operand[0])->shape, sb = mlp_node(cg->g, low->operand[1])->shape;
    int m = sa.rank == 2 ? sa.dim[0] : 1, k = sa.rank == 2 ? sa.dim[1] : sa.dim[0];
    int n = sb.rank == 2 ? sb.dim[1] : 1;
    /* op(A)[i][p] and op(B)[p][j] as stored: a transposed view reads its source by columns. */
    if (n == 1 && low->trans[0]) {
        /* A matrix-vector product with the matrix stored transposed ([k, m]): the same sums, in
         * the same order, accumulated in y; the inner loop runs over contiguous outputs, so
         * compilers vectorise it without reordering any sum. */
        emit_matvec_t(cg, m, k);
        return;
    }
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
    enum c_variant form = mlp_c_lowering(mlp_node(cg->g, id)->op)->variant;
    int64_t n = size_of(cg, low->in[0]);
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

/* softmax (softmax.c): base/fexp.h's mlp_fsoftmax, the float32 kernel's own function.
 * log_softmax, logsumexp: the largest element m (0 if infinite), s = sum exp(x - m) in double,
 * then (x - m) - log(s) or m + log(s). */
static void emit_softmax(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    enum c_variant form = mlp_c_lowering(mlp_node(cg->g, id)->op)->variant;
    int64_t n = size_of(cg, low->in[0]);
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

/* An elementwise op of any arity whose operands after the first may be scalars (as
 * MLP_NARY_FORWARD): the kernel's expression written as statements that never offer a
 * multiply-add to contract, with the same C types (float operands, double constants). */
static void emit_nary(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    int64_t n = size_of(cg, id);
    P("        long i;\n        for (i = 0; i < %lld; i++) {\n", (long long)n);
    for (int j = 0; j < low->arity; j++)
        P("            float a%d = %c[%s];\n", j, "abcdef"[j], size_of(cg, low->in[j]) == n ? "i" : "0");
    P("            double r;\n            %s\n", mlp_c_lowering(mlp_node(cg->g, id)->op)->expr);
    P("            y[i] = (float)r;\n        }\n");
}

/* layer_norm(x, eps) (norm.c): mean and biased variance in double, y = (x - mean) / sqrt(var + eps). */
static void emit_layer_norm(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    int64_t n = size_of(cg, id);
    P("        long i;\n        double eps = b[0], mean = 0, var = 0, inv;\n");
    P("        for (i = 0; i < %lld; i++)\n            mean += a[i];\n        mean /= (double)%lld;\n",
      (long long)n, (long long)n);
    P("        for (i = 0; i < %lld; i++) {\n            double d = a[i] - mean;\n            double d2 = d * d;\n"
      "            var += d2;\n        }\n", (long long)n);
    P("        inv = 1 / sqrt(var / (double)%lld + eps);\n", (long long)n);
    P("        for (i = 0; i < %lld; i++)\n            y[i] = (float)((a[i] - mean) * inv);\n", (long long)n);
    (void)low;
}

/* The same elements in another place: reshape, flatten, slice, concat (layout.c). */
static void emit_copy(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    const struct mlp_node *nd = mlp_node(cg->g, id);
    enum c_variant form = mlp_c_lowering(nd->op)->variant;
    int64_t n = size_of(cg, id), from = form == C_COPY_FROM_ATTR ? nd->attr[0] : 0;
    int64_t na = form == C_COPY_TWO ? size_of(cg, low->in[0]) : n;
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = a[%lld + i];\n",
      (long long)na, (long long)from);
    if (form == C_COPY_TWO)
        P("        for (i = 0; i < %lld; i++)\n            y[%lld + i] = b[i];\n", (long long)(n - na),
          (long long)na);
}

/* argmax (layout.c): the first largest element, or the first NaN, as a float index. */
static void emit_argmax(struct cgen *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i, best = 0;\n        for (i = 0; i < %lld; i++) {\n", (long long)size_of(cg, low->in[0]));
    P("            if (a[i] != a[i]) {\n                best = i;\n                break;\n            }\n"
      "            if (a[i] > a[best])\n                best = i;\n        }\n        y[0] = (float)best;\n");
    (void)id;
}

#define C_LEAF_AT(where, word) {.leaf = where, .leaf_word = word}
#define C_FORM(fn, form, uses_) {.emit = fn, .variant = form, .uses = uses_}
#define C_UNARY(expr_, uses_) {.emit = emit_unary, .expr = expr_, .uses = uses_}
#define C_BINARY(expr_) {.emit = emit_binary, .expr = expr_}
#define C_EMIT(fn, uses_) {.emit = fn, .uses = uses_}
/* statements computing double r from the float operands a0, a1, ... of one element */
#define C_NARY(stmts, calls_) {.emit = emit_nary, .expr = stmts, .uses = C_USES_OTHER, .calls = calls_}
#define C_UNSUPPORTED(why) {.unsupported = why}

#define C_LOWER_INPUT C_LEAF_AT(C_LEAF_INPUT, NULL)
#define C_LOWER_PARAM C_LEAF_AT(C_LEAF_STORED, "parameter")
#define C_LOWER_CONST C_LEAF_AT(C_LEAF_STORED, "constant")
#define C_LOWER_ADD C_BINARY("a_ + b_")
#define C_LOWER_SUB C_BINARY("a_ - b_")
#define C_LOWER_MUL C_BINARY("a_ * b_")
#define C_LOWER_DIV C_BINARY("a_ / b_")
#define C_LOWER_NEG C_UNARY("-v", 0)
#define C_LOWER_MATMUL {.emit = emit_matmul, .matrix_transposed = true}
#define C_LOWER_TRANSPOSE C_EMIT(emit_transpose, 0)
#define C_LOWER_OUTER C_EMIT(emit_outer, 0)
#define C_LOWER_DOT C_EMIT(emit_dot, 0)
#define C_LOWER_INDEX C_EMIT(emit_index, 0)
#define C_LOWER_UNINDEX C_EMIT(emit_unindex, 0)
#define C_LOWER_BROADCAST C_EMIT(emit_broadcast, 0)
#define C_LOWER_SUM C_FORM(emit_reduce, C_SUM, 0)
#define C_LOWER_MEAN C_FORM(emit_reduce, C_MEAN, 0)
#define C_LOWER_SUMSQ C_FORM(emit_reduce, C_SUMSQ, 0)
#define C_LOWER_BATCH_SUM C_EMIT(emit_batch_sum, 0)
#define C_LOWER_STEP C_UNARY("v >= 0 ? 1 : 0", 0)
/* sigmoid, tanh, exp: base/fexp.h's functions, written into the file (no libm call) */
#define C_LOWER_SIGMOID C_UNARY("mlp_fsigmoid(v)", C_USES_FSIGMOID)
#define C_LOWER_TANH C_UNARY("mlp_ftanh(v)", C_USES_FTANH)
#define C_LOWER_RELU C_UNARY("v > 0 ? v : (v != v ? v : 0)", 0)
#define C_LOWER_IDENTITY C_UNARY("v", 0)
#define C_LOWER_EXP C_UNARY("mlp_fexp(v)", C_USES_FEXP)
#define C_LOWER_LOG C_UNARY("logf(v)", C_USES_LOGF)
#define C_LOWER_DSIGMOID C_UNARY("mlp_fsigmoid(v) * (1 - mlp_fsigmoid(v))", C_USES_FSIGMOID)
#define C_LOWER_DTANH C_EMIT(emit_dtanh, C_USES_FTANH)
#define C_LOWER_DRELU C_UNARY("v > 0 ? 1 : 0", 0)
#define C_LOWER_SOFTMAX C_FORM(emit_softmax, C_SOFTMAX, C_USES_FSOFTMAX)
#define C_LOWER_LOG_SOFTMAX C_FORM(emit_softmax, C_LOG_SOFTMAX, C_USES_EXP | C_USES_LOG)
#define C_LOWER_LOGSUMEXP C_FORM(emit_softmax, C_LOGSUMEXP, C_USES_EXP | C_USES_LOG)
#define LOSS_WHY "a training loss (export the outputs a deployed model computes, not its loss)"
#define C_LOWER_SQUARED_ERROR C_UNSUPPORTED(LOSS_WHY)
#define C_LOWER_BCE_LOGITS C_UNSUPPORTED(LOSS_WHY)
#define C_LOWER_SOFTMAX_XENT C_UNSUPPORTED(LOSS_WHY)
#define C_LOWER_DSOFTMAX_XENT C_UNSUPPORTED("the gradient of a training loss")
/* piecewise.c, smooth.c, norm.c, layout.c: each the kernel's expression, split into statements
 * where it holds a multiply-add (GELU_TANH_C = 0.044715, SQRT_2_OVER_PI, SQRT_HALF, INV_SQRT_2PI
 * as there), calling the functions <tgmath.h> picks there: float ones for float operands
 * (expf, log1pf, sqrtf), double ones where a double constant makes the argument double (erf). */
#define C_LOWER_LEAKY_RELU C_NARY("r = a0 > 0 ? a0 : a0 * a1;", "")
#define C_LOWER_DLEAKY_RELU C_NARY("r = a0 > 0 ? 1 : a1;", "")
#define C_LOWER_ABS C_NARY("r = fabsf(a0);", "fabsf")
#define C_LOWER_SIGN C_NARY("r = a0 > 0 ? 1 : a0 < 0 ? -1 : 0;", "")
#define C_LOWER_MAX C_NARY("r = a0 != a0 || a0 > a1 ? a0 : a1;", "")
#define C_LOWER_MIN C_NARY("r = a0 != a0 || a0 < a1 ? a0 : a1;", "")
#define C_LOWER_DMAX C_NARY("r = a0 > a1 ? 1 : a0 == a1 ? 0.5 : 0;", "")
#define C_LOWER_CLIP C_NARY("r = a0 != a0 ? a0 : a0 < a1 ? a1 : a0 > a2 ? a2 : a0;", "")
#define C_LOWER_RELU6 C_NARY("r = a0 != a0 ? a0 : a0 < 0 ? 0 : a0 > 6 ? 6 : a0;", "")
#define C_LOWER_DCLIP C_NARY("r = a1 < a0 && a0 < a2 ? 1 : 0;", "")
#define C_LOWER_SOFTPLUS C_NARY("r = a0 > 20 ? a0 : log1pf(expf(a0));", "expf, log1pf")
#define C_LOWER_GELU C_NARY("r = 0.5 * a0 * (1 + erf(a0 * 0.70710678118654752440));", "erf")
#define C_LOWER_DGELU C_NARY("double p = 0.5 * (1 + erf(a0 * 0.70710678118654752440)), q;\n" \
    "            q = a0 * exp(-0.5 * a0 * a0) * 0.39894228040143267794;\n            r = p + q;", "erf, exp")
#define C_LOWER_GELU_TANH C_NARY("double c3 = 0.044715 * a0 * a0 * a0;\n" \
    "            double u = 0.79788456080286535588 * (a0 + c3);\n" \
    "            r = 0.5 * a0 * (1 + tanh(u));", "tanh")
#define C_LOWER_DGELU_TANH C_NARY("double v = a0, c3 = 0.044715 * v * v * v, t, t2, k3, p, q;\n" \
    "            t = tanh(0.79788456080286535588 * (v + c3));\n            t2 = t * t;\n" \
    "            k3 = 3 * 0.044715 * v * v;\n            p = 0.5 * (1 + t);\n" \
    "            q = 0.5 * v * (1 - t2) * 0.79788456080286535588 * (1 + k3);\n" \
    "            r = (float)(p + q);", "tanh")
#define C_LOWER_ELU C_NARY("r = a0 > 0 ? a0 : a1 * expm1f(a0);", "expm1f")
#define C_LOWER_DELU C_NARY("r = a0 > 0 ? 1 : a1 * expf(a0);", "expf")
#define C_LOWER_SILU {.emit = emit_nary, .expr = "r = a0 * mlp_fsigmoid(a0);", .uses = C_USES_FSIGMOID}
#define C_LOWER_SQRT C_NARY("r = sqrtf(a0);", "sqrtf")
#define C_LOWER_SQUARE C_NARY("r = a0 * a0;", "")
#define C_LOWER_LOG1P C_NARY("r = log1pf(a0);", "log1pf")
#define C_LOWER_EXPM1 C_NARY("r = expm1f(a0);", "expm1f")
#define C_LOWER_BATCH_NORM_INFER C_NARY("float t = (a0 - a1) / sqrtf(a2 + a5);\n" \
    "            float u = t * a3;\n            r = u + a4;", "sqrtf")
#define C_LOWER_LAYER_NORM {.emit = emit_layer_norm, .uses = C_USES_OTHER, .calls = "sqrt"}
#define C_LOWER_CONCAT C_FORM(emit_copy, C_COPY_TWO, 0)
#define C_LOWER_SLICE C_FORM(emit_copy, C_COPY_FROM_ATTR, 0)
#define C_LOWER_RESHAPE C_EMIT(emit_copy, 0)
#define C_LOWER_FLATTEN C_EMIT(emit_copy, 0)
#define C_LOWER_ARGMAX C_EMIT(emit_argmax, 0)


static const struct c_lowering lowerings[MLP_OP_COUNT] = {
#define C_ROW(id, name, arity) [MLP_OP_##id] = C_LOWER_##id,
    MLP_OPS(C_ROW)
#undef C_ROW
};

const struct c_lowering *mlp_c_lowering(enum mlp_op op) { return &lowerings[op]; }

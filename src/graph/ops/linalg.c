/* linalg.c - matrix products, transpose, outer and dot products (per sample). */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"
#include "graph/lower.h"

#include <stdio.h>

/* ---- matmul: [m,k]@[k,n] -> [m,n], [m,k]@[k] -> [m], [k]@[k,n] -> [n], [k]@[k] -> [] ---- */

/* A vector on the left acts as one row, on the right as one column. */
static void matmul_dims(mlp_shape a, mlp_shape b, int *m, int *k, int *n)
{
    *m = a.rank == 2 ? a.dim[0] : 1;
    *k = a.rank == 2 ? a.dim[1] : a.dim[0];
    *n = b.rank == 2 ? b.dim[1] : 1;
}

static bool matmul_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, nd, 0), b = mlp_in_shape(g, nd, 1);
    bool ranks_ok = a.rank >= 1 && a.rank <= 2 && b.rank >= 1 && b.rank <= 2;
    int ka = ranks_ok ? (a.rank == 2 ? a.dim[1] : a.dim[0]) : 0;
    if (!ranks_ok || ka != b.dim[0]) {
        struct mlp_shape_texts t;
        mlp_shape_texts(g, nd, &t);
        mlp_graph_fail(g, "shape mismatch in %s: %s @ %s%s", t.ctx, t.a, t.b,
                       ranks_ok ? " (inner dimensions differ)"
                                : " (@ needs vectors or matrices; use * to scale)");
        return false;
    }
    if (a.rank == 2 && b.rank == 2)
        *out = mlp_shape_2d(a.dim[0], b.dim[1]);
    else if (a.rank == 2)
        *out = mlp_shape_1d(a.dim[0]);
    else if (b.rank == 2)
        *out = mlp_shape_1d(b.dim[1]);
    else
        *out = mlp_shape_scalar();
    return true;
}

/* The GEMM view of a matmul's operands as stored: op(A) is m x k and op(B) is k x n; an operand
 * the plan reads through a transpose view (k->trans) is stored as its transpose, which changes
 * its row stride and sets the GEMM's transpose flag. */
struct mm_layout {
    int m, k, n, lda, ldb;
    bool ta, tb;
};

static struct mm_layout mm_layout(const struct mlp_kargs *k)
{
    struct mm_layout l;
    matmul_dims(k->inode[0]->shape, k->inode[1]->shape, &l.m, &l.k, &l.n);
    l.ta = k->trans[0];
    l.tb = k->trans[1];
    l.lda = l.ta ? l.m : l.k;
    l.ldb = l.tb ? l.k : l.n;
    return l;
}

/* Operand i of sample r, as bytes. */
static const char *sample(const struct mlp_kargs *k, int i, int r)
{
    size_t es = mlp_dtype_size(k->dtype);
    return (const char *)k->in[i] + (size_t)r * (size_t)k->in_stride[i] * es;
}

static void matmul_forward(const struct mlp_kargs *k)
{
    struct mm_layout l = mm_layout(k);
    size_t es = mlp_dtype_size(k->dtype);
    bool a_batched = k->in_stride[0] != 0, b_batched = k->in_stride[1] != 0;
    bool a_vector = k->inode[0]->shape.rank == 1, b_vector = k->inode[1]->shape.rank == 1;
    if (!a_batched && b_batched && b_vector) {
        /* W @ x over a batch: the vectors are the rows of X, so Y = X op(W)^T in one GEMM. */
        mlp_gemm_any(k, 0, !l.ta, k->rows, l.m, l.k, k->in[1], l.k, k->in[0], l.lda, 0, k->out,
                     l.m);
    } else if (a_batched && a_vector && !b_batched) {
        /* x @ W over a batch: Y = X op(W). */
        mlp_gemm_any(k, 0, l.tb, k->rows, l.n, l.k, k->in[0], l.k, k->in[1], l.ldb, 0, k->out,
                     l.n);
    } else {
        for (int r = 0; r < k->rows; r++)
            mlp_gemm_any(k, l.ta, l.tb, l.m, l.n, l.k, sample(k, 0, r), l.lda, sample(k, 1, r),
                         l.ldb, 0, (char *)k->out + (size_t)r * (size_t)l.m * (size_t)l.n * es,
                         l.n);
    }
}

/* batch_sum(a @ b): the per-sample products accumulated into one result. */
void mlp_batch_matmul_forward(const struct mlp_kargs *k)
{
    struct mm_layout l = mm_layout(k);
    for (int r = 0; r < k->batch; r++)
        mlp_gemm_any(k, l.ta, l.tb, l.m, l.n, l.k, sample(k, 0, r), l.lda, sample(k, 1, r), l.ldb,
                     r ? 1 : 0, k->out, l.n);
}

static void matmul_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id a = mlp_operand(g, y, 0), b = mlp_operand(g, y, 1);
    int ra = mlp_node(g, a)->shape.rank, rb = mlp_node(g, b)->shape.rank;
    gx[0] = gx[1] = MLP_NONE;
    if (ra == 2 && rb == 2) { /* Y = A B:  dA = dY B^T,  dB = A^T dY */
        if (need[0])
            gx[0] = mlp_matmul(g, gy, mlp_transpose(g, b));
        if (need[1])
            gx[1] = mlp_matmul(g, mlp_transpose(g, a), gy);
    } else if (ra == 2) { /* y = A x:  dA = dy x^T,  dx = A^T dy */
        if (need[0])
            gx[0] = mlp_outer(g, gy, b);
        if (need[1])
            gx[1] = mlp_matmul(g, mlp_transpose(g, a), gy);
    } else if (rb == 2) { /* y = x B (x a row):  dx = B dy,  dB = x dy^T */
        if (need[0])
            gx[0] = mlp_matmul(g, b, gy);
        if (need[1])
            gx[1] = mlp_outer(g, a, gy);
    } else { /* y = a . b */
        if (need[0])
            gx[0] = mlp_mul(g, gy, b);
        if (need[1])
            gx[1] = mlp_mul(g, gy, a);
    }
}

const struct mlp_op_info mlp_op_info_MATMUL = {
    .cls = MLP_CLASS_BILINEAR, .shape = matmul_shape, .forward = matmul_forward,
    .vjp = matmul_vjp, .syntax = MLP_SYNTAX_INFIX, .symbol = "@", .prec = MLP_PREC_MUL,
    .math = "", .latex = "",
    .sign_fn = mlp_sign_products, .vsem = MLP_V_MATMUL, .math_form = MLP_MATH_MATMUL,
    .onnx = MLP_ONNX_OP(MATMUL, NULL)};

/* ---- transpose: [m,n] -> [n,m] ---- */

static bool transpose_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, nd, 0);
    if (a.rank != 2)
        return mlp_shape_require(g, nd, "a matrix");
    *out = mlp_shape_2d(a.dim[1], a.dim[0]);
    return true;
}

static void transpose_forward(const struct mlp_kargs *k)
{
    int m = k->inode[0]->shape.dim[0], n = k->inode[0]->shape.dim[1];
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *x = (const T *)k->in[0] + r * k->in_stride[0];
        T *y = (T *)k->out + (int64_t)r * m * n;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                y[(int64_t)j * m + i] = x[(int64_t)i * n + j];
    });
}

static void transpose_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)y, (void)need;
    gx[0] = mlp_transpose(g, gy);
}

const struct mlp_op_info mlp_op_info_TRANSPOSE = {
    .cls = MLP_CLASS_LINEAR, .shape = transpose_shape, .forward = transpose_forward,
    .vjp = transpose_vjp, .syntax = MLP_SYNTAX_T, .prec = MLP_PREC_POSTFIX, .math = "ᵀ",
    .latex = "^\\top",
    .sign = MLP_SIGNS_SAME, .sign_back = true, .vsem = MLP_V_MOVE, .math_form = MLP_MATH_TRANSPOSE,
    .onnx = MLP_ONNX_OP(TRANSPOSE, NULL)};

/* ---- outer: [m] x [n] -> [m,n] ---- */

static bool outer_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, nd, 0), b = mlp_in_shape(g, nd, 1);
    if (a.rank != 1 || b.rank != 1) {
        struct mlp_shape_texts t;
        mlp_shape_texts(g, nd, &t);
        mlp_graph_fail(g, "outer needs two vectors, got %s and %s in %s", t.a, t.b, t.ctx);
        return false;
    }
    *out = mlp_shape_2d(a.dim[0], b.dim[0]);
    return true;
}

static void outer_forward(const struct mlp_kargs *k)
{
    int m = k->node->shape.dim[0], n = k->node->shape.dim[1];
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *a = (const T *)k->in[0] + r * k->in_stride[0];
        const T *b = (const T *)k->in[1] + r * k->in_stride[1];
        T *y = (T *)k->out + (int64_t)r * m * n;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                y[(int64_t)i * n + j] = a[i] * b[j];
    });
}

static void outer_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id a = mlp_operand(g, y, 0), b = mlp_operand(g, y, 1);
    gx[0] = need[0] ? mlp_matmul(g, gy, b) : MLP_NONE; /* dA = dY b */
    gx[1] = need[1] ? mlp_matmul(g, a, gy) : MLP_NONE; /* db = a^T dY */
}

/* batch_sum(outer(a, b)) = sum over samples of a b^T = A^T B, with the samples of a and b as the
 * rows of A and B: one GEMM whose inner dimension is the batch. An operand that does not vary
 * per sample has stride 0, which the GEMM reads as the same row repeated. */
void mlp_batch_outer_forward(const struct mlp_kargs *k)
{
    int m = k->inode[0]->shape.dim[0], n = k->inode[1]->shape.dim[0];
    mlp_gemm_any(k, 1, 0, m, n, k->batch, k->in[0], (int)k->in_stride[0], k->in[1],
                 (int)k->in_stride[1], 0, k->out, n);
}

const struct mlp_op_info mlp_op_info_OUTER = {
    .cls = MLP_CLASS_BILINEAR, .shape = outer_shape, .forward = outer_forward,
    .vjp = outer_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "outer",
    .latex = "\\operatorname{outer}",
    .sign_fn = mlp_sign_times, .vsem = MLP_V_OUTER, .math_form = MLP_MATH_OUTER};

/* ---- dot: sum of the elementwise product of two equal-shaped values ---- */

static bool dot_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, nd, 0), b = mlp_in_shape(g, nd, 1);
    if (!mlp_shape_equal(a, b)) {
        struct mlp_shape_texts t;
        mlp_shape_texts(g, nd, &t);
        mlp_graph_fail(g, "shape mismatch in %s: dot of %s and %s (dot needs equal shapes)", t.ctx,
                       t.a, t.b);
        return false;
    }
    *out = mlp_shape_scalar();
    return true;
}

static void dot_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->inode[0]->shape);
    MLP_DISPATCH(k->dtype, MLP_ROWWISE_SUM(T, k, n, k->in[0], k->in_stride[0], k->in[1],
                                           k->in_stride[1], (double)a[j][i] * (double)b[j][i],
                                           s););
}

static void dot_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_id a = mlp_operand(g, y, 0), b = mlp_operand(g, y, 1);
    gx[0] = need[0] ? mlp_mul(g, gy, b) : MLP_NONE;
    gx[1] = need[1] ? mlp_mul(g, gy, a) : MLP_NONE;
}

const struct mlp_op_info mlp_op_info_DOT = {
    .cls = MLP_CLASS_BILINEAR, .shape = dot_shape, .forward = dot_forward, .vjp = dot_vjp,
    .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "dot", .latex = "\\operatorname{dot}",
    .sign_fn = mlp_sign_products, .vsem = MLP_V_DOT, .math_form = MLP_MATH_DOT,
    .onnx = MLP_ONNX_OP(DOT, NULL)};

/* ---- the C lowerings (graph/ops_c.h) ---- */

/* y = A x with A stored transposed ([k, m]): the same sums, in the same order, accumulated in y;
 * the inner loop runs over contiguous outputs, so compilers vectorise it without reordering any
 * sum. Four rows at a time, each output's four products added one after the other to a local
 * (still in the order of p), so y is loaded and stored once per four rows, not once per row. */
static void emit_matvec_t(struct mlp_c_emit *cg, int m, int k)
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
static void emit_matmul(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
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

static void emit_transpose(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    mlp_shape s = mlp_node(cg->g, low->operand[0])->shape;
    P("        long i, j;\n        for (i = 0; i < %d; i++)\n", s.dim[0]);
    P("            for (j = 0; j < %d; j++)\n                y[j * %d + i] = a[i * %d + j];\n",
      s.dim[1], s.dim[0], s.dim[1]);
    (void)id;
}

static void emit_outer(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    mlp_shape s = mlp_node(cg->g, id)->shape;
    P("        long i, j;\n        for (i = 0; i < %d; i++)\n", s.dim[0]);
    P("            for (j = 0; j < %d; j++)\n                y[i * %d + j] = a[i] * b[j];\n",
      s.dim[1], s.dim[1]);
    (void)low;
}

/* dot, sum, mean, sumsq: accumulated in double, as their kernels do. */
static void emit_dot(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        double s = 0;\n        for (i = 0; i < %lld; i++) {\n",
      (long long)mlp_c_size(cg, low->in[0]));
    P("            double t = (double)a[i] * (double)b[i];\n            s += t;\n        }\n"
      "        y[0] = (float)s;\n");
    (void)id;
}

MLP_C_OP(MATMUL, MLP_C_MATRIX_T(emit_matmul), MLP_Q8_AS(MLP_Q8_PRODUCT))
MLP_C_OP(TRANSPOSE, MLP_C_EMIT(emit_transpose, 0), MLP_Q8_NO)
MLP_C_OP(OUTER, MLP_C_EMIT(emit_outer, 0), MLP_Q8_NO)
MLP_C_OP(DOT, MLP_C_EMIT(emit_dot, 0), MLP_Q8_NO)

/* common.c - shape rules shared by several ops, and typed GEMM dispatch. */
#include "graph/ops/common.h"
#include "tensor/gemm.h"

#include <stdio.h>

bool mlp_shape_same(mlp_graph *g, const struct mlp_node *n, mlp_shape *out)
{
    *out = mlp_in_shape(g, n, 0);
    return true;
}

void mlp_shape_texts(mlp_graph *g, const struct mlp_node *n, struct mlp_shape_texts *t)
{
    mlp_graph_context(g, n->op, t->ctx, sizeof t->ctx);
    mlp_shape_format(mlp_in_shape(g, n, 0), t->a);
    t->b[0] = 0;
    if (mlp_op_arity(n->op) > 1)
        mlp_shape_format(mlp_in_shape(g, n, 1), t->b);
}

bool mlp_shape_elementwise(mlp_graph *g, const struct mlp_node *n, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, n, 0), b = mlp_in_shape(g, n, 1);
    if (mlp_shape_equal(a, b) || b.rank == 0) {
        *out = a;
        return true;
    }
    if (a.rank == 0) {
        *out = b;
        return true;
    }
    struct mlp_shape_texts t;
    mlp_shape_texts(g, n, &t);
    const char *sym = mlp_op(n->op)->symbol;
    mlp_graph_fail(g, "shape mismatch in %s: %s %s %s (elementwise operands need equal shapes, or "
                      "one scalar)", t.ctx, t.a, sym ? sym : ",", t.b);
    return false;
}

bool mlp_shape_to_scalar(mlp_graph *g, const struct mlp_node *n, mlp_shape *out)
{
    (void)g;
    (void)n;
    *out = mlp_shape_scalar();
    return true;
}

bool mlp_shape_scalar_args(mlp_graph *g, const struct mlp_node *n, mlp_shape *out)
{
    for (int i = 1; i < mlp_op_arity(n->op); i++)
        if (mlp_in_shape(g, n, i).rank != 0) {
            char ctx[100], s[64];
            mlp_graph_context(g, n->op, ctx, sizeof ctx);
            mlp_shape_format(mlp_in_shape(g, n, i), s);
            mlp_graph_fail(g, "%s needs a scalar as argument %d, got %s in %s", mlp_op_name(n->op),
                           i + 1, s, ctx);
            return false;
        }
    *out = mlp_in_shape(g, n, 0);
    return true;
}

bool mlp_shape_elementwise_n(mlp_graph *g, const struct mlp_node *n, mlp_shape *out)
{
    *out = mlp_shape_scalar();
    for (int i = 0; i < mlp_op_arity(n->op); i++) {
        mlp_shape s = mlp_in_shape(g, n, i);
        if (s.rank == 0)
            continue;
        if (out->rank != 0 && !mlp_shape_equal(*out, s)) {
            char ctx[100], a[64], b[64];
            mlp_graph_context(g, n->op, ctx, sizeof ctx);
            mlp_shape_format(*out, a);
            mlp_shape_format(s, b);
            mlp_graph_fail(g, "shape mismatch in %s: argument %d is %s, an earlier one %s (%s's "
                              "arguments need equal shapes, or scalars)", ctx, i + 1, b, a,
                           mlp_op_name(n->op));
            return false;
        }
        *out = s;
    }
    return true;
}

bool mlp_shape_require(mlp_graph *g, const struct mlp_node *n, const char *need)
{
    char ctx[100], s[64];
    mlp_graph_context(g, n->op, ctx, sizeof ctx);
    mlp_shape_format(mlp_in_shape(g, n, 0), s);
    mlp_graph_fail(g, "%s needs %s, got %s in %s", mlp_op_name(n->op), need, s, ctx);
    return false;
}

void mlp_gemm_any_then(const struct mlp_kargs *k, int ta, int tb, int M, int N, int K,
                       const void *A, int lda, const void *B, int ldb, double beta, void *C,
                       int ldc, const struct mlp_gemm_then *then)
{
    if (k->dtype == MLP_F64)
        mlp_gemm_then_f64(k->gemm, ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc, then);
    else
        mlp_gemm_then_f32(k->gemm, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, (float)beta, C, ldc,
                          then);
}

void mlp_gemm_any(const struct mlp_kargs *k, int ta, int tb, int M, int N, int K, const void *A,
                  int lda, const void *B, int ldb, double beta, void *C, int ldc)
{
    mlp_gemm_any_then(k, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, NULL);
}

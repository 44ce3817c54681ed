/* lower.h - how a plan computes a node: which kernel, reading which buffers.
 *
 * Usually a node is its op's forward kernel on its operands. Two rewrites save time and memory
 * without changing the graph (so `derive`, `zeros` and the printer see the math as written):
 *  - views: a transpose feeding a matmul is not computed; the matmul reads the transpose's
 *    source with the GEMM's transpose flag (x̄ = Wᵀ z̄ reads W in place);
 *  - fusion: batch_sum(outer(a, b)) over a batch is one GEMM, Aᵀ B with the samples as the inner
 *    dimension (the weight gradient of W @ x), and batch_sum(matmul(a, b)) accumulates the
 *    per-sample products into one result; neither materialises the per-sample [batch, m, n]
 *    intermediate. The inner node is computed only if something else needs it.
 */
#ifndef MLP_GRAPH_LOWER_H
#define MLP_GRAPH_LOWER_H

#include "graph/graph.h"

struct mlp_lowered {
    mlp_forward_fn forward;
    int arity;
    mlp_id in[MLP_MAX_ARITY];      /* the nodes whose buffers the kernel reads */
    mlp_id operand[MLP_MAX_ARITY]; /* the nodes they stand for (kargs.inode): differs for views */
    bool trans[MLP_MAX_ARITY];     /* in[i] is read transposed (kargs.trans) */
};

/* How node id (not a leaf) is computed. */
void mlp_lower(const mlp_graph *g, mlp_id id, struct mlp_lowered *out);

/* The fused kernels (ops/linalg.c). Their kargs describe the inner node's operands; node is the
 * batch_sum node, and the sum runs over kargs.batch samples. */
void mlp_batch_outer_forward(const struct mlp_kargs *k);
void mlp_batch_matmul_forward(const struct mlp_kargs *k);

#endif

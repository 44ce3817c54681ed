/* lower.h - how a plan computes a node: which kernel, reading which buffers.
 *
 * Usually a node is its op's forward kernel on its operands. Rewrites save time and memory
 * without changing the graph (so `derive`, `zeros` and the printer see the math as written):
 *  - views: a transpose feeding a matmul is not computed; the matmul reads the transpose's
 *    source with the GEMM's transpose flag (x̄ = Wᵀ z̄ reads W in place);
 *  - fusion: batch_sum(outer(a, b)) over a batch is one GEMM, Aᵀ B with the samples as the inner
 *    dimension (the weight gradient of W @ x), and batch_sum(matmul(a, b)) accumulates the
 *    per-sample products into one result; neither materialises the per-sample [batch, m, n]
 *    intermediate. The inner node is computed only if something else needs it.
 *  - dense layers: W @ x + b (either side of the +) is one GEMM and one pass adding b in the
 *    output (a second addend too: x + W @ h + b), and act(W @ x + b) for act = relu, sigmoid,
 *    tanh adds the activation to that same pass (exec/fused.c), when nothing else reads the sum;
 *  - dense backward: batch_sum(a) beside batch_sum(outer(a, x)) (a bias gradient beside its
 *    weight gradient) is computed by the same kernel when nothing reads it, and a plain
 *    gradient-descent step on the parameters (exec/plan.h) can be applied by that kernel too;
 *  - activation backward: gy * act'(z), where the graph also computes h = act(z), is one pass
 *    reading gy and h (relu'(z) = [h > 0], σ'(z) = h (1 - h), tanh'(z) = 1 - h²), so act'(z)
 *    costs no exp and no buffer.
 * Every rewrite computes each element with the same operations in the same order as the
 * unfused nodes, so results are bit-identical with and without fusion (tests/unit/test_fused.c).
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
    mlp_id also; /* a second node the kernel computes (kargs.out2), or MLP_NONE: a target that
                    nothing reads, so computing it later than its own place changes nothing */
    bool sgd;    /* the kernel applies kargs.sgd_w (plain gradient descent on its results) */
};

/* What the rules need to know about the whole graph: a fused node must have no other reader
 * (else it would be computed twice), and must not be kept after the run. */
struct mlp_lower_ctx {
    int *uses;          /* per node: operand slots naming it, over the whole graph */
    const bool *pinned; /* per node: a target (its buffer outlives the run), or NULL */
    bool fuse;          /* false: views and the batch fusions only (the unfused reference) */
};

/* Count uses; `pinned` is borrowed. */
void mlp_lower_ctx_init(struct mlp_lower_ctx *c, const mlp_graph *g, const bool *pinned,
                        bool fuse);
void mlp_lower_ctx_free(struct mlp_lower_ctx *c);

/* How node id (not a leaf) is computed. */
void mlp_lower(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id id,
               struct mlp_lowered *out);

/* The fused kernels (ops/linalg.c). Their kargs describe the inner node's operands; node is the
 * batch_sum node, and the sum runs over kargs.batch samples. */
void mlp_batch_outer_forward(const struct mlp_kargs *k);
void mlp_batch_matmul_forward(const struct mlp_kargs *k);

/* Dense layers and activation backward (exec/fused.c). Dense: in = {W or its transpose's source,
 * x, c}, node = the add or the activation; y = act(op(W) x + c) per sample, c the other operand
 * of the add (unbatched or batched, of the sum's shape). Backward: in = {gy, h}, node = the mul;
 * A dense kernel whose node is the matmul itself (arity 2) is W @ x alone; one whose node is a
 * mul is (op(W) x [+ b]) * act'(z) with in[2] = h = act(z) and inode[2] the derivative node,
 * trans[2] saying the derivative is the left operand (b, in[3], as a second addend).
 * y = gy * act'(z) computed from h = act(z) (inode[1] is the derivative node, trans[0] says it
 * is the left operand). Dense: trans[2] says c is the left operand of the +; a fourth operand
 * b (in[3], else NULL) is a second addend, y = act((op(W) x + c) + b), trans[3] saying b is the
 * left operand of its +. */
void mlp_dense_forward(const struct mlp_kargs *k);
void mlp_act_backward(const struct mlp_kargs *k);
/* batch_sum(outer(a, b)) as mlp_batch_outer_forward, tiny products inline (same sums); with
 * out2, also batch_sum(a) (the bias gradient beside the weight gradient, summed as batch_sum
 * sums); applies kargs.sgd_w. */
void mlp_batch_outer_fast(const struct mlp_kargs *k);
/* act'(z) alone, from in = {h}: node is the derivative node. */
void mlp_act_derivative(const struct mlp_kargs *k);

#endif

/* lower.c - the view and fusion rules of lower.h. */
#include "graph/lower.h"
#include "base/mem.h"

#include <stdlib.h>

static void plain(const mlp_graph *g, mlp_id id, struct mlp_lowered *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    out->forward = mlp_op(n->op)->forward;
    out->arity = mlp_op_arity(n->op);
    for (int i = 0; i < MLP_MAX_ARITY; i++) {
        out->in[i] = out->operand[i] = i < out->arity ? n->in[i] : MLP_NONE;
        out->trans[i] = false;
    }
    out->also = MLP_NONE;
    out->sgd = false;
}

/* A matmul reads a transposed operand through its source. */
static void matmul_views(const mlp_graph *g, struct mlp_lowered *out)
{
    for (int i = 0; i < 2; i++) {
        const struct mlp_node *x = mlp_node(g, out->in[i]);
        if (x->op == MLP_OP_TRANSPOSE) {
            out->in[i] = x->in[0];
            out->trans[i] = true;
        }
    }
}

/* The activation whose derivative op is d (MLP_OP_COUNT if d is none). */
static enum mlp_op act_of_derivative(enum mlp_op d)
{
    return d == MLP_OP_DSIGMOID ? MLP_OP_SIGMOID
         : d == MLP_OP_DRELU    ? MLP_OP_RELU
         : d == MLP_OP_DTANH    ? MLP_OP_TANH : MLP_OP_COUNT;
}

/* The node act(z) for derivative node d = act'(z), if the graph has it before node `reader`
 * (hash-consing makes it unique; it comes after z; a kernel reads only earlier nodes, which the
 * plan computes first), else MLP_NONE. */
static mlp_id activation_of(const mlp_graph *g, const struct mlp_node *d, mlp_id reader)
{
    enum mlp_op act = act_of_derivative(d->op);
    if (act == MLP_OP_COUNT)
        return MLP_NONE;
    for (mlp_id id = d->in[0] + 1; id < reader; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        if (n->op == act && n->in[0] == d->in[0])
            return id;
    }
    return MLP_NONE;
}

void mlp_lower_ctx_init(struct mlp_lower_ctx *c, const mlp_graph *g, const bool *pinned, bool fuse)
{
    c->uses = mlp_xcalloc((size_t)g->n + 1, sizeof *c->uses);
    c->pinned = pinned;
    c->fuse = fuse;
    for (mlp_id id = 0; id < g->n; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        /* act'(z) is computed from act(z) when the graph has it, so it does not read z. */
        if (fuse && activation_of(g, n, id) != MLP_NONE)
            continue;
        for (int i = 0; i < mlp_op_arity(n->op); i++)
            c->uses[n->in[i]]++;
    }
}

void mlp_lower_ctx_free(struct mlp_lower_ctx *c)
{
    free(c->uses);
    c->uses = NULL;
}

/* Node id may be computed inside its one reader: nothing else reads it or keeps it. */
static bool private(const struct mlp_lower_ctx *c, mlp_id id)
{
    return c->uses[id] == 1 && !(c->pinned && c->pinned[id]);
}

/* W @ x with W a matrix that does not vary per sample and x a per-sample vector: one GEMM
 * over the batch (matmul_forward's first case). */
static bool batched_matvec(const mlp_graph *g, mlp_id id)
{
    const struct mlp_node *n = mlp_node(g, id), *a, *b;
    if (n->op != MLP_OP_MATMUL)
        return false;
    a = mlp_node(g, n->in[0]);
    b = mlp_node(g, n->in[1]);
    return !a->batched && a->shape.rank == 2 && b->batched && b->shape.rank == 1;
}

/* add(W @ x, c) or add(c, W @ x), c of the sum's shape, the product read by nothing else:
 * lowered as a dense kernel for node `node` (the add, or an activation of it). */
static bool dense_one(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id add,
                      struct mlp_lowered *out)
{
    const struct mlp_node *a = mlp_node(g, add);
    if (a->op != MLP_OP_ADD)
        return false;
    for (int j = 0; j < 2; j++) {
        mlp_id mm = a->in[j], other = a->in[1 - j];
        if (!batched_matvec(g, mm) || !private(c, mm) ||
            !mlp_shape_equal(mlp_node(g, other)->shape, a->shape))
            continue;
        plain(g, mm, out);
        matmul_views(g, out);
        out->forward = mlp_dense_forward;
        out->arity = 3;
        out->in[2] = out->operand[2] = other;
        out->trans[2] = j == 1; /* c is the left operand of + */
        return true;
    }
    return false;
}

/* A dense sum, or a second addend on one read by nothing else: add(add(c, W @ x), b) in any
 * order of the operands (`x + W @ h + b` parses so), one pass adding both. */
static bool dense(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id add,
                  struct mlp_lowered *out)
{
    if (dense_one(g, c, add, out))
        return true;
    const struct mlp_node *a = mlp_node(g, add);
    if (a->op != MLP_OP_ADD)
        return false;
    for (int j = 0; j < 2; j++) {
        mlp_id inner = a->in[j], other = a->in[1 - j];
        if (!private(c, inner) || !mlp_shape_equal(mlp_node(g, other)->shape, a->shape) ||
            !mlp_shape_equal(mlp_node(g, inner)->shape, a->shape) || !dense_one(g, c, inner, out))
            continue;
        out->arity = 4;
        out->in[3] = out->operand[3] = other;
        out->trans[3] = j == 1; /* b is the left operand of the outer + */
        return true;
    }
    return false;
}

/* gy * act'(z) (either order) with act(z) in the graph: one pass over gy and act(z); when gy
 * is a product W @ x read by nothing else (W2ᵀ z̄2, the adjoint flowing into a hidden layer),
 * or such a product plus an addend (W2ᵀ z̄2 + r, where the loss also reads the layer), the
 * dense kernel computes it and multiplies by act'(z) in the same pass. */
static bool act_backward(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id id,
                         struct mlp_lowered *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    if (n->op != MLP_OP_MUL)
        return false;
    for (int j = 0; j < 2; j++) {
        const struct mlp_node *d = mlp_node(g, n->in[j]), *gy = mlp_node(g, n->in[1 - j]);
        mlp_id h = activation_of(g, d, id);
        if (h == MLP_NONE || !mlp_shape_equal(d->shape, n->shape) ||
            !mlp_shape_equal(gy->shape, n->shape))
            continue;
        mlp_id up = n->in[1 - j];
        if (private(c, up) && (batched_matvec(g, up) || dense_one(g, c, up, out))) {
            if (batched_matvec(g, up)) {
                plain(g, up, out);
                matmul_views(g, out);
            } else { /* (W @ x + c) * act'(z): the addend goes where a second addend goes */
                out->in[3] = out->in[2];
                out->operand[3] = out->operand[2];
                out->trans[3] = out->trans[2];
            }
            out->forward = mlp_dense_forward;
            out->arity = batched_matvec(g, up) ? 3 : 4;
            out->in[2] = h;
            out->operand[2] = n->in[j];
            out->trans[2] = j == 0;
            return true;
        }
        plain(g, id, out);
        out->forward = mlp_act_backward;
        out->in[0] = out->operand[0] = n->in[1 - j];
        out->in[1] = h;
        out->operand[1] = n->in[j];
        out->trans[0] = j == 0; /* the derivative is the left operand of * */
        return true;
    }
    return false;
}

/* act'(z) alone, from act(z): the backward kernel with no gy. */
static bool act_derivative(const mlp_graph *g, mlp_id id, struct mlp_lowered *out)
{
    mlp_id h = activation_of(g, mlp_node(g, id), id);
    if (h == MLP_NONE)
        return false;
    plain(g, id, out);
    out->forward = mlp_act_derivative;
    out->in[0] = h;
    return true;
}

/* batch_sum(a) for a batched a, when it is a target nothing reads (a bias gradient), else
 * MLP_NONE: the kernel of batch_sum(outer(a, x)) (node `weight`) computes it too. */
static mlp_id bias_sum(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id a, mlp_id weight)
{
    if (!mlp_node(g, a)->batched)
        return MLP_NONE;
    for (mlp_id id = a + 1; id < g->n; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        if (id != weight && n->op == MLP_OP_BATCH_SUM && n->in[0] == a)
            return c->uses[id] == 0 && c->pinned && c->pinned[id] ? id : MLP_NONE;
    }
    return MLP_NONE;
}

static bool fused(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id id,
                  struct mlp_lowered *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    switch (n->op) {
    case MLP_OP_ADD:
        return dense(g, c, id, out);
    case MLP_OP_RELU:
    case MLP_OP_SIGMOID:
    case MLP_OP_TANH:
        return private(c, n->in[0]) && dense(g, c, n->in[0], out);
    case MLP_OP_MUL:
        return act_backward(g, c, id, out);
    case MLP_OP_DSIGMOID:
    case MLP_OP_DRELU:
    case MLP_OP_DTANH:
        return act_derivative(g, id, out);
    case MLP_OP_MATMUL: /* W @ x alone: the dense kernel without bias (tiny ones inline) */
        if (!batched_matvec(g, id))
            return false;
        plain(g, id, out);
        matmul_views(g, out);
        out->forward = mlp_dense_forward;
        return true;
    case MLP_OP_BATCH_SUM:
        if (!mlp_node(g, n->in[0])->batched || mlp_node(g, n->in[0])->op != MLP_OP_OUTER)
            return false;
        plain(g, n->in[0], out);
        out->forward = mlp_batch_outer_fast;
        out->also = bias_sum(g, c, out->in[0], id);
        out->sgd = true;
        return true;
    default:
        return false;
    }
}

void mlp_lower(const mlp_graph *g, const struct mlp_lower_ctx *c, mlp_id id,
               struct mlp_lowered *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    if (c->fuse && fused(g, c, id, out))
        return;
    if (n->op == MLP_OP_MATMUL) {
        plain(g, id, out);
        matmul_views(g, out);
        return;
    }
    const struct mlp_node *x = n->op == MLP_OP_BATCH_SUM ? mlp_node(g, n->in[0]) : NULL;
    if (x && x->batched && x->op == MLP_OP_OUTER) {
        plain(g, n->in[0], out);
        out->forward = mlp_batch_outer_forward;
        return;
    }
    if (x && x->batched && x->op == MLP_OP_MATMUL) {
        mlp_lower(g, c, n->in[0], out);
        out->forward = mlp_batch_matmul_forward;
        return;
    }
    plain(g, id, out);
}

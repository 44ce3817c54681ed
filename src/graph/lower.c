/* lower.c - the view and fusion rules of lower.h. */
#include "graph/lower.h"

static void plain(const mlp_graph *g, mlp_id id, struct mlp_lowered *out)
{
    const struct mlp_node *n = mlp_node(g, id);
    out->forward = mlp_op(n->op)->forward;
    out->arity = mlp_op_arity(n->op);
    for (int i = 0; i < MLP_MAX_ARITY; i++) {
        out->in[i] = out->operand[i] = i < out->arity ? n->in[i] : MLP_NONE;
        out->trans[i] = false;
    }
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

void mlp_lower(const mlp_graph *g, mlp_id id, struct mlp_lowered *out)
{
    const struct mlp_node *n = mlp_node(g, id);
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
        mlp_lower(g, n->in[0], out);
        out->forward = mlp_batch_matmul_forward;
        return;
    }
    plain(g, id, out);
}

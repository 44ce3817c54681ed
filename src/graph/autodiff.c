/* autodiff.c - reverse mode as a graph transformation: append the adjoint graph.
 *
 * Walking the primal nodes from the loss back (ids descend, so every user of a node is visited
 * before the node), each node's adjoint is complete when it is reached; its op's VJP rule emits
 * the contributions to its operands as new nodes. The result is an ordinary graph: `grad`
 * evaluates it, `derive` prints it, the zero analysis simplifies it.
 */
#include "graph/graph.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* Bring a contribution to the operand's form: a scalar operand that was broadcast receives the
 * sum of its contribution; an unbatched operand used by a batched node receives the sum over
 * the batch (its value was used once per sample). */
static mlp_id fit_to_operand(mlp_graph *g, mlp_id c, mlp_id operand, mlp_id user)
{
    /* Read fields, not pointers: building nodes may move the node array. */
    bool scalar = mlp_node(g, operand)->shape.rank == 0;
    bool batched = mlp_node(g, operand)->batched;
    if (scalar && mlp_node(g, c)->shape.rank != 0)
        c = mlp_unary(g, MLP_OP_SUM, c);
    if (mlp_node(g, user)->batched && !batched)
        c = mlp_unary(g, MLP_OP_BATCH_SUM, c);
    return c;
}

/* Nodes on some path from a wrt node to the loss: the only ones whose adjoints matter. */
static bool *relevant_nodes(const mlp_graph *g, mlp_id loss, const mlp_id *wrt, int nwrt)
{
    int n = g->n;
    bool *anc = mlp_xmalloc((size_t)n * sizeof *anc);
    bool *desc = mlp_xcalloc((size_t)n, sizeof *desc);
    mlp_graph_ancestors(g, &loss, 1, anc);
    for (int i = 0; i < nwrt; i++)
        desc[wrt[i]] = true;
    for (mlp_id id = 0; id < n; id++)
        for (int i = 0; i < mlp_op_arity(g->nodes[id].op) && !desc[id]; i++)
            desc[id] = desc[g->nodes[id].in[i]];
    for (mlp_id id = 0; id < n; id++)
        desc[id] = desc[id] && anc[id];
    free(anc);
    return desc;
}

int mlp_autodiff(mlp_graph *g, mlp_id loss, const mlp_id *wrt, int nwrt, mlp_id *grads,
                 mlp_id **adjoint)
{
    int nprimal = g->n;
    bool *need = relevant_nodes(g, loss, wrt, nwrt);
    mlp_id *adj = mlp_xmalloc((size_t)nprimal * sizeof *adj);
    for (int i = 0; i < nprimal; i++)
        adj[i] = MLP_NONE;
    mlp_srcloc saved_loc = g->loc;
    const char *saved_ctx = g->ctx;
    g->ctx = NULL;

    if (need[loss])
        adj[loss] = mlp_const_fill(g, mlp_node(g, loss)->shape, 1);
    for (mlp_id y = loss; y >= 0 && g->err.status == MLP_OK; y--) {
        /* Copy the node: building adjoint nodes may move the node array. */
        const struct mlp_node n = *mlp_node(g, y);
        const struct mlp_op_info *info = mlp_op(n.op);
        if (!need[y] || adj[y] == MLP_NONE || info->cls == MLP_CLASS_LEAF ||
            info->grad == MLP_GRAD_ZERO)
            continue;
        g->loc = n.loc; /* adjoint nodes point back at the code they differentiate */
        if (info->grad == MLP_GRAD_NONE || !info->vjp) {
            mlp_graph_fail(g, "%s has no gradient, and the loss depends on it through what is "
                              "differentiated", mlp_op_name(n.op));
            break;
        }
        bool need_in[MLP_MAX_ARITY] = {false};
        mlp_id gx[MLP_MAX_ARITY];
        for (int i = 0; i < MLP_MAX_ARITY; i++)
            gx[i] = MLP_NONE;
        int arity = mlp_op_arity(n.op);
        for (int i = 0; i < arity; i++)
            need_in[i] = need[n.in[i]];
        info->vjp(g, y, adj[y], gx, need_in);
        for (int i = 0; i < arity; i++) {
            mlp_id x = n.in[i];
            if (!need_in[i] || gx[i] == MLP_NONE || mlp_is_const_value(g, gx[i], 0))
                continue;
            mlp_id c = fit_to_operand(g, gx[i], x, y);
            if (c != MLP_NONE && !mlp_shape_equal(mlp_node(g, c)->shape, mlp_node(g, x)->shape)) {
                mlp_graph_fail(g, "internal error: the gradient rule of %s gave a wrongly shaped "
                                  "adjoint", mlp_op_name(n.op));
                break;
            }
            /* New terms go first, so sums list contributions in the users' program order. */
            adj[x] = adj[x] == MLP_NONE ? c : mlp_add(g, c, adj[x]);
        }
    }
    for (int i = 0; i < nwrt; i++)
        grads[i] = adj[wrt[i]] != MLP_NONE ? adj[wrt[i]]
                                           : mlp_const_fill(g, mlp_node(g, wrt[i])->shape, 0);
    g->loc = saved_loc;
    g->ctx = saved_ctx;
    free(need);
    if (adjoint)
        *adjoint = adj;
    else
        free(adj);
    return g->err.status;
}

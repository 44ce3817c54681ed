/* lower.c - piecewise-linear ops rewritten to the few that the exact engine splits on.
 *
 * An op such as abs, max or clip gives its exact semantics in its op table entry (.lower) as
 * relu, step and drelu of affine pre-activations: abs(x) = relu(x) + relu(-x). Rewriting the
 * model that way before lowering the cone (net.c) makes those pre-activations the split points
 * of the region search, so verify decides properties of such ops exactly, over the rationals,
 * with no rule of its own for any of them. Names survive the rewrite, so specs refer to the
 * model's own values. */
#include "analysis/verify/net.h"
#include "graph/rewrite.h"

static mlp_id lower_node(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                         const mlp_id *map)
{
    (void)ctx;
    const struct mlp_node n = *mlp_node(src, id);
    const struct mlp_op_info *info = mlp_op(n.op);
    if (info->vsem != MLP_V_LOWER)
        return MLP_NONE;
    mlp_id in[MLP_MAX_ARITY];
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        in[i] = i < mlp_op_arity(n.op) ? map[n.in[i]] : MLP_NONE;
    dst->loc = n.loc; /* the nodes it becomes point at the op they stand for */
    return info->lower(dst, in);
}

int vnet_lower(const mlp_graph *g, mlp_graph **out, mlp_error *err)
{
    bool any = false;
    for (mlp_id id = 0; id < g->n && !any; id++)
        any = mlp_op(mlp_node(g, id)->op)->vsem == MLP_V_LOWER;
    *out = any ? mlp_graph_rewrite(g, lower_node, NULL, NULL, err) : NULL;
    return any && !*out ? MLP_ERR_INPUT : MLP_OK;
}

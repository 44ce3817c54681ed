/* model_op.c - which op computes a named value (mlp grad --sparsity finds the ReLU units). */
#include "api/internal.h"

#include <string.h>

const char *mlp_model_op(const mlp_model *m, const char *name)
{
    const mlp_graph *g = mlp_model_graph(m);
    int nm = mlp_graph_find(g, name, (int)strlen(name));
    if (nm < 0)
        return NULL;
    enum mlp_op op = mlp_node(g, g->names[nm].node)->op;
    return mlp_op(op)->cls == MLP_CLASS_LEAF ? NULL : mlp_op_name(op);
}

int mlp_model_is_unit(const mlp_model *m, const char *name)
{
    const mlp_graph *g = mlp_model_graph(m);
    int nm = mlp_graph_find(g, name, (int)strlen(name));
    if (nm < 0)
        return 0;
    const struct mlp_op_info *info = mlp_op(mlp_node(g, g->names[nm].node)->op);
    return info->cls != MLP_CLASS_LEAF && !info->sign_fn && info->sign[0] == MLP_SIGN_ZERO;
}

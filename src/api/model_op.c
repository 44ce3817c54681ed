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

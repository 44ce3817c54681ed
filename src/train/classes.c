/* classes.c - class indices computed in a model, checked after a run (see classes.h). */
#include "train/classes.h"
#include "base/error.h"
#include "base/mem.h"

#include <math.h>
#include <stdlib.h>

int mlp_class_nodes(const mlp_graph *g, const mlp_id *roots, int nroots, mlp_id **out)
{
    bool *anc = mlp_xcalloc((size_t)g->n + 1, sizeof *anc);
    mlp_graph_ancestors(g, roots, nroots, anc);
    int n = 0;
    *out = mlp_xmalloc(((size_t)g->n + 1) * sizeof **out);
    for (mlp_id id = 0; id < g->n; id++)
        if (anc[id] && (mlp_node(g, id)->op == MLP_OP_SOFTMAX_XENT ||
                        mlp_node(g, id)->op == MLP_OP_DSOFTMAX_XENT))
            (*out)[n++] = id;
    free(anc);
    return n;
}

/* The class index of row r of node id's class operand (unbatched values: one row). */
static double class_value(const mlp_graph *g, const mlp_plan *p, mlp_id c, int r)
{
    const void *buf = mlp_plan_buffer(p, c);
    size_t at = mlp_node(g, c)->batched ? (size_t)r : 0;
    return mlp_plan_dtype(p) == MLP_F64 ? ((const double *)buf)[at]
                                        : (double)((const float *)buf)[at];
}

int mlp_check_classes(const mlp_graph *g, const mlp_plan *p, const mlp_id *nodes, int n,
                      const int *sample_of, int64_t first, mlp_error *err)
{
    int rows = mlp_plan_batch(p);
    for (int k = 0; k < n; k++) {
        const struct mlp_node *nd = mlp_node(g, nodes[k]);
        mlp_id c = nd->in[1];
        if (!mlp_plan_buffer(p, c))
            continue;
        int64_t classes = mlp_shape_size(mlp_node(g, nd->in[0])->shape);
        for (int r = 0; r < rows; r++) {
            double v = class_value(g, p, c, r);
            if (v >= 0 && v < (double)classes && v == floor(v))
                continue;
            long long sample = sample_of ? (long long)sample_of[r] + 1 : (long long)(first + r + 1);
            char num[32];
            return mlp_fail(err, MLP_ERR_INPUT, g->file, nd->loc, "sample %lld: the class index "
                            "given to %s is %s, but it must be an integer from 0 to "
                            "%lld (the logits have %lld classes)", sample,
                            mlp_op_name(nd->op), mlp_format_double(v, num), (long long)classes - 1,
                            (long long)classes);
        }
    }
    return MLP_OK;
}

/* rewrite.c - rebuild a graph node by node, with a hook that may replace any node. */
#include "graph/rewrite.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* A declared leaf keeps its declaration (and so stays a symbol that folding does not look
 * through); an anonymous constant is interned by value with its literal texts. */
static mlp_id copy_leaf(mlp_graph *dst, const mlp_graph *src, mlp_id id)
{
    const struct mlp_node *n = mlp_node(src, id);
    char *const *texts = src->pool_text && n->data >= 0 ? src->pool_text + n->data : NULL;
    const double *values = n->data >= 0 ? mlp_node_values(src, id) : NULL;
    if (mlp_is_anon_const(src, id)) {
        mlp_id c = mlp_const(dst, n->shape, values);
        for (int64_t e = 0; c != MLP_NONE && texts && e < mlp_shape_size(n->shape); e++)
            if (texts[e])
                mlp_pool_set_text(dst, mlp_node(dst, c)->data + e, texts[e]);
        return c;
    }
    const struct mlp_name *nm = &src->names[n->name];
    mlp_id d = mlp_graph_declare(dst, nm->kind, nm->text, n->shape, values, texts, n->loc);
    if (d != MLP_NONE)
        dst->names[dst->nnames - 1].init = nm->init;
    return d;
}

static mlp_id copy_op(mlp_graph *dst, const mlp_graph *src, mlp_id id, const mlp_id *map)
{
    const struct mlp_node n = *mlp_node(src, id);
    mlp_id in[MLP_MAX_ARITY];
    for (int i = 0; i < MLP_MAX_ARITY; i++)
        in[i] = i < mlp_op_arity(n.op) ? map[n.in[i]] : MLP_NONE;
    dst->loc = n.loc;
    return mlp_build(dst, n.op, in, n.attr, n.shape);
}

/* Leaves were declared (and so named) as they were copied; lay the names out again in src's
 * order, so the printed model keeps its statement order and outputs/loss indices stay valid.
 * declared[id]: dst node id is a declaration copied from src. */
static void copy_names(mlp_graph *dst, const mlp_graph *src, const mlp_id *map,
                       const bool *declared)
{
    mlp_graph_clear_names(dst);
    for (int i = 0; i < src->nnames; i++) {
        const struct mlp_name *s = &src->names[i];
        mlp_id node = map[s->node];
        /* The hook may have replaced a leaf: its name then names a value. */
        mlp_kind kind = s->kind != MLP_DEF && !declared[node] ? MLP_DEF : s->kind;
        int nm = mlp_graph_add_name(dst, s->text, node, kind, s->loc);
        dst->names[nm].init = s->init;
    }
    for (int i = 0; i < src->noutputs; i++) {
        mlp_xreserve(&dst->outputs, &dst->capoutputs, dst->noutputs + 1, sizeof *dst->outputs);
        dst->outputs[dst->noutputs++] = src->outputs[i];
    }
    dst->loss = src->loss;
}

mlp_graph *mlp_graph_rewrite(const mlp_graph *src, mlp_rewrite_fn fn, void *ctx, mlp_id **map_out,
                             mlp_error *err)
{
    mlp_graph *dst = mlp_graph_new(src->file);
    mlp_id *map = mlp_xmalloc((size_t)(src->n ? src->n : 1) * sizeof *map);
    bool *copied = mlp_xcalloc((size_t)(src->n ? src->n : 1), sizeof *copied);
    for (mlp_id id = 0; id < src->n && dst->err.status == MLP_OK; id++) {
        mlp_id r = fn ? fn(ctx, dst, src, id, map) : MLP_NONE;
        bool leaf = mlp_op(src->nodes[id].op)->cls == MLP_CLASS_LEAF;
        if (r == MLP_NONE && dst->err.status == MLP_OK) {
            r = leaf ? copy_leaf(dst, src, id) : copy_op(dst, src, id, map);
            copied[id] = leaf && !mlp_is_anon_const(src, id);
        }
        map[id] = r;
    }
    bool *declared = mlp_xcalloc((size_t)dst->n + 1, sizeof *declared);
    for (mlp_id id = 0; id < src->n && dst->err.status == MLP_OK; id++)
        declared[map[id]] |= copied[id];
    free(copied);
    if (dst->err.status != MLP_OK) {
        free(declared);
        if (err)
            *err = dst->err;
        mlp_graph_free(dst);
        free(map);
        return NULL;
    }
    copy_names(dst, src, map, declared);
    free(declared);
    dst->loc = MLP_NOLOC;
    if (map_out)
        *map_out = map;
    else
        free(map);
    return dst;
}

/* backprop.c - a model's graph with its adjoint graph, as derive, zeros and draw read it. */
#include "analysis/analysis.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* The nodes of the named values, checking each name once. */
static int find_wrt(struct mlp_backprop *bp, const char *const *wrt, int nwrt, mlp_error *err)
{
    const mlp_graph *g = bp->g;
    for (int i = 0; i < nwrt; i++) {
        int nm = mlp_graph_find(g, wrt[i], (int)strlen(wrt[i]));
        if (nm < 0)
            return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "no value named '%s' in the model",
                            wrt[i]);
        for (int j = 0; j < i; j++)
            if (bp->wrt[j] == g->names[nm].node)
                return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                                "'%s' is listed twice (or names the same value as '%s')", wrt[i],
                                wrt[j]);
        bp->wrt[i] = g->names[nm].node;
    }
    return MLP_OK;
}

/* Every input and parameter, in declaration order. */
static void all_leaves(struct mlp_backprop *bp)
{
    const mlp_graph *g = bp->g;
    for (int i = 0; i < g->nnames; i++)
        if (g->names[i].kind == MLP_INPUT || g->names[i].kind == MLP_PARAM)
            bp->wrt[bp->nwrt++] = g->names[i].node;
}

int mlp_backprop_build(struct mlp_backprop *bp, const mlp_graph *model, const char *const *wrt,
                       int nwrt, mlp_error *err)
{
    memset(bp, 0, sizeof *bp);
    if (model->loss < 0)
        return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC,
                        "the model has no loss statement, so there is nothing to differentiate");
    bp->g = mlp_graph_clone(model);
    bp->nprimal = bp->g->n;
    bp->loss = bp->g->names[bp->g->loss].node;
    bp->wrt = mlp_xmalloc((size_t)(wrt ? nwrt : model->nnames) * sizeof *bp->wrt + 1);
    if (wrt) {
        bp->nwrt = nwrt;
        if (find_wrt(bp, wrt, nwrt, err) != MLP_OK)
            return MLP_ERR_INPUT;
    } else {
        all_leaves(bp);
    }
    bp->grad = mlp_xmalloc((size_t)bp->nwrt * sizeof *bp->grad + 1);
    int rc = mlp_autodiff(bp->g, bp->loss, bp->wrt, bp->nwrt, bp->grad, &bp->adj);
    if (rc != MLP_OK && err && !mlp_failed(err))
        *err = bp->g->err;
    if (rc != MLP_OK)
        return rc;
    /* Which named value each adjoint belongs to, indexed once: asking per node by a scan over
     * the primal nodes made derive and zeros quadratic in the model's length. */
    bp->nnamed = bp->g->n;
    bp->named = mlp_xmalloc(((size_t)bp->nnamed + 1) * sizeof *bp->named);
    for (int i = 0; i < bp->nnamed; i++)
        bp->named[i] = MLP_NONE;
    for (mlp_id p = 0; p < bp->nprimal; p++) /* the last one wins, as the scan found it */
        if (bp->adj[p] != MLP_NONE && bp->g->nodes[p].name >= 0)
            bp->named[bp->adj[p]] = p;
    return rc;
}

void mlp_backprop_free(struct mlp_backprop *bp)
{
    mlp_graph_free(bp->g);
    free(bp->adj);
    free(bp->wrt);
    free(bp->grad);
    free(bp->named);
    memset(bp, 0, sizeof *bp);
}

bool mlp_backprop_names(const struct mlp_backprop *bp, mlp_id id, mlp_id *primal)
{
    if (mlp_is_anon_const(bp->g, id)) /* a number is written as the number */
        return false;
    mlp_id p = bp->named && id >= 0 && id < bp->nnamed ? bp->named[id] : MLP_NONE;
    if (p != MLP_NONE && primal)
        *primal = p;
    return p != MLP_NONE;
}

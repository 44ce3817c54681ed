/* fold.c - fold inference-time normalisation into the affine layer before it (mlp convert
 * --fold batch_norm_infer), as importers of trained networks need.
 *
 * y = batch_norm_infer(W @ x + b, mean, var, gamma, beta, eps) is, row by row with
 * s_i = gamma_i / sqrt(var_i + eps),
 *     y_i = s_i (W[i, :] x + b_i - mean_i) + beta_i
 *         = (s_i W[i, :]) x + (s_i (b_i - mean_i) + beta_i)
 * so W* = diag(s) W and b* = s (b - mean) + beta, computed in float64, and the normalisation is
 * gone. It applies when W and b are parameters used nowhere else, W @ x + b is used only by the
 * normalisation and is neither an output nor the loss, and the statistics are parameters or
 * constants; otherwise the node stays as it is. mlp equiv checks the result against the model.
 */
#include "analysis/analysis.h"
#include "base/mem.h"
#include "graph/rewrite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fold {
    int *uses;   /* per source node: operand slots that refer to it */
    bool *fixed; /* per source node: an output or the loss */
    int folded;
    mlp_strbuf report;
};

static bool has_values(const mlp_graph *g, mlp_id id)
{
    return mlp_op(g->nodes[id].op)->cls == MLP_CLASS_LEAF && !mlp_is_input(g, id);
}

/* Used once, not an output: its value may change. */
static bool private(const struct fold *f, const mlp_graph *g, mlp_id id)
{
    (void)g;
    return f->uses[id] == 1 && !f->fixed[id];
}

/* z = W @ x + b (either order of the sum) with W a matrix and b a vector, both parameters used
 * only there: sets *w and *b. */
static bool affine(const struct fold *f, const mlp_graph *g, mlp_id z, mlp_id *w, mlp_id *b)
{
    const struct mlp_node *n = mlp_node(g, z);
    if (mlp_op(n->op)->vsem != MLP_V_ADD || !private(f, g, z))
        return false;
    for (int side = 0; side < 2; side++) {
        const struct mlp_node *p = mlp_node(g, n->in[side]);
        mlp_id bias = n->in[1 - side];
        if (mlp_op(p->op)->vsem != MLP_V_MATMUL || !private(f, g, n->in[side]))
            continue;
        mlp_id W = p->in[0];
        bool ok = has_values(g, W) && !mlp_is_constant(g, W) && private(f, g, W) &&
                  g->nodes[W].shape.rank == 2 && has_values(g, bias) &&
                  !mlp_is_constant(g, bias) && private(f, g, bias) &&
                  g->nodes[bias].shape.rank == 1 &&
                  g->nodes[bias].shape.dim[0] == g->nodes[W].shape.dim[0];
        if (ok) {
            *w = W;
            *b = bias;
            return true;
        }
    }
    return false;
}

/* Element i of a per-row statistic (a scalar applies to every row). */
static double stat(const mlp_graph *g, mlp_id id, int64_t i)
{
    return mlp_node_values(g, id)[mlp_shape_size(g->nodes[id].shape) == 1 ? 0 : i];
}

static mlp_id fold_node(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                        const mlp_id *map)
{
    struct fold *f = ctx;
    const struct mlp_node n = *mlp_node(src, id);
    if (n.op != MLP_OP_BATCH_NORM_INFER)
        return MLP_NONE;
    mlp_id W, b;
    bool ok = affine(f, src, n.in[0], &W, &b);
    for (int i = 1; ok && i < mlp_op_arity(n.op); i++)
        ok = has_values(src, n.in[i]);
    if (!ok)
        return MLP_NONE;
    /* W and b were copied into dst already; only this layer uses them, so change them there. */
    int rows = src->nodes[W].shape.dim[0], cols = src->nodes[W].shape.dim[1];
    double *w = mlp_node_values(dst, map[W]), *bias = mlp_node_values(dst, map[b]);
    for (int i = 0; i < rows; i++) {
        double s = stat(src, n.in[3], i) / sqrt(stat(src, n.in[2], i) + stat(src, n.in[5], i));
        for (int j = 0; j < cols; j++)
            w[(int64_t)i * cols + j] *= s;
        bias[i] = s * (bias[i] - stat(src, n.in[1], i)) + stat(src, n.in[4], i);
    }
    mlp_pool_clear_text(dst, dst->nodes[map[W]].data, (int64_t)rows * cols);
    mlp_pool_clear_text(dst, dst->nodes[map[b]].data, rows);
    mlp_sb_printf(&f->report, "# batch_norm_infer folded into %s and %s\n", mlp_node_name(src, W),
                  mlp_node_name(src, b));
    f->folded++;
    return map[n.in[0]];
}

mlp_graph *mlp_fold_graph(const mlp_graph *g, char **report, mlp_error *err)
{
    struct fold f = {.uses = mlp_xcalloc((size_t)g->n + 1, sizeof *f.uses),
                     .fixed = mlp_xcalloc((size_t)g->n + 1, sizeof *f.fixed)};
    for (mlp_id id = 0; id < g->n; id++)
        for (int i = 0; i < mlp_op_arity(g->nodes[id].op); i++)
            f.uses[g->nodes[id].in[i]]++;
    for (int i = 0; i < g->noutputs; i++)
        f.fixed[g->names[g->outputs[i]].node] = true;
    if (g->loss >= 0)
        f.fixed[g->names[g->loss].node] = true;
    mlp_graph *out = mlp_graph_rewrite(g, fold_node, &f, NULL, err);
    if (out && !f.folded) {
        mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC,
                 "no batch_norm_infer to fold (it folds when its input is W @ x + b with "
                 "parameters W and b used only there)");
        mlp_graph_free(out);
        out = NULL;
    }
    if (out && report)
        *report = mlp_sb_take(&f.report);
    mlp_sb_free(&f.report);
    free(f.uses);
    free(f.fixed);
    return out;
}

/* session.c - compiled evaluation and gradients behind the public session API. */
#include "api/internal.h"
#include "base/mem.h"
#include "tensor/gemm.h"
#include "train/classes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int find_name(const mlp_session *s, const char *name, mlp_error *err)
{
    int nm = mlp_graph_find(s->g, name, (int)strlen(name));
    if (nm < 0)
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "no value named '%s' in the model", name);
    return nm;
}

/* Differentiate the loss with respect to the named values; fills s->grad. */
static int add_gradients(mlp_session *s, const char *const *wrt, int nwrt, mlp_error *err)
{
    mlp_graph *g = s->g;
    if (g->loss < 0)
        return mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC,
                        "the model has no loss statement, so there is nothing to differentiate");
    s->nwrt = nwrt;
    s->wrt_name = mlp_xmalloc((size_t)nwrt * sizeof *s->wrt_name);
    s->grad = mlp_xmalloc((size_t)nwrt * sizeof *s->grad);
    mlp_id *nodes = mlp_xmalloc((size_t)nwrt * sizeof *nodes);
    for (int i = 0; i < nwrt; i++) {
        int nm = find_name(s, wrt[i], err);
        if (nm < 0) {
            free(nodes);
            return MLP_ERR_INPUT;
        }
        for (int j = 0; j < i; j++)
            if (s->wrt_name[j] == nm) {
                free(nodes);
                return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "'%s' is listed twice", wrt[i]);
            }
        s->wrt_name[i] = nm;
        nodes[i] = g->names[nm].node;
    }
    int rc = mlp_autodiff(g, g->names[g->loss].node, nodes, nwrt, s->grad, NULL);
    free(nodes);
    if (rc != MLP_OK && err && !mlp_failed(err))
        *err = g->err;
    return rc;
}

/* mlp_session_sgd_step's updates: every parameter among the wrt names, by its gradient. */
static void set_updates(mlp_session *s)
{
    mlp_id *w = mlp_xmalloc((size_t)(s->nwrt + 1) * sizeof *w);
    for (int i = 0; i < s->nwrt; i++)
        w[i] = s->g->names[s->wrt_name[i]].node;
    mlp_plan_set_sgd(s->plan, w, s->grad, s->nwrt);
    free(w);
}

mlp_session *mlp_session_new(const mlp_model *m, const char *const *wrt, int nwrt, mlp_dtype dtype,
                             int max_batch, mlp_error *err)
{
    mlp_session *s = mlp_xcalloc(1, sizeof *s);
    s->g = mlp_graph_clone(m->g);
    if (nwrt > 0 && add_gradients(s, wrt, nwrt, err) != MLP_OK) {
        mlp_session_free(s);
        return NULL;
    }
    /* Every named value and every gradient is kept after a run, so any can be read back. */
    const mlp_graph *g = s->g;
    mlp_id *targets = mlp_xmalloc((size_t)(g->nnames + nwrt + 1) * sizeof *targets);
    int nt = 0;
    for (int i = 0; i < g->nnames; i++)
        targets[nt++] = g->names[i].node;
    for (int i = 0; i < nwrt; i++)
        targets[nt++] = s->grad[i];
    /* Class indices computed in the model are kept too, to be checked after each run. */
    s->nxent = mlp_class_nodes(g, targets, nt, &s->xent);
    targets = mlp_xrealloc(targets, (size_t)(nt + s->nxent) * sizeof *targets);
    for (int i = 0; i < s->nxent; i++)
        targets[nt++] = mlp_node(g, s->xent[i])->in[1];
    s->plan = mlp_plan_new(g, targets, nt, dtype, max_batch, err);
    free(targets);
    if (!s->plan) {
        mlp_session_free(s);
        return NULL;
    }
    set_updates(s);
    s->input_set = mlp_xcalloc((size_t)g->nnames, sizeof *s->input_set);
    for (int i = 0; i < g->nnames; i++)
        s->unset_inputs += g->names[i].kind == MLP_INPUT && mlp_plan_buffer(s->plan, g->names[i].node);
    return s;
}

void mlp_session_free(mlp_session *s)
{
    if (!s)
        return;
    mlp_plan_free(s->plan);
    free(s->xent);
    mlp_graph_free(s->g);
    free(s->wrt_name);
    free(s->grad);
    free(s->input_set);
    free(s->unset_input);
    free(s);
}

int mlp_session_set_batch(mlp_session *s, int batch, mlp_error *err)
{
    if (batch < 1 || batch > mlp_plan_max_batch(s->plan))
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "batch size %d outside 1..%d (the session's maximum)", batch,
                        mlp_plan_max_batch(s->plan));
    mlp_plan_set_batch(s->plan, batch);
    return MLP_OK;
}

int mlp_session_set_threads(mlp_session *s, int threads, mlp_error *err)
{
    if (threads < 1 || threads > MLP_GEMM_MAX_THREADS)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "thread count %d outside 1..%d",
                        threads, MLP_GEMM_MAX_THREADS);
    if (mlp_plan_set_threads(s->plan, threads) != MLP_OK)
        return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "cannot start %d threads", threads);
    return MLP_OK;
}

int mlp_session_threads(const mlp_session *s) { return mlp_plan_threads(s->plan); }

int mlp_session_set(mlp_session *s, const char *name, const double *values, int rows,
                    mlp_error *err)
{
    int nm = find_name(s, name, err);
    if (nm < 0)
        return MLP_ERR_INPUT;
    if (s->g->names[nm].kind != MLP_INPUT)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "'%s' is not an input (only inputs are set per run)", name);
    int batch = mlp_plan_batch(s->plan);
    if (rows != 1 && rows != batch)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "%d rows given for '%s', but the batch has %d samples", rows, name, batch);
    mlp_id id = s->g->names[nm].node;
    char *buf = mlp_plan_buffer(s->plan, id);
    mlp_session_mark_set(s, nm);
    if (!buf) /* the outputs do not depend on this input */
        return MLP_OK;
    mlp_dtype t = mlp_plan_dtype(s->plan);
    int64_t size = mlp_shape_size(mlp_node(s->g, id)->shape);
    size_t row_bytes = (size_t)size * mlp_dtype_size(t);
    for (int r = 0; r < batch; r++)
        mlp_to_dtype(t, buf + (size_t)r * row_bytes, values + (rows == 1 ? 0 : (int64_t)r * size),
                     size);
    return MLP_OK;
}

/* Which nodes depend on an input that was not set (operands come before their users), and
 * zeros in those inputs' buffers so that the run reads defined memory. */
static void mark_unset(mlp_session *s)
{
    const mlp_graph *g = s->g;
    if (!s->unset_input)
        s->unset_input = mlp_xmalloc(((size_t)g->n + 1) * sizeof *s->unset_input);
    for (mlp_id id = 0; id < g->n; id++) {
        const struct mlp_node *n = mlp_node(g, id);
        int *u = &s->unset_input[id];
        *u = -1;
        if (n->op == MLP_OP_INPUT && n->name >= 0 && !s->input_set[n->name]) {
            *u = n->name;
            char *buf = mlp_plan_buffer(s->plan, id);
            if (buf)
                memset(buf, 0, (size_t)mlp_plan_batch(s->plan) * (size_t)mlp_shape_size(n->shape) *
                                   mlp_dtype_size(mlp_plan_dtype(s->plan)));
        }
        for (int k = 0; k < MLP_MAX_ARITY && *u < 0; k++)
            if (n->in[k] != MLP_NONE && n->in[k] < id)
                *u = s->unset_input[n->in[k]];
    }
}

/* Every input is set: drop the dependency record (inputs only ever become set). */
static void forget_unset(mlp_session *s)
{
    free(s->unset_input);
    s->unset_input = NULL;
}

void mlp_session_mark_set(mlp_session *s, int nm)
{
    if (s->input_set[nm])
        return;
    s->input_set[nm] = true;
    s->unset_inputs -= mlp_plan_buffer(s->plan, s->g->names[nm].node) != NULL;
}

int mlp_session_run(mlp_session *s, mlp_error *err)
{
    /* Only a session with inputs still unset pays for the dependency walk; inputs only ever
     * become set, so once all are, the walk's record is dropped for good. */
    if (s->unset_inputs > 0)
        mark_unset(s);
    else
        forget_unset(s);
    mlp_plan_run(s->plan);
    /* Class indices are checked where they were computed from inputs that were set. */
    int rc = MLP_OK;
    for (int i = 0; i < s->nxent && rc == MLP_OK; i++) {
        mlp_id c = mlp_node(s->g, s->xent[i])->in[1];
        if (!s->unset_input || s->unset_input[c] < 0)
            rc = mlp_check_classes(s->g, s->plan, &s->xent[i], 1, NULL, 0, err);
    }
    return rc;
}

int mlp_session_sgd_step(mlp_session *s, double lr, mlp_error *err)
{
    if (s->nwrt == 0)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "the session computes no gradients "
                        "(name the parameters to train in mlp_session_new's wrt)");
    if (!isfinite(lr))
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "learning rate %g is not finite", lr);
    if (s->unset_inputs > 0) /* a step on made-up zeros would corrupt the weights */
        for (int i = 0; i < s->g->nnames; i++)
            if (s->g->names[i].kind == MLP_INPUT && !s->input_set[i] &&
                mlp_plan_buffer(s->plan, s->g->names[i].node))
                return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "input '%s' was not given a "
                                "value, so there is no gradient to step along",
                                s->g->names[i].text);
    if (s->nxent > 0) { /* class indices are checked before any weight changes */
        int rc = mlp_session_run(s, err);
        if (rc == MLP_OK)
            mlp_plan_apply_sgd(s->plan, lr);
        return rc;
    }
    forget_unset(s); /* every input is set now: no value depends on an unset one */
    mlp_plan_run_sgd(s->plan, lr);
    return MLP_OK;
}

/* MLP_OK when node id's value was computed from set inputs; else the error naming the input. */
int mlp_session_available(const mlp_session *s, mlp_id id, const char *name, mlp_error *err)
{
    int u = s->unset_input ? s->unset_input[id] : -1;
    if (u < 0)
        return MLP_OK;
    return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "%s depends on input '%s', which was "
                    "not given a value", name, s->g->names[u].text);
}

/* Copy a node's value for the batch; unbatched values give one sample, or `replicate` rows. */
static void copy_value(const mlp_session *s, mlp_id id, int replicate, double *out)
{
    const struct mlp_node *n = mlp_node(s->g, id);
    mlp_dtype t = mlp_plan_dtype(s->plan);
    int64_t size = mlp_shape_size(n->shape);
    const char *buf = mlp_plan_buffer(s->plan, id);
    int rows = n->batched ? mlp_plan_batch(s->plan) : 1;
    mlp_from_dtype(t, out, buf, rows * size);
    for (int r = rows; r < replicate; r++)
        memcpy(out + r * size, out, (size_t)size * sizeof *out);
}

int mlp_session_get(const mlp_session *s, const char *name, double *out, mlp_error *err)
{
    int nm = find_name(s, name, err);
    if (nm < 0)
        return MLP_ERR_INPUT;
    if (s->unset_input && s->unset_input[s->g->names[nm].node] >= 0) { /* format only then */
        char what[300];
        snprintf(what, sizeof what, "'%s'", name);
        return mlp_session_available(s, s->g->names[nm].node, what, err);
    }
    copy_value(s, s->g->names[nm].node, 0, out);
    return MLP_OK;
}

int mlp_session_is_batched(const mlp_session *s, const char *name)
{
    int nm = mlp_graph_find(s->g, name, (int)strlen(name));
    return nm >= 0 && mlp_node(s->g, s->g->names[nm].node)->batched;
}

int mlp_session_grad(const mlp_session *s, const char *name, double *out, mlp_error *err)
{
    int nm = find_name(s, name, err);
    if (nm < 0)
        return MLP_ERR_INPUT;
    for (int i = 0; i < s->nwrt; i++)
        if (s->wrt_name[i] == nm) {
            if (s->unset_input && s->unset_input[s->grad[i]] >= 0) {
                char what[300];
                snprintf(what, sizeof what, "the gradient with respect to '%s'", name);
                return mlp_session_available(s, s->grad[i], what, err);
            }
            /* A per-sample value's gradient is per sample even where it does not vary. */
            bool per_sample = mlp_node(s->g, s->g->names[nm].node)->batched;
            copy_value(s, s->grad[i], per_sample ? mlp_plan_batch(s->plan) : 0, out);
            return MLP_OK;
        }
    return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                    "the session does not compute the gradient with respect to '%s'", name);
}

int mlp_session_set_param(mlp_session *s, const char *name, const double *values, mlp_error *err)
{
    int nm = find_name(s, name, err);
    if (nm < 0)
        return MLP_ERR_INPUT;
    if (s->g->names[nm].kind != MLP_PARAM)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "'%s' is not a parameter", name);
    mlp_id id = s->g->names[nm].node;
    int64_t size = mlp_shape_size(mlp_node(s->g, id)->shape);
    memcpy(mlp_node_values(s->g, id), values, (size_t)size * sizeof *values);
    void *buf = mlp_plan_buffer(s->plan, id);
    if (buf)
        mlp_to_dtype(mlp_plan_dtype(s->plan), buf, values, size);
    return MLP_OK;
}

int mlp_session_load_params(mlp_session *s, const mlp_model *m, mlp_error *err)
{
    (void)err;
    const mlp_graph *src = m->g;
    for (int i = 0; i < src->nnames; i++) {
        const struct mlp_name *nm = &src->names[i];
        if (nm->kind != MLP_PARAM)
            continue;
        const struct mlp_node *n = mlp_node(src, nm->node);
        memcpy(mlp_node_values(s->g, nm->node), mlp_node_values(src, nm->node),
               (size_t)mlp_shape_size(n->shape) * sizeof(double));
    }
    mlp_plan_load_params(s->plan);
    return MLP_OK;
}

/* weights.c - a model's parameters to and from weight files, matched by name. */
#include "api/internal.h"
#include "base/mem.h"
#include "io/prep.h"
#include "io/tensorfile.h"
#include "train/checkpoint.h"

#include <stdlib.h>
#include <string.h>

int mlp_model_save_weights(const mlp_model *m, const char *path, mlp_dtype dtype, mlp_error *err)
{
    const mlp_graph *g = m->g;
    struct mlp_tensor_list l = {.t = mlp_xcalloc((size_t)g->nnames + 1, sizeof *l.t)};
    for (int i = 0; i < g->nnames; i++) {
        const struct mlp_name *nm = &g->names[i];
        if (nm->kind != MLP_PARAM)
            continue;
        const struct mlp_node *n = mlp_node(g, nm->node);
        struct mlp_tensor *t = &l.t[l.n++];
        t->name = nm->text;
        t->rank = n->shape.rank;
        memcpy(t->dim, n->shape.dim, sizeof t->dim);
        t->size = mlp_shape_size(n->shape);
        t->values = mlp_node_values(g, nm->node);
    }
    mlp_prep_to_meta(m->prep, &l);
    int rc = mlp_safetensors_write(path, &l, dtype, err);
    free(l.t); /* names and values belong to the graph */
    l.t = NULL;
    l.n = 0;
    mlp_tensor_list_free(&l); /* the metadata */
    return rc;
}

/* The parameter a tensor is for, checked against its shape; MLP_NONE with err set. */
static mlp_id param_for(const mlp_graph *g, const struct mlp_tensor *t, const char *path,
                        mlp_error *err)
{
    int nm = mlp_graph_find(g, t->name, (int)strlen(t->name));
    char shown[72];
    mlp_quote(t->name, shown, sizeof shown); /* any text from a file */
    if (nm < 0 || g->names[nm].kind != MLP_PARAM) {
        mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "tensor '%s' names no parameter of the "
                 "model%s", shown, nm < 0 ? "" : " (it is an input, constant or statement)");
        return MLP_NONE;
    }
    mlp_shape want = mlp_node(g, g->names[nm].node)->shape;
    mlp_shape got = {t->rank, {0}};
    memcpy(got.dim, t->dim, sizeof got.dim);
    if (!mlp_shape_equal(want, got)) {
        char sw[64], sg[64];
        mlp_shape_format(want, sw);
        mlp_shape_format(got, sg);
        mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "tensor '%s' has shape %s, but the model's "
                 "parameter has shape %s", shown, sg, sw);
        return MLP_NONE;
    }
    return g->names[nm].node;
}

static void store(mlp_graph *g, mlp_id id, const double *values)
{
    const struct mlp_node *n = mlp_node(g, id);
    int64_t size = mlp_shape_size(n->shape);
    memcpy(mlp_node_values(g, id), values, (size_t)size * sizeof *values);
    mlp_pool_clear_text(g, n->data, size);
}

int mlp_model_set_tensors(mlp_model *m, const struct mlp_tensor_list *l, const char *path,
                          mlp_error *err)
{
    mlp_graph *g = m->g;
    int rc = MLP_OK;
    mlp_id *ids = mlp_xmalloc(((size_t)l->n + 1) * sizeof *ids);
    for (int i = 0; i < l->n && rc == MLP_OK; i++)
        if ((ids[i] = param_for(g, &l->t[i], path, err)) == MLP_NONE)
            rc = MLP_ERR_INPUT;
    /* Which parameters got a tensor, by node (a search of the tensors for each parameter was
     * quadratic in a model of many parameters). */
    bool *given = mlp_xcalloc((size_t)g->n + 1, sizeof *given);
    for (int i = 0; i < l->n && rc == MLP_OK; i++)
        given[ids[i]] = true;
    for (int i = 0; i < g->nnames && rc == MLP_OK; i++)
        if (g->names[i].kind == MLP_PARAM && !given[g->names[i].node])
            rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "no tensor for the model's "
                          "parameter '%s'", g->names[i].text);
    free(given);
    /* All checked before anything changes: a bad file leaves the model as it was. */
    for (int i = 0; i < l->n && rc == MLP_OK; i++)
        store(g, ids[i], l->t[i].values);
    free(ids);
    return rc;
}

/* Leave out the optimizer state a checkpoint holds besides the parameters ("opt." names cannot
 * be parameters: a name has no dots). */
static void drop_optimizer_state(struct mlp_tensor_list *l)
{
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        if (mlp_checkpoint_state_name(l->t[i].name)) {
            free(l->t[i].name);
            free(l->t[i].values);
        } else {
            l->t[k++] = l->t[i];
        }
    }
    l->n = k;
}

int mlp_model_load_weights(mlp_model *m, const char *path, mlp_error *err)
{
    struct mlp_tensor_list l;
    int rc = mlp_safetensors_read(path, &l, err);
    if (rc == MLP_OK && mlp_tensor_meta(&l, "mlp.checkpoint.epoch")) /* a training checkpoint: */
        drop_optimizer_state(&l);                                    /* its parameters */
    struct mlp_prep *p = NULL;
    if (rc == MLP_OK) /* checked first: a bad file leaves the model as it was */
        rc = mlp_prep_from_meta(&l, mlp_model_feature_count(m), path, &p, err);
    if (rc == MLP_OK)
        rc = mlp_model_set_tensors(m, &l, path, err);
    if (rc == MLP_OK && p) /* a file without preprocessing leaves the model's as it was */
        mlp_model_set_prep(m, p);
    else
        mlp_prep_free(p);
    mlp_tensor_list_free(&l);
    return rc;
}

int mlp_model_set_tensor(mlp_model *m, const char *name, const struct mlp_tensor *t,
                         const char *path, mlp_error *err)
{
    struct mlp_tensor named = *t;
    named.name = (char *)name; /* only read */
    mlp_id id = param_for(m->g, &named, path, err);
    if (id == MLP_NONE)
        return MLP_ERR_INPUT;
    store(m->g, id, t->values);
    return MLP_OK;
}

int mlp_model_load_npy(mlp_model *m, const char *name, const char *path, mlp_error *err)
{
    struct mlp_tensor t;
    int rc = mlp_npy_read(path, &t, err);
    if (rc == MLP_OK)
        rc = mlp_model_set_tensor(m, name, &t, path, err);
    free(t.values);
    return rc;
}

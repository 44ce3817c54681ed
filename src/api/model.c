/* model.c - the public model API over the graph and the language. */
#include "api/internal.h"
#include "base/mem.h"
#include "base/strbuf.h"
#include "io/import.h"
#include "lang/parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SEED 1

mlp_model *mlp_model_from_graph(mlp_graph *g)
{
    mlp_model *m = mlp_xcalloc(1, sizeof *m);
    m->g = g;
    return m;
}

mlp_model *mlp_model_parse(const char *text, const char *filename, mlp_error *err)
{
    mlp_graph *g = mlp_parse_model(text, strlen(text), filename ? filename : "<string>", err);
    if (!g)
        return NULL;
    mlp_graph_init_params(g, DEFAULT_SEED);
    return mlp_model_from_graph(g);
}

mlp_model *mlp_model_load(const char *path, mlp_error *err)
{
    return mlp_model_load_flags(path, 0, err);
}

mlp_model *mlp_model_load_flags(const char *path, int flags, mlp_error *err)
{
    size_t len;
    char *text = mlp_read_file(path, &len);
    if (!text) {
        mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read model: %s", strerror(errno));
        return NULL;
    }
    mlp_graph *g = NULL;
    switch (mlp_sniff_format(path, (const unsigned char *)text, len)) {
    case MLP_FORMAT_NNET:
        g = mlp_nnet_parse(text, len, path, flags, MLP_MAX_MODEL_VALUES, err);
        break;
    case MLP_FORMAT_ONNX:
        g = mlp_onnx_import((const unsigned char *)text, len, path, flags, MLP_MAX_MODEL_VALUES,
                            err);
        break;
    case MLP_FORMAT_MLP:
        g = mlp_parse_model(text, len, path, err);
        break;
    }
    free(text);
    if (!g)
        return NULL;
    mlp_graph_init_params(g, DEFAULT_SEED);
    return mlp_model_from_graph(g);
}

void mlp_model_free(mlp_model *m)
{
    if (!m)
        return;
    mlp_graph_free(m->g);
    mlp_model_set_prep(m, NULL);
    free(m);
}

int mlp_model_write(const mlp_model *m, FILE *out, int flags, mlp_error *err)
{
    mlp_strbuf b = {0};
    struct mlp_print_options opt = {.values = (flags & MLP_WRITE_VALUES) != 0};
    mlp_print_model(m->g, &opt, &b);
    size_t len = b.len, n = fwrite(mlp_sb_str(&b), 1, len, out);
    mlp_sb_free(&b);
    if (n != len || ferror(out))
        return mlp_fail(err, MLP_ERR_IO, NULL, MLP_NOLOC, "write failed: %s", strerror(errno));
    return MLP_OK;
}

int mlp_model_init_params(mlp_model *m, uint64_t seed, mlp_error *err)
{
    (void)err;
    mlp_graph_init_params(m->g, seed);
    return MLP_OK;
}

int mlp_model_count(const mlp_model *m, mlp_kind kind)
{
    const mlp_graph *g = m->g;
    if (kind == MLP_OUTPUT)
        return g->noutputs;
    if (kind == MLP_LOSS)
        return g->loss >= 0;
    return kind >= MLP_INPUT && kind <= MLP_DEF ? g->nby_kind[kind] : 0;
}

const char *mlp_model_name(const mlp_model *m, mlp_kind kind, int i)
{
    const mlp_graph *g = m->g;
    if (kind == MLP_OUTPUT)
        return i >= 0 && i < g->noutputs ? g->names[g->outputs[i]].text : NULL;
    if (kind == MLP_LOSS)
        return i == 0 && g->loss >= 0 ? g->names[g->loss].text : NULL;
    if (kind < MLP_INPUT || kind > MLP_DEF || i < 0 || i >= g->nby_kind[kind])
        return NULL;
    return g->names[g->by_kind[kind][i]].text; /* constant time: callers loop over i */
}

static int find(const mlp_model *m, const char *name)
{
    return mlp_graph_find(m->g, name, (int)strlen(name));
}

int mlp_model_kind(const mlp_model *m, const char *name)
{
    int nm = find(m, name);
    return nm < 0 ? -1 : (int)m->g->names[nm].kind;
}

int mlp_model_shape(const mlp_model *m, const char *name, int dims[MLP_MAX_RANK])
{
    int nm = find(m, name);
    if (nm < 0)
        return -1;
    mlp_shape s = mlp_node(m->g, m->g->names[nm].node)->shape;
    for (int i = 0; i < s.rank; i++)
        dims[i] = s.dim[i];
    return s.rank;
}

size_t mlp_model_size(const mlp_model *m, const char *name)
{
    int nm = find(m, name);
    return nm < 0 ? 0 : (size_t)mlp_shape_size(mlp_node(m->g, m->g->names[nm].node)->shape);
}

/* The node of a parameter or constant name, or an error. */
static mlp_id valued_node(const mlp_model *m, const char *name, bool writable, mlp_error *err)
{
    int nm = find(m, name);
    if (nm < 0) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "no value named '%s' in the model", name);
        return MLP_NONE;
    }
    mlp_kind k = m->g->names[nm].kind;
    if (k != MLP_PARAM && (writable || k != MLP_CONST)) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "'%s' is not a parameter%s", name,
                 writable ? "" : " or constant");
        return MLP_NONE;
    }
    return m->g->names[nm].node;
}

int mlp_model_get_values(const mlp_model *m, const char *name, double *out, mlp_error *err)
{
    mlp_id id = valued_node(m, name, false, err);
    if (id == MLP_NONE)
        return MLP_ERR_INPUT;
    memcpy(out, mlp_node_values(m->g, id), (size_t)mlp_shape_size(mlp_node(m->g, id)->shape) * sizeof *out);
    return MLP_OK;
}

int mlp_model_set_values(mlp_model *m, const char *name, const double *values, mlp_error *err)
{
    mlp_id id = valued_node(m, name, true, err);
    if (id == MLP_NONE)
        return MLP_ERR_INPUT;
    const struct mlp_node *n = mlp_node(m->g, id);
    int64_t size = mlp_shape_size(n->shape);
    memcpy(mlp_node_values(m->g, id), values, (size_t)size * sizeof *values);
    mlp_pool_clear_text(m->g, n->data, size);
    return MLP_OK;
}

int mlp_parse_value(const char *text, int rank, const int *dims, double *out, const char *where,
                    mlp_error *err)
{
    mlp_shape s = {rank, {0}};
    for (int i = 0; i < rank; i++)
        s.dim[i] = dims[i];
    struct mlp_literal lit;
    int rc = mlp_parse_literal_text(text, where, &lit, err);
    if (rc != MLP_OK)
        return rc;
    rc = mlp_literal_fit(&lit, s, where, out, NULL, NULL, MLP_NOLOC, err);
    mlp_literal_free(&lit);
    return rc;
}

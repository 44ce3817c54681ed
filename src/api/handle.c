/* handle.c - the session API by handle: a name is looked up once, and each call after that is
 * a few loads and a copy at most, so a single sample's run is not dominated by the API.
 *
 * A handle below nnames is a name index (the value of that name); nnames + i is the gradient
 * with respect to the session's i-th wrt name. */
#include "api/internal.h"

#include <stdio.h>
#include <string.h>

static mlp_handle lookup(const mlp_session *s, const char *name, mlp_error *err)
{
    int nm = name ? mlp_graph_find(s->g, name, (int)strlen(name)) : -1;
    if (nm < 0)
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "no value named '%s' in the model",
                 name ? name : "(null)");
    return nm;
}

mlp_handle mlp_session_value(const mlp_session *s, const char *name, mlp_error *err)
{
    return lookup(s, name, err);
}

mlp_handle mlp_session_input(const mlp_session *s, const char *name, mlp_error *err)
{
    int nm = lookup(s, name, err);
    if (nm >= 0 && s->g->names[nm].kind != MLP_INPUT) {
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "'%s' is not an input", name);
        return -1;
    }
    return nm;
}

mlp_handle mlp_session_gradient(const mlp_session *s, const char *name, mlp_error *err)
{
    int nm = lookup(s, name, err);
    for (int i = 0; nm >= 0 && i < s->nwrt; i++)
        if (s->wrt_name[i] == nm)
            return s->g->nnames + i;
    if (nm >= 0)
        mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                 "the session does not compute the gradient with respect to '%s'", name);
    return -1;
}

/* The node a handle stands for, or MLP_NONE for a handle the session never gave out. */
static mlp_id handle_node(const mlp_session *s, mlp_handle h)
{
    if (h >= 0 && h < s->g->nnames)
        return s->g->names[h].node;
    if (h >= s->g->nnames && h < s->g->nnames + s->nwrt)
        return s->grad[h - s->g->nnames];
    return MLP_NONE;
}

static void *storage(mlp_session *s, mlp_handle h, mlp_dtype want)
{
    mlp_id id = handle_node(s, h);
    if (id == MLP_NONE || mlp_plan_dtype(s->plan) != want)
        return NULL;
    void *buf = mlp_plan_buffer(s->plan, id);
    if (buf && h < s->g->nnames && s->g->names[h].kind == MLP_INPUT)
        mlp_session_mark_set(s, h);
    return buf;
}

float *mlp_session_f32(mlp_session *s, mlp_handle h) { return storage(s, h, MLP_F32); }
double *mlp_session_f64(mlp_session *s, mlp_handle h) { return storage(s, h, MLP_F64); }

static int not_f32(const mlp_session *s, mlp_handle h, mlp_error *err)
{
    if (handle_node(s, h) == MLP_NONE)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "%d is not a handle of this session",
                        h);
    if (mlp_plan_dtype(s->plan) != MLP_F32)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "the session computes in float64; float32 values need a float32 session");
    return MLP_OK;
}

int mlp_session_set_f32(mlp_session *s, mlp_handle h, const float *values, int rows,
                        mlp_error *err)
{
    int rc = not_f32(s, h, err);
    if (rc != MLP_OK)
        return rc;
    if (h >= s->g->nnames || s->g->names[h].kind != MLP_INPUT)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "handle %d is not an input (only inputs are set per run)", h);
    int batch = mlp_plan_batch(s->plan);
    if (rows != 1 && rows != batch)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC,
                        "%d rows given for '%s', but the batch has %d samples", rows,
                        s->g->names[h].text, batch);
    mlp_id id = s->g->names[h].node;
    float *buf = mlp_plan_buffer(s->plan, id);
    mlp_session_mark_set(s, h);
    if (!buf) /* the outputs do not depend on this input */
        return MLP_OK;
    size_t size = (size_t)mlp_shape_size(mlp_node(s->g, id)->shape);
    if (rows == batch)
        memcpy(buf, values, (size_t)batch * size * sizeof *buf);
    else
        for (int r = 0; r < batch; r++)
            memcpy(buf + (size_t)r * size, values, size * sizeof *buf);
    return MLP_OK;
}

int mlp_session_get_f32(const mlp_session *s, mlp_handle h, float *out, mlp_error *err)
{
    int rc = not_f32(s, h, err);
    if (rc != MLP_OK)
        return rc;
    mlp_id id = handle_node(s, h);
    const struct mlp_node *n = mlp_node(s->g, id);
    const float *buf = mlp_plan_buffer(s->plan, id);
    size_t size = (size_t)mlp_shape_size(n->shape);
    int rows = n->batched ? mlp_plan_batch(s->plan) : 1;
    /* A per-sample value's gradient is per sample even where it does not vary (as
     * mlp_session_grad gives it). */
    const struct mlp_node *of = h >= s->g->nnames
                                    ? mlp_node(s->g, s->g->names[s->wrt_name[h - s->g->nnames]].node)
                                    : n;
    int want = of->batched ? mlp_plan_batch(s->plan) : rows;
    if (!buf)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "the session does not compute '%s'",
                        h < s->g->nnames ? s->g->names[h].text : "that gradient");
    if (s->unset_input && s->unset_input[id] >= 0) { /* as mlp_session_get and _grad say it */
        char what[300];
        if (h < s->g->nnames)
            snprintf(what, sizeof what, "'%s'", s->g->names[h].text);
        else
            snprintf(what, sizeof what, "the gradient with respect to '%s'",
                     s->g->names[s->wrt_name[h - s->g->nnames]].text);
        return mlp_session_available(s, id, what, err);
    }
    for (int r = 0; r < want; r++)
        memcpy(out + (size_t)r * size, buf + (r < rows ? (size_t)r * size : 0),
               size * sizeof *out);
    return MLP_OK;
}

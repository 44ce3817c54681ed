/* fit.c - binding a model to data, planning its runs, and tallying losses and predictions. */
#include "train/fit.h"
#include "base/mem.h"
#include "train/classes.h"
#include "train/parts.h"
#include "tensor/gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The loss op nearest the loss (highest id) among its ancestors decides the head. */
static void find_head(struct mlp_fit *f)
{
    bool *anc = mlp_xmalloc((size_t)f->g->n * sizeof *anc);
    mlp_graph_ancestors(f->g, &f->loss, 1, anc);
    f->head = MLP_HEAD_NONE;
    for (mlp_id id = f->loss; id >= 0 && f->head == MLP_HEAD_NONE; id--) {
        const struct mlp_node *n = mlp_node(f->g, id);
        if (!anc[id])
            continue;
        f->head = n->op == MLP_OP_SOFTMAX_XENT ? MLP_HEAD_CLASSES
                : n->op == MLP_OP_BCE_LOGITS   ? MLP_HEAD_BINARY
                : n->op == MLP_OP_SQUARED_ERROR ? MLP_HEAD_REGRESSION : MLP_HEAD_NONE;
        f->pred = n->in[0];
        f->target = n->in[1];
    }
    if (f->head == MLP_HEAD_CLASSES)
        f->classes = (int)mlp_shape_size(mlp_node(f->g, f->pred)->shape);
    free(anc);
}

/* The data's layout against the model's first two inputs. */
static int bind_inputs(struct mlp_fit *f, const mlp_dataset *d, mlp_error *err)
{
    const mlp_graph *g = f->g;
    int found = 0, want[2] = {d->nfeat, d->ntarget};
    mlp_id ids[2] = {MLP_NONE, MLP_NONE};
    const char *names[2] = {NULL, NULL};
    for (int i = 0; i < g->nnames; i++)
        if (g->names[i].kind == MLP_INPUT) {
            if (found == 2)
                return mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC, "the model has more than "
                                "two inputs; training feeds the data's features to the first and "
                                "its targets to the second");
            names[found] = g->names[i].text;
            ids[found++] = g->names[i].node;
        }
    if (found < 2)
        return mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC, "training needs two inputs, "
                        "declared in this order: the features and the target (the model has %d)",
                        found);
    for (int k = 0; k < 2; k++) {
        int64_t size = mlp_shape_size(mlp_node(g, ids[k])->shape);
        if (size != want[k])
            return mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC, "input '%s' has %lld "
                            "elements, but the data has %d %s per sample", names[k],
                            (long long)size, want[k], k ? "targets" : "features");
    }
    f->x = ids[0];
    f->y = ids[1];
    return MLP_OK;
}

static int differentiate(struct mlp_fit *f, mlp_error *err)
{
    mlp_graph *g = f->g;
    f->param = mlp_xmalloc(((size_t)g->nnames + 1) * sizeof *f->param);
    f->grad = mlp_xmalloc(((size_t)g->nnames + 1) * sizeof *f->grad);
    for (int i = 0; i < g->nnames; i++)
        if (g->names[i].kind == MLP_PARAM)
            f->param[f->nparams++] = g->names[i].node;
    if (f->nparams == 0)
        return mlp_fail(err, MLP_ERR_INPUT, g->file, MLP_NOLOC, "the model has no parameters to "
                        "train");
    int rc = mlp_autodiff(g, f->loss, f->param, f->nparams, f->grad, NULL);
    if (rc != MLP_OK && err && !mlp_failed(err))
        *err = g->err;
    /* A parameter the loss does not use, or whose gradient folds to the constant 0 (`0 * u`),
     * has no gradient to compute: it is left out of the plan and never updated. */
    for (int i = 0; rc == MLP_OK && i < f->nparams; i++)
        if (mlp_is_const_value(g, f->grad[i], 0))
            f->grad[i] = MLP_NONE;
    return rc;
}

int mlp_fit_init(struct mlp_fit *f, const mlp_graph *model, const mlp_dataset *d,
                 int train_batch, int eval_batch, mlp_error *err)
{
    memset(f, 0, sizeof *f);
    if (model->loss < 0)
        return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC, "the model has no `loss` "
                        "statement: there is nothing to minimise or report");
    f->g = mlp_graph_clone(model);
    f->loss = f->g->names[f->g->loss].node;
    if (mlp_shape_size(mlp_node(f->g, f->loss)->shape) != 1)
        return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC, "the loss '%s' must be a "
                        "scalar per sample", f->g->names[f->g->loss].text);
    int rc = bind_inputs(f, d, err);
    if (rc == MLP_OK && train_batch > 0)
        rc = differentiate(f, err);
    if (rc != MLP_OK)
        return rc;
    find_head(f);
    mlp_id roots[2] = {f->loss, f->head != MLP_HEAD_NONE ? f->pred : f->loss};
    f->nxent = mlp_class_nodes(f->g, roots, 2, &f->xent);
    mlp_id *targets = mlp_xmalloc(((size_t)f->nparams + (size_t)f->nxent + 2) * sizeof *targets);
    int ntargets = 2;
    targets[0] = roots[0];
    targets[1] = roots[1];
    for (int i = 0; i < f->nxent; i++) /* kept after the run, to be checked */
        targets[ntargets++] = mlp_node(f->g, f->xent[i])->in[1];
    int neval = ntargets;
    for (int i = 0; i < f->nparams; i++)
        if (f->grad[i] != MLP_NONE)
            targets[ntargets++] = f->grad[i];
    if (train_batch > 0)
        f->train = mlp_plan_new(f->g, targets, ntargets, MLP_F32, train_batch, err);
    if (train_batch <= 0 || f->train)
        f->eval = mlp_plan_new(f->g, targets, neval, MLP_F32, eval_batch, err);
    free(targets);
    return f->eval ? MLP_OK : mlp_failed(err) ? err->status : MLP_ERR_NOMEM;
}

void mlp_fit_free(struct mlp_fit *f)
{
    mlp_plan_free(f->train);
    mlp_plan_free(f->eval);
    mlp_graph_free(f->g);
    free(f->param);
    free(f->grad);
    free(f->xent);
    memset(f, 0, sizeof *f);
}

int mlp_fit_check_targets(const struct mlp_fit *f, const mlp_dataset *d, mlp_error *err)
{
    if (f->head != MLP_HEAD_CLASSES && f->head != MLP_HEAD_BINARY)
        return MLP_OK;
    bool classes = f->head == MLP_HEAD_CLASSES;
    for (size_t i = 0; i < (size_t)d->n * (size_t)d->ntarget; i++) {
        float v = d->y[i];
        bool ok = classes ? v >= 0 && v < (float)f->classes && v == floorf(v) : v >= 0 && v <= 1;
        if (ok)
            continue;
        if (classes)
            return mlp_fail(err, MLP_ERR_INPUT, d->y_source, MLP_NOLOC, "sample %zu has label %g, "
                            "but the model's softmax_xent has %d classes (labels 0 to %d)",
                            i + 1, (double)v, f->classes, f->classes - 1);
        return mlp_fail(err, MLP_ERR_INPUT, d->y_source, MLP_NOLOC, "sample %zu has target %g, "
                        "but bce_logits needs targets from 0 to 1", i / (size_t)d->ntarget + 1,
                        (double)v);
    }
    return MLP_OK;
}

/* Gather rows idx[] of a row-major float array into a plan buffer. */
/* Rows idx[0..b) of src (width floats each) into dst, divided by rows over the plan's threads
 * when there are enough floats to copy (random rows of a large array: memory-bound). */
#define GATHER_MIN 32768

struct gather_job {
    float *dst;
    const float *src;
    int width, b;
    const int *idx;
};

static void gather_part(void *arg, int part, int parts)
{
    const struct gather_job *j = arg;
    int64_t lo, hi;
    mlp_part_range(j->b, part, (int64_t)j->b * j->width < GATHER_MIN ? 1 : parts, 1, &lo, &hi);
    for (int64_t r = lo; r < hi; r++)
        memcpy(j->dst + (size_t)r * (size_t)j->width, j->src + (size_t)j->idx[r] * (size_t)j->width,
               (size_t)j->width * sizeof *j->dst);
}

static void gather(mlp_plan *p, float *dst, const float *src, int width, const int *idx, int b)
{
    struct gather_job j = {dst, src, width, b, idx};
    if ((int64_t)b * width < GATHER_MIN)
        gather_part(&j, 0, 1);
    else
        mlp_gemm_ctx_run(mlp_plan_gemm(p), gather_part, &j);
}

void mlp_fit_load(const struct mlp_fit *f, mlp_plan *p, const mlp_dataset *d, const int *idx, int b)
{
    float *x = mlp_plan_buffer(p, f->x), *y = mlp_plan_buffer(p, f->y);
    if (x)
        gather(p, x, d->x, d->nfeat, idx, b);
    if (y)
        gather(p, y, d->y, d->ntarget, idx, b);
    mlp_plan_set_batch(p, b);
}

/* Row r of a node's buffer (unbatched values have one row, shared by every sample). */
static const float *row(const struct mlp_fit *f, const mlp_plan *p, mlp_id id, int r)
{
    const struct mlp_node *n = mlp_node(f->g, id);
    const float *buf = mlp_plan_buffer(p, id);
    return buf + (n->batched ? (size_t)r * (size_t)mlp_shape_size(n->shape) : 0);
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* One sample's prediction against its target. */
static void tally_sample(const struct mlp_fit *f, const float *z, const float *t, struct mlp_tally *ty)
{
    int64_t size = mlp_shape_size(mlp_node(f->g, f->pred)->shape);
    if (f->head == MLP_HEAD_CLASSES) {
        /* t[0] is a class index in range: mlp_fit_check_run saw to it. */
        int want = (int)t[0], got = argmax(z, f->classes);
        ty->right += got == want;
        ty->seen++;
        if (ty->confusion && want >= 0 && want < f->classes)
            ty->confusion[(size_t)want * (size_t)f->classes + (size_t)got]++;
        return;
    }
    for (int64_t i = 0; i < size; i++) {
        if (f->head == MLP_HEAD_BINARY) {
            int want = t[i] >= 0.5f, got = z[i] >= 0;
            ty->right += got == want;
            ty->seen++;
            if (ty->confusion)
                ty->confusion[want * 2 + got]++;
        } else {
            ty->sqerr += ((double)z[i] - t[i]) * ((double)z[i] - t[i]);
            ty->seen++;
        }
    }
}

void mlp_fit_tally(const struct mlp_fit *f, const mlp_plan *p, int b, struct mlp_tally *t)
{
    for (int r = 0; r < b; r++) {
        t->loss += *row(f, p, f->loss, r);
        if (f->head != MLP_HEAD_NONE)
            tally_sample(f, row(f, p, f->pred, r), row(f, p, f->target, r), t);
    }
    t->n += b;
}

int mlp_fit_check_run(const struct mlp_fit *f, const mlp_plan *p, const int *idx, mlp_error *err)
{
    return mlp_check_classes(f->g, p, f->xent, f->nxent, idx, 0, err);
}

/* Whether the plan's runs may read the features where the data set holds them: nothing but
 * the plan's steps reads them (not the tally, not the class checks). */
static bool features_in_place(const struct mlp_fit *f)
{
    bool ok = f->target != f->x && f->y != f->x;
    for (int i = 0; i < f->nxent; i++)
        ok &= mlp_node(f->g, f->xent[i])->in[1] != f->x;
    return ok;
}

void mlp_fit_load_rows(const struct mlp_fit *f, mlp_plan *p, const mlp_dataset *d, int start,
                       int b, const int *idx)
{
    if (!features_in_place(f)) {
        mlp_fit_load(f, p, d, idx, b);
        return;
    }
    float *y = mlp_plan_buffer(p, f->y);
    if (y)
        memcpy(y, d->y + (size_t)start * (size_t)d->ntarget,
               (size_t)b * (size_t)d->ntarget * sizeof *y);
    mlp_plan_read_input(p, f->x, d->x + (size_t)start * (size_t)d->nfeat);
    mlp_plan_set_batch(p, b);
}

int mlp_fit_evaluate(const struct mlp_fit *f, const mlp_dataset *d, struct mlp_tally *t,
                     mlp_error *err)
{
    int cap = mlp_plan_max_batch(f->eval), rc = MLP_OK;
    int *idx = mlp_xmalloc((size_t)cap * sizeof *idx);
    for (int start = 0; start < d->n && rc == MLP_OK; start += cap) {
        int b = d->n - start < cap ? d->n - start : cap;
        for (int r = 0; r < b; r++)
            idx[r] = start + r;
        mlp_fit_load_rows(f, f->eval, d, start, b, idx);
        mlp_plan_run(f->eval);
        rc = mlp_fit_check_run(f, f->eval, idx, err);
        if (rc == MLP_OK)
            mlp_fit_tally(f, f->eval, b, t);
    }
    mlp_plan_read_input(f->eval, f->x, NULL);
    free(idx);
    return rc;
}

/* predict.c - predictions: class probabilities for classifiers, outputs for the rest.
 *
 * Classifiers run exactly as evaluation does (train/fit.c: the same plan, batches and float32
 * arithmetic), so a predicted class is the one `mlp eval --metrics` counts, sample for sample.
 * Data without targets gets zeros for them: the loss they feed is computed and ignored. */
#include "train/predict.h"
#include "train/fit.h"
#include "base/mem.h"
#include "base/strbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 500 /* as evaluation's (trainer.c) */

/* Column names NAME, or NAME[i] / NAME[i,j] per element. */
static void element_names(const char *name, mlp_shape s, char **out)
{
    int64_t size = mlp_shape_size(s);
    for (int64_t e = 0; e < size; e++) {
        mlp_strbuf b = {0};
        mlp_sb_puts(&b, name);
        int idx[MLP_MAX_RANK];
        int64_t rest = e;
        for (int k = s.rank - 1; k >= 0; k--) {
            idx[k] = (int)(rest % s.dim[k]);
            rest /= s.dim[k];
        }
        for (int k = 0; k < s.rank; k++)
            mlp_sb_printf(&b, k ? ",%d" : "[%d", idx[k]);
        if (s.rank)
            mlp_sb_putc(&b, ']');
        out[e] = mlp_sb_take(&b);
    }
}

/* d, or (when it has no targets) a copy whose targets are zeros of the model's target width. */
static const mlp_dataset *with_targets(const mlp_graph *g, const mlp_dataset *d, mlp_dataset **own,
                                       mlp_error *err)
{
    *own = NULL;
    if (d->ntarget > 0 || g->nby_kind[MLP_INPUT] < 2)
        return d;
    mlp_id t = g->names[g->by_kind[MLP_INPUT][1]].node;
    int width = (int)mlp_shape_size(mlp_node(g, t)->shape);
    *own = mlp_dataset_alloc(d->n, d->nfeat, width, d->x_source, d->y_source, err);
    if (*own)
        memcpy((*own)->x, d->x, (size_t)d->n * (size_t)d->nfeat * sizeof *d->x);
    return *own;
}

static void classify_row(const struct mlp_fit *f, const float *z, int64_t size, int *cls, float *p)
{
    if (f->head == MLP_HEAD_CLASSES) {
        int best = 0;
        for (int i = 1; i < f->classes; i++)
            if (z[i] > z[best])
                best = i;
        double sum = 0;
        for (int i = 0; i < f->classes; i++)
            sum += exp((double)z[i] - z[best]);
        for (int i = 0; i < f->classes; i++)
            p[i] = (float)(exp((double)z[i] - z[best]) / sum);
        *cls = best;
        return;
    }
    for (int64_t i = 0; i < size; i++)
        p[i] = (float)(1 / (1 + exp(-(double)z[i])));
    *cls = z[0] >= 0;
}

/* Classifiers: the eval plan's logits, batch by batch. */
static int classify(const struct mlp_fit *f, const mlp_dataset *d, mlp_predictions *out)
{
    const struct mlp_node *pn = mlp_node(f->g, f->pred);
    int64_t size = mlp_shape_size(pn->shape);
    out->classes = f->head == MLP_HEAD_CLASSES ? f->classes : 2;
    out->width = (int)size;
    out->names = mlp_xcalloc((size_t)size, sizeof *out->names);
    if (size == 1 && f->head == MLP_HEAD_BINARY)
        out->names[0] = mlp_xstrdup("p");
    else
        element_names("p", pn->shape, out->names);
    out->cls = mlp_xmalloc((size_t)d->n * sizeof *out->cls + 1);
    out->values = mlp_xmalloc((size_t)d->n * (size_t)size * sizeof *out->values + 1);
    int *idx = mlp_xmalloc(BATCH * sizeof *idx);
    for (int start = 0; start < d->n; start += BATCH) {
        int b = d->n - start < BATCH ? d->n - start : BATCH;
        for (int r = 0; r < b; r++)
            idx[r] = start + r;
        mlp_fit_load_rows(f, f->eval, d, start, b, idx);
        mlp_plan_run(f->eval);
        const float *z = mlp_plan_buffer(f->eval, f->pred);
        for (int r = 0; r < b; r++)
            classify_row(f, z + (pn->batched ? (size_t)r * (size_t)size : 0), size,
                         &out->cls[start + r], out->values + (size_t)(start + r) * (size_t)size);
    }
    mlp_plan_read_input(f->eval, f->x, NULL);
    free(idx);
    return MLP_OK;
}

/* Other models: every output, flattened in declaration order. */
static int outputs(const mlp_graph *model, const mlp_dataset *d, mlp_predictions *out,
                   mlp_error *err)
{
    if (model->noutputs == 0)
        return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC, "the model has no `output` "
                        "statement and no classifier loss: nothing to predict");
    if (model->nby_kind[MLP_INPUT] < 1)
        return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC, "the model has no input for "
                        "the data's features");
    mlp_graph *g = mlp_graph_clone(model);
    mlp_id x = g->names[g->by_kind[MLP_INPUT][0]].node, *targets = mlp_xmalloc((size_t)g->noutputs * sizeof *targets);
    int64_t width = 0;
    if (mlp_shape_size(mlp_node(g, x)->shape) != d->nfeat) {
        free(targets);
        mlp_graph_free(g);
        return mlp_fail(err, MLP_ERR_INPUT, model->file, MLP_NOLOC, "input '%s' has %lld "
                        "elements, but the data has %d features per sample",
                        g->names[g->by_kind[MLP_INPUT][0]].text,
                        (long long)mlp_shape_size(mlp_node(model, x)->shape), d->nfeat);
    }
    for (int i = 0; i < g->noutputs; i++) {
        targets[i] = g->names[g->outputs[i]].node;
        width += mlp_shape_size(mlp_node(g, targets[i])->shape);
    }
    mlp_plan *p = mlp_plan_new(g, targets, g->noutputs, MLP_F32, BATCH, err);
    int rc = p ? MLP_OK : MLP_ERR_INPUT;
    if (rc == MLP_OK) {
        out->width = (int)width;
        out->names = mlp_xcalloc((size_t)width + 1, sizeof *out->names);
        out->values = mlp_xmalloc((size_t)d->n * (size_t)width * sizeof *out->values + 1);
        for (int i = 0, col = 0; i < g->noutputs; i++) {
            element_names(g->names[g->outputs[i]].text, mlp_node(g, targets[i])->shape,
                          out->names + col);
            col += (int)mlp_shape_size(mlp_node(g, targets[i])->shape);
        }
    }
    for (int start = 0; rc == MLP_OK && start < d->n; start += BATCH) {
        int b = d->n - start < BATCH ? d->n - start : BATCH;
        float *xb = mlp_plan_buffer(p, x);
        if (xb)
            memcpy(xb, d->x + (size_t)start * (size_t)d->nfeat, (size_t)b * (size_t)d->nfeat * sizeof *xb);
        mlp_plan_set_batch(p, b);
        mlp_plan_run(p);
        for (int i = 0, col = 0; i < g->noutputs; i++) {
            const struct mlp_node *n = mlp_node(g, targets[i]);
            int64_t size = mlp_shape_size(n->shape);
            const float *v = mlp_plan_buffer(p, targets[i]);
            for (int r = 0; r < b; r++)
                memcpy(out->values + (size_t)(start + r) * (size_t)width + (size_t)col,
                       v + (n->batched ? (size_t)r * (size_t)size : 0), (size_t)size * sizeof *v);
            col += (int)size;
        }
    }
    mlp_plan_free(p);
    free(targets);
    mlp_graph_free(g);
    return rc;
}

int mlp_predict_graph(const mlp_graph *model, const mlp_dataset *d, mlp_predictions *out,
                      mlp_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = d->n;
    mlp_dataset *own;
    const mlp_dataset *dt = with_targets(model, d, &own, err);
    if (!dt)
        return MLP_ERR_NOMEM;
    struct mlp_fit f = {0};
    bool trainable = model->loss >= 0 && model->nby_kind[MLP_INPUT] == 2;
    int rc = trainable ? mlp_fit_init(&f, model, dt, 0, BATCH, err) : MLP_OK;
    if (rc == MLP_OK && trainable && (f.head == MLP_HEAD_CLASSES || f.head == MLP_HEAD_BINARY))
        rc = classify(&f, dt, out);
    else if (rc == MLP_OK) /* not a classifier: the outputs */
        rc = outputs(model, d, out, err);
    mlp_fit_free(&f);
    mlp_dataset_free(own);
    if (rc != MLP_OK)
        mlp_predictions_free(out);
    return rc;
}

void mlp_predictions_free(mlp_predictions *p)
{
    for (int i = 0; p->names && i < p->width; i++)
        free(p->names[i]);
    free(p->names);
    free(p->cls);
    free(p->values);
    memset(p, 0, sizeof *p);
}

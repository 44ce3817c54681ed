/* prep.c - the preprocessing a model's weights carry (io/prep.h), through the public API. */
#include "api/internal.h"
#include "base/mem.h"
#include "io/dataset.h"
#include "io/prep.h"

#include <stdlib.h>
#include <string.h>

void mlp_model_set_prep(mlp_model *m, struct mlp_prep *p)
{
    if (m->prep != p)
        mlp_prep_free(m->prep);
    m->prep = p;
}

int mlp_model_feature_count(const mlp_model *m)
{
    const char *x = mlp_model_name(m, MLP_INPUT, 0);
    return x ? (int)mlp_model_size(m, x) : 0;
}

void mlp_model_prepare_features(const mlp_model *m, double *x, int n)
{
    mlp_prep_scale_doubles(m->prep, x, n);
}

mlp_scale mlp_model_scale(const mlp_model *m) { return m->prep ? m->prep->scale : MLP_SCALE_NONE; }

int mlp_model_class_count(const mlp_model *m) { return m->prep ? m->prep->nclasses : 0; }

const char *mlp_model_class_name(const mlp_model *m, int i)
{
    return m->prep && i >= 0 && i < m->prep->nclasses ? m->prep->classes[i] : NULL;
}

const char *mlp_model_trained_columns(const mlp_model *m, int label)
{
    return !m->prep ? NULL : label ? m->prep->label : m->prep->features;
}

/* d as the model needs it: scaled with the model's statistics unless it was scaled already,
 * labels numbered as in training. NULL (and no error) when d is fine as it is. */
mlp_dataset *mlp_model_prepared_data(const mlp_model *m, const mlp_dataset *d, mlp_error *err)
{
    const struct mlp_prep *p = m->prep;
    bool scale = p && p->scale != MLP_SCALE_NONE && !d->scaled;
    bool relabel = false; /* d numbered its label texts itself: by the model's where they differ */
    for (int i = 0; p && p->nclasses && d->prep && d->ntarget == 1 && i < d->prep->nclasses; i++)
        relabel = relabel || mlp_prep_class(p, d->prep->classes[i]) != i;
    if (scale && d->nfeat != p->nfeat) {
        mlp_fail(err, MLP_ERR_INPUT, d->x_source, MLP_NOLOC, "%d features per sample, but the "
                 "scaling saved with the weights is for %d", d->nfeat, p->nfeat);
        return NULL;
    }
    if (!scale && !relabel)
        return NULL;
    mlp_dataset *c = mlp_dataset_alloc(d->n, d->nfeat, d->ntarget, d->x_source, d->y_source, err);
    if (!c)
        return NULL;
    memcpy(c->x, d->x, (size_t)d->n * (size_t)d->nfeat * sizeof *c->x);
    memcpy(c->y, d->y, (size_t)d->n * (size_t)d->ntarget * sizeof *c->y);
    c->bytes = d->bytes;
    c->scaled = d->scaled;
    if (scale)
        mlp_dataset_scale_with(c, p);
    for (int r = 0; relabel && r < c->n; r++) {
        int k = mlp_prep_class(p, d->prep->classes[(int)d->y[r]]);
        if (k < 0) {
            char shown[72];
            mlp_quote(d->prep->classes[(int)d->y[r]], shown, sizeof shown);
            mlp_fail(err, MLP_ERR_INPUT, d->y_source, MLP_NOLOC, "label '%s' is not one of the "
                     "%d classes the model was trained on", shown, p->nclasses);
            mlp_dataset_free(c);
            return NULL;
        }
        c->y[r] = (float)k;
    }
    return c;
}

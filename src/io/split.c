/* split.c - a held-out part of a data set (validation), and scaling like another set. */
#include "io/dataset.h"
#include "io/prep.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/rng.h"

#include <stdlib.h>
#include <string.h>

#define SPLIT_STREAM 0x53504c4954ULL /* "SPLIT" */

mlp_dataset *mlp_dataset_split(mlp_dataset *d, double fraction, uint64_t seed, mlp_error *err)
{
    int k = (int)(fraction * d->n + 0.5);
    if (!(fraction > 0 && fraction < 1) || k < 1 || k >= d->n) {
        mlp_fail(err, MLP_ERR_INPUT, d->x_source, MLP_NOLOC, "a held-out fraction %g of %d "
                 "samples leaves %d to hold out and %d to train on; both need at least one",
                 fraction, d->n, k, d->n - k);
        return NULL;
    }
    /* a seeded shuffle picks the k held out; both parts keep the file's order */
    int *perm = mlp_xmalloc((size_t)d->n * sizeof *perm);
    bool *out = mlp_xcalloc((size_t)d->n, sizeof *out);
    for (int i = 0; i < d->n; i++)
        perm[i] = i;
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, SPLIT_STREAM);
    for (int i = d->n - 1; i > 0; i--) {
        int j = (int)mlp_rng_below(&rng, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < k; i++)
        out[perm[i]] = true;
    free(perm);
    mlp_dataset *v = mlp_dataset_alloc(k, d->nfeat, d->ntarget, d->x_source, d->y_source, err);
    if (!v) {
        free(out);
        return NULL;
    }
    size_t fx = (size_t)d->nfeat, fy = (size_t)d->ntarget;
    int kept = 0, held = 0;
    for (int i = 0; i < d->n; i++) {
        float *xd = out[i] ? v->x + (size_t)held * fx : d->x + (size_t)kept * fx;
        float *yd = out[i] ? v->y + (size_t)held * fy : d->y + (size_t)kept * fy;
        memmove(xd, d->x + (size_t)i * fx, fx * sizeof *xd);
        memmove(yd, d->y + (size_t)i * fy, fy * sizeof *yd);
        *(out[i] ? &held : &kept) += 1;
    }
    free(out);
    d->n = kept;
    v->bytes = d->bytes;
    v->scaled = d->scaled;
    v->prep = mlp_prep_copy(d->prep);
    return v;
}

int mlp_dataset_scale_like(mlp_dataset *d, const mlp_dataset *train, mlp_error *err)
{
    if (!train->scaled || !train->prep || train->prep->scale == MLP_SCALE_NONE)
        return MLP_OK;
    if (d->nfeat != train->nfeat)
        return mlp_fail(err, MLP_ERR_INPUT, d->x_source, MLP_NOLOC, "%d features per sample, "
                        "but the training data has %d", d->nfeat, train->nfeat);
    mlp_dataset_scale_with(d, train->prep);
    return MLP_OK;
}

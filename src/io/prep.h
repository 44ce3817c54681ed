/* prep.h - preprocessing that travels with the weights: feature scaling with statistics from
 * the training set, the texts of CSV string labels, and the CSV columns trained on.
 *
 * `mlp train --save` writes it in the safetensors __metadata__ ("mlp.*" keys, text values);
 * loading those weights attaches it to the model, and evaluation and prediction apply it to raw
 * data, so that a model is never run on features scaled differently from its training. */
#ifndef MLP_IO_PREP_H
#define MLP_IO_PREP_H

#include <stdbool.h>
#include "mlp.h"

struct mlp_tensor_list;

struct mlp_prep {
    mlp_scale scale;       /* MLP_SCALE_NONE, MLP_SCALE_UNIT or MLP_SCALE_STANDARD */
    int nfeat;             /* features per sample the statistics are for */
    int nstat;             /* 1 (unit: over all features) or nfeat (standard) */
    double *shift, *factor; /* x' = (x - shift) * factor, per statistic */
    int nclasses;          /* the label texts by class index (CSV string labels), or 0 */
    char **classes;
    char *label;           /* CSV: the label column(s) trained on, or NULL */
    char *features;        /* CSV: the feature columns, comma-separated, or NULL */
};

struct mlp_prep *mlp_prep_new(void);
struct mlp_prep *mlp_prep_copy(const struct mlp_prep *p);
void mlp_prep_free(struct mlp_prep *p);
/* Whether p holds nothing (NULL is empty). */
bool mlp_prep_empty(const struct mlp_prep *p);

/* As __metadata__ entries of a weights file (appended to l's metadata). */
void mlp_prep_to_meta(const struct mlp_prep *p, struct mlp_tensor_list *l);
/* From a weights file's metadata: *out NULL when it has none. `nfeat` is the size of the
 * model's first input, which scaling statistics must match. */
int mlp_prep_from_meta(const struct mlp_tensor_list *l, int nfeat, const char *path,
                       struct mlp_prep **out, mlp_error *err);

/* Scale n rows of nfeat features in place with p's statistics (nothing without scaling). */
void mlp_prep_scale_floats(const struct mlp_prep *p, float *x, int64_t n);
void mlp_prep_scale_doubles(const struct mlp_prep *p, double *x, int64_t n);
/* The class index of a label text, or -1. */
int mlp_prep_class(const struct mlp_prep *p, const char *text);

#endif

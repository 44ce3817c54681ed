/* dataset.h - the data set behind the public mlp_dataset: samples as float32 rows.
 *
 * float32 because training runs in float32 and Fashion-MNIST's 60000 x 784 features then take
 * 188 MB rather than 376. */
#ifndef MLP_IO_DATASET_H
#define MLP_IO_DATASET_H

#include <stdbool.h>
#include "mlp.h"

struct mlp_dataset {
    int n, nfeat, ntarget;
    float *x;       /* n * nfeat features */
    float *y;       /* n * ntarget targets */
    bool bytes;     /* the features were bytes 0..255 (IDX images): MLP_SCALE_AUTO maps to [0, 1] */
    char *x_source; /* the file the features came from, for messages */
    char *y_source; /* the file the targets came from */
    struct mlp_prep *prep; /* what was done to the raw data (scaling, label texts), or NULL */
    bool scaled;           /* the features were scaled (by statistics of this set or another) */
};

/* A data set over malloc'ed arrays, which it takes over. */
mlp_dataset *mlp_dataset_wrap(int n, int nfeat, int ntarget, float *x, float *y,
                              const char *x_source, const char *y_source);
/* An empty data set of n samples (values zeroed); NULL with err set when memory is short. */
mlp_dataset *mlp_dataset_alloc(int n, int nfeat, int ntarget, const char *x_source,
                               const char *y_source, mlp_error *err);

/* A data set from a CSV file with a header row. `label` names the target columns; with
 * `label_optional` a label column the file lacks is no error (the set then has no targets).
 * A label column of texts ("setosa") becomes class indices: by `classes` when given (the
 * training set's texts; a text not among them is an error), else by its own sorted texts. */
mlp_dataset *mlp_csv_dataset(const char *path, const char *label, const char *features,
                             bool label_optional, const struct mlp_prep *classes, mlp_error *err);
/* Scale d's features with statistics computed before (from a training set). */
void mlp_dataset_scale_with(mlp_dataset *d, const struct mlp_prep *p);

#endif

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
};

/* A data set over malloc'ed arrays, which it takes over. */
mlp_dataset *mlp_dataset_wrap(int n, int nfeat, int ntarget, float *x, float *y,
                              const char *x_source, const char *y_source);
/* An empty data set of n samples (values zeroed); NULL with err set when memory is short. */
mlp_dataset *mlp_dataset_alloc(int n, int nfeat, int ntarget, const char *x_source,
                               const char *y_source, mlp_error *err);

#endif

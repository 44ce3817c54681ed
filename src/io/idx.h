/* idx.h - IDX arrays (the MNIST format), gzipped or not. The data set built from a pair of them
 * (images, labels) is in dataset.c. */
#ifndef MLP_IO_IDX_H
#define MLP_IO_IDX_H

#include <stddef.h>
#include <stdint.h>
#include "mlp.h"

/* An IDX array (the MNIST format) read from a file, gzipped or not. */
struct mlp_idx {
    int ndims;
    int64_t dim[4];
    int64_t count; /* product of dims */
    int type;      /* IDX type code: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64 */
    float *values;
};
/* Parse an IDX array held in memory. Values must be finite and fit float32. On failure
 * out->values is NULL. */
int mlp_idx_parse(const unsigned char *buf, size_t len, const char *path, struct mlp_idx *out,
                  mlp_error *err);
/* Parse an IDX file held in memory, gunzipping it first when it starts with gzip's magic bytes
 * (members one after another, as gzip -d reads them). */
int mlp_idx_load(const unsigned char *buf, size_t len, const char *path, struct mlp_idx *out,
                 mlp_error *err);
/* Read (gunzipping if needed) and parse an IDX file. */
int mlp_idx_read(const char *path, struct mlp_idx *out, mlp_error *err);

#endif

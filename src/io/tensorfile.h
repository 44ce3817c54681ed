/* tensorfile.h - named arrays read from and written to weight files (safetensors, npy).
 *
 * Readers check everything a hostile file could get wrong (lengths, offsets, shapes, dtypes)
 * and convert the values to float64; mapping names to a model's parameters is the API layer's
 * job (src/api/weights.c). */
#ifndef MLP_IO_TENSORFILE_H
#define MLP_IO_TENSORFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

struct mlp_tensor {
    char *name;
    int rank;
    int dim[MLP_MAX_RANK];
    int64_t size;   /* elements */
    double *values; /* size values, row-major */
};

struct mlp_tensor_list {
    int n;
    struct mlp_tensor *t;
    /* safetensors __metadata__: the entries mlp reads and writes (keys "mlp.*") */
    int nmeta;
    char **meta_key, **meta_value;
};
/* The metadata value for key, or NULL. */
const char *mlp_tensor_meta(const struct mlp_tensor_list *l, const char *key);

void mlp_tensor_list_free(struct mlp_tensor_list *l);

/* Parse a safetensors file held in memory; `path` names it in messages. F32 and F64 tensors
 * are accepted; every check of the format's reference reader is made. */
int mlp_safetensors_parse(const unsigned char *buf, size_t len, const char *path,
                          struct mlp_tensor_list *out, mlp_error *err);
int mlp_safetensors_read(const char *path, struct mlp_tensor_list *out, mlp_error *err);
/* Write tensors as F32 or F64 (atomically: temporary file, then rename). */
int mlp_safetensors_write(const char *path, const struct mlp_tensor_list *in, mlp_dtype dtype,
                          mlp_error *err);

/* Parse a .npy array (float32 or float64, either byte order, C order) held in memory. */
int mlp_npy_parse(const unsigned char *buf, size_t len, const char *path, struct mlp_tensor *out,
                  mlp_error *err);
int mlp_npy_read(const char *path, struct mlp_tensor *out, mlp_error *err);

/* Read a whole binary file (at most `limit` bytes) for the parsers above. */
int mlp_read_binary(const char *path, size_t limit, unsigned char **buf, size_t *len,
                    mlp_error *err);

/* Decode little/big-endian IEEE values of 4 or 8 bytes into doubles. */
void mlp_decode_floats(const unsigned char *src, int bytes, bool big_endian, int64_t n,
                       double *dst);

#endif

/* tensorfile.c - what the weight-file readers share: reading files, decoding floats. */
#include "io/tensorfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mlp_tensor_list_free(struct mlp_tensor_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->t[i].name);
        free(l->t[i].values);
    }
    free(l->t);
    for (int i = 0; i < l->nmeta; i++) {
        free(l->meta_key[i]);
        free(l->meta_value[i]);
    }
    free(l->meta_key);
    free(l->meta_value);
    memset(l, 0, sizeof *l);
}

const char *mlp_tensor_meta(const struct mlp_tensor_list *l, const char *key)
{
    for (int i = 0; i < l->nmeta; i++)
        if (!strcmp(l->meta_key[i], key))
            return l->meta_value[i];
    return NULL;
}

int mlp_read_binary(const char *path, size_t limit, unsigned char **buf, size_t *len,
                    mlp_error *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read: %s", strerror(errno));
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    int rc = MLP_OK;
    if (size < 0)
        rc = mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read: not a regular file");
    else if ((unsigned long)size > limit)
        rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file of %ld bytes is larger than "
                      "the limit of %zu", size, limit);
    else if (!(*buf = malloc((size_t)size + 1)))
        rc = mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory for %ld bytes", size);
    else if (fseek(f, 0, SEEK_SET) || fread(*buf, 1, (size_t)size, f) != (size_t)size)
        rc = mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "read failed: %s",
                      ferror(f) ? strerror(errno) : "the file changed while being read");
    fclose(f);
    if (rc != MLP_OK) {
        free(*buf);
        *buf = NULL;
        return rc;
    }
    *len = (size_t)size;
    return MLP_OK;
}

void mlp_decode_floats(const unsigned char *src, int bytes, bool big_endian, int64_t n,
                       double *dst)
{
    for (int64_t i = 0; i < n; i++, src += bytes) {
        uint64_t u = 0;
        for (int b = 0; b < bytes; b++)
            u |= (uint64_t)src[big_endian ? bytes - 1 - b : b] << (8 * b);
        if (bytes == 4) {
            uint32_t u32 = (uint32_t)u;
            float f;
            memcpy(&f, &u32, 4);
            dst[i] = f;
        } else {
            memcpy(&dst[i], &u, 8);
        }
    }
}

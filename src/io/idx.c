/* idx.c - IDX files, the format of MNIST and Fashion-MNIST, gzipped or not (zlib reads both):
 *
 *   0x00 0x00 TYPE NDIMS, then NDIMS sizes (4-byte big-endian), then the values, big-endian.
 *
 * Every size is checked against the file: a truncated or padded file, or a header whose sizes
 * disagree with the file's length, is an error naming both numbers.
 */
#include "io/dataset.h"
#include "base/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_BYTES ((size_t)1 << 32) /* 4 GiB of decompressed data at most */

static int type_size(int type)
{
    switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
    }
}

static const char *type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned bytes";
    case 0x09: return "signed bytes";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    default: return "float64";
    }
}

static double value_at(const unsigned char *p, int type)
{
    uint64_t u = 0;
    int size = type_size(type);
    for (int b = 0; b < size; b++)
        u = u << 8 | p[b];
    switch (type) {
    case 0x08: return (double)u;
    case 0x09: return (double)(int8_t)u;
    case 0x0B: return (double)(int16_t)u;
    case 0x0C: return (double)(int32_t)u;
    case 0x0D: {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, 4);
        return f;
    }
    default: {
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    }
}

int mlp_idx_parse(const unsigned char *buf, size_t len, const char *path, struct mlp_idx *out,
                  mlp_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < 4)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file of %zu bytes is too short for "
                        "an IDX header", len);
    if (buf[0] || buf[1])
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "bad magic number 0x%02x%02x%02x%02x "
                        "(an IDX file starts with two zero bytes, a type code and the number of "
                        "dimensions)", buf[0], buf[1], buf[2], buf[3]);
    out->type = buf[2];
    out->ndims = buf[3];
    if (!type_size(out->type))
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "unknown IDX type code 0x%02x",
                        out->type);
    if (out->ndims < 1 || out->ndims > 4)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "%d dimensions (mlp reads IDX "
                        "arrays of 1 to 4)", out->ndims);
    size_t header = 4 + 4 * (size_t)out->ndims;
    if (len < header)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file of %zu bytes ends inside the "
                        "%d dimension sizes", len, out->ndims);
    out->count = 1;
    for (int d = 0; d < out->ndims; d++) {
        const unsigned char *p = buf + 4 + 4 * d;
        out->dim[d] = (int64_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
        if (out->dim[d] > 0 && out->count > (int64_t)MAX_BYTES / out->dim[d])
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "dimension sizes too large");
        out->count *= out->dim[d];
    }
    int es = type_size(out->type);
    size_t need = (size_t)out->count * (size_t)es, have = len - header;
    if (need != have) {
        char dims[80] = "";
        for (int d = 0; d < out->ndims; d++)
            snprintf(dims + strlen(dims), sizeof dims - strlen(dims), d ? "x%lld" : "%lld",
                     (long long)out->dim[d]);
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the header's sizes %s need %zu "
                        "bytes of %s, but %zu bytes follow the header (%s)", dims, need,
                        type_name(out->type), have, need > have ? "truncated" : "trailing data");
    }
    out->values = malloc((size_t)(out->count ? out->count : 1) * sizeof *out->values);
    if (!out->values)
        return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
    for (int64_t i = 0; i < out->count; i++)
        out->values[i] = (float)value_at(buf + header + (size_t)i * (size_t)es, out->type);
    return MLP_OK;
}

/* The whole file, decompressed if it is gzip (zlib passes other files through unchanged). */
static int read_gz(const char *path, unsigned char **buf, size_t *len, mlp_error *err)
{
    *buf = NULL;
    *len = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read: %s",
                        errno ? strerror(errno) : "out of memory");
    size_t cap = 0;
    int rc = MLP_OK;
    for (;;) {
        if (*len == cap) {
            unsigned char *nb = cap < MAX_BYTES ? realloc(*buf, cap = cap ? 2 * cap : 1 << 16) : NULL;
            if (!nb) {
                rc = cap < MAX_BYTES ? mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory")
                                     : mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC,
                                                "more than %zu bytes of data", MAX_BYTES);
                break;
            }
            *buf = nb;
        }
        size_t want = cap - *len > (1u << 30) ? (1u << 30) : cap - *len;
        int got = gzread(f, *buf + *len, (unsigned)want), zerr;
        const char *msg = gzerror(f, &zerr);
        size_t plen = strlen(path);
        if (!strncmp(msg, path, plen) && !strncmp(msg + plen, ": ", 2))
            msg += plen + 2; /* zlib prefixes the path, which the error already names */
        if (got < 0 || (got == 0 && zerr != Z_OK)) {
            /* A gzip stream cut short reads as "unexpected end of file" (Z_BUF_ERROR). */
            rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "corrupt gzip data: %s",
                          zerr == Z_ERRNO ? strerror(errno) : msg);
            break;
        }
        *len += (size_t)got;
        if (got == 0)
            break;
    }
    gzclose(f);
    if (rc != MLP_OK) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

int mlp_idx_read(const char *path, struct mlp_idx *out, mlp_error *err)
{
    unsigned char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    int rc = read_gz(path, &buf, &len, err);
    if (rc == MLP_OK)
        rc = mlp_idx_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

mlp_dataset *mlp_idx_dataset(const char *images, const char *labels, mlp_error *err)
{
    struct mlp_idx x, y;
    if (mlp_idx_read(images, &x, err) != MLP_OK)
        return NULL;
    if (mlp_idx_read(labels, &y, err) != MLP_OK) {
        free(x.values);
        return NULL;
    }
    mlp_dataset *d = NULL;
    if (x.dim[0] != y.dim[0])
        mlp_fail(err, MLP_ERR_INPUT, labels, MLP_NOLOC, "%lld labels for the %lld samples of %s",
                 (long long)y.dim[0], (long long)x.dim[0], images);
    else if (x.dim[0] == 0 || x.dim[0] > (1 << 30) || x.count / x.dim[0] > (1 << 30))
        mlp_fail(err, MLP_ERR_INPUT, images, MLP_NOLOC, "%lld samples: nothing to train on",
                 (long long)x.dim[0]);
    else /* the arrays are already float32 rows in sample order: the data set takes them */
        d = mlp_dataset_wrap((int)x.dim[0], (int)(x.count / x.dim[0]), (int)(y.count / y.dim[0]),
                             x.values, y.values, images, labels);
    if (d) {
        d->bytes = x.type == 0x08;
        return d;
    }
    free(x.values);
    free(y.values);
    return NULL;
}

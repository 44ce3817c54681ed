/* idx.c - IDX files, the format of MNIST and Fashion-MNIST, gzipped or not (zlib inflates):
 *
 *   0x00 0x00 TYPE NDIMS, then NDIMS sizes (4-byte big-endian), then the values, big-endian.
 *
 * Every size is checked against the file: a truncated or padded file, or a header whose sizes
 * disagree with the file's length, is an error naming both numbers.
 */
#include "io/idx.h"
#include "base/error.h"
#include "base/mem.h"
#include "io/tensorfile.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
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

/* The header at buf (avail bytes of it there): type, dimensions and element count; *header
 * receives its length. Messages count `avail` as the file's length, which it is whenever the
 * header does not fit. */
static int parse_header(const unsigned char *buf, size_t avail, const char *path,
                        struct mlp_idx *out, size_t *header, mlp_error *err)
{
    if (avail < 4)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file of %zu bytes is too short for "
                        "an IDX header", avail);
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
    *header = 4 + 4 * (size_t)out->ndims;
    if (avail < *header)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file of %zu bytes ends inside the "
                        "%d dimension sizes", avail, out->ndims);
    out->count = 1;
    for (int d = 0; d < out->ndims; d++) {
        const unsigned char *p = buf + 4 + 4 * d;
        out->dim[d] = (int64_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
        if (out->dim[d] > 0 && out->count > (int64_t)MAX_BYTES / out->dim[d])
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "dimension sizes too large");
        out->count *= out->dim[d];
    }
    return MLP_OK;
}

/* Bytes of data the header asks for. */
static size_t data_bytes(const struct mlp_idx *x)
{
    return (size_t)x->count * (size_t)type_size(x->type);
}

/* The data after the header must be exactly what the header's sizes need. */
static int check_length(const struct mlp_idx *x, size_t have, const char *path, mlp_error *err)
{
    size_t need = data_bytes(x);
    if (need == have)
        return MLP_OK;
    char dims[80] = "";
    for (int d = 0; d < x->ndims; d++)
        snprintf(dims + strlen(dims), sizeof dims - strlen(dims), d ? "x%lld" : "%lld",
                 (long long)x->dim[d]);
    return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the header's sizes %s need %zu bytes of "
                    "%s, but %zu bytes follow the header (%s)", dims, need, type_name(x->type),
                    have, need > have ? "truncated" : "trailing data");
}

/* Refuse, before allocating, an array larger than the machine's memory: with overcommit the
 * allocation would succeed and the process be killed while filling it. `extra` bytes are
 * needed besides the values (the decompressed data). */
static int check_memory(const struct mlp_idx *x, size_t extra, const char *path, mlp_error *err)
{
    size_t have = mlp_memory_budget(), need = (size_t)x->count * sizeof *x->values + extra;
    if (need <= have)
        return MLP_OK;
    return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory: %lld values need %zu "
                    "bytes, more than the %zu available (MemAvailable, or --max-memory)",
                    (long long)x->count, need, have);
}

/* Convert the data (the header's count of values at buf) to float32. Values that are not
 * finite, or too large for float32, are errors: as in CSV data, a NaN would only show up as a
 * NaN loss, epochs later. */
static int decode(struct mlp_idx *x, const unsigned char *buf, const char *path, mlp_error *err)
{
    x->values = malloc((size_t)(x->count ? x->count : 1) * sizeof *x->values);
    if (!x->values)
        return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
    mlp_advise_huge_pages(x->values, (size_t)x->count * sizeof *x->values);
    int es = type_size(x->type), rc = MLP_OK;
    if (x->type == 0x08) { /* bytes (images): always finite; the common case, made fast */
        for (int64_t i = 0; i < x->count; i++)
            x->values[i] = buf[i];
        return MLP_OK;
    }
    for (int64_t i = 0; i < x->count && rc == MLP_OK; i++) {
        double v = value_at(buf + (size_t)i * (size_t)es, x->type);
        if (!isfinite(v))
            rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "value %lld of the data is %s, not "
                          "a finite number", (long long)i, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        else if (fabs(v) > FLT_MAX)
            rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "value %lld of the data, %g, is "
                          "beyond the range of float32", (long long)i, v);
        else
            x->values[i] = (float)v;
    }
    if (rc != MLP_OK) {
        free(x->values);
        x->values = NULL;
    }
    return rc;
}

int mlp_idx_parse(const unsigned char *buf, size_t len, const char *path, struct mlp_idx *out,
                  mlp_error *err)
{
    memset(out, 0, sizeof *out);
    size_t header;
    int rc = parse_header(buf, len, path, out, &header, err);
    if (rc == MLP_OK)
        rc = check_length(out, len - header, path, err);
    if (rc == MLP_OK)
        rc = check_memory(out, 0, path, err);
    if (rc == MLP_OK)
        rc = decode(out, buf + header, path, err);
    return rc;
}

/* ---- gzip ---- */

/* Decompressing: the input, and where the output goes. The first `max` bytes of output are
 * kept in out (grown as they arrive when `grow`, so that what is allocated follows the data
 * that is really there, not what a header claims); the rest is only counted. */
struct gunzip {
    z_stream z;
    const unsigned char *in;
    size_t len, fed;  /* input, and how much of it has been given to zlib */
    unsigned char *out;
    size_t cap, max;  /* out holds cap bytes; at most max are kept */
    bool grow;        /* out is malloc'ed and may grow up to max */
    size_t total;     /* bytes decompressed so far */
};

static int gz_fail(const char *path, const char *what, mlp_error *err)
{
    return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "corrupt gzip data: %s", what);
}

/* Where the next output goes (at most `room` bytes): out, grown if need be, or a sink. */
static int gz_room(struct gunzip *g, unsigned char *sink, size_t sink_size, unsigned char **at,
                   size_t *room, const char *path, mlp_error *err)
{
    if (g->total == g->cap && g->grow && g->cap < g->max) {
        size_t cap = g->cap ? 2 * g->cap : (size_t)1 << 16;
        cap = cap < g->max ? cap : g->max;
        unsigned char *p = realloc(g->out, cap);
        if (!p)
            return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
        g->out = p;
        g->cap = cap;
    }
    bool keep = g->total < g->cap;
    *at = keep ? g->out + g->total : sink;
    *room = keep ? g->cap - g->total : sink_size;
    *room = *room > (1u << 30) ? (1u << 30) : *room;
    return MLP_OK;
}

/* Decompress the gzip members of the input one after another, as gzip -d does, to the end (or,
 * with `stop`, until max bytes are kept: to read a header); more than MAX_BYTES is an error.
 * Data after the last member that is not another member is an error too. */
static int gunzip(struct gunzip *g, bool stop, const char *path, mlp_error *err)
{
    unsigned char sink[1 << 14];
    for (;;) {
        if (g->z.avail_in == 0 && g->fed < g->len) {
            size_t n = g->len - g->fed > (1u << 30) ? (1u << 30) : g->len - g->fed;
            g->z.next_in = (unsigned char *)g->in + g->fed;
            g->z.avail_in = (unsigned)n;
            g->fed += n;
        }
        if (stop && g->total >= g->max)
            return MLP_OK;
        unsigned char *at = sink;
        size_t room = 0;
        if (gz_room(g, sink, sizeof sink, &at, &room, path, err) != MLP_OK)
            return MLP_ERR_NOMEM;
        g->z.next_out = at;
        g->z.avail_out = (unsigned)room;
        int r = inflate(&g->z, Z_NO_FLUSH);
        g->total += room - g->z.avail_out;
        if (g->total > MAX_BYTES)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "more than %zu bytes of data",
                            MAX_BYTES);
        size_t left = g->z.avail_in + (g->len - g->fed);
        if (r == Z_STREAM_END) {
            if (left == 0)
                return MLP_OK;
            if (left < 2 || g->z.next_in[0] != 0x1f || g->z.next_in[1] != 0x8b)
                return gz_fail(path, "data after the end of the gzip stream", err);
            inflateReset(&g->z); /* another member follows */
        } else if (r == Z_BUF_ERROR) { /* no progress: there is room, so input is missing */
            return gz_fail(path, "unexpected end of file", err);
        } else if (r == Z_MEM_ERROR) {
            return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
        } else if (r != Z_OK) {
            return gz_fail(path, g->z.msg ? g->z.msg : "invalid data", err);
        }
    }
}

/* One pass of gunzip over the whole input, from the start; g->out, g->max and g->grow say where
 * the output goes. */
static int gunzip_pass(struct gunzip *g, const unsigned char *in, size_t len, bool stop,
                       const char *path, mlp_error *err)
{
    g->in = in;
    g->len = len;
    g->fed = g->total = 0;
    memset(&g->z, 0, sizeof g->z);
    if (inflateInit2(&g->z, 15 + 16) != Z_OK) /* 16: gzip format only */
        return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
    int rc = gunzip(g, stop, path, err);
    inflateEnd(&g->z);
    return rc;
}

/* A gzipped IDX file: the header first, then the data, kept up to the size the header asks
 * for (when that fits the machine's memory) and counted beyond it; the checks then come in the
 * order of a plain file's. */
static int load_gzip(const unsigned char *in, size_t len, const char *path, struct mlp_idx *out,
                     mlp_error *err)
{
    unsigned char head[4 + 4 * 4];
    struct gunzip g = {.out = head, .cap = sizeof head, .max = sizeof head};
    size_t header;
    int rc = gunzip_pass(&g, in, len, true, path, err);
    if (rc != MLP_OK)
        return rc;
    mlp_error herr = {0};
    rc = parse_header(head, g.total < sizeof head ? g.total : sizeof head, path, out, &header, &herr);
    if (rc != MLP_OK) {
        /* A damaged stream is the first thing wrong, as reading it whole shows (its checksum
         * comes last): inflate it to the end, keeping nothing, before blaming the header. */
        g = (struct gunzip){.max = 0};
        int zrc = gunzip_pass(&g, in, len, false, path, err);
        if (zrc != MLP_OK)
            return zrc;
        if (err)
            *err = herr;
        return rc;
    }
    size_t want = header + data_bytes(out);
    bool keep = want <= mlp_memory_budget();
    g = (struct gunzip){.max = keep ? want : 0, .grow = true};
    rc = gunzip_pass(&g, in, len, false, path, err);
    if (rc == MLP_OK)
        rc = check_length(out, g.total - header, path, err);
    if (rc == MLP_OK) /* the decompressed data counts too: not kept when it cannot fit */
        rc = check_memory(out, keep ? 0 : want, path, err);
    if (rc == MLP_OK)
        rc = decode(out, g.out + header, path, err);
    free(g.out);
    return rc;
}

int mlp_idx_load(const unsigned char *buf, size_t len, const char *path, struct mlp_idx *out,
                 mlp_error *err)
{
    memset(out, 0, sizeof *out);
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return load_gzip(buf, len, path, out, err);
    return mlp_idx_parse(buf, len, path, out, err);
}

int mlp_idx_read(const char *path, struct mlp_idx *out, mlp_error *err)
{
    unsigned char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    int rc = mlp_read_binary(path, MAX_BYTES, &buf, &len, err);
    if (rc == MLP_OK)
        rc = mlp_idx_load(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* fuzz_idx.c - IDX data files, gzipped or not (mlp_idx_load: what mlp_idx_read does once the
 * file is in memory).
 *
 * For a file that does not load: an input error naming the file, with a one-line message (or
 * "out of memory" for sizes beyond the machine's memory).
 * For a file that loads: 1 to 4 dimensions, a count that is their product, every value finite,
 * and the data consistent with the header: the (decompressed) file is exactly the header plus
 * count values of the type, and each value is the big-endian number stored there.
 * Gzipped files are checked against zlib's own reader (gzread, as `gzip -d` reads): mlp loads a
 * file exactly when the bytes gzread gives load as a plain IDX file, to the same array, with the
 * same message when they do not - except that mlp also refuses data after the last gzip member,
 * which gzread ignores. And every plain input is also gzipped, in one member and split in two,
 * which must load exactly as the plain bytes do (same array, or same message): the fuzzer's
 * mutations of plain files reach the gzip path whole, where mutated gzip is mostly corrupt.
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io/dataset.h"
#include "io/idx.h"

#define FILE_NAME "fuzz.idx"
#define REF_LIMIT ((size_t)1 << 23) /* gzread output compared at most (inputs are small) */

/* A scratch file and buffer for gzread, made once: the harness's own state. */
static FILE *ref;
static unsigned char *ref_out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ref = tmpfile();
    ref_out = malloc(REF_LIMIT);
    FUZZ_ASSERT(ref && ref_out, "cannot make a temporary file");
    return 0;
}

/* The big-endian value of `type` at p, as the format defines it. */
static double stored(const unsigned char *p, int type)
{
    int size = type == 0x0B ? 2 : type == 0x0C || type == 0x0D ? 4 : type == 0x0E ? 8 : 1;
    uint64_t u = 0;
    for (int b = 0; b < size; b++)
        u = u << 8 | p[b];
    if (type == 0x0D) {
        float f;
        uint32_t u32 = (uint32_t)u;
        memcpy(&f, &u32, 4);
        return f;
    }
    double d;
    memcpy(&d, &u, 8);
    return type == 0x08 ? (double)u : type == 0x09 ? (double)(int8_t)u
         : type == 0x0B ? (double)(int16_t)u : type == 0x0C ? (double)(int32_t)u : d;
}

/* A loaded array against the plain bytes it came from. */
static void check_array(const struct mlp_idx *x, const unsigned char *bytes, size_t len)
{
    FUZZ_ASSERT(x->ndims >= 1 && x->ndims <= 4, "%d dimensions", x->ndims);
    int64_t count = 1;
    for (int d = 0; d < x->ndims; d++)
        count *= x->dim[d];
    FUZZ_ASSERT(count == x->count, "count %lld for sizes whose product is %lld",
                (long long)x->count, (long long)count);
    int es = x->type == 0x0B ? 2 : x->type == 0x0C || x->type == 0x0D ? 4 : x->type == 0x0E ? 8 : 1;
    size_t header = 4 + 4 * (size_t)x->ndims;
    FUZZ_ASSERT(len == header + (size_t)count * (size_t)es, "%zu bytes for a header of %zu and "
                "%lld values of %d bytes", len, header, (long long)count, es);
    for (int64_t i = 0; i < count; i++) {
        FUZZ_ASSERT(isfinite(x->values[i]), "value %lld is %g", (long long)i, x->values[i]);
        FUZZ_ASSERT(x->values[i] == (float)stored(bytes + header + (size_t)i * (size_t)es, x->type),
                    "value %lld is %g", (long long)i, x->values[i]);
    }
}

/* What zlib's gzread makes of the file: 1 with the decompressed bytes in ref_out, 0 when they
 * are too many to compare, -1 when gzread fails. */
static int gzread_all(const uint8_t *data, size_t size, size_t *len)
{
    FUZZ_ASSERT(fseek(ref, 0, SEEK_SET) == 0 && ftruncate(fileno(ref), 0) == 0 &&
                fwrite(data, 1, size, ref) == size && fflush(ref) == 0, "cannot write");
    int fd = dup(fileno(ref));
    FUZZ_ASSERT(fd >= 0 && lseek(fd, 0, SEEK_SET) == 0, "cannot reopen");
    gzFile f = gzdopen(fd, "rb");
    FUZZ_ASSERT(f, "gzdopen");
    int got = gzread(f, ref_out, (unsigned)REF_LIMIT), zerr = Z_OK;
    gzerror(f, &zerr);
    gzclose(f);
    *len = got > 0 ? (size_t)got : 0;
    return got < 0 || zerr != Z_OK ? -1 : *len == REF_LIMIT ? 0 : 1;
}

/* A gzipped file against gzread's reading of it. */
static void check_gzip(const uint8_t *data, size_t size, int rc, const struct mlp_idx *x,
                       const mlp_error *err)
{
    size_t len = 0;
    int got = gzread_all(data, size, &len);
    const unsigned char *plain = ref_out;
    bool trailing = rc != MLP_OK && strstr(err->message, "after the end of the gzip stream");
    if (got == 0)
        return;
    if (got < 0) {
        FUZZ_ASSERT(rc != MLP_OK, "loaded a file that gzread cannot read");
        FUZZ_ASSERT(!strncmp(err->message, "corrupt gzip data: ", 19) || trailing ||
                    !strncmp(err->message, "out of memory", 13), "gzread fails, but: %s",
                    err->message);
        return;
    }
    struct mlp_idx y;
    mlp_error e = {0};
    int rc2 = mlp_idx_parse(plain, len, FILE_NAME, &y, &e);
    if (!trailing) {
        FUZZ_ASSERT(rc == rc2, "gzipped: status %d (%s); the bytes gzread gives: %d (%s)", rc,
                    err->message, rc2, e.message);
        FUZZ_ASSERT(rc == MLP_OK || !strcmp(err->message, e.message),
                    "gzipped: '%s'; the bytes gzread gives: '%s'", err->message, e.message);
    }
    if (rc == MLP_OK) {
        check_array(x, plain, len);
        FUZZ_ASSERT(!memcmp(x->values, y.values, (size_t)x->count * sizeof *x->values),
                    "gzipped and plain values differ");
    }
    free(y.values);
}

/* Append data gzipped (one member) to *out at *len; the buffer is ref_out's size. */
static void gzip_append(const uint8_t *data, size_t size, unsigned char *out, size_t *len)
{
    z_stream z = {0};
    FUZZ_ASSERT(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflate");
    z.next_in = (unsigned char *)data;
    z.avail_in = (unsigned)size;
    z.next_out = out + *len;
    z.avail_out = (unsigned)(REF_LIMIT - *len);
    FUZZ_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
    *len = REF_LIMIT - z.avail_out;
    deflateEnd(&z);
}

/* The plain bytes, gzipped in `parts` members, load as the plain bytes did. */
static void check_gzipped(const uint8_t *data, size_t size, int parts, int rc,
                          const struct mlp_idx *x, const mlp_error *err)
{
    size_t len = 0, cut = parts == 2 ? size / 2 : size;
    gzip_append(data, cut, ref_out, &len);
    if (parts == 2)
        gzip_append(data + cut, size - cut, ref_out, &len);
    struct mlp_idx y;
    mlp_error e = {0};
    int rc2 = mlp_idx_load(ref_out, len, FILE_NAME, &y, &e);
    FUZZ_ASSERT(rc == rc2 && (rc != MLP_OK || !strcmp(err->message, e.message)),
                "plain: status %d (%s); gzipped in %d: %d (%s)", rc, err->message, parts, rc2,
                e.message);
    FUZZ_ASSERT(rc != MLP_OK || (x->count == y.count &&
                !memcmp(x->values, y.values, (size_t)x->count * sizeof *x->values)),
                "plain and gzipped in %d load differently", parts);
    free(y.values);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mlp_idx x;
    mlp_error err = {0};
    int rc = mlp_idx_load(data, size, FILE_NAME, &x, &err);
    if (rc != MLP_OK) {
        if (err.status == MLP_ERR_NOMEM && !strncmp(err.message, "out of memory: ", 15))
            err.status = MLP_ERR_INPUT; /* sizes beyond this machine's memory: refused alike */
        fuzz_check_error(&err, "", 0, FILE_NAME);
    }
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        check_gzip(data, size, rc, &x, &err);
    else if (size < REF_LIMIT / 4) {
        if (rc == MLP_OK)
            check_array(&x, data, size);
        check_gzipped(data, size, 1, rc, &x, &err);
        check_gzipped(data, size, 2, rc, &x, &err);
    }
    free(x.values);
    return 0;
}

/* npy.c - NumPy's .npy arrays (format versions 1.0, 2.0 and 3.0):
 *
 *   "\x93NUMPY", major, minor, header length (2 bytes in 1.0, 4 after; little-endian),
 *   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ending in
 *   '\n', then the data. float32 and float64 in either byte order load; the data must fill the
 *   rest of the file exactly.
 */
#include "io/tensorfile.h"
#include "base/mem.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct npy_header {
    char descr[16];
    int fortran; /* -1 until seen */
    int rank;    /* -1 until seen */
    int64_t dim[MLP_MAX_RANK + 1];
};

struct scan {
    const char *s;
    size_t len, pos;
};

static void skip_ws(struct scan *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
        c->pos++;
}

static bool accept(struct scan *c, char ch)
{
    skip_ws(c);
    if (c->pos < c->len && c->s[c->pos] == ch) {
        c->pos++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes or control characters (Python refuses a NUL in a
 * literal, and "<f4\0..." must not read as "<f4"), into buf. */
static bool quoted(struct scan *c, char *buf, size_t size)
{
    skip_ws(c);
    if (c->pos >= c->len || (c->s[c->pos] != '\'' && c->s[c->pos] != '"'))
        return false;
    char q = c->s[c->pos++];
    size_t start = c->pos;
    while (c->pos < c->len && c->s[c->pos] != q)
        if ((unsigned char)c->s[c->pos++] < 0x20)
            return c->pos--, false;
    size_t n = c->pos - start;
    if (c->pos >= c->len || n >= size)
        return false;
    memcpy(buf, c->s + start, n);
    buf[n] = 0;
    c->pos++;
    return true;
}

static bool word(struct scan *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if (c->len - c->pos >= n && !memcmp(c->s + c->pos, w, n)) {
        c->pos += n;
        return true;
    }
    return false;
}

/* A shape tuple: (), (3,), (2, 3). */
static bool shape_tuple(struct scan *c, struct npy_header *h)
{
    if (!accept(c, '('))
        return false;
    h->rank = 0;
    while (!accept(c, ')')) {
        skip_ws(c);
        int64_t v = 0;
        size_t start = c->pos;
        while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9' && v <= INT_MAX)
            v = v * 10 + (c->s[c->pos++] - '0');
        if (c->pos == start || v > INT_MAX || h->rank > MLP_MAX_RANK)
            return false;
        h->dim[h->rank++] = v;
        if (!accept(c, ',') && (skip_ws(c), c->pos >= c->len || c->s[c->pos] != ')'))
            return false;
    }
    return true;
}

/* The header dict; false (with *what naming the problem) when it is malformed. */
static bool parse_header(struct scan *c, struct npy_header *h, const char **what)
{
    h->fortran = h->rank = -1;
    h->descr[0] = 0;
    *what = "expected a dict {'descr': ..., 'fortran_order': ..., 'shape': ...}";
    if (!accept(c, '{'))
        return false;
    while (!accept(c, '}')) {
        char key[32];
        if (!quoted(c, key, sizeof key) || !accept(c, ':'))
            return false;
        if (!strcmp(key, "descr")) {
            if (!quoted(c, h->descr, sizeof h->descr))
                return *what = "'descr' must be a dtype string such as '<f4'", false;
        } else if (!strcmp(key, "fortran_order")) {
            h->fortran = word(c, "True") ? 1 : word(c, "False") ? 0 : -2;
            if (h->fortran == -2)
                return *what = "'fortran_order' must be True or False", false;
        } else if (!strcmp(key, "shape")) {
            if (!shape_tuple(c, h))
                return *what = "'shape' must be a tuple of at most 4 sizes", false;
        } else {
            return *what = "unknown key in the header dict", false;
        }
        if (!accept(c, ',')) {
            if (!accept(c, '}'))
                return false;
            break;
        }
    }
    if (h->fortran < 0 || h->rank < 0 || !h->descr[0])
        return *what = "the header dict needs 'descr', 'fortran_order' and 'shape'", false;
    skip_ws(c);
    if (c->pos < c->len && c->s[c->pos] == '\n')
        c->pos++;
    skip_ws(c);
    if (c->pos != c->len)
        return *what = "text after the header dict", false;
    return true;
}

int mlp_npy_parse(const unsigned char *buf, size_t len, const char *path, struct mlp_tensor *out,
                  mlp_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "not a .npy file (it does not start "
                        "with \\x93NUMPY)");
    int major = buf[6];
    if (major < 1 || major > 3)
        return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, ".npy format version %d.%d "
                        "is not supported (1.0 to 3.0 are)", major, buf[7]);
    size_t lenbytes = major == 1 ? 2 : 4, hlen = 0;
    if (len < 8 + lenbytes)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file ends inside the header length");
    for (size_t b = 0; b < lenbytes; b++)
        hlen |= (size_t)buf[8 + b] << (8 * b);
    size_t start = 8 + lenbytes;
    if (hlen > len - start)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "header length %zu runs past the end "
                        "of the file (%zu bytes follow it)", hlen, len - start);
    struct npy_header h;
    const char *what;
    struct scan c = {(const char *)buf + start, hlen, 0};
    if (!parse_header(&c, &h, &what))
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "bad .npy header at byte %zu: %s",
                        start + c.pos, what);
    bool big = h.descr[0] == '>';
    int es = !strcmp(h.descr + 1, "f4") ? 4 : !strcmp(h.descr + 1, "f8") ? 8 : 0;
    char shown[32];
    if (!strchr("<>=|", h.descr[0]) || !es)
        return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, "array dtype '%s' is not "
                        "supported (mlp loads float32 '<f4' and float64 '<f8')",
                        mlp_quote(h.descr, shown, sizeof shown));
    if (h.fortran)
        return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, "the array is stored in "
                        "Fortran order; save it with np.ascontiguousarray first");
    if (h.rank > MLP_MAX_RANK)
        return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, "the array has %d dimensions; "
                        "mlp values have at most %d", h.rank, MLP_MAX_RANK);
    const uint64_t limit = MLP_MAX_FILE_BYTES; /* elements: none can be smaller than a byte */
    uint64_t count = 1;
    bool huge = false;
    for (int d = 0; d < h.rank; d++) {
        huge |= h.dim[d] && count > limit / (uint64_t)h.dim[d];
        count = huge ? count : count * (uint64_t)h.dim[d];
    }
    size_t data = len - start - hlen;
    if (huge)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the shape is too large");
    if (count * (uint64_t)es != data)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the shape needs %llu bytes of data, "
                        "but the file has %zu after the header", (unsigned long long)count * es,
                        data);
    out->values = malloc((size_t)(count ? count : 1) * sizeof *out->values);
    if (!out->values)
        return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
    out->rank = h.rank;
    for (int d = 0; d < h.rank; d++)
        out->dim[d] = (int)h.dim[d];
    out->size = (int64_t)count;
    mlp_decode_floats(buf + start + hlen, es, big, out->size, out->values);
    return MLP_OK;
}

int mlp_npy_read(const char *path, struct mlp_tensor *out, mlp_error *err)
{
    unsigned char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    int rc = mlp_read_binary(path, MLP_MAX_FILE_BYTES, &buf, &len, err);
    if (rc == MLP_OK)
        rc = mlp_npy_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

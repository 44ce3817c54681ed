/* safetensors.c - the safetensors weight format, as PyTorch's `safetensors` package writes it:
 *
 *   8 bytes   N, the header length (unsigned little-endian)
 *   N bytes   a JSON object: {"NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [B, E]},
 *             ..., "__metadata__": {"key": "text"}}   (padded with spaces)
 *   the rest  tensor data, little-endian, row-major; offsets are relative to its start
 *
 * The reader makes every check of the format's reference reader (header length within the file
 * and at most 100 MB, a JSON object, known dtypes, offsets that tile the data exactly with no
 * gap or overlap, sizes that match shapes) and also rejects duplicate names, which JSON allows
 * but which would make a name mean two tensors.
 */
#include "io/tensorfile.h"
#include "base/mem.h"
#include "base/rng.h"
#include "base/strbuf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER 100000000u /* the reference reader's limit */
#define MAX_DEPTH 64

/* ---- a small JSON scanner over the header ---- */

struct js {
    const char *s;
    size_t len, pos;
    const char *path;
    mlp_error *err;
};

static bool js_fail(struct js *j, const char *fmt, ...) MLP_PRINTF(2, 3);
static bool js_fail(struct js *j, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Positions count from the start of the file: the header begins at byte 8. */
    mlp_fail(j->err, MLP_ERR_INPUT, j->path, MLP_NOLOC, "invalid safetensors header at byte %zu: %s",
             j->pos + 8, msg);
    return false;
}

static void js_ws(struct js *j)
{
    while (j->pos < j->len && strchr(" \t\r\n", j->s[j->pos]) && j->s[j->pos])
        j->pos++;
}

static int js_peek(struct js *j)
{
    js_ws(j);
    return j->pos < j->len ? (unsigned char)j->s[j->pos] : -1;
}

static bool js_expect(struct js *j, char c)
{
    if (js_peek(j) != c)
        return js_fail(j, "expected '%c'", c);
    j->pos++;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(mlp_strbuf *b, uint32_t cp)
{
    if (cp < 0x80) {
        mlp_sb_putc(b, (char)cp);
    } else if (cp < 0x800) {
        mlp_sb_putc(b, (char)(0xC0 | cp >> 6));
        mlp_sb_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        mlp_sb_putc(b, (char)(0xE0 | cp >> 12));
        mlp_sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        mlp_sb_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        mlp_sb_putc(b, (char)(0xF0 | cp >> 18));
        mlp_sb_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        mlp_sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        mlp_sb_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A \uXXXX escape (with its low surrogate, if it is a high one) at j->pos, after the 'u'. */
static bool js_unicode(struct js *j, mlp_strbuf *b)
{
    int cp = j->pos + 4 <= j->len ? hex4(j->s + j->pos) : -1;
    if (cp < 0)
        return js_fail(j, "bad \\u escape");
    j->pos += 4;
    if (cp >= 0xD800 && cp < 0xDC00) {
        int lo = j->pos + 6 <= j->len && j->s[j->pos] == '\\' && j->s[j->pos + 1] == 'u'
                     ? hex4(j->s + j->pos + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return js_fail(j, "unpaired surrogate in a \\u escape");
        j->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp < 0xE000) {
        return js_fail(j, "unpaired surrogate in a \\u escape");
    }
    put_utf8(b, (uint32_t)cp);
    return true;
}

/* A string; *out (malloc'ed) receives it decoded, or nothing when out is NULL. A name (out
 * given) may not hold \u0000: as a C string "W\u0000x" would be "W", another name. */
static bool js_string(struct js *j, char **out)
{
    if (!js_expect(j, '"'))
        return false;
    mlp_strbuf b = {0};
    for (;;) {
        if (j->pos >= j->len) {
            mlp_sb_free(&b);
            return js_fail(j, "unterminated string");
        }
        unsigned char c = (unsigned char)j->s[j->pos++];
        if (c == '"')
            break;
        if (c < 0x20) {
            mlp_sb_free(&b);
            j->pos--;
            return js_fail(j, "control character in a string");
        }
        if (c != '\\') {
            mlp_sb_putc(&b, (char)c);
            continue;
        }
        char e = j->pos < j->len ? j->s[j->pos++] : 0;
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            mlp_sb_putc(&b, to[k - from]);
        } else if (e != 'u' || !js_unicode(j, &b)) {
            mlp_sb_free(&b);
            if (e == 'u')
                return false;
            j->pos -= e != 0; /* point at the character after the backslash */
            return e > ' ' && e < 0x7f ? js_fail(j, "bad escape '\\%c'", e)
                                       : js_fail(j, "bad escape: '\\' then byte 0x%02x", (unsigned char)e);
        }
    }
    if (out && b.len != strlen(mlp_sb_str(&b))) {
        mlp_sb_free(&b);
        return js_fail(j, "a name or dtype holds the character \\u0000");
    }
    if (out)
        *out = b.s ? mlp_sb_take(&b) : mlp_xstrdup("");
    mlp_sb_free(&b);
    return true;
}

/* A non-negative integer that fits in 64 bits. */
static bool js_uint(struct js *j, uint64_t *out)
{
    js_ws(j);
    size_t start = j->pos;
    uint64_t v = 0;
    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') {
        unsigned d = (unsigned)(j->s[j->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return js_fail(j, "integer too large");
        v = v * 10 + d;
        j->pos++;
    }
    if (j->pos == start)
        return js_fail(j, "expected a non-negative integer");
    if (j->pos - start > 1 && j->s[start] == '0')
        return js_fail(j, "leading zero in an integer");
    if (j->pos < j->len && strchr(".eE", j->s[j->pos]) && j->s[j->pos])
        return js_fail(j, "expected an integer, not a fraction");
    *out = v;
    return true;
}

/* Call item() for each element of an array (or member of an object, with its key). */
static bool js_list(struct js *j, char open, bool (*item)(struct js *, char *key, void *), void *ctx)
{
    char close = open == '{' ? '}' : ']';
    if (!js_expect(j, open))
        return false;
    if (js_peek(j) == close) {
        j->pos++;
        return true;
    }
    for (;;) {
        char *key = NULL;
        if (open == '{' && (!js_string(j, &key) || !js_expect(j, ':'))) {
            free(key);
            return false;
        }
        if (!item(j, key, ctx))
            return false;
        int c = js_peek(j);
        j->pos++;
        if (c == close)
            return true;
        if (c != ',') {
            j->pos--;
            return js_fail(j, "expected ',' or '%c'", close);
        }
    }
}

/* ---- the header's meaning ---- */

struct entry {
    char *name;
    char shown[72]; /* the name as messages quote it (mlp_quote) */
    int esize;     /* bytes per element */
    bool loadable; /* F32 or F64 */
    char dtype[16];
    int rank;
    uint64_t dim[8];
    uint64_t begin, end;
    bool has_dtype, has_shape, has_offsets;
};

struct header {
    struct entry *e;
    int n, cap;
    int *slot;           /* open addressing over entry indices by name, -1 = empty */
    int nslots;          /* a power of two, more than twice n */
    int ndims, noffsets; /* while parsing an array */
    struct entry *cur;
    struct mlp_tensor_list *meta; /* receives the "mlp." entries of __metadata__ */
    int meta_cap;
};

/* The slot of `name` in h->slot: the entry's, or the empty one ending its probe. */
static int name_slot(const struct header *h, const char *name)
{
    uint64_t k = mlp_hash_string(name);
    int i = (int)((k ^ k >> 32) & (uint64_t)(h->nslots - 1));
    while (h->slot[i] >= 0 && strcmp(h->e[h->slot[i]].name, name))
        i = (i + 1) & (h->nslots - 1);
    return i;
}

/* Index entry n (just added) by name, growing the table as needed; false if the name is
 * already there. A hash, because comparing each name with every earlier one made a header of
 * many tensors quadratic (the format allows 100 MB of header). */
static bool add_name(struct header *h, int n)
{
    if (2 * (n + 1) >= h->nslots) {
        free(h->slot);
        h->nslots = h->nslots ? 2 * h->nslots : 64;
        h->slot = mlp_xmalloc((size_t)h->nslots * sizeof *h->slot);
        for (int i = 0; i < h->nslots; i++)
            h->slot[i] = -1;
        for (int i = 0; i < n; i++)
            h->slot[name_slot(h, h->e[i].name)] = i;
    }
    int i = name_slot(h, h->e[n].name);
    if (h->slot[i] >= 0)
        return false;
    h->slot[i] = n;
    return true;
}

static bool shape_item(struct js *j, char *key, void *ctx)
{
    (void)key;
    struct entry *e = ctx;
    uint64_t v;
    if (!js_uint(j, &v))
        return false;
    if (e->rank == 8)
        return js_fail(j, "shape of tensor '%s' has more than 8 dimensions", e->shown);
    e->dim[e->rank++] = v;
    return true;
}

static bool offset_item(struct js *j, char *key, void *ctx)
{
    (void)key;
    struct header *h = ctx;
    uint64_t v;
    if (!js_uint(j, &v))
        return false;
    if (h->noffsets == 2)
        return js_fail(j, "data_offsets of tensor '%s' has more than 2 numbers", h->cur->shown);
    *(h->noffsets++ ? &h->cur->end : &h->cur->begin) = v;
    return true;
}

static bool dtype_info(const char *dt, struct entry *e)
{
    static const struct {
        const char *name;
        int size;
    } known[] = {{"F64", 8}, {"F32", 4}, {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"I16", 2},
                 {"U16", 2}, {"F16", 2}, {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"I64", 8},
                 {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(dt, known[i].name)) {
            e->esize = known[i].size;
            e->loadable = i < 2;
            snprintf(e->dtype, sizeof e->dtype, "%s", dt);
            return true;
        }
    return false;
}

static bool field_item(struct js *j, char *key, void *ctx)
{
    struct header *h = ctx;
    struct entry *e = h->cur;
    bool ok = true;
    bool twice = (!strcmp(key, "dtype") && e->has_dtype) || (!strcmp(key, "shape") && e->has_shape)
              || (!strcmp(key, "data_offsets") && e->has_offsets);
    if (twice) { /* the reference reader refuses it; a second shape would add dimensions */
        ok = js_fail(j, "tensor '%s' has two '%s' fields", e->shown, key);
    } else if (!strcmp(key, "dtype")) {
        char *dt = NULL;
        ok = js_string(j, &dt);
        char q[32];
        if (ok && !dtype_info(dt, e))
            ok = js_fail(j, "tensor '%s' has an unknown dtype '%s'", e->shown, mlp_quote(dt, q, sizeof q));
        e->has_dtype = true;
        free(dt);
    } else if (!strcmp(key, "shape")) {
        ok = js_list(j, '[', shape_item, e);
        e->has_shape = true;
    } else if (!strcmp(key, "data_offsets")) {
        h->noffsets = 0;
        ok = js_list(j, '[', offset_item, h) && (h->noffsets == 2 ||
             js_fail(j, "data_offsets of tensor '%s' needs 2 numbers", e->shown));
        e->has_offsets = true;
    } else {
        char q[48];
        ok = js_fail(j, "unknown field '%s' in tensor '%s'", mlp_quote(key, q, sizeof q), e->shown);
    }
    free(key);
    return ok;
}

/* Entries of __metadata__ are kept when mlp wrote them ("mlp." keys: preprocessing saved with
 * the weights); other tools' entries are checked and skipped. */
static bool metadata_item(struct js *j, char *key, void *ctx)
{
    struct header *h = ctx;
    if (js_peek(j) != '"') {
        free(key);
        return js_fail(j, "__metadata__ values must be strings");
    }
    if (strncmp(key, "mlp.", 4)) {
        free(key);
        return js_string(j, NULL);
    }
    struct mlp_tensor_list *l = h->meta;
    for (int i = 0; i < l->nmeta; i++)
        if (!strcmp(l->meta_key[i], key)) {
            char shown[72];
            mlp_quote(key, shown, sizeof shown);
            free(key);
            return js_fail(j, "__metadata__ has '%s' twice", shown);
        }
    char *value;
    if (!js_string(j, &value)) {
        free(key);
        return false;
    }
    int cap = h->meta_cap;
    mlp_xreserve(&l->meta_key, &cap, l->nmeta + 1, sizeof *l->meta_key);
    mlp_xreserve(&l->meta_value, &h->meta_cap, l->nmeta + 1, sizeof *l->meta_value);
    l->meta_key[l->nmeta] = key;
    l->meta_value[l->nmeta++] = value;
    return true;
}

static bool tensor_item(struct js *j, char *key, void *ctx)
{
    struct header *h = ctx;
    if (!strcmp(key, "__metadata__")) {
        free(key);
        return js_list(j, '{', metadata_item, h);
    }
    mlp_xreserve(&h->e, &h->cap, h->n + 1, sizeof *h->e);
    h->cur = &h->e[h->n];
    memset(h->cur, 0, sizeof *h->cur);
    h->cur->name = key;
    mlp_quote(key, h->cur->shown, sizeof h->cur->shown);
    if (!add_name(h, h->n)) {
        js_fail(j, "tensor '%s' appears twice", h->cur->shown);
        free(key);
        return false;
    }
    h->n++;
    if (!js_list(j, '{', field_item, h))
        return false;
    const struct entry *e = h->cur;
    if (!e->has_dtype || !e->has_shape || !e->has_offsets)
        return js_fail(j, "tensor '%s' lacks '%s'", e->shown,
                       !e->has_dtype ? "dtype" : !e->has_shape ? "shape" : "data_offsets");
    return true;
}

static int by_offset(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* The reference reader's checks on the parsed header; data_len bytes follow the header. */
static int check_layout(struct header *h, uint64_t data_len, const char *path, mlp_error *err)
{
    if (h->n > 1) /* a header without tensors has no array to sort (qsort(NULL, 0) is UB) */
        qsort(h->e, (size_t)h->n, sizeof *h->e, by_offset);
    uint64_t start = 0;
    for (int i = 0; i < h->n; i++) {
        const struct entry *e = &h->e[i];
        if (e->end < e->begin)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "tensor '%s': data_offsets "
                            "[%llu, %llu] end before they begin", e->shown,
                            (unsigned long long)e->begin, (unsigned long long)e->end);
        if (e->begin != start)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "tensor '%s': data_offsets "
                            "begin at %llu, but the previous tensor ends at %llu (%s)", e->shown,
                            (unsigned long long)e->begin, (unsigned long long)start,
                            e->begin > start ? "a gap" : "an overlap");
        start = e->end;
        uint64_t count = 1;
        bool overflow = false;
        for (int d = 0; d < e->rank; d++) {
            overflow |= e->dim[d] && count > UINT64_MAX / e->dim[d];
            count *= e->dim[d];
        }
        uint64_t es = (uint64_t)e->esize;
        if (overflow || count > UINT64_MAX / es)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "tensor '%s': its shape's size "
                            "overflows", e->shown);
        if (count * es != e->end - e->begin)
            return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "tensor '%s': its shape needs "
                            "%llu bytes of %s, but data_offsets span %llu", e->shown,
                            (unsigned long long)(count * es), e->dtype,
                            (unsigned long long)(e->end - e->begin));
    }
    if (start != data_len)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the tensors cover %llu bytes of "
                        "data, but the file has %llu after the header", (unsigned long long)start,
                        (unsigned long long)data_len);
    return MLP_OK;
}

/* Convert the checked entries into tensors. */
static int decode(const struct header *h, const unsigned char *data, const char *path,
                  struct mlp_tensor_list *out, mlp_error *err)
{
    out->t = mlp_xcalloc((size_t)h->n + 1, sizeof *out->t);
    for (int i = 0; i < h->n; i++) {
        const struct entry *e = &h->e[i];
        if (!e->loadable)
            return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, "tensor '%s' has dtype "
                            "%s; mlp loads F32 and F64 tensors", e->shown, e->dtype);
        if (e->rank > MLP_MAX_RANK)
            return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, "tensor '%s' has %d "
                            "dimensions; mlp values have at most %d", e->shown, e->rank, MLP_MAX_RANK);
        struct mlp_tensor *t = &out->t[out->n];
        int64_t size = (int64_t)((e->end - e->begin) / (uint64_t)e->esize);
        for (int d = 0; d < e->rank; d++)
            if (e->dim[d] > INT_MAX)
                return mlp_fail(err, MLP_ERR_UNSUPPORTED, path, MLP_NOLOC, "tensor '%s' is too "
                                "large", e->shown);
        t->values = malloc((size_t)(size ? size : 1) * sizeof *t->values);
        if (!t->values)
            return mlp_fail(err, MLP_ERR_NOMEM, path, MLP_NOLOC, "out of memory");
        t->name = mlp_xstrdup(e->name);
        t->rank = e->rank;
        for (int d = 0; d < e->rank; d++)
            t->dim[d] = (int)e->dim[d];
        t->size = size;
        out->n++;
        mlp_decode_floats(data + e->begin, e->esize, false, size, t->values);
    }
    return MLP_OK;
}

/* Whether the n bytes are valid UTF-8 (JSON text must be; the reference reader, in Rust,
 * refuses overlong forms and surrogates too). */
static bool valid_utf8(const unsigned char *s, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n;) {
        int k = mlp_utf8_length(s + i, n - i);
        if (k == 0)
            return *bad = i, false;
        i += (size_t)k;
    }
    return true;
}

int mlp_safetensors_parse(const unsigned char *buf, size_t len, const char *path,
                          struct mlp_tensor_list *out, mlp_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < 8)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "file of %zu bytes is too short "
                        "for a safetensors header (8-byte length, then JSON)", len);
    uint64_t n = 0;
    for (int b = 0; b < 8; b++)
        n |= (uint64_t)buf[b] << (8 * b);
    if (n > MAX_HEADER)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "header length %llu is larger than "
                        "the format's limit of %u bytes", (unsigned long long)n, MAX_HEADER);
    if (n > len - 8)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "header length %llu runs past the "
                        "end of the file (%zu bytes follow the length)", (unsigned long long)n,
                        len - 8);
    size_t bad;
    if (!valid_utf8(buf + 8, (size_t)n, &bad))
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "invalid safetensors header at "
                        "byte %zu: not UTF-8 text", bad + 8);
    struct js j = {(const char *)buf + 8, (size_t)n, 0, path, err};
    struct header h = {.meta = out};
    int rc = MLP_OK;
    if (n == 0 || buf[8] != '{')
        rc = (js_fail(&j, "the header must be a JSON object starting with '{'"), MLP_ERR_INPUT);
    else if (!js_list(&j, '{', tensor_item, &h))
        rc = MLP_ERR_INPUT;
    else if (js_peek(&j) != -1)
        rc = (js_fail(&j, "text after the header's JSON object"), MLP_ERR_INPUT);
    if (rc == MLP_OK)
        rc = check_layout(&h, len - 8 - n, path, err);
    if (rc == MLP_OK)
        rc = decode(&h, buf + 8 + n, path, out, err);
    for (int i = 0; i < h.n; i++)
        free(h.e[i].name);
    free(h.e);
    free(h.slot);
    if (rc != MLP_OK)
        mlp_tensor_list_free(out);
    return rc;
}

int mlp_safetensors_read(const char *path, struct mlp_tensor_list *out, mlp_error *err)
{
    unsigned char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    int rc = mlp_read_binary(path, MLP_MAX_FILE_BYTES, &buf, &len, err);
    if (rc == MLP_OK)
        rc = mlp_safetensors_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ---- writing ---- */

static void put_le(FILE *f, uint64_t v, int bytes)
{
    for (int b = 0; b < bytes; b++)
        fputc((int)((v >> (8 * b)) & 0xFF), f);
}

/* `before`, then s as a JSON string: quotes, backslashes and control characters escaped. */
static void put_json_string(mlp_strbuf *b, const char *s, const char *before)
{
    mlp_sb_puts(b, before);
    mlp_sb_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            mlp_sb_printf(b, "\\%c", c);
        else if (c < 0x20)
            mlp_sb_printf(b, "\\u%04x", c);
        else
            mlp_sb_putc(b, (char)c);
    }
    mlp_sb_putc(b, '"');
}

int mlp_safetensors_write(const char *path, const struct mlp_tensor_list *in, mlp_dtype dtype,
                          mlp_error *err)
{
    int es = dtype == MLP_F64 ? 8 : 4;
    mlp_strbuf h = {0};
    uint64_t off = 0;
    mlp_sb_putc(&h, '{');
    if (in->nmeta > 0) { /* first, as the reference writer puts it */
        mlp_sb_puts(&h, "\"__metadata__\":{");
        for (int i = 0; i < in->nmeta; i++) {
            put_json_string(&h, in->meta_key[i], i ? "," : "");
            put_json_string(&h, in->meta_value[i], ":");
        }
        mlp_sb_puts(&h, in->n ? "}," : "}");
    }
    for (int i = 0; i < in->n; i++) {
        const struct mlp_tensor *t = &in->t[i];
        /* Parameter names are identifiers: nothing in them needs escaping. */
        mlp_sb_printf(&h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t->name,
                      es == 8 ? "F64" : "F32");
        for (int d = 0; d < t->rank; d++)
            mlp_sb_printf(&h, d ? ",%d" : "%d", t->dim[d]);
        uint64_t end = off + (uint64_t)t->size * (uint64_t)es;
        mlp_sb_printf(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                      (unsigned long long)end);
        off = end;
    }
    mlp_sb_putc(&h, '}');
    while (h.len % 8) /* the data starts 8-byte aligned, as the reference writer pads it */
        mlp_sb_putc(&h, ' ');
    mlp_outfile *o = mlp_outfile_open(path, err);
    if (!o) {
        mlp_sb_free(&h);
        return MLP_ERR_IO;
    }
    FILE *f = mlp_outfile_stream(o);
    put_le(f, h.len, 8);
    fwrite(h.s, 1, h.len, f);
    mlp_sb_free(&h);
    for (int i = 0; i < in->n; i++)
        for (int64_t k = 0; k < in->t[i].size; k++) {
            double v = in->t[i].values[k];
            float x = (float)v;
            uint64_t u = 0;
            uint32_t u32;
            if (es == 8) {
                memcpy(&u, &v, 8);
            } else {
                memcpy(&u32, &x, 4);
                u = u32;
            }
            put_le(f, u, es);
        }
    return mlp_outfile_commit(o, err);
}

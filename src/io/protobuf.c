/* protobuf.c - the wire format (see protobuf.h). */
#include "io/protobuf.h"
#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pb_reader pb_reader_init(const uint8_t *data, size_t len, const char *file, mlp_error *err)
{
    return (struct pb_reader){data, data + len, data, file, err};
}

bool pb_fail(const struct pb_reader *r, size_t at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mlp_fail(r->err, MLP_ERR_INPUT, r->file, MLP_NOLOC, "at byte %zu: %s", at, msg);
    return false;
}

/* A varint of at most 10 bytes (the 10th holding only bit 63). */
static bool varint(struct pb_reader *r, uint64_t *out)
{
    size_t at = pb_offset(r);
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return pb_fail(r, at, "the data ends inside a varint");
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1)
            return pb_fail(r, at, "varint longer than 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return pb_fail(r, at, "varint longer than 10 bytes");
}

static bool fixed(struct pb_reader *r, int nbytes, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < (size_t)nbytes)
        return pb_fail(r, pb_offset(r), "the data ends inside a %d-byte value", nbytes);
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += nbytes;
    *out = v;
    return true;
}

bool pb_next(struct pb_reader *r, struct pb_field *f)
{
    if (r->p >= r->end)
        return false;
    f->at = pb_offset(r);
    uint64_t tag;
    if (!varint(r, &tag))
        return false;
    uint64_t num = tag >> 3;
    if (num == 0 || num > 0x1fffffff)
        return pb_fail(r, f->at, "field number %llu is not valid", (unsigned long long)num);
    f->num = (uint32_t)num;
    f->wire = (enum pb_wire)(tag & 7);
    f->u = 0;
    f->sub = (struct pb_reader){r->p, r->p, r->base, r->file, r->err};
    switch (tag & 7) {
    case PB_VARINT:
        return varint(r, &f->u);
    case PB_I64:
        return fixed(r, 8, &f->u);
    case PB_I32:
        return fixed(r, 4, &f->u);
    case PB_LEN: {
        uint64_t len;
        if (!varint(r, &len))
            return false;
        size_t left = (size_t)(r->end - r->p);
        if (len > left)
            return pb_fail(r, f->at, "field %u claims %llu bytes, but only %zu are left", f->num,
                           (unsigned long long)len, left);
        f->sub.p = r->p;
        f->sub.end = r->p + len;
        r->p += len;
        return true;
    }
    default:
        return pb_fail(r, f->at, "field %u has wire type %d (%s), which ONNX never uses",
                       f->num, (int)(tag & 7), (tag & 7) == 3 || (tag & 7) == 4 ? "a group"
                                                                            : "not defined");
    }
}

static const char *wire_name(enum pb_wire w)
{
    switch (w) {
    case PB_VARINT:
        return "a varint";
    case PB_I64:
        return "8 bytes";
    case PB_I32:
        return "4 bytes";
    default:
        return "a length-delimited value";
    }
}

bool pb_expect(const struct pb_reader *r, const struct pb_field *f, enum pb_wire wire,
               const char *what)
{
    if (f->wire == wire)
        return true;
    return pb_fail(r, f->at, "%s (field %u) should be %s, but is %s", what, f->num,
                   wire_name(wire), wire_name(f->wire));
}

char *pb_string(const struct pb_reader *r, const struct pb_field *f, const char *what)
{
    if (!pb_expect(r, f, PB_LEN, what))
        return NULL;
    size_t n = (size_t)(f->sub.end - f->sub.p);
    const unsigned char *s = f->sub.p;
    for (size_t i = 0; i < n;) {
        int k = s[i] ? mlp_utf8_length(s + i, n - i) : 0;
        if (!k) {
            pb_fail(r, f->at, "%s is not UTF-8 text (byte 0x%02x at offset %zu)", what, s[i], i);
            return NULL;
        }
        i += (size_t)k;
    }
    return mlp_xstrndup((const char *)s, n);
}

bool pb_count(const struct pb_reader *r, const struct pb_field *f, enum pb_wire wire,
              const char *what, size_t *n)
{
    if (f->wire == wire) {
        *n = 1;
        return true;
    }
    if (!pb_expect(r, f, PB_LEN, what))
        return false;
    size_t len = (size_t)(f->sub.end - f->sub.p);
    if (wire == PB_VARINT) {
        size_t count = 0; /* each varint ends with the one byte whose top bit is clear */
        for (const uint8_t *p = f->sub.p; p < f->sub.end; p++)
            count += !(*p & 0x80);
        *n = count;
        return true;
    }
    size_t size = wire == PB_I64 ? 8 : 4;
    if (len % size)
        return pb_fail(r, f->at, "packed %s holds %zu bytes, not a multiple of %zu", what, len,
                       size);
    *n = len / size;
    return true;
}

bool pb_scalars(const struct pb_reader *r, const struct pb_field *f, enum pb_wire wire,
                const char *what, uint64_t *out, size_t *n)
{
    if (f->wire == wire) {
        out[(*n)++] = f->u;
        return true;
    }
    if (!pb_expect(r, f, PB_LEN, what))
        return false;
    struct pb_reader sub = f->sub;
    while (!pb_done(&sub)) {
        uint64_t v;
        bool ok = wire == PB_VARINT ? varint(&sub, &v) : fixed(&sub, wire == PB_I64 ? 8 : 4, &v);
        if (!ok)
            return false;
        out[(*n)++] = v;
    }
    return true;
}

/* ---- writing ---- */

static void put(struct pb_writer *w, const void *data, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        w->buf = mlp_xrealloc(w->buf, cap);
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

void pb_put_varint(struct pb_writer *w, uint64_t v)
{
    uint8_t b[10];
    int n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    put(w, b, (size_t)n);
}

void pb_put_tag(struct pb_writer *w, uint32_t num, enum pb_wire wire)
{
    pb_put_varint(w, (uint64_t)num << 3 | (uint64_t)wire);
}

void pb_put_uint(struct pb_writer *w, uint32_t num, uint64_t v)
{
    pb_put_tag(w, num, PB_VARINT);
    pb_put_varint(w, v);
}

void pb_put_bytes(struct pb_writer *w, uint32_t num, const void *data, size_t len)
{
    pb_put_tag(w, num, PB_LEN);
    pb_put_varint(w, len);
    put(w, data, len);
}

void pb_put_string(struct pb_writer *w, uint32_t num, const char *s)
{
    pb_put_bytes(w, num, s, strlen(s));
}

void pb_put_float(struct pb_writer *w, uint32_t num, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t b[4] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16), (uint8_t)(bits >> 24)};
    pb_put_tag(w, num, PB_I32);
    put(w, b, 4);
}

void pb_put_message(struct pb_writer *w, uint32_t num, struct pb_writer *sub)
{
    pb_put_bytes(w, num, sub->buf ? sub->buf : (const uint8_t *)"", sub->len);
    pb_writer_free(sub);
}

void pb_writer_free(struct pb_writer *w)
{
    free(w->buf);
    *w = (struct pb_writer){0};
}

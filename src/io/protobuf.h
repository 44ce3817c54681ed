/* protobuf.h - the protocol buffers wire format, read and written without a library.
 *
 * Reading: a message is a run of fields, each a tag (field number << 3 | wire type) and a value:
 * a varint, 8 or 4 little-endian bytes, or a varint length and that many bytes (a string, bytes,
 * a nested message, or a packed run of scalars). Every length is checked against the bytes left
 * before anything is read or allocated; groups (wire types 3 and 4) and types 6 and 7 are errors.
 * Messages report positions as byte offsets from the start of the file.
 *
 * Writing appends to a growing buffer; nested messages are written into their own buffer and
 * appended as one length-delimited field (the sizes are small, the copies cheap).
 */
#ifndef MLP_IO_PROTOBUF_H
#define MLP_IO_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

/* A message (or packed run) being read: [p, end) of a buffer that starts at base. */
struct pb_reader {
    const uint8_t *p, *end, *base;
    const char *file; /* for messages */
    mlp_error *err;
};

struct pb_field {
    uint32_t num;
    enum pb_wire wire;
    uint64_t u;            /* varint, I64 and I32 values (the raw bits) */
    struct pb_reader sub;  /* PB_LEN: its bytes */
    size_t at;             /* offset of the tag in the file */
};

/* A reader over a whole buffer. */
struct pb_reader pb_reader_init(const uint8_t *data, size_t len, const char *file, mlp_error *err);
/* Offset of the next byte to read. */
static inline size_t pb_offset(const struct pb_reader *r) { return (size_t)(r->p - r->base); }
static inline bool pb_done(const struct pb_reader *r) { return r->p >= r->end; }
/* Report an error at byte `at` of the file ("file: error: at byte N: ..."); returns false. */
bool pb_fail(const struct pb_reader *r, size_t at, const char *fmt, ...) MLP_PRINTF(3, 4);

/* The next field: true with *f filled; false at the end of the message (err untouched) or on a
 * damaged field (err filled; check mlp_failed). */
bool pb_next(struct pb_reader *r, struct pb_field *f);
/* The field must have this wire type; else an error naming `what`. */
bool pb_expect(const struct pb_reader *r, const struct pb_field *f, enum pb_wire wire,
               const char *what);
/* A PB_LEN field as a malloc'ed NUL-terminated string; a NUL byte inside or bytes that are not
 * UTF-8 are errors (names end up in messages and in model text). */
char *pb_string(const struct pb_reader *r, const struct pb_field *f, const char *what);

/* Elements of a repeated scalar field, packed (PB_LEN) or one element per field: how many one
 * field holds (for allocation), then each in turn. `wire` is the element's encoding
 * (PB_VARINT, PB_I32 or PB_I64). */
bool pb_count(const struct pb_reader *r, const struct pb_field *f, enum pb_wire wire,
              const char *what, size_t *n);
/* Append a field's elements to out[*n ...] (room for pb_count more). */
bool pb_scalars(const struct pb_reader *r, const struct pb_field *f, enum pb_wire wire,
                const char *what, uint64_t *out, size_t *n);

/* ---- writing ---- */

struct pb_writer {
    uint8_t *buf;
    size_t len, cap;
};

void pb_put_varint(struct pb_writer *w, uint64_t v);
void pb_put_tag(struct pb_writer *w, uint32_t num, enum pb_wire wire);
void pb_put_uint(struct pb_writer *w, uint32_t num, uint64_t v); /* a varint field */
void pb_put_bytes(struct pb_writer *w, uint32_t num, const void *data, size_t len);
void pb_put_string(struct pb_writer *w, uint32_t num, const char *s);
void pb_put_float(struct pb_writer *w, uint32_t num, float v);
/* Append `sub` as field num (a nested message) and free it. */
void pb_put_message(struct pb_writer *w, uint32_t num, struct pb_writer *sub);
void pb_writer_free(struct pb_writer *w);

#endif

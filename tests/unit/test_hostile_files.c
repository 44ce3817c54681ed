/* test_hostile_files.c - hostile verify specs and bounds, zeros facts, IDX data and weight files:
 * each fix found by fuzzing them (tests/fuzz/fuzz_{verify,facts,idx,safetensors,npy}.c), or by
 * reading the code with a fuzzer's eyes, with the exact error it now gives or the invariant it
 * now keeps. The command-line side (messages with their carets) is in tests/cli/test_hostile.py. */
#include "test.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "api/internal.h"
#include "base/strbuf.h"
#include "io/dataset.h"
#include "io/idx.h"
#include "io/tensorfile.h"

/* `x > 0` over an input of 200000 elements: each element's atom was found by a linear search
 * over the atoms so far (quadratic: 20 s here, minutes for larger inputs); the atoms of a named
 * value are now made together and found from its first. The spec parses at once and the
 * network is then refused for its size. */
TEST(hostile_spec_over_a_large_input)
{
    mlp_model *m = parse_ok("input x[200000]\ny = relu(x)\noutput y\n");
    CHECK(m);
    mlp_verify_result r;
    mlp_error err = {0};
    const char *bounds[] = {"x in [0, 1]"};
    CHECK(mlp_verify(m, "x > 0 and y >= 0", bounds, 1, &r, &err) == MLP_ERR_UNSUPPORTED);
    CHECK_STR(err.message, "cannot verify: 400000 values over 200000 input elements would need "
                           "80000400000 exact coefficients (at most 8388608)");
    mlp_model_free(m);
}

/* The first token of a spec used to compute its predecessor's end as NULL + 0 (clang UBSan). */
TEST(hostile_empty_spec)
{
    mlp_model *m = parse_ok("input x\ny = relu(x)\noutput y\n");
    CHECK(m);
    mlp_verify_result r;
    mlp_error err = {0};
    CHECK(mlp_verify(m, "", NULL, 0, &r, &err) == MLP_ERR_INPUT);
    CHECK(!strcmp(err.file, "spec") && err.line == 0 && err.col == 1);
    CHECK_STR(err.message, "the spec is empty");
    mlp_model_free(m);
}

/* A safetensors header of n scalar F64 tensors p0..p{n-1} (and, with dup, p5 again at the end),
 * then their data, value i for p_i; *len its size (caller frees). */
static unsigned char *many_tensors(int n, bool dup, size_t *len)
{
    mlp_strbuf h = {0};
    mlp_sb_putc(&h, '{');
    for (int i = 0; i < n + dup; i++)
        mlp_sb_printf(&h, "%s\"p%d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[%d,%d]}",
                      i ? "," : "", i < n ? i : 5, 8 * i, 8 * i + 8);
    mlp_sb_putc(&h, '}');
    *len = 8 + h.len + 8 * (size_t)(n + dup);
    unsigned char *buf = malloc(*len);
    for (int b = 0; b < 8; b++)
        buf[b] = (unsigned char)((uint64_t)h.len >> (8 * b));
    memcpy(buf + 8, h.s, h.len);
    for (int i = 0; i < n + dup; i++) {
        double v = i;
        memcpy(buf + 8 + h.len + 8 * (size_t)i, &v, 8); /* little-endian hosts */
    }
    mlp_sb_free(&h);
    return buf;
}

/* 100000 tensors: each name was compared with every earlier one (duplicates), and each
 * parameter looked for among all tensors (the model's fit): both quadratic, a minute here.
 * Names are now hashed and parameters marked. */
TEST(hostile_many_tensors)
{
    enum { N = 100000 };
    mlp_strbuf src = {0};
    for (int i = 0; i < N; i++)
        mlp_sb_printf(&src, "param p%d = 0\n", i);
    mlp_model *m = parse_ok(mlp_sb_str(&src));
    CHECK(m);
    size_t len;
    unsigned char *buf = many_tensors(N, false, &len);
    struct mlp_tensor_list l;
    mlp_error err = {0};
    CHECK(mlp_safetensors_parse(buf, len, "w.st", &l, &err) == MLP_OK && l.n == N);
    CHECK(mlp_model_set_tensors(m, &l, "w.st", &err) == MLP_OK);
    const mlp_graph *g = mlp_model_graph(m);
    int nm = mlp_graph_find(g, "p99999", 6);
    CHECK(nm >= 0 && mlp_node_values(g, g->names[nm].node)[0] == 99999);
    mlp_tensor_list_free(&l);
    free(buf);
    buf = many_tensors(N, true, &len);
    CHECK(mlp_safetensors_parse(buf, len, "w.st", &l, &err) == MLP_ERR_INPUT);
    CHECK(!strncmp(err.message, "invalid safetensors header at byte ", 35) &&
          strstr(err.message, ": tensor 'p5' appears twice"));
    free(buf);
    mlp_model_free(m);
    mlp_sb_free(&src);
}

/* ---- IDX files ---- */

/* `n` bytes gzipped (one member) into out; returns the gzip's size. */
static size_t gzip_bytes(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (unsigned char *)in;
    z.avail_in = (unsigned)n;
    z.next_out = out;
    z.avail_out = (unsigned)cap;
    int r = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    return r == Z_STREAM_END ? cap - z.avail_out : 0;
}

/* The error mlp_idx_load gives for len bytes ("" if they load). */
static const char *idx_error(const unsigned char *buf, size_t len)
{
    static mlp_error err;
    struct mlp_idx x;
    memset(&err, 0, sizeof err);
    if (mlp_idx_load(buf, len, "a.idx", &x, &err) == MLP_OK) {
        free(x.values);
        return "";
    }
    return x.values ? "values left behind" : err.message;
}

/* Not finite, or beyond float32: IDX data used to load NaN and inf (and doubles beyond float32's
 * range became inf), to surface as a NaN loss. */
TEST(hostile_idx_values_must_be_finite)
{
    static const unsigned char f32[] = {0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0x7f, 0xc0, 0, 0};
    static const unsigned char f64[] = {0, 0, 0x0E, 1, 0, 0, 0, 1, 0x7e, 0x37, 0xe4, 0x3c, 0x88, 0, 0x75, 0x9c};
    static const unsigned char inf[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0xff, 0x80, 0, 0};
    CHECK_STR(idx_error(f32, sizeof f32), "value 1 of the data is nan, not a finite number");
    CHECK_STR(idx_error(f64, sizeof f64), "value 0 of the data, 1e+300, is beyond the range of "
                                          "float32");
    CHECK_STR(idx_error(inf, sizeof inf), "value 0 of the data is -inf, not a finite number");
}

/* Found by tests/fuzz/fuzz_idx.c against zlib's gzread: a gzip whose decompressed header is
 * wrong and whose checksum is wrong too. Reading only the header first blamed the header; the
 * stream is broken, as reading it whole shows. */
TEST(hostile_idx_gzip_checksum_before_header)
{
    static const unsigned char gz[] = {
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x30, 0x60, 0xe0, 0x63,
        0x64, 0x60, 0x60, 0x60, 0xb6, 0xff, 0xc0, 0x00, 0x06, 0x07, 0x58, 0x20, 0x34, 0xe3, 0xd2,
        0x3c, 0xf9, 0x43, 0x3f, 0x3e, 0x47, 0x02, 0x00, 0x69, 0xf6, 0x88, 0x2a, 0x20, 0x00, 0x00,
        0x00};
    CHECK_STR(idx_error(gz, sizeof gz), "corrupt gzip data: incorrect data check");
}

/* Gzip members one after another are one file, as gzip -d reads them; anything else after the
 * last member is an error (zlib's gzread ignores it). A header claiming 2^31 bytes, followed by
 * 10, gives the header's error; the data is kept as it arrives, never allocated at the size
 * the header claims (which made the fuzzer's 2 GB malloc limit fail on a 50-byte file). */
TEST(hostile_idx_gzip_members_and_claims)
{
    static const unsigned char idx[] = {0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9};
    unsigned char gz[256];
    size_t a = gzip_bytes(idx, 6, gz, sizeof gz);
    size_t b = gzip_bytes(idx + 6, sizeof idx - 6, gz + a, sizeof gz - a);
    CHECK(a && b);
    struct mlp_idx x;
    mlp_error err = {0};
    CHECK(mlp_idx_load(gz, a + b, "a.idx.gz", &x, &err) == MLP_OK);
    CHECK(x.count == 3 && x.values[0] == 7 && x.values[2] == 9);
    free(x.values);
    memcpy(gz + a + b, "junk", 4);
    CHECK_STR(idx_error(gz, a + b + 4), "corrupt gzip data: data after the end of the gzip stream");
    static const unsigned char claim[] = {0, 0, 0x08, 1, 0x80, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    a = gzip_bytes(claim, sizeof claim, gz, sizeof gz);
    CHECK_STR(idx_error(gz, a), "the header's sizes 2147483648 need 2147483648 bytes of unsigned "
                                "bytes, but 10 bytes follow the header (truncated)");
}

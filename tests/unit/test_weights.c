/* test_weights.c - safetensors and npy: round trips, fixtures written by Python, and a table of
 * corrupt files each with its exact error. */
#include "test.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/tensorfile.h"

static const char model_text[] =
    "input x[3]\nparam W[2,3] ~ normal(0, 1)\nparam b[2] ~ normal(0, 1)\nparam s = 0.75\n"
    "y = s * (W @ x + b)\noutput y\n";

static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "/tmp/mlp-test-%d-%s", (int)getpid(), name);
}

TEST(safetensors_round_trip_f64_and_f32)
{
    mlp_model *a = parse_ok(model_text), *b = parse_ok(model_text);
    CHECK(a && b);
    CHECK(!mlp_model_init_params(b, 99, NULL)); /* different values to overwrite */
    char path[128];
    tmp_path(path, sizeof path, "rt.safetensors");
    double wa[6], wb[6], ba[2], bb[2];
    for (int dt = 0; dt < 2; dt++) {
        mlp_error err = {0};
        CHECK(!mlp_model_save_weights(a, path, dt ? MLP_F32 : MLP_F64, &err));
        CHECK(!mlp_model_load_weights(b, path, &err));
        mlp_model_get_values(a, "W", wa, NULL);
        mlp_model_get_values(b, "W", wb, NULL);
        mlp_model_get_values(a, "b", ba, NULL);
        mlp_model_get_values(b, "b", bb, NULL);
        for (int i = 0; i < 6; i++)
            CHECK(wb[i] == (dt ? (double)(float)wa[i] : wa[i]));
        for (int i = 0; i < 2; i++)
            CHECK(bb[i] == (dt ? (double)(float)ba[i] : ba[i]));
    }
    /* No temporary file is left beside the target. */
    char tmpl[160];
    snprintf(tmpl, sizeof tmpl, "ls %s.tmp.* >/dev/null 2>&1", path);
    CHECK(system(tmpl) != 0);
    unlink(path);
    mlp_model_free(a);
    mlp_model_free(b);
}

TEST(safetensors_fixture_from_python_loads)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_load("tests/fixtures/weights/fixture.mlp", &err);
    CHECK(m);
    CHECK(!mlp_model_load_weights(m, "tests/fixtures/weights/fixture.safetensors", &err));
    double W[6], b[2], s;
    mlp_model_get_values(m, "W", W, NULL);
    mlp_model_get_values(m, "b", b, NULL);
    mlp_model_get_values(m, "s", &s, NULL);
    CHECK(W[0] == 0.5 && W[1] == -1.25 && W[2] == 2 && W[3] == 3 && W[4] == -0.125 && W[5] == 1e-3);
    CHECK(b[0] == (double)0.1f && b[1] == (double)-0.2f); /* stored as F32 */
    CHECK(s == 3.25);
    mlp_model_free(m);
}

TEST(npy_fixtures_from_numpy_load)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_load("tests/fixtures/weights/fixture.mlp", &err);
    CHECK(m);
    CHECK(!mlp_model_load_npy(m, "W", "tests/fixtures/weights/W.npy", &err));
    CHECK(!mlp_model_load_npy(m, "b", "tests/fixtures/weights/b_be.npy", &err));
    double W[6], b[2];
    mlp_model_get_values(m, "W", W, NULL);
    mlp_model_get_values(m, "b", b, NULL);
    CHECK(W[1] == -1.25 && W[5] == (double)1e-3f);
    CHECK(b[0] == (double)0.1f && b[1] == (double)-0.2f); /* float32 values saved as >f8 */
    CHECK(mlp_model_load_npy(m, "b", "tests/fixtures/weights/W.npy", &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "tensor 'b' has shape [2,3], but the model's parameter has shape [2]");
    mlp_model_free(m);
}

/* ---- corrupt safetensors: an 8-byte length (or `hlen` when nonzero), the header text, then
 * `data` zero bytes ---- */

static size_t st_bytes(unsigned char *buf, const char *header, uint64_t hlen, size_t data)
{
    size_t n = strlen(header);
    uint64_t len = hlen ? hlen : n;
    for (int b = 0; b < 8; b++)
        buf[b] = (unsigned char)(len >> (8 * b));
    memcpy(buf + 8, header, n);
    memset(buf + 8 + n, 0, data);
    return 8 + n + data;
}

#define T32(name, shape, b, e) "\"" name "\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static const struct {
    const char *header;
    uint64_t hlen;
    size_t data;
    const char *message;
} corrupt_st[] = {
    {"{", 0, 0, "invalid safetensors header at byte 9: expected '\"'"},
    {"[1]", 0, 0, "invalid safetensors header at byte 8: the header must be a JSON object starting with '{'"},
    {"{}", 1000, 0, "header length 1000 runs past the end of the file (2 bytes follow the length)"},
    {"{}", (uint64_t)1 << 40, 0, "header length 1099511627776 is larger than the format's limit of 100000000 bytes"},
    {"{" T32("W", "[2,3]", 0, 24) " " T32("b", "[2]", 24, 32) "}", 0, 32,
     "invalid safetensors header at byte 65: expected ',' or '}'"},
    {"{\"W\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
     "invalid safetensors header at byte 27: tensor 'W' has an unknown dtype 'F33'"},
    {"{\"W\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 0, 8,
     "tensor 'W' has dtype I64; mlp loads F32 and F64 tensors"},
    {"{" T32("W", "[2,3]", 4, 28) "}", 0, 28,
     "tensor 'W': data_offsets begin at 4, but the previous tensor ends at 0 (a gap)"},
    {"{" T32("W", "[2,3]", 0, 24) "," T32("b", "[2]", 20, 28) "}", 0, 28,
     "tensor 'b': data_offsets begin at 20, but the previous tensor ends at 24 (an overlap)"},
    {"{" T32("W", "[2,3]", 24, 0) "}", 0, 24, "tensor 'W': data_offsets [24, 0] end before they begin"},
    {"{" T32("W", "[2,3]", 0, 20) "}", 0, 20,
     "tensor 'W': its shape needs 24 bytes of F32, but data_offsets span 20"},
    {"{" T32("W", "[2,3]", 0, 24) "}", 0, 30, "the tensors cover 24 bytes of data, but the file has 30 after the header"},
    {"{" T32("W", "[2,3]", 0, 24) "}", 0, 10, "the tensors cover 24 bytes of data, but the file has 10 after the header"},
    {"{" T32("W", "[2,3]", 0, 24) "," T32("W", "[2]", 24, 32) "}", 0, 32,
     "invalid safetensors header at byte 69: tensor 'W' appears twice"},
    {"{\"W\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 0, 4,
     "invalid safetensors header at byte 49: tensor 'W' lacks 'shape'"},
    {"{\"W\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 0, 4,
     "invalid safetensors header at byte 37: expected a non-negative integer"},
    {"{\"W\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 0, 4,
     "invalid safetensors header at byte 38: expected an integer, not a fraction"},
    {"{\"W\xff\":{}}", 0, 0, "invalid safetensors header at byte 11: not UTF-8 text"},
    {"{} x", 0, 0, "invalid safetensors header at byte 11: text after the header's JSON object"},
    {"{\"__metadata__\":{\"a\":1}}", 0, 0, "invalid safetensors header at byte 29: __metadata__ values must be strings"},
    {"{\"W\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 0, 4,
     "invalid safetensors header at byte 61: data_offsets of tensor 'W' has more than 2 numbers"},
    /* found reading the reader with a fuzzer's eyes: a repeated field (a second shape added
     * dimensions), overlong UTF-8 and surrogates, a NUL that cut a name short */
    {"{\"W\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[3],\"data_offsets\":[0,24]}}", 0, 24,
     "invalid safetensors header at byte 48: tensor 'W' has two 'shape' fields"},
    {"{\"W\xc0\xaf\":{}}", 0, 0, "invalid safetensors header at byte 11: not UTF-8 text"},
    {"{\"\xed\xa0\x80\":{}}", 0, 0, "invalid safetensors header at byte 10: not UTF-8 text"},
    {"{\"W\\u0000x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
     "invalid safetensors header at byte 19: a name or dtype holds the character \\u0000"},
    /* found by tests/fuzz/fuzz_safetensors.c: no tensors, and data (qsort was given NULL);
     * messages that quoted control characters raw */
    {"{}", 0, 6, "the tensors cover 0 bytes of data, but the file has 6 after the header"},
    {"{\"W\\\n\":{}}", 0, 0, "invalid safetensors header at byte 12: bad escape: '\\' then byte 0x0a"},
    {"{\"W\\u000a\\u001b[2J\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
     "invalid safetensors header at byte 42: tensor 'W\\x0a\\x1b[2J' has an unknown dtype 'F33'"},
};

TEST(corrupt_safetensors_each_give_their_error)
{
    static unsigned char buf[4096];
    for (size_t i = 0; i < sizeof corrupt_st / sizeof *corrupt_st; i++) {
        size_t len = st_bytes(buf, corrupt_st[i].header, corrupt_st[i].hlen, corrupt_st[i].data);
        struct mlp_tensor_list l;
        mlp_error err = {0};
        int rc = mlp_safetensors_parse(buf, len, "w.st", &l, &err);
        CHECK_MSG(rc != MLP_OK, "case %zu parsed", i);
        if (strcmp(err.message, corrupt_st[i].message)) /* report every mismatch */
            test_fail(__FILE__, __LINE__, "case %zu: '%s'\n  expected '%s'", i, err.message,
                      corrupt_st[i].message);
        CHECK(!strcmp(err.file, "w.st"));
    }
    mlp_error err = {0};
    struct mlp_tensor_list l;
    CHECK(mlp_safetensors_parse(buf, 5, "w.st", &l, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "file of 5 bytes is too short for a safetensors header (8-byte length, then JSON)");
}

TEST(safetensors_that_do_not_fit_the_model)
{
    mlp_model *m = parse_ok(model_text);
    CHECK(m);
    struct {
        const char *header;
        size_t data;
        const char *message;
    } cases[] = {
        {"{" T32("W", "[2,3]", 0, 24) "," T32("b", "[2]", 24, 32) "," T32("s", "[]", 32, 36) ","
         T32("extra", "[1]", 36, 40) "}", 40, "tensor 'extra' names no parameter of the model"},
        {"{" T32("W", "[3,2]", 0, 24) "," T32("b", "[2]", 24, 32) "," T32("s", "[]", 32, 36) "}",
         36, "tensor 'W' has shape [3,2], but the model's parameter has shape [2,3]"},
        {"{" T32("W", "[2,3]", 0, 24) "," T32("b", "[2]", 24, 32) "}", 32,
         "no tensor for the model's parameter 's'"},
        {"{" T32("x", "[3]", 0, 12) "}", 12,
         "tensor 'x' names no parameter of the model (it is an input, constant or statement)"},
    };
    char path[128];
    tmp_path(path, sizeof path, "fit.safetensors");
    double before[6], after[6];
    mlp_model_get_values(m, "W", before, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        static unsigned char buf[4096];
        size_t len = st_bytes(buf, cases[i].header, 0, cases[i].data);
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(buf, 1, len, f) == len && !fclose(f));
        mlp_error err = {0};
        CHECK(mlp_model_load_weights(m, path, &err) == MLP_ERR_INPUT);
        CHECK_STR(err.message, cases[i].message);
        mlp_model_get_values(m, "W", after, NULL);
        CHECK(!memcmp(before, after, sizeof before)); /* unchanged on failure */
    }
    unlink(path);
    mlp_model_free(m);
}

/* ---- corrupt npy ---- */

static size_t npy_bytes(unsigned char *buf, int major, const char *dict, size_t data)
{
    size_t n = strlen(dict), lb = major == 1 ? 2 : 4;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t b = 0; b < lb; b++)
        buf[8 + b] = (unsigned char)(n >> (8 * b));
    memcpy(buf + 8 + lb, dict, n);
    memset(buf + 8 + lb + n, 0, data);
    return 8 + lb + n + data;
}

TEST(npy_parses_and_corrupt_npy_give_their_error)
{
    static unsigned char buf[1024];
    struct mlp_tensor t;
    mlp_error err = {0};
    size_t len = npy_bytes(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n", 24);
    CHECK(!mlp_npy_parse(buf, len, "a.npy", &t, &err));
    CHECK(t.rank == 2 && t.dim[0] == 2 && t.dim[1] == 3 && t.size == 6 && t.values[5] == 0);
    free(t.values);
    len = npy_bytes(buf, 2, "{'descr': '>f8', 'fortran_order': False, 'shape': (), }\n", 8);
    buf[len - 8] = 0x40; /* 2.0 big-endian */
    CHECK(!mlp_npy_parse(buf, len, "a.npy", &t, &err));
    CHECK(t.rank == 0 && t.size == 1 && t.values[0] == 2.0);
    free(t.values);
    struct {
        int major;
        const char *dict;
        size_t data;
        const char *message;
    } cases[] = {
        {4, "{}", 0, ".npy format version 4.0 is not supported (1.0 to 3.0 are)"},
        {1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", 16,
         "array dtype '<i8' is not supported (mlp loads float32 '<f4' and float64 '<f8')"},
        {1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", 16,
         "the array is stored in Fortran order; save it with np.ascontiguousarray first"},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20,
         "the shape needs 24 bytes of data, but the file has 20 after the header"},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 12,
         "the shape needs 8 bytes of data, but the file has 12 after the header"},
        {1, "{'descr': '<f4', 'shape': (2,), }\n", 8,
         "bad .npy header at byte 43: the header dict needs 'descr', 'fortran_order' and 'shape'"},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n", 8,
         "bad .npy header at byte 64: 'shape' must be a tuple of at most 4 sizes"},
        {1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }\n", 8,
         "bad .npy header at byte 44: 'fortran_order' must be True or False"},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }\n", 4,
         "the array has 5 dimensions; mlp values have at most 4"},
        /* found by tests/fuzz/fuzz_npy.c: control characters in the dtype reached the message
         * (and a NUL cut "<f4\0..." to "<f4"); bytes that are not UTF-8 are quoted as \xNN */
        {1, "{'descr': '<f\n4', 'fortran_order': False, 'shape': (2,), }\n", 8,
         "bad .npy header at byte 23: 'descr' must be a dtype string such as '<f4'"},
        {1, "{'descr': '\xff\xfe', 'fortran_order': False, 'shape': (2,), }\n", 8,
         "array dtype '\\xff\\xfe' is not supported (mlp loads float32 '<f4' and float64 '<f8')"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        len = npy_bytes(buf, cases[i].major, cases[i].dict, cases[i].data);
        mlp_error e = {0};
        CHECK_MSG(mlp_npy_parse(buf, len, "a.npy", &t, &e) != MLP_OK, "npy case %zu parsed", i);
        if (strcmp(e.message, cases[i].message))
            test_fail(__FILE__, __LINE__, "npy case %zu: '%s'\n  expected '%s'", i, e.message,
                      cases[i].message);
    }
    memcpy(buf, "NUMPY!", 6);
    mlp_error e = {0};
    CHECK(mlp_npy_parse(buf, 40, "a.npy", &t, &e) == MLP_ERR_INPUT);
    CHECK_STR(e.message, "not a .npy file (it does not start with \\x93NUMPY)");
    len = npy_bytes(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8);
    mlp_error e2 = {0};
    CHECK(mlp_npy_parse(buf, 20, "a.npy", &t, &e2) == MLP_ERR_INPUT);
    CHECK_STR(e2.message, "header length 58 runs past the end of the file (10 bytes follow it)");
}

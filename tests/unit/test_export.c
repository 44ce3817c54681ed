/* test_export.c - the pieces of the C export: float literals, identifiers, the int8 rounding
 * kernel against exact 128-bit arithmetic, and the quantised network against float32. */
#include "test.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

#include "export/export.h"
#include "export/q8.h"
#include "export/q8_kernels.h"
#include "mlp.h"

MLP_Q8_ROUND_SHIFT(MLP_Q8_EXPAND)

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* floor((p + 2^(s-1)) / 2^s), exactly, by 128-bit division rounded towards minus infinity */
static int64_t exact_round_shift(int64_t p, int s)
{
    __int128 q = (__int128)p + ((__int128)1 << (s - 1)), d = (__int128)1 << s;
    __int128 r = q / d;
    if (q % d != 0 && q < 0)
        r -= 1;
    return (int64_t)r;
}

TEST(q8_round_shift_is_floor_of_half_up)
{
    uint64_t st = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        int s = 1 + (int)(next(&st) % 62);
        /* |p| < 2^62, as |acc * mult| < 2^31 * 2^31 in the dense kernel */
        int64_t p = (int64_t)(next(&st) >> 2) * ((next(&st) & 1) ? 1 : -1);
        if (i % 4 == 0) { /* at and near the ties, where rounding matters (|p| < 2^62 still) */
            s = 1 + s % 50;
            p = ((int64_t)(next(&st) % 2001) - 1000) * ((int64_t)1 << (s - 1)) + (int64_t)(i % 3) - 1;
        }
        int64_t want = exact_round_shift(p, s);
        if (want < INT32_MIN || want > INT32_MAX)
            continue;
        CHECK_MSG(q8_round_shift(p, s) == want, "p=%lld s=%d: %d, want %lld", (long long)p, s,
                  q8_round_shift(p, s), (long long)want);
    }
}

TEST(c_float_literals_read_back_exactly)
{
    uint64_t st = 12345;
    char buf[40];
    for (int i = 0; i < 100000; i++) {
        uint32_t bits = (uint32_t)next(&st);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (isnan(f) || isinf(f))
            continue;
        mlp_c_float(f, buf);
        size_t n = strlen(buf);
        CHECK_MSG(n > 1 && buf[n - 1] == 'f' && strpbrk(buf, ".e"), "%s is not a float literal", buf);
        buf[n - 1] = 0;
        float g = strtof(buf, NULL);
        CHECK_MSG(memcmp(&f, &g, sizeof f) == 0, "%a printed as %s", (double)f, buf);
    }
    mlp_c_float(1.0f, buf);
    CHECK(!strcmp(buf, "1.0f"));
    mlp_c_float(0.1f, buf);
    CHECK(!strcmp(buf, "0.1f"));
    mlp_c_float(-0.0f, buf);
    CHECK(!strcmp(buf, "-0.0f"));
    mlp_c_float(-INFINITY, buf);
    CHECK(!strcmp(buf, "-INFINITY"));
    mlp_c_float(NAN, buf);
    CHECK(!strcmp(buf, "NAN"));
}

TEST(c_identifiers_from_paths)
{
    char out[MLP_C_NAME_MAX + 1];
    CHECK(mlp_c_identifier("out/net", out, NULL) == MLP_OK && !strcmp(out, "net"));
    CHECK(mlp_c_identifier("a/b/my-net.v2.c", out, NULL) == MLP_OK && !strcmp(out, "my_net_v2"));
    CHECK(mlp_c_identifier("9lives", out, NULL) == MLP_OK && !strcmp(out, "net9lives"));
    CHECK(mlp_c_identifier("dir/_x.h", out, NULL) == MLP_OK && !strcmp(out, "net_x"));
    CHECK(mlp_c_identifier("caf\xc3\xa9", out, NULL) == MLP_OK && !strcmp(out, "caf__"));
    mlp_error err = {0};
    CHECK(mlp_c_identifier("dir/", out, &err) == MLP_ERR_INPUT);
    CHECK(strstr(err.message, "names no file"));
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK(mlp_c_identifier(longname, out, NULL) == MLP_OK && strlen(out) == MLP_C_NAME_MAX);
}

/* The int8 network follows the float32 one to within a few output steps, and its multipliers
 * represent s_in s_w / s_out to 31 bits. */
TEST(int8_quantisation_follows_float)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse("input x[3]\n"
                                   "param W1[4,3] = [[0.5, -1, 0.25], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [0.9, -0.4, 0.6]]\n"
                                   "param b1[4] = [0.1, -0.3, 0.2, 0.05]\n"
                                   "param W2[2,4] = [[1.2, -0.8, 0.5, 2], [-1.1, 0.4, 0.9, -0.3]]\n"
                                   "h = relu(W1 @ x + b1)\ny = W2 @ h\noutput y\n",
                                   "q.mlp", &err);
    CHECK(m);
    enum { N = 500 };
    double *x = malloc(N * 3 * sizeof *x), *t = calloc(N, sizeof *t);
    uint64_t st = 99;
    for (int i = 0; i < N * 3; i++)
        x[i] = (double)(next(&st) % 20001) / 10000.0 - 1; /* [-1, 1] */
    mlp_dataset *d = mlp_dataset_new(N, 3, x, 1, t, &err);
    CHECK(d);
    mlp_quantized *q = mlp_quantize_int8(m, d, &err);
    CHECK_MSG(q, "%s", err.message);
    CHECK(q->nlayers == 2 && q->layers[0].lo == q->layers[0].zp_out); /* relu as the clamp */
    for (int l = 0; l < q->nlayers; l++)
        for (int j = 0; j < q->layers[l].n_out; j++) {
            int32_t mult = q->layers[l].mult[j];
            CHECK(mult >= (1 << 30) && q->layers[l].shift[j] >= 1 && q->layers[l].shift[j] <= 62);
        }
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F32, 1, &err);
    CHECK(s);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        float in[3] = {(float)x[3 * i], (float)x[3 * i + 1], (float)x[3 * i + 2]}, out[2];
        double y[2];
        CHECK(mlp_quantized_run(q, in, out) == MLP_OK);
        mlp_session_set(s, "x", x + 3 * i, 1, NULL);
        mlp_session_run(s, NULL);
        mlp_session_get(s, "y", y, NULL);
        for (int k = 0; k < 2; k++)
            worst = fmax(worst, fabs(out[k] - y[k]) / q->out_scale);
    }
    CHECK_MSG(worst <= 4, "int8 differs from float32 by %g output steps", worst);
    mlp_session_free(s);
    mlp_quantized_free(q);
    mlp_dataset_free(d);
    mlp_model_free(m);
    free(x);
    free(t);
}

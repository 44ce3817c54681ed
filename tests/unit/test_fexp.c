/* test_fexp.c - mlp's float32 exp, logistic and tanh (base/fexp.h): error against double precision
 * over a dense sample of all floats, the special values, and the library's vectorised float32
 * kernels giving the scalar function's bits. */
#include "test.h"
#include "util.h"
#include "base/fexp.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* The error of y against the exact value e in ulps of e (subnormal spacing 2^-149 below
 * FLT_MIN). Infinity counts as 2^128, so an overflow reported for an exact value above
 * FLT_MAX is measured like a finite neighbour. */
static double ulp_error(float y, double e)
{
    double top = ldexp(1, 128);
    double yv = isinf(y) ? top : y, ev = e > top ? top : e;
    int ex;
    frexp(ev, &ex); /* ev = f 2^ex, f in [0.5, 1) */
    double ulp = ldexp(1, (ex - 24 < -149 ? -149 : ex - 24));
    return fabs(yv - ev) / ulp;
}

/* Equal bits, or both NaN (whose payloads the vector and scalar code may pick differently). */
static bool same_bits(float a, float b) { return isnan(a) ? isnan(b) : to_bits(a) == to_bits(b); }

static double sigmoid_exact(float x)
{
    double v = x;
    return v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v));
}

/* Every 2^8-th bit pattern, at an odd offset so that every low byte is not 0: 2^24 floats of
 * both signs across the whole range, subnormals included. */
#define SAMPLE_STEP 256u
#define SAMPLE_OFFSET 0x5bu

TEST(fexp_error_over_every_256th_float)
{
    double worst = 0, worst_sig = 0, worst_tanh = 0;
    float at = 0, at_sig = 0, at_tanh = 0;
    for (uint64_t b = SAMPLE_OFFSET; b < ((uint64_t)1 << 32); b += SAMPLE_STEP) {
        float x = from_bits((uint32_t)b);
        if (isnan(x))
            continue;
        double err = ulp_error(mlp_fexp(x), exp((double)x));
        if (err > worst) {
            worst = err;
            at = x;
        }
        err = ulp_error(mlp_fsigmoid(x), sigmoid_exact(x));
        if (err > worst_sig) {
            worst_sig = err;
            at_sig = x;
        }
        double t = tanh((double)x);
        err = ulp_error(fabsf(mlp_ftanh(x)), fabs(t)) + (!signbit(mlp_ftanh(x)) != !signbit(t)) * 1e9;
        if (err > worst_tanh) {
            worst_tanh = err;
            at_tanh = x;
        }
    }
    printf("  mlp_ftanh: largest error %.3f ulp (at %a)\n", worst_tanh, (double)at_tanh);
    CHECK_MSG(worst_tanh <= 1.5, "mlp_ftanh(%a): %.3f ulp", (double)at_tanh, worst_tanh);
    printf("  mlp_fexp: largest error %.3f ulp (at %a); mlp_fsigmoid %.3f ulp (at %a)\n", worst,
           (double)at, worst_sig, (double)at_sig);
    CHECK_MSG(worst <= MLP_FEXP_MAX_ULP, "mlp_fexp(%a): %.3f ulp", (double)at, worst);
    /* The logistic adds the roundings of its Pade quotient's P and Q, of Q + 2^n P and of the
     * division: 2.40 ulp on this sample, 2.62 over all floats (libm's expf in e / (1 + e): 2.18
     * on this sample). A wrong coefficient or a lost 2^64 costs far more. */
    CHECK_MSG(worst_sig <= 2.7, "mlp_fsigmoid(%a): %.3f ulp", (double)at_sig, worst_sig);
}

TEST(fexp_special_values)
{
    CHECK(isnan(mlp_fexp(NAN)) && isnan(mlp_fexp(-NAN)));
    CHECK(isnan(mlp_fexp(from_bits(0x7f800001u)))); /* a signalling NaN's payload */
    CHECK(isnan(mlp_fexp(from_bits(0xffc12345u))));
    CHECK(mlp_fexp(INFINITY) == INFINITY);
    CHECK(to_bits(mlp_fexp(-INFINITY)) == 0); /* +0 */
    CHECK(mlp_fexp(0.0f) == 1 && mlp_fexp(-0.0f) == 1);
    CHECK(mlp_fexp(FLT_TRUE_MIN) == 1 && mlp_fexp(-FLT_TRUE_MIN) == 1);
    CHECK(mlp_fexp(FLT_MIN) == 1 && mlp_fexp(0x1p-25f) == 1 && mlp_fexp(-0x1p-26f) == 1);
    CHECK(mlp_fexp(1.0f) == 2.71828175f); /* e rounded to float */
    /* The overflow edge: exp(88.7228394) > FLT_MAX * (1 + 2^-25) rounds to infinity; the float
     * below it, 88.7228317, gives 3.40279e38. */
    CHECK(isinf(mlp_fexp(88.7228394f)) && isinf(mlp_fexp(89.0f)) && isinf(mlp_fexp(FLT_MAX)));
    CHECK(isfinite(mlp_fexp(88.7228317f)) && mlp_fexp(88.7228317f) > 3.4e38f);
    /* The normal/subnormal edge, the last subnormal and the underflow to zero. */
    CHECK(ulp_error(mlp_fexp(-87.3365479f), exp(-87.3365479)) <= MLP_FEXP_MAX_ULP);
    CHECK(mlp_fexp(-103.2789f) == FLT_TRUE_MIN); /* exp = 1.0000 2^-149 */
    CHECK(mlp_fexp(-103.9720f) == FLT_TRUE_MIN); /* 1.00008 2^-150: rounds up */
    CHECK(mlp_fexp(-103.9721f) == 0);            /* 0.99998 2^-150: rounds to 0 */
    CHECK(mlp_fexp(-104.0f) == 0 && mlp_fexp(-1e30f) == 0);
    CHECK(mlp_fexp(-FLT_MAX) == 0);
    /* A small subnormal result is p 2^n rounded once, where p's own error is a tiny part of
     * the spacing 2^-149 (below 2^-137, under 2^12 spacings): within half a spacing, nearly. */
    for (float x = -103.9f; x < -95.0f; x += 0.0137f)
        CHECK_MSG(ulp_error(mlp_fexp(x), exp((double)x)) <= 0.501, "mlp_fexp(%a)", (double)x);
    /* The logistic at its ends. */
    CHECK(mlp_fsigmoid(0.0f) == 0.5f && mlp_fsigmoid(-0.0f) == 0.5f);
    CHECK(mlp_fsigmoid(INFINITY) == 1 && to_bits(mlp_fsigmoid(-INFINITY)) == 0);
    CHECK(mlp_fsigmoid(100.0f) == 1 && mlp_fsigmoid(-100.0f) == (float)exp(-100.0));
    CHECK(isnan(mlp_fsigmoid(NAN)) && isnan(mlp_fsigmoid(-NAN)));
    /* tanh: odd, -0 kept, +-1 at the ends, NaN through, subnormals returned as they are. */
    CHECK(to_bits(mlp_ftanh(-0.0f)) == 0x80000000u && to_bits(mlp_ftanh(0.0f)) == 0);
    CHECK(mlp_ftanh(INFINITY) == 1 && mlp_ftanh(-INFINITY) == -1 && mlp_ftanh(50.0f) == 1);
    CHECK(isnan(mlp_ftanh(NAN)) && isnan(mlp_ftanh(-NAN)));
    CHECK(mlp_ftanh(FLT_TRUE_MIN) == FLT_TRUE_MIN && mlp_ftanh(-1e-30f) == -1e-30f);
    for (float x = -9.0f; x < 9.0f; x += 0.0173f)
        CHECK_MSG(to_bits(mlp_ftanh(-x)) == (to_bits(mlp_ftanh(x)) ^ 0x80000000u), "tanh(%a)", (double)x);
}

/* The float32 kernels (vectorised loops over the same functions, graph/ops) give the scalar
 * function's bits for every element, whatever the loop's vector width and remainder. */
TEST(fexp_float32_kernels_match_the_scalar_function)
{
    enum { N = 1031 }; /* not a multiple of any vector width */
    char text[256];
    snprintf(text, sizeof text,
             "input x[%d]\ny = exp(x)\ns = sigmoid(x)\nd = dsigmoid(x)\nt = tanh(x)\n"
             "u = dtanh(x)\noutput y, s, d, t, u\n", N);
    mlp_model *m = parse_ok(text);
    CHECK(m);
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F32, 3, &err);
    CHECK(s);
    mlp_session_set_batch(s, 3, NULL);
    float *x = mlp_session_f32(s, mlp_session_input(s, "x", NULL));
    srand(5);
    for (int i = 0; i < 3 * N; i++) /* wide, with the specials among them */
        x[i] = i % 97 == 0 ? (i % 2 ? INFINITY : -INFINITY) : i % 89 == 0 ? NAN
             : ((float)rand() / RAND_MAX - 0.5f) * (i % 3 ? 40.0f : 240.0f);
    CHECK(mlp_session_run(s, &err) == MLP_OK);
    const float *y = mlp_session_f32(s, mlp_session_value(s, "y", NULL));
    const float *sg = mlp_session_f32(s, mlp_session_value(s, "s", NULL));
    const float *d = mlp_session_f32(s, mlp_session_value(s, "d", NULL));
    const float *t = mlp_session_f32(s, mlp_session_value(s, "t", NULL));
    const float *u = mlp_session_f32(s, mlp_session_value(s, "u", NULL));
    for (int i = 0; i < 3 * N; i++) {
        float e = mlp_fexp(x[i]), l = mlp_fsigmoid(x[i]), dl = l * (1 - l);
        float th = mlp_ftanh(x[i]), dth = 1 - th * th;
        CHECK_MSG(same_bits(e, y[i]) && same_bits(l, sg[i]) && same_bits(dl, d[i]) &&
                      same_bits(th, t[i]) && same_bits(dth, u[i]),
                  "element %d: x = %a: exp %a vs %a, sigmoid %a vs %a, dsigmoid %a vs %a, tanh %a "
                  "vs %a, dtanh %a vs %a", i, (double)x[i], (double)y[i], (double)e, (double)sg[i],
                  (double)l, (double)d[i], (double)dl, (double)t[i], (double)th, (double)u[i],
                  (double)dth);
    }
    mlp_session_free(s);
    mlp_model_free(m);
}

/* The float32 softmax kernel is mlp_fsoftmax (float exp, float sum): its bits for each sample
 * of a batch, within 1e-6 of the double-precision softmax, and the float64 kernel's answer
 * where the largest element is infinite (shift 0: NaN there, 0 elsewhere). */
TEST(fexp_float32_softmax_is_mlp_fsoftmax)
{
    enum { N = 10, B = 4 };
    mlp_model *m = parse_ok("input x[10]\np = softmax(x)\noutput p\n");
    CHECK(m);
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F32, B, &err);
    CHECK(s);
    mlp_session_set_batch(s, B, NULL);
    float *x = mlp_session_f32(s, mlp_session_input(s, "x", NULL));
    srand(9);
    for (int i = 0; i < B * N; i++)
        x[i] = ((float)rand() / RAND_MAX - 0.5f) * (i < N ? 8.0f : 60.0f);
    x[3 * N + 2] = INFINITY;
    CHECK(mlp_session_run(s, &err) == MLP_OK);
    const float *p = mlp_session_f32(s, mlp_session_value(s, "p", NULL));
    for (int b = 0; b < B; b++) {
        float want[N];
        mlp_fsoftmax(x + b * N, want, N);
        double mx = -INFINITY, sum = 0;
        for (int i = 0; i < N; i++)
            mx = x[b * N + i] > mx ? x[b * N + i] : mx;
        for (int i = 0; i < N; i++)
            sum += exp(x[b * N + i] - mx);
        for (int i = 0; i < N; i++) {
            CHECK_MSG(same_bits(want[i], p[b * N + i]), "sample %d element %d: %a vs %a", b, i,
                      (double)p[b * N + i], (double)want[i]);
            if (b < 3)
                CHECK_MSG(fabs(p[b * N + i] - exp(x[b * N + i] - mx) / sum) <= 1e-6,
                          "sample %d element %d: %.9g", b, i, (double)p[b * N + i]);
            else
                CHECK(i == 2 ? isnan(p[b * N + i]) : p[b * N + i] == 0);
        }
    }
    mlp_session_free(s);
    mlp_model_free(m);
}

/* test_numfmt.c - float32 printed shortest (fast path = slow loop) and exactly. */
#include "test.h"
#include "base/numfmt.h"
#include "base/rng.h"

#include <float.h>
#include <gmp.h>
#include <stdint.h>
#include <stdlib.h>

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The fast printer gives the slow loop's text, and the text reads back as the same float. */
static bool same(float v, char *why)
{
    char a[32], b[32];
    mlp_format_float(v, a);
    mlp_format_float_slow(v, b);
    if (strcmp(a, b) || (!isnan(v) && strtof(a, NULL) != v)) {
        sprintf(why, "%a: fast '%s', slow '%s'", (double)v, a, b);
        return false;
    }
    return true;
}

TEST(format_float_is_the_slow_loop_on_edge_and_random_floats)
{
    char why[128];
    static const float edge[] = {0.1f, 0.5f, 1, 10, 1e-5f, 1e16f, 1e15f, 123456789.f, FLT_MAX,
                                 FLT_MIN, 1e-45f, -0.0f, 0.3f, 2.5f, 9.5f, 0.25f, 1e38f, 3e-39f};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        CHECK_MSG(same(edge[i], why), "%s", why);
    char buf[32];
    mlp_format_float(0.1f, buf);
    CHECK_STR(buf, "0.1");
    mlp_format_float(1e-5f, buf);
    CHECK_STR(buf, "1e-05");
    mlp_format_float(-3.0f, buf);
    CHECK_STR(buf, "-3");
    mlp_format_float(1e16f, buf);
    CHECK_STR(buf, "1e+16");
    /* every power of two and its neighbours, then random bit patterns and probabilities */
    for (int k = -149; k <= 127; k++) {
        float p = ldexpf(1, k);
        CHECK_MSG(same(p, why) && same(nextafterf(p, 0), why) && same(nextafterf(p, INFINITY), why),
                  "%s", why);
    }
    mlp_rng r;
    mlp_rng_seed(&r, 7, 1);
    for (int i = 0; i < 100000; i++) {
        uint32_t u = (uint32_t)mlp_rng_next(&r);
        CHECK_MSG(same(from_bits(u), why), "%s", why);
        CHECK_MSG(same((float)(u >> 8) / 16777216.0f, why), "%s", why);
    }
    /* every float from 0.1 upward for a while: consecutive values stress the margins */
    float f = 0.1f;
    for (int i = 0; i < 100000; i++, f = nextafterf(f, 1))
        CHECK_MSG(same(f, why), "%s", why);
}

/* The exact text is the float's value as a rational, and reads back as the same double. */
static bool exact(double v, char *why)
{
    char buf[MLP_EXACT_BUF];
    mlp_format_exact_float(v, buf);
    mpq_t want, got;
    mpq_inits(want, got, NULL);
    mpq_set_d(want, v);
    /* the text as a rational: mantissa digits over a power of ten */
    mpf_t fv;
    mpf_init2(fv, 2048);
    mpf_set_str(fv, buf, 10);
    mpq_set_f(got, fv);
    bool ok = mpq_equal(want, got) && strtod(buf, NULL) == v;
    if (!ok)
        sprintf(why, "%a printed as %s", v, buf);
    mpf_clear(fv);
    mpq_clears(want, got, NULL);
    return ok;
}

TEST(format_exact_float_is_the_exact_value)
{
    char why[400], buf[MLP_EXACT_BUF];
    CHECK_STR(mlp_format_exact_float(0.1f, buf), "0.100000001490116119384765625");
    CHECK_STR(mlp_format_exact_float(0.5, buf), "0.5");
    CHECK_STR(mlp_format_exact_float(-3, buf), "-3");
    CHECK_STR(mlp_format_exact_float(1e-5f, buf), "9.99999974737875163555145263671875e-06");
    CHECK_STR(mlp_format_exact_float(1024, buf), "1024");
    CHECK_STR(mlp_format_exact_float(1e20f, buf), "1.00000002004087734272e+20");
    CHECK(mlp_is_float32(0.1f) && !mlp_is_float32(0.1) && !mlp_is_float32(INFINITY));
    CHECK_MSG(exact(1e-45f, why) && exact(FLT_MAX, why) && exact(-FLT_MIN, why), "%s", why);
    mlp_rng r;
    mlp_rng_seed(&r, 3, 1);
    for (int i = 0; i < 20000; i++) {
        float f = from_bits((uint32_t)mlp_rng_next(&r));
        if (isfinite(f))
            CHECK_MSG(exact(f, why), "%s", why);
    }
}

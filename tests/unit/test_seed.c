/* test_seed.c - the seed document's problems 1 and 4, checked against independent computations. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "base/rng.h"

static mlp_model *load(const char *path)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_load(path, &err);
    if (!m)
        mlp_error_print(&err, stderr);
    return m;
}

static double sigma(double v) { return 1 / (1 + exp(-v)); }

/* Seed problem 4: x-bar from the adjoint graph equals the seed's equations
 *   ybar = y - s,  hbar = r + W2^T ybar,  zbar = hbar o sigma'(z),  xbar = W1^T zbar + ybar. */
TEST(seed4_xbar_matches_hand_derived_formula)
{
    mlp_model *m = load("examples/seed/residual.mlp");
    CHECK(m);
    double W1[6], b1[2], W2[6], b2[3], r[2];
    mlp_model_get_values(m, "W1", W1, NULL);
    mlp_model_get_values(m, "b1", b1, NULL);
    mlp_model_get_values(m, "W2", W2, NULL);
    mlp_model_get_values(m, "b2", b2, NULL);
    mlp_model_get_values(m, "r", r, NULL);
    const char *wrt[] = {"x"};
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, wrt, 1, MLP_F64, 1, &err);
    CHECK(s);
    mlp_rng rng;
    mlp_rng_seed(&rng, 4, 0);
    for (int trial = 0; trial < 20; trial++) {
        double x[3], t[3], xbar[3];
        for (int i = 0; i < 3; i++) {
            x[i] = 3 * mlp_rng_normal(&rng);
            t[i] = mlp_rng_normal(&rng);
        }
        CHECK(!mlp_session_set(s, "x", x, 1, &err) && !mlp_session_set(s, "s", t, 1, &err));
        CHECK(!mlp_session_run(s, &err) && !mlp_session_grad(s, "x", xbar, &err));
        double z[2], h[2], y[3], ybar[3], hbar[2], zbar[2], expect[3];
        for (int j = 0; j < 2; j++) {
            z[j] = b1[j];
            for (int i = 0; i < 3; i++)
                z[j] += W1[j * 3 + i] * x[i];
            h[j] = sigma(z[j]);
        }
        for (int i = 0; i < 3; i++) {
            y[i] = x[i] + b2[i];
            for (int j = 0; j < 2; j++)
                y[i] += W2[i * 2 + j] * h[j];
            ybar[i] = y[i] - t[i];
        }
        for (int j = 0; j < 2; j++) {
            hbar[j] = r[j];
            for (int i = 0; i < 3; i++)
                hbar[j] += W2[i * 2 + j] * ybar[i];
            zbar[j] = hbar[j] * sigma(z[j]) * (1 - sigma(z[j]));
        }
        for (int i = 0; i < 3; i++) {
            expect[i] = ybar[i];
            for (int j = 0; j < 2; j++)
                expect[i] += W1[j * 3 + i] * zbar[j];
            CHECK_CLOSE(xbar[i], expect[i], 1e-13);
        }
    }
    mlp_session_free(s);
    mlp_model_free(m);
}

static double descending(mlp_session *s, const double *x)
{
    double y = -1;
    mlp_session_set(s, "x", x, 1, NULL);
    mlp_session_run(s, NULL);
    mlp_session_get(s, "y", &y, NULL);
    return y;
}

/* Seed problem 1: 1 on strictly descending inputs, 0 on every tie pattern and otherwise. */
TEST(seed1_descending_table)
{
    mlp_model *m = load("examples/seed/descending.mlp");
    CHECK(m);
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 1, NULL);
    CHECK(s);
    double strict[][5] = {{5, 4, 3, 2, 1}, {0, -1, -2, -3, -4}, {1e9, 1, 0.5, 1e-9, -1e9},
                          {0.3, 0.2, 0.1, 0, -0.1}, {1e-300, 0, -1e-300, -2e-300, -3e-300}};
    for (size_t i = 0; i < sizeof strict / sizeof *strict; i++)
        CHECK_MSG(descending(s, strict[i]) == 1, "strictly descending case %zu gave 0", i);
    /* Every non-empty set of adjacent ties, the other pairs strictly descending: 15 patterns. */
    for (int pattern = 1; pattern < 16; pattern++) {
        double x[5] = {10, 0, 0, 0, 0};
        for (int i = 1; i < 5; i++)
            x[i] = x[i - 1] - ((pattern >> (i - 1)) & 1 ? 0 : 1.5);
        CHECK_MSG(descending(s, x) == 0, "tie pattern %d gave 1", pattern);
    }
    double other[][5] = {{1, 2, 3, 4, 5}, {5, 4, 3, 1, 2}, {5, 5, 5, 5, 5},
                         {0, 0, 0, 0, 0}, {2, 1, 3, 0, -1}, {5, 4, 3, 2, 2}};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        CHECK_MSG(descending(s, other[i]) == 0, "non-descending case %zu gave 1", i);
    /* Random orders: the network agrees with the definition. */
    mlp_rng rng;
    mlp_rng_seed(&rng, 1, 1);
    for (int trial = 0; trial < 2000; trial++) {
        double x[5];
        bool want = true;
        for (int i = 0; i < 5; i++) {
            x[i] = (double)mlp_rng_below(&rng, 4); /* small integers: ties are frequent */
            if (i && !(x[i - 1] > x[i]))
                want = false;
        }
        CHECK(descending(s, x) == (want ? 1 : 0));
    }
    mlp_session_free(s);
    mlp_model_free(m);
}

/* test_verify.c - mlp_verify's verdicts: proofs, counterexamples checked here independently in
 * exact arithmetic, ties and tiny weights decided exactly, errors. */
#include "test.h"
#include "util.h"

#include <gmp.h>
#include <stdlib.h>

/* Verify a spec of a model (file path or, with a newline, model text); NULL bounds for none.
 * Returns 1 holds, 0 violated, -1 on error (message in err). */
static int verify(const char *model, const char *spec, const char *bounds, mlp_verify_result *r,
                  mlp_error *err)
{
    mlp_error_clear(err);
    mlp_model *m = strchr(model, '\n') ? mlp_model_parse(model, "test.mlp", err)
                                       : mlp_model_load(model, err);
    if (!m)
        return -1;
    const char *b[1] = {bounds};
    int rc = mlp_verify(m, spec, b, bounds ? 1 : 0, r, err);
    mlp_model_free(m);
    return rc == MLP_OK ? r->holds : -1;
}

/* The counterexample's input `name`, as rationals in q (size elements). */
static const mlp_exact_value *find(const mlp_exact_value *v, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

static void get_q(mpq_t q, const mlp_exact_value *v, size_t i)
{
    mpq_set_str(q, v->values[i], 10);
    mpq_canonicalize(q);
}

static const char *DESC_SPEC = "y == 1 <=> x[0] > x[1] > x[2] > x[3] > x[4]";

/* A threshold network h = step(W1 x + b1), y = step(w2 . h + b2), evaluated exactly here. */
static int threshold_net(const mpq_t *x, const int W1[4][5], const mpq_t *b1, const int w2[4],
                         int b2)
{
    mpq_t z, t;
    mpq_inits(z, t, NULL);
    int out = b2;
    for (int i = 0; i < 4; i++) {
        mpq_set(z, b1[i]);
        for (int j = 0; j < 5; j++) {
            mpq_set_si(t, W1[i][j], 1);
            mpq_mul(t, t, x[j]);
            mpq_add(z, z, t);
        }
        out += w2[i] * (mpq_sgn(z) >= 0);
    }
    mpq_clears(z, t, NULL);
    return out >= 0;
}

static bool strictly_descending(const mpq_t *x)
{
    for (int i = 0; i < 4; i++)
        if (mpq_cmp(x[i], x[i + 1]) <= 0)
            return false;
    return true;
}

/* Check a descending-family counterexample against the network re-implemented here. */
static bool desc_counterexample_ok(const mlp_verify_result *r, const int W1[4][5],
                                   const char *bias0, const int w2[4], int b2)
{
    const mlp_exact_value *xv = find(r->inputs, r->ninputs, "x"), *yv = find(r->values, r->nvalues, "y");
    if (!xv || !yv || xv->size != 5 || yv->size != 1)
        return false;
    mpq_t x[5], b1[4];
    for (int i = 0; i < 5; i++) {
        mpq_init(x[i]);
        get_q(x[i], xv, (size_t)i);
    }
    for (int i = 0; i < 4; i++)
        mpq_init(b1[i]);
    mpq_set_str(b1[0], bias0, 10);
    mpq_canonicalize(b1[0]);
    int y = threshold_net((const mpq_t *)x, W1, (const mpq_t *)b1, w2, b2);
    bool ok = y == atoi(yv->values[0]) && y != strictly_descending((const mpq_t *)x);
    for (int i = 0; i < 5; i++)
        mpq_clear(x[i]);
    for (int i = 0; i < 4; i++)
        mpq_clear(b1[i]);
    return ok;
}

static const int SEED_W1[4][5] = {{-1, 1, 0, 0, 0}, {0, -1, 1, 0, 0}, {0, 0, -1, 1, 0}, {0, 0, 0, -1, 1}};
static const int SEED_W2[4] = {-1, -1, -1, -1};

TEST(verify_seed_problem1_holds_ties_included)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/seed/descending.mlp", DESC_SPEC, NULL, &r, &err) == 1);
    CHECK(r.regions == 16); /* 4 hidden units, each side feasible everywhere; y fixed per region */
    CHECK_STR(r.domain, "x in R^5");
    CHECK(r.ninputs == 0 && r.requires == NULL);
    mlp_verify_result_free(&r);
    /* Hidden values can be named too: y fires only when every hidden unit is off. */
    CHECK(verify("examples/seed/descending.mlp", "y == 1 => h == [0, 0, 0, 0]", NULL, &r, &err) == 1);
    mlp_verify_result_free(&r);
}

TEST(verify_natural_mistake_fires_on_ties)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/verify/descending-naive.mlp", DESC_SPEC, NULL, &r, &err) == 0);
    static const int W1[4][5] = {{1, -1, 0, 0, 0}, {0, 1, -1, 0, 0}, {0, 0, 1, -1, 0}, {0, 0, 0, 1, -1}};
    static const int w2[4] = {1, 1, 1, 1};
    CHECK(desc_counterexample_ok(&r, W1, "0", w2, -4));
    CHECK_STR(r.values[0].values[0], "1");
    CHECK_STR(r.requires, "y = 0");
    mlp_verify_result_free(&r);
    /* Each direction on its own: sufficiency holds, necessity fails. */
    CHECK(verify("examples/verify/descending-naive.mlp", "x[0] > x[1] > x[2] > x[3] > x[4] => y == 1",
                 NULL, &r, &err) == 1);
    mlp_verify_result_free(&r);
}

TEST(verify_finds_a_sliver_of_width_1e_9)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/verify/descending-sliver.mlp", DESC_SPEC, NULL, &r, &err) == 0);
    CHECK(desc_counterexample_ok(&r, SEED_W1, "1/1000000000", SEED_W2, 0));
    CHECK_STR(r.requires, "y = 1");
    /* The violation needs 0 < x[0] - x[1] <= 1e-9. */
    mpq_t a, b;
    mpq_inits(a, b, NULL);
    get_q(a, &r.inputs[0], 0);
    get_q(b, &r.inputs[0], 1);
    mpq_sub(a, a, b);
    mpq_set_ui(b, 1, 1000000000);
    CHECK(mpq_sgn(a) > 0 && mpq_cmp(a, b) <= 0);
    mpq_clears(a, b, NULL);
    mlp_verify_result_free(&r);
}

TEST(verify_output_bias_that_never_fires)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/verify/descending-never.mlp", DESC_SPEC, NULL, &r, &err) == 0);
    CHECK(desc_counterexample_ok(&r, SEED_W1, "0", SEED_W2, -1));
    CHECK_STR(r.requires, "y = 1");
    mlp_verify_result_free(&r);
    /* The same through a replaced parameter value. */
    mlp_model *m = mlp_model_load("examples/seed/descending.mlp", &err);
    double b2 = -1;
    CHECK(m && mlp_model_set_values(m, "b2", &b2, &err) == MLP_OK);
    CHECK(mlp_verify(m, DESC_SPEC, NULL, 0, &r, &err) == MLP_OK && !r.holds);
    mlp_verify_result_free(&r);
    mlp_model_free(m);
}

TEST(verify_kinks_are_decided_exactly)
{
    mlp_verify_result r;
    mlp_error err;
    const char *step = "input x\ny = step(x)\noutput y\n";
    CHECK(verify(step, "y == 1 <=> x >= 0", NULL, &r, &err) == 1);
    mlp_verify_result_free(&r);
    CHECK(verify(step, "y == 1 <=> x > 0", NULL, &r, &err) == 0);
    CHECK_STR(r.inputs[0].values[0], "0"); /* the only counterexample */
    mlp_verify_result_free(&r);
    const char *drelu = "input x\ny = drelu(x)\nr = relu(x)\noutput y, r\n";
    CHECK(verify(drelu, "(y == 1 <=> x > 0) and (r == x <=> x >= 0) and r >= 0", NULL, &r, &err) == 1);
    mlp_verify_result_free(&r);
    /* |x| = relu(x) + relu(-x): three regions, x = 0 its own. */
    CHECK(verify("examples/verify/relu-abs.mlp", "y >= 0 and (y == x or y == -x)", NULL, &r, &err) == 1);
    CHECK(r.regions == 3);
    mlp_verify_result_free(&r);
}

TEST(verify_literals_are_taken_as_written)
{
    mlp_verify_result r;
    mlp_error err;
    /* In float64 0.1 x + 0.2 x != 0.3 x at x = 1; as written, the two are equal everywhere. */
    const char *m = "input x\nparam a = 0.1\nparam b = 0.2\ny = a * x + b * x\noutput y\n";
    CHECK(verify(m, "y == 0.3 * x", NULL, &r, &err) == 1);
    mlp_verify_result_free(&r);
    double y;
    CHECK(!eval_model(m, (const char *const[]){"x=1", NULL}, "y", &y) && y != 0.3);
    /* A weight of 1e-400 is 0 as a double, but not to verify. */
    const char *tiny = "input x\nparam e = 1e-400\ny = step(x + e)\noutput y\n";
    CHECK(verify(tiny, "y == 1 <=> x >= -1e-400", NULL, &r, &err) == 1);
    mlp_verify_result_free(&r);
    CHECK(verify(tiny, "y == 1 <=> x >= 0", NULL, &r, &err) == 0);
    mpq_t x, lo;
    mpq_inits(x, lo, NULL);
    get_q(x, &r.inputs[0], 0);
    CHECK(mpq_sgn(x) < 0);
    mpq_set_str(lo, one_over_10_to(400), 10);
    mpq_neg(lo, lo);
    CHECK(mpq_cmp(x, lo) >= 0);
    mpq_clears(x, lo, NULL);
    mlp_verify_result_free(&r);
}

TEST(verify_threshold_classics)
{
    static const char *const cases[][2] = {
        {"examples/verify/and.mlp", "(x[0] == 0 or x[0] == 1) and (x[1] == 0 or x[1] == 1) => "
                                    "(y == 1 <=> x[0] == 1 and x[1] == 1)"},
        {"examples/verify/or.mlp", "(x[0] == 0 or x[0] == 1) and (x[1] == 0 or x[1] == 1) => "
                                   "(y == 1 <=> x[0] == 1 or x[1] == 1)"},
        {"examples/verify/xor.mlp", "(x[0] == 0 or x[0] == 1) and (x[1] == 0 or x[1] == 1) => "
                                    "(y == 1 <=> x[0] != x[1])"},
        {"examples/verify/xor.mlp", "y == 1 <=> 1/2 <= x[0] + x[1] < 3/2"},
        {"examples/verify/majority.mlp", "(x[0] == 0 or x[0] == 1) and (x[1] == 0 or x[1] == 1) and "
                                         "(x[2] == 0 or x[2] == 1) => (y == 1 <=> x[0] + x[1] + x[2] >= 2)"},
        {"examples/verify/ascending.mlp", "y == 1 <=> x[0] <= x[1] <= x[2] <= x[3]"},
        {"examples/verify/relu-max.mlp", "(a >= b => y == a) and (a < b => y == b)"},
        {"examples/verify/relu-clip.mlp", "0 <= y <= 1 and (0 <= x <= 1 => y == x) and "
                                          "(x <= 0 => y == 0) and (x >= 1 => y == 1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mlp_verify_result r;
        mlp_error err;
        int v = verify(cases[i][0], cases[i][1], NULL, &r, &err);
        CHECK_MSG(v == 1, "%s: %s gives %d", cases[i][0], cases[i][1], v);
        mlp_verify_result_free(&r);
    }
}

TEST(verify_wrong_relu_max_and_what_the_spec_requires)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/verify/relu-max-wrong.mlp", "(a >= b => y == a) and (a < b => y == b)",
                 NULL, &r, &err) == 0);
    mpq_t a, b, y, s;
    mpq_inits(a, b, y, s, NULL);
    get_q(a, find(r.inputs, r.ninputs, "a"), 0);
    get_q(b, find(r.inputs, r.ninputs, "b"), 0);
    get_q(y, find(r.values, r.nvalues, "y"), 0);
    /* y = relu(a) + relu(b), recomputed here */
    mpq_set_ui(s, 0, 1);
    if (mpq_sgn(a) > 0)
        mpq_add(s, s, a);
    if (mpq_sgn(b) > 0)
        mpq_add(s, s, b);
    CHECK(mpq_equal(s, y));
    const mpq_t *mx = mpq_cmp(a, b) >= 0 ? &a : &b;
    CHECK(!mpq_equal(y, *mx));
    char want[200];
    snprintf(want, sizeof want, "y == %s", mx == &a ? find(r.inputs, r.ninputs, "a")->values[0]
                                                   : find(r.inputs, r.ninputs, "b")->values[0]);
    CHECK_STR(r.requires, want);
    mpq_clears(a, b, y, s, NULL);
    mlp_verify_result_free(&r);
}

TEST(verify_bounds_restrict_the_inputs)
{
    mlp_verify_result r;
    mlp_error err;
    const char *xor = "examples/verify/xor.mlp", *spec = "y == 1 => x[0] >= -1/2";
    CHECK(verify(xor, spec, "x in [0, 1]", &r, &err) == 1);
    CHECK_STR(r.domain, "x in [0, 1]^2");
    mlp_verify_result_free(&r);
    CHECK(verify(xor, spec, "x[0] in [-1/2, 1]", &r, &err) == 1);
    CHECK_STR(r.domain, "x in R^2 with x[0] in [-1/2, 1]");
    mlp_verify_result_free(&r);
    CHECK(verify(xor, spec, NULL, &r, &err) == 0);
    CHECK_STR(r.requires, "y = 0");
    mlp_verify_result_free(&r);
    CHECK(verify(xor, spec, "x in [0, 1] and x[0] in [2, 3]", &r, &err) == -1);
    CHECK_STR(err.message, "the bounds leave no value for input element 0 (they do not overlap)");
    CHECK(verify(xor, spec, "h in [0, 1]", &r, &err) == -1);
    CHECK(err.col == 1 && !strcmp(err.file, "bounds"));
}

TEST(verify_products_with_region_constants_are_linear)
{
    mlp_verify_result r;
    mlp_error err;
    /* step(x[0]) is 0 or 1 in each region, so gating x[1] by it stays piecewise linear. */
    const char *gate = "input x[2]\ny = step(x[0]) * x[1]\noutput y\n";
    CHECK(verify(gate, "(x[0] >= 0 => y == x[1]) and (x[0] < 0 => y == 0)", NULL, &r, &err) == 1);
    CHECK(r.regions == 2);
    mlp_verify_result_free(&r);
}

TEST(verify_rejects_what_is_not_piecewise_linear)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/seed/sigmoid-mlp.mlp", "y[0] >= 0", NULL, &r, &err) == -1);
    CHECK_STR(err.message, "cannot verify: op sigmoid is not piecewise linear");
    CHECK(err.line == 15 && err.col == 5 && !strcmp(err.source_line, "h = sigmoid(W1 @ x + b1)"));
    CHECK(verify("input x\ny = x * x\noutput y\n", "y >= 0", NULL, &r, &err) == -1);
    CHECK_STR(err.message, "cannot verify: op mul multiplies two values that depend on the inputs "
                           "(not piecewise linear)");
    CHECK(err.line == 2 && err.col == 7);
    CHECK(verify("input x\ninput t\ny = x / t\noutput y\n", "y >= 0", NULL, &r, &err) == -1);
    CHECK(strstr(err.message, "divides by a value that depends on the inputs") != NULL);
    CHECK(verify("input x\ny = x / (1 - 1)\noutput y\n", "y >= 0", NULL, &r, &err) == -1);
    CHECK(strstr(err.message, "not finite") || strstr(err.message, "division by zero"));
    /* Only what the spec depends on must be piecewise linear. */
    const char *mixed = "input x\nh = step(x)\nz = sigmoid(x)\noutput h, z\n";
    CHECK(verify(mixed, "h >= 0", NULL, &r, &err) == 1);
    CHECK_STR(r.domain, "x in R");
    mlp_verify_result_free(&r);
}

TEST(verify_spec_without_inputs_and_unused_inputs)
{
    mlp_verify_result r;
    mlp_error err;
    CHECK(verify("examples/seed/descending.mlp", "W1[0, 0] == -1 and b2 == 0", NULL, &r, &err) == 1);
    CHECK_STR(r.domain, "");
    CHECK(r.regions == 1 && r.solver_calls == 0);
    mlp_verify_result_free(&r);
    /* t does not reach y: it is neither quantified over nor part of the counterexample. */
    const char *m = "input x\ninput t\ny = relu(x)\nu = relu(t)\noutput y, u\n";
    CHECK(verify(m, "y > 0", NULL, &r, &err) == 0);
    CHECK(r.ninputs == 1 && !strcmp(r.inputs[0].name, "x") && !strcmp(r.domain, "x in R"));
    mlp_verify_result_free(&r);
}

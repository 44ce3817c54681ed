/* test_op_verify.c - the piecewise-linear ops under mlp verify (a true property proved, a false
 * one refuted with an exact counterexample that is checked here) and under mlp zeros (their
 * sign facts decide gradients). */
#include "test.h"
#include "util.h"

#include <gmp.h>
#include <stdlib.h>

static const char *PWL =
    "input x\n"
    "input v[2]\n"
    "param W[2,2] = [[1, -2], [1/2, 1]]\n"
    "a = abs(x)\n"
    "m = max(x, -x)\n"
    "l = leaky_relu(x, 1/10)\n"
    "c = clip(x, -1, 1)\n"
    "h = relu6(W @ v)\n"
    "n = min(h[0], h[1])\n"
    "s = sign(x)\n"
    "output a, m, l, c, h, n, s\n";

/* 1 holds, 0 violated (r filled), -1 error. */
static int verify(const char *spec, mlp_verify_result *r)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(PWL, "pwl.mlp", &err);
    int rc = m ? mlp_verify(m, spec, NULL, 0, r, &err) : -1;
    if (rc != MLP_OK)
        mlp_error_print(&err, stderr);
    mlp_model_free(m);
    return rc == MLP_OK ? r->holds : -1;
}

/* The counterexample's value of input `name`, element i. */
static void input_q(const mlp_verify_result *r, const char *name, size_t i, mpq_t q)
{
    mpq_set_ui(q, 0, 1);
    for (int k = 0; k < r->ninputs; k++)
        if (!strcmp(r->inputs[k].name, name)) {
            mpq_set_str(q, r->inputs[k].values[i], 10);
            mpq_canonicalize(q);
        }
}

TEST(verify_proves_properties_of_piecewise_ops)
{
    const char *holds[] = {
        "a == m",                          /* abs(x) = max(x, -x) */
        "a >= 0 and a >= x and a >= -x",
        "c >= -1 and c <= 1",              /* clip stays in its bounds */
        "x >= -1 and x <= 1 => c == x",
        "l >= x",                          /* 1/10 x >= x for x < 0 */
        "x > 0 => l == x",
        "h >= 0 and h <= 6",
        "n <= h[0] and n <= h[1]",
        "s >= -1 and s <= 1 and (x > 0 <=> s == 1)",
    };
    for (size_t i = 0; i < sizeof holds / sizeof *holds; i++) {
        mlp_verify_result r;
        CHECK_MSG(verify(holds[i], &r) == 1, "'%s' should hold", holds[i]);
        mlp_verify_result_free(&r);
    }
}

TEST(verify_refutes_with_exact_counterexamples)
{
    mpq_t x, tenth;
    mpq_inits(x, tenth, NULL);
    mpq_set_ui(tenth, 1, 10);
    mlp_verify_result r;
    /* leaky_relu(x, 1/10) <= x fails exactly where x < 0 (there it is x/10 > x) */
    CHECK(verify("l <= x", &r) == 0);
    input_q(&r, "x", 0, x);
    CHECK(mpq_sgn(x) < 0);
    mlp_verify_result_free(&r);
    /* leaky_relu(x, 1/10) == x / 10 fails for some x > 0 */
    CHECK(verify("l == x / 10", &r) == 0);
    input_q(&r, "x", 0, x);
    CHECK(mpq_sgn(x) > 0);
    mlp_verify_result_free(&r);
    /* clip(x, -1, 1) == x fails outside [-1, 1] */
    CHECK(verify("c == x", &r) == 0);
    input_q(&r, "x", 0, x);
    CHECK(mpq_cmp_si(x, 1, 1) > 0 || mpq_cmp_si(x, -1, 1) < 0);
    mlp_verify_result_free(&r);
    /* min(relu6(W v)) < 5 fails: check the counterexample by hand, exactly */
    CHECK(verify("n < 5", &r) == 0);
    mpq_t v0, v1, z0, z1, t;
    mpq_inits(v0, v1, z0, z1, t, NULL);
    input_q(&r, "v", 0, v0);
    input_q(&r, "v", 1, v1);
    mpq_set_si(t, 2, 1);
    mpq_mul(t, t, v1);
    mpq_sub(z0, v0, t); /* v0 - 2 v1 */
    mpq_set_ui(t, 1, 2);
    mpq_mul(t, t, v0);
    mpq_add(z1, t, v1); /* v0 / 2 + v1 */
    CHECK(mpq_cmp_si(z0, 5, 1) >= 0 && mpq_cmp_si(z1, 5, 1) >= 0);
    mpq_clears(v0, v1, z0, z1, t, x, tenth, NULL);
    mlp_verify_result_free(&r);
}

TEST(verify_refuses_smooth_new_ops_by_name)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse("input x\ny = gelu(x)\noutput y\n", "g.mlp", &err);
    mlp_verify_result r;
    CHECK(m && mlp_verify(m, "y >= 0", NULL, 0, &r, &err) == MLP_ERR_INPUT);
    CHECK(strstr(err.message, "cannot verify: op gelu is not piecewise linear"));
    CHECK(err.line == 2);
    mlp_error_clear(&err);
    mlp_model_free(m);
}

/* zeros on a relu6 layer: the facts come from relu6's entry (and its derivative's). */
static const char *NET6 = "input x[3]\n"
                          "param w1[3] = [1, 2, 3]\n"
                          "param b1 = 0\n"
                          "param w2 = 2\n"
                          "input t\n"
                          "z1 = dot(w1, x) + b1\n"
                          "h1 = relu6(z1)\n"
                          "y = w2 * leaky_relu(h1) + abs(z1)\n"
                          "L = (y - t) * (y - t)\n"
                          "loss L\n";

static int zeros_yes(const char *fact, const char *name)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(NET6, "net6.mlp", &err);
    mlp_zero_result *r = NULL;
    int n = 0, yes = -1;
    const char *facts[] = {fact};
    if (m && mlp_zeros(m, facts, 1, NULL, 0, &r, &n, &err) == MLP_OK)
        for (int i = 0; i < n; i++)
            if (!strcmp(r[i].name, name))
                yes = r[i].always_zero;
    if (err.status)
        mlp_error_print(&err, stderr);
    mlp_zero_results_free(r, n);
    mlp_model_free(m);
    return yes;
}

TEST(zeros_reads_the_facts_of_relu6_leaky_relu_and_abs)
{
    /* z1 < 0: relu6 is dead (h1 = 0, relu6'(z1) = 0), so w2's gradient is 0; w1's is not,
     * through abs(z1) */
    CHECK(zeros_yes("z1 < 0", "w2") == 1);
    CHECK(zeros_yes("z1 < 0", "w1") == 0);
    /* h1 = 0 says z1 <= 0 backwards through relu6: the same for w2 */
    CHECK(zeros_yes("h1 == 0", "w2") == 1);
    CHECK(zeros_yes("z1 > 0", "w2") == 0);
}

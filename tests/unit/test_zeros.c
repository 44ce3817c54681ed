/* test_zeros.c - seed problem 3: which gradients facts force to zero, the reasons given, the
 * facts' syntax and contradictions, and soundness checked numerically. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "base/rng.h"

/* Run mlp_zeros on a model file; returns the results (NULL and the error printed on failure). */
static mlp_zero_result *zeros(const char *path, const char *fact, const char *wrt_list, int *n,
                              mlp_error *err)
{
    mlp_model *m = mlp_model_load(path, err);
    if (!m)
        return NULL;
    char buf[256];
    const char *wrt[16];
    int nwrt = 0;
    snprintf(buf, sizeof buf, "%s", wrt_list ? wrt_list : "");
    for (char *save, *t = strtok_r(buf, ",", &save); t && nwrt < 16; t = strtok_r(NULL, ",", &save))
        wrt[nwrt++] = t;
    mlp_zero_result *r = NULL;
    const char *facts[] = {fact};
    int rc = mlp_zeros(m, facts, fact ? 1 : 0, wrt_list ? wrt : NULL, nwrt, &r, n, err);
    mlp_model_free(m);
    return rc == MLP_OK ? r : NULL;
}

static const mlp_zero_result *find(const mlp_zero_result *r, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(r[i].name, name))
            return &r[i];
    return NULL;
}

#define NET "examples/seed/relu-net.mlp"

/* The seed's answers, with the seed's reasons. */
TEST(zeros_seed3_z1_negative)
{
    int n;
    mlp_error err = {0};
    mlp_zero_result *r = zeros(NET, "z1 < 0", "w1,w2,w3", &n, &err);
    CHECK(r && n == 3);
    CHECK(r[0].always_zero && r[1].always_zero && !r[2].always_zero);
    CHECK_STR(r[0].why, "∂L/∂w1 = ∂L/∂h1 · relu'(z1) · x1, and relu'(z1) = 0 because z1 < 0 "
                        "(assumed)");
    CHECK_STR(r[1].why, "∂L/∂w2 = ∂L/∂y · relu'(z) · w3 · relu'(z3) · h1, and h1 = relu(z1) = 0 "
                        "because z1 < 0 (assumed)");
    CHECK_STR(r[2].why, "∂L/∂w3 = ∂L/∂y · relu'(z) · h3, and none of these factors is known to "
                        "be zero");
    mlp_zero_results_free(r, n);
}

/* h1 == 0 says z1 <= 0, and relu'(0) = 0: the same verdicts. */
TEST(zeros_seed3_h1_zero)
{
    int n;
    mlp_error err = {0};
    mlp_zero_result *r = zeros(NET, "h1 == 0", "w1,w2,w3", &n, &err);
    CHECK(r && n == 3);
    CHECK(r[0].always_zero && r[1].always_zero && !r[2].always_zero);
    CHECK_STR(r[0].why, "∂L/∂w1 = ∂L/∂h1 · relu'(z1) · x1, and relu'(z1) = 0 because z1 ≤ 0, "
                        "since h1 = relu(z1) = 0 (assumed)");
    CHECK_STR(r[1].why, "∂L/∂w2 = ∂L/∂y · relu'(z) · w3 · relu'(z3) · h1, and h1 = 0 (assumed)");
    mlp_zero_results_free(r, n);
}

TEST(zeros_all_parameters_and_other_facts)
{
    int n;
    mlp_error err = {0};
    mlp_zero_result *r = zeros(NET, "z1 < 0", NULL, &n, &err);
    CHECK(r && n == 10);
    /* Everything that reaches the loss only through h1: w1, w7 (into z1), w2, w4 (out of h1). */
    const char *yes[] = {"w1", "w7", "w2", "w4"};
    int count = 0;
    for (int i = 0; i < n; i++)
        count += r[i].always_zero;
    CHECK(count == 4);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(find(r, n, yes[i])->always_zero, "%s should be YES", yes[i]);
    mlp_zero_results_free(r, n);
    /* z1 > 0 decides nothing about zeros; z1 == 0 does (relu(0) = 0, relu'(0) = 0). */
    r = zeros(NET, "z1 > 0", "w1,w2", &n, &err);
    CHECK(r && !r[0].always_zero && !r[1].always_zero);
    mlp_zero_results_free(r, n);
    r = zeros(NET, "0 == z1", "w1,w2", &n, &err);
    CHECK(r && r[0].always_zero && r[1].always_zero);
    mlp_zero_results_free(r, n);
    /* A bound other than 0 is written as assumed. */
    r = zeros(NET, "z1 < -1", "w1", &n, &err);
    CHECK(r && r[0].always_zero);
    CHECK(strstr(r[0].why, "relu'(z1) = 0 because z1 < 0 (assumed: z1 < -1)"));
    mlp_zero_results_free(r, n);
    /* Inputs are values too: x1 == 0 zeroes the weight it multiplies. */
    r = zeros(NET, "x1 == 0", "w1,w7", &n, &err);
    CHECK(r && r[0].always_zero && !r[1].always_zero);
    CHECK(strstr(r[0].why, "x1 = 0 (assumed)"));
    mlp_zero_results_free(r, n);
}

/* Vector layers: h2 == 0 for h2 = relu(W2 h1 + b2) stops every gradient below and beside it. */
TEST(zeros_vector_layers)
{
    int n;
    mlp_error err = {0};
    mlp_zero_result *r = zeros("examples/explain/heads.mlp", "h2 == 0", NULL, &n, &err);
    CHECK(r && n == 6);
    for (int i = 0; i < n; i++)
        CHECK_MSG(r[i].always_zero, "%s: %s", r[i].name, r[i].why);
    mlp_zero_results_free(r, n);
    r = zeros("examples/explain/heads.mlp", "h1 < 0", NULL, &n, &err);
    CHECK(r);
    for (int i = 0; i < n; i++)
        CHECK_MSG(!r[i].always_zero, "%s: %s", r[i].name, r[i].why);
    mlp_zero_results_free(r, n);
}

TEST(zeros_step_and_unused_values)
{
    mlp_model *m = parse_ok("input x\nparam w = 1\nparam v = 2\nh = step(w * x)\nL = h * h + x\n"
                            "loss L\n");
    CHECK(m);
    mlp_zero_result *r;
    int n;
    CHECK(mlp_zeros(m, NULL, 0, NULL, 0, &r, &n, NULL) == MLP_OK && n == 2);
    CHECK(r[0].always_zero && r[1].always_zero);
    CHECK_STR(r[0].why, "∂L/∂w = 0: every path from w to L passes through h = step(w · x), whose "
                        "derivative is 0 everywhere");
    CHECK_STR(r[1].why, "∂L/∂v = 0: L does not depend on v");
    mlp_zero_results_free(r, n);
    mlp_model_free(m);
}

TEST(zeros_fact_errors)
{
    struct {
        const char *fact, *message;
    } bad[] = {
        {"q < 0", "--assume:1:1: unknown name 'q'"},
        {"z1 <", "--assume:1:5: expected a number, got end of input"},
        {"z1 0", "--assume:1:4: expected a comparison (<, <=, ==, >=, >, !=), got '0'"},
        {"h1[0] == 0", "--assume:1:3: a fact is about every element of a value: 'h1[...]' (one "
                       "element) is not supported; name a scalar value"},
        {"z1 < 0 z2 < 0", "--assume:1:8: expected ',', 'and' or the end of the facts, got 'z2'"},
        {"", "--assume:1:1: empty fact (expected something like 'z1 < 0')"},
        {"z1 < 0, h1 > 0", "--assume:0:0: the facts (z1 < 0, h1 > 0) cannot all hold in this "
                           "model: they leave no possible value for h1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int n;
        mlp_error err = {0};
        CHECK(!zeros(NET, bad[i].fact, "w1", &n, &err));
        char got[1000];
        snprintf(got, sizeof got, "%s:%d:%d: %s", err.file, err.line, err.col, err.message);
        CHECK_STR(got, bad[i].message);
    }
}

/* Soundness, numerically: at random parameters and inputs where z1 < 0 holds, every YES
 * gradient is exactly 0, and every NO gradient is nonzero somewhere. */
TEST(zeros_yes_means_zero_at_every_sample)
{
    mlp_model *m = mlp_model_load(NET, NULL);
    CHECK(m);
    int n;
    mlp_zero_result *r = NULL;
    const char *facts[] = {"z1 < 0"};
    CHECK(mlp_zeros(m, facts, 1, NULL, 0, &r, &n, NULL) == MLP_OK);
    const char *wrt[16];
    for (int i = 0; i < n; i++)
        wrt[i] = r[i].name;
    mlp_session *s = mlp_session_new(m, wrt, n, MLP_F64, 1, NULL);
    CHECK(s);
    mlp_rng rng;
    mlp_rng_seed(&rng, 11, 0);
    bool nonzero[16] = {false};
    int held = 0;
    for (int trial = 0; trial < 400; trial++) {
        for (int i = 0; i < n; i++) {
            double w = mlp_rng_normal(&rng);
            mlp_session_set_param(s, wrt[i], &w, NULL);
        }
        const char *in[] = {"x1", "x2", "t"};
        for (int i = 0; i < 3; i++) {
            double v = 2 * mlp_rng_normal(&rng);
            mlp_session_set(s, in[i], &v, 1, NULL);
        }
        double z1, g;
        CHECK(!mlp_session_run(s, NULL) && !mlp_session_get(s, "z1", &z1, NULL));
        if (!(z1 < 0))
            continue;
        held++;
        for (int i = 0; i < n; i++) {
            mlp_session_grad(s, wrt[i], &g, NULL);
            CHECK_MSG(!r[i].always_zero || g == 0, "%s: YES but the gradient is %g", wrt[i], g);
            nonzero[i] |= g != 0;
        }
    }
    CHECK(held > 100);
    for (int i = 0; i < n; i++)
        CHECK_MSG(r[i].always_zero || nonzero[i], "%s: NO but never nonzero", wrt[i]);
    mlp_session_free(s);
    mlp_zero_results_free(r, n);
    mlp_model_free(m);
}

/* Reasons for sums (every term zero) and for adjoints that are a single derivative. */
TEST(zeros_reasons_for_sums_and_single_derivatives)
{
    mlp_model *m = parse_ok("input x\nparam w = 1\nparam v = 1\nparam c = 1\na = w * x\n"
                            "b = v * x\nL = relu(a) + relu(b) + c * x\nloss L\n");
    CHECK(m);
    const char *facts[] = {"a < 0", "b <= 0, c == 0"};
    const char *wrt[] = {"w", "x"};
    mlp_zero_result *r;
    int n;
    CHECK(mlp_zeros(m, facts, 2, wrt, 2, &r, &n, NULL) == MLP_OK && n == 2);
    CHECK(r[0].always_zero && r[1].always_zero);
    CHECK_STR(r[0].why, "∂L/∂w = relu'(a) · x, and relu'(a) = 0 because a < 0 (assumed)");
    CHECK_STR(r[1].why, "∂L/∂x = relu'(a) · w + relu'(b) · v + c, and each term is 0: "
                        "relu'(a) · w, and relu'(a) = 0 because a < 0 (assumed); relu'(b) · v, "
                        "and relu'(b) = 0 because b ≤ 0 (assumed); c = 0 (assumed)");
    mlp_zero_results_free(r, n);
    /* Facts that contradict through the model: x == 0 makes a = w · x zero, not negative. */
    const char *clash[] = {"a < 0", "x == 0"};
    mlp_error err = {0};
    CHECK(mlp_zeros(m, clash, 2, wrt, 2, &r, &n, &err) == MLP_ERR_INPUT);
    CHECK(strstr(err.message, "cannot all hold"));
    mlp_model_free(m);
}

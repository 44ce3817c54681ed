/* test_exec.c - batched evaluation, dtypes, gradient summation over batches, buffer planning. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "base/rng.h"

static const char residual[] =
    "input x[3]\nparam W1[4,3] ~ normal(0, 1)\nparam b1[4] ~ normal(0, 1)\n"
    "param W2[3,4] ~ normal(0, 1)\nparam b2[3] = 0.1\nconst r[4] = [1, -1, 0.5, 2]\ninput s[3]\n"
    "z = W1 @ x + b1\nh = sigmoid(z)\ny = x + W2 @ h + b2\n"
    "L = 0.5 * sumsq(y - s) + dot(r, h) + 0.01 * sumsq(W1)\noutput y, h\nloss L\n";

/* A batch of B samples gives per-sample values equal to B runs of one sample, and parameter
 * gradients equal to the sum of the per-sample gradients. */
TEST(batch_equals_sum_of_samples)
{
    enum { B = 7 };
    mlp_model *m = parse_ok(residual);
    CHECK(m);
    const char *wrt[] = {"W1", "b2", "x"};
    mlp_session *one = mlp_session_new(m, wrt, 3, MLP_F64, 1, NULL);
    mlp_session *all = mlp_session_new(m, wrt, 3, MLP_F64, B, NULL);
    CHECK(one && all);
    mlp_rng rng;
    mlp_rng_seed(&rng, 9, 0);
    double x[B * 3], s[B * 3];
    for (int i = 0; i < B * 3; i++) {
        x[i] = mlp_rng_normal(&rng);
        s[i] = mlp_rng_normal(&rng);
    }
    CHECK(!mlp_session_set_batch(all, B, NULL));
    CHECK(!mlp_session_set(all, "x", x, B, NULL) && !mlp_session_set(all, "s", s, B, NULL));
    CHECK(!mlp_session_run(all, NULL));
    double yb[B * 3], Lb[B], gW1b[12], gb2b[3], gxb[B * 3];
    mlp_session_get(all, "y", yb, NULL);
    mlp_session_get(all, "L", Lb, NULL);
    mlp_session_grad(all, "W1", gW1b, NULL);
    mlp_session_grad(all, "b2", gb2b, NULL);
    mlp_session_grad(all, "x", gxb, NULL);
    double gW1[12] = {0}, gb2[3] = {0};
    for (int b = 0; b < B; b++) {
        double y[3], L, g[12], gb[3], gx[3];
        mlp_session_set(one, "x", x + 3 * b, 1, NULL);
        mlp_session_set(one, "s", s + 3 * b, 1, NULL);
        CHECK(!mlp_session_run(one, NULL));
        mlp_session_get(one, "y", y, NULL);
        mlp_session_get(one, "L", &L, NULL);
        mlp_session_grad(one, "W1", g, NULL);
        mlp_session_grad(one, "b2", gb, NULL);
        mlp_session_grad(one, "x", gx, NULL);
        CHECK_CLOSE(L, Lb[b], 1e-14);
        for (int i = 0; i < 3; i++) {
            CHECK_CLOSE(y[i], yb[3 * b + i], 1e-14);
            CHECK_CLOSE(gx[i], gxb[3 * b + i], 1e-14);
            gb2[i] += gb[i];
        }
        for (int i = 0; i < 12; i++)
            gW1[i] += g[i];
    }
    for (int i = 0; i < 12; i++)
        CHECK_CLOSE(gW1[i], gW1b[i], 1e-12);
    for (int i = 0; i < 3; i++)
        CHECK_CLOSE(gb2[i], gb2b[i], 1e-12);
    mlp_session_free(one);
    mlp_session_free(all);
    mlp_model_free(m);
}

/* The weight-decay term does not depend on the inputs: over a batch it is counted once per
 * sample, like every other part of the summed loss. */
TEST(batch_counts_input_free_terms_per_sample)
{
    mlp_model *m = parse_ok("input x\nparam w = 3\nL = w * x + w * w\nloss L\n");
    CHECK(m);
    const char *wrt[] = {"w"};
    mlp_session *s = mlp_session_new(m, wrt, 1, MLP_F64, 4, NULL);
    CHECK(s);
    double x[4] = {1, 2, 3, 4}, g;
    CHECK(!mlp_session_set_batch(s, 4, NULL) && !mlp_session_set(s, "x", x, 4, NULL));
    CHECK(!mlp_session_run(s, NULL) && !mlp_session_grad(s, "w", &g, NULL));
    CHECK(g == (1 + 2 + 3 + 4) + 4 * 2 * 3);
    mlp_session_free(s);
    mlp_model_free(m);
}

TEST(float32_agrees_with_float64)
{
    enum { B = 5 };
    mlp_model *m = parse_ok(residual);
    CHECK(m);
    const char *wrt[] = {"W1", "x"};
    mlp_session *d = mlp_session_new(m, wrt, 2, MLP_F64, B, NULL);
    mlp_session *f = mlp_session_new(m, wrt, 2, MLP_F32, B, NULL);
    CHECK(d && f);
    double x[B * 3], s[B * 3];
    for (int i = 0; i < B * 3; i++)
        x[i] = sin(i), s[i] = cos(3 * i);
    mlp_session *both[2] = {d, f};
    double L[2][B], gW[2][12], gx[2][B * 3];
    for (int k = 0; k < 2; k++) {
        mlp_session_set_batch(both[k], B, NULL);
        mlp_session_set(both[k], "x", x, B, NULL);
        mlp_session_set(both[k], "s", s, B, NULL);
        CHECK(!mlp_session_run(both[k], NULL));
        mlp_session_get(both[k], "L", L[k], NULL);
        mlp_session_grad(both[k], "W1", gW[k], NULL);
        mlp_session_grad(both[k], "x", gx[k], NULL);
    }
    for (int i = 0; i < B; i++)
        CHECK_CLOSE(L[1][i], L[0][i], 1e-5);
    for (int i = 0; i < 12; i++)
        CHECK_CLOSE(gW[1][i], gW[0][i], 1e-5);
    for (int i = 0; i < B * 3; i++)
        CHECK_CLOSE(gx[1][i], gx[0][i], 1e-5);
    mlp_session_free(d);
    mlp_session_free(f);
    mlp_model_free(m);
}

/* A long chain: buffers are reused, yet every value is right. */
TEST(planner_reuses_buffers_correctly)
{
    char text[8192] = "input x[64]\nparam W[64,64] ~ normal(0, 0.125)\nh0 = x\n";
    for (int i = 1; i <= 30; i++) {
        char line[128];
        snprintf(line, sizeof line, "h%d = tanh(W @ h%d + 0.5 * h%d)\n", i, i - 1, i - 1);
        strcat(text, line);
    }
    strcat(text, "L = sumsq(h30)\nloss L\n");
    double err = gradient_error(text, 3);
    CHECK_MSG(err < 1e-7, "gradient error %g", err);
}

TEST(session_errors)
{
    mlp_model *m = parse_ok("input x[2]\ny = 2 * x\noutput y\n");
    CHECK(m);
    mlp_error err = {0};
    const char *wrt[] = {"x"};
    CHECK(!mlp_session_new(m, wrt, 1, MLP_F64, 1, &err));
    CHECK_STR(err.message, "the model has no loss statement, so there is nothing to differentiate");
    mlp_error_clear(&err);
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 2, &err);
    CHECK(s);
    /* an input not set is an error only for the values that need it */
    CHECK(mlp_session_run(s, &err) == MLP_OK);
    double got[2];
    CHECK(mlp_session_get(s, "y", got, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "'y' depends on input 'x', which was not given a value");
    mlp_error_clear(&err);
    CHECK(mlp_session_set_batch(s, 3, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "batch size 3 outside 1..2 (the session's maximum)");
    mlp_error_clear(&err);
    double v[2] = {1, 2};
    CHECK(mlp_session_set(s, "y", v, 1, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "'y' is not an input (only inputs are set per run)");
    mlp_error_clear(&err);
    CHECK(mlp_session_set(s, "nope", v, 1, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "no value named 'nope' in the model");
    mlp_session_free(s);
    mlp_model_free(m);
}

TEST(initialisers_are_seeded_and_per_name)
{
    mlp_model *a = parse_ok("param W[3,4] ~ xavier\nparam V[2] ~ normal(1, 0)\n");
    mlp_model *b = parse_ok("param Z[5] ~ he\nparam W[3,4] ~ xavier\n");
    CHECK(a && b);
    double wa[12], wb[12], v[2];
    mlp_model_get_values(a, "W", wa, NULL);
    mlp_model_get_values(b, "W", wb, NULL);
    CHECK(!memcmp(wa, wb, sizeof wa)); /* other params do not shift W's stream */
    double bound = sqrt(6.0 / 7);
    for (int i = 0; i < 12; i++)
        CHECK(fabs(wa[i]) <= bound);
    mlp_model_get_values(a, "V", v, NULL);
    CHECK(v[0] == 1 && v[1] == 1);
    mlp_model_init_params(a, 2, NULL);
    mlp_model_get_values(a, "W", wb, NULL);
    CHECK(memcmp(wa, wb, sizeof wa));
    mlp_model_free(a);
    mlp_model_free(b);
}

/* A target input nothing requested depends on need not be set: outputs come from the others,
 * and the loss (which needs it) is the one error. */
TEST(session_runs_without_inputs_outputs_do_not_need)
{
    mlp_model *m = parse_ok("input x[2]\ninput t\nparam w[2] = [1, -2]\nz = dot(w, x)\n"
                            "L = bce_logits(z, t)\noutput z\nloss L\n");
    CHECK(m);
    int needs[2];
    mlp_error err = {0};
    CHECK(mlp_model_inputs_needed(m, "z", needs, &err) == MLP_OK && needs[0] == 1 && !needs[1]);
    CHECK(mlp_model_inputs_needed(m, "L", needs, &err) == MLP_OK && needs[0] && needs[1]);
    CHECK(mlp_model_inputs_needed(m, "nope", needs, &err) == MLP_ERR_INPUT);
    mlp_error_clear(&err);
    const char *wrt[] = {"w"};
    mlp_session *s = mlp_session_new(m, wrt, 1, MLP_F32, 2, &err);
    CHECK(s && mlp_session_set_batch(s, 2, &err) == MLP_OK);
    double x[4] = {1, 1, 3, 1}, z[2], g[2];
    CHECK(mlp_session_set(s, "x", x, 2, &err) == MLP_OK && mlp_session_run(s, &err) == MLP_OK);
    CHECK(mlp_session_get(s, "z", z, &err) == MLP_OK);
    CHECK(z[0] == -1 && z[1] == 1);
    CHECK(mlp_session_get(s, "L", z, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "'L' depends on input 't', which was not given a value");
    mlp_error_clear(&err);
    CHECK(mlp_session_grad(s, "w", g, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "the gradient with respect to 'w' depends on input 't', which was not "
                           "given a value");
    double t = 1;
    CHECK(mlp_session_set(s, "t", &t, 1, &err) == MLP_OK && mlp_session_run(s, &err) == MLP_OK);
    CHECK(mlp_session_get(s, "L", z, &err) == MLP_OK && mlp_session_grad(s, "w", g, &err) == MLP_OK);
    mlp_session_free(s);
    mlp_model_free(m);
}

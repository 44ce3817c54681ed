/* test_sgd.c - mlp_session_sgd_step is a run followed by w -= lr * g over every parameter's
 * storage, bit for bit, however the plan fuses the updates (into the weight-gradient kernel, or
 * a loop after the last step reading the weight), and it refuses to step on missing data. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "base/rng.h"

static const struct {
    const char *name, *model;
} cases[] = {
    {"5-4-1 sigmoid", "input x[5]\ninput t[1]\nparam W1[4,5] ~ uniform(-1, 1)\n"
                      "param b1[4] ~ uniform(-1, 1)\nparam W2[1,4] ~ uniform(-1, 1)\n"
                      "param b2[1] ~ uniform(-1, 1)\nh = sigmoid(W1 @ x + b1)\n"
                      "y = sigmoid(W2 @ h + b2)\nL = 0.5 * sumsq(y - t)\nloss L\n"},
    {"relu, cross-entropy", "input x[16]\ninput t\nparam W1[40,16] ~ he_uniform\n"
                            "param b1[40] ~ uniform(-1, 1)\nparam W2[3,40] ~ he_uniform\n"
                            "param b2[3] = 0\nh = relu(W1 @ x + b1)\n"
                            "L = softmax_xent(W2 @ h + b2, t)\nloss L\n"},
    {"shared weight, bias on the left", "input x[6]\ninput t[6]\nparam W1[6,6] ~ normal(0, 0.5)\n"
                                        "param b1[6] ~ normal(0, 1)\nparam W2[6,6] ~ normal(0, 1)\n"
                                        "param b2[6] ~ normal(0, 1)\n"
                                        "h = tanh(b1 + W1 @ (W1 @ x))\n"
                                        "L = sumsq(W2 @ h + b2 - t)\nloss L\n"},
    {"wide (packed GEMM)", "input x[48]\ninput t[20]\nparam W1[64,48] ~ xavier\n"
                           "param b1[64] ~ uniform(-1, 1)\nparam W2[20,64] ~ xavier\n"
                           "param b2[20] ~ uniform(-1, 1)\nh = sigmoid(W1 @ x + b1)\n"
                           "L = 0.5 * sumsq(W2 @ h + b2 - t)\nloss L\n"},
};

static const char *const params[] = {"W1", "b1", "W2", "b2"};

/* The same random inputs into both sessions (class indices for `t` when it is a scalar). */
static void set_inputs(mlp_session *a, mlp_session *b, const mlp_model *m, int batch,
                       mlp_rng *rng)
{
    for (int i = 0; i < mlp_model_count(m, MLP_INPUT); i++) {
        const char *name = mlp_model_name(m, MLP_INPUT, i);
        size_t n = mlp_model_size(m, name) * (size_t)batch;
        double *v = malloc(n * sizeof *v);
        for (size_t e = 0; e < n; e++)
            v[e] = n == (size_t)batch && name[0] == 't' ? (double)mlp_rng_below(rng, 3)
                                                          : mlp_rng_normal(rng);
        mlp_session_set(a, name, v, batch, NULL);
        mlp_session_set(b, name, v, batch, NULL);
        free(v);
    }
}

/* What a caller would write: w -= lr * g over the storage, in the session's dtype. */
static void step_by_hand(mlp_session *s, const mlp_model *m, mlp_dtype dtype, double lr)
{
    for (int p = 0; p < 4; p++) {
        mlp_handle hw = mlp_session_value(s, params[p], NULL);
        mlp_handle hg = mlp_session_gradient(s, params[p], NULL);
        size_t n = mlp_model_size(m, params[p]);
        if (dtype == MLP_F32) {
            float *w = mlp_session_f32(s, hw), *g = mlp_session_f32(s, hg), rate = (float)lr;
            for (size_t e = 0; e < n; e++)
                w[e] -= rate * g[e];
        } else {
            double *w = mlp_session_f64(s, hw), *g = mlp_session_f64(s, hg);
            for (size_t e = 0; e < n; e++)
                w[e] -= lr * g[e];
        }
    }
}

/* Every parameter and every gradient of the two sessions bitwise equal. */
static bool same_state(mlp_session *a, mlp_session *b, const mlp_model *m, mlp_dtype dtype)
{
    size_t es = dtype == MLP_F64 ? 8 : 4;
    for (int p = 0; p < 4; p++) {
        size_t bytes = mlp_model_size(m, params[p]) * es;
        mlp_handle h[2] = {mlp_session_value(a, params[p], NULL),
                           mlp_session_gradient(a, params[p], NULL)};
        for (int j = 0; j < 2; j++) {
            const void *x = dtype == MLP_F32 ? (void *)mlp_session_f32(a, h[j])
                                             : (void *)mlp_session_f64(a, h[j]);
            const void *y = dtype == MLP_F32 ? (void *)mlp_session_f32(b, h[j])
                                             : (void *)mlp_session_f64(b, h[j]);
            if (memcmp(x, y, bytes))
                return false;
        }
    }
    return true;
}

TEST(sgd_step_is_a_run_and_the_update_loop)
{
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int d = 0; d < 2; d++)
            for (int batch = 1; batch <= 37; batch += 36) {
                mlp_dtype dtype = d ? MLP_F64 : MLP_F32;
                mlp_model *m = parse_ok(cases[c].model);
                CHECK(m);
                mlp_session *a = mlp_session_new(m, params, 4, dtype, batch, NULL);
                mlp_session *b = mlp_session_new(m, params, 4, dtype, batch, NULL);
                CHECK(a && b);
                mlp_session_set_batch(a, batch, NULL);
                mlp_session_set_batch(b, batch, NULL);
                mlp_rng rng;
                mlp_rng_seed(&rng, (uint64_t)c + 1, 0);
                for (int step = 0; step < 4; step++) {
                    double lr = step == 2 ? 0.0 : 0.3;
                    set_inputs(a, b, m, batch, &rng);
                    CHECK(mlp_session_sgd_step(a, lr, NULL) == MLP_OK);
                    CHECK(mlp_session_run(b, NULL) == MLP_OK);
                    step_by_hand(b, m, dtype, lr);
                    CHECK_MSG(same_state(a, b, m, dtype), "%s (%s, batch %d, step %d): the SGD "
                              "step differs from a run and the loop", cases[c].name,
                              d ? "f64" : "f32", batch, step);
                }
                /* A plain run afterwards neither steps nor sees a stale update. */
                CHECK(mlp_session_run(a, NULL) == MLP_OK && mlp_session_run(b, NULL) == MLP_OK);
                CHECK(same_state(a, b, m, dtype));
                mlp_session_free(a);
                mlp_session_free(b);
                mlp_model_free(m);
            }
}

TEST(sgd_step_leaves_inputs_alone)
{
    /* x is among the wrt names: its gradient is computed, but an input is never stepped. */
    mlp_model *m = parse_ok(cases[0].model);
    CHECK(m);
    static const char *const wrt[] = {"W1", "x"};
    mlp_session *s = mlp_session_new(m, wrt, 2, MLP_F32, 1, NULL);
    CHECK(s);
    float *x = mlp_session_f32(s, mlp_session_input(s, "x", NULL));
    float *t = mlp_session_f32(s, mlp_session_input(s, "t", NULL));
    for (int i = 0; i < 5; i++)
        x[i] = (float)i - 2;
    t[0] = 1;
    float *w = mlp_session_f32(s, mlp_session_value(s, "W1", NULL)), w0 = w[3];
    CHECK(mlp_session_sgd_step(s, 0.5, NULL) == MLP_OK);
    CHECK(x[0] == -2 && x[4] == 2 && w[3] != w0);
    mlp_session_free(s);
    mlp_model_free(m);
}

TEST(sgd_step_errors)
{
    mlp_model *m = parse_ok(cases[0].model);
    CHECK(m);
    mlp_session *s = mlp_session_new(m, params, 4, MLP_F32, 1, NULL);
    mlp_session *none = mlp_session_new(m, NULL, 0, MLP_F32, 1, NULL);
    CHECK(s && none);
    mlp_error err = {0};
    CHECK(mlp_session_sgd_step(none, 0.1, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "the session computes no gradients (name the parameters to train in "
                           "mlp_session_new's wrt)");
    float *w = mlp_session_f32(s, mlp_session_value(s, "b1", NULL)), b0 = w[0];
    mlp_error_clear(&err);
    CHECK(mlp_session_set_f32(s, mlp_session_input(s, "x", NULL), (float[5]){1, 2, 3, 4, 5}, 1,
                              NULL) == MLP_OK);
    CHECK(mlp_session_sgd_step(s, 0.1, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "input 't' was not given a value, so there is no gradient to step along");
    CHECK(w[0] == b0);
    mlp_error_clear(&err);
    CHECK(mlp_session_set_f32(s, mlp_session_input(s, "t", NULL), (float[1]){1}, 1, NULL) == 0);
    CHECK(mlp_session_sgd_step(s, NAN, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "learning rate nan is not finite");
    CHECK(w[0] == b0);
    CHECK(mlp_session_sgd_step(s, 0.1, NULL) == MLP_OK && w[0] != b0);
    mlp_session_free(s);
    mlp_session_free(none);
    mlp_model_free(m);
}

TEST(sgd_step_checks_class_indices_before_stepping)
{
    mlp_model *m = parse_ok(cases[1].model);
    CHECK(m);
    mlp_session *s = mlp_session_new(m, params, 4, MLP_F32, 1, NULL);
    CHECK(s);
    double x[16] = {1, 2, 3}, bad = 7;
    float *w = mlp_session_f32(s, mlp_session_value(s, "W2", NULL)), w0 = w[5];
    CHECK(mlp_session_set(s, "x", x, 1, NULL) == MLP_OK && mlp_session_set(s, "t", &bad, 1, NULL) == 0);
    mlp_error err = {0};
    CHECK(mlp_session_sgd_step(s, 0.1, &err) != MLP_OK);
    CHECK(w[5] == w0);
    mlp_session_free(s);
    mlp_model_free(m);
}

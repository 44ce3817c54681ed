/* test_convert.c - seed problem 2: sigmoid <-> tanh rewrites give the seed's parameters, stay
 * equivalent where folding is impossible, and mlp_equiv tells equivalent from different. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

static mlp_model *convert(const mlp_model *m, const char *from, const char *to, int flags)
{
    mlp_error err = {0};
    mlp_model *c = mlp_convert_activation(m, from, to, flags, NULL, &err);
    if (!c)
        mlp_error_print(&err, stderr);
    return c;
}

static double max_rel(const mlp_model *a, const mlp_model *b, bool *equivalent)
{
    mlp_equiv_options o = {.samples = 300, .tol = 1e-12, .seed = 5};
    mlp_equiv_result r;
    mlp_error err = {0};
    if (mlp_equiv(a, b, &o, &r, &err) != MLP_OK) {
        mlp_error_print(&err, stderr);
        return INFINITY;
    }
    *equivalent = r.equivalent;
    return r.max_rel;
}

/* The seed's formulas: W1* = W1/2, b1* = b1/2, W2* = W2/2, b2* = b2 + ½ Σⱼ W2[:, j]. */
TEST(convert_seed2_gives_the_seed_parameters)
{
    mlp_model *m = mlp_model_load("examples/seed/sigmoid-mlp.mlp", NULL);
    CHECK(m);
    mlp_model *t = convert(m, "sigmoid", "tanh", 0);
    CHECK(t);
    double W1[12], b1[4], W2[8], b2[2], T1[12], c1[4], T2[8], c2[2];
    mlp_model_get_values(m, "W1", W1, NULL);
    mlp_model_get_values(m, "b1", b1, NULL);
    mlp_model_get_values(m, "W2", W2, NULL);
    mlp_model_get_values(m, "b2", b2, NULL);
    mlp_model_get_values(t, "W1", T1, NULL);
    mlp_model_get_values(t, "b1", c1, NULL);
    mlp_model_get_values(t, "W2", T2, NULL);
    mlp_model_get_values(t, "b2", c2, NULL);
    for (int i = 0; i < 12; i++)
        CHECK(T1[i] == W1[i] / 2);
    for (int j = 0; j < 4; j++)
        CHECK(c1[j] == b1[j] / 2);
    for (int k = 0; k < 2; k++) {
        double sum = 0;
        for (int j = 0; j < 4; j++) {
            CHECK(T2[k * 4 + j] == W2[k * 4 + j] / 2);
            sum += W2[k * 4 + j];
        }
        CHECK_CLOSE(c2[k], b2[k] + sum / 2, 1e-15);
    }
    CHECK_STR(mlp_model_op(t, "h"), "tanh");
    CHECK_STR(mlp_model_op(t, "y"), "sigmoid"); /* the output unit is not a hidden unit */
    /* And back: the same function to 1e-12 in float64. */
    mlp_model *s = convert(t, "tanh", "sigmoid", 0);
    CHECK(s);
    bool eq = false;
    CHECK(max_rel(m, t, &eq) < 1e-12 && eq);
    CHECK(max_rel(m, s, &eq) < 1e-12 && eq);
    mlp_model_free(s);
    mlp_model_free(t);
    mlp_model_free(m);
}

/* Folding is impossible where h also feeds the loss (residual: R = dot(r, h)) or a parameter is
 * shared; the affine map is written out and the model stays equivalent. */
TEST(convert_writes_out_what_cannot_be_folded)
{
    const char *models[] = {
        "examples/seed/residual.mlp",
        "input x[2]\nparam W[2,2] = [[1, 2], [3, 4]]\nparam b[2] = [0.5, -1]\n"
        "h = sigmoid(W @ x + b)\ny = W @ h + b\noutput y\n", /* W and b used twice */
        "input x\nparam w = 2\nh = sigmoid(x)\ny = w * h + h * h\noutput y\n",
        "input x[2]\nparam W[3,2] = 1\nparam c[3] = 2\nh = sigmoid(x)\ny = c - W @ h\noutput y\n",
    };
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        mlp_model *m = i ? parse_ok(models[i]) : mlp_model_load(models[i], NULL);
        CHECK(m);
        mlp_model *t = convert(m, "sigmoid", "tanh", 0);
        CHECK(t);
        bool eq = false;
        double d = max_rel(m, t, &eq);
        CHECK_MSG(eq, "model %zu: differs by %g", i, d);
        mlp_model_free(t);
        mlp_model_free(m);
    }
}

/* Subtracted terms fold with the right sign: c − W h with c absorbing −γ W 1. */
TEST(convert_folds_signed_sums_and_deep_layers)
{
    mlp_model *m = parse_ok("input x[2]\nparam A[2,2] = [[1, -2], [0.5, 3]]\nparam a[2] = [1, 2]\n"
                            "param W[3,2] = [[1, 2], [3, 4], [5, 6]]\nparam c[3] = [0.5, 0, -1]\n"
                            "h = sigmoid(a - A @ x)\ny = c - W @ h\noutput y\n");
    CHECK(m);
    char *report = NULL;
    mlp_model *t = mlp_convert_activation(m, "sigmoid", "tanh", 0, &report, NULL);
    CHECK(t && report);
    CHECK(strstr(report, "input side folded into a, A (x 0.5)"));
    CHECK(strstr(report, "output side folded into W (x 0.5) and c (-0.5 x the row sums of W)"));
    double c[3];
    mlp_model_get_values(t, "c", c, NULL);
    CHECK(c[0] == 0.5 - 1.5 && c[1] == 0 - 3.5 && c[2] == -1 - 5.5);
    bool eq = false;
    CHECK(max_rel(m, t, &eq) < 1e-12 && eq);
    free(report);
    mlp_model_free(t);
    mlp_model_free(m);
    /* Two layers of sigmoids, both folded; and back. */
    m = mlp_model_load("examples/explain/deep.mlp", NULL);
    t = convert(m, "sigmoid", "tanh", 0);
    mlp_model *s = convert(t, "tanh", "sigmoid", 0);
    CHECK(t && s);
    CHECK_STR(mlp_model_op(t, "h1"), "tanh");
    CHECK_STR(mlp_model_op(t, "h2"), "tanh");
    CHECK(max_rel(m, t, &eq) < 1e-12 && eq);
    CHECK(max_rel(m, s, &eq) < 1e-12 && eq);
    mlp_model_free(s);
    mlp_model_free(t);
    mlp_model_free(m);
}

TEST(convert_errors)
{
    mlp_model *m = mlp_model_load("examples/seed/relu-net.mlp", NULL);
    CHECK(m);
    mlp_error err = {0};
    CHECK(!mlp_convert_activation(m, "relu", "tanh", 0, NULL, &err));
    CHECK_STR(err.message, "no identity rewrites relu as tanh (known: sigmoid=tanh, tanh=sigmoid)");
    mlp_error_clear(&err);
    CHECK(!mlp_convert_activation(m, "sigmoid", "tanh", 0, NULL, &err));
    CHECK_STR(err.message, "no sigmoid activation to rewrite");
    mlp_model_free(m);
    m = parse_ok("input x\ny = sigmoid(x)\noutput y\n");
    mlp_error_clear(&err);
    CHECK(!mlp_convert_activation(m, "sigmoid", "tanh", 0, NULL, &err));
    CHECK_STR(err.message, "no sigmoid activation to rewrite (those there are outputs; --all "
                           "rewrites them too)");
    mlp_model *t = convert(m, "sigmoid", "tanh", MLP_CONVERT_OUTPUTS);
    bool eq = false;
    CHECK(t && max_rel(m, t, &eq) < 1e-12 && eq);
    mlp_model_free(t);
    mlp_model_free(m);
}

TEST(equiv_detects_differences_and_mismatches)
{
    mlp_model *a = parse_ok("input x[2]\ny = tanh(x)\noutput y\n");
    mlp_model *b = parse_ok("input x[2]\ny = 2 * sigmoid(2 * x) - 1\noutput y\n");
    mlp_model *c = parse_ok("input x[2]\ny = x\noutput y\n"); /* tanh(x) ≈ x only near 0 */
    mlp_model *d = parse_ok("input x[3]\ny = x\noutput y\n");
    mlp_model *e = parse_ok("input z[2]\ny = z\noutput y\n");
    CHECK(a && b && c && d && e);
    bool eq = false;
    CHECK(max_rel(a, b, &eq) < 1e-15 && eq);
    CHECK(max_rel(a, c, &eq) > 0.1 && !eq);
    /* Inside tiny bounds they agree to 1e-9 relative (|tanh x - x| <= |x|^3 / 3). */
    mlp_equiv_options o = {.samples = 100, .bounded = 1, .lo = -1e-4, .hi = 1e-4, .tol = 1e-9};
    mlp_equiv_result r;
    CHECK(mlp_equiv(a, c, &o, &r, NULL) == MLP_OK && r.equivalent && r.nsamples == 107);
    mlp_error err = {0};
    CHECK(mlp_equiv(a, d, &o, &r, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "input 'x' has different shapes in the two models");
    mlp_error_clear(&err);
    CHECK(mlp_equiv(a, e, &o, &r, &err) == MLP_ERR_INPUT);
    CHECK(strstr(err.message, "input 'x' of test.mlp is not an input of test.mlp"));
    mlp_model_free(a);
    mlp_model_free(b);
    mlp_model_free(c);
    mlp_model_free(d);
    mlp_model_free(e);
}

static const char *BN_NET =
    "input x[3]\n"
    "param W[2,3] = [[1, -2, 0.5], [0.25, 1, -1]]\n"
    "param b[2] = [0.1, -0.3]\n"
    "const mu[2] = [0.5, -1]\n"
    "const var[2] = [2, 0.25]\n"
    "param gamma[2] = [1.5, -0.5]\n"
    "param beta = 0.2\n"
    "z = W @ x + b\n"
    "h = batch_norm_infer(z, mu, var, gamma, beta, 1/1000)\n"
    "y = relu(h)\n"
    "output y\n";

TEST(convert_folds_batch_norm_into_the_affine_layer)
{
    mlp_model *m = parse_ok(BN_NET);
    mlp_error err = {0};
    char *report = NULL;
    mlp_model *f = m ? mlp_convert_fold(m, &report, &err) : NULL;
    CHECK(f && report && strstr(report, "batch_norm_infer folded into W and b"));
    /* W*[i, :] = s_i W[i, :], b*_i = s_i (b_i - mu_i) + beta, s_i = gamma_i / sqrt(var_i + eps) */
    double w[6], bb[2];
    CHECK(f && !mlp_model_get_values(f, "W", w, NULL) && !mlp_model_get_values(f, "b", bb, NULL));
    double s0 = 1.5 / sqrt(2.001), s1 = -0.5 / sqrt(0.251);
    CHECK(w[0] == 1 * s0 && w[1] == -2 * s0 && w[3] == 0.25 * s1 && w[5] == -1 * s1);
    CHECK(bb[0] == s0 * (0.1 - 0.5) + 0.2 && bb[1] == s1 * (-0.3 + 1) + 0.2);
    /* the folded model has no normalisation left, and computes the same outputs */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK(f && !mlp_model_write(f, out, MLP_WRITE_VALUES, NULL));
    fclose(out);
    CHECK(text && !strstr(text, "batch_norm_infer("));
    bool equivalent = false;
    CHECK(f && max_rel(m, f, &equivalent) < 1e-14 && equivalent);
    free(text);
    free(report);
    mlp_model_free(f);
    /* a layer whose W is used elsewhere, or no normalisation at all: nothing to fold */
    mlp_model *shared = parse_ok("input x[2]\nparam W[2,2] = 1\nparam b[2] = 0\n"
                                 "h = batch_norm_infer(W @ x + b, 0, 1, 1, 0) + W @ x\noutput h\n");
    CHECK(shared && !mlp_convert_fold(shared, NULL, &err));
    CHECK(strstr(err.message, "no batch_norm_infer to fold"));
    mlp_error_clear(&err);
    mlp_model_free(shared);
    mlp_model_free(m);
}

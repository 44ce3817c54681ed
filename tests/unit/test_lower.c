/* test_lower.c - plans read transposes feeding a matmul in place and fuse batch_sum(outer(...))
 * and batch_sum(matmul(...)) into single kernels: the values must be exactly what the unfused
 * graph means, and the intermediates must really be gone. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "api/internal.h"
#include "base/rng.h"

enum { B = 5 };

/* Largest difference, relative to max(1, |value|), between a batched run of B samples and B
 * single-sample runs: per-sample losses and input gradients must agree sample by sample,
 * parameter gradients with the sum over the samples. Every input and parameter is a wrt. */
static double batch_vs_samples(const char *text, mlp_dtype dtype)
{
    mlp_model *m = parse_ok(text);
    if (!m)
        return INFINITY;
    int ni = mlp_model_count(m, MLP_INPUT), np = mlp_model_count(m, MLP_PARAM), n = 0;
    const char *names[16];
    for (int i = 0; i < ni; i++)
        names[n++] = mlp_model_name(m, MLP_INPUT, i);
    for (int i = 0; i < np; i++)
        names[n++] = mlp_model_name(m, MLP_PARAM, i);
    mlp_session *all = mlp_session_new(m, names, n, dtype, B, NULL);
    mlp_session *one = mlp_session_new(m, names, n, MLP_F64, 1, NULL);
    if (!all || !one)
        return INFINITY;
    mlp_rng rng;
    mlp_rng_seed(&rng, 11, 0);
    double *in[16], *g_all[16], *g_one[16];
    for (int i = 0; i < n; i++) {
        size_t size = mlp_model_size(m, names[i]);
        in[i] = malloc(B * size * sizeof(double));
        g_all[i] = malloc(B * size * sizeof(double));
        g_one[i] = calloc(B * size, sizeof(double));
        for (size_t e = 0; e < B * size; e++)
            in[i][e] = mlp_rng_uniform(&rng) * 2 - 1;
    }
    mlp_session_set_batch(all, B, NULL);
    for (int i = 0; i < ni; i++)
        mlp_session_set(all, names[i], in[i], B, NULL);
    const char *loss = mlp_model_name(m, MLP_LOSS, 0);
    double L_all[B], worst = 0;
    mlp_session_run(all, NULL);
    mlp_session_get(all, loss, L_all, NULL);
    for (int i = 0; i < n; i++)
        mlp_session_grad(all, names[i], g_all[i], NULL);
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < ni; i++)
            mlp_session_set(one, names[i], in[i] + b * mlp_model_size(m, names[i]), 1, NULL);
        double L;
        mlp_session_run(one, NULL);
        mlp_session_get(one, loss, &L, NULL);
        worst = fmax(worst, fabs(L - L_all[b]) / fmax(1, fabs(L)));
        for (int i = 0; i < n; i++) {
            size_t size = mlp_model_size(m, names[i]);
            double *g = malloc(size * sizeof *g);
            mlp_session_grad(one, names[i], g, NULL);
            for (size_t e = 0; e < size; e++)
                g_one[i][(i < ni ? b * size : 0) + e] += g[e];
            free(g);
        }
    }
    for (int i = 0; i < n; i++) {
        size_t count = mlp_model_size(m, names[i]) * (i < ni ? B : 1);
        for (size_t e = 0; e < count; e++)
            worst = fmax(worst, fabs(g_all[i][e] - g_one[i][e]) / fmax(1, fabs(g_one[i][e])));
        free(in[i]);
        free(g_all[i]);
        free(g_one[i]);
    }
    mlp_session_free(all);
    mlp_session_free(one);
    mlp_model_free(m);
    return worst;
}

/* Models whose adjoints go through every view and fusion, and every matmul kernel path. */
static const struct {
    const char *name, *model;
} models[] = {
    /* dW = batch_sum(outer(dy, x)) is one GEMM; dx = W.T @ dy reads W in place */
    {"W @ x", "input x[7]\nparam W[5,7] ~ normal(0, 1)\nL = sumsq(tanh(W @ x))\nloss L\n"},
    /* x @ W: dW = batch_sum(outer(x, dy)), dx = W @ dy */
    {"x @ W", "input x[5]\nparam W[5,7] ~ normal(0, 1)\nL = sumsq(tanh(x @ W))\nloss L\n"},
    /* W @ X per sample: dW = batch_sum(dY @ X.T) accumulates per-sample products */
    {"W @ X", "input X[7,3]\nparam W[5,7] ~ normal(0, 1)\nL = sumsq(tanh(W @ X))\nloss L\n"},
    /* both operands batched and read transposed */
    {"A.T @ B.T", "input A[4,3]\ninput C[6,4]\nparam w[3] ~ normal(0, 1)\n"
                  "L = sumsq(w @ (A.T @ C.T))\nloss L\n"},
    /* a transpose that is also a named value: computed, and still read in place by the matmul */
    {"named W.T", "input x[5]\nparam W[5,7] ~ normal(0, 1)\nWt = W.T\nL = sumsq(Wt @ x)\nloss L\n"},
    /* outer with an operand that does not vary per sample (stride 0 in the fused GEMM) */
    {"outer with constant", "input s[3]\nparam W[3,4] ~ normal(0, 1)\nconst c[4] = [1, -2, 0.5, 3]\n"
                            "L = dot(W @ c, s) * dot(W @ c, s)\nloss L\n"},
    /* a two-layer perceptron, the shape training runs */
    {"mlp", "input x[9]\ninput t[3]\nparam W1[6,9] ~ normal(0, 0.5)\nparam b1[6] ~ normal(0, 1)\n"
            "param W2[3,6] ~ normal(0, 0.5)\nparam b2[3] = 0.1\nh = relu(W1 @ x + b1)\n"
            "y = W2 @ h + b2\nL = -dot(log_softmax(y), t)\nloss L\n"},
};

TEST(fused_and_viewed_products_equal_per_sample_sums)
{
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        double e64 = batch_vs_samples(models[i].model, MLP_F64);
        double e32 = batch_vs_samples(models[i].model, MLP_F32);
        CHECK_MSG(e64 < 1e-12, "%s: float64 batch differs from the samples by %g", models[i].name, e64);
        CHECK_MSG(e32 < 1e-4, "%s: float32 batch differs from the samples by %g", models[i].name, e32);
        double fd = gradient_error(models[i].model, 1);
        CHECK_MSG(fd < 1e-7, "%s: gradient error %g", models[i].name, fd);
    }
}

/* The session's plan, and whether it holds a buffer for the first node with op `op`. */
static bool plan_holds(const mlp_session *s, enum mlp_op op)
{
    for (mlp_id id = 0; id < s->g->n; id++)
        if (mlp_node(s->g, id)->op == op && mlp_plan_buffer(s->plan, id))
            return true;
    return false;
}

static bool graph_has(const mlp_session *s, enum mlp_op op)
{
    for (mlp_id id = 0; id < s->g->n; id++)
        if (mlp_node(s->g, id)->op == op)
            return true;
    return false;
}

TEST(weight_gradient_materialises_no_per_sample_outer_products)
{
    /* dW1 = sum over the batch of outer(dz, x): [64, 300, 200] doubles (30 MB) if materialised. */
    enum { BATCH = 64, OUT = 200, IN = 300 };
    mlp_model *m = parse_ok("input x[300]\nparam W1[200,300] ~ normal(0, 0.05)\n"
                            "param W2[10,200] ~ normal(0, 0.05)\n"
                            "L = sumsq(W2 @ relu(W1 @ x))\nloss L\n");
    CHECK(m);
    const char *wrt[] = {"W1", "W2"};
    mlp_session *s = mlp_session_new(m, wrt, 2, MLP_F64, BATCH, NULL);
    CHECK(s);
    CHECK(graph_has(s, MLP_OP_OUTER) && graph_has(s, MLP_OP_TRANSPOSE)); /* the graph is the math */
    CHECK(!plan_holds(s, MLP_OP_OUTER));     /* ... the plan fuses the outer products away */
    CHECK(!plan_holds(s, MLP_OP_TRANSPOSE)); /* ... and reads W2 transposed in place */
    size_t per_sample_outer = (size_t)BATCH * OUT * IN * sizeof(double);
    CHECK_MSG(mlp_plan_arena_bytes(s->plan) < per_sample_outer / 4, "arena %zu bytes",
              mlp_plan_arena_bytes(s->plan));
    mlp_session_free(s);
    mlp_model_free(m);
}

TEST(batch_sum_of_outer_written_by_hand)
{
    /* A user's batch_sum(outer(a, b)) runs fused too; with a constant operand the constant is
     * the same row for every sample. */
    double S[6], T[6];
    mlp_model *m = parse_ok("input a[2]\ninput b[3]\nS = batch_sum(outer(a, b))\n"
                            "T = batch_sum(outer(a, [1, 2, 3]))\noutput S, T\n");
    CHECK(m);
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 3, NULL);
    CHECK(s);
    double a[6] = {1, 2, 3, 4, 5, 6}, b[9] = {1, 0, 0, 0, 1, 0, 1, 1, 1};
    mlp_session_set_batch(s, 3, NULL);
    mlp_session_set(s, "a", a, 3, NULL);
    mlp_session_set(s, "b", b, 3, NULL);
    CHECK(!mlp_session_run(s, NULL));
    mlp_session_get(s, "S", S, NULL);
    mlp_session_get(s, "T", T, NULL);
    /* S = [1,2]^T [1,0,0] + [3,4]^T [0,1,0] + [5,6]^T [1,1,1] */
    const double want_S[6] = {6, 8, 5, 8, 10, 6}, want_T[6] = {9, 18, 27, 12, 24, 36};
    for (int i = 0; i < 6; i++) {
        CHECK(S[i] == want_S[i]);
        CHECK(T[i] == want_T[i]);
    }
    CHECK(!plan_holds(s, MLP_OP_OUTER));
    mlp_session_free(s);
    mlp_model_free(m);
}

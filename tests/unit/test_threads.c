/* test_threads.c - sessions on several threads: same bits as one thread, and clear errors. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "base/rng.h"

/* Loss and every parameter gradient of a two-layer MLP over a batch of 96, in float32. */
static bool run_mlp(mlp_session *s, int threads, float *out, size_t n)
{
    enum { BATCH = 96 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 4, 0);
    double *x = malloc(BATCH * 200 * sizeof *x), *buf = malloc(200 * 150 * sizeof *buf);
    for (int i = 0; i < BATCH * 200; i++)
        x[i] = mlp_rng_normal(&rng);
    bool ok = !mlp_session_set_threads(s, threads, NULL) && mlp_session_threads(s) == threads &&
              !mlp_session_set_batch(s, BATCH, NULL) && !mlp_session_set(s, "x", x, BATCH, NULL) &&
              !mlp_session_run(s, NULL);
    size_t at = 0;
    const char *names[] = {"W1", "W2"};
    for (int i = 0; ok && i < 2; i++) {
        ok = !mlp_session_grad(s, names[i], buf, NULL);
        size_t size = i == 0 ? 150 * 200 : 10 * 150;
        for (size_t e = 0; e < size && at < n; e++)
            out[at++] = (float)buf[e];
    }
    free(x);
    free(buf);
    return ok;
}

TEST(threads_give_bit_identical_results)
{
    mlp_model *m = parse_ok("input x[200]\nparam W1[150,200] ~ normal(0, 0.1)\n"
                            "param W2[10,150] ~ normal(0, 0.1)\n"
                            "L = sumsq(W2 @ tanh(W1 @ x))\nloss L\n");
    CHECK(m);
    const char *wrt[] = {"W1", "W2"};
    mlp_session *s = mlp_session_new(m, wrt, 2, MLP_F32, 96, NULL);
    CHECK(s && mlp_session_threads(s) == 1);
    size_t n = 150 * 200 + 10 * 150;
    float *one = malloc(n * sizeof *one), *many = malloc(n * sizeof *many);
    CHECK(run_mlp(s, 1, one, n));
    for (int threads = 2; threads <= 3; threads++) {
        CHECK(run_mlp(s, threads, many, n));
        CHECK_MSG(!memcmp(one, many, n * sizeof *one), "%d threads differ from 1", threads);
    }
    CHECK(run_mlp(s, 1, many, n) && !memcmp(one, many, n * sizeof *one)); /* and back */
    free(one);
    free(many);
    mlp_session_free(s);
    mlp_model_free(m);
}

TEST(thread_count_errors)
{
    mlp_model *m = parse_ok("input x[2]\ny = 2 * x\noutput y\n");
    CHECK(m);
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 1, NULL);
    CHECK(s);
    mlp_error err = {0};
    CHECK(mlp_session_set_threads(s, 0, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "thread count 0 outside 1..64");
    mlp_error_clear(&err);
    CHECK(mlp_session_set_threads(s, 65, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "thread count 65 outside 1..64");
    CHECK(mlp_session_threads(s) == 1);
    mlp_session_free(s);
    mlp_model_free(m);
}

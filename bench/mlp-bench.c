/* mlp-bench - time mlp's numerical core; bench/compare.py runs it beside PyTorch.
 *
 *   mlp-bench gemm f32|f64 NN|NT|TN|TT M K N [THREADS [generic|avx2|auto]]
 *       C[M,N] = op(A)[M,K] op(B)[K,N] through the GEMM context a plan would use
 *   mlp-bench mlp f32|f64 BATCH [THREADS]
 *       a 784-256-128-10 ReLU MLP with a softmax cross-entropy loss: one forward pass, and one
 *       forward + backward pass (gradients of every parameter), through the public session API;
 *       also the memory the forward + backward plan holds for its values (its arena)
 *
 * Each prints one JSON object. Times are per call: the best and the median of 5 trials, each
 * trial as many calls as fill 0.1 s (MLP_BENCH_SECONDS overrides 0.1; MLP_BENCH_CLOCK=cpu
 * times by the thread's CPU time instead of the wall clock). No timing is asserted
 * anywhere; this is for people and for bench/RESULTS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlp.h"
#include "api/internal.h"
#include "base/rng.h"
#include "tensor/gemm.h"

#include "bench.h"

/* Wall time, or with MLP_BENCH_CLOCK=cpu this thread's CPU time: on a machine busy with other
 * work, time spent descheduled does not count (cache and frequency effects still do). */
double bench_now(void)
{
    static int cpu = -1;
    if (cpu < 0) {
        const char *env = getenv("MLP_BENCH_CLOCK");
        cpu = env && !strcmp(env, "cpu");
    }
    struct timespec t;
    clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_trial_seconds(void)
{
    const char *env = getenv("MLP_BENCH_SECONDS");
    return env ? atof(env) : 0.1;
}

/* Calls of fn that fill `trial` seconds, from one timed call after a warm-up. */
static long reps_for(void (*fn)(void *), void *arg, double trial)
{
    const char *fixed = getenv("MLP_BENCH_REPS"); /* a fixed count, for instruction counting */
    if (fixed && atol(fixed) > 0)
        return atol(fixed);
    fn(arg);
    double t0 = bench_now();
    fn(arg);
    double once = bench_now() - t0;
    return once > 0 ? (long)(trial / once) + 1 : 1000;
}

/* Time fn(arg): a warm-up call, then TRIALS trials of enough calls to fill the trial time. */
struct timing time_calls(void (*fn)(void *), void *arg)
{
    long reps = reps_for(fn, arg, bench_trial_seconds());
    double per[TRIALS];
    for (int t = 0; t < TRIALS; t++) {
        double t0 = bench_now();
        for (long r = 0; r < reps; r++)
            fn(arg);
        per[t] = (bench_now() - t0) / (double)reps;
    }
    qsort(per, TRIALS, sizeof *per, cmp_double);
    return (struct timing){per[0], per[TRIALS / 2]};
}

void time_alternating(int n, void (*const *fn)(void *), void *const *arg, struct timing *out)
{
    enum { MAXN = 8 };
    long reps[MAXN];
    double per[MAXN][ROUNDS];
    for (int i = 0; i < n && i < MAXN; i++)
        reps[i] = reps_for(fn[i], arg[i], bench_trial_seconds() / ROUNDS);
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < n && i < MAXN; i++) {
            double t0 = bench_now();
            for (long r = 0; r < reps[i]; r++)
                fn[i](arg[i]);
            per[i][round] = (bench_now() - t0) / (double)reps[i];
        }
    for (int i = 0; i < n && i < MAXN; i++) {
        qsort(per[i], ROUNDS, sizeof per[i][0], cmp_double);
        out[i] = (struct timing){per[i][0], per[i][ROUNDS / 2]};
    }
}

/* ---- gemm ---- */

struct gemm_case {
    mlp_gemm_ctx *ctx;
    int f64, ta, tb, M, N, K;
    void *A, *B, *C;
};

static void run_gemm(void *arg)
{
    struct gemm_case *c = arg;
    int lda = c->ta ? c->M : c->K, ldb = c->tb ? c->K : c->N;
    if (c->f64)
        mlp_gemm_f64(c->ctx, c->ta, c->tb, c->M, c->N, c->K, 1, c->A, lda, c->B, ldb, 0, c->C, c->N);
    else
        mlp_gemm_f32(c->ctx, c->ta, c->tb, c->M, c->N, c->K, 1, c->A, lda, c->B, ldb, 0, c->C, c->N);
}

static void *random_buffer(int f64, size_t n, mlp_rng *rng)
{
    void *p = malloc(n * (f64 ? sizeof(double) : sizeof(float)));
    for (size_t i = 0; i < n; i++) {
        double v = mlp_rng_normal(rng);
        if (f64)
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
    return p;
}

static int bench_gemm(int argc, char **argv)
{
    if (argc < 5 || strlen(argv[1]) != 2)
        return 2;
    struct gemm_case c = {.f64 = !strcmp(argv[0], "f64"), .ta = argv[1][0] == 'T',
                          .tb = argv[1][1] == 'T', .M = atoi(argv[2]), .K = atoi(argv[3]),
                          .N = atoi(argv[4])};
    int threads = argc > 5 ? atoi(argv[5]) : 1;
    mlp_gemm_isa isa = argc > 6 && !strcmp(argv[6], "generic") ? MLP_GEMM_GENERIC
                       : argc > 6 && !strcmp(argv[6], "avx512") ? MLP_GEMM_AVX512
                       : argc > 6 && !strcmp(argv[6], "avx2")  ? MLP_GEMM_AVX2
                                                               : MLP_GEMM_AUTO;
    if (c.M < 1 || c.N < 1 || c.K < 1 || threads < 1)
        return 2;
    c.ctx = mlp_gemm_ctx_new(isa, threads);
    mlp_rng rng;
    mlp_rng_seed(&rng, 1, 0);
    c.A = random_buffer(c.f64, (size_t)c.M * c.K, &rng);
    c.B = random_buffer(c.f64, (size_t)c.K * c.N, &rng);
    c.C = random_buffer(c.f64, (size_t)c.M * c.N, &rng);
    struct timing t = time_calls(run_gemm, &c);
    double flops = 2.0 * c.M * c.N * c.K;
    printf("{\"bench\": \"gemm\", \"dtype\": \"%s\", \"trans\": \"%s\", \"M\": %d, \"K\": %d, "
           "\"N\": %d, \"isa\": \"%s\", \"threads\": %d, \"best_ms\": %.4f, "
           "\"median_ms\": %.4f, \"gflops\": %.2f}\n",
           argv[0], argv[1], c.M, c.K, c.N, mlp_gemm_isa_name(mlp_gemm_ctx_isa(c.ctx)), threads,
           t.best * 1e3, t.median * 1e3, flops / t.best * 1e-9);
    mlp_gemm_ctx_free(c.ctx);
    free(c.A);
    free(c.B);
    free(c.C);
    return 0;
}

/* ---- mlp ---- */

static const char model_text[] =
    "input x[784]\ninput t[10]\n"
    "param W1[256,784] ~ he\nparam b1[256] = 0\n"
    "param W2[128,256] ~ he\nparam b2[128] = 0\n"
    "param W3[10,128] ~ he\nparam b3[10] = 0\n"
    "h1 = relu(W1 @ x + b1)\nh2 = relu(W2 @ h1 + b2)\ny = W3 @ h2 + b3\n"
    "L = -dot(log_softmax(y), t)\nloss L\n";

static void run_session(void *arg) { mlp_session_run(arg, NULL); }

/* A session over a batch of random images and one-hot targets; NULL on failure. */
static mlp_session *mlp_session_for(mlp_model *m, int nwrt, mlp_dtype dtype, int batch,
                                    int threads)
{
    static const char *const params[] = {"W1", "b1", "W2", "b2", "W3", "b3"};
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, params, nwrt, dtype, batch, &err);
    if (!s) {
        mlp_error_print(&err, stderr);
        return NULL;
    }
    mlp_rng rng;
    mlp_rng_seed(&rng, 2, 0);
    double *x = malloc((size_t)batch * 784 * sizeof *x), *t = calloc((size_t)batch * 10, sizeof *t);
    for (int i = 0; i < batch * 784; i++)
        x[i] = mlp_rng_uniform(&rng);
    for (int i = 0; i < batch; i++)
        t[i * 10 + (int)mlp_rng_below(&rng, 10)] = 1;
    mlp_session_set_batch(s, batch, NULL);
    mlp_session_set_threads(s, threads, NULL);
    mlp_session_set(s, "x", x, batch, NULL);
    mlp_session_set(s, "t", t, batch, NULL);
    free(x);
    free(t);
    return s;
}

static int bench_mlp(int argc, char **argv)
{
    if (argc < 2 || atoi(argv[1]) < 1)
        return 2;
    mlp_dtype dtype = !strcmp(argv[0], "f64") ? MLP_F64 : MLP_F32;
    int batch = atoi(argv[1]), threads = argc > 2 ? atoi(argv[2]) : 1;
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(model_text, "mlp-bench", &err);
    mlp_session *fwd = m ? mlp_session_for(m, 0, dtype, batch, threads) : NULL;
    mlp_session *both = m ? mlp_session_for(m, 6, dtype, batch, threads) : NULL;
    if (!fwd || !both)
        return 1;
    struct timing f = time_calls(run_session, fwd), fb = time_calls(run_session, both);
    double layers = 784.0 * 256 + 256.0 * 128 + 128.0 * 10;
    /* Forward and weight gradients: one product each per layer; input gradients for the two
     * upper layers (the first layer's input needs none). */
    double flops_f = 2.0 * batch * layers, flops_fb = 2.0 * batch * (2 * layers + 256.0 * 128 + 128.0 * 10);
    printf("{\"bench\": \"mlp\", \"dtype\": \"%s\", \"batch\": %d, \"threads\": %d, "
           "\"forward_ms\": %.4f, "
           "\"forward_median_ms\": %.4f, \"step_ms\": %.4f, \"step_median_ms\": %.4f, "
           "\"forward_gflops\": %.2f, \"step_gflops\": %.2f, \"step_arena_mb\": %.1f}\n",
           argv[0], batch, threads, f.best * 1e3, f.median * 1e3, fb.best * 1e3, fb.median * 1e3,
           flops_f / f.best * 1e-9, flops_fb / fb.best * 1e-9,
           (double)mlp_plan_arena_bytes(both->plan) * 1e-6);
    mlp_session_free(fwd);
    mlp_session_free(both);
    mlp_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc > 2 && !strcmp(argv[1], "gemm"))
        rc = bench_gemm(argc - 2, argv + 2);
    else if (argc > 2 && !strcmp(argv[1], "mlp"))
        rc = bench_mlp(argc - 2, argv + 2);
    else if (argc > 1 && !strcmp(argv[1], "single"))
        rc = bench_single(argc - 2, argv + 2);
    else if (argc > 2 && !strcmp(argv[1], "residual"))
        rc = bench_residual(argc - 2, argv + 2);
    else if (argc > 1 && !strcmp(argv[1], "eval"))
        rc = bench_eval(argc - 2, argv + 2);
    else if (argc > 1 && !strcmp(argv[1], "epoch"))
        rc = bench_epoch(argc - 2, argv + 2);
    if (rc == 2)
        fprintf(stderr, "usage: mlp-bench gemm f32|f64 NN|NT|TN|TT M K N [THREADS [generic|avx2|auto]]\n"
                        "       mlp-bench mlp f32|f64 BATCH [THREADS]\n"
                        "       mlp-bench single [fann]\n"
                        "       mlp-bench residual BATCH [THREADS]\n"
                        "       mlp-bench eval MODEL [THREADS]\n"
                        "       mlp-bench epoch MODEL [THREADS]\n");
    return rc;
}

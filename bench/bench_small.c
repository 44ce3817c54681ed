/* bench_small.c - where overheads rule: one sample through a 5-4-1 sigmoid net (against FANN
 * 2.2 in the same process, in turns), and the seed's residual MLP at N = 64, K = 32.
 *
 *   mlp-bench single         5-4-1 forward and SGD step: mlp by name, mlp by handle, FANN
 *   mlp-bench residual BATCH [THREADS]   forward + backward with dL/dx, float32
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "bench.h"
#include "base/rng.h"

#ifdef HAVE_FANN
#include <floatfann.h>
#endif

#define NSAMPLES 64 /* inputs cycled through, so no call sees a value it saw just before */
#define LR 0.7f     /* FANN's default learning rate; the same step size for mlp */

/* The network for inference (what fann_run computes) and, with its loss, for training. */
static const char infer_text[] =
    "input x[5]\n"
    "param W1[4,5] ~ uniform(-0.1, 0.1)\nparam b1[4] ~ uniform(-0.1, 0.1)\n"
    "param W2[1,4] ~ uniform(-0.1, 0.1)\nparam b2[1] ~ uniform(-0.1, 0.1)\n"
    "h = sigmoid(W1 @ x + b1)\ny = sigmoid(W2 @ h + b2)\noutput y\n";
static const char single_text[] =
    "input x[5]\ninput t[1]\n"
    "param W1[4,5] ~ uniform(-0.1, 0.1)\nparam b1[4] ~ uniform(-0.1, 0.1)\n"
    "param W2[1,4] ~ uniform(-0.1, 0.1)\nparam b2[1] ~ uniform(-0.1, 0.1)\n"
    "h = sigmoid(W1 @ x + b1)\ny = sigmoid(W2 @ h + b2)\n"
    "L = 0.5 * sumsq(y - t)\noutput y\nloss L\n";

struct single {
    mlp_session *s;
    float x[NSAMPLES][5], t[NSAMPLES];
    double xd[NSAMPLES][5];
    int next;
    mlp_handle hx, ht, hy;
    float *px, *pt, *py;
    double out;
    float sink;
#ifdef HAVE_FANN
    struct fann *ann;
#endif
};

static void fwd_by_name(void *arg)
{
    struct single *b = arg;
    mlp_session_set(b->s, "x", b->xd[b->next++ % NSAMPLES], 1, NULL);
    mlp_session_run(b->s, NULL);
    mlp_session_get(b->s, "y", &b->out, NULL);
}

static void fwd_by_handle(void *arg)
{
    struct single *b = arg;
    memcpy(b->px, b->x[b->next++ % NSAMPLES], sizeof b->x[0]);
    mlp_session_run(b->s, NULL);
    b->sink += b->py[0];
}

/* One stochastic gradient step: forward, backward, and w -= lr * dL/dw for every parameter
 * (mlp_session_sgd_step: the same float32 arithmetic as a loop over the gradients' storage). */
static void step_by_handle(void *arg)
{
    struct single *b = arg;
    int i = b->next++ % NSAMPLES;
    memcpy(b->px, b->x[i], sizeof b->x[0]);
    b->pt[0] = b->t[i];
    mlp_session_sgd_step(b->s, LR, NULL);
}

#ifdef HAVE_FANN
static void fann_fwd(void *arg)
{
    struct single *b = arg;
    b->sink += fann_run(b->ann, b->x[b->next++ % NSAMPLES])[0];
}

static void fann_step(void *arg)
{
    struct single *b = arg;
    int i = b->next++ % NSAMPLES;
    fann_train(b->ann, b->x[i], &b->t[i]);
}

/* FANN's sigmoid is 1 / (1 + exp(-2 s x)); steepness 0.5 makes it the logistic mlp computes. */
static struct fann *make_fann(void)
{
    struct fann *ann = fann_create_standard(3, 5, 4, 1);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5f);
    fann_set_activation_steepness_output(ann, 0.5f);
    fann_set_learning_rate(ann, LR);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_randomize_weights(ann, -0.1f, 0.1f);
    return ann;
}
#endif

static mlp_session *single_session(mlp_model *m, int grads)
{
    static const char *const params[] = {"W1", "b1", "W2", "b2"};
    mlp_error err = {0};
    mlp_session *s = mlp_session_new(m, params, grads ? 4 : 0, MLP_F32, 1, &err);
    if (!s)
        mlp_error_print(&err, stderr);
    return s;
}

static void bind(struct single *b, mlp_session *s, int grads)
{
    b->s = s;
    b->px = mlp_session_f32(s, b->hx = mlp_session_input(s, "x", NULL));
    b->ht = grads ? mlp_session_input(s, "t", NULL) : -1;
    b->pt = grads ? mlp_session_f32(s, b->ht) : NULL;
    b->py = mlp_session_f32(s, b->hy = mlp_session_value(s, "y", NULL));
}

static void print_row(const char *what, const char *who, struct timing t)
{
    printf("{\"bench\": \"single\", \"case\": \"%s\", \"who\": \"%s\", \"best_ns\": %.1f, "
           "\"median_ns\": %.1f}\n", what, who, t.best * 1e9, t.median * 1e9);
}

int bench_single(int argc, char **argv)
{
    (void)argc, (void)argv;
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(single_text, "single", &err);
    mlp_model *mi = m ? mlp_model_parse(infer_text, "infer", &err) : NULL;
    if (!mi) {
        mlp_error_print(&err, stderr);
        return 1;
    }
    static struct single fwd, step;
    mlp_rng rng;
    mlp_rng_seed(&rng, 3, 0);
    for (int i = 0; i < NSAMPLES; i++) {
        for (int j = 0; j < 5; j++)
            fwd.xd[i][j] = fwd.x[i][j] = step.x[i][j] = (float)mlp_rng_uniform(&rng);
        fwd.t[i] = step.t[i] = (float)mlp_rng_below(&rng, 2);
    }
    mlp_session *sf = single_session(mi, 0), *ss = single_session(m, 1);
    if (!sf || !ss)
        return 1;
    bind(&fwd, sf, 0);
    bind(&step, ss, 1);
    mlp_session_set_f32(ss, step.ht, step.t, 1, NULL);
#ifdef HAVE_FANN
    fwd.ann = step.ann = make_fann();
    void (*const fns[])(void *) = {fwd_by_handle, fann_fwd, fwd_by_name, step_by_handle, fann_step};
    void *const args[] = {&fwd, &fwd, &fwd, &step, &step};
    const char *who[] = {"mlp handle", "fann", "mlp by name", "mlp handle", "fann"};
    const char *what[] = {"forward", "forward", "forward", "step", "step"};
    int n = 5;
#else
    void (*const fns[])(void *) = {fwd_by_handle, fwd_by_name, step_by_handle};
    void *const args[] = {&fwd, &fwd, &step};
    const char *who[] = {"mlp handle", "mlp by name", "mlp handle"};
    const char *what[] = {"forward", "forward", "step"};
    int n = 3;
#endif
    struct timing t[5];
    time_alternating(n, fns, args, t);
    for (int i = 0; i < n; i++)
        print_row(what[i], who[i], t[i]);
    if (fwd.sink == 12345.0f) /* keep the results live */
        printf("%g\n", (double)fwd.sink);
#ifdef HAVE_FANN
    fann_destroy(fwd.ann);
#endif
    mlp_session_free(sf);
    mlp_session_free(ss);
    mlp_model_free(m);
    mlp_model_free(mi);
    return 0;
}

/* ---- the seed's residual MLP (problem 4) at size: x in R^N, hidden K ---- */

static const char residual_text[] =
    "input x[64]\ninput s[64]\n"
    "param W1[32,64] ~ xavier\nparam b1[32] ~ uniform(-0.1, 0.1)\n"
    "param W2[64,32] ~ xavier\nparam b2[64] ~ uniform(-0.1, 0.1)\n"
    "const r[32] = 0.25\n"
    "z = W1 @ x + b1\nh = sigmoid(z)\ny = x + W2 @ h + b2\n"
    "S = 0.5 * sumsq(y - s)\nR = dot(r, h)\nL = S + R\noutput y\nloss L\n";

static void run_session(void *arg) { mlp_session_run(arg, NULL); }

int bench_residual(int argc, char **argv)
{
    int batch = argc > 0 ? atoi(argv[0]) : 256, threads = argc > 1 ? atoi(argv[1]) : 1;
    if (batch < 1 || threads < 1)
        return 2;
    static const char *const wrt[] = {"W1", "b1", "W2", "b2", "x"};
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse(residual_text, "residual", &err);
    mlp_session *s = m ? mlp_session_new(m, wrt, 5, MLP_F32, batch, &err) : NULL;
    if (!s) {
        mlp_error_print(&err, stderr);
        return 1;
    }
    mlp_session_set_batch(s, batch, NULL);
    mlp_session_set_threads(s, threads, NULL);
    mlp_rng rng;
    mlp_rng_seed(&rng, 4, 0);
    float *x = mlp_session_f32(s, mlp_session_input(s, "x", NULL));
    float *t = mlp_session_f32(s, mlp_session_input(s, "s", NULL));
    for (int i = 0; i < batch * 64; i++) {
        x[i] = (float)mlp_rng_normal(&rng);
        t[i] = (float)mlp_rng_normal(&rng);
    }
    struct timing tm = time_calls(run_session, s);
    printf("{\"bench\": \"residual\", \"batch\": %d, \"threads\": %d, \"best_us\": %.2f, "
           "\"median_us\": %.2f}\n", batch, threads, tm.best * 1e6, tm.median * 1e6);
    mlp_session_free(s);
    mlp_model_free(m);
    return 0;
}

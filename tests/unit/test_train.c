/* test_train.c - optimizers and schedules against steps computed by hand, the batch-mean
 * convention, determinism, and XOR learned by a 2-2-1 sigmoid network. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "train/optimizer.h"

/* Two steps of an optimizer on p = [1, -2] with the gradient sums g1, g2 over batches of 2. */
static void two_steps(const struct mlp_optimizer *o, const struct mlp_opt_hparams *h, double lr,
                      const float g1[2], const float g2[2], float p[2])
{
    float s0[2] = {0}, s1[2] = {0};
    float *state[2] = {s0, s1};
    p[0] = 1;
    p[1] = -2;
    o->step(h, lr, 1, 2, p, g1, 0.5f, state);
    o->step(h, lr, 2, 2, p, g2, 0.5f, state);
}

static const float G1[2] = {1, -4}, G2[2] = {2, 2}; /* batch means [0.5, -2] then [1, 1] */

TEST(sgd_steps_by_hand)
{
    float p[2];
    struct mlp_opt_hparams h = {0};
    two_steps(&mlp_optimizer_sgd, &h, 0.1, G1, G2, p);
    CHECK_CLOSE(p[0], 1 - 0.1 * 0.5 - 0.1 * 1, 1e-7);
    CHECK_CLOSE(p[1], -2 + 0.1 * 2 - 0.1 * 1, 1e-7);
    /* momentum 0.9: b1 = g1, b2 = 0.9 g1 + g2 */
    h.momentum = 0.9;
    two_steps(&mlp_optimizer_sgd, &h, 0.1, G1, G2, p);
    CHECK_CLOSE(p[0], 1 - 0.1 * 0.5 - 0.1 * (0.9 * 0.5 + 1), 1e-6);
    CHECK_CLOSE(p[1], -2 + 0.1 * 2 - 0.1 * (0.9 * -2 + 1), 1e-6);
    /* Nesterov: the step is g + mu b */
    h.nesterov = true;
    two_steps(&mlp_optimizer_sgd, &h, 0.1, G1, G2, p);
    double b1 = 0.5, b2 = 0.9 * 0.5 + 1;
    CHECK_CLOSE(p[0], 1 - 0.1 * (0.5 + 0.9 * b1) - 0.1 * (1 + 0.9 * b2), 1e-6);
    /* weight decay 0.01 adds 0.01 p to the gradient */
    struct mlp_opt_hparams wd = {.weight_decay = 0.01};
    float q[2] = {1, -2}, s0[2] = {0}, *state[1] = {s0};
    mlp_optimizer_sgd.step(&wd, 0.1, 1, 2, q, G1, 0.5f, state);
    CHECK_CLOSE(q[0], 1 - 0.1 * (0.5 + 0.01 * 1), 1e-7);
    CHECK_CLOSE(q[1], -2 - 0.1 * (-2 + 0.01 * -2), 1e-7);
}

/* Adam by hand, in double, following the paper's formulas (with PyTorch's placement of eps). */
static double adam_ref(double p, const double g[2], double lr, double wd, bool decoupled)
{
    double m = 0, v = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (int t = 1; t <= 2; t++) {
        double d = g[t - 1];
        if (decoupled)
            p *= 1 - lr * wd;
        else
            d += wd * p;
        m = b1 * m + (1 - b1) * d;
        v = b2 * v + (1 - b2) * d * d;
        double mhat = m / (1 - pow(b1, t)), vhat = v / (1 - pow(b2, t));
        p -= lr * mhat / (sqrt(vhat) + eps);
    }
    return p;
}

TEST(adam_and_adamw_steps_by_hand)
{
    struct mlp_opt_hparams h = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    float p[2];
    two_steps(&mlp_optimizer_adam, &h, 0.01, G1, G2, p);
    /* The first step moves each weight by lr against the gradient's sign: m/sqrt(v) = sign(g). */
    CHECK_CLOSE(p[0], adam_ref(1, (double[]){0.5, 1}, 0.01, 0, false), 1e-6);
    CHECK_CLOSE(p[1], adam_ref(-2, (double[]){-2, 1}, 0.01, 0, false), 1e-6);
    float one[2] = {1, -2}, m[2] = {0}, v[2] = {0}, *st[2] = {m, v};
    mlp_optimizer_adam.step(&h, 0.01, 1, 2, one, G1, 0.5f, st);
    CHECK_CLOSE(one[0], 1 - 0.01, 1e-6);
    CHECK_CLOSE(one[1], -2 + 0.01, 1e-6);
    h.weight_decay = 0.1;
    two_steps(&mlp_optimizer_adam, &h, 0.01, G1, G2, p);
    CHECK_CLOSE(p[0], adam_ref(1, (double[]){0.5, 1}, 0.01, 0.1, false), 1e-6);
    two_steps(&mlp_optimizer_adamw, &h, 0.01, G1, G2, p);
    CHECK_CLOSE(p[0], adam_ref(1, (double[]){0.5, 1}, 0.01, 0.1, true), 1e-6);
    CHECK_CLOSE(p[1], adam_ref(-2, (double[]){-2, 1}, 0.01, 0.1, true), 1e-6);
    /* decoupled decay differs from L2 decay */
    CHECK(fabs(adam_ref(1, (double[]){0.5, 1}, 0.01, 0.1, true) -
               adam_ref(1, (double[]){0.5, 1}, 0.01, 0.1, false)) > 1e-5);
}

TEST(schedules_by_hand)
{
    struct mlp_schedule s = {MLP_SCHEDULE_STEP, 0.1, 2, 0.5, 0, 5};
    double want[] = {0.1, 0.1, 0.05, 0.05, 0.025};
    for (int e = 0; e < 5; e++)
        CHECK_CLOSE(mlp_schedule_lr(&s, e), want[e], 1e-15);
    struct mlp_schedule c = {MLP_SCHEDULE_COSINE, 1, 0, 0, 0, 4};
    CHECK_CLOSE(mlp_schedule_lr(&c, 0), 1, 1e-15);
    CHECK_CLOSE(mlp_schedule_lr(&c, 1), 0.85355339059327373, 1e-15);
    CHECK_CLOSE(mlp_schedule_lr(&c, 2), 0.5, 1e-15);
    CHECK_CLOSE(mlp_schedule_lr(&c, 3), 0.14644660940672624, 1e-15);
    c.min_lr = 0.1;
    CHECK_CLOSE(mlp_schedule_lr(&c, 2), 0.55, 1e-15);
    struct mlp_schedule k = {MLP_SCHEDULE_CONSTANT, 0.3, 0, 0, 0, 4};
    CHECK(mlp_schedule_lr(&k, 3) == 0.3);
    enum mlp_schedule_kind kind;
    CHECK(mlp_schedule_parse("cosine", &kind) && kind == MLP_SCHEDULE_COSINE);
    CHECK(!mlp_schedule_parse("linear", &kind));
    CHECK(mlp_optimizer_find("adamw") == &mlp_optimizer_adamw && !mlp_optimizer_find("rmsprop"));
}

/* The loss is per sample; one step of SGD on a full batch moves w by lr times the batch mean of
 * the per-sample gradients: y = w x, L = 1/2 (w x - t)^2, dL/dw = (w x - t) x. */
TEST(training_minimises_the_batch_mean)
{
    mlp_model *m = parse_ok("input x\ninput t\nparam w = 1\nL = squared_error(w * x, t)\nloss L\n");
    CHECK(m);
    mlp_dataset *d = mlp_dataset_new(2, 1, (double[]){1, 2}, 1, (double[]){0, 0}, NULL);
    mlp_train_options o;
    mlp_train_defaults(&o);
    o.lr = 0.1;
    o.batch = 2;
    o.epochs = 1;
    mlp_error err = {0};
    CHECK(!mlp_train(m, d, NULL, &o, &err));
    double w;
    mlp_model_get_values(m, "w", &w, NULL);
    CHECK_CLOSE(w, 1 - 0.1 * (1 * 1 + 2 * 2) / 2.0, 1e-7);
    mlp_metrics mt;
    CHECK(!mlp_evaluate(m, d, &mt, &err));
    CHECK(mt.n == 2 && mt.classes == 0 && isnan(mt.accuracy));
    CHECK_CLOSE(mt.mse, (0.75 * 0.75 + 1.5 * 1.5) / 2, 1e-7);
    CHECK_CLOSE(mt.loss, 0.5 * mt.mse, 1e-7);
    mlp_metrics_free(&mt);
    mlp_dataset_free(d);
    mlp_model_free(m);
}

static const char xor_model[] =
    "input x[2]\ninput t\nparam W1[2,2] ~ normal(0, 1)\nparam b1[2] = 0\n"
    "param w2[2] ~ normal(0, 1)\nparam b2 = 0\nh = sigmoid(W1 @ x + b1)\nz = dot(w2, h) + b2\n"
    "L = bce_logits(z, t)\noutput z\nloss L\n";

static mlp_model *train_xor(uint64_t seed, mlp_dataset *d, mlp_metrics *mt)
{
    mlp_model *m = parse_ok(xor_model);
    if (!m)
        return NULL;
    mlp_model_init_params(m, seed, NULL);
    mlp_train_options o;
    mlp_train_defaults(&o);
    o.optimizer = "adam";
    o.lr = 0.1;
    o.batch = 4;
    o.epochs = 300;
    o.seed = seed;
    mlp_error err = {0};
    if (mlp_train(m, d, NULL, &o, &err) || mlp_evaluate(m, d, mt, &err)) {
        mlp_error_print(&err, stderr);
        mlp_model_free(m);
        return NULL;
    }
    return m;
}

TEST(xor_is_learned_by_a_2_2_1_sigmoid_network)
{
    double x[] = {0, 0, 0, 1, 1, 0, 1, 1}, t[] = {0, 1, 1, 0};
    mlp_dataset *d = mlp_dataset_new(4, 2, x, 1, t, NULL);
    mlp_metrics mt, again;
    mlp_model *m = train_xor(3, d, &mt), *m2 = train_xor(3, d, &again);
    CHECK(m && m2);
    CHECK_MSG(mt.accuracy == 1.0, "accuracy %g", mt.accuracy);
    CHECK_MSG(mt.loss < 0.05, "loss %g", mt.loss);
    CHECK(mt.classes == 2 && mt.confusion[0] == 2 && mt.confusion[3] == 2);
    /* Deterministic: the same seed gives the same weights, bit for bit. */
    double w[4], w2[4];
    mlp_model_get_values(m, "W1", w, NULL);
    mlp_model_get_values(m2, "W1", w2, NULL);
    CHECK(!memcmp(w, w2, sizeof w));
    mlp_metrics_free(&mt);
    mlp_metrics_free(&again);
    mlp_model_free(m);
    mlp_model_free(m2);
    mlp_dataset_free(d);
}

/* The thread count changes who computes each product, optimizer step and batch copy, never the
 * result: layers large enough that the products are split (64^3 multiply-adds and up), W1
 * large enough that its update is (16384 elements and up) and batches that the copy is (32768
 * floats), a last partial batch, with Adam (two state arrays) and SGD with momentum, trained on
 * 1 and on 3 threads. */
TEST(training_is_bit_identical_for_every_thread_count)
{
    enum { N = 200, F = 256, H = 96 };
    double *x = malloc(N * F * sizeof *x), t[N];
    for (int i = 0; i < N * F; i++)
        x[i] = i % 3 ? sin(0.37 * i) : 0; /* zeros, for the sparse products */
    for (int i = 0; i < N; i++)
        t[i] = i % 4;
    mlp_dataset *d = mlp_dataset_new(N, F, x, 1, t, NULL);
    static float w[2][2][H * F];
    for (int opt = 0; opt < 2; opt++) {
        for (int k = 0; k < 2; k++) {
            mlp_model *m = parse_ok("input x[256]\ninput c\nparam W1[96,256] ~ he_uniform\n"
                                    "param b1[96] = 0\nparam W2[4,96] ~ he_uniform\n"
                                    "h = relu(W1 @ x + b1)\nL = softmax_xent(W2 @ h, c)\n"
                                    "loss L\n");
            CHECK(m && d);
            mlp_train_options o;
            mlp_train_defaults(&o);
            o.optimizer = opt ? "sgd" : "adam";
            o.momentum = opt ? 0.9 : 0;
            o.lr = opt ? 0.01 : 1e-3;
            o.batch = 160;
            o.epochs = 3;
            o.threads = k ? 3 : 1;
            mlp_error err = {0};
            CHECK(!mlp_train(m, d, NULL, &o, &err));
            double *v = malloc(H * F * sizeof *v);
            mlp_model_get_values(m, "W1", v, NULL);
            for (int i = 0; i < H * F; i++)
                w[opt][k][i] = (float)v[i];
            free(v);
            mlp_model_free(m);
        }
        CHECK_MSG(!memcmp(w[opt][0], w[opt][1], sizeof w[opt][0]), "optimizer %d", opt);
    }
    mlp_dataset_free(d);
    free(x);
}

TEST(training_errors)
{
    mlp_dataset *d = mlp_dataset_new(2, 2, (double[]){0, 0, 1, 1}, 1, (double[]){0, 2}, NULL);
    mlp_train_options o;
    mlp_train_defaults(&o);
    struct {
        const char *model, *message;
    } cases[] = {
        {"input x[2]\ninput c\nparam W[2,2] = 0\nL = softmax_xent(W @ x, c)\nloss L\n",
         "sample 2 has label 2, but the model's softmax_xent has 2 classes (labels 0 to 1)"},
        {"input x[3]\ninput c\nparam W[2,3] = 0\nL = softmax_xent(W @ x, c)\nloss L\n",
         "input 'x' has 3 elements, but the data has 2 features per sample"},
        {"input x[2]\nparam W[2,2] = 0\nL = sum(W @ x)\nloss L\n",
         "training needs two inputs, declared in this order: the features and the target (the "
         "model has 1)"},
        {"input x[2]\ninput c\nL = sum(x) * c\nloss L\n", "the model has no parameters to train"},
        {"input x[2]\ninput c\nparam w = 0\ny = w * c\noutput y\n",
         "the model has no `loss` statement: there is nothing to minimise or report"},
        {"input x[2]\ninput c\nparam w = 0\nL = bce_logits(w * c, c)\nloss L\n",
         "sample 2 has target 2, but bce_logits needs targets from 0 to 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mlp_model *m = parse_ok(cases[i].model);
        CHECK(m);
        mlp_error err = {0};
        CHECK_MSG(mlp_train(m, d, NULL, &o, &err) == MLP_ERR_INPUT, "case %zu trained", i);
        CHECK_STR(err.message, cases[i].message);
        mlp_model_free(m);
    }
    mlp_model *m = parse_ok(cases[0].model);
    mlp_error err = {0};
    o.optimizer = "rmsprop";
    CHECK(mlp_train(m, d, NULL, &o, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "unknown optimizer 'rmsprop' (use sgd, adam, adamw)");
    mlp_model_free(m);
    mlp_dataset_free(d);
}

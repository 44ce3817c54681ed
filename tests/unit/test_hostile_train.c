/* test_hostile_train.c - training random small models through mlp_train, the path `mlp train`
 * takes, so that a class of crash (a parameter without a gradient buffer, a loss that goes
 * non-finite, a class index out of range) is found here and not by users.
 *
 * Each model is drawn from a seeded generator: two to five parameters of random shapes, hidden
 * layers built from a few ops, parameters that the loss uses, uses only through `0 * u`, or does
 * not use at all, one of the three losses, and optimizer settings that sometimes make training
 * diverge. Whatever the model, training must end in one of three ways: success with finite
 * parameters, MLP_ERR_NUMERIC with the parameters exactly as they were, or MLP_ERR_INPUT with a
 * message; and the warnings must name exactly the parameters the loss does not depend on. */
#include "test.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include "base/rng.h"
#include "mlp.h"

#define MODELS 150
#define FEATURES 3
#define SAMPLES 12

struct warned {
    int n;
    char names[8][32];
};

static void on_warning(void *user, const char *message)
{
    struct warned *w = user;
    if (w->n < 8 && sscanf(message, "parameter '%31[^']' does not affect the loss", w->names[w->n]))
        w->n++;
}

struct gen {
    mlp_rng rng;
    char text[4096];
    size_t len;
    int nparams;
    bool unused[8]; /* the loss does not depend on parameter i */
};

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g->len += (size_t)vsnprintf(g->text + g->len, sizeof g->text - g->len, fmt, ap);
    va_end(ap);
}

static int pick(struct gen *g, int n) { return (int)mlp_rng_below(&g->rng, (uint64_t)n); }

/* A model: x[FEATURES] -> h[width] -> z, with `loss L`. Returns the number of logits. */
static void make_model(struct gen *g)
{
    static const char *const act[] = {"relu", "sigmoid", "tanh", "identity", "exp", "step"};
    int width = 1 + pick(g, 4), kind = pick(g, 3), out = kind == 2 ? 2 + pick(g, 3) : 1;
    g->len = 0;
    emit(g, "input x[%d]\ninput y%s\n", FEATURES, kind == 2 ? "" : "[1]");
    emit(g, "param W1[%d,%d] ~ normal(0, %g)\n", width, FEATURES, pick(g, 2) ? 0.5 : 20.0);
    emit(g, "param W2[%d,%d] ~ normal(0, 1)\n", out, width);
    g->nparams = 2 + pick(g, 4);
    for (int i = 2; i < g->nparams; i++)
        emit(g, "param u%d[%d] = %d\n", i, out, pick(g, 3));
    int a = pick(g, 6);
    emit(g, "h = %s(W1 @ x)\n", act[a]);
    emit(g, "z = W2 @ h");
    for (int i = 2; i < g->nparams; i++) {
        int use = pick(g, 3); /* 0: used, 1: through 0 * u (folds to nothing), 2: not at all */
        g->unused[i] = use != 0;
        if (use == 0)
            emit(g, " + u%d", i);
        else if (use == 1)
            emit(g, " + 0 * u%d", i);
    }
    emit(g, "\n");
    if (kind == 0)
        emit(g, "L = squared_error(z, y)\n");
    else if (kind == 1)
        emit(g, "L = bce_logits(z, y)\n");
    else /* sometimes a class index the model computes out of range */
        emit(g, "L = softmax_xent(z, y%s)\n", pick(g, 4) ? "" : " + 1");
    emit(g, "output z\nloss L\n");
    g->unused[0] = a == 5; /* step's derivative is 0: W1 gets no gradient */
    g->unused[1] = false;
}

static mlp_dataset *make_data(struct gen *g)
{
    double x[SAMPLES * FEATURES], y[SAMPLES];
    for (int i = 0; i < SAMPLES * FEATURES; i++)
        x[i] = mlp_rng_normal(&g->rng) * (pick(g, 8) ? 1 : 1e4);
    for (int i = 0; i < SAMPLES; i++)
        y[i] = pick(g, 2);
    return mlp_dataset_new(SAMPLES, FEATURES, x, 1, y, NULL);
}

static void set_options(struct gen *g, mlp_train_options *o, struct warned *w)
{
    static const char *const opt[] = {"sgd", "adam", "adamw"};
    static const double lr[] = {0.01, 0.5, 1e3, 1e30};
    mlp_train_defaults(o);
    o->optimizer = opt[pick(g, 3)];
    o->lr = lr[pick(g, 4)];
    o->momentum = pick(g, 2) ? 0.9 : 0;
    o->epochs = 1 + pick(g, 5);
    o->batch = 1 + pick(g, SAMPLES);
    o->seed = (uint64_t)pick(g, 1000);
    o->on_warning = on_warning;
    o->user = w;
}

/* All parameter values, concatenated (at most 64). */
static int snapshot(const mlp_model *m, double *v)
{
    int n = 0;
    for (int i = 0; i < mlp_model_count(m, MLP_PARAM); i++) {
        const char *name = mlp_model_name(m, MLP_PARAM, i);
        mlp_model_get_values(m, name, v + n, NULL);
        n += (int)mlp_model_size(m, name);
    }
    return n;
}

TEST(random_models_train_or_fail_cleanly)
{
    int outcomes[3] = {0, 0, 0}; /* trained, diverged, refused */
    for (int k = 0; k < MODELS; k++) {
        struct gen g = {0};
        mlp_rng_seed(&g.rng, (uint64_t)k, 0x7472616e);
        make_model(&g);
        mlp_error err = {0};
        mlp_model *m = mlp_model_parse(g.text, "random.mlp", &err);
        CHECK_MSG(m, "model %d does not parse: %s\n%s", k, err.message, g.text);
        mlp_dataset *d = make_data(&g);
        mlp_train_options o;
        struct warned w = {0};
        set_options(&g, &o, &w);
        double before[64], after[64];
        int n = snapshot(m, before);
        int rc = mlp_train(m, d, NULL, &o, &err);
        snapshot(m, after);
        CHECK_MSG(rc == MLP_OK || rc == MLP_ERR_NUMERIC || rc == MLP_ERR_INPUT,
                  "model %d: status %d (%s)\n%s", k, rc, err.message, g.text);
        CHECK_MSG(rc == MLP_OK || err.message[0], "model %d: an error without a message", k);
        for (int i = 0; i < n; i++) {
            CHECK_MSG(rc != MLP_OK || isfinite(after[i]), "model %d: trained to %g\n%s", k,
                      after[i], g.text);
            CHECK_MSG(rc == MLP_OK || after[i] == before[i], "model %d: a failed run changed "
                      "the parameters\n%s", k, g.text);
        }
        int expect = 0;
        for (int i = 0; i < g.nparams; i++)
            expect += g.unused[i];
        CHECK_MSG(rc == MLP_ERR_INPUT || w.n == expect, "model %d: %d warnings, expected %d\n%s",
                  k, w.n, expect, g.text);
        for (int i = 0; i < w.n; i++) {
            int p = !strcmp(w.names[i], "W1") ? 0 : w.names[i][0] == 'u' ? atoi(w.names[i] + 1) : 1;
            CHECK_MSG(g.unused[p], "model %d: warned about '%s'", k, w.names[i]);
        }
        outcomes[rc == MLP_OK ? 0 : rc == MLP_ERR_NUMERIC ? 1 : 2]++;
        mlp_dataset_free(d);
        mlp_model_free(m);
    }
    /* The generator reaches every outcome, so each is tested. */
    CHECK_MSG(outcomes[0] && outcomes[1] && outcomes[2], "outcomes %d %d %d", outcomes[0],
              outcomes[1], outcomes[2]);
}

TEST(unused_parameter_trains_with_one_warning)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse("input x\ninput y\nparam w = 0.5\nparam u = 1\nparam v = 2\n"
                                   "L = squared_error(w * x + 0 * v, y)\nloss L\n", "m.mlp", &err);
    CHECK(m);
    double x[3] = {1, 2, 3}, y[3] = {2, 4, 6};
    mlp_dataset *d = mlp_dataset_new(3, 1, x, 1, y, &err);
    mlp_train_options o;
    struct warned w = {0};
    mlp_train_defaults(&o);
    o.on_warning = on_warning;
    o.user = &w;
    CHECK(mlp_train(m, d, NULL, &o, &err) == MLP_OK);
    double u, v, wv;
    mlp_model_get_values(m, "u", &u, NULL);
    mlp_model_get_values(m, "v", &v, NULL);
    mlp_model_get_values(m, "w", &wv, NULL);
    CHECK(w.n == 2 && !strcmp(w.names[0], "u") && !strcmp(w.names[1], "v"));
    CHECK(u == 1 && v == 2 && wv != 0.5);
    mlp_dataset_free(d);
    mlp_model_free(m);
}

TEST(divergence_keeps_the_parameters)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse("input x\ninput y\nparam w = 0.5\n"
                                   "L = squared_error(w * x, y)\nloss L\n", "m.mlp", &err);
    double x[3] = {1, 2, 3}, y[3] = {2, 4, 6};
    mlp_dataset *d = mlp_dataset_new(3, 1, x, 1, y, &err);
    mlp_train_options o;
    mlp_train_defaults(&o);
    o.lr = 10;
    o.epochs = 1000;
    CHECK(mlp_train(m, d, NULL, &o, &err) == MLP_ERR_NUMERIC);
    CHECK_STR(err.message, "training diverged: the training loss became infinite at epoch 13, "
                           "step 1 of 1; try a smaller learning rate (it is 10)");
    double w;
    mlp_model_get_values(m, "w", &w, NULL);
    CHECK(w == 0.5);
    mlp_dataset_free(d);
    mlp_model_free(m);
}

TEST(optimizer_settings_checked_as_torch_does)
{
    static const struct {
        size_t at; /* offset of the double in mlp_train_options */
        double bad;
        const char *message;
    } cases[] = {
        {offsetof(mlp_train_options, lr), -1, "the learning rate must be a finite number of at "
                                              "least 0, got -1"},
        {offsetof(mlp_train_options, lr), INFINITY, "the learning rate must be a finite number "
                                                    "of at least 0, got inf"},
        {offsetof(mlp_train_options, beta1), 1, "beta1 must be at least 0 and below 1, got 1"},
        {offsetof(mlp_train_options, beta2), -0.1, "beta2 must be at least 0 and below 1, got "
                                                   "-0.1"},
        {offsetof(mlp_train_options, eps), 0, "eps must be a finite number above 0, got 0"},
        {offsetof(mlp_train_options, momentum), -1, "momentum must be a finite number of at least "
                                                    "0, got -1"},
        {offsetof(mlp_train_options, weight_decay), NAN, "weight decay must be a finite number "
                                                         "of at least 0, got nan"},
        {offsetof(mlp_train_options, min_lr), -1e-9, "the schedule's minimum learning rate must "
                                                     "be a finite number of at least 0, got -1e-09"},
        {offsetof(mlp_train_options, gamma), 0, "the step schedule's gamma must be a finite "
                                                "number above 0, got 0"},
    };
    mlp_train_options o;
    mlp_train_defaults(&o);
    o.lr = 0; /* allowed, as in torch.optim */
    CHECK(mlp_train_check_options(&o, NULL) == MLP_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mlp_train_defaults(&o);
        *(double *)((char *)&o + cases[i].at) = cases[i].bad;
        mlp_error err = {0};
        CHECK(mlp_train_check_options(&o, &err) == MLP_ERR_INPUT);
        CHECK_STR(err.message, cases[i].message);
    }
}

TEST(class_index_out_of_range_in_the_c_api)
{
    mlp_error err = {0};
    mlp_model *m = mlp_model_parse("input x\ninput c\nparam W[3] = [1, 2, 3]\n"
                                   "L = softmax_xent(W * x, c + 2)\nloss L\n", "c.mlp", &err);
    CHECK(m);
    double x[2] = {1, 2}, c[2] = {0, 1};
    mlp_dataset *d = mlp_dataset_new(2, 1, x, 1, c, &err);
    mlp_metrics mt;
    CHECK(mlp_evaluate(m, d, &mt, &err) == MLP_ERR_INPUT);
    CHECK_STR(err.message, "sample 2: the class index given to softmax_xent is 3, but it must be "
                           "an integer from 0 to 2 (the logits have 3 classes)");
    CHECK(err.line == 4 && err.col == 5 && mt.confusion == NULL);
    mlp_train_options o;
    mlp_train_defaults(&o);
    mlp_error_clear(&err);
    CHECK(mlp_train(m, d, NULL, &o, &err) == MLP_ERR_INPUT);
    CHECK(strstr(err.message, "sample 2: the class index") != NULL);
    mlp_session *s = mlp_session_new(m, NULL, 0, MLP_F64, 1, &err);
    CHECK(s);
    double one = 1, huge = 1e30;
    CHECK(mlp_session_set(s, "x", &one, 1, &err) == MLP_OK);
    CHECK(mlp_session_set(s, "c", &huge, 1, &err) == MLP_OK);
    mlp_error_clear(&err);
    CHECK(mlp_session_run(s, &err) == MLP_ERR_INPUT);
    CHECK(strstr(err.message, "sample 1: the class index given to softmax_xent is 1e+30") != NULL);
    mlp_session_free(s);
    mlp_dataset_free(d);
    mlp_model_free(m);
}

TEST(data_beyond_float32_in_the_c_api)
{
    double x[2] = {1, 1e39}, y[2] = {0, 1};
    mlp_error err = {0};
    CHECK(!mlp_dataset_new(2, 1, x, 1, y, &err));
    CHECK_STR(err.message, "sample 2, feature 1: 1e+39 is not a finite float32");
    x[1] = 1;
    y[0] = NAN;
    mlp_error_clear(&err);
    CHECK(!mlp_dataset_new(2, 1, x, 1, y, &err));
    CHECK_STR(err.message, "sample 1, target 1: nan is not a finite float32");
}

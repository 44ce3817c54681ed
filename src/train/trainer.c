/* trainer.c - minibatch training.
 *
 * Convention: the model's loss is per sample and training minimises its mean over each
 * minibatch, as PyTorch's losses do by default (reduction='mean'). The plan computes parameter
 * gradients summed over the batch; the optimizer receives them scaled by 1 / batch. A last
 * partial batch is kept, as PyTorch's DataLoader does (drop_last=False).
 *
 * Determinism: the samples are shuffled each epoch by a generator seeded from the options'
 * seed, and everything runs on one thread, so a seed gives the same weights on every run.
 * The hot loop allocates nothing: inputs are gathered into the plan's buffers, the optimizer
 * updates the plan's parameter buffers in place.
 */
#include "train/trainer.h"
#include "tensor/gemm.h"
#include "train/checkpoint.h"
#include "train/fit.h"
#include "train/optimizer.h"
#include "train/parts.h"
#include "base/mem.h"
#include "base/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVAL_BATCH 500
#define SHUFFLE_STREAM 0x5348554646ULL /* "SHUFF" */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A setting and the range torch.optim accepts for it. */
struct setting {
    const char *what;
    double v, lo, hi;
    bool lo_open, hi_open; /* the bound itself is excluded */
};

static int check_setting(const struct setting *s, mlp_error *err)
{
    bool ok = isfinite(s->v) && (s->lo_open ? s->v > s->lo : s->v >= s->lo) &&
              (isinf(s->hi) || (s->hi_open ? s->v < s->hi : s->v <= s->hi));
    if (ok)
        return MLP_OK;
    char lo[32], hi[32], got[32];
    mlp_format_double(s->lo, lo);
    mlp_format_double(s->hi, hi);
    mlp_format_double(s->v, got);
    if (isinf(s->hi))
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "%s must be a finite number %s %s, "
                        "got %s", s->what, s->lo_open ? "above" : "of at least", lo, got);
    return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "%s must be at least %s and %s %s, got "
                    "%s", s->what, lo, s->hi_open ? "below" : "at most", hi, got);
}

int mlp_train_check_options(const mlp_train_options *o, mlp_error *err)
{
    enum mlp_schedule_kind kind;
    if (!o->optimizer || !mlp_optimizer_find(o->optimizer))
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "unknown optimizer '%s' (use %s)",
                        o->optimizer ? o->optimizer : "", mlp_optimizer_names());
    if (!o->schedule || !mlp_schedule_parse(o->schedule, &kind))
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "unknown schedule '%s' (use "
                        "constant, step or cosine)", o->schedule ? o->schedule : "");
    if (o->epochs < 1 || o->batch < 1)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "epochs and batch size must be at "
                        "least 1 (got %d and %d)", o->epochs, o->batch);
    /* As torch.optim validates them (SGD, Adam, AdamW; StepLR, CosineAnnealingLR). */
    const struct setting settings[] = {
        {"the learning rate", o->lr, 0, INFINITY, false, false},
        {"momentum", o->momentum, 0, INFINITY, false, false},
        {"weight decay", o->weight_decay, 0, INFINITY, false, false},
        {"beta1", o->beta1, 0, 1, false, true},
        {"beta2", o->beta2, 0, 1, false, true},
        {"eps", o->eps, 0, INFINITY, true, false},
        {"the schedule's minimum learning rate", o->min_lr, 0, INFINITY, false, false},
        {"the step schedule's gamma", o->gamma, 0, INFINITY, true, false},
    };
    for (size_t i = 0; i < sizeof settings / sizeof *settings; i++)
        if (check_setting(&settings[i], err) != MLP_OK)
            return err ? err->status : MLP_ERR_INPUT;
    if (o->step_epochs < 1)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "the step schedule's step must be "
                        "at least 1 epoch (got %d)", o->step_epochs);
    if (o->threads < 1 || o->threads > MLP_GEMM_MAX_THREADS)
        return mlp_fail(err, MLP_ERR_INPUT, NULL, MLP_NOLOC, "threads must be from 1 to %d "
                        "(got %d)", MLP_GEMM_MAX_THREADS, o->threads);
    return MLP_OK;
}

/* The optimizer, its state and the schedule. */
struct opt_state {
    const struct mlp_optimizer *opt;
    struct mlp_opt_hparams h;
    struct mlp_schedule sched;
    float **state; /* nparams * nstate arrays */
    int64_t t;
};

static int opt_init(struct opt_state *s, const struct mlp_fit *f, const mlp_train_options *o,
                    mlp_error *err)
{
    memset(s, 0, sizeof *s);
    s->opt = mlp_optimizer_find(o->optimizer); /* names checked by check_options */
    mlp_schedule_parse(o->schedule, &s->sched.kind);
    s->h = (struct mlp_opt_hparams){o->momentum, o->nesterov != 0, o->beta1, o->beta2, o->eps,
                                    o->weight_decay};
    s->sched.base = o->lr;
    s->sched.step_epochs = o->step_epochs;
    s->sched.gamma = o->gamma;
    s->sched.min_lr = o->min_lr;
    s->sched.epochs = o->epochs;
    int n = f->nparams * s->opt->nstate;
    s->state = mlp_xcalloc((size_t)n + 1, sizeof *s->state);
    for (int i = 0; i < n; i++) {
        int64_t size = mlp_shape_size(mlp_node(f->g, f->param[i / s->opt->nstate])->shape);
        if (!(s->state[i] = calloc((size_t)size, sizeof(float))))
            return mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory for the "
                            "optimizer's state");
    }
    return MLP_OK;
}

static void opt_free(struct opt_state *s, const struct mlp_fit *f)
{
    for (int i = 0; s->state && i < f->nparams * s->opt->nstate; i++)
        free(s->state[i]);
    free(s->state);
}

/* Tensors under this many elements are updated by one thread. */
#define UPDATE_MIN 16384

struct update_job {
    struct opt_state *s;
    const struct mlp_fit *f;
    double lr;
    int b;
    int bad[MLP_GEMM_MAX_THREADS]; /* per part: the first parameter that went non-finite */
};

/* Part `part` of every parameter's elements (parts.h). */
static void update_part(void *arg, int part, int parts)
{
    struct update_job *j = arg;
    const struct mlp_fit *f = j->f;
    struct opt_state *s = j->s;
    int nstate = s->opt->nstate;
    j->bad[part] = -1;
    for (int i = 0; i < f->nparams; i++) {
        if (f->grad[i] == MLP_NONE)
            continue;
        int64_t size = mlp_shape_size(mlp_node(f->g, f->param[i])->shape), lo, hi;
        mlp_part_range(size, part, parts, UPDATE_MIN, &lo, &hi);
        float *p = mlp_plan_buffer(f->train, f->param[i]);
        const float *g = mlp_plan_buffer(f->train, f->grad[i]);
        if (hi <= lo)
            continue;
        float *state[MLP_OPT_MAX_STATE];
        for (int k = 0; k < nstate; k++)
            state[k] = s->state[(size_t)i * (size_t)nstate + (size_t)k] + lo;
        bool finite = s->opt->step(&s->h, j->lr, s->t, hi - lo, p + lo, g + lo,
                                   1.0f / (float)j->b, state);
        if (j->bad[part] < 0 && !finite)
            j->bad[part] = i;
    }
}

/* One optimizer step on every parameter that has a gradient, from the gradients of a batch of
 * b samples, on the training plan's threads. Returns the index of the first parameter that
 * became non-finite, or -1. */
static int update(struct opt_state *s, const struct mlp_fit *f, double lr, int b)
{
    s->t++;
    struct update_job j = {.s = s, .f = f, .lr = lr, .b = b};
    mlp_gemm_ctx *ctx = mlp_plan_gemm(f->train);
    mlp_gemm_ctx_run(ctx, update_part, &j);
    int bad = -1;
    for (int part = 0; part < mlp_gemm_ctx_threads(ctx); part++)
        if (j.bad[part] >= 0 && (bad < 0 || j.bad[part] < bad))
            bad = j.bad[part];
    return bad;
}

/* The name of parameter i. */
static const char *param_name(const struct mlp_fit *f, int i)
{
    const struct mlp_node *n = mlp_node(f->g, f->param[i]);
    return n->name >= 0 ? f->g->names[n->name].text : "?";
}

/* Training stops when a number goes bad: the weights so far are not worth keeping. */
static int diverged(const struct mlp_fit *f, const mlp_epoch_stats *st, int step, int steps,
                    int param, double loss, mlp_error *err)
{
    char what[400], lr[32];
    if (param >= 0)
        snprintf(what, sizeof what, "parameter '%s' became non-finite", param_name(f, param));
    else
        snprintf(what, sizeof what, "the training loss became %s", isnan(loss) ? "nan" : "infinite");
    if (st->epoch == 1 && step == 1 && param < 0)
        return mlp_fail(err, MLP_ERR_NUMERIC, NULL, MLP_NOLOC, "%s at epoch 1, step 1, before "
                        "any update: the model's loss is not finite on these data", what);
    return mlp_fail(err, MLP_ERR_NUMERIC, NULL, MLP_NOLOC, "training diverged: %s at epoch %d, "
                    "step %d of %d; try a smaller learning rate (it is %s)", what, st->epoch,
                    step, steps, mlp_format_double(st->lr, lr));
}

static void shuffle(int *perm, int n, mlp_rng *rng)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)mlp_rng_below(rng, (uint64_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* The fraction of predictions right, or NaN when the model makes none (regression). */
static double accuracy(const struct mlp_fit *f, const struct mlp_tally *t)
{
    bool classifies = f->head == MLP_HEAD_CLASSES || f->head == MLP_HEAD_BINARY;
    return classifies && t->seen ? (double)t->right / (double)t->seen : NAN;
}

/* Copy the trained parameters from the training plan to the evaluation plan. */
static void sync_eval(const struct mlp_fit *f)
{
    for (int i = 0; i < f->nparams; i++) {
        float *to = mlp_plan_buffer(f->eval, f->param[i]);
        const float *from = mlp_plan_buffer(f->train, f->param[i]);
        if (to && from) /* a parameter the loss does not use is in neither plan */
            memcpy(to, from, (size_t)mlp_shape_size(mlp_node(f->g, f->param[i])->shape) *
                                 sizeof(float));
    }
}

/* One epoch over the shuffled training set; fills the train half of st. Returns MLP_OK (with
 * *stop set when a callback asked to stop) or the error that ended training. */
static int train_epoch(const struct mlp_fit *f, struct opt_state *s, const mlp_dataset *d,
                       const mlp_train_options *o, const int *perm, mlp_epoch_stats *st,
                       int *stop, mlp_error *err)
{
    struct mlp_tally t = {0};
    int nb = (d->n + o->batch - 1) / o->batch, rc = MLP_OK;
    for (int k = 0; k < nb && !*stop && rc == MLP_OK; k++) {
        int start = k * o->batch, b = d->n - start < o->batch ? d->n - start : o->batch;
        double t0 = now();
        mlp_fit_load(f, f->train, d, perm + start, b);
        double t1 = now();
        mlp_plan_run(f->train);
        rc = mlp_fit_check_run(f, f->train, perm + start, err);
        double t2 = now();
        double before = t.loss;
        if (rc == MLP_OK)
            mlp_fit_tally(f, f->train, b, &t);
        if (rc == MLP_OK && !isfinite(t.loss - before))
            rc = diverged(f, st, k + 1, nb, -1, t.loss - before, err);
        double t3 = now();
        int bad = rc == MLP_OK ? update(s, f, st->lr, b) : -1;
        if (bad >= 0)
            rc = diverged(f, st, k + 1, nb, bad, 0, err);
        double t4 = now();
        st->gather_s += t1 - t0;
        st->pass_s += t2 - t1;
        st->tally_s += t3 - t2;
        st->update_s += t4 - t3;
        if (rc == MLP_OK && o->on_batch)
            *stop = o->on_batch(o->user, st->epoch, k + 1, nb, t.loss / (double)t.n);
    }
    st->train_loss = t.loss / (double)t.n;
    st->train_acc = accuracy(f, &t);
    return rc;
}

/* Tell the caller once about each parameter that training leaves as it is. */
static void warn_unused(const struct mlp_fit *f, const mlp_train_options *o)
{
    for (int i = 0; o->on_warning && i < f->nparams; i++)
        if (f->grad[i] == MLP_NONE) {
            char msg[400];
            snprintf(msg, sizeof msg, "parameter '%s' does not affect the loss", param_name(f, i));
            o->on_warning(o->user, msg);
        }
}

int mlp_train_graph(mlp_graph *model, const mlp_dataset *train, const mlp_dataset *test,
                    const mlp_train_options *o, mlp_error *err)
{
    int rc = mlp_train_check_options(o, err);
    if (rc != MLP_OK)
        return rc;
    struct mlp_fit f;
    struct opt_state s = {0};
    int batch = o->batch < train->n ? o->batch : train->n;
    rc = mlp_fit_init(&f, model, train, batch, EVAL_BATCH, err);
    if (rc == MLP_OK && test && (test->nfeat != train->nfeat || test->ntarget != train->ntarget))
        rc = mlp_fail(err, MLP_ERR_INPUT, test->x_source, MLP_NOLOC, "the test data has %d "
                      "features and %d targets per sample, the training data %d and %d",
                      test->nfeat, test->ntarget, train->nfeat, train->ntarget);
    if (rc == MLP_OK && (mlp_plan_set_threads(f.train, o->threads) != MLP_OK ||
                         mlp_plan_set_threads(f.eval, o->threads) != MLP_OK))
        rc = mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "cannot start %d threads", o->threads);
    if (rc == MLP_OK)
        rc = mlp_fit_check_targets(&f, train, err);
    if (rc == MLP_OK && test)
        rc = mlp_fit_check_targets(&f, test, err);
    if (rc == MLP_OK)
        rc = opt_init(&s, &f, o, err);
    if (rc == MLP_OK)
        warn_unused(&f, o);
    int *perm = rc == MLP_OK ? malloc((size_t)train->n * sizeof *perm) : NULL;
    if (rc == MLP_OK && !perm)
        rc = mlp_fail(err, MLP_ERR_NOMEM, NULL, MLP_NOLOC, "out of memory");
    mlp_rng rng;
    mlp_rng_seed(&rng, o->seed, SHUFFLE_STREAM);
    struct mlp_run_state run = {s.state, s.opt ? s.opt->nstate : 0, 0, 0};
    if (rc == MLP_OK && o->resume) /* then the shuffles of the epochs done, to go on as before */
        rc = mlp_checkpoint_load(o->resume, &f, &run, o, train->n, err);
    for (int e = 0; rc == MLP_OK && e < run.epoch; e++)
        shuffle(perm, train->n, &rng);
    s.t = run.step;
    for (int e = run.epoch, stop = 0; rc == MLP_OK && e < o->epochs && !stop; e++) {
        double t0 = now();
        mlp_epoch_stats st = {.epoch = e + 1, .epochs = o->epochs, .test_loss = NAN,
                              .test_acc = NAN, .lr = mlp_schedule_lr(&s.sched, e)};
        shuffle(perm, train->n, &rng);
        st.shuffle_s = now() - t0;
        rc = train_epoch(&f, &s, train, o, perm, &st, &stop, err);
        if (rc == MLP_OK && test && !stop) {
            double t1 = now();
            struct mlp_tally t = {0};
            sync_eval(&f);
            rc = mlp_fit_evaluate(&f, test, &t, err);
            st.test_loss = t.loss / (double)t.n;
            st.test_acc = accuracy(&f, &t);
            st.test_s = now() - t1;
        }
        st.seconds = now() - t0;
        run.step = s.t;
        run.epoch = e + 1;
        if (rc == MLP_OK && o->checkpoint && !stop)
            rc = mlp_checkpoint_save(o->checkpoint, &f, &run, o, train, err);
        if (rc == MLP_OK && o->sync_epochs && !stop)
            mlp_plan_store_params(f.train, model);
        if (rc == MLP_OK && o->on_epoch && !stop)
            stop = o->on_epoch(o->user, &st);
    }
    if (rc == MLP_OK)
        mlp_plan_store_params(f.train, model);
    free(perm);
    if (s.opt)
        opt_free(&s, &f);
    mlp_fit_free(&f);
    return rc;
}

int mlp_evaluate_graph(const mlp_graph *model, const mlp_dataset *d, mlp_metrics *out,
                       mlp_error *err)
{
    memset(out, 0, sizeof *out);
    out->accuracy = out->mse = out->loss = NAN;
    struct mlp_fit f;
    int rc = mlp_fit_init(&f, model, d, 0, EVAL_BATCH, err);
    if (rc == MLP_OK)
        rc = mlp_fit_check_targets(&f, d, err);
    if (rc == MLP_OK) {
        int classes = f.head == MLP_HEAD_CLASSES ? f.classes : f.head == MLP_HEAD_BINARY ? 2 : 0;
        struct mlp_tally t = {.classes = classes};
        if (classes)
            t.confusion = mlp_xcalloc((size_t)classes * (size_t)classes, sizeof *t.confusion);
        rc = mlp_fit_evaluate(&f, d, &t, err);
        if (rc != MLP_OK) {
            free(t.confusion);
            mlp_fit_free(&f);
            return rc;
        }
        out->n = (int)t.n;
        out->loss = t.loss / (double)t.n;
        out->classes = classes;
        out->confusion = t.confusion;
        out->accuracy = accuracy(&f, &t);
        if (f.head == MLP_HEAD_REGRESSION)
            out->mse = t.sqerr / (double)t.seen;
    }
    mlp_fit_free(&f);
    return rc;
}

/* checkpoint.c - saving and restoring a training run between epochs (see checkpoint.h). */
#include "train/checkpoint.h"
#include "base/mem.h"
#include "base/strbuf.h"
#include "io/prep.h"
#include "io/tensorfile.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *param_name(const struct mlp_fit *f, int i)
{
    const struct mlp_node *n = mlp_node(f->g, f->param[i]);
    return n->name >= 0 ? f->g->names[n->name].text : "?";
}

static int64_t param_size(const struct mlp_fit *f, int i)
{
    return mlp_shape_size(mlp_node(f->g, f->param[i])->shape);
}

static void add_meta(struct mlp_tensor_list *l, const char *key, char *value)
{
    mlp_xreserve(&l->meta_key, &(int){l->nmeta}, l->nmeta + 1, sizeof *l->meta_key);
    mlp_xreserve(&l->meta_value, &(int){l->nmeta}, l->nmeta + 1, sizeof *l->meta_value);
    l->meta_key[l->nmeta] = mlp_xstrdup(key);
    l->meta_value[l->nmeta++] = value;
}

static void add_number(struct mlp_tensor_list *l, const char *key, int64_t v)
{
    mlp_strbuf b = {0};
    mlp_sb_printf(&b, "%" PRId64, v);
    add_meta(l, key, mlp_sb_take(&b));
}

/* A tensor of a parameter's shape holding n floats (converted to double for the writer). */
static void add_tensor(struct mlp_tensor_list *l, const struct mlp_fit *f, int i, char *name,
                       const float *v)
{
    struct mlp_tensor *t = &l->t[l->n++];
    const struct mlp_node *n = mlp_node(f->g, f->param[i]);
    t->name = name;
    t->rank = n->shape.rank;
    memcpy(t->dim, n->shape.dim, sizeof t->dim);
    t->size = param_size(f, i);
    t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
    for (int64_t k = 0; k < t->size; k++)
        t->values[k] = v ? v[k] : 0;
}

int mlp_checkpoint_save(const char *path, const struct mlp_fit *f, const struct mlp_run_state *s,
                        const mlp_train_options *o, const mlp_dataset *train, mlp_error *err)
{
    int nsamples = train->n;
    struct mlp_tensor_list l = {0};
    l.t = mlp_xcalloc((size_t)f->nparams * (size_t)(1 + s->nstate) + 1, sizeof *l.t);
    for (int i = 0; i < f->nparams; i++) {
        const float *p = mlp_plan_buffer(f->train, f->param[i]);
        add_tensor(&l, f, i, mlp_xstrdup(param_name(f, i)), p);
        if (!p) { /* not in the plan (the loss does not use it): the model's values */
            const double *v = mlp_node_values(f->g, f->param[i]);
            memcpy(l.t[l.n - 1].values, v, (size_t)param_size(f, i) * sizeof *v);
        }
        for (int k = 0; k < s->nstate; k++) {
            mlp_strbuf b = {0};
            mlp_sb_printf(&b, "opt.%s.%d", param_name(f, i), k);
            add_tensor(&l, f, i, mlp_sb_take(&b), s->opt_state[i * s->nstate + k]);
        }
    }
    add_number(&l, "mlp.checkpoint.epoch", s->epoch);
    add_number(&l, "mlp.checkpoint.step", s->step);
    add_number(&l, "mlp.checkpoint.batch", o->batch);
    add_number(&l, "mlp.checkpoint.seed", (int64_t)o->seed);
    add_number(&l, "mlp.checkpoint.samples", nsamples);
    add_meta(&l, "mlp.checkpoint.optimizer", mlp_xstrdup(o->optimizer));
    add_meta(&l, "mlp.checkpoint.schedule", mlp_xstrdup(o->schedule));
    add_number(&l, "mlp.checkpoint.epochs", o->epochs);
    mlp_prep_to_meta(train->prep, &l); /* as --save writes it: the checkpoint is a weights file */
    int rc = mlp_safetensors_write(path, &l, MLP_F32, err);
    mlp_tensor_list_free(&l);
    return rc;
}

static const struct mlp_tensor *find(const struct mlp_tensor_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->t[i].name, name))
            return &l->t[i];
    return NULL;
}

/* A whole-number metadata entry that must equal `want` (want < 0: any; the value in *got). */
static int number(const struct mlp_tensor_list *l, const char *key, int64_t want, int64_t *got,
                  const char *what, const char *path, mlp_error *err)
{
    const char *v = mlp_tensor_meta(l, key);
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || end == v || *end || n < 0)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "not an mlp checkpoint (no %s)",
                        key);
    if (want >= 0 && n != want)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the checkpoint was made with %s "
                        "%lld, this run has %lld: a continuation needs the same settings", what,
                        n, (long long)want);
    if (got)
        *got = n;
    return MLP_OK;
}

static int check_tensor(const struct mlp_tensor_list *l, const struct mlp_fit *f, int i,
                        const char *name, const char *path, mlp_error *err)
{
    const struct mlp_tensor *t = find(l, name);
    if (!t || t->size != param_size(f, i))
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the checkpoint has no tensor '%s' "
                        "of %lld values (made for another model?)", name,
                        (long long)param_size(f, i));
    return MLP_OK;
}

static void copy_in(float *dst, const struct mlp_tensor *t)
{
    for (int64_t k = 0; k < t->size; k++)
        dst[k] = (float)t->values[k];
}

int mlp_checkpoint_load(const char *path, const struct mlp_fit *f, struct mlp_run_state *s,
                        const mlp_train_options *o, int nsamples, mlp_error *err)
{
    struct mlp_tensor_list l;
    int rc = mlp_safetensors_read(path, &l, err);
    int64_t epoch = 0, step = 0;
    if (rc == MLP_OK)
        rc = number(&l, "mlp.checkpoint.epoch", -1, &epoch, "", path, err);
    if (rc == MLP_OK)
        rc = number(&l, "mlp.checkpoint.step", -1, &step, "", path, err);
    if (rc == MLP_OK)
        rc = number(&l, "mlp.checkpoint.batch", o->batch, NULL, "--batch", path, err);
    if (rc == MLP_OK)
        rc = number(&l, "mlp.checkpoint.seed", (int64_t)o->seed, NULL, "--seed", path, err);
    if (rc == MLP_OK)
        rc = number(&l, "mlp.checkpoint.samples", nsamples, NULL, "a number of training samples",
                    path, err);
    const char *opt = rc == MLP_OK ? mlp_tensor_meta(&l, "mlp.checkpoint.optimizer") : NULL;
    if (rc == MLP_OK && (!opt || strcmp(opt, o->optimizer)))
        rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the checkpoint was made with "
                      "--optimizer %s, this run has %s", opt ? opt : "?", o->optimizer);
    const char *sched = rc == MLP_OK ? mlp_tensor_meta(&l, "mlp.checkpoint.schedule") : NULL;
    if (rc == MLP_OK && (!sched || strcmp(sched, o->schedule)))
        rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the checkpoint was made with "
                      "--schedule %s, this run has %s", sched ? sched : "?", o->schedule);
    /* a schedule other than constant depends on the number of epochs */
    if (rc == MLP_OK && strcmp(o->schedule, "constant"))
        rc = number(&l, "mlp.checkpoint.epochs", o->epochs, NULL, "--epochs (which the schedule "
                    "depends on)", path, err);
    if (rc == MLP_OK && epoch >= o->epochs)
        rc = mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "the checkpoint has done %lld epochs "
                      "already, as many as --epochs %d asks for", (long long)epoch, o->epochs);
    char name[300];
    for (int i = 0; i < f->nparams && rc == MLP_OK; i++) {
        rc = check_tensor(&l, f, i, param_name(f, i), path, err);
        for (int k = 0; k < s->nstate && rc == MLP_OK; k++) {
            snprintf(name, sizeof name, "opt.%s.%d", param_name(f, i), k);
            rc = check_tensor(&l, f, i, name, path, err);
        }
    }
    for (int i = 0; i < f->nparams && rc == MLP_OK; i++) { /* all checked: now change */
        float *p = mlp_plan_buffer(f->train, f->param[i]);
        if (p)
            copy_in(p, find(&l, param_name(f, i)));
        for (int k = 0; k < s->nstate; k++) {
            snprintf(name, sizeof name, "opt.%s.%d", param_name(f, i), k);
            copy_in(s->opt_state[i * s->nstate + k], find(&l, name));
        }
    }
    if (rc == MLP_OK) {
        s->epoch = (int)epoch;
        s->step = step;
    }
    mlp_tensor_list_free(&l);
    return rc;
}

bool mlp_checkpoint_state_name(const char *name) { return !strncmp(name, "opt.", 4); }

/* vnnverify.c - mlp_verify_vnnlib: a VNNLIB property of a relu network, decided by branch and
 * bound over float bounds that are sound for the exact weights (bab.h), each case in turn. A
 * network that is not a chain of dense relu layers is decided by the exact region search. */
#include "analysis/verify/bab.h"
#include "analysis/verify/explain.h"
#include "analysis/verify/leaf.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/vnnlib.h"
#include "analysis/verify/vnnverify.h"
#include "analysis/verify/witness.h"
#include "api/internal.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The model's one output node, and a net lowered for it whose inputs match the property. */
static int lower(const mlp_graph *g, const struct vnnlib *p, const char *path, struct vnet *net,
                 int *out, mlp_error *err)
{
    if (g->noutputs != 1)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC,
                        "the model has %d outputs; a VNNLIB property's Y_i are the elements of "
                        "one output", g->noutputs);
    mlp_id root = g->names[g->outputs[0]].node;
    int rc = vnet_init(net, g, &root, 1, err);
    if (rc != MLP_OK)
        return rc;
    *out = net->slot[root];
    if (net->nvars != p->nx || net->size[*out] != p->ny)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC,
                        "the property has %d inputs X_i and %d outputs Y_i; the model has %d "
                        "input and %lld output elements", p->nx, p->ny, net->nvars,
                        (long long)net->size[*out]);
    return MLP_OK;
}

static void exact_value(mlp_exact_value *v, const char *name, mlp_shape shape, const mpq_t *q)
{
    vexplain_value_init(v, name, shape);
    for (size_t e = 0; e < v->size; e++)
        v->values[e] = vq_str(q[e]);
}

/* The counterexample: the model's inputs at point, and its output there (exact). */
static void fill_point(mlp_verify_result *r, const struct vnet *net, int out, const mpq_t *point)
{
    const mlp_graph *g = net->g;
    r->inputs = mlp_xcalloc((size_t)net->n + 1, sizeof *r->inputs);
    for (int k = 0; k < net->n; k++)
        if (net->var0[k] >= 0)
            exact_value(&r->inputs[r->ninputs++], mlp_node_name(g, net->id[k]),
                        mlp_node(g, net->id[k])->shape, point + net->var0[k]);
    mpq_t *y = vq_array_new(net->size[out]);
    vwit_outputs(net, out, point, y);
    r->values = mlp_xcalloc(1, sizeof *r->values);
    exact_value(&r->values[0], g->names[g->outputs[0]].text, mlp_node(g, net->id[out])->shape, y);
    r->nvalues = 1;
    vq_array_free(y, net->size[out]);
}

static char *domain(const struct vnet *net, const struct vnnlib *p)
{
    if (p->ncases != 1) {
        char buf[64];
        snprintf(buf, sizeof buf, "input in %d boxes", p->ncases);
        return mlp_xstrdup(buf);
    }
    struct vbox b;
    vbox_init(&b, p->nx);
    for (int i = 0; i < p->nx; i++)
        vbox_restrict(&b, i, p->cases[0].lo[i], p->cases[0].hi[i]);
    char *s = vexplain_domain(net, &b);
    vbox_free(&b);
    return s;
}

struct prog {
    const mlp_verify_options *opt;
    long base; /* boxes of the cases before */
};

static void on_progress(const struct vbab_stats *st, double elapsed, void *ctx)
{
    struct prog *pg = ctx;
    mlp_verify_progress p = {pg->base + st->boxes, st->open, st->worst, elapsed};
    pg->opt->progress(&p, pg->opt->progress_ctx);
}

static void add_stats(mlp_verify_result *r, const struct vbab_stats *st)
{
    r->boxes += st->boxes;
    r->splits += st->splits;
    r->attack_steps += st->attack_steps;
    r->candidates += st->candidates;
    r->exact_leaves += st->exact_leaves;
    r->open += st->open;
    r->depth = st->depth > r->depth ? st->depth : r->depth;
}

int vnn_decide(const struct vnet *net, int out, const struct vdense *d, const struct vnnlib *p,
               const mlp_verify_options *opt, double t0, mpq_t *point, mlp_verify_result *r,
               mlp_error *err)
{
    struct prog pg = {opt, 0};
    struct vbab_opts o = {opt && opt->timeout > 0 ? t0 + opt->timeout : 0,
                          opt ? opt->max_memory : 0, opt ? opt->threads : 1,
                          opt && opt->progress ? on_progress : NULL, &pg};
    int verdict = 1;
    for (int k = 0; k < p->ncases && verdict == 1; k++) {
        if (!d) { /* the exact search over the whole box */
            double lo[64], hi[64];
            int v = p->nx <= 64 ? 0 : -3;
            for (int i = 0; i < p->nx && v == 0; i++) {
                lo[i] = vq_down(p->cases[k].lo[i]);
                hi[i] = vq_up(p->cases[k].hi[i]);
            }
            v = v == -3 ? -2 : vleaf_decide(net, out, p, k, lo, hi, ~(uint64_t)0, point, err);
            r->exact_leaves++;
            verdict = v == -1 ? -2 : v;
            continue;
        }
        struct vbab_stats st;
        verdict = vbab_run(net, out, d, p, k, &o, point, &st, err);
        add_stats(r, &st);
        pg.base = r->boxes;
    }
    return verdict;
}

/* By branch and bound when the net is a dense relu chain (and not exact_only). */
static int decide(const struct vnet *net, int out, const struct vnnlib *p,
                  const mlp_verify_options *opt, bool exact_only, double t0, mpq_t *point,
                  mlp_verify_result *r, mlp_error *err)
{
    struct vdense d;
    mlp_error why = {0};
    bool dense = !exact_only && vdense_from_net(&d, net, out, &why) == MLP_OK;
    int verdict = vnn_decide(net, out, dense ? &d : NULL, p, opt, t0, point, r, err);
    if (dense)
        vdense_free(&d);
    return verdict;
}

int vnn_verify(const mlp_graph *g, const struct vnnlib *p, const char *where,
               const mlp_verify_options *opt, bool exact_only, mlp_verify_result *out,
               mlp_error *err)
{
    double t0 = now();
    memset(out, 0, sizeof *out);
    struct vnet net = {0};
    int yk = -1;
    int rc = lower(g, p, where, &net, &yk, err);
    mpq_t *point = vq_array_new(p->nx);
    int verdict = rc == MLP_OK ? decide(&net, yk, p, opt, exact_only, t0, point, out, err) : -2;
    if (rc == MLP_OK && verdict == -2)
        rc = mlp_failed(err) ? err->status : MLP_ERR_UNSUPPORTED;
    if (rc == MLP_OK) {
        out->holds = verdict == 1;
        out->unknown = verdict == -1;
        out->domain = domain(&net, p);
        if (verdict == 0)
            fill_point(out, &net, yk, point);
    }
    vq_array_free(point, p->nx);
    vnet_free(&net);
    if (rc != MLP_OK)
        mlp_verify_result_free(out);
    out->seconds = now() - t0;
    return rc;
}

int mlp_verify_vnnlib(const mlp_model *m, const char *vnnlib, const mlp_verify_options *opt,
                      mlp_verify_result *out, mlp_error *err)
{
    double t0 = now();
    memset(out, 0, sizeof *out);
    struct vnnlib p;
    int rc = vnnlib_load(&p, vnnlib, err);
    if (rc != MLP_OK)
        return rc;
    mlp_graph *lowered; /* abs, max, clip, ... as relu and affine ops */
    rc = vnet_lower(mlp_model_graph(m), &lowered, err);
    if (rc == MLP_OK)
        rc = vnn_verify(lowered ? lowered : mlp_model_graph(m), &p, vnnlib, opt, false, out, err);
    mlp_graph_free(lowered);
    vnnlib_free(&p);
    out->seconds = now() - t0;
    return rc;
}

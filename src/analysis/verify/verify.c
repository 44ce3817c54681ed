/* verify.c - mlp_verify: a property of a piecewise-linear model over every real input.
 *
 * Parse the spec, lower the part of the model it depends on, and decide it: by the branch and
 * bound of --vnnlib where it applies (spec_bab.h: a bounded box, a dense relu chain), else by
 * enumerating activation regions with exact solver decisions (search.h). A violation's
 * counterexample is re-checked by evaluating network and spec in exact rational arithmetic
 * before it is reported. */
#include "analysis/analysis.h"
#include "analysis/verify/explain.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/search.h"
#include "analysis/verify/spec_bab.h"
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

/* Restrict the box by each bounds text; inputs the spec does not depend on are left alone. */
static int apply_bounds(const struct vnet *net, const char *const *bounds, int nbounds,
                        struct vbox *box, mlp_error *err)
{
    struct vbound *b = NULL;
    int n = 0, rc = MLP_OK;
    for (int i = 0; i < nbounds && rc == MLP_OK; i++)
        rc = vbounds_parse(net->g, bounds[i], &b, &n, err);
    for (int i = 0; i < n && rc == MLP_OK; i++) {
        int k = net->slot[b[i].node];
        if (k >= 0)
            vbox_restrict(box, net->var0[k] + (int)b[i].elem, b[i].lo, b[i].hi);
    }
    int empty;
    if (rc == MLP_OK && vbox_empty(box, &empty))
        rc = mlp_fail(err, MLP_ERR_INPUT, "bounds", MLP_NOLOC,
                      "the bounds leave no value for input element %d (they do not overlap)", empty);
    vbounds_free(b, n);
    return rc;
}

/* The counterexample's inputs, and every value the spec names that is not an input. */
static void fill_counterexample(mlp_verify_result *out, const struct vnet *net,
                                const struct vspec *s, const struct veval *cev)
{
    const mlp_graph *g = net->g;
    out->inputs = mlp_xcalloc((size_t)net->n + 1, sizeof *out->inputs);
    out->values = mlp_xcalloc((size_t)s->natoms + 1, sizeof *out->values);
    for (int k = 0; k < net->n; k++) {
        if (net->var0[k] < 0)
            continue;
        mlp_exact_value *v = &out->inputs[out->ninputs++];
        vexplain_value_init(v, mlp_node_name(g, net->id[k]), mlp_node(g, net->id[k])->shape);
        for (size_t e = 0; e < v->size; e++)
            v->values[e] = vq_str(veval_form(cev, k, (int64_t)e)[0]);
    }
    bool *seen = mlp_xcalloc((size_t)g->nnames + 1, sizeof *seen);
    for (int j = 0; j < s->natoms; j++) {
        const struct vatom *a = &s->atoms[j];
        if (seen[a->name] || mlp_is_input(g, a->node))
            continue;
        seen[a->name] = true;
        int k = net->slot[a->node];
        mlp_exact_value *v = &out->values[out->nvalues++];
        vexplain_value_init(v, g->names[a->name].text, mlp_node(g, a->node)->shape);
        for (size_t e = 0; e < v->size; e++)
            v->values[e] = vq_str(veval_form(cev, k, (int64_t)e)[0]);
    }
    free(seen);
}

/* Evaluate the network and the spec exactly at the search's counterexample; only a point that
 * lies in the box and violates the spec there is reported. */
static int recheck(mlp_verify_result *out, const struct vnet *net, const struct vspec *s,
                   const struct vbox *box, const mpq_t *point, mlp_error *err)
{
    struct veval cev;
    veval_init(&cev, net, point);
    int rc = veval_concrete(&cev, err);
    mpq_t **atomv = mlp_xmalloc((size_t)s->natoms * sizeof *atomv + 1);
    for (int j = 0; j < s->natoms; j++)
        atomv[j] = veval_form(&cev, net->slot[s->atoms[j].node], s->atoms[j].elem);
    if (rc == MLP_OK && (vspec_holds(s, atomv) || !vbox_contains(box, point)))
        rc = mlp_fail(err, MLP_ERR_UNSUPPORTED, NULL, MLP_NOLOC,
                      "internal error: the solver's counterexample does not violate the spec "
                      "when re-checked exactly (please report this)");
    if (rc == MLP_OK) {
        fill_counterexample(out, net, s, &cev);
        out->requires = vexplain_requires(s, &cev);
    }
    free(atomv);
    veval_free(&cev);
    return rc;
}

/* Parse, lower and search; fills out. */
static int run(const mlp_graph *g, const struct vspec *s, const char *const *bounds,
               int nbounds, const mlp_verify_options *opt, bool exact_only, double t0,
               mlp_verify_result *out, mlp_error *err)
{
    mlp_id *roots = mlp_xmalloc((size_t)s->natoms * sizeof *roots + 1);
    for (int j = 0; j < s->natoms; j++)
        roots[j] = s->atoms[j].node;
    struct vnet net;
    int rc = vnet_init(&net, g, roots, s->natoms, err);
    free(roots);
    struct vbox box;
    vbox_init(&box, net.nvars);
    if (rc == MLP_OK)
        rc = apply_bounds(&net, bounds, nbounds, &box, err);
    mpq_t *point = vq_array_new(net.nvars);
    struct vsearch_stats st = {.regions = 0};
    int verdict = rc == MLP_OK && !exact_only
                      ? vspec_bab(&net, s, &box, opt, t0, point, out, err) : -3;
    out->bab = verdict != -3;
    if (rc == MLP_OK && verdict == -3) {
        verdict = vsearch_run(&net, s, &box, true, point, &st, err);
        verdict = verdict < 0 ? -2 : verdict; /* its -1 is an error */
    }
    if (rc == MLP_OK && verdict < -1)
        rc = err && err->status ? err->status : MLP_ERR_UNSUPPORTED;
    if (rc == MLP_OK) {
        out->holds = verdict == 1;
        out->unknown = verdict == -1;
        out->domain = vexplain_domain(&net, &box);
        out->regions = st.regions;
        out->branches = st.branches;
        out->settled = st.settled;
        out->solver_calls = st.calls;
        if (verdict == 0)
            rc = recheck(out, &net, s, &box, point, err);
    }
    vq_array_free(point, net.nvars);
    vbox_free(&box);
    vnet_free(&net);
    return rc;
}

int mlp_verify_graph(const mlp_graph *model, const char *spec, const char *const *bounds,
                     int nbounds, const mlp_verify_options *opt, bool exact_only,
                     mlp_verify_result *out, mlp_error *err)
{
    double t0 = now();
    memset(out, 0, sizeof *out);
    mlp_graph *lowered;
    int rc = vnet_lower(model, &lowered, err);
    if (rc != MLP_OK)
        return rc;
    const mlp_graph *g = lowered ? lowered : model;
    struct vspec s;
    rc = vspec_parse(&s, g, spec, err);
    if (rc == MLP_OK) {
        rc = run(g, &s, bounds, nbounds, opt, exact_only, t0, out, err);
        vspec_free(&s);
    }
    mlp_graph_free(lowered);
    if (rc != MLP_OK)
        mlp_verify_result_free(out);
    out->seconds = now() - t0;
    return rc;
}

static void free_values(mlp_exact_value *v, int n)
{
    for (int i = 0; i < n; i++) {
        for (size_t e = 0; e < v[i].size; e++)
            free(v[i].values[e]);
        free(v[i].values);
        free(v[i].name);
    }
    free(v);
}

void mlp_verify_result_free(mlp_verify_result *r)
{
    if (!r)
        return;
    free(r->domain);
    free(r->requires);
    free_values(r->inputs, r->ninputs);
    free_values(r->values, r->nvalues);
    memset(r, 0, sizeof *r);
}

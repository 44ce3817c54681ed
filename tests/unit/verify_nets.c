/* verify_nets.c - random relu networks for the verify tests, and their exact extremes. */
#include "verify_nets.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <z3.h>

#include "analysis/verify/dense.h"
#include "analysis/verify/net.h"
#include "analysis/verify/vnnlib.h"
#include "analysis/verify/vnnverify.h"
#include "api/internal.h"

void random_net_sized(mlp_rng *rng, char *buf, size_t size, int nin, int hidden, int width)
{
    int n = snprintf(buf, size, "input x[%d]\n", nin);
    int in = nin;
    char prev[16] = "x";
    for (int l = 0; l <= hidden; l++) {
        int out = l == hidden ? 2 : width + (int)mlp_rng_below(rng, 3);
        n += snprintf(buf + n, size - (size_t)n, "param W%d[%d,%d] = [", l, out, in);
        for (int i = 0; i < out * in; i++)
            n += snprintf(buf + n, size - (size_t)n, "%s%d/8%s", i % in ? ", " : i ? ", [" : "[",
                          (int)mlp_rng_below(rng, 17) - 8, i % in == in - 1 ? "]" : "");
        n += snprintf(buf + n, size - (size_t)n, "]\nparam b%d[%d] = [", l, out);
        for (int i = 0; i < out; i++)
            n += snprintf(buf + n, size - (size_t)n, "%s%d/4", i ? ", " : "",
                          (int)mlp_rng_below(rng, 9) - 4);
        if (l < hidden)
            n += snprintf(buf + n, size - (size_t)n, "]\nh%d = relu(W%d @ %s + b%d)\n", l, l,
                          prev, l);
        else
            n += snprintf(buf + n, size - (size_t)n, "]\ny = W%d @ %s + b%d\noutput y\n", l,
                          prev, l);
        snprintf(prev, sizeof prev, "h%d", l);
        in = out;
    }
}

/* A double (an exact dyadic rational: the weights here are eighths) as a Z3 numeral. */
static Z3_ast num(Z3_context c, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%lld/1048576", (long long)(v * 1048576.0));
    return Z3_mk_numeral(c, buf, Z3_mk_real_sort(c));
}

/* sum w[j] v[j] + b */
static Z3_ast affine(Z3_context c, const double *w, double b, Z3_ast *v, int n)
{
    Z3_ast *t = malloc(((size_t)n + 1) * sizeof *t);
    for (int j = 0; j < n; j++) {
        Z3_ast f[2] = {num(c, w[j]), v[j]};
        t[j] = Z3_mk_mul(c, 2, f);
    }
    t[n] = num(c, b);
    Z3_ast s = Z3_mk_add(c, (unsigned)n + 1, t);
    free(t);
    return s;
}

/* The network's outputs as terms of the inputs (relu as if-then-else), written by hand from the
 * dense layers: nothing of the verifier's search is used. */
static void net_terms(Z3_context c, Z3_optimize o, const struct vdense *d, Z3_ast *y)
{
    Z3_ast *v = calloc((size_t)d->width + (size_t)d->nx + 1, sizeof *v);
    Z3_ast *nv = calloc((size_t)d->width + (size_t)d->nx + 1, sizeof *nv);
    Z3_sort real = Z3_mk_real_sort(c);
    for (int i = 0; i < d->nx; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        v[i] = Z3_mk_const(c, Z3_mk_string_symbol(c, name), real);
        Z3_optimize_assert(c, o, Z3_mk_le(c, num(c, -1), v[i]));
        Z3_optimize_assert(c, o, Z3_mk_le(c, v[i], num(c, 1)));
    }
    for (int l = 0; l < d->nl; l++) {
        const struct vlayer *L = &d->L[l];
        for (int j = 0; j < L->out; j++) {
            Z3_ast z = affine(c, L->wlo + (size_t)j * (size_t)L->in, L->blo[j], v, L->in);
            nv[j] = l == d->nl - 1 ? z : Z3_mk_ite(c, Z3_mk_ge(c, z, num(c, 0)), z, num(c, 0));
        }
        for (int j = 0; j < L->out; j++)
            v[j] = nv[j];
    }
    for (int j = 0; j < d->ny; j++)
        y[j] = v[j];
    free(v);
    free(nv);
}

bool exact_extreme(const char *model, double c0, double c1, int sign, char *out, size_t size)
{
    mlp_model *m = parse_ok(model);
    if (!m)
        return false;
    mlp_graph *g = mlp_model_graph(m);
    mlp_id root = g->names[g->outputs[0]].node;
    struct vnet net;
    struct vdense d;
    bool ok = false;
    if (vnet_init(&net, g, &root, 1, NULL) == MLP_OK) {
        if (vdense_from_net(&d, &net, net.slot[root], NULL) == MLP_OK && d.ny == 2) {
            Z3_config cfg = Z3_mk_config();
            Z3_context c = Z3_mk_context(cfg);
            Z3_del_config(cfg);
            Z3_optimize o = Z3_mk_optimize(c);
            Z3_optimize_inc_ref(c, o);
            Z3_ast y[2];
            net_terms(c, o, &d, y);
            Z3_ast t[2] = {Z3_mk_mul(c, 2, (Z3_ast[]){num(c, sign * c0), y[0]}),
                           Z3_mk_mul(c, 2, (Z3_ast[]){num(c, sign * c1), y[1]})};
            unsigned h = Z3_optimize_maximize(c, o, Z3_mk_add(c, 2, t));
            if (Z3_optimize_check(c, o, 0, NULL) == Z3_L_TRUE) {
                Z3_ast best = Z3_optimize_get_upper(c, o, h);
                ok = Z3_is_numeral_ast(c, best);
                if (ok) {
                    const char *s = Z3_get_numeral_string(c, best);
                    ok = snprintf(out, size, "%s", s) < (int)size;
                }
            }
            Z3_optimize_dec_ref(c, o);
            Z3_del_context(c);
            vdense_free(&d);
        }
        vnet_free(&net);
    }
    mlp_model_free(m);
    return ok;
}

void vnn_summary(const char *model, const char *prop, int threads, double timeout, char *out,
                 size_t size)
{
    mlp_model *m = parse_ok(model);
    struct vnnlib p;
    mlp_error err = {0};
    mlp_verify_options o = {.threads = threads, .timeout = timeout};
    mlp_verify_result r;
    int n = snprintf(out, size, "error");
    if (m && vnnlib_parse(&p, prop, strlen(prop), "p.vnnlib", &err) == MLP_OK) {
        if (vnn_verify(mlp_model_graph(m), &p, "p.vnnlib", &o, false, &r, &err) == MLP_OK) {
            n = snprintf(out, size, "%s %ld boxes %ld splits %ld steps %ld candidates %ld leaves "
                         "%ld open", r.holds ? "holds" : r.unknown ? "unknown" : "violated",
                         r.boxes, r.splits, r.attack_steps, r.candidates, r.exact_leaves, r.open);
            for (int v = 0; v < r.ninputs + r.nvalues; v++) {
                const mlp_exact_value *e = v < r.ninputs ? &r.inputs[v] : &r.values[v - r.ninputs];
                for (size_t i = 0; i < e->size && n < (int)size; i++)
                    n += snprintf(out + n, size - (size_t)n, " %s", e->values[i]);
            }
            mlp_verify_result_free(&r);
        }
        vnnlib_free(&p);
    }
    mlp_model_free(m);
}

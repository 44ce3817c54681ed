/* dense.c - lowering a relu chain to dense layers with weights bracketed by doubles. */
#include "analysis/verify/dense.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static enum mlp_op op_of(const struct vnet *net, int k) { return mlp_node(net->g, net->id[k])->op; }

static int unsupported(const struct vnet *net, int k, mlp_error *err, const char *why)
{
    return mlp_fail(err, MLP_ERR_UNSUPPORTED, net->g->file, mlp_node(net->g, net->id[k])->loc,
                    "not a chain of dense relu layers: %s", why);
}

/* The stages: the relu nodes in order (stage s ends at relu[s]; the last stage at the root). */
static int find_relus(const struct vnet *net, int root, int *relu, int *n, mlp_error *err)
{
    *n = 0;
    for (int k = 0; k <= root; k++) {
        if (!vnet_branches(net, k))
            continue;
        if (op_of(net, k) != MLP_OP_RELU)
            return unsupported(net, k, err, "a step or drelu unit");
        relu[(*n)++] = k;
    }
    return MLP_OK;
}

/* Whether cone node o may feed a node of the stage that starts after `prev` (-1: the inputs). */
static bool feeds_stage(const struct vnet *net, int o, int prev)
{
    if (net->dep[o] == VDEP_CONST || o == prev)
        return true;
    if (prev < 0)
        return true; /* before the first relu everything computed depends on the inputs only */
    return o > prev && !vnet_branches(net, o);
}

/* Check that the nodes strictly between prev and end (not constant) only use the stage. */
static int check_stage(const struct vnet *net, int prev, int end, mlp_error *err)
{
    for (int k = prev + 1; k <= end; k++) {
        if (net->dep[k] == VDEP_CONST)
            continue;
        const struct mlp_node *nd = mlp_node(net->g, net->id[k]);
        if (prev >= 0 && nd->op == MLP_OP_INPUT)
            return unsupported(net, k, err, "an input used after the first relu layer");
        for (int i = 0; i < mlp_op_arity(nd->op); i++)
            if (!feeds_stage(net, net->slot[nd->in[i]], prev))
                return unsupported(net, k, err, "a value that skips a relu layer");
    }
    return MLP_OK;
}

/* Set the stage's inputs (the inputs, or relu node prev) to the unit vector j (-1: zero). */
static void set_stage_input(struct veval *ev, int prev, int j)
{
    const struct vnet *net = ev->net;
    int v = 0;
    for (int k = 0; k < net->n; k++) {
        if (prev >= 0 ? k != prev : net->var0[k] < 0)
            continue;
        for (int64_t e = 0; e < net->size[k]; e++, v++)
            mpq_set_ui(veval_form(ev, k, e)[0], v == j, 1);
    }
}

static int stage_width(const struct vnet *net, int prev)
{
    return prev >= 0 ? (int)net->size[prev] : net->nvars;
}

/* Stage from prev (exclusive) to the node `out` whose values it yields (the relu's operand or
 * the root), as layer L: evaluate exactly at 0 and at each unit vector. */
static int eval_stage(struct veval *ev, int prev, int last, int out, struct vlayer *L,
                      mlp_error *err)
{
    const struct vnet *net = ev->net;
    L->in = stage_width(net, prev);
    L->out = (int)net->size[out];
    size_t nw = (size_t)L->in * (size_t)L->out;
    L->wlo = mlp_xmalloc(nw * sizeof(double) + 1);
    L->whi = mlp_xmalloc(nw * sizeof(double) + 1);
    L->blo = mlp_xmalloc((size_t)L->out * sizeof(double) + 1);
    L->bhi = mlp_xmalloc((size_t)L->out * sizeof(double) + 1);
    L->exact = true;
    mpq_t *b = vq_array_new(L->out), d;
    mpq_init(d);
    int rc = MLP_OK;
    for (int j = -1; j < L->in && rc == MLP_OK; j++) {
        set_stage_input(ev, prev, j);
        for (int k = prev + 1; k <= last && rc == MLP_OK; k++)
            if (net->dep[k] != VDEP_CONST && !vnet_branches(net, k))
                rc = veval_node(ev, k, err);
        for (int i = 0; i < L->out && rc == MLP_OK; i++) {
            const mpq_t *v = veval_form(ev, out, i);
            double *lo = j < 0 ? &L->blo[i] : &L->wlo[(size_t)i * L->in + j];
            double *hi = j < 0 ? &L->bhi[i] : &L->whi[(size_t)i * L->in + j];
            if (j < 0)
                mpq_set(b[i], v[0]);
            mpq_sub(d, v[0], b[i]);
            const mpq_srcptr q = j < 0 ? b[i] : d;
            *lo = vq_down(q);
            *hi = vq_up(q);
            L->exact = L->exact && *lo == *hi;
        }
    }
    mpq_clear(d);
    vq_array_free(b, L->out);
    return rc;
}

int vdense_from_net(struct vdense *d, const struct vnet *net, int root, mlp_error *err)
{
    memset(d, 0, sizeof *d);
    int *relu = mlp_xmalloc((size_t)net->n * sizeof *relu + 1), nrelu;
    int rc = find_relus(net, root, relu, &nrelu, err);
    for (int s = 0; s <= nrelu && rc == MLP_OK; s++)
        rc = check_stage(net, s ? relu[s - 1] : -1, s < nrelu ? relu[s] : root, err);
    if (rc != MLP_OK) {
        free(relu);
        return rc;
    }
    mpq_t *zero = vq_array_new(net->nvars);
    struct veval ev;
    veval_init(&ev, net, zero);
    for (int k = 0; k < net->n && rc == MLP_OK; k++) /* parameters and what is made of them */
        if (net->dep[k] == VDEP_CONST)
            rc = veval_node(&ev, k, err);
    d->nl = nrelu + 1;
    d->L = mlp_xcalloc((size_t)d->nl, sizeof *d->L);
    for (int s = 0; s <= nrelu && rc == MLP_OK; s++) {
        int prev = s ? relu[s - 1] : -1, end = s < nrelu ? relu[s] : root;
        int out = s < nrelu ? net->slot[mlp_operand(net->g, net->id[end], 0)] : root;
        rc = eval_stage(&ev, prev, s < nrelu ? end - 1 : end, out, &d->L[s], err);
        d->width = d->L[s].out > d->width ? d->L[s].out : d->width;
    }
    veval_free(&ev);
    vq_array_free(zero, net->nvars);
    free(relu);
    d->nx = net->nvars;
    d->ny = rc == MLP_OK ? d->L[d->nl - 1].out : 0;
    d->width = d->width > d->nx ? d->width : d->nx;
    if (rc != MLP_OK)
        vdense_free(d);
    return rc;
}

void vdense_free(struct vdense *d)
{
    for (int i = 0; d->L && i < d->nl; i++) {
        free(d->L[i].wlo);
        free(d->L[i].whi);
        free(d->L[i].blo);
        free(d->L[i].bhi);
    }
    free(d->L);
    memset(d, 0, sizeof *d);
}

void vdense_affine(const struct vlayer *L, const double *a, double *z)
{
    int in = L->in, j = 0;
    for (; j + 4 <= L->out; j += 4) {
        const double *w0 = L->whi + (size_t)j * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        double s0 = L->bhi[j], s1 = L->bhi[j + 1], s2 = L->bhi[j + 2], s3 = L->bhi[j + 3];
        for (int k = 0; k < in; k++) {
            double v = a[k];
            s0 += w0[k] * v;
            s1 += w1[k] * v;
            s2 += w2[k] * v;
            s3 += w3[k] * v;
        }
        z[j] = s0;
        z[j + 1] = s1;
        z[j + 2] = s2;
        z[j + 3] = s3;
    }
    for (; j < L->out; j++) {
        const double *w = L->whi + (size_t)j * in;
        double s = L->bhi[j];
        for (int k = 0; k < in; k++)
            s += w[k] * a[k];
        z[j] = s;
    }
}

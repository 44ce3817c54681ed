/* leaf.c - an undecided sub-box handed to the exact region enumeration. */
#include "analysis/verify/leaf.h"
#include "analysis/verify/rational.h"
#include "analysis/verify/search.h"
#include "analysis/verify/spec.h"
#include "analysis/verify/witness.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* Spec atoms: the input elements (variables 0 .. nx-1), then the outputs. */
static void spec_atoms(struct vspec *s, const struct vnet *net, int out, int nx, int ny)
{
    s->natoms = s->capatoms = nx + ny;
    s->atoms = mlp_xcalloc((size_t)(nx + ny) + 1, sizeof *s->atoms);
    for (int k = 0; k < net->n; k++)
        for (int64_t e = 0; net->var0[k] >= 0 && e < net->size[k]; e++)
            s->atoms[net->var0[k] + e] = (struct vatom){net->id[k], e, 0};
    for (int j = 0; j < ny; j++)
        s->atoms[nx + j] = (struct vatom){net->id[out], j, 0};
}

/* Comparison for VNNLIB atom a: c0 + sum c v (REL 0). */
static int spec_cmp(struct vspec *s, const struct vnnlib *p, int a)
{
    const struct vnn_atom *at = &p->atoms[a];
    struct vcmp *c = &s->cmps[s->ncmps];
    memset(c, 0, sizeof *c);
    mpq_init(c->t.c0);
    mpq_set(c->t.c0, at->c0);
    int nv = p->nx + p->ny;
    c->t.atom = mlp_xmalloc((size_t)nv * sizeof *c->t.atom + 1);
    c->t.coef = mlp_xmalloc((size_t)nv * sizeof *c->t.coef + 1);
    for (int j = 0; j < nv; j++)
        if (mpq_sgn(at->c[j])) {
            c->t.atom[c->t.n] = j;
            mpq_init(c->t.coef[c->t.n]);
            mpq_set(c->t.coef[c->t.n++], at->c[j]);
        }
    c->t.cap = c->t.n;
    c->rel = at->strict ? VREL_GT : VREL_GE;
    return s->ncmps++;
}

static int node(struct vspec *s, enum vf_op op, int a, int b)
{
    mlp_xreserve(&s->f, &s->capf, s->nf + 1, sizeof *s->f);
    s->f[s->nf] = (struct vf){op, a, b};
    return s->nf++;
}

/* not (OR over the open terms of AND over their atoms) */
static void build_spec(struct vspec *s, const struct vnet *net, int out, const struct vnnlib *p,
                       int k, uint64_t open)
{
    memset(s, 0, sizeof *s);
    s->g = net->g;
    spec_atoms(s, net, out, p->nx, p->ny);
    const struct vnn_case *c = &p->cases[k];
    int total = 0;
    for (int t = 0; t < c->nterms; t++)
        total += c->len[t];
    s->cmps = mlp_xcalloc((size_t)total + 1, sizeof *s->cmps);
    s->capcmps = total;
    int any = node(s, VF_FALSE, 0, 0);
    for (int t = 0; t < c->nterms && t < 64; t++) {
        if (!(open >> t & 1))
            continue;
        int all = node(s, VF_TRUE, 0, 0);
        for (int j = 0; j < c->len[t]; j++)
            all = node(s, VF_AND, all, node(s, VF_CMP, spec_cmp(s, p, c->term[t][j]), 0));
        any = node(s, VF_OR, any, all);
    }
    s->root = node(s, VF_NOT, any, 0);
}

int vleaf_decide(const struct vnet *net, int out, const struct vnnlib *p, int k,
                 const double *xl, const double *xu, uint64_t open, mpq_t *point,
                 mlp_error *err)
{
    struct vspec s;
    build_spec(&s, net, out, p, k, open);
    struct vbox box;
    vbox_init(&box, p->nx);
    mpq_t lo, hi;
    mpq_inits(lo, hi, NULL);
    for (int i = 0; i < p->nx; i++) {
        mpq_set_d(lo, xl[i]);
        mpq_set_d(hi, xu[i]);
        vbox_restrict(&box, i, lo, hi);
        vbox_restrict(&box, i, p->cases[k].lo[i], p->cases[k].hi[i]);
    }
    mpq_clears(lo, hi, NULL);
    int empty, rc = 1;
    if (!vbox_empty(&box, &empty)) {
        struct vsearch_stats st;
        rc = vsearch_run(net, &s, &box, true, point, &st, err);
    }
    if (rc == 0) { /* the search's point is exact; check it against the property itself */
        mpq_t *v = vq_array_new(p->nx + p->ny);
        for (int i = 0; i < p->nx; i++)
            mpq_set(v[i], point[i]);
        vwit_outputs(net, out, point, v + p->nx);
        if (!vnn_case_contains(p, k, v)) {
            mlp_fail(err, MLP_ERR_UNSUPPORTED, NULL, MLP_NOLOC,
                     "internal error: the exact search's counterexample is not in the unsafe "
                     "set when re-checked (please report this)");
            rc = -1;
        }
        vq_array_free(v, p->nx + p->ny);
    }
    vbox_free(&box);
    vspec_free(&s);
    return rc;
}

/* witness.c - exact re-checks of floating-point counterexample candidates. */
#include "analysis/verify/witness.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <stdlib.h>

void vwit_outputs(const struct vnet *net, int out, const mpq_t *point, mpq_t *y)
{
    struct veval ev;
    veval_init(&ev, net, point);
    veval_concrete(&ev, NULL); /* no division: only dense relu chains come here */
    for (int64_t e = 0; e < net->size[out]; e++)
        mpq_set(y[e], veval_form(&ev, out, e)[0]);
    veval_free(&ev);
}

bool vwit_check(const struct vnet *net, int out, const struct vnnlib *p, int k, const double *x,
                mpq_t *point)
{
    const struct vnn_case *c = &p->cases[k];
    for (int i = 0; i < p->nx; i++) {
        mpq_set_d(point[i], x[i]);
        if (mpq_cmp(point[i], c->lo[i]) < 0)
            mpq_set(point[i], c->lo[i]);
        if (mpq_cmp(point[i], c->hi[i]) > 0)
            mpq_set(point[i], c->hi[i]);
    }
    mpq_t *v = vq_array_new(p->nx + p->ny);
    for (int i = 0; i < p->nx; i++)
        mpq_set(v[i], point[i]);
    vwit_outputs(net, out, point, v + p->nx);
    bool bad = vnn_case_contains(p, k, v);
    vq_array_free(v, p->nx + p->ny);
    return bad;
}

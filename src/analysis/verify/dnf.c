/* dnf.c - disjunctive normal forms as lists of terms. */
#include "analysis/verify/dnf.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

void vdnf_free(struct vdnf *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->t[i].a);
    free(s->t);
    memset(s, 0, sizeof *s);
}

void vdnf_push(struct vdnf *s, const int *a, int n, const int *b, int m)
{
    mlp_xreserve(&s->t, &s->cap, s->n + 1, sizeof *s->t);
    struct vdnf_term *t = &s->t[s->n++];
    t->n = n + m;
    t->a = mlp_xmalloc((size_t)(n + m + 1) * sizeof *t->a);
    if (n) /* a and b may be NULL when empty */
        memcpy(t->a, a, (size_t)n * sizeof *a);
    if (m)
        memcpy(t->a + n, b, (size_t)m * sizeof *b);
}

bool vdnf_or(struct vdnf *out, struct vdnf *sub, int max)
{
    bool ok = (long)out->n + sub->n <= max;
    for (int i = 0; i < sub->n && ok; i++)
        vdnf_push(out, sub->t[i].a, sub->t[i].n, NULL, 0);
    vdnf_free(sub);
    if (!ok)
        vdnf_free(out);
    return ok;
}

bool vdnf_and(struct vdnf *out, struct vdnf *sub, int max)
{
    struct vdnf prod = {0};
    bool ok = (long)out->n * sub->n <= max;
    for (int i = 0; i < out->n && ok; i++)
        for (int j = 0; j < sub->n; j++)
            vdnf_push(&prod, out->t[i].a, out->t[i].n, sub->t[j].a, sub->t[j].n);
    vdnf_free(sub);
    vdnf_free(out);
    *out = prod;
    return ok;
}

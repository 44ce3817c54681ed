/* bab_tighten.c - a popped box bounded again with optimised hidden-layer slopes (see
 * bab_impl.h, alpha_layers.h). Runs only on boxes the plain bounds and the output rows' slopes
 * (bab_evaluate) leave open, once per box before it is split, so that all the halves strong
 * branching tries start inside its tighter unit bounds. */
#include "analysis/verify/bab_impl.h"

#include <string.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t bab_tighten(struct S *s, struct wk *w, struct box *b)
{
    if (s->layer_doubles == 0 || w->va.steps < 1)
        return b->open;
    size_t rest = s->box_doubles - 2 * (size_t)s->nx - s->layer_doubles;
    w->va.store = b->known + (rest - 2 * (size_t)s->nx); /* smear and corner come first */
    w->bw.layer_hook = valayers_hook;
    w->bw.hook_ctx = &w->va;
    double score, before = b->score;
    int ub0 = 0, units = w->bw.units;
    for (int q = 0; q < units; q++) ub0 += b->known[q] < 0 && b->known[units + q] > 0;
    uint64_t open = bab_evaluate(s, w, b->xl, b->xu, b->open, b->known, &score, w->tight);
    w->bw.layer_hook = NULL;
    s->st->boxes++;
    if (open) {
        memcpy(b->smear, w->tight, rest * sizeof *w->tight);
        b->score = score;
    }
    if (getenv("VA_DEBUG")) {
        int ub1 = 0;
        for (int q = 0; q < units; q++) ub1 += w->tight[2*s->nx+q] < 0 && w->tight[2*s->nx+units + q] > 0;
        fprintf(stderr, "depth %d score %g -> %g unstable %d -> %d open %d\n", b->depth, before, open ? score : -1.0, ub0, open ? ub1 : -1, (int)open);
    }
    b->open = open;
    return open;
}

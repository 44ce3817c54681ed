/* bab_tighten.c - a popped box bounded again with optimised hidden-layer slopes (see
 * bab_impl.h, alpha_layers.h). Runs only on boxes the plain bounds and the output rows' slopes
 * (bab_evaluate) leave open, once per box before it is split, so that all the halves strong
 * branching tries start inside its tighter unit bounds. */
#include "analysis/verify/bab_impl.h"

#include <string.h>

/* 1: a box's hidden-layer slopes start from its parent's (0: from DeepPoly's, to measure). */
#ifndef LAYER_WARM
#define LAYER_WARM 1
#endif

uint64_t bab_tighten(struct S *s, struct wk *w, struct box *b)
{
    if (s->layer_doubles == 0 || w->va.steps < 1)
        return b->open;
    size_t rest = s->box_doubles - 2 * (size_t)s->nx - s->layer_doubles;
    w->va.store = b->known + (rest - 2 * (size_t)s->nx); /* smear and corner come first */
    if (!LAYER_WARM)
        valayers_clear(s->d, w->va.store);
    w->bw.layer_hook = valayers_hook;
    w->bw.hook_ctx = &w->va;
    double score;
    uint64_t open = bab_evaluate(s, w, b->xl, b->xu, b->open, b->known, &score, w->tight);
    w->bw.layer_hook = NULL;
    s->st->boxes++;
    if (open) {
        memcpy(b->smear, w->tight, rest * sizeof *w->tight);
        b->score = score;
    }
    b->open = open;
    return open;
}

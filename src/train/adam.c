/* adam.c - Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), as torch.optim computes them:
 *
 *   adam:  g = grad + wd * p          adamw:  p *= 1 - lr * wd;  g = grad
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * The two differ only in where weight decay enters, so they share one update. */
#include "train/optimizer.h"

#include <float.h>
#include <math.h>

static bool adam_update(const struct mlp_opt_hparams *h, double lr, int64_t t, int64_t n,
                        float *p, const float *g, float gscale, float *const *state,
                        bool decoupled)
{
    float *m = state[0], *v = state[1];
    float b1 = (float)h->beta1, b2 = (float)h->beta2, eps = (float)h->eps;
    float wd = (float)h->weight_decay;
    float step = (float)(lr / (1 - pow(h->beta1, (double)t)));
    float bc2_sqrt = (float)sqrt(1 - pow(h->beta2, (double)t));
    float shrink = decoupled ? (float)(1 - lr * h->weight_decay) : 1;
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        float d = g[i] * gscale;
        if (decoupled)
            p[i] *= shrink;
        else
            d += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        p[i] -= step * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
        bad |= MLP_OPT_NOT_FINITE(p[i]);
    }
    return !bad;
}

static bool adam_step(const struct mlp_opt_hparams *h, double lr, int64_t t, int64_t n, float *p,
                      const float *g, float gscale, float *const *state)
{
    return adam_update(h, lr, t, n, p, g, gscale, state, false);
}

static bool adamw_step(const struct mlp_opt_hparams *h, double lr, int64_t t, int64_t n, float *p,
                       const float *g, float gscale, float *const *state)
{
    return adam_update(h, lr, t, n, p, g, gscale, state, true);
}

const struct mlp_optimizer mlp_optimizer_adam = {.name = "adam", .nstate = 2, .step = adam_step};
const struct mlp_optimizer mlp_optimizer_adamw = {.name = "adamw", .nstate = 2, .step = adamw_step};

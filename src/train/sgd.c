/* sgd.c - stochastic gradient descent with optional momentum (heavy ball or Nesterov) and L2
 * weight decay, as torch.optim.SGD computes it (dampening 0):
 *
 *   g = grad + wd * p;   b = mu * b + g;   g = nesterov ? g + mu * b : b;   p -= lr * g
 *
 * With the momentum buffer starting at zero, the first step sets b = g, as PyTorch does. */
#include "train/optimizer.h"

#include <float.h>
#include <math.h>

static bool sgd_step(const struct mlp_opt_hparams *h, double lr, int64_t t, int64_t n, float *p,
                     const float *g, float gscale, float *const *state)
{
    (void)t;
    float mu = (float)h->momentum, wd = (float)h->weight_decay, rate = (float)lr;
    float *b = state[0];
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        float d = g[i] * gscale + wd * p[i];
        if (mu != 0) {
            b[i] = mu * b[i] + d;
            d = h->nesterov ? d + mu * b[i] : b[i];
        }
        p[i] -= rate * d;
        bad |= MLP_OPT_NOT_FINITE(p[i]);
    }
    return !bad;
}

const struct mlp_optimizer mlp_optimizer_sgd = {.name = "sgd", .nstate = 1, .step = sgd_step};

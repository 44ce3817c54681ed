/* optimizer.c - the list of optimizers, and learning-rate schedules. */
#include "train/optimizer.h"

#include <math.h>
#include <string.h>

static const struct mlp_optimizer *const optimizers[] = {&mlp_optimizer_sgd, &mlp_optimizer_adam,
                                                         &mlp_optimizer_adamw};

const struct mlp_optimizer *mlp_optimizer_find(const char *name)
{
    for (size_t i = 0; i < sizeof optimizers / sizeof *optimizers; i++)
        if (!strcmp(optimizers[i]->name, name))
            return optimizers[i];
    return NULL;
}

const char *mlp_optimizer_names(void) { return "sgd, adam, adamw"; }

bool mlp_schedule_parse(const char *name, enum mlp_schedule_kind *out)
{
    static const char *const names[] = {"constant", "step", "cosine"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (enum mlp_schedule_kind)i;
            return true;
        }
    return false;
}

double mlp_schedule_lr(const struct mlp_schedule *s, int epoch)
{
    switch (s->kind) {
    case MLP_SCHEDULE_STEP:
        return s->base * pow(s->gamma, epoch / (s->step_epochs > 0 ? s->step_epochs : 1));
    case MLP_SCHEDULE_COSINE:
        return s->min_lr + (s->base - s->min_lr) * (1 + cos(M_PI * epoch / s->epochs)) / 2;
    default:
        return s->base;
    }
}

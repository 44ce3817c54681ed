/* optimizer.h - the one small interface every optimizer implements, and learning-rate schedules.
 *
 * An optimizer is a name, the number of state values it keeps per parameter element, and a step
 * function that updates one parameter tensor in place. Adding an optimizer is one file with one
 * `const struct mlp_optimizer` and a line in optimizer.c's list. The semantics follow PyTorch's
 * torch.optim (same formulas, same order of operations), so the benchmark in bench/ compares
 * like with like.
 */
#ifndef MLP_TRAIN_OPTIMIZER_H
#define MLP_TRAIN_OPTIMIZER_H

#include <stdbool.h>
#include <stdint.h>

struct mlp_opt_hparams {
    double momentum;     /* sgd */
    bool nesterov;       /* sgd */
    double beta1, beta2; /* adam, adamw */
    double eps;          /* adam, adamw */
    double weight_decay; /* sgd, adam: added to the gradient (L2); adamw: decoupled */
};

/* 1 where a float is inf or NaN: the or-reduction of a step's updated values vectorises. */
#define MLP_OPT_NOT_FINITE(x) (!(fabsf(x) <= FLT_MAX))

/* The most state arrays an optimizer keeps per parameter. */
#define MLP_OPT_MAX_STATE 2

struct mlp_optimizer {
    const char *name;
    int nstate; /* state arrays per parameter (at most MLP_OPT_MAX_STATE), each as long as the
                 * parameter, zero at first */
    /* Update the n values of p in place. The gradient is gscale * g (the trainer passes the sum
     * over the batch and 1 / batch); t counts steps from 1; state has nstate arrays. Elementwise:
     * the trainer may update a tensor in pieces, on several threads. Returns whether every
     * updated value is finite (checked in the same pass: no second read of p). */
    bool (*step)(const struct mlp_opt_hparams *h, double lr, int64_t t, int64_t n, float *p,
                 const float *g, float gscale, float *const *state);
};

extern const struct mlp_optimizer mlp_optimizer_sgd, mlp_optimizer_adam, mlp_optimizer_adamw;

/* The optimizer called `name`, or NULL. */
const struct mlp_optimizer *mlp_optimizer_find(const char *name);
/* The names, comma-separated, for messages: "sgd, adam, adamw". */
const char *mlp_optimizer_names(void);

/* Learning-rate schedules, evaluated per epoch (0-based) like PyTorch's StepLR and
 * CosineAnnealingLR(T_max = epochs) stepped once per epoch. */
enum mlp_schedule_kind { MLP_SCHEDULE_CONSTANT, MLP_SCHEDULE_STEP, MLP_SCHEDULE_COSINE };
struct mlp_schedule {
    enum mlp_schedule_kind kind;
    double base;     /* the rate of epoch 0 */
    int step_epochs; /* step: multiply by gamma every step_epochs epochs */
    double gamma;
    double min_lr;   /* cosine: the floor, reached after the last epoch */
    int epochs;
};
/* The kind called `name` ("constant", "step", "cosine"); false if there is none. */
bool mlp_schedule_parse(const char *name, enum mlp_schedule_kind *out);
double mlp_schedule_lr(const struct mlp_schedule *s, int epoch);

#endif

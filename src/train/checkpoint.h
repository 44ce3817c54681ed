/* checkpoint.h - the state of a training run after an epoch, saved to continue it bit for bit.
 *
 * A safetensors file: each parameter under its own name (float32, as the training plan holds
 * it: the file is also a weights file), each optimizer state array as "opt.NAME.K", and in the
 * metadata the epochs and optimizer steps done and the settings a continuation must share
 * (optimizer, batch size, seed, number of samples). */
#ifndef MLP_TRAIN_CHECKPOINT_H
#define MLP_TRAIN_CHECKPOINT_H

#include "train/fit.h"

struct mlp_run_state {
    float **opt_state; /* nparams * nstate arrays */
    int nstate;
    int64_t step;      /* optimizer steps done */
    int epoch;         /* epochs done */
};

int mlp_checkpoint_save(const char *path, const struct mlp_fit *f, const struct mlp_run_state *s,
                        const mlp_train_options *o, const mlp_dataset *train, mlp_error *err);
/* Whether a tensor of a weights file is optimizer state of a checkpoint (not a parameter). */
bool mlp_checkpoint_state_name(const char *name);
/* Load a checkpoint into the training plan's parameters and s (its arrays allocated as the
 * optimizer needs); everything is checked before anything changes. */
int mlp_checkpoint_load(const char *path, const struct mlp_fit *f, struct mlp_run_state *s,
                        const mlp_train_options *o, int nsamples, mlp_error *err);

#endif

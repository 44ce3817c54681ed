/* rng.h - a small seeded random generator (xoshiro256**) owned by its caller.
 *
 * Determinism matters more than speed here: the same seed gives the same initial weights, the same
 * shuffles and the same gradcheck inputs on every machine, so results in the README reproduce. */
#ifndef MLP_BASE_RNG_H
#define MLP_BASE_RNG_H

#include <stdint.h>

typedef struct mlp_rng {
    uint64_t s[4];
} mlp_rng;

/* Seed from a number; `stream` separates independent sequences from the same seed. */
void mlp_rng_seed(mlp_rng *r, uint64_t seed, uint64_t stream);
uint64_t mlp_rng_next(mlp_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double mlp_rng_uniform(mlp_rng *r);
/* Standard normal (Box-Muller). */
double mlp_rng_normal(mlp_rng *r);
/* Uniform integer in [0, n). */
uint64_t mlp_rng_below(mlp_rng *r, uint64_t n);
/* FNV-1a hash of a string: derives a per-name stream so adding a parameter leaves others alone. */
uint64_t mlp_hash_string(const char *s);

#endif

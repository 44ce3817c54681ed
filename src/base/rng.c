/* rng.c - xoshiro256** seeded through splitmix64 (Blackman & Vigna). */
#include "base/rng.h"
#include "mlp.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void mlp_rng_seed(mlp_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t mlp_rng_next(mlp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mlp_rng_uniform(mlp_rng *r) { return (double)(mlp_rng_next(r) >> 11) * 0x1.0p-53; }

double mlp_rng_normal(mlp_rng *r)
{
    double u1 = 1.0 - mlp_rng_uniform(r); /* (0, 1]: log stays finite */
    double u2 = mlp_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t mlp_rng_below(mlp_rng *r, uint64_t n)
{
    /* Rejection removes the modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = mlp_rng_next(r);
    while (x >= limit);
    return x % n;
}

uint64_t mlp_hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

void mlp_random_normal(uint64_t seed, uint64_t stream, double *out, size_t n)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, seed, stream);
    for (size_t i = 0; i < n; i++)
        out[i] = mlp_rng_normal(&rng);
}

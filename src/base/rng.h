/* base/rng.h - a seeded pseudo-random generator (xoshiro256**).
 *
 * Deterministic from its seed: modules that need randomness take an rng (or
 * a seed) as an argument, so that replicas and the simulator reproduce the
 * same choices. Never seeded from the clock inside pure modules. */
#ifndef POLIS_BASE_RNG_H
#define POLIS_BASE_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t rng_below(rng *r, uint64_t bound);
/* Uniform double in [0, 1). */
double rng_unit(rng *r);
/* splitmix64 step: a good 64-bit mixer for deriving seeds. */
uint64_t rng_mix64(uint64_t x);

#endif

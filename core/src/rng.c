// rng.c: the one random generator of a run: xoshiro256** (Blackman & Vigna), seeded through
// splitmix64 so that nearby seeds give unrelated streams. Same seed, same build: same numbers.
#include <math.h>
#include "rnnlab.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rnl_rng_seed(rnl_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rnl_rng_next(rnl_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rnl_rng_uniform(rnl_rng *r) { return (double)(rnl_rng_next(r) >> 11) * 0x1.0p-53; }

double rnl_rng_normal(rnl_rng *r) {
    // Box-Muller; one value per call keeps the stream simple to reason about.
    double u1 = rnl_rng_uniform(r), u2 = rnl_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint32_t rnl_rng_below(rnl_rng *r, uint32_t n) {
    if (n <= 1) return 0;
    // Lemire's multiply-shift with rejection: no modulo bias.
    uint64_t m = (uint64_t)(uint32_t)(rnl_rng_next(r) >> 32) * n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t thresh = (uint32_t)(-n) % n;
        while (lo < thresh) {
            m = (uint64_t)(uint32_t)(rnl_rng_next(r) >> 32) * n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

// dropout.c: the dropout masks, counter-based: whether unit j of a row is kept is a hash of (optimizer step,
// site, row, position, j), not a draw from a generator's stream. So a mask does not depend on the order
// the masks are made in: a resumed run, the WebAssembly build and a run sharded over threads all drop the
// same units at the same step, and backward recomputes the forward's masks instead of storing them.
// tests/golden/gen_golden.py computes the same masks in Python for PyTorch.
#include "internal.h"

// splitmix64's finaliser: a bijection of 64 bits that mixes every input bit into every output bit.
static inline uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define DROPOUT_SALT 0x64726f706f7574ull  // "dropout": keeps these draws apart from other uses of the step

// The key of one (step, site, row, position): unit j's draw is mix64(key + j).
static uint64_t row_key(uint64_t step, int site, int row, int t) {
    uint64_t k = mix64(step ^ DROPOUT_SALT);
    k = mix64(k ^ (uint32_t)site);
    k = mix64(k ^ (uint32_t)row);
    return mix64(k ^ (uint32_t)t);
}

// A unit is dropped when the top 24 bits of its draw fall below p * 2^24: exact integer arithmetic, the
// same in every build and precision.
static uint64_t drop_below(float p) { return (uint64_t)((double)p * 16777216.0); }

void rnl_dropout_mask(rnl_real *out, int n, float p, uint64_t step, int site, int row, int t) {
    uint64_t key = row_key(step, site, row, t), thr = drop_below(p);
    rnl_real scale = (rnl_real)(1.0 / (1.0 - (double)p));
    for (int j = 0; j < n; j++) out[j] = (mix64(key + (uint64_t)j) >> 40) < thr ? 0 : scale;
}

void rnl_dropout_apply(rnl_real *x, int n, float p, uint64_t step, int site, int row, int t) {
    uint64_t key = row_key(step, site, row, t), thr = drop_below(p);
    rnl_real scale = (rnl_real)(1.0 / (1.0 - (double)p));
    for (int j = 0; j < n; j++) x[j] = (mix64(key + (uint64_t)j) >> 40) < thr ? 0 : x[j] * scale;
}

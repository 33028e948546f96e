// memory.c: how much memory training a configuration takes, so a face with a hard limit (the browser's
// 32-bit WebAssembly memory) can refuse it up front with the figure, instead of failing half-way.
#include "internal.h"

size_t rnl_training_bytes(const rnl_config *cfg, rnl_optim kind, int B, int T) {
    if (rnl_config_validate(cfg) != RNL_OK || B < 1 || T < 1) return 0;
    int ok = 1;
    size_t n = rnl_config_num_params(cfg);
    // Parameters and gradients, plus the optimizer's state (Adam: two moments, momentum: one).
    size_t floats = rnl_add_size(rnl_mul_size(n, 2, &ok), rnl_optim_state_count(kind, n), &ok);
    size_t work = rnl_model_workspace_bytes(cfg, B, T);
    if (work == 0) return 0;
    size_t total = rnl_add_size(rnl_mul_size(floats, sizeof(rnl_real), &ok), work, &ok);
    return ok ? total : 0;
}

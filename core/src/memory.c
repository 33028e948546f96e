// memory.c: how much memory training a configuration takes, so a face with a hard limit (the browser's
// 32-bit WebAssembly memory) can refuse it up front with the figure, instead of failing half-way.
#include "model_base.h"

size_t rnl_base_training_bytes(size_t n_params, rnl_optim kind, size_t work) {
    int ok = 1;
    // Parameters and gradients, plus the optimizer's state (Adam: two moments, momentum: one).
    size_t floats = rnl_add_size(rnl_mul_size(n_params, 2, &ok), rnl_optim_state_count(kind, n_params), &ok);
    size_t total = rnl_add_size(rnl_mul_size(floats, sizeof(rnl_real), &ok), work, &ok);
    return ok && work ? total : 0;
}

size_t rnl_training_bytes(const rnl_config *cfg, rnl_optim kind, int B, int T) {
    if (rnl_config_validate(cfg) != RNL_OK || B < 1 || T < 1) return 0;
    return rnl_base_training_bytes(rnl_config_num_params(cfg), kind, rnl_model_workspace_bytes(cfg, B, T));
}

// train_checks.h: what both training steps (rnl_train_step in train.c, rnl_s2s_train_step in seq2seq.c) do
// around their update: a loss or a gradient norm that is NaN or infinite is a numeric fault, reported with
// what to try, and the step stops before the update so the parameters stay those of the last good step.
#ifndef RNNLAB_TRAIN_CHECKS_H
#define RNNLAB_TRAIN_CHECKS_H

#include "rnnlab.h"

// RNL_OK if `value` (the `what` of optimizer step `step`, e.g. "loss", "gradient norm") is finite; otherwise
// records "step N: the loss is NaN; <hint>. The parameters of step N-1 are kept." and returns RNL_ERR_NUMERIC.
rnl_status rnl_step_check_finite(long step, const char *what, double value);

// The rest of step `step` after the backward pass: the global norm of grads (n values) into *grad_norm, a
// numeric fault if it is not finite, *clipped (the optimizer's clip applies), then the optimizer's update.
rnl_status rnl_step_update(rnl_optimizer *o, long step, rnl_real *params, rnl_real *grads, size_t n, double *grad_norm,
                           int *clipped);

#endif

// checkpoint_optim.h: what the two checkpoint formats share (checkpoint.c, s2s_checkpoint.c; layouts in
// docs/checkpoint-format.md and docs/seq2seq.md). The optimizer block, the same 48 bytes in both headers:
// kind (i32, -1 without an optimizer), lr, momentum, beta1, beta2, eps, weight decay, clip (f32 each), steps
// (u64) and the number of optimizer state values (u64); and the f32 parameters, then the f32 state, after
// the header. Defined in checkpoint.c. `what` ("checkpoint", "seq2seq checkpoint") starts every message.
#ifndef RNNLAB_CHECKPOINT_OPTIM_H
#define RNNLAB_CHECKPOINT_OPTIM_H

#include <stdint.h>

#include "rnnlab.h"

// Writes the block at `at`: o's settings and steps (o NULL: kind -1), and ns.
void rnl_ck_put_optim(uint8_t *at, rnl_optimizer *o, size_t ns);
// Writes np parameters, then ns state values, as f32 from w on; returns where they end.
uint8_t *rnl_ck_put_values(uint8_t *w, const rnl_real *params, size_t np, const rnl_real *state, size_t ns);
// Reads and checks the block at `at` for a model of np parameters into *oc and *ns. With the optimizer flag
// (`has`), the settings must be valid, the state count the kind's and the step count in range; without it,
// there must be no state.
rnl_status rnl_ck_get_optim(const char *what, const uint8_t *at, int has, uint64_t np, rnl_optim_config *oc,
                            uint64_t *ns);
// RNL_ERR_FORMAT unless all np f32 parameters at r are finite.
rnl_status rnl_ck_check_params(const char *what, const uint8_t *r, size_t np);
// The optimizer of the checked block at `at` (settings *oc) for np parameters, its state read from `state`.
rnl_status rnl_ck_load_optim(const uint8_t *at, const rnl_optim_config *oc, size_t np, const uint8_t *state,
                             rnl_optimizer **o);

#endif

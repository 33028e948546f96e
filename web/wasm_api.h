// wasm_api.h: what the adapter's files share (wasm_api.c: models, tasks, training; wasm_data.c: datasets;
// wasm_s2s.c: seq2seq models; wasm_inspect.c: the inspection views). Nothing here is exported: the exports are the functions listed in
// web/lib/exports.js.
#ifndef RNLW_API_H
#define RNLW_API_H

#include <stdint.h>

#include "rnnlab_run.h"
#include "wasm_records.h"

// The status of the last call that returned a NULL handle or pointer (rnlw_last_status; the message is
// rnl_last_error's).
extern rnl_status wasm_status;

// A 64-bit seed from the two 32-bit halves the wrapper passes (no BigInt crosses the boundary).
static inline uint64_t wasm_seed64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

// Optimizer steps done in all (0 without an optimizer), as progress records carry them.
double wasm_steps(const rnl_optimizer *o);
// Sets *po from an "optimizer" record. Same kind and no reset: the live optimizer takes the new settings
// and keeps its moments and step count; otherwise a fresh one replaces it.
rnl_status wasm_set_optimizer(rnl_optimizer **po, size_t np, const rnlw_optimizer *rec, int reset);
// 0 without an optimizer; else 1 and its settings and steps.
int wasm_optimizer_info(rnlw_optimizer *out, rnl_optimizer *o);

// A model handle (wasm_api.c) as the other adapter files see it: its model, and its vocabulary read from
// the meta bytes (NULL, with *st and a message naming `what`, without one).
typedef struct rnlw_handle rnlw_handle;
rnl_model *wasm_model(rnlw_handle *h);
const rnl_dataset *wasm_vocabulary(rnlw_handle *h, const char *what, rnl_status *st);
// The same handle holding a Transformer encoder instead (wasm_transformer.c: creation, its tensors, its
// attention); NULL with wasm_status on failure. wasm_model is NULL for it, wasm_tf NULL for a recurrent one.
rnlw_handle *wasm_wrap_tf(rnl_tf *m, rnl_optimizer *o);
rnl_tf *wasm_tf(rnlw_handle *h);
// Either kind, as the run layer takes it.
rnl_run_net wasm_net(rnlw_handle *h);

#endif

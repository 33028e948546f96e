// kernels_wasm_relaxed.c: the "wasmrelaxed" gemms: kernels_wasm.c's tiles with f32x4.relaxed_madd in
// place of mul + add. Only in web/rnnlab-relaxed.wasm, compiled with clang >= 16 and -mrelaxed-simd
// (web/wasm.cmake); one source of the tiles, two instruction choices.
#define RNL_WASM_RELAXED 1
#define MR 6  // 12 accumulators + 2 panel vectors + 1 broadcast: 15 of the 16 xmm registers (no product temporary)
#include "kernels_wasm.c"

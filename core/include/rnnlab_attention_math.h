// rnnlab_attention_math.h: multi-head scaled dot-product attention of one sequence, forward and backward:
// the part of the Transformer encoder (rnnlab_transformer.h) that exercises/ has students write
// (exercises/starter/attention_math.c, exercises 9 and 10). core/src/attention_math.c is the reference;
// a build can put a student's attention_math.c in its place, as with cell_math.c (exercises/CMakeLists.txt,
// web/wasm.cmake's RNL_ATTENTION_MATH).
//
// The caller, rnl_tf_forward/backward (core/src/transformer.c), does everything around it: the in_proj
// that makes q | k | v from norm1(x), the out_proj of the context, and the batch. It packs the real
// positions of each sequence one after another and calls these functions once per sequence, on that
// sequence's L rows only: no padded position is ever among the keys, which is exactly what PyTorch's
// src_key_padding_mask achieves by setting the scores of padded keys to -inf.
//
// A worked example: L = 3 positions, D = 4, 2 heads of width dk = D / heads = 2.
//
//     rnl_real qkv[3 * 12];   // (L, 3D): row i = q_i (D) | k_i (D) | v_i (D); head h owns columns h*dk..h*dk+dk-1 of each third
//     rnl_real att[2 * 3 * 3], ctx[3 * 4];
//     rnl_attention_forward(ctx, att, qkv, 3, 4, 2);
//     // att[h][i][j] = softmax_j(q_i^h . k_j^h / sqrt(dk)): row i of head h sums to 1
//     // ctx[i][h*dk + c] = sum_j att[h][i][j] v_j^h[c]
//     rnl_real dctx[3 * 4], dqkv[3 * 12] = {0}, ds[3 * 3];  // dctx: dL/dctx, from out_proj's backward
//     rnl_attention_backward(dqkv, ds, dctx, att, qkv, 3, 4, 2);   // dqkv += dL/d(q | k | v)
//
// Equations, per head, with S = Q K^T / sqrt(dk) and P = softmax(S) row by row (docs/model.md):
//   forward:  ctx = P V
//   backward: dV = P^T dctx,  dP = dctx V^T,  dS = P o (dP - rowsum(dP o P)),  dQ = dS K / sqrt(dk),
//             dK = dS^T Q / sqrt(dk)   (o: elementwise product)
#ifndef RNNLAB_ATTENTION_MATH_H
#define RNNLAB_ATTENTION_MATH_H

#include "rnnlab_cell_math.h"  // rnl_real, and the math of the build's precision: r_exp, r_sqrt, ...

#ifdef __cplusplus
extern "C" {
#endif

// Forward of one sequence, every head. D is divisible by heads; dk = D / heads.
// ctx (L, D): out: the heads' contexts side by side, head h at columns h*dk..h*dk+dk-1 (overwritten).
// att (heads, L, L): out: the softmax weights, att[(h*L + i)*L + j] = how much query i attends to key j
//                    in head h; each row sums to 1. Backward reads them; the page draws them.
// qkv (L, 3D): in: row i holds q_i in columns 0..D-1, k_i in D..2D-1, v_i in 2D..3D-1.
void rnl_attention_forward(rnl_real *ctx, rnl_real *att, const rnl_real *qkv, int L, int D, int heads);

// Backward of one sequence, every head, from the weights the forward saved.
// dqkv (L, 3D): out: accumulates (+=) dL/dq | dL/dk | dL/dv in qkv's layout (the caller zeroes it).
// ds (L, L): scratch for one head at a time (dL/dP, then dL/dS); its contents on return are unspecified.
// dctx (L, D): in: dL/dctx.  att (heads, L, L), qkv (L, 3D): what the forward read and wrote.
void rnl_attention_backward(rnl_real *dqkv, rnl_real *ds, const rnl_real *dctx, const rnl_real *att,
                            const rnl_real *qkv, int L, int D, int heads);

#ifdef __cplusplus
}
#endif

#endif

// attention_math.c (starter of exercises 9-10): multi-head scaled dot-product attention of one
// sequence, forward and backward: the heart of the Transformer encoder, the model that followed the
// RNNs. The grader builds the whole rnnlab core with this file in place of core/src/attention_math.c:
// once both pass, every Transformer of that build (rnnlab init --cell transformer) attends with your code.
//
// Grade it:  node exercises/grade.mjs --only 9   (or --only 10)
// Each TODO starts with EX_TODO(...) and EX_ZERO(...): delete both lines when you write the function.
// The caller (core/src/transformer.c) does the rest of a layer: the in_proj that makes q | k | v from
// the normalised input, the out_proj of your context, the residuals and the batch. These functions see one
// sequence of L real positions. Shapes: core/include/rnnlab_attention_math.h; README.md has more hints.
#include "rnnlab_attention_math.h"  // core/include/: the contract of these two functions; r_exp, r_sqrt

#include "ex_todo.h"

// Layout, for head h of `heads` (dk = D / heads columns each), position i, column c < dk:
//     q_i[c] = qkv[i * 3D + h * dk + c]          k_i[c] = qkv[i * 3D + D + h * dk + c]
//     v_i[c] = qkv[i * 3D + 2 * D + h * dk + c]  ctx_i[c] = ctx[i * D + h * dk + c]
//     weight of key j for query i: att[(h * L + i) * L + j]
// Use double for sums over many terms (a dot product, a softmax's denominator) if you like; store rnl_real.

// --- Exercise 9: attention, forward ---------------------------------------------------------------

// ctx (L, D): out: the context of every position, heads side by side.
// att (heads, L, L): out: the softmax weights (the backward pass reads them).
// qkv (L, 3D): in: q | k | v of every position.
void rnl_attention_forward(rnl_real *ctx, rnl_real *att, const rnl_real *qkv, int L, int D, int heads) {
    // TODO(exercise 9): for each head h, each query i:
    //     s_j = (q_i . k_j) / sqrt(dk)                for every key j = 0..L-1
    //     a_j = exp(s_j - max_j s_j) / sum_j exp(s_j - max_j s_j)      the softmax; store it in att
    //     ctx_i = sum_j a_j v_j                       dk values, at head h's columns of ctx
    // Hints:
    //  - Scale by 1/sqrt(dk), the width of ONE head, not of D: q . k sums dk products, so its spread
    //    grows like sqrt(dk); without the scale a wide head's softmax saturates to one key (and its
    //    gradient vanishes).
    //  - The softmax: subtract the row's largest score before exp. Mathematically the same weights;
    //    numerically it keeps every exp in (0, 1], where a raw exp(100) overflows a float (the grader
    //    tries scores of several hundred).
    //  - The key-padding mask: in a padded batch, PyTorch's src_key_padding_mask sets a padded key's score
    //    to -inf, so exp gives it weight 0. Here the caller packed the sequence: your L keys are all real,
    //    so the mask is "only j < L", and a query never sees the next sequence's rows. Do not loop past L.
    //  - Every ctx value must be written (set it, or zero it before you accumulate).
    EX_TODO("attention forward");
    EX_ZERO(ctx, (size_t)L * D), EX_ZERO(att, (size_t)heads * L * L);
}

// --- Exercise 10: attention, backward -------------------------------------------------------------

// dqkv (L, 3D): out: ADD dL/dq | dL/dk | dL/dv into it (+=: the caller zeroed it; do not overwrite).
// ds (L, L): scratch for one head at a time, yours to use.
// dctx (L, D): in: dL/dctx.   att, qkv: what your forward read and wrote.
void rnl_attention_backward(rnl_real *dqkv, rnl_real *ds, const rnl_real *dctx, const rnl_real *att,
                            const rnl_real *qkv, int L, int D, int heads) {
    // TODO(exercise 10): for each head h, with P = that head's att block, S the scaled scores:
    //     dv_j += sum_i P[i][j] dctx_i                 (ctx_i = sum_j P[i][j] v_j)
    //     dP[i][j] = dctx_i . v_j
    //     dS[i][j] = P[i][j] (dP[i][j] - sum_k dP[i][k] P[i][k])     the softmax's backward
    //     dq_i += sum_j dS[i][j] k_j / sqrt(dk)
    //     dk_j += sum_i dS[i][j] q_i / sqrt(dk)
    // Hints:
    //  - The softmax backward: a_j depends on every score of its row, da_j/ds_m = a_j (1[j = m] - a_m).
    //    Summed against dP it is dS = P o (dP - rowsum(dP o P)), o the elementwise product: one dot
    //    product per row, then one subtraction per element. No exp: the saved weights are all you need.
    //  - The 1/sqrt(dk) of the forward multiplies the scores, so it multiplies dq and dk too.
    //  - dk_j sums over the queries i that attended to key j (a transpose): the rows of dS for dq,
    //    its columns for dk.
    //  - Add (+=) into dqkv: the caller may have gradients in it already, and a test checks that you keep them.
    EX_TODO("attention backward");
    EX_ZERO(ds, (size_t)L * L);
}

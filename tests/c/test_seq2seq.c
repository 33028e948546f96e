// test_seq2seq.c: the seq2seq encoder-decoder models (rnnlab_seq2seq.h).
//   golden:     logits, attention weights, loss, gradients, greedy decoding and Adam steps against PyTorch
//               float64 (tests/golden/gen_golden_seq2seq.py -> golden_seq2seq.bin), rtol 1e-4 / atol 1e-5;
//               test_seq2seq_f64.c runs the same comparison against the double-precision core at 1e-9.
//   padding:    garbage in the padding changes nothing; a sample's logits do not depend on its batch.
//   decoding:   greedy decoding agrees with a teacher-forced pass over its own output.
//   tasks:      reverse and dates generate what they promise; text round-trips; bad text is named.
//   checkpoints: exact round trip (with optimizer state and task), every bad byte refused with a message.
//   learning:   with attention the reversal task is solved at a length where the plain encoder-decoder
//               fails (figures printed; thresholds on accuracy only, never on time).
#define _POSIX_C_SOURCE 200809L  // mkdtemp, clock_gettime
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "golden_file.h"
#include "rnnlab_seq2seq.h"
#include "testutil.h"

#ifdef RNL_DOUBLE
// Torch and the core compute the same float64 expressions in different orders.
#define G_RTOL 1e-9
#define G_ATOL 1e-12
#define G_ATOL_ADAM 1e-12
#else
// float32 against float64: gen_golden_seq2seq.py --check-f32 shows torch's own float32 run stays within
// 2% of these tolerances (logits ~1%), so they leave room for a summation order, not for a bug.
#define G_RTOL 1e-4
#define G_ATOL 1e-5
// Parameters after Adam: the scale-free update can move an element whose gradient is near the float
// rounding of the others by up to lr per step; atol 1e-4 is 1% of lr (as test_golden.c).
#define G_ATOL_ADAM 1e-4
#endif

// --- Golden comparison --------------------------------------------------------------------------

// The tensor table the core must have: the reference module's state_dict names, in order, with shapes.
static int expected_tensors(const rnl_s2s_config *c, rnl_tensor_info *out, int cap) {
    int n = 0, ndir = c->bidirectional ? 2 : 1, He = c->enc_hidden, De = He * ndir, Hd = De;
    int Ge = rnl_cell_gates(c->enc_cell), Gd = rnl_cell_gates(c->dec_cell);
    int A = c->attn_width ? c->attn_width : Hd;
    size_t off = 0;
    char nm[48];
#define ADD(name_, rows_, cols_) gold_add_tensor(out, cap, &n, &off, name_, rows_, cols_)
    ADD("encoder.embedding.weight", c->src_vocab, c->embed);
    for (int l = 0; l < c->enc_layers; l++)
        for (int d = 0; d < ndir; d++) {
            const char *sfx = d ? "_reverse" : "";
            snprintf(nm, sizeof nm, "encoder.rnn.weight_ih_l%d%s", l, sfx);
            ADD(nm, Ge * He, l ? De : c->embed);
            snprintf(nm, sizeof nm, "encoder.rnn.weight_hh_l%d%s", l, sfx);
            ADD(nm, Ge * He, He);
            snprintf(nm, sizeof nm, "encoder.rnn.bias_ih_l%d%s", l, sfx);
            ADD(nm, Ge * He, 1);
            snprintf(nm, sizeof nm, "encoder.rnn.bias_hh_l%d%s", l, sfx);
            ADD(nm, Ge * He, 1);
        }
    ADD("decoder.embedding.weight", c->tgt_vocab, c->embed);
    ADD("decoder.cell.weight_ih", Gd * Hd, c->embed);
    ADD("decoder.cell.weight_hh", Gd * Hd, Hd);
    ADD("decoder.cell.bias_ih", Gd * Hd, 1);
    ADD("decoder.cell.bias_hh", Gd * Hd, 1);
    if (c->attention == RNL_ATTN_ADDITIVE) {
        ADD("attention.W_q", A, Hd);
        ADD("attention.W_k", A, De);
        ADD("attention.v", A, 1);
    }
    if (c->attention != RNL_ATTN_NONE) {
        ADD("attention.W_c", Hd, Hd + De);
        ADD("attention.b_c", Hd, 1);
    }
    ADD("out.weight", c->tgt_vocab, Hd);
    ADD("out.bias", c->tgt_vocab, 1);
#undef ADD
    return n;
}

static const rnl_tensor_info *s2s_tensor(const void *m, int i) { return rnl_s2s_tensor(m, i); }

static void gold_run_case(const gold_case *gc) {
    const char *cn = gc->name;
    const gold_record *gcfg = gold_find(gc, "config", GOLD_I32, 10), *gshape = gold_find(gc, "shape", GOLD_I32, 3);
    if (!gcfg || !gshape) return;
    rnl_s2s_config cfg = rnl_s2s_config_default();
    cfg.src_vocab = gold_i32(gcfg, 0), cfg.tgt_vocab = gold_i32(gcfg, 1), cfg.embed = gold_i32(gcfg, 2);
    cfg.enc_cell = (rnl_cell)gold_i32(gcfg, 3), cfg.enc_hidden = gold_i32(gcfg, 4), cfg.enc_layers = gold_i32(gcfg, 5);
    cfg.bidirectional = gold_i32(gcfg, 6), cfg.dec_cell = (rnl_cell)gold_i32(gcfg, 7), cfg.attention = (rnl_attn)gold_i32(gcfg, 8);
    cfg.attn_width = gold_i32(gcfg, 9);
    int B = gold_i32(gshape, 0), S = gold_i32(gshape, 1), U = gold_i32(gshape, 2);
    CHECK(B >= 1 && B <= 64 && S >= 1 && S <= 64 && U >= 1 && U <= 64, "%s: shape %d x %d x %d", cn, B, S, U);
    if (!(B >= 1 && B <= 64 && S >= 1 && S <= 64 && U >= 1 && U <= 64)) return;
    int attn = cfg.attention != RNL_ATTN_NONE, V = cfg.tgt_vocab;
    const gold_record *gsrc = gold_find(gc, "src", GOLD_I32, (size_t)B * S), *gsl = gold_find(gc, "src_len", GOLD_I32, B);
    const gold_record *gtgt = gold_find(gc, "tgt", GOLD_I32, (size_t)B * U), *gtl = gold_find(gc, "tgt_len", GOLD_I32, B);
    const gold_record *gp = gold_find(gc, "params", GOLD_F64, 0), *glog = gold_find(gc, "logits", GOLD_F64, (size_t)B * U * V);
    const gold_record *gloss = gold_find(gc, "loss", GOLD_F64, 1), *ggr = gold_find(gc, "grads", GOLD_F64, 0);
    const gold_record *gatt = attn ? gold_find(gc, "attention", GOLD_F64, (size_t)B * U * S) : NULL;
    const gold_record *gml = gold_find(gc, "decode_max_len", GOLD_I32, 1);
    if (!gsrc || !gsl || !gtgt || !gtl || !gp || !glog || !gloss || !ggr || (attn && !gatt) || !gml) return;
    int L = gold_i32(gml, 0);
    CHECK(L >= 1 && L <= 64, "%s: decode_max_len %d", cn, L);
    if (L < 1 || L > 64) return;
    const gold_record *gdt = gold_find(gc, "decode_tokens", GOLD_I32, (size_t)B * L), *gdl = gold_find(gc, "decode_len", GOLD_I32, B);
    const gold_record *gda = attn ? gold_find(gc, "decode_attention", GOLD_F64, (size_t)B * L * S) : NULL;
    if (!gdt || !gdl || (attn && !gda)) return;

    rnl_s2s *m = NULL;
    CHECK_OK(rnl_s2s_create(&m, &cfg, 1));
    if (!m) return;
    size_t np = rnl_s2s_num_params(m);
    CHECK(np == gp->count && np == ggr->count, "%s: core has %zu parameters, torch %zu", cn, np, gp->count);
    if (np != gp->count || np != ggr->count) {
        rnl_s2s_destroy(m);
        return;
    }
    rnl_tensor_info want[64];
    int n_want = expected_tensors(rnl_s2s_get_config(m), want, 64);
    const rnl_tensor_info *table = gold_check_table(cn, want, n_want, m, rnl_s2s_num_tensors(m), s2s_tensor) ? want : NULL;
    int32_t *src = malloc(sizeof(int32_t) * B * S), *tgt = malloc(sizeof(int32_t) * B * U);
    int32_t *sl = malloc(sizeof(int32_t) * B), *tl = malloc(sizeof(int32_t) * B);
    for (int i = 0; i < B * S; i++) src[i] = gold_i32(gsrc, i);
    for (int i = 0; i < B * U; i++) tgt[i] = gold_i32(gtgt, i);
    for (int i = 0; i < B; i++) sl[i] = gold_i32(gsl, i), tl[i] = gold_i32(gtl, i);
    rnl_s2s_batch batch = {.B = B, .S = S, .U = U, .src = src, .src_len = sl, .tgt = tgt, .tgt_len = tl};
    rnl_real *p0 = gold_reals(gp);
    char what[256];

    // Teacher-forced forward and backward.
    memcpy(rnl_s2s_params(m), p0, sizeof(rnl_real) * np);
    rnl_s2s_zero_grad(m);
    rnl_real loss = 0;
    rnl_status st = rnl_s2s_forward(m, &batch, &loss);
    CHECK(st == RNL_OK, "%s: forward: %s", cn, rnl_last_error());
    if (st == RNL_OK) {
        snprintf(what, sizeof what, "%s loss", cn);
        gold_close(what, &loss, gloss, G_RTOL, G_ATOL);
        snprintf(what, sizeof what, "%s logits (B, U, V)", cn);
        gold_close(what, rnl_s2s_logits(m), glog, G_RTOL, G_ATOL);
        if (attn) {  // the introspection API, sample by sample, into (B, U, S) with zeros at padding
            rnl_real *a = calloc((size_t)B * U * S, sizeof(rnl_real));
            for (int i = 0; i < B; i++) {
                int steps = 0, n = 0;
                const rnl_real *w = rnl_s2s_attention(m, i, &steps, &n);
                CHECK(w && steps == tl[i] && n == sl[i], "%s: attention of sample %d is %d x %d, want %d x %d", cn, i, steps, n,
                      tl[i], sl[i]);
                if (w && steps == tl[i] && n == sl[i])
                    for (int t = 0; t < steps; t++) memcpy(a + ((size_t)i * U + t) * S, w + (size_t)t * n, sizeof(rnl_real) * n);
            }
            snprintf(what, sizeof what, "%s attention (B, U, S)", cn);
            gold_close(what, a, gatt, G_RTOL, G_ATOL);
            free(a);
        }
        st = rnl_s2s_backward(m);
        CHECK(st == RNL_OK, "%s: backward: %s", cn, rnl_last_error());
        if (st == RNL_OK) gold_close_flat(cn, "grads", table, n_want, rnl_s2s_grads(m), ggr, G_RTOL, G_ATOL);
    }

    // Greedy decoding: the same tokens (the generator keeps every top-2 gap >= 0.01) and attention.
    int32_t *toks = malloc(sizeof(int32_t) * B * L), *lens = malloc(sizeof(int32_t) * B);
    rnl_real *da = malloc(sizeof(rnl_real) * B * L * S);
    st = rnl_s2s_decode(m, &batch, L, toks, lens, da);
    CHECK(st == RNL_OK, "%s: decode: %s", cn, rnl_last_error());
    if (st == RNL_OK) {
        int same = 1;
        for (int i = 0; i < B; i++) same &= lens[i] == gold_i32(gdl, i);
        for (int i = 0; i < B * L; i++) same &= toks[i] == gold_i32(gdt, i);
        CHECK(same, "%s: greedy decoding differs from torch's (sample 0: %d tokens, torch %d)", cn, lens[0], gold_i32(gdl, 0));
        if (attn) {
            snprintf(what, sizeof what, "%s greedy attention (B, L, S)", cn);
            gold_close(what, da, gda, G_RTOL, G_ATOL);
        }
    }

    // Training: Adam steps on the same batch from the same parameters.
    if (gold_has(gc, "optim")) {
        const gold_record *go = gold_find(gc, "optim", GOLD_I32, 2), *gh = gold_find(gc, "hparams", GOLD_F64, 7);
        int steps = go ? gold_i32(go, 1) : 0;
        const gold_record *gl = gold_find(gc, "train_losses", GOLD_F64, steps), *gn = gold_find(gc, "train_grad_norms", GOLD_F64, steps);
        const gold_record *gafter = gold_find(gc, "params_after", GOLD_F64, np);
        if (go && gh && gl && gn && gafter && steps >= 1 && steps <= 100) {
            rnl_optim_config oc = rnl_optim_default((rnl_optim)gold_i32(go, 0));
            oc.lr = (float)gold_f64(gh, 0), oc.momentum = (float)gold_f64(gh, 1), oc.beta1 = (float)gold_f64(gh, 2);
            oc.beta2 = (float)gold_f64(gh, 3), oc.eps = (float)gold_f64(gh, 4), oc.weight_decay = (float)gold_f64(gh, 5);
            oc.clip = (float)gold_f64(gh, 6);
            rnl_optimizer *o = NULL;
            CHECK_OK(rnl_optimizer_create(&o, &oc, np));
            memcpy(rnl_s2s_params(m), p0, sizeof(rnl_real) * np);
            rnl_real *losses = malloc(sizeof(rnl_real) * steps), *norms = malloc(sizeof(rnl_real) * steps);
            int done = 0;
            for (; o && done < steps; done++) {
                rnl_s2s_stats ss;
                st = rnl_s2s_train_step(m, o, &batch, &ss);
                CHECK(st == RNL_OK, "%s: train step %d: %s", cn, done, rnl_last_error());
                if (st) break;
                losses[done] = (rnl_real)ss.loss, norms[done] = (rnl_real)ss.grad_norm;
                int want_clip = oc.clip > 0 && gold_f64(gh, 6) / (gold_f64(gn, done) + 1e-6) < 1;
                CHECK(ss.clipped == want_clip, "%s: step %d clipped = %d, torch %d", cn, done, ss.clipped, want_clip);
            }
            if (done == steps) {
                snprintf(what, sizeof what, "%s train_losses", cn);
                gold_close(what, losses, gl, G_RTOL, G_ATOL);
                snprintf(what, sizeof what, "%s train_grad_norms", cn);
                gold_close(what, norms, gn, G_RTOL, G_ATOL);
                gold_close_flat(cn, "params_after (adam)", table, n_want, rnl_s2s_params(m), gafter, G_RTOL, G_ATOL_ADAM);
            }
            free(losses);
            free(norms);
            rnl_optimizer_destroy(o);
        }
    }
    free(toks);
    free(lens);
    free(da);
    free(p0);
    free(src);
    free(tgt);
    free(sl);
    free(tl);
    rnl_s2s_destroy(m);
}

static void test_golden_seq2seq(void) {
    gold_run_file("tests/golden/golden_seq2seq.bin", "tests/golden/gen_golden_seq2seq.py", gold_run_case);
}

#ifndef S2S_GOLDEN_ONLY

// --- Helpers ------------------------------------------------------------------------------------

static rnl_s2s_config tiny_config(rnl_cell enc, rnl_cell dec, int bidir, rnl_attn attn) {
    rnl_s2s_config c = rnl_s2s_config_default();
    c.src_vocab = 9, c.tgt_vocab = 7, c.embed = 4, c.enc_hidden = 5;
    c.enc_cell = enc, c.dec_cell = dec, c.bidirectional = bidir, c.attention = attn;
    return c;
}

static void expect_status(const char *what, rnl_status got, rnl_status want, const char *substring) {
    CHECK(got == want && strstr(rnl_last_error(), substring) != NULL, "%s: got %s \"%s\", expected %s containing \"%s\"",
          what, rnl_status_name(got), rnl_last_error(), rnl_status_name(want), substring);
}

// --- Configuration and batches ------------------------------------------------------------------

static void test_validation(void) {
    rnl_s2s_config c = tiny_config(RNL_CELL_GRU, RNL_CELL_GRU, 0, RNL_ATTN_DOT);
    rnl_s2s *m = (rnl_s2s *)1;
    CHECK_OK(rnl_s2s_config_validate(&c));
    rnl_s2s_config bad = c;
    bad.enc_hidden = 0;
    expect_status("hidden 0", rnl_s2s_create(&m, &bad, 1), RNL_ERR_ARG, "enc_hidden is 0");
    CHECK(m == NULL, "a failed create leaves NULL");
    bad = c, bad.tgt_vocab = 3;
    expect_status("vocab without symbols", rnl_s2s_config_validate(&bad), RNL_ERR_ARG, "tgt_vocab is 3, must be in 4..");
    bad = c, bad.dec_cell = (rnl_cell)9;
    expect_status("cell", rnl_s2s_config_validate(&bad), RNL_ERR_ARG, "dec_cell is 9");
    bad = c, bad.attention = (rnl_attn)3;
    expect_status("attention", rnl_s2s_config_validate(&bad), RNL_ERR_ARG, "attention is 3");
    bad = c, bad.enc_hidden = 4000, bad.bidirectional = 1;
    expect_status("decoder too wide", rnl_s2s_config_validate(&bad), RNL_ERR_ARG, "decoder width");
    bad = c, bad.src_vocab = RNL_MAX_VOCAB, bad.embed = RNL_MAX_WIDTH;
    expect_status("too many parameters", rnl_s2s_config_validate(&bad), RNL_ERR_NOMEM, "more than the limit");
    bad = c, bad.forget_bias = NAN;
    expect_status("forget bias", rnl_s2s_config_validate(&bad), RNL_ERR_ARG, "forget_bias");
    CHECK(rnl_s2s_config_num_params(&bad) == 0, "an invalid config has no parameter count");
    rnl_attn a;
    expect_status("attention name", rnl_attn_parse("luong", &a), RNL_ERR_ARG, "unknown attention 'luong'");
    CHECK(rnl_attn_parse("additive", &a) == RNL_OK && a == RNL_ATTN_ADDITIVE, "additive parses");

    CHECK_OK(rnl_s2s_create(&m, &c, 1));
    int32_t src[6] = {3, 4, 5, 6, 0, 0}, tgt[6] = {3, 4, 2, 5, 2, 0}, sl[2] = {3, 2}, tl[2] = {3, 2};
    rnl_s2s_batch b = {.B = 2, .S = 3, .U = 3, .src = src, .src_len = sl, .tgt = tgt, .tgt_len = tl};
    CHECK_OK(rnl_s2s_forward(m, &b, NULL));
    src[1] = 9;
    expect_status("source token", rnl_s2s_forward(m, &b, NULL), RNL_ERR_ARG, "source 0, step 1: token id 9 is outside the vocabulary 0..8");
    src[1] = 4;
    tgt[4] = 7;
    expect_status("target token", rnl_s2s_forward(m, &b, NULL), RNL_ERR_ARG, "target 1, step 1: token id 7");
    tgt[4] = 2;
    tl[1] = 4;
    expect_status("target length", rnl_s2s_forward(m, &b, NULL), RNL_ERR_ARG, "target 1 has length 4, must be in 1..3");
    tl[1] = 2;
    b.tgt = NULL;
    expect_status("no targets", rnl_s2s_forward(m, &b, NULL), RNL_ERR_ARG, "teacher forcing needs them");
    b.B = 0;
    expect_status("empty batch", rnl_s2s_forward(m, &b, NULL), RNL_ERR_ARG, "B = 0");
    b.B = 2;
    CHECK_OK(rnl_s2s_backward(m));  // of the last good forward
    expect_status("two backwards", rnl_s2s_backward(m), RNL_ERR_ARG, "needs a forward pass with targets");
    int32_t out[4], ol[2];
    expect_status("max_len", rnl_s2s_decode(m, &b, 0, out, ol, NULL), RNL_ERR_ARG, "max_len 0");
    CHECK(rnl_s2s_workspace_bytes(&c, 64, 12, 13) > 0 && rnl_s2s_workspace_bytes(&c, 0, 12, 13) == 0, "workspace estimate");
    bad = c, bad.attention = RNL_ATTN_ADDITIVE;
    CHECK(rnl_s2s_workspace_bytes(&bad, RNL_MAX_BATCH, RNL_MAX_STEPS, RNL_MAX_STEPS) > RNL_S2S_MAX_WORKSPACE ||
          rnl_s2s_workspace_bytes(&bad, RNL_MAX_BATCH, RNL_MAX_STEPS, RNL_MAX_STEPS) == 0, "a huge batch is over the limit");
    rnl_s2s_destroy(m);
}

// Garbage in the padding changes nothing (bit for bit), and each sample's logits are those it has alone.
static void test_padding(void) {
    rnl_s2s_config c = tiny_config(RNL_CELL_LSTM, RNL_CELL_LSTM, 1, RNL_ATTN_ADDITIVE);
    rnl_s2s *m;
    CHECK_OK(rnl_s2s_create(&m, &c, 3));
    if (!m) return;
    int32_t src[3 * 6] = {3, 4, 5, 0, 0, 0, 8, 7, 6, 5, 4, 3, 6, 0, 0, 0, 0, 0};
    int32_t tgt[3 * 4] = {5, 4, 2, 0, 6, 2, 0, 0, 3, 4, 5, 2};
    int32_t sl[3] = {3, 6, 1}, tl[3] = {3, 2, 4};
    rnl_s2s_batch b = {.B = 3, .S = 6, .U = 4, .src = src, .src_len = sl, .tgt = tgt, .tgt_len = tl};
    size_t nl = 3 * 4 * (size_t)c.tgt_vocab, np = rnl_s2s_num_params(m);
    rnl_real *l1 = malloc(sizeof(rnl_real) * nl), *g1 = malloc(sizeof(rnl_real) * np);
    rnl_s2s_zero_grad(m);
    CHECK_OK(rnl_s2s_forward(m, &b, NULL));
    CHECK_OK(rnl_s2s_backward(m));
    memcpy(l1, rnl_s2s_logits(m), sizeof(rnl_real) * nl);
    memcpy(g1, rnl_s2s_grads(m), sizeof(rnl_real) * np);
    for (int i = 0; i < 18; i++)
        if (i % 6 >= sl[i / 6]) src[i] = -99999;
    for (int i = 0; i < 12; i++)
        if (i % 4 >= tl[i / 4]) tgt[i] = 1 << 30;
    rnl_s2s_zero_grad(m);
    CHECK_OK(rnl_s2s_forward(m, &b, NULL));
    CHECK_OK(rnl_s2s_backward(m));
    tu_close_f("logits with garbage padding", rnl_s2s_logits(m), l1, nl, 0, 0);
    tu_close_f("gradients with garbage padding", rnl_s2s_grads(m), g1, np, 0, 0);
    for (int i = 0; i < 3; i++) {
        rnl_s2s_batch one = {.B = 1, .S = sl[i], .U = tl[i], .src = src + 6 * i, .src_len = NULL,
                             .tgt = tgt + 4 * i, .tgt_len = NULL};
        CHECK_OK(rnl_s2s_forward(m, &one, NULL));
        char what[64];
        snprintf(what, sizeof what, "sample %d alone vs in its batch", i);
        // SIMD kernels may block rows differently for B = 1 and B = 3: float rounding, not a bit-exact match.
        tu_close_f(what, rnl_s2s_logits(m), l1 + (size_t)i * 4 * c.tgt_vocab, (size_t)tl[i] * c.tgt_vocab, 1e-5, 1e-6);
    }
    free(l1);
    free(g1);
    rnl_s2s_destroy(m);
}

// --- Greedy decoding ----------------------------------------------------------------------------

// Decoding feeds back its argmax; a teacher-forced pass whose targets are that output must then see the
// same argmax at every step and the same attention.
static void test_greedy_consistency(void) {
    const rnl_attn kinds[3] = {RNL_ATTN_NONE, RNL_ATTN_DOT, RNL_ATTN_ADDITIVE};
    for (int k = 0; k < 3; k++) {
        rnl_s2s_config c = tiny_config(RNL_CELL_GRU, RNL_CELL_LSTM, 1, kinds[k]);
        rnl_s2s *m;
        CHECK_OK(rnl_s2s_create(&m, &c, 40 + k));
        if (!m) continue;
        rnl_real *p = rnl_s2s_params(m);
        rnl_rng rng;
        rnl_rng_seed(&rng, 5);
        for (size_t i = 0; i < rnl_s2s_num_params(m); i++) p[i] += (rnl_real)(0.3 * rnl_rng_normal(&rng));
        enum { B = 4, S = 5, L = 7 };
        int32_t src[B * S], sl[B] = {5, 2, 4, 1}, toks[B * L], lens[B];
        for (int i = 0; i < B * S; i++) src[i] = 3 + (int32_t)rnl_rng_below(&rng, 6);
        rnl_real attn[B * L * S];
        rnl_s2s_batch b = {.B = B, .S = S, .U = 0, .src = src, .src_len = sl, .tgt = NULL, .tgt_len = NULL};
        CHECK_OK(rnl_s2s_decode(m, &b, L, toks, lens, attn));
        int pads_ok = 1;
        for (int i = 0; i < B; i++) {
            CHECK(lens[i] >= 1 && lens[i] <= L, "output length %d", lens[i]);
            for (int t = 0; t < L; t++) {
                int32_t y = toks[i * L + t];
                if (t >= lens[i]) pads_ok &= y == RNL_S2S_PAD;
                else if (t < lens[i] - 1) pads_ok &= y != RNL_S2S_EOS;  // <eos> only last
                else if (lens[i] < L) pads_ok &= y == RNL_S2S_EOS;      // stopped early: at <eos>
            }
        }
        CHECK(pads_ok, "%s: decoded sequences end at their first <eos>, then <pad>", rnl_attn_name(kinds[k]));
        int steps, n;
        const rnl_real *w = rnl_s2s_attention(m, 1, &steps, &n);
        if (kinds[k] == RNL_ATTN_NONE) CHECK(w == NULL, "no attention to show without attention");
        else CHECK(w && steps == lens[1] && n == 2, "attention after decoding: %d x %d", steps, n);
        // Teacher forcing on the output itself.
        rnl_s2s_batch tf = {.B = B, .S = S, .U = L, .src = src, .src_len = sl, .tgt = toks, .tgt_len = lens};
        CHECK_OK(rnl_s2s_forward(m, &tf, NULL));
        const rnl_real *z = rnl_s2s_logits(m);
        int same = 1;
        for (int i = 0; i < B && z; i++)
            for (int t = 0; t < lens[i]; t++) {
                const rnl_real *row = z + ((size_t)i * L + t) * c.tgt_vocab;
                int arg = 0;
                for (int v = 1; v < c.tgt_vocab; v++)
                    if (row[v] > row[arg]) arg = v;
                same &= arg == toks[i * L + t];
            }
        CHECK(same, "%s: teacher forcing on the greedy output reproduces its argmax", rnl_attn_name(kinds[k]));
        for (int i = 0; i < B && kinds[k] != RNL_ATTN_NONE; i++) {
            const rnl_real *a = rnl_s2s_attention(m, i, &steps, &n);
            rnl_real want[L * S];
            for (int t = 0; t < steps; t++) memcpy(want + t * n, attn + ((size_t)i * L + t) * S, sizeof(rnl_real) * n);
            char what[80];
            snprintf(what, sizeof what, "%s: sample %d attention, greedy vs teacher-forced", rnl_attn_name(kinds[k]), i);
            if (a && steps == lens[i] && n == sl[i]) tu_close_f(what, a, want, (size_t)steps * n, 1e-5, 1e-6);
            else CHECK(0, "%s: missing", what);
            double rowsum = 0;
            for (int j = 0; j < n; j++) rowsum += a[j];
            CHECK(fabs(rowsum - 1) < 1e-5, "attention weights sum to 1 over the real source (%g)", rowsum);
        }
        rnl_s2s_destroy(m);
    }
}

// --- Tasks --------------------------------------------------------------------------------------

static void test_task_reverse(void) {
    rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_REVERSE);
    tc.min_len = 2, tc.max_len = 9, tc.symbols = 6;
    rnl_s2s_config c = rnl_s2s_config_default();
    rnl_s2s_task_shape(&tc, &c);
    CHECK(c.src_vocab == 9 && c.tgt_vocab == 9, "reverse vocabularies: %d %d", c.src_vocab, c.tgt_vocab);
    rnl_s2s_task_data d, e;
    rnl_s2s_task_data_init(&d);
    rnl_s2s_task_data_init(&e);
    rnl_rng r1, r2;
    rnl_rng_seed(&r1, 3);
    rnl_rng_seed(&r2, 3);
    int ok = 1, seen_min = 0, seen_max = 0;
    for (int rep = 0; rep < 20; rep++) {
        CHECK_OK(rnl_s2s_task_generate(&d, &tc, 50, &r1));
        const rnl_s2s_batch *b = &d.batch;
        int S = 0, U = 0;
        for (int i = 0; i < b->B; i++) {
            int n = b->src_len[i];
            ok &= n >= 2 && n <= 9 && b->tgt_len[i] == n + 1;
            seen_min |= n == 2, seen_max |= n == 9;
            S = n > S ? n : S, U = n + 1 > U ? n + 1 : U;
            for (int t = 0; t < n; t++) {
                ok &= b->src[i * b->S + t] >= 3 && b->src[i * b->S + t] < 9;
                ok &= b->tgt[i * b->U + t] == b->src[i * b->S + n - 1 - t];
            }
            ok &= b->tgt[i * b->U + n] == RNL_S2S_EOS;
            for (int t = n; t < b->S; t++) ok &= b->src[i * b->S + t] == RNL_S2S_PAD;
        }
        ok &= b->S == S && b->U == U;  // padded to the batch's longest, not the task's
    }
    CHECK(ok, "reverse: targets are the sources reversed + <eos>, lengths in range, padding zero");
    CHECK(seen_min && seen_max, "reverse: both ends of the length range occur");
    CHECK_OK(rnl_s2s_task_generate(&e, &tc, 50, &r2));
    rnl_rng_seed(&r1, 3);
    CHECK_OK(rnl_s2s_task_generate(&d, &tc, 50, &r1));
    CHECK(d.batch.S == e.batch.S && memcmp(d.src, e.src, sizeof(int32_t) * 50 * d.batch.S) == 0, "same seed, same batch");
    int32_t tok[16];
    int n;
    CHECK_OK(rnl_s2s_task_encode(&tc, "abcfed", tok, 16, &n));
    CHECK(n == 6 && tok[0] == 3 && tok[5] == 6, "reverse text -> tokens");
    char text[32];
    tok[n] = RNL_S2S_EOS;
    CHECK(rnl_s2s_task_decode_text(&tc, 1, tok, 7, text, sizeof text) == 6 && strcmp(text, "abcfed") == 0, "tokens -> text: %s", text);
    expect_status("letter outside the symbols", rnl_s2s_task_encode(&tc, "abz", tok, 16, &n), RNL_ERR_ARG,
                  "character 3, 'z', is not one of the task's 6 symbols a..f");
    expect_status("too long", rnl_s2s_task_encode(&tc, "abcabcabc", tok, 4, &n), RNL_ERR_ARG, "more than the 4 characters");
    expect_status("empty", rnl_s2s_task_encode(&tc, "", tok, 4, &n), RNL_ERR_ARG, "empty");
    rnl_s2s_task_config badt = tc;
    badt.max_len = 1;
    expect_status("max < min", rnl_s2s_task_validate(&badt), RNL_ERR_ARG, "max_len is 1, must be in min_len (2)");
    badt = tc, badt.symbols = 27;
    expect_status("symbols", rnl_s2s_task_generate(&d, &badt, 4, &r1), RNL_ERR_ARG, "symbols is 27");
    rnl_s2s_task tk;
    expect_status("task name", rnl_s2s_task_parse("sort", &tk), RNL_ERR_ARG, "unknown seq2seq task 'sort'");
    rnl_s2s_task_data_free(&d);
    rnl_s2s_task_data_free(&e);
}

static const char *month_full[12] = {"January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"};
static const char *wday_full[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

// Day of the week by Zeller's congruence (0 = Sunday): independent of the generator's day count.
static int zeller(int y, int m, int d) {
    if (m < 3) m += 12, y -= 1;
    int h = (d + 13 * (m + 1) / 5 + y % 100 + (y % 100) / 4 + (y / 100) / 4 + 5 * (y / 100)) % 7;  // 0 = Saturday
    return (h + 6) % 7;
}

static int same_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a, y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

static int month_of(const char *name, int n) {  // case-insensitive prefix of n letters
    for (int k = 0; k < 12; k++) {
        int same = (int)strlen(month_full[k]) >= n;
        for (int i = 0; same && i < n; i++) {
            char a = name[i], b = month_full[k][i];
            if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
            same &= a == b;
        }
        if (same && (n == 3 || (int)strlen(month_full[k]) == n)) return k + 1;
    }
    return 0;
}

// Every dates example, read back by an independent parser of the ten formats, gives its ISO target;
// every format occurs; the year range and the longest source are as documented.
static void test_task_dates(void) {
    rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_DATES);
    rnl_s2s_config c = rnl_s2s_config_default();
    rnl_s2s_task_shape(&tc, &c);
    CHECK(c.src_vocab == 70 && c.tgt_vocab == 14, "dates vocabularies: %d %d", c.src_vocab, c.tgt_vocab);
    rnl_s2s_task_data d;
    rnl_s2s_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 17);
    int formats_seen[10] = {0}, longest = 0, bad = 0, shown = 0, ymin = 9999, ymax = 0;
    for (int rep = 0; rep < 40; rep++) {
        CHECK_OK(rnl_s2s_task_generate(&d, &tc, 500, &rng));
        const rnl_s2s_batch *b = &d.batch;
        for (int i = 0; i < b->B; i++) {
            char src[64], iso[32], w1[32], w2[32], w3[32];
            rnl_s2s_task_decode_text(&tc, 0, b->src + i * b->S, b->src_len[i], src, sizeof src);
            rnl_s2s_task_decode_text(&tc, 1, b->tgt + i * b->U, b->tgt_len[i], iso, sizeof iso);
            int n = (int)strlen(src), Y, M, D, y = 0, m = 0, dd = 0, f = -1, wd = -1, cnt;
            longest = n > longest ? n : longest;
            int iso_ok = b->tgt_len[i] == 11 && b->tgt[i * b->U + 10] == RNL_S2S_EOS &&
                         sscanf(iso, "%4d-%2d-%2d%n", &Y, &M, &D, &cnt) == 3 && cnt == 10;
            if (!iso_ok) {
                bad++;
                continue;
            }
            ymin = Y < ymin ? Y : ymin, ymax = Y > ymax ? Y : ymax;
            if (strchr(src, '/')) {
                if (sscanf(src, "%d/%d/%d", &m, &dd, &y) == 3) f = 7;
            } else if (strchr(src, '.')) {
                if (src[2] == '.' && n == 10 && sscanf(src, "%d.%d.%d", &dd, &m, &y) == 3) f = 2;
                else if (sscanf(src, "%d.%d.%d", &dd, &m, &y) == 3 && y < 100) f = 9;
            } else if (strchr(src, ',')) {
                if (sscanf(src, "%31[A-Za-z], %31[A-Za-z] %d, %d", w1, w2, &dd, &y) == 4) f = 5, m = month_of(w2, (int)strlen(w2)), wd = 0;
                else if (sscanf(src, "%31[A-Za-z] %d, %d", w2, &dd, &y) == 3) f = 1, m = month_of(w2, (int)strlen(w2));
            } else if (src[0] >= 'a' && src[0] <= 'z') {
                if (sscanf(src, "%31s %d %31s %d", w1, &dd, w2, &y) == 4) f = 3, m = month_of(w2, (int)strlen(w2)), wd = 0;
            } else if (src[0] >= 'A' && src[0] <= 'Z') {
                if (sscanf(src, "%31s %d %31s %d", w1, &dd, w2, &y) == 4 && strlen(w2) == 3) f = 8, m = month_of(w2, 3), wd = 0;
            } else if (sscanf(src, "%d%31[a-z] %31s %d", &dd, w3, w2, &y) == 4) {
                f = 6, m = month_of(w2, (int)strlen(w2));
                const char *want = dd % 10 == 1 && dd != 11 ? "st" : dd % 10 == 2 && dd != 12 ? "nd" : dd % 10 == 3 && dd != 13 ? "rd" : "th";
                if (strcmp(w3, want) != 0) f = -1;
            } else if (sscanf(src, "%d %31s %d", &dd, w2, &y) == 3) {
                int upper = w2[1] >= 'A' && w2[1] <= 'Z';
                f = upper ? 4 : 0, m = month_of(w2, upper ? 3 : (int)strlen(w2));
                if (upper && strlen(w2) != 3) f = -1;
            }
            if (y < 100 && f >= 0) y += y >= 50 ? 1900 : 2000;
            int ok = f >= 0 && y == Y && m == M && dd == D;
            if (ok && wd == 0) {  // the weekday written must be the date's
                const char *name = wday_full[zeller(Y, M, D)];
                ok = f == 8 ? strncmp(w1, name, 3) == 0 && strlen(w1) == 3 : same_nocase(w1, name);
            }
            if (ok) formats_seen[f]++;
            else if (bad++, shown++ < 5) fprintf(stderr, "dates: '%s' -> '%s' does not read back (format %d)\n", src, iso, f);
        }
    }
    CHECK(bad == 0, "dates: %d of 20000 examples do not read back as their ISO date", bad);
    int all = 1;
    for (int f = 0; f < 10; f++) all &= formats_seen[f] > 1500;
    CHECK(all, "dates: every format occurs about 1/10 of the time (%d %d %d %d %d %d %d %d %d %d)", formats_seen[0], formats_seen[1],
          formats_seen[2], formats_seen[3], formats_seen[4], formats_seen[5], formats_seen[6], formats_seen[7], formats_seen[8],
          formats_seen[9]);
    CHECK(ymin == 1950 && ymax == 2049, "dates: years %d..%d", ymin, ymax);
    CHECK(longest == rnl_s2s_task_max_source(&tc) && rnl_s2s_task_max_target(&tc) == 11, "dates: longest source %d", longest);
    int32_t tok[40];
    int n;
    char text[64];
    CHECK_OK(rnl_s2s_task_encode(&tc, "sunday 3 May 1998", tok, 40, &n));
    rnl_s2s_task_decode_text(&tc, 0, tok, n, text, sizeof text);
    CHECK(n == 17 && strcmp(text, "sunday 3 May 1998") == 0, "dates text round-trips: '%s'", text);
    expect_status("dates text", rnl_s2s_task_encode(&tc, "3 Mai 1998!", tok, 40, &n), RNL_ERR_ARG,
                  "character 11, '!', is not in the dates vocabulary");
    int32_t odd[3] = {RNL_S2S_BOS, 99, RNL_S2S_PAD};
    CHECK(rnl_s2s_task_decode_text(&tc, 1, odd, 3, text, 8) == 13 && strcmp(text, "<bos><?") == 0,
          "special and unknown tokens are shown, truncated to the buffer: '%s'", text);
    rnl_s2s_task_data_free(&d);
}

// --- Checkpoints --------------------------------------------------------------------------------

static void expect_read_error(const char *what, const uint8_t *b, size_t n, const char *substring) {
    rnl_s2s *m = (rnl_s2s *)1;
    rnl_optimizer *o = (rnl_optimizer *)1;
    int has = 7;
    rnl_status st = rnl_s2s_checkpoint_read(b, n, &m, &o, NULL, &has);
    CHECK(st == RNL_ERR_FORMAT && strstr(rnl_last_error(), substring) && m == NULL && o == NULL && has == 0,
          "%s: got %s \"%s\", expected a format error containing \"%s\"", what, rnl_status_name(st), rnl_last_error(), substring);
}

static void test_checkpoint(void) {
    rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_REVERSE);
    tc.symbols = 7, tc.min_len = 3, tc.max_len = 8;
    rnl_s2s_config c = tiny_config(RNL_CELL_LSTM, RNL_CELL_GRU, 1, RNL_ATTN_ADDITIVE);
    c.enc_layers = 2, c.attn_width = 6;
    rnl_s2s_task_shape(&tc, &c);
    rnl_s2s *m, *m2 = NULL;
    rnl_optimizer *o, *o2 = NULL;
    CHECK_OK(rnl_s2s_create(&m, &c, 9));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.clip = 3, oc.lr = 0.004f;
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_s2s_num_params(m)));
    size_t ns, np = rnl_s2s_num_params(m);
    rnl_real *s = rnl_optimizer_state(o, &ns);
    for (size_t i = 0; i < ns; i++) s[i] = (rnl_real)(i % 5) * 0.5f;
    rnl_optimizer_set_steps(o, 77);
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_s2s_checkpoint_write(m, o, &tc, &buf, &n));
    CHECK(n == 136 + 4 * (np + ns) + 4, "checkpoint size %zu", n);
    rnl_s2s_task_config tback;
    int has = 0;
    CHECK_OK(rnl_s2s_checkpoint_read(buf, n, &m2, &o2, &tback, &has));
    if (m2 && o2) {
        CHECK(memcmp(rnl_s2s_get_config(m2), &c, sizeof c) == 0, "config round-trips");
        CHECK(memcmp(rnl_s2s_params(m2), rnl_s2s_params(m), sizeof(rnl_real) * np) == 0, "parameters round-trip exactly");
        size_t ns2;
        rnl_real *s2 = rnl_optimizer_state(o2, &ns2);
        CHECK(ns2 == ns && memcmp(s, s2, sizeof(rnl_real) * ns) == 0, "optimizer state round-trips");
        CHECK(rnl_optimizer_steps(o2) == 77 && rnl_optimizer_config(o2)->clip == 3 && rnl_optimizer_config(o2)->lr == 0.004f,
              "optimizer settings round-trip");
        CHECK(has && memcmp(&tback, &tc, sizeof tc) == 0, "task round-trips");
    }
    rnl_s2s_destroy(m2);
    rnl_optimizer_destroy(o2);
    uint8_t *plain;
    size_t pn;
    CHECK_OK(rnl_s2s_checkpoint_write(m, NULL, NULL, &plain, &pn));
    CHECK_OK(rnl_s2s_checkpoint_read(plain, pn, &m2, &o2, NULL, &has));
    CHECK(m2 && o2 == NULL && has == 0 && pn == 136 + 4 * np + 4, "without optimizer or task");
    rnl_s2s_destroy(m2);
    rnl_buffer_free(plain);
    rnl_s2s_task_config wrong = tc;
    wrong.symbols = 5;
    expect_status("task of other vocabularies", rnl_s2s_checkpoint_write(m, NULL, &wrong, &plain, &pn), RNL_ERR_ARG,
                  "needs vocabularies 8/8, the model has 10/10");

    int all_refused = 1;
    for (size_t k = 0; k < n; k += (k < 300 ? 1 : 61)) {
        rnl_s2s *t = NULL;
        if (rnl_s2s_checkpoint_read(buf, k, &t, NULL, NULL, NULL) == RNL_OK) all_refused = 0, rnl_s2s_destroy(t);
    }
    CHECK(all_refused, "every truncated checkpoint is refused");
    uint8_t *bad = malloc(n + 8);
#define FRESH() memcpy(bad, buf, n)
    expect_read_error("empty", bad, 0, "not an rnnlab seq2seq checkpoint");
    FRESH();
    expect_read_error("truncated header", bad, 100, "truncated: 100 bytes, shorter than the 140-byte header");
    expect_read_error("truncated data", bad, n - 9, "truncated");
    memcpy(bad + n, "junkjunk", 8);
    expect_read_error("trailing bytes", bad, n + 8, "8 unexpected bytes after the end");
    memcpy(bad, "RNNLABCK", 8);
    expect_read_error("a sequence model", bad, n, "a sequence model checkpoint (RNNLABCK), not a seq2seq one");
    FRESH(), tu_put32(bad + 8, 2);
    expect_read_error("newer version", bad, n, "format version 2; this build of rnnlab reads version 1 (it was written by a newer rnnlab)");
    FRESH(), bad[n / 2] ^= 0x10;
    expect_read_error("flipped bit", bad, n, "checksum mismatch");
    FRESH(), tu_put32(bad + 12, 7), tu_reseal(bad, n);
    expect_read_error("unknown flags", bad, n, "unknown flags 0x7");
    FRESH(), tu_put32(bad + 32, 0x7fffffff), tu_reseal(bad, n);
    expect_read_error("huge hidden", bad, n, "enc_hidden is 2147483647");
    FRESH(), tu_put32(bad + 36, (uint32_t)-2), tu_reseal(bad, n);
    expect_read_error("negative layers", bad, n, "enc_layers is -2");
    FRESH(), tu_put32(bad + 48, 5), tu_reseal(bad, n);
    expect_read_error("attention kind", bad, n, "attention is 5");
    FRESH(), tu_put32(bad + 72, 6), tu_reseal(bad, n);
    expect_read_error("task of other vocabularies", bad, n, "task reverse needs vocabularies 9/9, the model has 10/10");
    FRESH(), tu_put32(bad + 64, 5000), tu_reseal(bad, n);
    expect_read_error("task length", bad, n, "min_len is 5000");
    FRESH(), tu_put32(bad + 80, 123), tu_reseal(bad, n);
    expect_read_error("parameter count", bad, n, "holds 123 parameters, but its configuration has");
    FRESH(), tu_put32(bad + 128, 5), tu_reseal(bad, n);
    expect_read_error("optimizer state count", bad, n, "optimizer state has 5 values, adam needs");
    FRESH(), tu_put32(bad + 92, 0x7fc00000u), tu_reseal(bad, n);
    expect_read_error("NaN learning rate", bad, n, "bad optimizer settings");
    FRESH(), tu_put32(bad + 136 + 4 * 3, 0x7f800000u), tu_reseal(bad, n);
    expect_read_error("Inf weight", bad, n, "parameter 3 is not a finite number");
#undef FRESH
    free(bad);

    // Files: atomic save, load, refusal of directories and missing files.
    char dir[] = "/tmp/rnl_s2s_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256], missing[256];
    snprintf(path, sizeof path, "%s/m.rnls2s", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/m.rnls2s", dir);
    CHECK_OK(rnl_s2s_checkpoint_save(m, o, &tc, path));
    CHECK_OK(rnl_s2s_checkpoint_load(path, &m2, NULL, &tback, &has));
    CHECK(m2 && has && memcmp(rnl_s2s_params(m2), rnl_s2s_params(m), sizeof(rnl_real) * np) == 0, "file round trip");
    rnl_s2s_destroy(m2);
    struct stat before, after;
    stat(path, &before);
    expect_status("save into a missing directory", rnl_s2s_checkpoint_save(m, o, &tc, missing), RNL_ERR_IO, "cannot write");
    stat(path, &after);
    CHECK(before.st_size == after.st_size, "a failed save leaves the existing checkpoint alone");
    expect_status("directory", rnl_s2s_checkpoint_load(dir, &m2, NULL, NULL, NULL), RNL_ERR_IO, "is a directory");
    expect_status("missing", rnl_s2s_checkpoint_load(missing, &m2, NULL, NULL, NULL), RNL_ERR_IO, "No such file");
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, 50, f);
    fclose(f);
    expect_status("short file names itself", rnl_s2s_checkpoint_load(path, &m2, NULL, NULL, NULL), RNL_ERR_FORMAT, path);
    remove(path);
    rmdir(dir);
    rnl_buffer_free(buf);
    rnl_optimizer_destroy(o);
    rnl_s2s_destroy(m);
}

// --- Training -----------------------------------------------------------------------------------

static void test_numeric_fault(void) {
    rnl_s2s_config c = tiny_config(RNL_CELL_GRU, RNL_CELL_GRU, 0, RNL_ATTN_DOT);
    rnl_s2s *m;
    rnl_optimizer *o;
    CHECK_OK(rnl_s2s_create(&m, &c, 2));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_s2s_num_params(m)));
    int32_t src[3] = {3, 4, 5}, tgt[3] = {5, 4, 2};
    rnl_s2s_batch b = {.B = 1, .S = 3, .U = 3, .src = src, .src_len = NULL, .tgt = tgt, .tgt_len = NULL};
    size_t np = rnl_s2s_num_params(m);
    rnl_real *p = rnl_s2s_params(m);
    p[np - 1] = NAN;  // out.bias: the loss becomes NaN
    rnl_real *before = malloc(sizeof(rnl_real) * np);
    memcpy(before, p, sizeof(rnl_real) * np);
    rnl_s2s_stats st;
    expect_status("NaN loss", rnl_s2s_train_step(m, o, &b, &st), RNL_ERR_NUMERIC, "step 1: the loss is NaN");
    CHECK(strstr(rnl_last_error(), "clipping") && memcmp(before, p, sizeof(rnl_real) * np) == 0 && rnl_optimizer_steps(o) == 0,
          "parameters untouched by the failed step: %s", rnl_last_error());
    free(before);
    rnl_optimizer_destroy(o);
    rnl_s2s_destroy(m);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { double tok, seq, tf_tok, seconds; } learn_result;

// A new model for c (from `seed`) trained on tc with Adam (lr 0.005, clip 1): `steps` steps of 32 examples
// drawn from data_seed; then greedy decoding (up to max_len tokens) of 4 held-out batches of 128 (seed 999).
// Returns the accuracies, the last step's teacher-forced token accuracy and the training time; the trained
// model comes back in *out (destroy it). `what` names the task in messages.
static learn_result learn(const char *what, const rnl_s2s_config *c, const rnl_s2s_task_config *tc, uint64_t seed,
                          uint64_t data_seed, int steps, int max_len, rnl_s2s **out) {
    learn_result res = {0, 0, 0, 0};
    rnl_s2s *m;
    rnl_optimizer *o;
    CHECK_OK(rnl_s2s_create(&m, c, seed));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 0.005f, oc.clip = 1;
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_s2s_num_params(m)));
    rnl_s2s_task_data d;
    rnl_s2s_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, data_seed);
    double t0 = now_seconds();
    rnl_s2s_stats st = {0};
    for (int s = 0; s < steps; s++) {
        rnl_status e = rnl_s2s_task_generate(&d, tc, 32, &rng);
        if (!e) e = rnl_s2s_train_step(m, o, &d.batch, &st);
        CHECK(e == RNL_OK, "%s training step %d: %s", what, s, rnl_last_error());
        if (e) break;
    }
    res.seconds = now_seconds() - t0;
    res.tf_tok = st.token_accuracy;
    rnl_rng_seed(&rng, 999);  // held-out sequences, greedy decoding
    for (int i = 0; i < 4; i++) {
        double a = 0, b = 0;
        CHECK_OK(rnl_s2s_task_generate(&d, tc, 128, &rng));
        CHECK_OK(rnl_s2s_greedy_accuracy(m, &d.batch, max_len, &a, &b));
        res.tok += a / 4, res.seq += b / 4;
    }
    rnl_s2s_task_data_free(&d);
    rnl_optimizer_destroy(o);
    *out = m;
    return res;
}

// Reversal of exactly `len` symbols (10 of them), GRU encoder and decoder, hidden 32, Adam.
static learn_result learn_reverse(int len, rnl_attn attn, int steps, uint64_t seed) {
    rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_REVERSE);
    tc.min_len = tc.max_len = len, tc.symbols = 10;
    rnl_s2s_config c = rnl_s2s_config_default();
    rnl_s2s_task_shape(&tc, &c);
    c.enc_cell = c.dec_cell = RNL_CELL_GRU, c.enc_hidden = 32, c.embed = 16, c.attention = attn;
    rnl_s2s *m;
    learn_result res = learn("reverse", &c, &tc, seed, seed * 7 + 3, steps, len + 1, &m);
    if (attn == RNL_ATTN_DOT && len == 12) {  // the picture the page draws: an anti-diagonal
        int32_t src[12], lens[1] = {12}, out[13], n_out;
        int n;
        CHECK_OK(rnl_s2s_task_encode(&tc, "abcdefghijab", src, 12, &n));
        rnl_s2s_batch one = {.B = 1, .S = 12, .U = 0, .src = src, .src_len = lens, .tgt = NULL, .tgt_len = NULL};
        CHECK_OK(rnl_s2s_decode(m, &one, 13, out, &n_out, NULL));
        char text[32];
        rnl_s2s_task_decode_text(&tc, 1, out, n_out, text, sizeof text);
        CHECK(strcmp(text, "bajihgfedcba") == 0, "decode 'abcdefghijab' -> '%s'", text);
        int rows, width, diag = 1;
        const rnl_real *a = rnl_s2s_attention(m, 0, &rows, &width);
        for (int t = 0; a && rows == 13 && t < 12; t++) {
            int arg = 0;
            for (int j = 1; j < width; j++)
                if (a[t * width + j] > a[t * width + arg]) arg = j;
            diag &= arg == 11 - t;
        }
        CHECK(a && diag, "output step t attends most to input 11 - t");
    }
    rnl_s2s_destroy(m);
    return res;
}

// The point of attention: at length 5 both models reverse; at length 12 the plain encoder-decoder, which
// must carry all 12 symbols in one state vector, fails where attention (the output step t looks at input
// n-1-t) succeeds. Same budget for both: 800 Adam steps of 32 sequences.
static void test_learning(void) {
    const int lens[2] = {5, 12}, steps = 800;
    learn_result r[2][2];
    for (int i = 0; i < 2; i++)
        for (int a = 0; a < 2; a++) {
            r[i][a] = learn_reverse(lens[i], a ? RNL_ATTN_DOT : RNL_ATTN_NONE, steps, 1);
            printf("reverse, length %2d, %-4s attention, %d steps: greedy sequence accuracy %.3f, token accuracy %.3f "
                   "(teacher-forced token accuracy %.3f), %.1f s\n",
                   lens[i], a ? "dot" : "no", steps, r[i][a].seq, r[i][a].tok, r[i][a].tf_tok, r[i][a].seconds);
        }
    CHECK(r[0][1].seq > 0.9 && r[1][1].seq > 0.9, "with attention, reversal is solved at lengths 5 and 12 (%.3f, %.3f)",
          r[0][1].seq, r[1][1].seq);
    CHECK(r[0][0].seq > 0.5, "without attention, length 5 is learned too (%.3f): the plain model works", r[0][0].seq);
    CHECK(r[1][0].seq < 0.5, "without attention, length 12 is not (%.3f)", r[1][0].seq);
}

// Dates: a bidirectional GRU encoder with dot attention learns to normalise every format in 500 steps
// (about 16000 examples), and a typed date is decoded through the text functions.
static void test_learning_dates(void) {
    rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_DATES);
    rnl_s2s_config c = rnl_s2s_config_default();
    rnl_s2s_task_shape(&tc, &c);
    c.enc_cell = c.dec_cell = RNL_CELL_GRU, c.enc_hidden = 32, c.bidirectional = 1, c.embed = 16, c.attention = RNL_ATTN_DOT;
    rnl_s2s *m;
    learn_result r = learn("dates", &c, &tc, 1, 10, 500, 12, &m);
    printf("dates, bidirectional gru, dot attention, 500 steps: greedy sequence accuracy %.3f, token accuracy %.3f, %.1f s\n",
           r.seq, r.tok, r.seconds);
    CHECK(r.seq > 0.9, "dates are learned (%.3f)", r.seq);
    const char *typed[4] = {"3 May 1998", "May 3, 1998", "03.05.1998", "3 MAY 98"};
    for (int i = 0; i < 4; i++) {
        int32_t src[40], lens[1], out[12], n_out;
        int n;
        char text[32];
        CHECK_OK(rnl_s2s_task_encode(&tc, typed[i], src, 40, &n));
        lens[0] = n;
        rnl_s2s_batch one = {.B = 1, .S = n, .U = 0, .src = src, .src_len = lens, .tgt = NULL, .tgt_len = NULL};
        CHECK_OK(rnl_s2s_decode(m, &one, 12, out, &n_out, NULL));
        rnl_s2s_task_decode_text(&tc, 1, out, n_out, text, sizeof text);
        CHECK(strcmp(text, "1998-05-03") == 0 && n_out == 11, "'%s' -> '%s'", typed[i], text);
    }
    rnl_s2s_destroy(m);
}

// The right answer of a typed input: every generated date's text gives its own ISO target back (all ten
// formats), reversal reverses, and texts the task never writes have none.
static void test_task_answer(void) {
    rnl_s2s_task_config tc = rnl_s2s_task_default(RNL_S2S_TASK_DATES);
    rnl_s2s_task_data d;
    rnl_s2s_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 29);
    CHECK_OK(rnl_s2s_task_generate(&d, &tc, 2000, &rng));
    const rnl_s2s_batch *b = &d.batch;
    int wrong = 0;
    for (int i = 0; i < b->B; i++) {
        char src[64], iso[32], got[32];
        rnl_s2s_task_decode_text(&tc, 0, b->src + i * b->S, b->src_len[i], src, sizeof src);
        rnl_s2s_task_decode_text(&tc, 1, b->tgt + i * b->U, b->tgt_len[i], iso, sizeof iso);
        if (!rnl_s2s_task_answer(&tc, src, got, sizeof got) || strcmp(got, iso) != 0) {
            if (wrong++ < 3) fprintf(stderr, "  answer of \"%s\": \"%s\", expected \"%s\"\n", src, got, iso);
        }
    }
    CHECK(wrong == 0, "dates: the answer of each of 2000 generated inputs is its target (%d wrong)", wrong);
    rnl_s2s_task_data_free(&d);
    char out[32];
    CHECK(rnl_s2s_task_answer(&tc, "sunday 3 may 1998", out, sizeof out) == 1 && strcmp(out, "1998-05-03") == 0, "sunday 3 may 1998: %s", out);
    CHECK(rnl_s2s_task_answer(&tc, "5/3/98", out, sizeof out) == 1 && strcmp(out, "1998-05-03") == 0, "5/3/98 (US order): %s", out);
    CHECK(rnl_s2s_task_answer(&tc, "3 May 2049", out, sizeof out) == 1 && strcmp(out, "2049-05-03") == 0, "3 May 2049: %s", out);
    const char *none[] = {"31 February 1998", "3 May 1949", "3 may 1998", "Sunday 3 May 1998", "1998-05-03", "hello", "3  May 1998"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        CHECK(rnl_s2s_task_answer(&tc, none[i], out, sizeof out) == 0 && out[0] == 0, "no answer for \"%s\" (got \"%s\")", none[i], out);
    rnl_s2s_task_config rev = rnl_s2s_task_default(RNL_S2S_TASK_REVERSE);
    CHECK(rnl_s2s_task_answer(&rev, "abcj", out, sizeof out) == 1 && strcmp(out, "jcba") == 0, "reverse: %s", out);
    CHECK(rnl_s2s_task_answer(&rev, "abk", out, sizeof out) == 0, "reverse: k is not one of the 10 symbols");
    CHECK(rnl_s2s_task_answer(&rev, "abcdef", out, 4) == 1 && strcmp(out, "fed") == 0, "reverse: truncated to cap - 1");
}

int main(void) {
    test_golden_seq2seq();
    test_validation();
    test_padding();
    test_greedy_consistency();
    test_task_reverse();
    test_task_dates();
    test_task_answer();
    test_checkpoint();
    test_numeric_fault();
    test_learning();
    test_learning_dates();
    return tu_summary("test_seq2seq");
}

#endif  // S2S_GOLDEN_ONLY

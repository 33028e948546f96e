// test_seq2seq_f64.c: finite-difference gradient checks of the seq2seq models in double precision (this
// test links the RNL_DOUBLE build of the core): every encoder cell x every decoder cell, one and two
// directions, attention none / dot / additive, stacked encoders, an attention width other than Hd,
// variable source and target lengths (sorted differently, so the encoder's and decoder's row orders
// differ) with garbage in the padding. Every parameter is perturbed: central differences, h = 1e-5,
// compared per tensor (rtol 1e-6) so a failure names the tensor.
// Also: padding never changes a result (bit for bit), and each sample's logits do not depend on the
// other samples of its batch; and test_seq2seq.c's PyTorch golden comparison, at rtol 1e-9.
#define S2S_GOLDEN_ONLY
#include "test_seq2seq.c"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_seq2seq.h"
#include "testutil.h"

#define B_ 3
#define S_ 5
#define U_ 4

typedef struct {
    int32_t src[B_ * S_], tgt[B_ * U_];
    int32_t src_len[B_], tgt_len[B_];
} problem;

// Random tokens at real positions; padding holds ids far outside both vocabularies, so any read of it
// would index out of the embedding (ASan) or change a number.
static void make_problem(problem *p, const rnl_s2s_config *c, rnl_rng *rng) {
    const int32_t sl[B_] = {3, 5, 1}, tl[B_] = {2, 1, 4};  // sorted orders differ: (1 0 2) and (2 0 1)
    for (int b = 0; b < B_; b++) {
        p->src_len[b] = sl[b], p->tgt_len[b] = tl[b];
        for (int t = 0; t < S_; t++)
            p->src[b * S_ + t] = t < sl[b] ? (int32_t)rnl_rng_below(rng, (uint32_t)c->src_vocab) : 1000 + t;
        for (int t = 0; t < U_; t++)
            p->tgt[b * U_ + t] = t < tl[b] ? (int32_t)rnl_rng_below(rng, (uint32_t)c->tgt_vocab) : -5 - t;
    }
}

static rnl_s2s_batch batch_of(const problem *p) {
    rnl_s2s_batch b = {.B = B_, .S = S_, .U = U_, .src = p->src, .src_len = p->src_len,
                       .tgt = p->tgt, .tgt_len = p->tgt_len};
    return b;
}

typedef struct {
    rnl_s2s *m;
    const rnl_s2s_batch *b;
} loss_ctx;

// The batch's loss at the current parameters (tu_central_diff's callback).
static double loss_at(void *ctx) {
    const loss_ctx *c = ctx;
    rnl_real loss = NAN;
    if (rnl_s2s_forward(c->m, c->b, &loss)) fprintf(stderr, "forward failed: %s\n", rnl_last_error());
    return loss;
}

static rnl_s2s_config small_config(rnl_cell enc, rnl_cell dec, int bidir, rnl_attn attn) {
    rnl_s2s_config c = rnl_s2s_config_default();
    c.src_vocab = 7, c.tgt_vocab = 6, c.embed = 3, c.enc_hidden = 3, c.enc_layers = 1;
    c.enc_cell = enc, c.dec_cell = dec, c.bidirectional = bidir, c.attention = attn;
    return c;
}

static void gradcheck(const char *name, const rnl_s2s_config *cfg) {
    rnl_rng rng;
    rnl_rng_seed(&rng, 4321);
    problem p;
    make_problem(&p, cfg, &rng);
    rnl_s2s *m;
    CHECK_OK(rnl_s2s_create(&m, cfg, 11));
    if (!m) return;
    size_t n = rnl_s2s_num_params(m);
    rnl_real *w = rnl_s2s_params(m);
    // Away from the linear regime of the gates and tanh, so the nonlinear derivatives are exercised.
    for (size_t i = 0; i < n; i++) w[i] = w[i] * 1.5 + 0.3 * rnl_rng_normal(&rng);
    rnl_s2s_batch b = batch_of(&p);
    rnl_real loss;
    rnl_s2s_zero_grad(m);
    CHECK_OK(rnl_s2s_forward(m, &b, &loss));
    CHECK_OK(rnl_s2s_backward(m));
    double *an = malloc(sizeof(double) * n), *fd = malloc(sizeof(double) * n);
    memcpy(an, rnl_s2s_grads(m), sizeof(double) * n);
    loss_ctx lc = {m, &b};
    tu_central_diff(fd, w, n, 1e-5, loss_at, &lc);
    char what[200];
    for (int k = 0; k < rnl_s2s_num_tensors(m); k++) {
        const rnl_tensor_info *ti = rnl_s2s_tensor(m, k);
        size_t cnt = (size_t)ti->rows * ti->cols;
        snprintf(what, sizeof what, "%s: d loss / d %s", name, ti->name);
        tu_close(what, an + ti->offset, fd + ti->offset, cnt, 1e-6, 1e-9);
        // Every tensor must take part: a zero gradient would make its check vacuous.
        double norm = 0;
        for (size_t i = 0; i < cnt; i++) norm += an[ti->offset + i] * an[ti->offset + i];
        CHECK(norm > 1e-12, "%s: the gradient of %s is zero, its check proves nothing", name, ti->name);
    }
    free(an);
    free(fd);
    rnl_s2s_destroy(m);
}

static void test_all_gradients(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    char name[160];
    int cases = 0;
    for (int e = 0; e < 3; e++)
        for (int d = 0; d < 3; d++)
            for (int bidir = 0; bidir < 2; bidir++)
                for (int a = 0; a <= RNL_ATTN_ADDITIVE; a++) {
                    rnl_s2s_config c = small_config(cells[e], cells[d], bidir, (rnl_attn)a);
                    snprintf(name, sizeof name, "enc %s%s -> dec %s, attention %s", rnl_cell_name(cells[e]),
                             bidir ? " bidir" : "", rnl_cell_name(cells[d]), rnl_attn_name((rnl_attn)a));
                    gradcheck(name, &c);
                    cases++;
                }
    // Stacked encoders (the bridge reads the top layer), and an additive width other than Hd.
    rnl_s2s_config c = small_config(RNL_CELL_LSTM, RNL_CELL_LSTM, 1, RNL_ATTN_ADDITIVE);
    c.enc_layers = 2, c.attn_width = 4;
    gradcheck("enc lstm bidir 2 layers -> dec lstm, additive A=4", &c);
    c = small_config(RNL_CELL_GRU, RNL_CELL_RNN, 0, RNL_ATTN_DOT);
    c.enc_layers = 3;
    gradcheck("enc gru 3 layers -> dec rnn, dot", &c);
    c = small_config(RNL_CELL_RNN, RNL_CELL_GRU, 1, RNL_ATTN_NONE);
    c.enc_layers = 2;
    gradcheck("enc rnn bidir 2 layers -> dec gru, none", &c);
    printf("gradient checks: %d cell/direction/attention combinations + 3 stacked\n", cases);
}

// --- Padding and batch invariance ---------------------------------------------------------------

// Each sample's logits are the same alone (B = 1, no padding) as in a padded batch, and the same
// whatever the padding holds; the gradient of a batch does not change with its padding. Bit for bit.
static void test_padding_invariance(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    for (int k = 0; k < 3; k++)
        for (int a = 0; a <= RNL_ATTN_ADDITIVE; a++) {
            rnl_s2s_config c = small_config(cells[k], cells[(k + 1) % 3], k != 1, (rnl_attn)a);
            if (k == 1) c.dec_cell = RNL_CELL_LSTM;  // the LSTM -> LSTM bridge passes c as well
            rnl_s2s *m;
            CHECK_OK(rnl_s2s_create(&m, &c, 5));
            if (!m) continue;
            rnl_rng rng;
            rnl_rng_seed(&rng, 77 + k);
            problem p, q;
            make_problem(&p, &c, &rng);
            q = p;
            for (int i = 0; i < B_ * S_; i++)
                if (i % S_ >= p.src_len[i / S_]) q.src[i] = (int32_t)rnl_rng_below(&rng, (uint32_t)c.src_vocab);
            for (int i = 0; i < B_ * U_; i++)
                if (i % U_ >= p.tgt_len[i / U_]) q.tgt[i] = 1234567;
            rnl_s2s_batch bp = batch_of(&p), bq = batch_of(&q);
            size_t n = rnl_s2s_num_params(m), nl = (size_t)B_ * U_ * c.tgt_vocab;
            double *lp = malloc(sizeof(double) * nl), *gp = malloc(sizeof(double) * n);
            rnl_s2s_zero_grad(m);
            CHECK_OK(rnl_s2s_forward(m, &bp, NULL));
            CHECK_OK(rnl_s2s_backward(m));
            memcpy(lp, rnl_s2s_logits(m), sizeof(double) * nl);
            memcpy(gp, rnl_s2s_grads(m), sizeof(double) * n);
            rnl_s2s_zero_grad(m);
            CHECK_OK(rnl_s2s_forward(m, &bq, NULL));
            CHECK_OK(rnl_s2s_backward(m));
            char what[160];
            snprintf(what, sizeof what, "%s -> %s %s: logits with other padding", rnl_cell_name(c.enc_cell),
                     rnl_cell_name(c.dec_cell), rnl_attn_name(c.attention));
            tu_close(what, rnl_s2s_logits(m), lp, nl, 0, 0);
            snprintf(what, sizeof what, "%s -> %s %s: gradients with other padding", rnl_cell_name(c.enc_cell),
                     rnl_cell_name(c.dec_cell), rnl_attn_name(c.attention));
            tu_close(what, rnl_s2s_grads(m), gp, n, 0, 0);
            for (int i = 0; i < B_; i++) {  // alone: B = 1, S = its length, U = its length
                rnl_s2s_batch one = {.B = 1, .S = p.src_len[i], .U = p.tgt_len[i], .src = p.src + i * S_,
                                     .src_len = NULL, .tgt = p.tgt + i * U_, .tgt_len = NULL};
                CHECK_OK(rnl_s2s_forward(m, &one, NULL));
                snprintf(what, sizeof what, "%s -> %s %s: sample %d alone vs in the batch", rnl_cell_name(c.enc_cell),
                         rnl_cell_name(c.dec_cell), rnl_attn_name(c.attention), i);
                tu_close(what, rnl_s2s_logits(m), lp + (size_t)i * U_ * c.tgt_vocab, (size_t)p.tgt_len[i] * c.tgt_vocab, 0, 0);
            }
            free(lp);
            free(gp);
            rnl_s2s_destroy(m);
        }
}

int main(void) {
    test_all_gradients();
    test_padding_invariance();
    test_golden_seq2seq();
    return tu_summary("test_seq2seq_f64");
}

// test_gradcheck_f64.c: finite-difference gradient checks in double precision (this test links the
// RNL_DOUBLE build of the core) for every cell, input kind, head, depth, direction, seq2one/seq2seq and
// masked variable-length batches. Every parameter is perturbed: central differences, h = 1e-5.
// Also: padding never changes a result, truncated BPTT with a window >= T is full BPTT, and the
// teaching traces (gates, dL/dh_t norms) are consistent with the forward pass.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    rnl_config cfg;
    int B, T;
    int32_t lengths[8];
    int32_t *tokens;
    rnl_real *inputs, *targets;
} problem;

static void make_problem(problem *p, rnl_rng *rng) {
    const rnl_config *c = &p->cfg;
    int B = p->B, T = p->T;
    p->tokens = NULL;
    p->inputs = NULL;
    if (c->vocab > 0) {
        p->tokens = malloc(sizeof(int32_t) * B * T);
        for (int i = 0; i < B * T; i++) p->tokens[i] = (int32_t)rnl_rng_below(rng, (uint32_t)c->vocab);
    } else {
        p->inputs = malloc(sizeof(rnl_real) * B * T * c->input_size);
        for (int i = 0; i < B * T * c->input_size; i++) p->inputs[i] = (rnl_real)rnl_rng_normal(rng);
    }
    int per = c->head == RNL_HEAD_REGRESSION ? c->outputs : 1, steps = c->seq2seq ? T : 1;
    p->targets = malloc(sizeof(rnl_real) * B * steps * per);
    for (int i = 0; i < B * steps * per; i++) {
        switch (c->head) {
        case RNL_HEAD_BINARY: p->targets[i] = (rnl_real)rnl_rng_uniform(rng); break;  // soft labels are valid BCE targets
        case RNL_HEAD_CLASSES: p->targets[i] = (rnl_real)rnl_rng_below(rng, (uint32_t)c->outputs); break;
        case RNL_HEAD_REGRESSION: p->targets[i] = (rnl_real)rnl_rng_normal(rng); break;
        }
    }
}

static void free_problem(problem *p) {
    free(p->tokens);
    free(p->inputs);
    free(p->targets);
}

static rnl_batch batch_of(const problem *p) {
    rnl_batch b = {.B = p->B, .T = p->T, .tokens = p->tokens, .inputs = p->inputs, .lengths = p->lengths,
                   .targets = p->targets};
    return b;
}

typedef struct {
    rnl_model *m;
    const rnl_batch *b;
} loss_ctx;

// The batch's loss at the current parameters (tu_central_diff's callback).
static double loss_at(void *ctx) {
    const loss_ctx *c = ctx;
    rnl_real loss;
    rnl_status st = rnl_model_forward(c->m, c->b, &loss);
    if (st) fprintf(stderr, "forward failed: %s\n", rnl_last_error());
    return loss;
}

// Scales the weights up so that gates and tanh are away from their linear regime: the check then
// exercises the nonlinear derivatives, not just the identity.
static void perturb_params(rnl_model *m, rnl_rng *rng) {
    rnl_real *p = rnl_model_params(m);
    for (size_t i = 0; i < rnl_model_num_params(m); i++) p[i] = p[i] * 1.5 + 0.1 * rnl_rng_normal(rng);
}

// drop_step >= 1: with the dropout masks of that optimizer step (the config's dropout), fixed for the
// forward passes of the finite differences too, since a mask is a function of the step.
static void gradcheck_at(const char *name, problem *p, int window, long drop_step) {
    rnl_rng rng;
    rnl_rng_seed(&rng, 1234);
    make_problem(p, &rng);
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &p->cfg, 7));
    if (!m) return;
    perturb_params(m, &rng);
    rnl_model_set_dropout_step(m, drop_step);
    rnl_batch b = batch_of(p);
    size_t n = rnl_model_num_params(m);
    rnl_real loss;
    rnl_model_zero_grad(m);
    CHECK_OK(rnl_model_forward(m, &b, &loss));
    CHECK_OK(rnl_model_backward(m, window));
    double *an = malloc(sizeof(double) * n), *fd = malloc(sizeof(double) * n);
    memcpy(an, rnl_model_grads(m), sizeof(double) * n);
    loss_ctx lc = {m, &b};
    tu_central_diff(fd, rnl_model_params(m), n, 1e-5, loss_at, &lc);
    char what[200];  // name (< 128) and a tensor name (< 48) fit whole
    // Per tensor, so a failure names the tensor.
    for (int k = 0; k < rnl_model_num_tensors(m); k++) {
        const rnl_tensor_info *ti = rnl_model_tensor(m, k);
        snprintf(what, sizeof what, "%s: d loss / d %s", name, ti->name);
        tu_close(what, an + ti->offset, fd + ti->offset, (size_t)ti->rows * ti->cols, 1e-6, 1e-9);
    }
    double norm = 0;
    for (size_t i = 0; i < n; i++) norm += an[i] * an[i];
    CHECK(norm > 1e-8, "%s: the gradient is (almost) zero, the check proves nothing (norm^2 %g)", name, norm);
    free(an);
    free(fd);
    rnl_model_destroy(m);
    free_problem(p);
}

static void gradcheck(const char *name, problem *p, int window) { gradcheck_at(name, p, window, 0); }

static problem base_problem(rnl_cell cell, int tokens, int layers, int bidir, rnl_head head, int seq2seq) {
    problem p;
    memset(&p, 0, sizeof p);
    p.cfg = rnl_config_default(cell);
    if (tokens) p.cfg.vocab = 9, p.cfg.embed = 3;
    else p.cfg.input_size = 3;
    p.cfg.hidden = 4;
    p.cfg.layers = layers;
    p.cfg.bidirectional = bidir;
    p.cfg.head = head;
    p.cfg.outputs = head == RNL_HEAD_CLASSES ? 3 : head == RNL_HEAD_REGRESSION ? 2 : 1;
    p.cfg.seq2seq = seq2seq;
    p.B = 3;
    p.T = 5;
    int lens[3] = {3, 5, 1};  // unsorted, a full-length and a length-1 sequence
    memcpy(p.lengths, lens, sizeof lens);
    return p;
}

static void test_all_gradients(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    const rnl_head heads[3] = {RNL_HEAD_BINARY, RNL_HEAD_CLASSES, RNL_HEAD_REGRESSION};
    char name[128];
    for (int ci = 0; ci < 3; ci++)
        for (int tokens = 0; tokens < 2; tokens++)
            for (int layers = 1; layers <= 2; layers++)
                for (int bidir = 0; bidir < 2; bidir++)
                    for (int hi = 0; hi < 3; hi++)
                        for (int s2s = 0; s2s < 2; s2s++) {
                            problem p = base_problem(cells[ci], tokens, layers, bidir, heads[hi], s2s);
                            snprintf(name, sizeof name, "%s %s layers=%d bidir=%d %s %s", rnl_cell_name(cells[ci]),
                                     tokens ? "tokens" : "dense", layers, bidir, rnl_head_name(heads[hi]), s2s ? "seq2seq" : "seq2one");
                            gradcheck(name, &p, 0);
                        }
    // Truncated BPTT: the gradient of the truncated graph is still exact for what it computes only
    // when the window covers the sequence; shorter windows are checked against a hand-made truncation below.
    problem p = base_problem(RNL_CELL_LSTM, 0, 1, 1, RNL_HEAD_REGRESSION, 1);
    gradcheck("lstm bidir seq2seq, bptt window 5 (= T)", &p, 5);
}

// Dropout (rate 0.4, the masks of step 3) on the embedding output, between layers and before the head:
// every cell, input kind, depth, direction, seq2one/seq2seq.
static void test_dropout_gradients(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    char name[128];
    for (int ci = 0; ci < 3; ci++)
        for (int tokens = 0; tokens < 2; tokens++)
            for (int layers = 1; layers <= 2; layers++)
                for (int bidir = 0; bidir < 2; bidir++)
                    for (int s2s = 0; s2s < 2; s2s++) {
                        rnl_head head = s2s ? RNL_HEAD_REGRESSION : RNL_HEAD_CLASSES;
                        problem p = base_problem(cells[ci], tokens, layers, bidir, head, s2s);
                        p.cfg.dropout = 0.4f;
                        p.cfg.embed = p.cfg.vocab ? 6 : 0;  // wide enough that each site drops some units and keeps others
                        p.cfg.hidden = 5;
                        snprintf(name, sizeof name, "dropout 0.4: %s %s layers=%d bidir=%d %s", rnl_cell_name(cells[ci]),
                                 tokens ? "tokens" : "dense", layers, bidir, s2s ? "seq2seq" : "seq2one");
                        gradcheck_at(name, &p, 0, 3);
                    }
}

// What dropout does and does not change: evaluation (no step set) equals the same weights without
// dropout, bit for bit; a training step's masks change the loss; the same step gives the same loss; the
// mask is 0 or 1/(1-p), dropping about p of the units.
static void test_dropout_modes(void) {
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.vocab = 20, c.embed = 8, c.hidden = 6, c.layers = 2, c.bidirectional = 1, c.dropout = 0.5f;
    rnl_config plain = c;
    plain.dropout = 0;
    rnl_model *m, *q;
    CHECK_OK(rnl_model_create(&m, &c, 5));
    CHECK_OK(rnl_model_create(&q, &plain, 5));
    int32_t tok[2 * 6] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0}, lens[2] = {6, 3};
    rnl_real y[2] = {1, 0}, l_eval, l_plain, l_a, l_b, l_c;
    rnl_batch b = {2, 6, tok, NULL, lens, y};
    CHECK_OK(rnl_model_forward(m, &b, &l_eval));
    CHECK_OK(rnl_model_forward(q, &b, &l_plain));
    CHECK(l_eval == l_plain, "evaluation ignores dropout: %.17g vs %.17g without it", l_eval, l_plain);
    rnl_model_set_dropout_step(m, 7);
    CHECK_OK(rnl_model_forward(m, &b, &l_a));
    CHECK_OK(rnl_model_forward(m, &b, &l_b));
    rnl_model_set_dropout_step(m, 8);
    CHECK_OK(rnl_model_forward(m, &b, &l_c));
    rnl_model_set_dropout_step(m, 0);
    CHECK_OK(rnl_model_forward(m, &b, &l_b));
    CHECK(l_a != l_eval && l_c != l_a, "masks change the loss: eval %.9g, step 7 %.9g, step 8 %.9g", l_eval, l_a, l_c);
    CHECK(l_b == l_eval, "step 0 turns dropout off again: %.17g vs %.17g", l_b, l_eval);
    rnl_real mask[4000];
    rnl_dropout_mask(mask, 4000, 0.25f, 12, 1, 3, 9);
    int dropped = 0, other = 0;
    for (int j = 0; j < 4000; j++) dropped += mask[j] == 0, other += mask[j] != 0 && fabs(mask[j] - 1 / 0.75) > 1e-12;
    CHECK(dropped > 880 && dropped < 1120 && other == 0, "mask of p 0.25: %d of 4000 dropped (about 1000), %d odd values", dropped, other);
    rnl_model_destroy(m);
    rnl_model_destroy(q);
}
// A pooled head (mean or max of the top layer's outputs over the real steps, docs/model.md): every cell,
// input kind, depth and direction, with and without dropout (its masks fixed, step 3), on the batch of
// unsorted lengths 3, 5, 1 (a length-1 row's pool is its one step). A max pool's argmax does not move
// under a 1e-5 nudge at these random weights, so central differences see a smooth function.
static void test_pooled_gradients(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    const rnl_pooling pools[2] = {RNL_POOLING_MEAN, RNL_POOLING_MAX};
    char name[128];
    for (int pi = 0; pi < 2; pi++)
        for (int ci = 0; ci < 3; ci++)
            for (int tokens = 0; tokens < 2; tokens++)
                for (int layers = 1; layers <= 2; layers++)
                    for (int bidir = 0; bidir < 2; bidir++)
                        for (int drop = 0; drop < 2; drop++) {
                            problem p = base_problem(cells[ci], tokens, layers, bidir, drop ? RNL_HEAD_CLASSES : RNL_HEAD_BINARY, 0);
                            p.cfg.pool = pools[pi];
                            if (drop) {
                                p.cfg.dropout = 0.4f;
                                p.cfg.embed = p.cfg.vocab ? 6 : 0;
                                p.cfg.hidden = 5;
                            }
                            snprintf(name, sizeof name, "%s pool: %s %s layers=%d bidir=%d%s", rnl_pooling_name(pools[pi]),
                                     rnl_cell_name(cells[ci]), tokens ? "tokens" : "dense", layers, bidir, drop ? " dropout 0.4" : "");
                            gradcheck_at(name, &p, 0, drop ? 3 : 0);
                        }
    // A BPTT window as long as the sequences is full BPTT, for a pooled head too.
    problem p = base_problem(RNL_CELL_GRU, 1, 2, 1, RNL_HEAD_REGRESSION, 0);
    p.cfg.pool = RNL_POOLING_MEAN;
    gradcheck("mean pool gru 2 layers bidir, bptt window 5 (= T)", &p, 5);
}

// What a pool accepts: sequence-to-one models only; a pooled head reads nothing past a sequence's length.
static void test_pooled_config(void) {
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.input_size = 2, c.head = RNL_HEAD_REGRESSION, c.seq2seq = 1, c.pool = RNL_POOLING_MAX;
    CHECK(rnl_config_validate(&c) == RNL_ERR_ARG && strstr(rnl_last_error(), "max-pooled head needs a sequence-to-one model"),
          "a pooled seq2seq model is refused: %s", rnl_last_error());
    c.seq2seq = 0, c.pool = (rnl_pooling)3;
    CHECK(rnl_config_validate(&c) == RNL_ERR_ARG && strstr(rnl_last_error(), "pool is 3"), "pool 3 is refused: %s", rnl_last_error());
    rnl_pooling p;
    CHECK(rnl_pooling_parse("avg", &p) == RNL_ERR_ARG && strstr(rnl_last_error(), "last, mean or max, not 'avg'"), "%s", rnl_last_error());
    CHECK(rnl_pooling_parse("max", &p) == RNL_OK && p == RNL_POOLING_MAX && !strcmp(rnl_pooling_name(p), "max"), "max parses");
    CHECK(rnl_limit_find("pool") && rnl_limit_find("pool")->max == rnl_pooling_count() - 1, "the limit row spans the pools");
}

// Padding must never change a result: a sequence alone and the same sequence in a padded batch give
// the same prediction, whatever the padding holds.
static void test_padding_invariance(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    for (int k = 0; k < 3 * rnl_pooling_count(); k++) {  // every cell with every pool
        int ci = k % 3;
        rnl_config c = rnl_config_default(cells[ci]);
        c.input_size = 2, c.hidden = 5, c.layers = 2, c.bidirectional = 1, c.head = RNL_HEAD_REGRESSION, c.outputs = 1;
        c.pool = (rnl_pooling)(k / 3);
        rnl_model *m;
        CHECK_OK(rnl_model_create(&m, &c, 3));
        rnl_rng rng;
        rnl_rng_seed(&rng, 9);
        rnl_real x[2 * 6 * 2], alone[3 * 2];
        for (int i = 0; i < 24; i++) x[i] = (rnl_real)rnl_rng_normal(&rng);
        memcpy(alone, x, sizeof alone);  // sequence 0, first 3 steps
        int32_t lens[2] = {3, 6};
        rnl_batch b = {.B = 2, .T = 6, .tokens = NULL, .inputs = x, .lengths = lens, .targets = NULL};
        CHECK_OK(rnl_model_forward(m, &b, NULL));
        rnl_real p_batch = rnl_model_predictions(m)[0];
        for (int t = 3; t < 6; t++) x[2 * t] = 1e6, x[2 * t + 1] = -1e6;  // garbage in the padding
        CHECK_OK(rnl_model_forward(m, &b, NULL));
        rnl_real p_garbage = rnl_model_predictions(m)[0];
        rnl_batch one = {.B = 1, .T = 3, .tokens = NULL, .inputs = alone, .lengths = NULL, .targets = NULL};
        CHECK_OK(rnl_model_forward(m, &one, NULL));
        rnl_real p_alone = rnl_model_predictions(m)[0];
        CHECK(p_batch == p_alone && p_garbage == p_alone, "%s, %s pool: padding changed the prediction: alone %.17g, in batch %.17g, garbage padding %.17g",
              rnl_cell_name(cells[ci]), rnl_pooling_name(c.pool), p_alone, p_batch, p_garbage);
        rnl_model_destroy(m);
    }
}

// Truncated BPTT: window k gives a different recurrent gradient from full BPTT when T > k, the same
// when T <= k, and leaves the head's gradient untouched.
static void test_truncated_bptt(void) {
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.input_size = 2, c.hidden = 4, c.head = RNL_HEAD_REGRESSION, c.seq2seq = 1;
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 5));
    rnl_rng rng;
    rnl_rng_seed(&rng, 11);
    rnl_real x[8 * 2], y[8];
    for (int i = 0; i < 16; i++) x[i] = (rnl_real)rnl_rng_normal(&rng);
    for (int i = 0; i < 8; i++) y[i] = (rnl_real)rnl_rng_normal(&rng);
    rnl_batch b = {.B = 1, .T = 8, .tokens = NULL, .inputs = x, .lengths = NULL, .targets = y};
    size_t n = rnl_model_num_params(m);
    double *full = malloc(sizeof(double) * n), *trunc = malloc(sizeof(double) * n), *wide = malloc(sizeof(double) * n);
    rnl_real loss;
    int windows[3] = {0, 3, 8};
    double *out[3] = {full, trunc, wide};
    for (int k = 0; k < 3; k++) {
        rnl_model_zero_grad(m);
        CHECK_OK(rnl_model_forward(m, &b, &loss));
        CHECK_OK(rnl_model_backward(m, windows[k]));
        memcpy(out[k], rnl_model_grads(m), sizeof(double) * n);
    }
    tu_close("bptt window = T equals full BPTT", wide, full, n, 0, 0);
    const rnl_tensor_info *whh = rnl_model_tensor(m, 1), *head = rnl_model_tensor(m, 4);
    double diff = 0;
    for (int i = 0; i < whh->rows * whh->cols; i++) diff += fabs(trunc[whh->offset + i] - full[whh->offset + i]);
    CHECK(diff > 1e-6, "bptt window 3 < T = 8 should change the recurrent gradient (sum |diff| = %g)", diff);
    tu_close("bptt window leaves the head gradient alone", trunc + head->offset, full + head->offset, (size_t)head->rows * head->cols, 0, 0);

    free(full);
    free(trunc);
    free(wide);
    rnl_model_destroy(m);
}

// The windows of truncated BPTT (docs/model.md): counted from each sequence's own first step in each
// direction, so a batch's gradient is the mean of its sequences' alone; at a window's start both dL/dh
// and dL/dc are cut, so a sequence-to-one model's inputs get gradient only in the last window of each
// direction.
static double *grads_of(rnl_model *m, const int32_t *tok, const int32_t *lens, const rnl_real *y, int B, int T, int k) {
    rnl_batch b = {B, T, tok, NULL, lens, y};
    rnl_real loss;
    rnl_model_zero_grad(m);
    CHECK_OK(rnl_model_forward(m, &b, &loss));
    CHECK_OK(rnl_model_backward(m, k));
    size_t n = rnl_model_num_params(m);
    double *g = malloc(sizeof(double) * n);
    memcpy(g, rnl_model_grads(m), sizeof(double) * n);
    return g;
}

static void test_truncated_bptt_windows(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = 9, c.embed = 2, c.hidden = 3, c.bidirectional = 1;
    for (int layers = 1; layers <= 2; layers++) {
        c.layers = layers;
        rnl_model *m;
        CHECK_OK(rnl_model_create(&m, &c, 4));
        size_t n = rnl_model_num_params(m);
        int32_t ab[2 * 7] = {1, 2, 3, 4, 5, 6, 7, 8, 2, 5, 3, 0, 0, 0}, lens[2] = {7, 4};
        rnl_real y[2] = {1, 0};
        double *both = grads_of(m, ab, lens, y, 2, 7, 3), *a = grads_of(m, ab, lens, y, 1, 7, 3);
        double *b = grads_of(m, ab + 7, lens + 1, y + 1, 1, 4, 3);
        double *mean = malloc(sizeof(double) * n);
        for (size_t i = 0; i < n; i++) mean[i] = (a[i] + b[i]) / 2;
        tu_close(layers == 1 ? "bptt 3, lengths 7 and 4: the batch is the mean of the two alone"
                             : "bptt 3, lengths 7 and 4, 2 layers: the batch is the mean of the two alone",
                 both, mean, n, 1e-12, 1e-12);
        // Sequence a alone (steps 0..6, tokens 1..7): forward windows 0-2, 3-5, 6; reverse windows
        // 6-4, 3-1, 0. Only steps 6 and 0 (tokens 7 and 1) get gradient, at any depth.
        const rnl_tensor_info *emb = rnl_model_tensor(m, 0);
        int ok = 1;
        for (int tok = 1; tok <= 7; tok++) {
            int nonzero = a[emb->offset + 2 * tok] != 0 || a[emb->offset + 2 * tok + 1] != 0;
            ok &= nonzero == (tok == 1 || tok == 7);
        }
        CHECK(ok, "bptt 3, length 7, %d layer(s): only the tokens of steps 0 and 6 get gradient", layers);
        free(both), free(a), free(b), free(mean);
        rnl_model_destroy(m);
    }
    // One direction, length 3, window 2 (windows 0-1 and 2): nothing reaches steps 0 and 1, not even
    // through the LSTM's cell state.
    c.layers = 1, c.bidirectional = 0;
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 2));
    int32_t tok[3] = {1, 2, 3};
    rnl_real y = 1;
    double *g = grads_of(m, tok, NULL, &y, 1, 3, 2);
    const rnl_tensor_info *emb = rnl_model_tensor(m, 0);
    const double *e = g + emb->offset;
    CHECK(e[2] == 0 && e[3] == 0 && e[4] == 0 && e[5] == 0 && (e[6] != 0 || e[7] != 0),
          "bptt 2, length 3: embedding gradients of steps 0, 1, 2: (%g, %g), (%g, %g), (%g, %g)", e[2], e[3], e[4], e[5], e[6], e[7]);
    free(g);
    rnl_model_destroy(m);
}

// A pooled head under truncated BPTT: the window cuts the recurrence only, so every real step still gets
// the head's gradient directly (a last-state head's inputs get gradient only in the last window), and a
// batch's gradient is still the mean of its sequences' alone.
static void test_pooled_windows(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = 9, c.embed = 2, c.hidden = 3;
    const rnl_pooling pools[2] = {RNL_POOLING_MEAN, RNL_POOLING_MAX};
    for (int pi = 0; pi < 2; pi++) {
        c.pool = pools[pi];
        c.bidirectional = 0;
        rnl_model *m;
        CHECK_OK(rnl_model_create(&m, &c, 2));
        int32_t tok[3] = {1, 2, 3};
        rnl_real y = 1;
        double *g = grads_of(m, tok, NULL, &y, 1, 3, 1);  // window 1: no recurrence at all
        const double *e = g + rnl_model_tensor(m, 0)->offset;
        int every = 1;
        for (int t = 0; t < 3; t++) every &= e[2 * (t + 1)] != 0 || e[2 * (t + 1) + 1] != 0;
        // A max pool reads a step only in the columns it won; at least one step wins some column.
        CHECK(pools[pi] == RNL_POOLING_MAX ? (e[2] != 0 || e[4] != 0 || e[6] != 0) : every,
              "%s pool, bptt 1, length 3: embedding gradients of steps 0, 1, 2: (%g, %g), (%g, %g), (%g, %g)",
              rnl_pooling_name(pools[pi]), e[2], e[3], e[4], e[5], e[6], e[7]);
        free(g);
        rnl_model_destroy(m);

        c.bidirectional = 1, c.layers = 2;
        CHECK_OK(rnl_model_create(&m, &c, 4));
        size_t n = rnl_model_num_params(m);
        int32_t ab[2 * 7] = {1, 2, 3, 4, 5, 6, 7, 8, 2, 5, 3, 0, 0, 0}, lens[2] = {7, 4};
        rnl_real yy[2] = {1, 0};
        double *both = grads_of(m, ab, lens, yy, 2, 7, 3), *a = grads_of(m, ab, lens, yy, 1, 7, 3);
        double *b = grads_of(m, ab + 7, lens + 1, yy + 1, 1, 4, 3), *mean = malloc(sizeof(double) * n);
        for (size_t i = 0; i < n; i++) mean[i] = (a[i] + b[i]) / 2;
        char what[96];
        snprintf(what, sizeof what, "%s pool, bptt 3, lengths 7 and 4: the batch is the mean of the two alone", rnl_pooling_name(pools[pi]));
        tu_close(what, both, mean, n, 1e-12, 1e-12);
        free(both), free(a), free(b), free(mean);
        rnl_model_destroy(m);
        c.layers = 1;
    }
}

static void test_traces(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = 7, c.embed = 3, c.hidden = 4, c.bidirectional = 1;
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 1));
    int32_t tok[2 * 5] = {1, 2, 3, 4, 5, 6, 5, 4, 0, 0};
    int32_t lens[2] = {5, 3};
    rnl_real y[2] = {1, 0};
    rnl_batch b = {.B = 2, .T = 5, .tokens = tok, .inputs = NULL, .lengths = lens, .targets = y};
    int steps, width;
    CHECK(rnl_model_trace_gates(m, 0, 0, &steps, &width) == NULL, "no trace before one is asked for");
    rnl_model_set_trace(m, 1);
    rnl_real loss;
    CHECK_OK(rnl_model_forward(m, &b, &loss));
    CHECK_OK(rnl_model_backward(m, 0));
    const rnl_real *g = rnl_model_trace_gates(m, 0, 0, &steps, &width);
    CHECK(g && steps == 3 && width == 16, "gate trace of sample 1: steps %d width %d", steps, width);
    if (g) {
        int in_range = 1;
        for (int i = 0; i < steps * width; i++) {
            int gate = (i % width) / 4;  // i f g o: g is tanh, the others sigmoid
            double lo = gate == 2 ? -1 : 0;
            if (g[i] < lo || g[i] > 1) in_range = 0;
        }
        CHECK(in_range, "gate activations must be in their ranges");
    }
    const rnl_real *gn = rnl_model_trace_grad_norms(m, 0, 0, &steps);
    CHECK(gn && steps == 5, "grad-norm trace: %d steps", steps);
    if (gn) CHECK(gn[0] > 0 && gn[4] > 0, "dL/dh_t norms must be positive at real steps (%g, %g)", gn[0], gn[4]);
    rnl_model_set_trace(m, -1);
    CHECK_OK(rnl_model_forward(m, &b, &loss));
    CHECK(rnl_model_trace_gates(m, 0, 0, &steps, &width) == NULL, "trace off: nothing recorded");
    rnl_model_destroy(m);
}

// The last per-step prediction is the model's prediction; each earlier one equals the prediction for
// the prefix alone.
static void test_predict_steps(void) {
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.vocab = 9, c.embed = 3, c.hidden = 5, c.layers = 2;
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 4));
    int32_t tok[6] = {3, 1, 4, 1, 5, 8};
    rnl_real steps[6];
    int n = 0;
    rnl_batch b = {.B = 1, .T = 6, .tokens = tok, .inputs = NULL, .lengths = NULL, .targets = NULL};
    CHECK_OK(rnl_model_predict_steps(m, &b, steps, &n));
    CHECK(n == 6, "one prediction per step: %d", n);
    for (int t = 0; t < 6; t++) {
        rnl_batch prefix = {.B = 1, .T = t + 1, .tokens = tok, .inputs = NULL, .lengths = NULL, .targets = NULL};
        CHECK_OK(rnl_model_forward(m, &prefix, NULL));
        double p = rnl_model_predictions(m)[0];
        CHECK(fabs(p - steps[t]) < 1e-12, "step %d: per-step prediction %.17g, prefix prediction %.17g", t, steps[t], p);
    }
    // A pooled head: the prediction after step t is the head over the pool of steps 0..t.
    for (int pool = RNL_POOLING_MEAN; pool <= RNL_POOLING_MAX; pool++) {
        rnl_config pc = c;
        pc.pool = (rnl_pooling)pool;
        rnl_model *pm;
        CHECK_OK(rnl_model_create(&pm, &pc, 5));
        CHECK_OK(rnl_model_predict_steps(pm, &b, steps, &n));
        CHECK(n == 6, "one prediction per step: %d", n);
        for (int t = 0; t < 6; t++) {
            rnl_batch prefix = {.B = 1, .T = t + 1, .tokens = tok, .inputs = NULL, .lengths = NULL, .targets = NULL};
            CHECK_OK(rnl_model_forward(pm, &prefix, NULL));
            double p = rnl_model_predictions(pm)[0];
            CHECK(fabs(p - steps[t]) < 1e-12, "%s pool, step %d: per-step prediction %.17g, prefix prediction %.17g",
                  rnl_pooling_name(pc.pool), t, steps[t], p);
        }
        rnl_model_destroy(pm);
    }
    c.bidirectional = 1;
    rnl_model *bi;
    CHECK_OK(rnl_model_create(&bi, &c, 4));
    CHECK(rnl_model_predict_steps(bi, &b, steps, &n) == RNL_ERR_ARG, "bidirectional models are refused");
    rnl_model_destroy(bi);
    rnl_model_destroy(m);
}

int main(void) {
    test_predict_steps();
    test_all_gradients();
    test_dropout_gradients();
    test_dropout_modes();
    test_pooled_config();
    test_pooled_gradients();
    test_padding_invariance();
    test_truncated_bptt();
    test_truncated_bptt_windows();
    test_pooled_windows();
    test_traces();
    return tu_summary("test_gradcheck_f64");
}

// test_threads.c: a training step is the fixed-order sum of its shards (rnnlab.h, "Shards and threads"),
// so the thread count changes no bit:
// - checkpoints after N steps on 1, 2 and 4 threads are byte-identical, for an LSTM with a vocabulary,
//   dropout and uneven lengths, a bidirectional 2-layer GRU, a seq2seq (per-step) RNN on real-valued
//   inputs, and a Transformer; batches of 21 rows leave a short last shard;
// - the seam a Worker replica uses: rnl_model_shard_grad per shard, the blocks copied as a receiver would
//   (rnl_shard_grad_set), rnl_model_apply_shards, gives the same bytes as rnl_train_step;
// - the embedding travels as the rows a shard read (a block is far smaller than the parameters);
// - blocks out of order, of another model, or damaged are refused with a message;
// - evaluation over many batches gives the same figures on any thread count;
// - a traced sample is recorded by its shard, as by a forward over the whole batch.
// tests/c/test_shards_f64.c checks that the sum of the shards is the whole batch's gradient.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_transformer.h"
#include "testutil.h"

#define B 21
#define T 13
#define STEPS 4

// A batch of B rows: tokens (vocab > 0) or inputs (input_size), lengths 1..T, targets by head.
typedef struct {
    int32_t tokens[B * T], lengths[B];
    rnl_real inputs[B * T * 3], targets[B * T * 2];
    rnl_batch b;
} test_batch;

static void make_batch(test_batch *tb, const rnl_config *c, uint64_t seed) {
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    memset(tb, 0, sizeof *tb);
    for (int i = 0; i < B; i++) tb->lengths[i] = 1 + (int)rnl_rng_below(&rng, T);
    for (int i = 0; i < B * T; i++) tb->tokens[i] = c->vocab > 0 ? (int32_t)rnl_rng_below(&rng, (uint32_t)c->vocab) : 0;
    for (int i = 0; i < B * T * 3; i++) tb->inputs[i] = (rnl_real)(2 * rnl_rng_uniform(&rng) - 1);
    int per = c->head == RNL_HEAD_REGRESSION ? c->outputs : 1;
    for (int i = 0; i < B * T * per; i++)
        tb->targets[i] = c->head == RNL_HEAD_REGRESSION ? (rnl_real)rnl_rng_uniform(&rng)
                                                        : (rnl_real)rnl_rng_below(&rng, (uint32_t)(c->head == RNL_HEAD_BINARY ? 2 : c->outputs));
    tb->b = (rnl_batch){B, T, c->vocab > 0 ? tb->tokens : NULL, c->vocab > 0 ? NULL : tb->inputs, tb->lengths, tb->targets};
}

// The checkpoint bytes after STEPS steps on `threads` threads; the step figures into st.
static uint8_t *train_model(const rnl_config *c, int threads, size_t *n, rnl_step_stats st[STEPS]) {
    rnl_model *m;
    rnl_optimizer *o;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.clip = 0.5f;  // the clip path too
    CHECK_OK(rnl_model_create(&m, c, 3));
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_model_num_params(m)));
    CHECK_OK(rnl_model_set_threads(m, threads));
    for (int s = 0; s < STEPS; s++) {
        test_batch tb;
        make_batch(&tb, c, 100 + s);
        CHECK_OK(rnl_train_step(m, o, &tb.b, s == 1 ? 4 : 0, &st[s]));  // one step with a BPTT window
    }
    uint8_t *buf = NULL;
    CHECK_OK(rnl_checkpoint_write(m, o, &buf, n));
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    return buf;
}

static uint8_t *train_tf(const rnl_tf_config *c, int threads, size_t *n, rnl_step_stats st[STEPS]) {
    rnl_tf *m;
    rnl_optimizer *o;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    CHECK_OK(rnl_tf_create(&m, c, 3));
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_tf_num_params(m)));
    CHECK_OK(rnl_tf_set_threads(m, threads));
    rnl_config io = rnl_tf_io_config(c);
    for (int s = 0; s < STEPS; s++) {
        test_batch tb;
        make_batch(&tb, &io, 100 + s);
        CHECK_OK(rnl_tf_train_step(m, o, &tb.b, &st[s]));
    }
    uint8_t *buf = NULL;
    CHECK_OK(rnl_tf_checkpoint_write(m, o, &buf, n));
    rnl_optimizer_destroy(o);
    rnl_tf_destroy(m);
    return buf;
}

static void same_bytes(const char *what, uint8_t *(*train)(const void *, int, size_t *, rnl_step_stats *), const void *cfg) {
    size_t n1, n;
    rnl_step_stats s1[STEPS], s[STEPS];
    uint8_t *one = train(cfg, 1, &n1, s1);
    for (int threads = 2; threads <= 4; threads *= 2) {
        uint8_t *got = train(cfg, threads, &n, s);
        CHECK(one && got && n == n1 && memcmp(one, got, n) == 0, "%s: the checkpoint after %d steps on %d threads differs from 1 thread's",
              what, STEPS, threads);
        for (int k = 0; k < STEPS; k++)
            CHECK(memcmp(&s1[k].loss, &s[k].loss, sizeof(double)) == 0 && memcmp(&s1[k].grad_norm, &s[k].grad_norm, sizeof(double)) == 0 &&
                      s1[k].clipped == s[k].clipped,
                  "%s, %d threads, step %d: loss %.9g grad norm %.9g, 1 thread: %.9g %.9g", what, threads, k + 1, s[k].loss,
                  s[k].grad_norm, s1[k].loss, s1[k].grad_norm);
        free(got);
    }
    CHECK(s1[0].loss > 0 && s1[STEPS - 1].grad_norm > 0, "%s: the steps trained (loss %g)", what, s1[0].loss);
    free(one);
}

static uint8_t *train_model_v(const void *c, int threads, size_t *n, rnl_step_stats *st) { return train_model(c, threads, n, st); }
static uint8_t *train_tf_v(const void *c, int threads, size_t *n, rnl_step_stats *st) { return train_tf(c, threads, n, st); }

static rnl_config lstm_config(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = 50, c.embed = 6, c.hidden = 7, c.layers = 2, c.dropout = 0.3f;
    return c;
}

static void test_thread_counts(void) {
    rnl_config lstm = lstm_config();
    same_bytes("lstm, vocabulary, dropout", train_model_v, &lstm);
    rnl_config gru = rnl_config_default(RNL_CELL_GRU);
    gru.vocab = 30, gru.embed = 5, gru.hidden = 6, gru.layers = 2, gru.bidirectional = 1, gru.head = RNL_HEAD_CLASSES, gru.outputs = 3;
    same_bytes("gru, bidirectional, 2 layers, classes", train_model_v, &gru);
    gru.pool = RNL_POOLING_MAX, gru.dropout = 0.2f;
    same_bytes("gru, bidirectional, 2 layers, classes, max pool, dropout", train_model_v, &gru);
    gru.pool = RNL_POOLING_MEAN;
    same_bytes("gru, bidirectional, 2 layers, classes, mean pool, dropout", train_model_v, &gru);
    rnl_config rnn = rnl_config_default(RNL_CELL_RNN);
    rnn.vocab = 0, rnn.embed = 0, rnn.input_size = 3, rnn.hidden = 5, rnn.seq2seq = 1, rnn.head = RNL_HEAD_REGRESSION;
    rnn.outputs = 2, rnn.dropout = 0.2f;
    same_bytes("rnn, real inputs, seq2seq regression", train_model_v, &rnn);
    rnl_tf_config tf = rnl_tf_config_default();
    tf.vocab = 40, tf.d_model = 8, tf.heads = 2, tf.layers = 1, tf.ffn = 12;
    same_bytes("transformer", train_tf_v, &tf);
}

// The replica's path: blocks computed one by one, copied as a receiver would, applied in order.
static void test_seam(void) {
    rnl_config c = lstm_config();
    rnl_model *a, *r;
    rnl_optimizer *oa, *or_;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    CHECK_OK(rnl_model_create(&a, &c, 3));
    CHECK_OK(rnl_model_create(&r, &c, 3));
    CHECK_OK(rnl_optimizer_create(&oa, &oc, rnl_model_num_params(a)));
    CHECK_OK(rnl_optimizer_create(&or_, &oc, rnl_model_num_params(r)));
    CHECK_OK(rnl_model_set_threads(a, 2));
    test_batch tb;
    const int S = rnl_shard_count(B);
    CHECK(S == 3 && rnl_shard_count(8) == 1 && rnl_shard_count(9) == 2 && rnl_shard_count(0) == 0, "shard counts: %d", S);
    rnl_shard_grad made[3] = {{0}}, got[3] = {{0}};
    for (int step = 0; step < 3; step++) {
        make_batch(&tb, &c, 7 + step);
        rnl_step_stats sa, sr;
        CHECK_OK(rnl_train_step(a, oa, &tb.b, 0, &sa));
        long k = rnl_optimizer_steps(or_) + 1;
        for (int s = S - 1; s >= 0; s--) CHECK_OK(rnl_model_shard_grad(r, &tb.b, s, 0, k, &made[s]));  // any order
        for (int s = 0; s < S; s++) CHECK_OK(rnl_shard_grad_set(&got[s], made[s].data, made[s].size));
        CHECK_OK(rnl_model_apply_shards(r, or_, got, S, &sr));
        CHECK(sa.loss == sr.loss && sa.grad_norm == sr.grad_norm && sa.accuracy == sr.accuracy,
              "step %d: rnl_train_step loss %.9g norm %.9g, the blocks %.9g %.9g", step + 1, sa.loss, sa.grad_norm, sr.loss, sr.grad_norm);
    }
    CHECK(memcmp(rnl_model_params(a), rnl_model_params(r), sizeof(rnl_real) * rnl_model_num_params(a)) == 0,
          "parameters after 3 steps: the blocks' path differs from rnl_train_step");
    // The embedding goes as the rows read: 8 rows of at most 13 tokens touch at most 50 of 50 rows here,
    // so compare against the dense size: a block holds n_params - vocab*embed + rows*(embed + 1) values.
    size_t np = rnl_model_num_params(a), dense = np - (size_t)c.vocab * c.embed;
    CHECK(made[0].size < 64 + sizeof(rnl_real) * (dense + (size_t)c.vocab * c.embed) + 4 * (size_t)c.vocab,
          "a block of %zu bytes for %zu parameters", made[0].size, np);

    // Refusals: out of order, damaged rows, another model's block, too many blocks.
    rnl_shard_grad swapped[3] = {got[1], got[0], got[2]};
    CHECK(rnl_model_apply_shards(r, or_, swapped, S, NULL) == RNL_ERR_ARG && strstr(rnl_last_error(), "shard order"),
          "blocks out of order: %s", rnl_last_error());
    rnl_shard_grad bad = {0};
    CHECK_OK(rnl_shard_grad_set(&bad, got[0].data, got[0].size - 4));
    rnl_shard_grad wrong[3] = {bad, got[1], got[2]};
    CHECK(rnl_model_apply_shards(r, or_, wrong, S, NULL) == RNL_ERR_ARG && strstr(rnl_last_error(), "another model"),
          "a short block: %s", rnl_last_error());
    CHECK(rnl_model_apply_shards(r, or_, got, 0, NULL) == RNL_ERR_ARG, "no blocks: %s", rnl_last_error());
    CHECK(rnl_model_shard_grad(r, &tb.b, S, 0, 1, &bad) == RNL_ERR_ARG && strstr(rnl_last_error(), "outside 0..2"),
          "shard %d of %d: %s", S, S, rnl_last_error());
    CHECK(rnl_model_set_threads(r, 0) == RNL_ERR_ARG && strstr(rnl_last_error(), "threads is 0"), "0 threads: %s", rnl_last_error());
    CHECK(rnl_model_set_threads(r, RNL_MAX_THREADS + 1) == RNL_ERR_ARG, "too many threads: %s", rnl_last_error());
    rnl_shard_grad_free(&bad);
    for (int s = 0; s < S; s++) rnl_shard_grad_free(&made[s]), rnl_shard_grad_free(&got[s]);
    CHECK(made[0].data == NULL && made[0].cap == 0, "a freed block is {0}");

    // A bad batch is named before any thread starts, with its row in the caller's numbering.
    make_batch(&tb, &c, 9);
    tb.tokens[17 * T] = c.vocab + 5;
    rnl_step_stats st;
    CHECK(rnl_train_step(a, oa, &tb.b, 0, &st) == RNL_ERR_ARG && strstr(rnl_last_error(), "sequence 17"),
          "a bad token in row 17: %s", rnl_last_error());
    rnl_optimizer_destroy(oa);
    rnl_optimizer_destroy(or_);
    rnl_model_destroy(a);
    rnl_model_destroy(r);
}

// A NaN loss in one shard stops the step with the usual message, and the parameters stay.
static void test_numeric_fault(void) {
    rnl_config c = rnl_config_default(RNL_CELL_RNN);
    c.vocab = 0, c.input_size = 3, c.hidden = 4, c.head = RNL_HEAD_REGRESSION, c.outputs = 1;
    rnl_model *m;
    rnl_optimizer *o;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_SGD);
    CHECK_OK(rnl_model_create(&m, &c, 1));
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_model_num_params(m)));
    CHECK_OK(rnl_model_set_threads(m, 2));
    test_batch tb;
    make_batch(&tb, &c, 1);
    size_t np = rnl_model_num_params(m);
    rnl_real *before = malloc(sizeof(rnl_real) * np);
    memcpy(before, rnl_model_params(m), sizeof(rnl_real) * np);
    tb.inputs[(size_t)12 * T * 3] = (rnl_real)NAN;  // row 12, shard 1: a NaN loss
    rnl_step_stats st;
    rnl_status s = rnl_train_step(m, o, &tb.b, 0, &st);
    CHECK(s == RNL_ERR_NUMERIC && strstr(rnl_last_error(), "step 1: the loss is"), "a shard's NaN loss: %s %s",
          rnl_status_name(s), rnl_last_error());
    CHECK(memcmp(before, rnl_model_params(m), sizeof(rnl_real) * np) == 0 && rnl_optimizer_steps(o) == 0,
          "the parameters are kept after a numeric fault");
    free(before);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
}

// Whole batches on any thread count: the same figures, batch by batch.
static void test_eval_batches(void) {
    rnl_config c = lstm_config();
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 5));
    enum { N = 7 };
    test_batch tb[N];
    rnl_batch bs[N];
    for (int i = 0; i < N; i++) make_batch(&tb[i], &c, 50 + i), bs[i] = tb[i].b;
    rnl_step_stats one[N], many[N];
    CHECK_OK(rnl_model_eval_batches(m, bs, N, one));
    CHECK_OK(rnl_model_set_threads(m, 3));
    CHECK_OK(rnl_model_eval_batches(m, bs, N, many));
    for (int i = 0; i < N; i++) {
        rnl_step_stats s;
        CHECK_OK(rnl_eval_batch(m, &bs[i], &s));
        CHECK(one[i].loss == many[i].loss && one[i].accuracy == many[i].accuracy && s.loss == one[i].loss,
              "batch %d: 1 thread %.9g, 3 threads %.9g, rnl_eval_batch %.9g", i, one[i].loss, many[i].loss, s.loss);
    }
    rnl_model_destroy(m);
}

// A traced sample in a sharded step: its shard records it (on the model, whatever the thread count), as a
// forward over the whole batch with the step's masks would.
static void test_trace(void) {
    rnl_config c = lstm_config();
    rnl_model *m, *ref;
    rnl_optimizer *o;
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    CHECK_OK(rnl_model_create(&m, &c, 8));
    CHECK_OK(rnl_model_create(&ref, &c, 8));
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_model_num_params(m)));
    CHECK_OK(rnl_model_set_threads(m, 2));
    test_batch tb;
    make_batch(&tb, &c, 21);
    rnl_model_set_trace(m, 17);
    rnl_model_set_trace(ref, 17);
    rnl_model_set_dropout_step(ref, 1);
    CHECK_OK(rnl_model_forward(ref, &tb.b, NULL));
    rnl_step_stats st;
    CHECK_OK(rnl_train_step(m, o, &tb.b, 0, &st));
    int steps = 0, want = 0, width = 0, gsteps = 0;
    const rnl_real *got = rnl_model_trace_state(m, 1, 0, &steps, &width), *exp = rnl_model_trace_state(ref, 1, 0, &want, NULL);
    CHECK(got && exp && steps == tb.lengths[17] && want == steps, "the traced row 17 (length %d): %d steps, whole batch %d",
          tb.lengths[17], steps, want);
    if (got && exp) {
        double a[64], b[64];
        int n = steps * width < 64 ? steps * width : 64;
        for (int i = 0; i < n; i++) a[i] = got[i], b[i] = exp[i];
        tu_close("trace of row 17 in its shard against the whole batch's forward", a, b, (size_t)n, 1e-5, 1e-6);
    }
    int longest = 0;
    for (int r = 16; r < 21; r++) longest = tb.lengths[r] > longest ? tb.lengths[r] : longest;
    CHECK(rnl_model_trace_grad_norms(m, 0, 0, &gsteps) && gsteps == longest, "gradient norms over the shard's %d steps: %d",
          longest, gsteps);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    rnl_model_destroy(ref);
}

int main(void) {
    CHECK(rnl_cpu_count() >= 1, "cores: %d", rnl_cpu_count());
    test_thread_counts();
    test_seam();
    test_numeric_fault();
    test_eval_batches();
    test_trace();
    return tu_summary("test_threads");
}

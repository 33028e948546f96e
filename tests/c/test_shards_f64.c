// test_shards_f64.c (double precision): the sum of a batch's shards is the whole batch's gradient. Each
// shard's backward divides by the whole batch's loss items and draws the dropout masks of its global rows,
// so rnl_model_shard_grad over every shard, added by rnl_model_apply_shards, equals one forward and
// backward over the whole batch to rounding (the sums only run in another order), for an LSTM with a
// vocabulary, dropout and uneven lengths, a bidirectional seq2seq GRU on real inputs with dropout, a
// bidirectional 2-layer GRU with a mean pool (with dropout) and a max pool, and a Transformer. The loss and accuracy of the step are the whole batch's too.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_transformer.h"
#include "testutil.h"

#define B 19
#define T 11
#define RTOL 1e-11
#define ATOL 1e-13

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
    for (int i = 0; i < B * T * 3; i++) tb->inputs[i] = 2 * rnl_rng_uniform(&rng) - 1;
    int per = c->head == RNL_HEAD_REGRESSION ? c->outputs : 1;
    for (int i = 0; i < B * T * per; i++)
        tb->targets[i] = c->head == RNL_HEAD_REGRESSION ? rnl_rng_uniform(&rng) : (rnl_real)rnl_rng_below(&rng, c->head == RNL_HEAD_BINARY ? 2 : (uint32_t)c->outputs);
    tb->b = (rnl_batch){B, T, c->vocab > 0 ? tb->tokens : NULL, c->vocab > 0 ? NULL : tb->inputs, tb->lengths, tb->targets};
}

// SGD without clipping leaves the gradient block as the shards' sum.
static rnl_optimizer *plain_sgd(size_t n) {
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_SGD);
    oc.clip = 0;
    rnl_optimizer *o;
    CHECK_OK(rnl_optimizer_create(&o, &oc, n));
    return o;
}

static void check_model(const char *what, const rnl_config *c) {
    test_batch tb;
    make_batch(&tb, c, 11);
    rnl_model *whole, *sharded;
    CHECK_OK(rnl_model_create(&whole, c, 4));
    CHECK_OK(rnl_model_create(&sharded, c, 4));
    size_t np = rnl_model_num_params(whole);
    rnl_real loss;
    rnl_model_zero_grad(whole);
    rnl_model_set_dropout_step(whole, 1);  // the masks of step 1, as the sharded step draws them
    CHECK_OK(rnl_model_forward(whole, &tb.b, &loss));
    CHECK_OK(rnl_model_backward(whole, 0));
    rnl_step_stats whole_st;
    CHECK_OK(rnl_eval_batch(whole, &tb.b, &whole_st));  // the accuracy (no dropout: compared below only if none)

    rnl_optimizer *o = plain_sgd(np);
    rnl_shard_grad g[3] = {{0}};
    int S = rnl_shard_count(B);
    for (int s = 0; s < S; s++) CHECK_OK(rnl_model_shard_grad(sharded, &tb.b, s, 0, 1, &g[s]));
    rnl_step_stats st;
    CHECK_OK(rnl_model_apply_shards(sharded, o, g, S, &st));
    tu_close(what, rnl_model_grads(sharded), rnl_model_grads(whole), np, RTOL, ATOL);
    CHECK(fabs(st.loss - loss) <= 1e-12 * fabs(loss), "%s: the shards' loss %.15g, the whole batch's %.15g", what, st.loss, loss);
    if (c->dropout == 0) CHECK(st.accuracy == whole_st.accuracy, "%s: accuracy %g, whole %g", what, st.accuracy, whole_st.accuracy);
    for (int s = 0; s < S; s++) rnl_shard_grad_free(&g[s]);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(whole);
    rnl_model_destroy(sharded);
}

static void check_tf(void) {
    rnl_tf_config c = rnl_tf_config_default();
    c.vocab = 23, c.d_model = 8, c.heads = 2, c.layers = 2, c.ffn = 10, c.head = RNL_HEAD_CLASSES, c.outputs = 3;
    rnl_config io = rnl_tf_io_config(&c);
    test_batch tb;
    make_batch(&tb, &io, 12);
    rnl_tf *whole, *sharded;
    CHECK_OK(rnl_tf_create(&whole, &c, 4));
    CHECK_OK(rnl_tf_create(&sharded, &c, 4));
    size_t np = rnl_tf_num_params(whole);
    rnl_real loss;
    rnl_tf_zero_grad(whole);
    CHECK_OK(rnl_tf_forward(whole, &tb.b, &loss));
    CHECK_OK(rnl_tf_backward(whole));
    rnl_optimizer *o = plain_sgd(np);
    rnl_shard_grad g[3] = {{0}};
    int S = rnl_shard_count(B);
    for (int s = 0; s < S; s++) CHECK_OK(rnl_tf_shard_grad(sharded, &tb.b, s, 1, &g[s]));
    rnl_step_stats st;
    CHECK_OK(rnl_tf_apply_shards(sharded, o, g, S, &st));
    tu_close("transformer", rnl_tf_grads(sharded), rnl_tf_grads(whole), np, RTOL, ATOL);
    CHECK(fabs(st.loss - loss) <= 1e-12 * fabs(loss), "transformer: the shards' loss %.15g, the whole batch's %.15g", st.loss, loss);
    for (int s = 0; s < S; s++) rnl_shard_grad_free(&g[s]);
    rnl_optimizer_destroy(o);
    rnl_tf_destroy(whole);
    rnl_tf_destroy(sharded);
}

int main(void) {
    rnl_config lstm = rnl_config_default(RNL_CELL_LSTM);
    lstm.vocab = 29, lstm.embed = 5, lstm.hidden = 6, lstm.layers = 2, lstm.dropout = 0.25f;
    check_model("lstm, vocabulary, dropout", &lstm);
    lstm.dropout = 0;
    check_model("lstm, vocabulary", &lstm);
    rnl_config gru = rnl_config_default(RNL_CELL_GRU);
    gru.vocab = 0, gru.embed = 0, gru.input_size = 3, gru.hidden = 4, gru.bidirectional = 1, gru.seq2seq = 1;
    gru.head = RNL_HEAD_REGRESSION, gru.outputs = 2, gru.dropout = 0.3f;
    check_model("gru, bidirectional, seq2seq regression, dropout", &gru);
    // Pooled heads: a shard pools its own rows, each over its own length.
    rnl_config pooled = rnl_config_default(RNL_CELL_GRU);
    pooled.vocab = 29, pooled.embed = 5, pooled.hidden = 6, pooled.layers = 2, pooled.bidirectional = 1, pooled.dropout = 0.25f;
    pooled.pool = RNL_POOLING_MEAN;
    check_model("gru, bidirectional, mean pool, dropout", &pooled);
    pooled.pool = RNL_POOLING_MAX, pooled.dropout = 0;
    check_model("gru, bidirectional, max pool", &pooled);
    check_tf();
    return tu_summary("test_shards_f64");
}

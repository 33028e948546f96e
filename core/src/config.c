// config.c: model configurations: defaults, names, and validation against ranges and hard limits; the
// cell table and the limit table (rnnlab.h), which every face reads instead of keeping its own copy.
#include <stdio.h>
#include <string.h>
#include "internal.h"

rnl_config rnl_config_default(rnl_cell cell) {
    rnl_config c;
    memset(&c, 0, sizeof c);
    c.cell = cell;
    c.hidden = 32;
    c.layers = 1;
    c.head = RNL_HEAD_BINARY;
    c.outputs = 1;
    c.forget_bias = 1.0f;
    return c;
}

// --- The cell table ---------------------------------------------------------------------------------

// Indexed by rnl_cell. The extra cache is rnl_layer_cache.aux (internal.h).
static const rnl_cell_info cells[] = {
    {.cell = RNL_CELL_RNN, .name = "rnn", .label = "RNN", .gates = 1, .gate_names = {"h"}, .has_cell_state = 0,
     .extra_state = NULL, .gate_roles = {"hidden state"}},
    {.cell = RNL_CELL_LSTM, .name = "lstm", .label = "LSTM", .gates = 4, .gate_names = {"i", "f", "g", "o"},
     .has_cell_state = 1, .extra_state = "cell state c_t",
     .gate_roles = {"input gate", "forget gate", "candidate", "output gate"}},
    {.cell = RNL_CELL_GRU, .name = "gru", .label = "GRU", .gates = 3, .gate_names = {"r", "z", "n"}, .has_cell_state = 0,
     .extra_state = "W_hn h_{t-1} + b_hn (the reset gate scales it)", .gate_roles = {"reset gate", "update gate", "candidate"}},
};
#define N_CELLS ((int)(sizeof cells / sizeof cells[0]))

int rnl_cell_count(void) { return N_CELLS; }

const rnl_cell_info *rnl_cell_info_of(rnl_cell c) { return (int)c >= 0 && (int)c < N_CELLS ? &cells[c] : NULL; }

// "rnn, lstm or gru", or with numbers "0 (rnn), 1 (lstm) or 2 (gru)", from the table.
static void cell_list(char *out, size_t cap, int numbered) {
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < N_CELLS && n < cap; i++) {
        const char *sep = i == 0 ? "" : i == N_CELLS - 1 ? " or " : ", ";
        if (numbered) n += (size_t)snprintf(out + n, cap - n, "%s%d (%s)", sep, i, cells[i].name);
        else n += (size_t)snprintf(out + n, cap - n, "%s%s", sep, cells[i].name);
    }
}

rnl_status rnl_cell_parse(const char *name, rnl_cell *out) {
    for (int i = 0; i < N_CELLS; i++)
        if (name && strcmp(name, cells[i].name) == 0) {
            *out = cells[i].cell;
            return RNL_OK;
        }
    char list[128];
    cell_list(list, sizeof list, 0);
    return rnl_fail(RNL_ERR_ARG, "cell must be %s, not '%s'", list, name ? name : "");
}

const char *rnl_cell_name(rnl_cell c) {
    const rnl_cell_info *ci = rnl_cell_info_of(c);
    return ci ? ci->name : "?";
}

int rnl_cell_gates(rnl_cell c) {
    const rnl_cell_info *ci = rnl_cell_info_of(c);
    return ci ? ci->gates : 1;
}

const char *rnl_head_name(rnl_head h) {
    switch (h) {
    case RNL_HEAD_BINARY: return "binary";
    case RNL_HEAD_CLASSES: return "classes";
    case RNL_HEAD_REGRESSION: return "regression";
    }
    return "?";
}

// --- Pools ------------------------------------------------------------------------------------------

// Indexed by rnl_pooling (rnnlab.h): what a sequence-to-one head reads.
static const struct { const char *name, *label; } pools[] = {
    {"last", "the last state"},
    {"mean", "the mean of all states"},
    {"max", "the max of all states"},
};
#define N_POOLS ((int)(sizeof pools / sizeof pools[0]))

int rnl_pooling_count(void) { return N_POOLS; }
const char *rnl_pooling_name(rnl_pooling p) { return (int)p >= 0 && (int)p < N_POOLS ? pools[p].name : "?"; }
const char *rnl_pooling_label(rnl_pooling p) { return (int)p >= 0 && (int)p < N_POOLS ? pools[p].label : "?"; }

rnl_status rnl_pooling_parse(const char *name, rnl_pooling *out) {
    for (int i = 0; i < N_POOLS; i++)
        if (name && strcmp(name, pools[i].name) == 0) {
            *out = (rnl_pooling)i;
            return RNL_OK;
        }
    return rnl_fail(RNL_ERR_ARG, "pool must be last, mean or max, not '%s'", name ? name : "");
}

// --- Limits -----------------------------------------------------------------------------------------

static const rnl_limit limits[] = {
    // Models
    {"vocab", 2, RNL_MAX_VOCAB, "token ids (padding, unknown and the words)", 1},
    {"embed", 1, RNL_MAX_WIDTH, "embedding width", 1},
    {"input_size", 1, RNL_MAX_WIDTH, "real-valued features per step", 1},
    {"hidden", 1, RNL_MAX_WIDTH, "hidden units per direction", 1},
    {"layers", 1, RNL_MAX_LAYERS, "stacked recurrent layers", 1},
    {"outputs", 1, RNL_MAX_WIDTH, "outputs of the head (classes, or values per target)", 1},
    {"classes", 2, RNL_MAX_WIDTH, "classes of a classes head", 1},
    {"forget_bias", -99, 99, "LSTM forget-gate bias at init", 0},
    {"dropout", 0, 0.99, "dropout probability in training (0 = none)", 0},
    {"pool", 0, 2, "what the head reads: 0 the last state, 1 the mean, 2 the max over the real steps", 1},
    {"attn_width", 1, RNL_MAX_WIDTH, "additive attention width (seq2seq)", 1},
    {"symbols", 1, 26, "distinct symbols of the reverse task (letters a..z)", 1},
    {"reverse_length", 1, 1000, "source length of the reverse task", 1},
    {"decode_len", 1, 10000, "output tokens of one greedy decode", 1},
    // Training
    {"batch", 1, RNL_MAX_BATCH, "sequences per step", 1},
    {"length", 2, RNL_MAX_STEPS, "task sequence length", 1},
    {"steps", 1, 100000000, "training steps", 1},
    {"epochs", 1, 100000, "passes over a dataset's training split", 1},
    {"bucket", 1, 1000, "batches per length-bucketing pool (1 = off)", 1},
    {"bptt", 0, RNL_MAX_STEPS, "truncated backpropagation window (0 = full)", 1},
    {"eval_every", 1, 100000000, "steps between held-out evaluations", 1},
    {"eval_batches", 1, 100000, "held-out batches of an evaluation", 1},
    {"lr", 1e-9, 100, "learning rate", 0},
    {"momentum", 0, 0.9999, "momentum", 0},
    {"weight_decay", 0, 0.9999, "decoupled weight decay", 0},
    {"clip", 0, 1e8, "global gradient-norm clipping (0 = off)", 0},
    {"warmup", 0, 100000000, "learning-rate warm-up steps (0 = none)", 1},
    {"step_size", 1, 100000000, "steps between two decays of the step schedule", 1},
    {"gamma", 1e-6, 1, "decay factor of the step schedule", 0},
    {"patience", 0, 100000, "epochs without improvement before stopping (0 = never)", 1},
    // Data sets
    {"n_train", 1, 25000, "training reviews of an IMDB subset", 1},
    {"n_val", 0, 25000, "validation reviews of an IMDB subset (taken from its training split)", 1},
    {"n_test", 0, 25000, "test reviews of an IMDB subset", 1},
    {"vocab_words", 1, RNL_MAX_VOCAB - 2, "most frequent training words kept", 1},
    {"max_len", 1, RNL_MAX_STEPS, "tokens kept per review", 1},
    {"window", 1, RNL_MAX_STEPS, "input steps per series example", 1},
    {"horizon", 1, RNL_MAX_WIDTH, "values predicted after each window", 1},
    // Transformer encoder (rnnlab_transformer.h); its width is "hidden", its depth "layers"
    {"heads", 1, 64, "attention heads (Transformer; must divide hidden)", 1},
    {"ffn", 1, 4 * RNL_MAX_WIDTH, "feed-forward width (Transformer)", 1},
    // Threads of native training and evaluation (the WebAssembly build runs one): results do not depend on it
    {"threads", 1, RNL_MAX_THREADS, "threads for training and evaluation (native)", 1},
};
#define N_LIMITS ((int)(sizeof limits / sizeof limits[0]))

int rnl_limit_count(void) { return N_LIMITS; }

const rnl_limit *rnl_limit_at(int i) { return i >= 0 && i < N_LIMITS ? &limits[i] : NULL; }

const rnl_limit *rnl_limit_find(const char *name) {
    for (int i = 0; name && i < N_LIMITS; i++)
        if (strcmp(name, limits[i].name) == 0) return &limits[i];
    return NULL;
}

rnl_status rnl_limit_check_as(const char *name, const char *label, double v) {
    const rnl_limit *l = rnl_limit_find(name);
    if (!l) return rnl_fail(RNL_ERR_ARG, "limits: no limit named '%s'", name ? name : "");
    if (v >= l->min && v <= l->max && (!l->whole || v == (double)(long long)v)) return RNL_OK;
    if (l->whole && v == (double)(long long)v)
        return rnl_fail(RNL_ERR_ARG, "%s is %lld, must be in %.0f..%.0f", label, (long long)v, l->min, l->max);
    if (l->whole) return rnl_fail(RNL_ERR_ARG, "%s is %g, must be a whole number in %.0f..%.0f", label, v, l->min, l->max);
    return rnl_fail(RNL_ERR_ARG, "%s is %g, must be in [%g, %g]", label, v, l->min, l->max);
}

rnl_status rnl_limit_check(const char *name, double v) { return rnl_limit_check_as(name, name, v); }

// --- Validation -------------------------------------------------------------------------------------

rnl_status rnl_config_check_field(const char *name, double v) {
    if (rnl_limit_check(name, v) == RNL_OK) return RNL_OK;
    return rnl_fail(RNL_ERR_ARG, "config: %s", rnl_last_error());
}

rnl_status rnl_config_validate(const rnl_config *c) {
    rnl_status st;
    if (!c) return rnl_fail(RNL_ERR_ARG, "config: missing");
    if (!rnl_cell_info_of(c->cell)) {
        char list[128];
        cell_list(list, sizeof list, 1);
        return rnl_fail(RNL_ERR_ARG, "config: cell is %d, must be %s", (int)c->cell, list);
    }
    if (c->head != RNL_HEAD_BINARY && c->head != RNL_HEAD_CLASSES && c->head != RNL_HEAD_REGRESSION)
        return rnl_fail(RNL_ERR_ARG, "config: head is %d, must be 0 (binary), 1 (classes) or 2 (regression)", (int)c->head);
    if (c->vocab != 0) {  // 0: no vocabulary (real-valued inputs)
        if ((st = rnl_config_check_field("vocab", c->vocab))) return st;
        if ((st = rnl_config_check_field("embed", c->embed))) return st;
    } else {
        if (c->input_size == 0)
            return rnl_fail(RNL_ERR_ARG, "config: give either vocab and embed (token inputs) or input_size (real-valued inputs)");
        if ((st = rnl_config_check_field("input_size", c->input_size))) return st;
    }
    if ((st = rnl_config_check_field("hidden", c->hidden))) return st;
    if ((st = rnl_config_check_field("layers", c->layers))) return st;
    if (c->bidirectional != 0 && c->bidirectional != 1)
        return rnl_fail(RNL_ERR_ARG, "config: bidirectional is %d, must be in 0..1", c->bidirectional);
    if (c->seq2seq != 0 && c->seq2seq != 1) return rnl_fail(RNL_ERR_ARG, "config: seq2seq is %d, must be in 0..1", c->seq2seq);
    if (c->head == RNL_HEAD_BINARY && c->outputs != 1)
        return rnl_fail(RNL_ERR_ARG, "config: a binary head has 1 output, not %d", c->outputs);
    if (c->head == RNL_HEAD_CLASSES && rnl_limit_check("classes", c->outputs)) {
        const rnl_limit *l = rnl_limit_find("classes");
        return rnl_fail(RNL_ERR_ARG, "config: a classes head needs %.0f..%.0f classes, not %d", l->min, l->max, c->outputs);
    }
    if ((st = rnl_config_check_field("outputs", c->outputs))) return st;
    if ((st = rnl_config_check_field("forget_bias", c->forget_bias))) return st;  // NaN fails too
    if ((st = rnl_config_check_field("dropout", c->dropout))) return st;
    if ((int)c->pool < 0 || (int)c->pool >= N_POOLS)
        return rnl_fail(RNL_ERR_ARG, "config: pool is %d, must be 0 (last), 1 (mean) or 2 (max)", (int)c->pool);
    if (c->pool != RNL_POOLING_LAST && c->seq2seq)
        return rnl_fail(RNL_ERR_ARG, "config: a %s-pooled head needs a sequence-to-one model; a seq2seq model's head reads every step",
                        rnl_pooling_name(c->pool));
    // Counted in 64 bits, so a count past 4 G is named as it is in WebAssembly too, never wrapped.
    uint64_t n = rnl_config_num_params64(c);
    if (n == 0 || n > RNL_MAX_PARAMS)
        return rnl_fail(RNL_ERR_NOMEM, "config: the model would have %llu parameters, more than the limit of %u",
                        (unsigned long long)n, (unsigned)RNL_MAX_PARAMS);
    return RNL_OK;
}

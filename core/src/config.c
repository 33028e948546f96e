// config.c: model configurations: defaults, names, and validation against ranges and hard limits.
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

const char *rnl_cell_name(rnl_cell c) {
    switch (c) {
    case RNL_CELL_RNN: return "rnn";
    case RNL_CELL_LSTM: return "lstm";
    case RNL_CELL_GRU: return "gru";
    }
    return "?";
}

const char *rnl_head_name(rnl_head h) {
    switch (h) {
    case RNL_HEAD_BINARY: return "binary";
    case RNL_HEAD_CLASSES: return "classes";
    case RNL_HEAD_REGRESSION: return "regression";
    }
    return "?";
}

int rnl_cell_gates(rnl_cell c) { return c == RNL_CELL_LSTM ? 4 : c == RNL_CELL_GRU ? 3 : 1; }

static rnl_status check_range(const char *name, long v, long lo, long hi) {
    if (v < lo || v > hi) return rnl_fail(RNL_ERR_ARG, "config: %s is %ld, must be in %ld..%ld", name, v, lo, hi);
    return RNL_OK;
}

rnl_status rnl_config_validate(const rnl_config *c) {
    rnl_status st;
    if (!c) return rnl_fail(RNL_ERR_ARG, "config: missing");
    if (c->cell != RNL_CELL_RNN && c->cell != RNL_CELL_LSTM && c->cell != RNL_CELL_GRU)
        return rnl_fail(RNL_ERR_ARG, "config: cell is %d, must be 0 (rnn), 1 (lstm) or 2 (gru)", (int)c->cell);
    if (c->head != RNL_HEAD_BINARY && c->head != RNL_HEAD_CLASSES && c->head != RNL_HEAD_REGRESSION)
        return rnl_fail(RNL_ERR_ARG, "config: head is %d, must be 0 (binary), 1 (classes) or 2 (regression)", (int)c->head);
    if ((st = check_range("vocab", c->vocab, 0, RNL_MAX_VOCAB))) return st;
    if (c->vocab > 0) {
        if (c->vocab < 2) return rnl_fail(RNL_ERR_ARG, "config: vocab is %d, must be at least 2 (padding and one token)", c->vocab);
        if ((st = check_range("embed", c->embed, 1, RNL_MAX_WIDTH))) return st;
    } else {
        if (c->input_size == 0)
            return rnl_fail(RNL_ERR_ARG, "config: give either vocab and embed (token inputs) or input_size (real-valued inputs)");
        if ((st = check_range("input_size", c->input_size, 1, RNL_MAX_WIDTH))) return st;
    }
    if ((st = check_range("hidden", c->hidden, 1, RNL_MAX_WIDTH))) return st;
    if ((st = check_range("layers", c->layers, 1, RNL_MAX_LAYERS))) return st;
    if ((st = check_range("bidirectional", c->bidirectional, 0, 1))) return st;
    if ((st = check_range("seq2seq", c->seq2seq, 0, 1))) return st;
    if (c->head == RNL_HEAD_BINARY && c->outputs != 1)
        return rnl_fail(RNL_ERR_ARG, "config: a binary head has 1 output, not %d", c->outputs);
    if (c->head == RNL_HEAD_CLASSES && (c->outputs < 2 || c->outputs > RNL_MAX_WIDTH))
        return rnl_fail(RNL_ERR_ARG, "config: a classes head needs 2..%d classes, not %d", RNL_MAX_WIDTH, c->outputs);
    if ((st = check_range("outputs", c->outputs, 1, RNL_MAX_WIDTH))) return st;
    if (!(c->forget_bias > -100.0f && c->forget_bias < 100.0f))
        return rnl_fail(RNL_ERR_ARG, "config: forget_bias must be a finite number in (-100, 100)");
    int ok = 1;
    size_t n = rnl_config_num_params(c);
    (void)ok;
    if (n == 0 || n > RNL_MAX_PARAMS)
        return rnl_fail(RNL_ERR_NOMEM, "config: the model would have %zu parameters, more than the limit of %u",
                        n, (unsigned)RNL_MAX_PARAMS);
    return RNL_OK;
}

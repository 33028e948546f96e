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
    {RNL_CELL_RNN, "rnn", "RNN", 1, {"h"}, 0, NULL},
    {RNL_CELL_LSTM, "lstm", "LSTM", 4, {"i", "f", "g", "o"}, 1, "cell state c_t"},
    {RNL_CELL_GRU, "gru", "GRU", 3, {"r", "z", "n"}, 0, "W_hn h_{t-1} + b_hn (the reset gate scales it)"},
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

static rnl_status check_range(const char *name, long v, long lo, long hi) {
    if (v < lo || v > hi) return rnl_fail(RNL_ERR_ARG, "config: %s is %ld, must be in %ld..%ld", name, v, lo, hi);
    return RNL_OK;
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

// batch_json.c: a batch of sequences from the CLI's JSON batch format (docs/cli.md) into owned
// buffers that an rnl_batch can point at. Every size is checked before it is allocated.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_json.h"

void batch_json_free(batch_json *o) {
    free(o->tokens);
    free(o->lengths);
    free(o->inputs);
    free(o->targets);
}

static int is_num(const json_value *v) { return v && v->type == JSON_NUMBER; }

// Reads target values for one sequence-to-one item or one step: a number, or a list of `per` numbers.
static rnl_status read_target(const json_value *v, int per, rnl_real *out, const char *where) {
    if (is_num(v) && per == 1) {
        out[0] = (rnl_real)v->number;
        return RNL_OK;
    }
    if (v && v->type == JSON_ARRAY && (int)v->count == per) {
        for (int k = 0; k < per; k++) {
            if (!is_num(v->items[k])) return rnl_fail(RNL_ERR_FORMAT, "%s: target values must be numbers", where);
            out[k] = (rnl_real)v->items[k]->number;
        }
        return RNL_OK;
    }
    return rnl_fail(RNL_ERR_FORMAT, "%s: expected %s", where, per == 1 ? "a number" : "a list of numbers, one per output");
}

rnl_status batch_json_read(const json_value *root, const rnl_config *c, batch_json *ob) {
    memset(ob, 0, sizeof *ob);
    if (!root || root->type != JSON_OBJECT) return rnl_fail(RNL_ERR_FORMAT, "the batch must be a JSON object with \"tokens\" or \"inputs\" and \"targets\"");
    const char *key = c->vocab ? "tokens" : "inputs";
    const json_value *seqs = json_get(root, key), *tg = json_get(root, "targets");
    if (!seqs || seqs->type != JSON_ARRAY)
        return rnl_fail(RNL_ERR_FORMAT, "the model reads %s, so the batch needs \"%s\": a list of sequences",
                        c->vocab ? "token ids" : "real-valued inputs", key);
    if (seqs->count < 1 || seqs->count > RNL_MAX_BATCH) return rnl_fail(RNL_ERR_FORMAT, "\"%s\" must hold 1..%d sequences", key, RNL_MAX_BATCH);
    if (!tg || tg->type != JSON_ARRAY || tg->count != seqs->count)
        return rnl_fail(RNL_ERR_FORMAT, "\"targets\" must be a list with one entry per sequence (%zu)", seqs->count);
    int B = (int)seqs->count, T = 0;
    for (int b = 0; b < B; b++) {
        const json_value *s = seqs->items[b];
        if (s->type != JSON_ARRAY || s->count < 1 || s->count > RNL_MAX_STEPS)
            return rnl_fail(RNL_ERR_FORMAT, "sequence %d must be a non-empty list of at most %d steps", b, RNL_MAX_STEPS);
        if ((int)s->count > T) T = (int)s->count;
    }
    if ((size_t)B * T > 16u << 20) return rnl_fail(RNL_ERR_FORMAT, "the batch is too large (%d x %d steps)", B, T);
    int per = c->head == RNL_HEAD_REGRESSION ? c->outputs : 1, in = c->vocab ? 1 : c->input_size;
    size_t nt = (size_t)B * (c->seq2seq ? T : 1) * per;
    ob->B = B, ob->T = T;
    ob->lengths = calloc((size_t)B, sizeof(int32_t));
    ob->targets = calloc(nt, sizeof(rnl_real));
    if (c->vocab) ob->tokens = calloc((size_t)B * T, sizeof(int32_t));
    else ob->inputs = calloc((size_t)B * T * in, sizeof(rnl_real));
    if (!ob->lengths || !ob->targets || (!ob->tokens && !ob->inputs)) return rnl_fail(RNL_ERR_NOMEM, "out of memory for the batch");
    char where[96];
    for (int b = 0; b < B; b++) {
        const json_value *s = seqs->items[b];
        ob->lengths[b] = (int32_t)s->count;
        for (int t = 0; t < (int)s->count; t++) {
            const json_value *x = s->items[t];
            if (c->vocab) {
                // Range first: casting an out-of-range double to an integer is undefined.
                if (!is_num(x) || !(x->number >= INT32_MIN && x->number <= INT32_MAX) || x->number != (int32_t)x->number)
                    return rnl_fail(RNL_ERR_FORMAT, "sequence %d, step %d: token ids must be whole numbers", b, t);
                ob->tokens[(size_t)b * T + t] = (int32_t)x->number;
            } else {
                snprintf(where, sizeof where, "sequence %d, step %d", b, t);
                if (in == 1 && is_num(x)) ob->inputs[(size_t)b * T + t] = (rnl_real)x->number;
                else if (!x || x->type != JSON_ARRAY || (int)x->count != in)
                    return rnl_fail(RNL_ERR_FORMAT, "%s: expected a list of %d number%s (input size)", where, in, in > 1 ? "s" : "");
                else
                    for (int k = 0; k < in; k++) {
                        if (!is_num(x->items[k])) return rnl_fail(RNL_ERR_FORMAT, "%s: inputs must be numbers", where);
                        ob->inputs[((size_t)b * T + t) * in + k] = (rnl_real)x->items[k]->number;
                    }
            }
        }
        const json_value *y = tg->items[b];
        if (!c->seq2seq) {
            snprintf(where, sizeof where, "target of sequence %d", b);
            rnl_status st = read_target(y, per, ob->targets + (size_t)b * per, where);
            if (st) return st;
        } else {
            if (y->type != JSON_ARRAY || y->count != s->count)
                return rnl_fail(RNL_ERR_FORMAT, "targets of sequence %d: a seq2seq model needs one target per step (%zu)", b, s->count);
            for (int t = 0; t < (int)y->count; t++) {
                snprintf(where, sizeof where, "target of sequence %d, step %d", b, t);
                rnl_status st = read_target(y->items[t], per, ob->targets + ((size_t)b * T + t) * per, where);
                if (st) return st;
            }
        }
    }
    return RNL_OK;
}


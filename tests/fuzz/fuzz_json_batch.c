// fuzz_json_batch.c: libFuzzer target for the CLI's JSON reader and batch format. The first byte picks
// a model shape (tokens / real-valued, seq2one / seq2seq, head); the rest is the JSON text. Accepted
// batches also go through a forward and backward pass.
#include <stdint.h>
#include <string.h>

#include "batch_json.h"
#include "json.h"

static rnl_model *models[4];

static rnl_model *model_for(uint8_t pick) {
    int k = pick % 4;
    if (!models[k]) {
        rnl_config c = rnl_config_default(k & 1 ? RNL_CELL_GRU : RNL_CELL_LSTM);
        c.hidden = 3;
        if (k < 2) c.vocab = 16, c.embed = 2;
        else c.input_size = 2;
        if (k == 1) c.head = RNL_HEAD_CLASSES, c.outputs = 3;
        if (k == 3) c.head = RNL_HEAD_REGRESSION, c.outputs = 2, c.seq2seq = 1;
        if (rnl_model_create(&models[k], &c, 1) != RNL_OK) return NULL;
    }
    return models[k];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    rnl_model *m = model_for(data[0]);
    json_doc *doc;
    if (!m || json_parse((const char *)data + 1, size - 1, &doc) != RNL_OK) return 0;
    batch_json ob;
    memset(&ob, 0, sizeof ob);
    if (batch_json_read(json_root(doc), rnl_model_config(m), &ob) == RNL_OK && (size_t)ob.B * ob.T < 4096) {
        rnl_batch b = {ob.B, ob.T, ob.tokens, ob.inputs, ob.lengths, ob.targets};
        rnl_real loss;
        rnl_model_zero_grad(m);
        if (rnl_model_forward(m, &b, &loss) == RNL_OK) rnl_model_backward(m, 0);
    }
    batch_json_free(&ob);
    json_free(doc);
    return 0;
}

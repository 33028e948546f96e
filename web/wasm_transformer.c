// wasm_transformer.c: the adapter's Transformer encoders (rnnlab_transformer.h): what is the Transformer's
// own: creation (for a task, or with a vocabulary or input size), its configuration and tensors, the
// attention weights of the last forward. Everything else goes through the one model handle of wasm_api.c,
// which holds either kind (rnl_run_net): the optimizer, training and evaluation on tasks and data sets
// (the run layer's loops, as `rnnlab train` for a Transformer checkpoint), keep-best, schedules, text
// prediction and checkpoints (the RNNLABTF format, byte for byte the CLI's).
#include <stdlib.h>

#include "wasm_api.h"

// A fresh model from a "tf_options" record, as `rnnlab init --cell transformer`: a value < 0 takes the
// default (rnl_tf_config_default); task >= 0 sets the inputs and head a synthetic task needs.
rnlw_handle *rnlw_tf_create(const rnlw_tf_options *o, uint32_t seed_lo, uint32_t seed_hi) {
    rnl_tf_config c = rnl_tf_config_default();
    if (o->task >= 0) {
        if (o->task > RNL_TASK_SINE) {
            wasm_status = rnl_fail(RNL_ERR_ARG, "task: unknown task %d", o->task);
            return NULL;
        }
        rnl_config io = rnl_tf_io_config(&c);
        rnl_task_shape((rnl_task)o->task, &io);
        if (io.seq2seq) {
            wasm_status = rnl_fail(RNL_ERR_ARG, "task %s predicts every step; a Transformer here predicts one value per sequence",
                                   rnl_task_name((rnl_task)o->task));
            return NULL;
        }
        c.vocab = io.vocab, c.input_size = io.input_size, c.head = io.head, c.outputs = io.outputs;
    }
    if (o->vocab >= 0) c.vocab = o->vocab;
    if (o->input_size >= 0) c.input_size = o->input_size;
    if (o->hidden >= 0) c.d_model = o->hidden;
    if (o->heads >= 0) c.heads = o->heads;
    if (o->layers >= 0) c.layers = o->layers;
    if (o->ffn >= 0) c.ffn = o->ffn;
    if (o->positions >= 0) c.positions = (rnl_tf_positions)o->positions;
    if (o->head >= 0) c.head = (rnl_head)o->head;
    if (o->outputs >= 0) c.outputs = o->outputs;
    rnl_tf *m;
    if ((wasm_status = rnl_tf_create(&m, &c, wasm_seed64(seed_lo, seed_hi)))) return NULL;
    return wasm_wrap_tf(m, NULL);
}

void rnlw_tf_info(rnlw_tf_desc *out, rnlw_handle *h) {
    rnl_tf *m = wasm_tf(h);
    *out = (rnlw_tf_desc){*rnl_tf_get_config(m), rnl_tf_num_params(m), rnl_tf_num_tensors(m)};
}

// The parameter block (n floats), and tensor i of its table (NULL past the end).
rnl_real *rnlw_tf_params(rnlw_handle *h) { return rnl_tf_params(wasm_tf(h)); }
const rnl_tensor_info *rnlw_tf_tensor(rnlw_handle *h, int i) { return rnl_tf_tensor(wasm_tf(h), i); }

// The attention weights of one head of one layer for sample `sample` of the last batch the handle ran
// (a training step's, an evaluation's or predictText's): out "trace", (len, len), rows the queries. data
// NULL if none.
void rnlw_tf_attention(rnlw_trace_view *out, rnlw_handle *h, int layer, int head, int sample) {
    int len = 0;
    out->data = rnl_tf_attention(wasm_tf(h), layer, head, sample, &len);
    out->steps = out->width = out->data ? len : 0;
}

// A Transformer (and its optimizer, if saved with it) from RNNLABTF checkpoint bytes; NULL on failure.
rnlw_handle *rnlw_tf_checkpoint_read(const uint8_t *bytes, size_t n) {
    rnl_tf *m;
    rnl_optimizer *o;
    if ((wasm_status = rnl_tf_checkpoint_read(bytes, n, &m, &o))) return NULL;
    return wasm_wrap_tf(m, o);
}

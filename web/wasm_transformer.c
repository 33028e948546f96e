// wasm_transformer.c: the adapter's Transformer encoders (rnnlab_transformer.h): a handle that holds the
// model, its optimizer and its training-data stream; creation (for a task, or with a vocabulary or
// input size), training and held-out evaluation on a synthetic task through the run layer (rnl_run_net:
// the same loop as `rnnlab train` for a Transformer checkpoint), the attention weights of the last
// forward, and checkpoints (the RNNLABTF format, byte for byte the CLI's).
#include <math.h>
#include <stdlib.h>

#include "wasm_api.h"

typedef struct {
    rnl_tf *m;
    rnl_optimizer *o;     // NULL until set, or until the first training step makes the default
    rnl_task_data data;   // batches of rnlw_tf_train_task / _eval_task
    rnl_rng rng;          // the training-data stream (rnlw_tf_seed)
} tf_handle;

static tf_handle *tf_wrap(rnl_tf *m, rnl_optimizer *o) {
    tf_handle *h = calloc(1, sizeof *h);
    if (!h) {
        rnl_optimizer_destroy(o);
        rnl_tf_destroy(m);
        wasm_status = rnl_fail(RNL_ERR_NOMEM, "transformer: out of memory");
        return NULL;
    }
    h->m = m, h->o = o;
    rnl_task_data_init(&h->data);
    rnl_rng_seed(&h->rng, 1);
    return h;
}

// A fresh model from a "tf_options" record, as `rnnlab init --cell transformer`: a value < 0 takes the
// default (rnl_tf_config_default); task >= 0 sets the inputs and head a synthetic task needs.
tf_handle *rnlw_tf_create(const rnlw_tf_options *o, uint32_t seed_lo, uint32_t seed_hi) {
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
    return tf_wrap(m, NULL);
}

void rnlw_tf_destroy(tf_handle *h) {
    if (!h) return;
    rnl_task_data_free(&h->data);
    rnl_optimizer_destroy(h->o);
    rnl_tf_destroy(h->m);
    free(h);
}

void rnlw_tf_info(rnlw_tf_desc *out, tf_handle *h) {
    *out = (rnlw_tf_desc){*rnl_tf_get_config(h->m), rnl_tf_num_params(h->m), rnl_tf_num_tensors(h->m)};
}

// The parameter block (n floats), and tensor i of its table (NULL past the end).
rnl_real *rnlw_tf_params(tf_handle *h) { return rnl_tf_params(h->m); }
const rnl_tensor_info *rnlw_tf_tensor(tf_handle *h, int i) { return rnl_tf_tensor(h->m, i); }

rnl_status rnlw_tf_set_optimizer(tf_handle *h, const rnlw_optimizer *rec, int reset) {
    return wasm_set_optimizer(&h->o, rnl_tf_num_params(h->m), rec, reset);
}

int rnlw_tf_optimizer_info(rnlw_optimizer *out, tf_handle *h) { return wasm_optimizer_info(out, h->o); }

void rnlw_tf_seed(tf_handle *h, uint32_t seed_lo, uint32_t seed_hi) { rnl_rng_seed(&h->rng, wasm_seed64(seed_lo, seed_hi)); }

static rnl_status fits(tf_handle *h, int task) {
    if (task < 0 || task > RNL_TASK_SINE) return rnl_fail(RNL_ERR_ARG, "task: unknown task %d", task);
    rnl_config io = rnl_tf_io_config(rnl_tf_get_config(h->m));
    return rnl_run_task_fits(&io, (rnl_task)task, "make one with createTransformer({ task })");
}

// `steps` training steps on fresh batches of B x T of a task from the handle's stream (rnl_run_net_train_task,
// the loop of `rnnlab train`; a new optimizer is the run layer's Transformer default). out: "progress".
rnl_status rnlw_tf_train_task(rnlw_progress *out, tf_handle *h, int task, int B, int T, int steps) {
    rnl_status st = fits(h, task);
    if (!st) st = rnl_run_ensure_optimizer(&h->o, RNL_RUN_TRANSFORMER, rnl_tf_num_params(h->m));
    rnl_run_progress p = {.last = {NAN, NAN, 0, NAN}, .mean_loss = NAN, .steps = h->o ? rnl_optimizer_steps(h->o) : 0, .lr = NAN};
    if (!st)  // at the optimizer's own learning rate (no schedule)
        st = rnl_run_net_train_task(rnl_run_net_of_tf(h->m), h->o, (rnl_task)task, B, T, steps, 0, NULL, &h->rng, &h->data, &p);
    const rnl_step_stats *s = &p.last;
    *out = (rnlw_progress){.loss = s->loss, .grad_norm = s->grad_norm, .clipped = s->clipped, .accuracy = s->accuracy,
                           .seq_accuracy = NAN, .steps = (double)p.steps, .mean_loss = p.mean_loss, .n_clipped = p.clipped,
                           .done = p.done, .lr = p.lr};
    return st;
}

// Held-out batches as `rnnlab eval` (rnl_run_net_eval_task). out: loss and accuracy (NaN for regression).
rnl_status rnlw_tf_eval_task(rnlw_progress *out, tf_handle *h, int task, int T, int batches, int B, uint32_t seed_lo,
                             uint32_t seed_hi) {
    rnl_status st = fits(h, task);
    rnl_run_eval r = {NAN, NAN, 0};
    if (!st) st = rnl_run_net_eval_task(rnl_run_net_of_tf(h->m), (rnl_task)task, T, batches, B, wasm_seed64(seed_lo, seed_hi),
                                        &h->data, &r);
    *out = (rnlw_progress){.loss = r.loss, .grad_norm = NAN, .accuracy = r.accuracy, .seq_accuracy = NAN, .steps = wasm_steps(h->o),
                           .mean_loss = r.loss, .done = 1, .lr = NAN};
    return st;
}

// The attention weights of one head of one layer for sample `sample` of the last batch the handle ran
// (a training step's or an evaluation's): out "trace", (len, len), rows the queries. data NULL if none.
void rnlw_tf_attention(rnlw_trace_view *out, tf_handle *h, int layer, int head, int sample) {
    int len = 0;
    out->data = rnl_tf_attention(h->m, layer, head, sample, &len);
    out->steps = out->width = out->data ? len : 0;
}

// The checkpoint bytes (with the optimizer's state if `with_optimizer` and there is one). out: "span".
rnl_status rnlw_tf_checkpoint_write(rnlw_span *out, tf_handle *h, int with_optimizer) {
    uint8_t *p = NULL;
    rnl_status st = rnl_tf_checkpoint_write(h->m, with_optimizer ? h->o : NULL, &p, &out->n);
    out->data = p;
    return st;
}

tf_handle *rnlw_tf_checkpoint_read(const uint8_t *bytes, size_t n) {
    rnl_tf *m;
    rnl_optimizer *o;
    if ((wasm_status = rnl_tf_checkpoint_read(bytes, n, &m, &o))) return NULL;
    return tf_wrap(m, o);
}

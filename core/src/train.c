// train.c: one training step (forward, backward, checks, update) and batch evaluation, for every model kind
// (model_base.h; the public rnl_train_step and rnl_s2s_train_step wrap them). A numeric fault stops before
// the update, so the parameters stay those of the last good step.
#include "model_base.h"

static const char *numeric_hint =
    "the learning rate may be too high or the gradients exploded: lower the learning rate, enable "
    "gradient clipping (e.g. clip 1), or use a smaller initialisation";

// RNL_OK if `value` (the `what` of optimizer step `step`, e.g. "loss", "gradient norm") is finite; otherwise
// "step N: the loss is NaN; <hint>. The parameters of step N-1 are kept." and RNL_ERR_NUMERIC.
rnl_status rnl_base_check_finite(long step, const char *what, double value) {
    if (isfinite(value)) return RNL_OK;
    return rnl_fail(RNL_ERR_NUMERIC, "step %ld: the %s is %s; %s. The parameters of step %ld are kept.", step, what,
                    isnan(value) ? "NaN" : "infinite", numeric_hint, step - 1);
}

// The figures of a forward pass: its loss and the kind's accuracies; no update (yet).
static void put_forward(const rnl_base *b, rnl_real loss, const rnl_step_out *out) {
    double acc[2] = {NAN, NAN};
    b->kind->accuracy(b, acc);
    *out->loss = loss;
    for (int k = 0; k < 2; k++)
        if (out->acc[k]) *out->acc[k] = acc[k];
    *out->grad_norm = NAN;
    *out->clipped = 0;
}

// Forward and backward of one training step with the step's dropout masks (b->dropout_step), which only
// training ever turns on.
static rnl_status forward_backward(rnl_base *b, const void *batch, int bptt_window, long step, const rnl_step_out *out) {
    rnl_status s;
    rnl_real loss;
    if ((s = b->kind->forward(b, batch, &loss))) return s;
    put_forward(b, loss, out);
    if ((s = rnl_base_check_finite(step, "loss", loss))) return s;
    return b->kind->backward(b, bptt_window);
}

rnl_status rnl_base_train_step(rnl_base *b, rnl_optimizer *o, const void *batch, int bptt_window,
                               const rnl_step_out *out) {
    if (b->kind->io) return rnl_base_train_shards(b, o, batch, bptt_window, out);  // shards.c
    rnl_status s;
    long step = rnl_optimizer_steps(o) + 1;
    rnl_base_zero_grad(b);
    b->dropout_step = step;
    s = forward_backward(b, batch, bptt_window, step, out);
    b->dropout_step = 0;
    if (s) return s;
    return rnl_base_finish_step(b, o, step, out);
}

rnl_status rnl_base_finish_step(rnl_base *b, rnl_optimizer *o, long step, const rnl_step_out *out) {
    rnl_status s;
    double norm = rnl_grad_norm(b->grads, b->n_params);
    *out->grad_norm = norm;
    if ((s = rnl_base_check_finite(step, "gradient norm", norm))) return s;
    float clip = rnl_optimizer_config(o)->clip;
    *out->clipped = clip > 0 && norm > clip;
    return rnl_optimizer_step(o, b->params, b->grads, b->n_params, NULL);
}

rnl_status rnl_base_eval_batch(rnl_base *b, const void *batch, const rnl_step_out *out) {
    rnl_real loss;
    rnl_status s = b->kind->forward(b, batch, &loss);
    if (s) return s;
    put_forward(b, loss, out);
    return RNL_OK;
}

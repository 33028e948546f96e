// train.c: one training step (forward, backward, checks, update) and batch evaluation. A numeric fault
// stops before the update, so the parameters stay those of the last good step.
#include "internal.h"

static const char *numeric_hint =
    "the learning rate may be too high or the gradients exploded: lower the learning rate, enable "
    "gradient clipping (e.g. clip 1), or use a smaller initialisation";

rnl_status rnl_train_step(rnl_model *m, rnl_optimizer *o, const rnl_batch *b, int bptt_window, rnl_step_stats *st) {
    rnl_status s;
    rnl_real loss;
    rnl_step_stats local;
    if (!st) st = &local;
    long step = rnl_optimizer_steps(o) + 1;
    rnl_model_zero_grad(m);
    if ((s = rnl_model_forward(m, b, &loss))) return s;
    st->loss = loss;
    st->accuracy = rnl_model_last_accuracy(m);
    st->grad_norm = NAN;
    st->clipped = 0;
    if (!isfinite(loss))
        return rnl_fail(RNL_ERR_NUMERIC, "step %ld: the loss is %s; %s. The parameters of step %ld are kept.", step,
                        isnan(loss) ? "NaN" : "infinite", numeric_hint, step - 1);
    if ((s = rnl_model_backward(m, bptt_window))) return s;
    size_t n = rnl_model_num_params(m);
    double norm = rnl_grad_norm(rnl_model_grads(m), n);
    st->grad_norm = norm;
    if (!isfinite(norm))
        return rnl_fail(RNL_ERR_NUMERIC, "step %ld: the gradient norm is %s; %s. The parameters of step %ld are kept.", step,
                        isnan(norm) ? "NaN" : "infinite", numeric_hint, step - 1);
    float clip = rnl_optimizer_config(o)->clip;
    st->clipped = clip > 0 && norm > clip;
    return rnl_optimizer_step(o, rnl_model_params(m), rnl_model_grads(m), n, NULL);
}

rnl_status rnl_eval_batch(rnl_model *m, const rnl_batch *b, rnl_step_stats *st) {
    rnl_real loss;
    rnl_status s = rnl_model_forward(m, b, &loss);
    if (s) return s;
    st->loss = loss;
    st->accuracy = rnl_model_last_accuracy(m);
    st->grad_norm = NAN;
    st->clipped = 0;
    return RNL_OK;
}

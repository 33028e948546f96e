// train.c: one training step (forward, backward, checks, update) and batch evaluation. A numeric fault
// stops before the update, so the parameters stay those of the last good step.
#include "internal.h"
#include "train_checks.h"

static const char *numeric_hint =
    "the learning rate may be too high or the gradients exploded: lower the learning rate, enable "
    "gradient clipping (e.g. clip 1), or use a smaller initialisation";

rnl_status rnl_step_check_finite(long step, const char *what, double value) {
    if (isfinite(value)) return RNL_OK;
    return rnl_fail(RNL_ERR_NUMERIC, "step %ld: the %s is %s; %s. The parameters of step %ld are kept.", step, what,
                    isnan(value) ? "NaN" : "infinite", numeric_hint, step - 1);
}

rnl_status rnl_step_update(rnl_optimizer *o, long step, rnl_real *params, rnl_real *grads, size_t n, double *grad_norm,
                           int *clipped) {
    double norm = rnl_grad_norm(grads, n);
    *grad_norm = norm;
    rnl_status s = rnl_step_check_finite(step, "gradient norm", norm);
    if (s) return s;
    float clip = rnl_optimizer_config(o)->clip;
    *clipped = clip > 0 && norm > clip;
    return rnl_optimizer_step(o, params, grads, n, NULL);
}

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
    if ((s = rnl_step_check_finite(step, "loss", loss))) return s;
    if ((s = rnl_model_backward(m, bptt_window))) return s;
    return rnl_step_update(o, step, rnl_model_params(m), rnl_model_grads(m), rnl_model_num_params(m), &st->grad_norm,
                           &st->clipped);
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

// test_train.c: optimizers against hand-computed values, clipping, determinism, numeric faults, and
// learning: an LSTM solves the adding problem at length 50, and a tiny task reaches a pinned loss.
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "testutil.h"

#include <stdlib.h>

// Measured once with the scalar kernels (gcc 12 and clang 14 agree); a change here means the numbers changed.
#define PINNED_LOSS_40 1.6420469

static void test_sgd_and_momentum(void) {
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_MOMENTUM);
    oc.lr = 0.5f, oc.momentum = 0.9f;
    rnl_optimizer *o;
    CHECK_OK(rnl_optimizer_create(&o, &oc, 2));
    rnl_real p[2] = {1, -2}, g[2];
    // step 1: v = g = (0.2, -0.4); p = (1 - 0.1, -2 + 0.2) = (0.9, -1.8)
    g[0] = 0.2f, g[1] = -0.4f;
    CHECK_OK(rnl_optimizer_step(o, p, g, 2, NULL));
    CHECK(fabs(p[0] - 0.9) < 1e-6 && fabs(p[1] + 1.8) < 1e-6, "momentum step 1: got (%g, %g)", p[0], p[1]);
    // step 2: v = 0.9 * (0.2, -0.4) + (0.1, 0.1) = (0.28, -0.26); p = (0.9 - 0.14, -1.8 + 0.13)
    g[0] = 0.1f, g[1] = 0.1f;
    CHECK_OK(rnl_optimizer_step(o, p, g, 2, NULL));
    CHECK(fabs(p[0] - 0.76) < 1e-6 && fabs(p[1] + 1.67) < 1e-6, "momentum step 2: got (%g, %g)", p[0], p[1]);
    rnl_optimizer_destroy(o);

    oc = rnl_optim_default(RNL_OPTIM_SGD);
    oc.lr = 0.1f, oc.weight_decay = 0.5f;
    CHECK_OK(rnl_optimizer_create(&o, &oc, 1));
    p[0] = 2, g[0] = 1;
    // decoupled decay: p = 2 * (1 - 0.05) - 0.1 * 1 = 1.8
    CHECK_OK(rnl_optimizer_step(o, p, g, 1, NULL));
    CHECK(fabs(p[0] - 1.8) < 1e-6, "sgd with decoupled weight decay: got %g, expected 1.8", p[0]);
    rnl_optimizer_destroy(o);
}

static void test_adam(void) {
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 0.1f;
    rnl_optimizer *o;
    CHECK_OK(rnl_optimizer_create(&o, &oc, 1));
    rnl_real p[1] = {1}, g[1] = {0.5f};
    // Step 1: m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25; p -= 0.1 * 0.5 / (0.5 + 1e-8) = 0.1 (to 1e-8)
    CHECK_OK(rnl_optimizer_step(o, p, g, 1, NULL));
    CHECK(fabs(p[0] - 0.9) < 1e-6, "adam step 1: got %.9g, expected 0.9", p[0]);
    // Step 2 with g = -0.5: m = 0.9*0.05 - 0.05 = -0.005, v = 0.999*0.00025 + 0.00025 = 0.00049975
    // m_hat = -0.005 / 0.19 = -0.0263158, v_hat = 0.00049975 / 0.001999 = 0.25; p += 0.1 * 0.0263158 / 0.5
    g[0] = -0.5f;
    CHECK_OK(rnl_optimizer_step(o, p, g, 1, NULL));
    double expect = 0.9 + 0.1 * (0.005 / 0.19) / sqrt(0.00049975 / (1 - 0.999 * 0.999));
    CHECK(fabs(p[0] - expect) < 1e-6, "adam step 2: got %.9g, expected %.9g", p[0], expect);
    rnl_optimizer_destroy(o);
}

static void test_clipping(void) {
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_SGD);
    oc.lr = 1, oc.clip = 1;
    rnl_optimizer *o;
    CHECK_OK(rnl_optimizer_create(&o, &oc, 2));
    rnl_real p[2] = {0, 0}, g[2] = {3, 4};
    double norm;
    CHECK_OK(rnl_optimizer_step(o, p, g, 2, &norm));
    CHECK(fabs(norm - 5) < 1e-6, "norm before clipping: got %g, expected 5", norm);
    CHECK(fabs(p[0] + 0.6) < 1e-5 && fabs(p[1] + 0.8) < 1e-5, "clipped step: got (%g, %g), expected (-0.6, -0.8)", p[0], p[1]);
    g[0] = 0.3f, g[1] = 0.4f;
    p[0] = p[1] = 0;
    CHECK_OK(rnl_optimizer_step(o, p, g, 2, &norm));
    CHECK(fabs(p[0] + 0.3) < 1e-6 && fabs(p[1] + 0.4) < 1e-6, "a norm below the threshold is not clipped");
    g[0] = NAN;
    CHECK(rnl_optimizer_step(o, p, g, 2, &norm) == RNL_ERR_NUMERIC, "a NaN gradient is a numeric fault");
    rnl_optimizer_destroy(o);
}

static double train_adding(rnl_cell cell, int T, int steps, uint64_t seed, rnl_real **params_out, size_t *n_out) {
    rnl_config c = rnl_config_default(cell);
    rnl_task_shape(RNL_TASK_ADDING, &c);
    c.hidden = 32;
    rnl_model *m;
    rnl_optimizer *o;
    CHECK_OK(rnl_model_create(&m, &c, seed));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 0.01f, oc.clip = 1;
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_model_num_params(m)));
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed + 100);
    rnl_step_stats st;
    for (int i = 0; i < steps; i++) {
        CHECK_OK(rnl_task_generate(&d, RNL_TASK_ADDING, 32, T, &rng));
        CHECK_OK(rnl_train_step(m, o, &d.batch, 0, &st));
    }
    // Held-out MSE on 10 fresh batches of 100.
    rnl_rng_seed(&rng, 424242);
    double mse = 0;
    for (int i = 0; i < 10; i++) {
        CHECK_OK(rnl_task_generate(&d, RNL_TASK_ADDING, 100, T, &rng));
        CHECK_OK(rnl_eval_batch(m, &d.batch, &st));
        mse += st.loss / 10;
    }
    if (params_out) {
        *n_out = rnl_model_num_params(m);
        *params_out = malloc(sizeof(rnl_real) * *n_out);
        memcpy(*params_out, rnl_model_params(m), sizeof(rnl_real) * *n_out);
    }
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    return mse;
}

static void test_determinism(void) {
    rnl_real *a, *b;
    size_t na, nb;
    train_adding(RNL_CELL_GRU, 20, 30, 5, &a, &na);
    train_adding(RNL_CELL_GRU, 20, 30, 5, &b, &nb);
    CHECK(na == nb && memcmp(a, b, sizeof(rnl_real) * na) == 0, "same seed, same build: bit-identical parameters after training");
    free(a);
    free(b);
}

// The lesson's central experiment: at length 50 the LSTM learns the adding problem; the test MSE of a
// model without memory is 1/6 = 0.167.
static void test_lstm_learns_adding(void) {
    double mse = train_adding(RNL_CELL_LSTM, 50, 2000, 1, NULL, NULL);
    printf("lstm, adding problem, length 50, 2000 steps: held-out MSE %.5f\n", mse);
    CHECK(mse < 0.01, "the LSTM should solve the adding problem at length 50 (held-out MSE %.5f, want < 0.01; no memory: 0.167)", mse);
}

// A tiny task with the scalar kernels (summation order fixed): the loss after 40 steps is pinned.
static void test_pinned_loss(void) {
    CHECK_OK(rnl_kernels_select("scalar"));
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    rnl_task_shape(RNL_TASK_COPY, &c);
    c.hidden = 16;
    rnl_model *m;
    rnl_optimizer *o;
    CHECK_OK(rnl_model_create(&m, &c, 3));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 0.01f, oc.clip = 1;
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_model_num_params(m)));
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 17);
    rnl_step_stats st = {0};
    double first = 0;
    for (int i = 0; i < 40; i++) {
        CHECK_OK(rnl_task_generate(&d, RNL_TASK_COPY, 16, 6, &rng));
        CHECK_OK(rnl_train_step(m, o, &d.batch, 0, &st));
        if (i == 0) first = st.loss;
    }
    printf("gru, copy task, length 6: loss %.7f at step 1, %.7f at step 40\n", first, st.loss);
    CHECK(fabs(first - log(8.0)) < 0.05, "the first loss should be near chance, ln 8 = 2.079 (got %.5f)", first);
    CHECK(fabs(st.loss - PINNED_LOSS_40) < 1e-4 * PINNED_LOSS_40, "pinned loss after 40 steps: got %.7f, expected %.7f", st.loss, PINNED_LOSS_40);
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    CHECK_OK(rnl_kernels_select(rnl_kernels_list(NULL)[0].name));
}

static void test_numeric_fault_keeps_parameters(void) {
    rnl_config c = rnl_config_default(RNL_CELL_RNN);
    rnl_task_shape(RNL_TASK_ADDING, &c);
    c.hidden = 8;
    rnl_model *m;
    rnl_optimizer *o;
    CHECK_OK(rnl_model_create(&m, &c, 1));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_SGD);
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_model_num_params(m)));
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 1);
    CHECK_OK(rnl_task_generate(&d, RNL_TASK_ADDING, 4, 10, &rng));
    d.inputs[3] = NAN;  // a NaN in the data reaches the loss
    size_t n = rnl_model_num_params(m);
    rnl_real *before = malloc(sizeof(rnl_real) * n);
    memcpy(before, rnl_model_params(m), sizeof(rnl_real) * n);
    rnl_step_stats st;
    rnl_status s = rnl_train_step(m, o, &d.batch, 0, &st);
    CHECK(s == RNL_ERR_NUMERIC, "NaN in training must be a numeric fault, got %s", rnl_status_name(s));
    CHECK(strstr(rnl_last_error(), "step 1: the loss is NaN") != NULL, "message names the step: %s", rnl_last_error());
    CHECK(strstr(rnl_last_error(), "clipping") != NULL, "message suggests a cause: %s", rnl_last_error());
    CHECK(memcmp(before, rnl_model_params(m), sizeof(rnl_real) * n) == 0, "parameters untouched by the failed step");
    free(before);
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
}

static void test_bad_batches(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = 5, c.embed = 2, c.hidden = 3;
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 1));
    int32_t tok[4] = {1, 2, 7, 0}, lens[2] = {2, 2};
    rnl_real y[2] = {1, 0};
    rnl_batch b = {.B = 2, .T = 2, .tokens = tok, .inputs = NULL, .lengths = lens, .targets = y};
    rnl_real loss;
    CHECK(rnl_model_forward(m, &b, &loss) == RNL_ERR_ARG && strstr(rnl_last_error(), "token id 7 is outside the vocabulary"),
          "out-of-range token: %s", rnl_last_error());
    tok[2] = 3;
    lens[1] = 0;
    CHECK(rnl_model_forward(m, &b, &loss) == RNL_ERR_ARG && strstr(rnl_last_error(), "sequence 1 has length 0"), "zero length: %s", rnl_last_error());
    lens[1] = 2;
    y[1] = 2;
    CHECK(rnl_model_forward(m, &b, &loss) == RNL_ERR_ARG && strstr(rnl_last_error(), "binary target"), "bad target: %s", rnl_last_error());
    CHECK(rnl_model_backward(m, 0) == RNL_ERR_ARG, "backward without a good forward is refused");
    rnl_model_destroy(m);
    rnl_config bad = rnl_config_default(RNL_CELL_GRU);
    bad.input_size = 3, bad.hidden = 100000;
    CHECK(rnl_model_create(&m, &bad, 1) == RNL_ERR_ARG && strstr(rnl_last_error(), "hidden is 100000"), "huge hidden: %s", rnl_last_error());
}

static void test_training_bytes(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = 10000, c.embed = 64, c.hidden = 128;
    size_t n = 10000 * 64 + 4 * 128 * (64 + 128 + 2) + 128 + 1;
    size_t adam = rnl_training_bytes(&c, RNL_OPTIM_ADAM, 32, 200), sgd = rnl_training_bytes(&c, RNL_OPTIM_SGD, 32, 200);
    CHECK(adam - sgd == 2 * n * sizeof(rnl_real), "Adam's two moments: %zu - %zu bytes", adam, sgd);
    CHECK(sgd == 2 * n * sizeof(rnl_real) + rnl_model_workspace_bytes(&c, 32, 200), "parameters, gradients and work memory");
    printf("training the bench LSTM (vocab 10000, embed 64, hidden 128, batch 32 x 200 steps) with Adam: %.1f MB\n", adam / 1048576.0);
    c.hidden = 100000;
    CHECK(rnl_training_bytes(&c, RNL_OPTIM_ADAM, 32, 200) == 0, "an invalid configuration has no size");
}

int main(void) {
    test_training_bytes();
    test_sgd_and_momentum();
    test_adam();
    test_clipping();
    test_determinism();
    test_numeric_fault_keeps_parameters();
    test_bad_batches();
    test_pinned_loss();
    test_lstm_learns_adding();
    return tu_summary("test_train");
}

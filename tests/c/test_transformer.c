// test_transformer.c: the Transformer encoder in the float core: the SIMD kernels against the scalar
// reference through the whole model, a learning test (the adding problem), clear refusals of bad
// configurations and batches, and its checkpoint (round trip; every kind of bad file refused with a
// message that says what is wrong; a recurrent model's checkpoint named as such).
#define _POSIX_C_SOURCE 200809L  // mkdtemp
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels.h"
#include "rnnlab_transformer.h"
#include "testutil.h"

static rnl_tf_config small_config(void) {
    rnl_tf_config c = rnl_tf_config_default();
    c.vocab = 11;
    c.d_model = 8;
    c.heads = 2;
    c.layers = 2;
    c.ffn = 16;
    c.head = RNL_HEAD_CLASSES;
    c.outputs = 3;
    return c;
}

// --- The SIMD path against the scalar reference ----------------------------------------------------

// Every kernel variant this CPU runs gives the scalar reference's loss, predictions and gradients to
// float rounding, on a batch whose lengths cross the vector widths.
static void test_kernels_agree(void) {
    rnl_tf_config c = small_config();
    c.d_model = 24, c.heads = 3, c.ffn = 40;
    enum { B = 5, T = 19 };
    int32_t tokens[B * T], lens[B] = {19, 1, 8, 17, 9};
    rnl_real targets[B] = {0, 2, 1, 1, 0};
    rnl_rng rng;
    rnl_rng_seed(&rng, 3);
    for (int i = 0; i < B * T; i++) tokens[i] = (int32_t)rnl_rng_below(&rng, 11);
    rnl_batch b = {.B = B, .T = T, .tokens = tokens, .lengths = lens, .targets = targets};
    rnl_tf *m;
    CHECK_OK(rnl_tf_create(&m, &c, 5));
    if (!m) return;
    size_t n = rnl_tf_num_params(m);
    rnl_real *ref_g = malloc(sizeof(rnl_real) * n), ref_p[B * 3], ref_loss;
    int count;
    const rnl_kernel_set *ks = rnl_kernels_list(&count);
    const char *active = rnl_kernels_active()->name;
    for (int k = 0; k < count; k++) {
        if (!ks[k].available()) continue;
        CHECK_OK(rnl_kernels_select(ks[k].name));
        rnl_real loss;
        rnl_tf_zero_grad(m);
        CHECK_OK(rnl_tf_forward(m, &b, &loss));
        CHECK_OK(rnl_tf_backward(m));
        if (k == 0) {  // the scalar reference comes first
            ref_loss = loss;
            memcpy(ref_p, rnl_tf_predictions(m), sizeof ref_p);
            memcpy(ref_g, rnl_tf_grads(m), sizeof(rnl_real) * n);
            continue;
        }
        char what[96];
        snprintf(what, sizeof what, "%s vs scalar: loss", ks[k].name);
        tu_close_f(what, &loss, &ref_loss, 1, 1e-5, 1e-6);
        snprintf(what, sizeof what, "%s vs scalar: predictions", ks[k].name);
        tu_close_f(what, rnl_tf_predictions(m), ref_p, B * 3, 1e-4, 1e-6);
        snprintf(what, sizeof what, "%s vs scalar: gradients", ks[k].name);
        tu_close_f(what, rnl_tf_grads(m), ref_g, n, 1e-3, 1e-5);
    }
    CHECK_OK(rnl_kernels_select(active));
    free(ref_g);
    rnl_tf_destroy(m);
}

// --- Learning ------------------------------------------------------------------------------------------

// The adding problem at length 30: the encoder must find the two marked values among 30 and add them,
// which attention does in one look. Without learning, the best constant guess has MSE 0.167.
static void test_learns_adding(void) {
    rnl_tf_config c = rnl_tf_config_default();
    c.input_size = 2, c.d_model = 32, c.heads = 4, c.layers = 2, c.ffn = 64;
    c.head = RNL_HEAD_REGRESSION, c.outputs = 1;
    rnl_tf *m;
    CHECK_OK(rnl_tf_create(&m, &c, 42));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.lr = 2e-3f, oc.clip = 1;
    rnl_optimizer *o;
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_tf_num_params(m)));
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, 1);
    rnl_status st = RNL_OK;
    for (int step = 0; step < 600 && !st; step++) {
        CHECK_OK(rnl_task_generate(&d, RNL_TASK_ADDING, 32, 30, &rng));
        CHECK_OK(st = rnl_tf_train_step(m, o, &d.batch, NULL));
    }
    rnl_rng_seed(&rng, 777);
    double mse = 0;
    for (int k = 0; k < 4; k++) {
        rnl_step_stats s;
        CHECK_OK(rnl_task_generate(&d, RNL_TASK_ADDING, 100, 30, &rng));
        CHECK_OK(rnl_tf_eval_batch(m, &d.batch, &s));
        mse += s.loss / 4;
    }
    printf("adding, length 30, 600 steps: held-out MSE %.5f\n", mse);
    CHECK(mse < 0.01, "the Transformer should learn the adding problem at length 30 (held-out MSE %.5f, want < 0.01; "
                      "no memory: 0.167)", mse);
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_tf_destroy(m);
}

// --- Refusals -----------------------------------------------------------------------------------------

static void expect_config_error(const char *what, rnl_tf_config c, const char *substring) {
    rnl_tf *m = (rnl_tf *)1;
    rnl_status st = rnl_tf_create(&m, &c, 1);
    CHECK(st != RNL_OK && m == NULL && strstr(rnl_last_error(), substring), "%s: got %s \"%s\", expected \"%s\"", what,
          rnl_status_name(st), rnl_last_error(), substring);
}

static void test_refusals(void) {
    rnl_tf_config c = small_config();
    c.heads = 3;
    expect_config_error("heads not dividing", c, "heads is 3, must divide hidden (8)");
    c = small_config(), c.heads = 0;
    expect_config_error("no heads", c, "heads is 0, must be in 1..64");
    c = small_config(), c.ffn = 0;
    expect_config_error("no ffn", c, "ffn is 0, must be in 1..16384");
    c = small_config(), c.layers = 9;
    expect_config_error("too deep", c, "layers is 9, must be in 1..8");
    c = small_config(), c.positions = 7;
    expect_config_error("positions", c, "positions is 7, must be 0 (none) or 1 (sinusoidal)");
    c = small_config(), c.vocab = 0;
    expect_config_error("no input", c, "give either vocab");
    c = small_config(), c.vocab = RNL_MAX_VOCAB, c.d_model = 4096, c.heads = 1;
    expect_config_error("too many parameters", c, "the model would have 4");

    rnl_tf *m;
    c = small_config();
    CHECK_OK(rnl_tf_create(&m, &c, 1));
    int32_t tokens[4] = {1, 2, 11, 0}, lens[2] = {2, 2};
    rnl_real tg[2] = {0, 1}, loss;
    rnl_batch b = {.B = 2, .T = 2, .tokens = tokens, .lengths = lens, .targets = tg};
    CHECK(rnl_tf_forward(m, &b, &loss) == RNL_ERR_ARG && strstr(rnl_last_error(), "token id 11 is outside the vocabulary"),
          "bad token: %s", rnl_last_error());
    CHECK(rnl_tf_backward(m) == RNL_ERR_ARG && strstr(rnl_last_error(), "needs a forward pass"), "backward first: %s",
          rnl_last_error());
    tokens[2] = 3, lens[1] = 0;
    CHECK(rnl_tf_forward(m, &b, &loss) == RNL_ERR_ARG && strstr(rnl_last_error(), "sequence 1 has length 0"),
          "zero length: %s", rnl_last_error());
    // Work memory grows with B T^2 heads: a batch past the limit is named before anything is allocated.
    CHECK(rnl_tf_workspace_bytes(&c, 64, 20000) == 0 || rnl_tf_workspace_bytes(&c, 64, 20000) > RNL_MAX_WORKSPACE,
          "64 x 20000 is past the work-memory limit");
    int32_t *big = calloc((size_t)64 * 20000, sizeof(int32_t));
    rnl_batch huge = {.B = 64, .T = 20000, .tokens = big};
    CHECK(rnl_tf_forward(m, &huge, NULL) == RNL_ERR_NOMEM &&
              strstr(rnl_last_error(), "transformer: a batch of 64 sequences x 20000 steps needs more than the 1024 MB"),
          "huge batch: %s", rnl_last_error());
    free(big);
    CHECK(rnl_tf_training_bytes(&c, RNL_OPTIM_ADAM, 32, 100) ==
              4 * sizeof(rnl_real) * rnl_tf_num_params(m) + rnl_tf_workspace_bytes(&c, 32, 100),
          "training bytes: parameters, gradients, Adam's two moments and the work memory");
    rnl_tf_destroy(m);
}

// --- Checkpoints ----------------------------------------------------------------------------------------

static void expect_error(const char *what, const uint8_t *b, size_t n, rnl_status want, const char *substring) {
    rnl_tf *m = (rnl_tf *)1;
    rnl_optimizer *o = (rnl_optimizer *)1;
    rnl_status st = rnl_tf_checkpoint_read(b, n, &m, &o);
    CHECK(st == want && strstr(rnl_last_error(), substring) != NULL && m == NULL && o == NULL,
          "%s: got %s \"%s\", expected %s containing \"%s\"", what, rnl_status_name(st), rnl_last_error(),
          rnl_status_name(want), substring);
}

static void test_checkpoint(void) {
    rnl_tf_config c = small_config();
    rnl_tf *m, *m2 = NULL;
    CHECK_OK(rnl_tf_create(&m, &c, 9));
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
    oc.clip = 2;
    rnl_optimizer *o, *o2 = NULL;
    CHECK_OK(rnl_optimizer_create(&o, &oc, rnl_tf_num_params(m)));
    size_t ns;
    rnl_real *s = rnl_optimizer_state(o, &ns);
    for (size_t i = 0; i < ns; i++) s[i] = (rnl_real)(i % 7) * 0.25f;
    rnl_optimizer_set_steps(o, 12);
    const uint8_t meta[3] = {'a', 'b', 'c'};
    CHECK_OK(rnl_tf_set_meta(m, meta, 3));
    uint8_t *buf;
    size_t n, mn;
    CHECK_OK(rnl_tf_checkpoint_write(m, o, &buf, &n));
    CHECK(n > 8 && memcmp(buf, "RNNLABTF", 8) == 0, "magic RNNLABTF");
    CHECK_OK(rnl_tf_checkpoint_read(buf, n, &m2, &o2));
    if (m2 && o2) {
        CHECK(memcmp(rnl_tf_get_config(m), rnl_tf_get_config(m2), sizeof c) == 0, "config round-trips");
        CHECK(memcmp(rnl_tf_params(m), rnl_tf_params(m2), sizeof(rnl_real) * rnl_tf_num_params(m)) == 0,
              "parameters round-trip exactly");
        size_t a, b2;
        rnl_real *sa = rnl_optimizer_state(o, &a), *sb = rnl_optimizer_state(o2, &b2);
        CHECK(a == b2 && memcmp(sa, sb, sizeof(rnl_real) * a) == 0 && rnl_optimizer_steps(o2) == 12, "optimizer round-trips");
        const uint8_t *back = rnl_tf_meta(m2, &mn);
        CHECK(back && mn == 3 && memcmp(back, meta, 3) == 0, "meta bytes round-trip");
        uint8_t *buf2;
        size_t n2;
        CHECK_OK(rnl_tf_checkpoint_write(m2, o2, &buf2, &n2));
        CHECK(n2 == n && memcmp(buf, buf2, n) == 0, "write(read(x)) == x, byte for byte");
        rnl_buffer_free(buf2);
    }
    rnl_tf_destroy(m2);
    rnl_optimizer_destroy(o2);

    int all_refused = 1;
    for (size_t k = 0; k < n; k += (k < 200 ? 1 : 97)) {
        rnl_tf *t = NULL;
        if (rnl_tf_checkpoint_read(buf, k, &t, NULL) == RNL_OK) all_refused = 0, rnl_tf_destroy(t);
    }
    CHECK(all_refused, "every truncated checkpoint is refused");

    uint8_t *bad = malloc(n + 8);
    memcpy(bad, buf, n);
    expect_error("empty", bad, 0, RNL_ERR_FORMAT, "not an rnnlab transformer checkpoint");
    expect_error("truncated header", bad, 60, RNL_ERR_FORMAT, "truncated: 60 bytes, shorter than the 116-byte header");
    expect_error("truncated data", bad, n - 10, RNL_ERR_FORMAT, "truncated");
    memcpy(bad + n, "junkjunk", 8);
    expect_error("trailing bytes", bad, n + 8, RNL_ERR_FORMAT, "8 unexpected bytes after the end");
    memcpy(bad, buf, n);
    tu_put32(bad + 8, 2);
    expect_error("newer version", bad, n, RNL_ERR_FORMAT, "format version 2; this build of rnnlab reads version 1");
    memcpy(bad, buf, n);
    bad[n / 2] ^= 0x40;
    expect_error("flipped bit", bad, n, RNL_ERR_FORMAT, "checksum mismatch");
    memcpy(bad, buf, n);
    tu_put32(bad + 28, 3);  // heads = 3 with D = 8
    tu_reseal(bad, n);
    expect_error("heads not dividing D", bad, n, RNL_ERR_FORMAT, "bad model configuration: config: heads is 3, must divide hidden (8)");
    memcpy(bad, buf, n);
    tu_put32(bad + 36, 0x7fffffff);  // ffn = 2^31 - 1: refused before any allocation
    tu_reseal(bad, n);
    expect_error("huge ffn", bad, n, RNL_ERR_FORMAT, "ffn is 2147483647");
    memcpy(bad, buf, n);
    tu_put32(bad + 112, 0x7fc00000u);  // the first parameter is NaN
    tu_reseal(bad, n);
    expect_error("NaN weight", bad, n, RNL_ERR_FORMAT, "parameter 0 is not a finite number");
    memcpy(bad, buf, n);
    tu_put32(bad + 56, 12345);
    tu_reseal(bad, n);
    expect_error("wrong parameter count", bad, n, RNL_ERR_FORMAT, "holds 12345 parameters, but its configuration has");
    memcpy(bad, "RNNLABCK", 8);
    expect_error("a recurrent checkpoint", bad, n, RNL_ERR_FORMAT, "a recurrent model's checkpoint, not a Transformer's");
    free(bad);

    // Files: saved atomically, loaded back; a missing file names itself.
    char dir[] = "/tmp/rnl_tf_XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/t.rnl", dir);
    CHECK_OK(rnl_tf_checkpoint_save(m, o, path));
    CHECK_OK(rnl_tf_checkpoint_load(path, &m2, NULL));
    rnl_tf_destroy(m2);
    remove(path);
    CHECK(rnl_tf_checkpoint_load(path, &m2, NULL) == RNL_ERR_IO && strstr(rnl_last_error(), "No such file"), "missing: %s",
          rnl_last_error());
    rmdir(dir);
    rnl_buffer_free(buf);
    rnl_optimizer_destroy(o);
    rnl_tf_destroy(m);
}

int main(void) {
    test_kernels_agree();
    test_refusals();
    test_checkpoint();
    test_learns_adding();
    return tu_summary("test_transformer");
}

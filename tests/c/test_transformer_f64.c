// test_transformer_f64.c: finite-difference gradient checks of the Transformer encoder in double precision
// (the RNL_DOUBLE core): every tensor, token and real-valued inputs, every head, one and several heads and
// layers, masked variable-length batches, positions on and off. Central differences, h = 1e-5.
// Also: padding never changes a result (garbage in the padding, same loss, predictions and gradients), and
// the packed attention is exactly attention with PyTorch's key-padding mask (a direct, unpacked reference).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_transformer.h"
#include "testutil.h"

typedef struct {
    rnl_tf_config cfg;
    int B, T;
    int32_t lengths[8];
    int32_t *tokens;
    rnl_real *inputs, *targets;
} problem;

static void make_problem(problem *p, rnl_rng *rng) {
    const rnl_tf_config *c = &p->cfg;
    int B = p->B, T = p->T;
    p->tokens = NULL;
    p->inputs = NULL;
    if (c->vocab > 0) {
        p->tokens = malloc(sizeof(int32_t) * B * T);
        for (int i = 0; i < B * T; i++) p->tokens[i] = (int32_t)rnl_rng_below(rng, (uint32_t)c->vocab);
    } else {
        p->inputs = malloc(sizeof(rnl_real) * B * T * c->input_size);
        for (int i = 0; i < B * T * c->input_size; i++) p->inputs[i] = (rnl_real)rnl_rng_normal(rng);
    }
    int per = c->head == RNL_HEAD_REGRESSION ? c->outputs : 1;
    p->targets = malloc(sizeof(rnl_real) * B * per);
    for (int i = 0; i < B * per; i++) {
        switch (c->head) {
        case RNL_HEAD_BINARY: p->targets[i] = (rnl_real)rnl_rng_uniform(rng); break;
        case RNL_HEAD_CLASSES: p->targets[i] = (rnl_real)rnl_rng_below(rng, (uint32_t)c->outputs); break;
        case RNL_HEAD_REGRESSION: p->targets[i] = (rnl_real)rnl_rng_normal(rng); break;
        }
    }
}

static void free_problem(problem *p) {
    free(p->tokens);
    free(p->inputs);
    free(p->targets);
}

static rnl_batch batch_of(const problem *p) {
    rnl_batch b = {.B = p->B, .T = p->T, .tokens = p->tokens, .inputs = p->inputs, .lengths = p->lengths, .targets = p->targets};
    return b;
}

typedef struct {
    rnl_tf *m;
    const rnl_batch *b;
} loss_ctx;

static double loss_at(void *ctx) {
    const loss_ctx *c = ctx;
    rnl_real loss;
    rnl_status st = rnl_tf_forward(c->m, c->b, &loss);
    if (st) fprintf(stderr, "forward failed: %s\n", rnl_last_error());
    return loss;
}

// LayerNorm gains and biases start at exactly 1 and 0, and biases at 0: moved off them, so that every
// tensor's gradient is checked away from a special point.
static void perturb_params(rnl_tf *m, rnl_rng *rng) {
    rnl_real *p = rnl_tf_params(m);
    for (size_t i = 0; i < rnl_tf_num_params(m); i++) p[i] = p[i] * 1.5 + 0.1 * rnl_rng_normal(rng);
}

static void gradcheck(const char *name, problem *p) {
    rnl_rng rng;
    rnl_rng_seed(&rng, 1234);
    make_problem(p, &rng);
    rnl_tf *m;
    CHECK_OK(rnl_tf_create(&m, &p->cfg, 7));
    if (!m) return;
    perturb_params(m, &rng);
    rnl_batch b = batch_of(p);
    size_t n = rnl_tf_num_params(m);
    rnl_real loss;
    rnl_tf_zero_grad(m);
    CHECK_OK(rnl_tf_forward(m, &b, &loss));
    CHECK_OK(rnl_tf_backward(m));
    double *an = malloc(sizeof(double) * n), *fd = malloc(sizeof(double) * n);
    memcpy(an, rnl_tf_grads(m), sizeof(double) * n);
    loss_ctx lc = {m, &b};
    tu_central_diff(fd, rnl_tf_params(m), n, 1e-5, loss_at, &lc);
    char what[200];
    for (int k = 0; k < rnl_tf_num_tensors(m); k++) {
        const rnl_tensor_info *ti = rnl_tf_tensor(m, k);
        snprintf(what, sizeof what, "%s: d loss / d %s", name, ti->name);
        tu_close(what, an + ti->offset, fd + ti->offset, (size_t)ti->rows * ti->cols, 1e-6, 1e-9);
        // Every tensor takes part: a zero gradient would prove nothing about it. (Embedding rows of unread
        // tokens are zero, so the embedding is checked as a whole.)
        double t2 = 0;
        for (size_t i = 0; i < (size_t)ti->rows * ti->cols; i++) t2 += an[ti->offset + i] * an[ti->offset + i];
        CHECK(t2 > 1e-14, "%s: the gradient is zero", what);
    }
    free(an);
    free(fd);
    rnl_tf_destroy(m);
    free_problem(p);
}

static problem base_problem(int tokens, int D, int heads, int layers, rnl_head head) {
    problem p;
    memset(&p, 0, sizeof p);
    p.cfg = rnl_tf_config_default();
    if (tokens) p.cfg.vocab = 7;
    else p.cfg.input_size = 3;
    p.cfg.d_model = D;
    p.cfg.heads = heads;
    p.cfg.layers = layers;
    p.cfg.ffn = 6;
    p.cfg.head = head;
    p.cfg.outputs = head == RNL_HEAD_CLASSES ? 3 : head == RNL_HEAD_REGRESSION ? 2 : 1;
    p.B = 4;
    p.T = 5;
    int32_t lens[4] = {3, 5, 1, 4};  // unsorted, with a length-1 sequence (attention over one key)
    memcpy(p.lengths, lens, sizeof lens);
    return p;
}

static void test_gradients(void) {
    const char *heads[] = {"binary", "classes", "regression"};
    char name[128];
    for (int h = 0; h < 3; h++)
        for (int tokens = 0; tokens < 2; tokens++) {
            problem p = base_problem(tokens, 4, 1, 1, (rnl_head)h);
            snprintf(name, sizeof name, "1 head 1 layer, %s inputs, %s", tokens ? "token" : "real", heads[h]);
            gradcheck(name, &p);
        }
    problem p = base_problem(1, 6, 2, 2, RNL_HEAD_CLASSES);
    gradcheck("2 heads 2 layers, tokens, classes, masked", &p);
    p = base_problem(0, 8, 4, 3, RNL_HEAD_REGRESSION);
    gradcheck("4 heads 3 layers, real inputs, regression, masked", &p);
    p = base_problem(1, 6, 3, 2, RNL_HEAD_BINARY);
    p.cfg.positions = RNL_TF_POS_NONE;
    gradcheck("3 heads 2 layers, no positions", &p);
    p = base_problem(1, 6, 2, 2, RNL_HEAD_BINARY);
    p.lengths[0] = p.lengths[1] = p.lengths[2] = p.lengths[3] = 5;
    gradcheck("2 heads 2 layers, equal lengths", &p);
}

// Garbage in the padding (tokens and features past each length) changes nothing: loss, predictions,
// gradients, bit for bit.
static void test_padding_invariance(void) {
    for (int tokens = 0; tokens < 2; tokens++) {
        problem p = base_problem(tokens, 6, 2, 2, RNL_HEAD_BINARY);
        rnl_rng rng;
        rnl_rng_seed(&rng, 99);
        make_problem(&p, &rng);
        rnl_tf *m;
        CHECK_OK(rnl_tf_create(&m, &p.cfg, 3));
        size_t n = rnl_tf_num_params(m);
        rnl_batch b = batch_of(&p);
        rnl_real l1, l2;
        double *g1 = malloc(sizeof(double) * n), pr1[4];
        rnl_tf_zero_grad(m);
        CHECK_OK(rnl_tf_forward(m, &b, &l1));
        memcpy(pr1, rnl_tf_predictions(m), sizeof pr1);
        CHECK_OK(rnl_tf_backward(m));
        memcpy(g1, rnl_tf_grads(m), sizeof(double) * n);
        for (int i = 0; i < p.B; i++)
            for (int t = p.lengths[i]; t < p.T; t++) {
                if (tokens) p.tokens[i * p.T + t] = (int32_t)rnl_rng_below(&rng, 7);
                else
                    for (int k = 0; k < 3; k++) p.inputs[(i * p.T + t) * 3 + k] = (rnl_real)(1e6 * rnl_rng_normal(&rng));
            }
        rnl_tf_zero_grad(m);
        CHECK_OK(rnl_tf_forward(m, &b, &l2));
        CHECK(l1 == l2, "padding changed the loss: %.17g vs %.17g", l1, l2);
        CHECK(memcmp(pr1, rnl_tf_predictions(m), sizeof pr1) == 0, "padding changed the predictions");
        CHECK_OK(rnl_tf_backward(m));
        CHECK(memcmp(g1, rnl_tf_grads(m), sizeof(double) * n) == 0, "padding changed the gradients");
        free(g1);
        rnl_tf_destroy(m);
        free_problem(&p);
    }
}

// The packed attention against a direct reference: every sequence run alone at its own length gives the
// same prediction as the padded batch (a padded key would change the softmax of every real query).
static void test_alone_equals_batched(void) {
    problem p = base_problem(1, 8, 2, 2, RNL_HEAD_CLASSES);
    rnl_rng rng;
    rnl_rng_seed(&rng, 5);
    make_problem(&p, &rng);
    rnl_tf *m;
    CHECK_OK(rnl_tf_create(&m, &p.cfg, 11));
    rnl_batch b = batch_of(&p);
    CHECK_OK(rnl_tf_forward(m, &b, NULL));
    double all[4 * 3];
    memcpy(all, rnl_tf_predictions(m), sizeof all);
    int len;
    const rnl_real *a = rnl_tf_attention(m, 1, 1, 3, &len);
    CHECK(a && len == 4, "attention of sample 3: len %d", len);
    for (int i = 0; a && i < len; i++) {
        double s = 0;
        for (int j = 0; j < len; j++) s += a[i * len + j];
        CHECK(fabs(s - 1) < 1e-12, "attention row %d sums to %.17g", i, s);
    }
    for (int i = 0; i < p.B; i++) {
        rnl_batch one = {.B = 1, .T = p.lengths[i], .tokens = p.tokens + i * p.T};
        CHECK_OK(rnl_tf_forward(m, &one, NULL));
        char what[64];
        snprintf(what, sizeof what, "sequence %d alone vs in the batch", i);
        tu_close(what, rnl_tf_predictions(m), all + 3 * i, 3, 1e-12, 1e-14);
    }
    rnl_tf_destroy(m);
    free_problem(&p);
}

int main(void) {
    test_gradients();
    test_padding_invariance();
    test_alone_equals_batched();
    return tu_summary("test_transformer_f64");
}

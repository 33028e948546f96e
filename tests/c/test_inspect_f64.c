// test_inspect_f64.c: the walk (rnnlab_inspect.h) in the double-precision core, where it must equal the
// model's forward and backward to rounding: gates, states and outputs at every step, ||dL/dh_t|| per layer,
// the paths of the backward view summing to step t's part of dL/dh_{t-1}, and dL/dx_t against central
// finite differences of the loss in the embedding (or input) it read. Every cell, 1 and 2 layers, tokens
// and real inputs, binary, classes and regression heads; and mean- and max-pooled heads.
#include <stdio.h>

#include "inspect_common.h"

typedef struct {
    rnl_model *m;
    const rnl_batch *b;
} loss_ctx;

static double loss_at(void *ctx) {
    const loss_ctx *c = ctx;
    rnl_real loss;
    if (rnl_model_forward(c->m, c->b, &loss)) fprintf(stderr, "forward failed: %s\n", rnl_last_error());
    return loss;
}

// dL/dx_t from the walk against finite differences in what step t read: the embedding row of its token
// (read at that step only: the tokens are distinct) or the input features.
static void check_input_grad(const char *name, rnl_model *m, ic_seq *s, const rnl_walk *w) {
    const rnl_config *c = rnl_model_config(m);
    const int T = s->b.T, in = c->vocab ? c->embed : c->input_size;
    double an[8], fd[8];
    loss_ctx lc = {m, &s->b};
    for (int t = 0; t < T; t++) {
        CHECK_OK(rnl_walk_input_grad(w, t, an));
        rnl_real *x = c->vocab ? rnl_model_params(m) + rnl_model_tensor(m, 0)->offset + (size_t)s->tokens[t] * in
                               : s->inputs + (size_t)t * in;
        tu_central_diff(fd, x, (size_t)in, 1e-6, loss_at, &lc);
        char what[160];
        snprintf(what, sizeof what, "%s: dL/dx_%d against finite differences", name, t);
        tu_close(what, an, fd, (size_t)in, 1e-6, 1e-9);
    }
}

int main(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    const rnl_head heads[3] = {RNL_HEAD_BINARY, RNL_HEAD_CLASSES, RNL_HEAD_REGRESSION};
    for (int ci = 0; ci < 3; ci++)
        for (int layers = 1; layers <= 2; layers++)
            for (int tokens = 0; tokens < 2; tokens++)
                for (int hi = 0; hi < 3; hi++) {
                    char name[96];
                    snprintf(name, sizeof name, "%s layers=%d %s %s", rnl_cell_name(cells[ci]), layers,
                             tokens ? "tokens" : "dense", rnl_head_name(heads[hi]));
                    rnl_model *m = ic_model(cells[ci], layers, heads[hi], tokens ? 13 : 0, 5 + ci);
                    if (!m) continue;
                    ic_seq s;
                    ic_sequence(&s, m, 7);
                    rnl_walk *w = ic_check_walk(name, m, &s, 1e-10, 1e-12);
                    if (w) {
                        ic_check_paths(name, m, w);
                        check_input_grad(name, m, &s, w);
                        // The LSTM's cell path carries gradient through f_t alone: it is nonzero before the last step.
                        rnl_grad_paths g;
                        CHECK_OK(rnl_walk_paths(w, 0, 3, &g));
                        CHECK(g.norms[0] > 0 && g.grad_h > 0, "%s: a gradient reaches step 3 (%g, %g)", name, g.norms[0], g.grad_h);
                    }
                    rnl_walk_destroy(w);
                    rnl_model_destroy(m);
                }
    // Pooled heads: the output after step t is the head over the pool of steps 0..t (against
    // rnl_model_predict_steps), and the backward hands the head's part to every step it read.
    for (int pool = RNL_POOLING_MEAN; pool <= RNL_POOLING_MAX; pool++)
        for (int ci = 0; ci < 3; ci++)
            for (int layers = 1; layers <= 2; layers++)
                for (int tokens = 0; tokens < 2; tokens++) {
                    rnl_head head = tokens ? RNL_HEAD_BINARY : RNL_HEAD_CLASSES;
                    char name[96];
                    snprintf(name, sizeof name, "%s pool: %s layers=%d %s %s", rnl_pooling_name((rnl_pooling)pool), rnl_cell_name(cells[ci]),
                             layers, tokens ? "tokens" : "dense", rnl_head_name(head));
                    rnl_model *m = ic_model_pooled(cells[ci], layers, head, tokens ? 13 : 0, 5 + ci, (rnl_pooling)pool);
                    if (!m) continue;
                    ic_seq s;
                    ic_sequence(&s, m, 7);
                    rnl_walk *w = ic_check_walk(name, m, &s, 1e-10, 1e-12);
                    if (w) {
                        ic_check_paths(name, m, w);
                        check_input_grad(name, m, &s, w);
                    }
                    rnl_walk_destroy(w);
                    rnl_model_destroy(m);
                }
    return tu_summary("test_inspect_f64");
}

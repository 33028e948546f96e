// cli_model.c: the commands that take a model over rnl_batch (train, eval, info, grad, predict) hold a
// recurrent model or a Transformer encoder as an rnl_run_net (rnnlab_run.h); which one a checkpoint holds
// is its magic (docs/checkpoint-format.md). Loading, saving and the tensor table of either are here, so the
// commands themselves are written once.
#include <string.h>

#include "cli.h"

// The first 8 bytes of path, or "" if they cannot be read (the loader then names the problem).
static int has_magic(const char *path, const char *magic) {
    char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(head, 1, 8, f);
    fclose(f);
    return n == 8 && memcmp(head, magic, 8) == 0;
}

int cli_net_load(const char *cmd, const char *path, rnl_run_net *n, rnl_optimizer **o) {
    *n = (rnl_run_net){NULL, NULL};
    rnl_status st = has_magic(path, RNL_TF_MAGIC) ? rnl_tf_checkpoint_load(path, &n->tf, o)
                                                  : rnl_checkpoint_load(path, &n->rnn, o);
    return st ? cli_error(cmd, "%s", rnl_last_error()) : 0;
}

rnl_status cli_net_save(rnl_run_net n, const rnl_optimizer *o, const char *path) {
    return n.tf ? rnl_tf_checkpoint_save(n.tf, o, path) : rnl_checkpoint_save(n.rnn, o, path);
}

void cli_net_destroy(rnl_run_net n) {
    rnl_tf_destroy(n.tf);
    rnl_model_destroy(n.rnn);
}

int cli_net_num_tensors(rnl_run_net n) { return n.tf ? rnl_tf_num_tensors(n.tf) : rnl_model_num_tensors(n.rnn); }
const rnl_tensor_info *cli_net_tensor(rnl_run_net n, int i) { return n.tf ? rnl_tf_tensor(n.tf, i) : rnl_model_tensor(n.rnn, i); }
rnl_real *cli_net_grads(rnl_run_net n) { return n.tf ? rnl_tf_grads(n.tf) : rnl_model_grads(n.rnn); }
const uint8_t *cli_net_meta(rnl_run_net n, size_t *len) { return n.tf ? rnl_tf_meta(n.tf, len) : rnl_model_meta(n.rnn, len); }

rnl_status cli_net_gradients(rnl_run_net n, const rnl_batch *b, int bptt, rnl_real *loss) {
    rnl_status st;
    if (n.tf) {
        rnl_tf_zero_grad(n.tf);
        if ((st = rnl_tf_forward(n.tf, b, loss))) return st;
        return rnl_tf_backward(n.tf);
    }
    rnl_model_zero_grad(n.rnn);
    if ((st = rnl_model_forward(n.rnn, b, loss))) return st;
    return rnl_model_backward(n.rnn, bptt);
}

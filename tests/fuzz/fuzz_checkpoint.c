// fuzz_checkpoint.c: libFuzzer target for the checkpoint reader. Any bytes: a model or a clear error,
// never a crash, a leak or an out-of-bounds read; an accepted model must also run a forward pass.
#include <stdint.h>
#include <stdlib.h>

#include "rnnlab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_model *m = NULL;
    rnl_optimizer *o = NULL;
    if (rnl_checkpoint_read(data, size, &m, &o) != RNL_OK) return 0;
    const rnl_config *c = rnl_model_config(m);
    // A forward pass on a tiny batch proves the accepted sizes are consistent.
    if (rnl_model_num_params(m) < (1u << 20)) {
        int32_t tok[2] = {0, 1 % (c->vocab ? c->vocab : 1)};
        rnl_real in[2 * RNL_MAX_WIDTH] = {0};
        rnl_batch b = {1, 2, c->vocab ? tok : NULL, c->vocab ? NULL : in, NULL, NULL};
        if (c->input_size <= RNL_MAX_WIDTH) rnl_model_forward(m, &b, NULL);
    }
    uint8_t *buf;
    size_t n;
    if (rnl_checkpoint_write(m, o, &buf, &n) == RNL_OK) {
        // What was read is written back to the same bytes.
        if (n != size) abort();
        rnl_buffer_free(buf);
    }
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    return 0;
}

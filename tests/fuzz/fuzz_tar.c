// fuzz_tar.c: libFuzzer target for the streaming tar reader and the IMDB reader behind it. The first
// byte picks the chunk size the bytes are fed in (1..256), so the reader's state machine is exercised at
// every boundary; the rest is the archive. Never a crash, a leak or an out-of-bounds read.
#include <stdint.h>

#include "rnnlab_data.h"

static rnl_status on_member(void *user, const char *name, const uint8_t *data, size_t size) {
    (void)name;
    size_t *total = user;
    for (size_t i = 0; i < size; i++) *total += data[i];  // touch every byte handed over
    return RNL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = 1 + data[0], total = 0;
    data++, size--;
    rnl_tar_reader *r;
    if (rnl_tar_create(&r, "fuzz.tar", NULL, on_member, &total) == RNL_OK) {
        rnl_status st = RNL_OK;
        for (size_t at = 0; at < size && !st; at += chunk) st = rnl_tar_feed(r, data + at, size - at < chunk ? size - at : chunk);
        if (!st) rnl_tar_finish(r);
        rnl_tar_destroy(r);
    }
    // The same bytes through the IMDB reader (what the page feeds a dropped archive to).
    rnl_imdb_config ic = rnl_imdb_default();
    ic.n_train = 2, ic.n_val = 0, ic.n_test = 2, ic.vocab_words = 50, ic.max_len = 20;
    rnl_imdb *im;
    if (rnl_imdb_create(&im, &ic) == RNL_OK) {
        rnl_status st = RNL_OK;
        for (size_t at = 0; at < size && !st; at += chunk) st = rnl_imdb_feed_tar(im, data + at, size - at < chunk ? size - at : chunk);
        rnl_dataset *ds = NULL;
        if (!st && rnl_imdb_end_tar(im) == RNL_OK && rnl_imdb_build(im, &ds) == RNL_OK) rnl_dataset_destroy(ds);
        rnl_imdb_destroy(im);
    }
    return 0;
}

// fuzz_text_csv.c: libFuzzer target for the reviews CSV reader (rnl_text_csv_dataset, core/src/data/
// textcsv.c): any bytes either fail with a message that names the file, leaving no dataset, or give a
// dataset that writes to a valid data file and reads back the same. The input's length picks the sizes
// (all a balanced subset allows, or small fixed ones), keep_end and the seed, so both size paths run.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_imdb_config cfg = rnl_imdb_default();
    int all = size % 3 != 0;
    cfg.n_train = all ? RNL_TEXT_CSV_ALL : 2;
    cfg.n_val = all ? RNL_TEXT_CSV_ALL : (int)(size % 2);
    cfg.n_test = all ? RNL_TEXT_CSV_ALL : 1;
    cfg.vocab_words = 50;
    cfg.max_len = 16;
    cfg.keep_end = (int)(size & 1);
    cfg.seed = size;
    rnl_dataset *ds = (rnl_dataset *)&cfg;  // must come back NULL on failure
    rnl_text_csv_info info;
    if (rnl_text_csv_dataset("fuzz.csv", (const char *)data, size, &cfg, &ds, &info) != RNL_OK) {
        if (ds || strncmp(rnl_last_error(), "fuzz.csv", 8) != 0) abort();
        return 0;
    }
    if (info.rows < 1 || rnl_dataset_size(ds) < 2) abort();  // at least one review of each label
    uint8_t *buf;
    size_t n;
    rnl_dataset *back;
    if (rnl_dataset_write(ds, &buf, &n) != RNL_OK || rnl_dataset_read(buf, n, "back.rnld", &back) != RNL_OK) abort();
    if (rnl_dataset_size(back) != rnl_dataset_size(ds)) abort();
    rnl_dataset_destroy(back);
    free(buf);
    rnl_dataset_destroy(ds);
    return 0;
}

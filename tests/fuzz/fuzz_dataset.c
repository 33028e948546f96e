// fuzz_dataset.c: libFuzzer target for the data file reader (.rnld, docs/data-format.md). An accepted
// file must also batch, and write back to the same bytes.
#include <stdint.h>
#include <stdlib.h>

#include "rnnlab_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_dataset *ds;
    if (rnl_dataset_read(data, size, "fuzz.rnld", &ds) != RNL_OK) return 0;
    int n = rnl_dataset_size(ds);
    if (n > 0) {
        rnl_task_data d;
        rnl_task_data_init(&d);
        int32_t idx[4] = {0, n - 1, n / 2, 0};
        rnl_dataset_batch(ds, idx, n < 4 ? n : 4, &d);
        rnl_task_data_free(&d);
    }
    uint8_t *buf;
    size_t m;
    if (rnl_dataset_write(ds, &buf, &m) == RNL_OK) {
        if (m != size) abort();  // what was read is written back whole
        free(buf);
    }
    rnl_dataset_destroy(ds);
    return 0;
}

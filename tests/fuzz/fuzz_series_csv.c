// fuzz_series_csv.c: libFuzzer target for the CSV time-series reader and the windows made from it.
#include <stdint.h>

#include "rnnlab_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_series s = {0};
    if (rnl_series_parse_csv(&s, "fuzz.csv", (const char *)data, size, size % 3 ? NULL : "Temp") == RNL_OK) {
        rnl_series_config sc = rnl_series_default();
        sc.window = 3;
        rnl_dataset *ds;
        if (rnl_dataset_from_series(&ds, &s, &sc) == RNL_OK) rnl_dataset_destroy(ds);
    }
    rnl_series_free(&s);
    return 0;
}

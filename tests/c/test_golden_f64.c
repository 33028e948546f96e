// test_golden_f64.c: test_golden.c against the double-precision core (RNL_DOUBLE), at rtol 1e-9.
#include "test_golden.c"

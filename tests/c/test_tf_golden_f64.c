// test_tf_golden_f64.c: test_tf_golden.c against the double-precision core (RNL_DOUBLE), at rtol 1e-9.
#include "test_tf_golden.c"

// loss.c: the binary cross-entropy on logits, as a flat function over n items: mean loss out, dL/dlogit
// (divided by n) optionally. The softmax cross-entropy and the squared error are derived inline, one
// output row at a time, where the predictions and the accuracy come out of the same pass (rnl_head_loss in
// model.c; seq2seq.c for its decoder).
#include "internal.h"

rnl_real rnl_loss_bce_logits(const rnl_real *z, const rnl_real *y, int n, rnl_real *dz) {
    // max(z, 0) - z*y + log(1 + exp(-|z|)): exact, and no overflow for any z.
    double sum = 0;
    for (int i = 0; i < n; i++) {
        rnl_real a = z[i];
        sum += (a > 0 ? a : 0) - a * y[i] + r_log1p(r_exp(-r_fabs(a)));
        if (dz) dz[i] = (r_sigmoid(a) - y[i]) / n;
    }
    return (rnl_real)(sum / n);
}

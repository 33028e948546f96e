// loss.c: losses as flat functions over n items: mean loss out, dL/dinput (divided by n) optionally.
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

rnl_real rnl_loss_softmax_ce(const rnl_real *z, const rnl_real *y, int n, int k, rnl_real denom, rnl_real *dz) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        const rnl_real *zi = z + (size_t)i * k;
        int cls = (int)y[i];
        rnl_real mx = zi[0];
        for (int j = 1; j < k; j++)
            if (zi[j] > mx) mx = zi[j];
        double s = 0;
        for (int j = 0; j < k; j++) s += r_exp(zi[j] - mx);
        sum += log(s) + mx - zi[cls];
        if (dz)
            for (int j = 0; j < k; j++) dz[(size_t)i * k + j] = (rnl_real)((r_exp(zi[j] - mx) / s - (j == cls)) / denom);
    }
    return (rnl_real)(sum / denom);
}

rnl_real rnl_loss_mse(const rnl_real *p, const rnl_real *y, int n, rnl_real *dp) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        rnl_real e = p[i] - y[i];
        sum += (double)e * e;
        if (dp) dp[i] = 2 * e / n;
    }
    return (rnl_real)(sum / n);
}

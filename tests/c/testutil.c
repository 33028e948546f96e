// testutil.c: see testutil.h.
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tu_failures = 0;
int tu_checks = 0;

int tu_close(const char *what, const double *a, const double *b, size_t n, double rtol, double atol) {
    size_t bad = 0, first = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(a[i] - b[i]), lim = atol + rtol * fabs(b[i]);
        if (!(err <= lim)) {
            if (bad == 0) first = i;
            bad++;
        }
        if (err > worst) worst = err;
    }
    tu_checks++;
    if (bad) {
        tu_failures++;
        fprintf(stderr, "%s: %zu of %zu values differ (rtol %g, atol %g, worst abs err %g); first at [%zu]: got %.9g expected %.9g\n",
                what, bad, n, rtol, atol, worst, first, a[first], b[first]);
        return 0;
    }
    return 1;
}

int tu_close_f(const char *what, const float *a, const float *b, size_t n, double rtol, double atol) {
    double *da = malloc(sizeof(double) * (n ? n : 1)), *db = malloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) da[i] = a[i], db[i] = b[i];
    int r = tu_close(what, da, db, n, rtol, atol);
    free(da);
    free(db);
    return r;
}

static const char *join(const char *dir, const char *rel) {
    static char buf[4][1024];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, rel);
    return buf[k];
}

const char *tu_source_path(const char *rel) {
    const char *d = getenv("RNL_SOURCE_DIR");
    return join(d ? d : ".", rel);
}

const char *tu_shared_path(const char *rel) {
    const char *d = getenv("RNL_SHARED_DATA");
    struct stat sb;
    if (!d || stat(d, &sb) != 0) return NULL;
    return join(d, rel);
}

int tu_summary(const char *name) {
    printf("%s: %d checks, %d failures\n", name, tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}

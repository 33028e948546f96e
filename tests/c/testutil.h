// testutil.h: the few helpers every C test shares: checks that print what differed, and a summary.
#ifndef RNNLAB_TESTUTIL_H
#define RNNLAB_TESTUTIL_H

#include <stdio.h>
#include "rnnlab.h"

extern int tu_failures;
extern int tu_checks;

#define CHECK(cond, ...)                                                           \
    do {                                                                           \
        tu_checks++;                                                               \
        if (!(cond)) {                                                             \
            tu_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                          \
            fprintf(stderr, "\n");                                                 \
        }                                                                          \
    } while (0)

#define CHECK_OK(expr)                                                                           \
    do {                                                                                         \
        rnl_status st_ = (expr);                                                                 \
        CHECK(st_ == RNL_OK, "%s returned %s: %s", #expr, rnl_status_name(st_), rnl_last_error()); \
    } while (0)

// Compares two arrays; on mismatch prints the tolerance and the first mismatching values.
// |a - b| <= atol + rtol * |b| must hold for every element.
int tu_close(const char *what, const double *a, const double *b, size_t n, double rtol, double atol);
int tu_close_f(const char *what, const float *a, const float *b, size_t n, double rtol, double atol);
// Path below the source tree or shared data: $RNL_SOURCE_DIR / $RNL_SHARED_DATA (set by CTest).
const char *tu_source_path(const char *rel);
const char *tu_shared_path(const char *rel);  // NULL if the shared data directory is not there
int tu_summary(const char *name);  // prints "name: N checks, M failures"; returns the exit status

#endif

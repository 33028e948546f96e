// testutil.h: the few helpers every C test shares: checks that print what differed, and a summary.
#ifndef RNNLAB_TESTUTIL_H
#define RNNLAB_TESTUTIL_H

#include <stdarg.h>
#include <stdint.h>
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

// Finite differences: fd[i] = (loss(ctx) at w[i] + h - loss(ctx) at w[i] - h) / 2h for each of w[0..n),
// every w[i] put back as it was.
void tu_central_diff(double *fd, rnl_real *w, size_t n, double h, double (*loss)(void *ctx), void *ctx);

// Damaging file images: a little-endian u32 at p, and the trailing CRC-32 of n bytes made right again.
void tu_put32(uint8_t *p, uint32_t v);
void tu_reseal(uint8_t *b, size_t n);

// --- Tar archives written by the tests (test_data_tar.c, test_data_imdb.c) --------------------------

typedef struct {
    uint8_t *p;
    size_t n, cap;
} tu_buf;  // a growing byte buffer: start with {0}, free(p) after

void tu_put(tu_buf *b, const void *data, size_t n);
void tu_pad(tu_buf *b);  // zeros up to the next 512-byte block

enum { TU_USTAR, TU_GNU, TU_PAX };
// One header block; name is cut to 100 bytes (callers add long names first). prefix: ustar's, or NULL.
void tu_tar_header(uint8_t *h, const char *name, char type, unsigned long long size, int fmt, const char *prefix);
void tu_tar_checksum(uint8_t *h);  // fills in the header's checksum field
// A member (type '0' a file) with its data; a name over 100 bytes goes first in a GNU long-name or pax record.
void tu_tar_member(tu_buf *b, const char *name, char type, const void *data, size_t n, int fmt);
void tu_tar_end(tu_buf *b);  // the two zero blocks that end an archive

// The CLI tests (test_cli*.c): runs `CLI ARGS` in dir with stderr folded in, the output (at most cap - 1
// bytes, NUL-terminated) into out, the rest drained so the command is never killed by a closed pipe;
// returns its exit status (-1 if it did not exit).
int tu_cli_vrun(char *out, size_t cap, const char *dir, const char *cli, const char *fmt, va_list ap);
// The bytes of dir/name (at most cap); returns how many were read (0 if it cannot be opened).
size_t tu_read_file(const char *dir, const char *name, uint8_t *buf, size_t cap);

#endif

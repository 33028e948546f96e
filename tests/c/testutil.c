// testutil.c: see testutil.h.
#define _POSIX_C_SOURCE 200809L  // popen
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

void tu_central_diff(double *fd, rnl_real *w, size_t n, double h, double (*loss)(void *ctx), void *ctx) {
    for (size_t i = 0; i < n; i++) {
        double keep = w[i];
        w[i] = keep + h;
        double lp = loss(ctx);
        w[i] = keep - h;
        double lm = loss(ctx);
        w[i] = keep;
        fd[i] = (lp - lm) / (2 * h);
    }
}

void tu_put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i);
}

void tu_reseal(uint8_t *b, size_t n) { tu_put32(b + n - 4, rnl_crc32(b, n - 4)); }

// --- Tar archives ---------------------------------------------------------------------------------

void tu_put(tu_buf *b, const void *data, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 1024;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

void tu_pad(tu_buf *b) {
    static const uint8_t zeros[512];
    if (b->n % 512) tu_put(b, zeros, 512 - b->n % 512);
}

void tu_tar_checksum(uint8_t *h) {
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);  // 6 digits, NUL, and the space already there
    h[155] = ' ';
}

void tu_tar_header(uint8_t *h, const char *name, char type, unsigned long long size, int fmt, const char *prefix) {
    memset(h, 0, 512);
    size_t nl = strlen(name);
    memcpy(h, name, nl < 100 ? nl : 100);
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    snprintf((char *)h + 124, 12, "%011llo", size & 077777777777ull);
    memcpy(h + 136, "13600000000", 11);
    h[156] = (uint8_t)type;
    if (fmt == TU_GNU) memcpy(h + 257, "ustar  ", 8);
    else memcpy(h + 257, "ustar\0" "00", 8);
    if (prefix && fmt != TU_GNU) memcpy(h + 345, prefix, strlen(prefix));
    tu_tar_checksum(h);
}

void tu_tar_member(tu_buf *b, const char *name, char type, const void *data, size_t n, int fmt) {
    uint8_t h[512];
    size_t nl = strlen(name);
    if (nl > 100 && fmt == TU_GNU) {
        tu_tar_header(h, "././@LongLink", 'L', nl + 1, TU_GNU, NULL);
        tu_put(b, h, 512);
        tu_put(b, name, nl + 1);
        tu_pad(b);
    } else if (nl > 100 && fmt == TU_PAX) {
        char rec[5000];
        size_t body = nl + 7, digits = body + 3 < 1000 ? 3 : 4;  // " path=" name "\n", and the length's own digits
        snprintf(rec, sizeof rec, "%zu path=%s\n", body + digits, name);
        tu_tar_header(h, "PaxHeader/x", 'x', strlen(rec), TU_PAX, NULL);
        tu_put(b, h, 512);
        tu_put(b, rec, strlen(rec));
        tu_pad(b);
    }
    tu_tar_header(h, name, type, n, fmt, NULL);
    tu_put(b, h, 512);
    if (n) tu_put(b, data, n);
    tu_pad(b);
}

void tu_tar_end(tu_buf *b) {
    static const uint8_t zeros[1024];
    tu_put(b, zeros, 1024);
}

int tu_cli_vrun(char *out, size_t cap, const char *dir, const char *cli, const char *fmt, va_list ap) {
    char args[2048], cmd[4096];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, sizeof cmd, "cd %s && '%s' %s 2>&1", dir, cli, args);
    FILE *p = popen(cmd, "r");
    size_t n = 0, got;
    char sink[4096];
    if (p) {
        n = fread(out, 1, cap - 1, p);
        while ((got = fread(sink, 1, sizeof sink, p)) > 0) {}  // drain: a closed pipe would kill the command
    }
    out[n] = 0;
    int st = p ? pclose(p) : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

size_t tu_read_file(const char *dir, const char *name, uint8_t *buf, size_t cap) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

// args.c: flag parsing for the rnnlab command. Every failure names the command, the flag and the value.
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void args_init(args *a, const char *cmd, int argc, char **argv) {
    a->argc = argc;
    a->argv = argv;
    a->i = 0;
    a->cmd = cmd;
    a->flag = NULL;
    a->failed = 0;
}

int args_next(args *a) {
    if (a->failed || a->i >= a->argc) return 0;
    a->flag = a->argv[a->i++];
    return 1;
}

int args_is(const args *a, const char *name) { return strcmp(a->flag, name) == 0; }

int args_error(args *a, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "rnnlab %s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'rnnlab %s --help')\n", a->cmd);
    a->failed = 1;
    return 0;
}

static const char *value(args *a) {
    if (a->i >= a->argc) {
        args_error(a, "flag %s needs a value", a->flag);
        return NULL;
    }
    return a->argv[a->i++];
}

int args_str(args *a, const char **out) {
    const char *v = value(a);
    if (!v) return 0;
    *out = v;
    return 1;
}

// The flag's value as a whole number; 0 (with the message) if there is none or it is not one.
static int whole_value(args *a, long *x) {
    const char *v = value(a);
    if (!v) return 0;
    char *end;
    errno = 0;
    *x = strtol(v, &end, 10);
    if (errno || end == v || *end) return args_error(a, "%s expects a whole number, got '%s'", a->flag, v);
    return 1;
}

int args_int(args *a, int *out, long lo, long hi) {
    long x;
    if (!whole_value(a, &x)) return 0;
    if (x < lo || x > hi) return args_error(a, "%s is %ld, must be in %ld..%ld", a->flag, x, lo, hi);
    *out = (int)x;
    return 1;
}

int args_limit(args *a, int *out, const char *name) {
    long x;
    if (!whole_value(a, &x)) return 0;
    if (rnl_limit_check_as(name, a->flag, (double)x)) return args_error(a, "%s", rnl_last_error());
    *out = (int)x;
    return 1;
}

// The flag's value as a number (not NaN); 0 (with the message) if there is none or it is not one.
static int real_value(args *a, double *x) {
    const char *v = value(a);
    if (!v) return 0;
    char *end;
    errno = 0;
    *x = strtod(v, &end);
    if (errno || end == v || *end || *x != *x) return args_error(a, "%s expects a number, got '%s'", a->flag, v);
    return 1;
}

int args_limit_real(args *a, float *out, const char *name) {
    double x;
    if (!real_value(a, &x)) return 0;
    if (rnl_limit_check_as(name, a->flag, x)) return args_error(a, "%s", rnl_last_error());
    *out = (float)x;
    return 1;
}

int args_u64(args *a, uint64_t *out) {
    const char *v = value(a);
    if (!v) return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-') return args_error(a, "%s expects a non-negative whole number, got '%s'", a->flag, v);
    *out = x;
    return 1;
}

int args_float(args *a, float *out, double lo, double hi) {
    double x;
    if (!real_value(a, &x)) return 0;
    if (x < lo || x > hi) return args_error(a, "%s is %g, must be in [%g, %g]", a->flag, x, lo, hi);
    *out = (float)x;
    return 1;
}

void args_unknown(args *a) { args_error(a, "unknown flag '%s'", a->flag); }

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "rnnlab %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

rnl_status cli_read_file(const char *path, size_t limit, char **out, size_t *n) {
    struct stat sb;
    *out = NULL;
    if (stat(path, &sb) != 0) return rnl_fail(RNL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return rnl_fail(RNL_ERR_IO, "%s is a directory, not a file", path);
    if ((unsigned long long)sb.st_size > limit)
        return rnl_fail(RNL_ERR_FORMAT, "%s is %lld bytes, larger than the limit of %zu", path, (long long)sb.st_size, limit);
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        fclose(f);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(buf, 1, (size_t)sb.st_size, f);
    fclose(f);
    if (got != (size_t)sb.st_size) {
        free(buf);
        return rnl_fail(RNL_ERR_IO, "cannot read %s", path);
    }
    buf[got] = 0;
    *out = buf;
    *n = got;
    return RNL_OK;
}

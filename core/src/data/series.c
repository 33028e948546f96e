// series.c: a numeric column of a CSV file as a time series, and the series as a dataset of sliding
// windows for seq-to-one regression. Limits: fields are split at commas; a field may be "quoted" (with
// commas inside) but cannot span lines, and "" inside quotes is not unescaped (names only need it).
// Numbers are parsed without the C locale's help: [+-]digits[.digits][e[+-]digits], finite.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

#define MAX_FIELDS 1024
#define MAX_FILE ((size_t)1 << 30)

typedef struct {
    const char *p;
    size_t n;
} span;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static span trim(span s) {
    while (s.n && is_blank(s.p[0])) s.p++, s.n--;
    while (s.n && is_blank(s.p[s.n - 1])) s.n--;
    if (s.n >= 2 && s.p[0] == '"' && s.p[s.n - 1] == '"') s.p++, s.n -= 2;
    return s;
}

// Splits a line at commas outside quotes. Returns the number of fields, -1 for too many, -2 for an
// unterminated quote.
static int split_line(span line, span *f) {
    int k = 0, inq = 0;
    size_t start = 0;
    for (size_t i = 0; i <= line.n; i++) {
        if (i < line.n && line.p[i] == '"') inq = !inq;
        if (i == line.n || (line.p[i] == ',' && !inq)) {
            if (k == MAX_FIELDS) return -1;
            f[k].p = line.p + start;
            f[k].n = i - start;
            f[k] = trim(f[k]);
            k++;
            start = i + 1;
        }
    }
    return inq ? -2 : k;
}

// A number as a whole field, or 0.
static int parse_number(span s, double *out) {
    char buf[64];
    if (s.n == 0 || s.n >= sizeof buf) return 0;
    size_t i = 0;
    if (s.p[i] == '+' || s.p[i] == '-') i++;
    size_t d = 0;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') i++, d++;
    if (i < s.n && s.p[i] == '.') {
        i++;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') i++, d++;
    }
    if (d == 0) return 0;
    if (i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
        i++;
        if (i < s.n && (s.p[i] == '+' || s.p[i] == '-')) i++;
        size_t e = 0;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') i++, e++;
        if (e == 0) return 0;
    }
    if (i != s.n) return 0;
    memcpy(buf, s.p, s.n);
    buf[s.n] = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end != 0 || !isfinite(v)) return 0;  // the decimal point of a foreign locale also lands here
    *out = v;
    return 1;
}

// A line for a message: at most 80 bytes, control bytes as '?'.
static const char *show(span s, char *buf) {
    size_t n = s.n < 80 ? s.n : 80, k = 0;
    for (size_t i = 0; i < n; i++) buf[k++] = ((unsigned char)s.p[i] < 32 || s.p[i] == 127) ? '?' : s.p[i];
    if (s.n > 80) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = 0;
    return buf;
}

static void list_columns(const span *h, int nh, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < nh && k + 4 < cap; i++) {
        int w = snprintf(buf + k, cap - k, "%s%.*s", i ? ", " : "", (int)(h[i].n < 40 ? h[i].n : 40), h[i].p);
        if (w < 0) break;
        k += (size_t)w;
        if (k >= cap) {
            k = cap - 1;
            break;
        }
    }
}

static int same_name(span a, const char *b, int fold) {
    size_t n = strlen(b);
    if (a.n != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a.p[i], y = b[i];
        if (fold) {
            if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
            if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        }
        if (x != y) return 0;
    }
    return 1;
}

// Next non-blank line from *pos: its span and 1-based number. 0 at the end of the text.
static int next_line(const char *text, size_t n, size_t *pos, int *lineno, span *line) {
    while (*pos < n) {
        size_t a = *pos, b = a;
        while (b < n && text[b] != '\n') b++;
        *pos = b < n ? b + 1 : b;
        (*lineno)++;
        span s = {text + a, b - a};
        if (s.n && s.p[s.n - 1] == '\r') s.n--;
        span t = s;
        while (t.n && (is_blank(t.p[0]))) t.p++, t.n--;
        if (t.n == 0) continue;  // blank line
        *line = s;
        return 1;
    }
    return 0;
}

rnl_status rnl_series_parse_csv(rnl_series *s, const char *label, const char *text, size_t n, const char *column) {
    const char *what = label && *label ? label : "CSV";
    memset(s, 0, sizeof *s);
    char shown[96], cols[400];
    size_t pos = 0;
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;  // UTF-8 byte order mark
    int lineno = 0;
    span line, *h = malloc(sizeof(span) * MAX_FIELDS * 2), *f;
    if (!h) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    f = h + MAX_FIELDS;
    rnl_status st = RNL_OK;
    double *vals = NULL;
    size_t count = 0, cap = 0;
    if (!next_line(text, n, &pos, &lineno, &line)) {
        st = rnl_fail(RNL_ERR_FORMAT, "%s: empty file: expected a header row and numbers", what);
        goto done;
    }
    int nh = split_line(line, h);
    if (nh < 0) {
        st = rnl_fail(RNL_ERR_FORMAT, "%s:%d: %s in the header: \"%s\"", what, lineno,
                      nh == -1 ? "too many fields" : "unterminated quote", show(line, shown));
        goto done;
    }
    int numeric_header = 1;
    for (int i = 0; i < nh; i++) {
        double v;
        if (!parse_number(h[i], &v)) numeric_header = 0;
    }
    if (numeric_header) {
        st = rnl_fail(RNL_ERR_FORMAT, "%s:%d: the first row is numbers, not a header: add a header row naming the columns (\"%s\")",
                      what, lineno, show(line, shown));
        goto done;
    }
    list_columns(h, nh, cols, sizeof cols);
    int col = -1;
    if (column && *column) {
        for (int fold = 0; fold < 2 && col < 0; fold++)
            for (int i = 0; i < nh && col < 0; i++)
                if (same_name(h[i], column, fold)) col = i;
        if (col < 0) {
            st = rnl_fail(RNL_ERR_ARG, "%s: no column '%s' in the header (columns: %s)", what, column, cols);
            goto done;
        }
    } else if (nh == 1) {
        col = 0;
    }
    size_t data_pos = pos;
    int data_line = lineno;
    if (col < 0) {
        // No name given: the one column that holds a number in the first data row.
        if (!next_line(text, n, &pos, &lineno, &line)) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s: no data rows after the header", what);
            goto done;
        }
        int nf = split_line(line, f), found = 0;
        for (int i = 0; i < nf; i++) {
            double v;
            if (parse_number(f[i], &v)) {
                if (!found) col = i;
                found++;
            }
        }
        if (found == 0) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s: no numeric column in the first data row (line %d: \"%s\"; columns: %s)", what,
                          lineno, show(line, shown), cols);
            goto done;
        }
        if (found > 1) {
            st = rnl_fail(RNL_ERR_ARG, "%s: %d numeric columns (%s): choose one by name", what, found, cols);
            goto done;
        }
        pos = data_pos, lineno = data_line;
    }
    int cl = (int)(h[col].n < sizeof s->column - 1 ? h[col].n : sizeof s->column - 1);
    while (next_line(text, n, &pos, &lineno, &line)) {
        int nf = split_line(line, f);
        if (nf != nh) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s:%d: %s (%d fields, the header has %d): \"%s\"", what, lineno,
                          nf == -2 ? "unterminated quote" : "wrong number of fields", nf < 0 ? 0 : nf, nh, show(line, shown));
            goto done;
        }
        double v;
        if (!parse_number(f[col], &v)) {
            char val[96];
            if (f[col].n) snprintf(val, sizeof val, "bad number '%s'", show(f[col], shown));
            else snprintf(val, sizeof val, "empty value");
            st = rnl_fail(RNL_ERR_FORMAT, "%s:%d: %s in column '%.*s': \"%s\"", what, lineno, val, cl, h[col].p,
                          show(line, shown));
            goto done;
        }
        // The mean and std sum squares over up to RNL_DATA_MAX_VALUES values: past this magnitude they
        // would overflow to inf, and every normalised value would be NaN.
        if (fabs(v) > RNL_SERIES_MAX_ABS) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s:%d: the value %g in column '%.*s' is too large (at most %g in magnitude, so "
                          "that the mean and standard deviation stay finite): \"%s\"", what, lineno, v, cl, h[col].p,
                          RNL_SERIES_MAX_ABS, show(line, shown));
            goto done;
        }
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 4096;
            double *nv = count < RNL_DATA_MAX_VALUES ? realloc(vals, sizeof(double) * nc) : NULL;
            if (!nv) {
                st = rnl_fail(RNL_ERR_NOMEM, "%s:%d: more than %u values or out of memory", what, lineno, RNL_DATA_MAX_VALUES);
                goto done;
            }
            vals = nv;
            cap = nc;
        }
        vals[count++] = v;
    }
    if (count == 0) {
        st = rnl_fail(RNL_ERR_FORMAT, "%s: no data rows after the header", what);
        goto done;
    }
    s->values = vals;
    s->n = (int)count;
    memcpy(s->column, h[col].p, (size_t)cl);
    s->column[cl] = 0;
    vals = NULL;
done:
    free(vals);
    free(h);
    return st;
}

rnl_status rnl_series_load_csv(rnl_series *s, const char *path, const char *column) {
    memset(s, 0, sizeof *s);
#ifdef RNL_NO_FILES
    (void)column;
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (RNL_NO_FILES): use rnl_series_parse_csv", path);
#else
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    rnl_status st = RNL_OK;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = cap < MAX_FILE ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                st = rnl_fail(RNL_ERR_NOMEM, "%s: larger than %zu bytes or out of memory", path, MAX_FILE);
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    else if (st == RNL_OK && ferror(f)) st = rnl_fail(RNL_ERR_IO, "%s: read error", path);
    fclose(f);
    if (st == RNL_OK) st = rnl_series_parse_csv(s, path, buf, n, column);
    free(buf);
    return st;
#endif
}

void rnl_series_free(rnl_series *s) {
    free(s->values);
    memset(s, 0, sizeof *s);
}

// --- Windows ------------------------------------------------------------------------------------

rnl_series_config rnl_series_default(void) {
    rnl_series_config c = {.window = 30, .horizon = 1, .val_frac = 0.15, .test_frac = 0.15};
    return c;
}

// As in dataset.c, which checks a file's mean and std against it: same order, same bits.
static void mean_std(const double *x, int n, double *mean, double *std) {
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += x[i];
    double m = n ? s / n : 0;
    for (int i = 0; i < n; i++) q += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = n ? sqrt(q / n) : 0;
}

static int windows_in(int values, int window, int horizon) {
    int w = values - window - horizon + 1;
    return w > 0 ? w : 0;
}

rnl_status rnl_dataset_from_series(rnl_dataset **out, const rnl_series *s, const rnl_series_config *cfg) {
    *out = NULL;
    const char *col = s->column[0] ? s->column : "series";
    if (cfg->window < 1 || cfg->window > RNL_MAX_STEPS)
        return rnl_fail(RNL_ERR_ARG, "series '%s': window %d is outside 1..%d", col, cfg->window, RNL_MAX_STEPS);
    if (cfg->horizon < 1 || cfg->horizon > RNL_MAX_WIDTH)
        return rnl_fail(RNL_ERR_ARG, "series '%s': horizon %d is outside 1..%d", col, cfg->horizon, RNL_MAX_WIDTH);
    if (!(cfg->val_frac >= 0 && cfg->test_frac >= 0 && cfg->val_frac + cfg->test_frac < 1))
        return rnl_fail(RNL_ERR_ARG, "series '%s': val_frac %g and test_frac %g must be >= 0 with a sum below 1", col,
                        cfg->val_frac, cfg->test_frac);
    if (s->n < 1 || s->n > (int)RNL_DATA_MAX_VALUES || !s->values)
        return rnl_fail(RNL_ERR_ARG, "series '%s': %d values (must be 1..%u)", col, s->n, RNL_DATA_MAX_VALUES);
    int n = s->n, need = cfg->window + cfg->horizon;
    int part[3];
    part[1] = (int)(n * cfg->val_frac);
    part[2] = (int)(n * cfg->test_frac);
    part[0] = n - part[1] - part[2];
    const char *pname[3] = {"training", "validation", "test"};
    double frac[3] = {1, cfg->val_frac, cfg->test_frac};
    for (int p = 0; p < 3; p++)
        if (frac[p] > 0 && part[p] < need)
            return rnl_fail(RNL_ERR_ARG, "series '%s': the %s part has %d of the %d values, fewer than window + horizon = %d",
                            col, pname[p], part[p], n, need);
    double mean, std;
    mean_std(s->values, part[0], &mean, &std);
    if (!(std > 0)) return rnl_fail(RNL_ERR_ARG, "series '%s': the training part is constant (std 0): cannot normalise", col);
    rnl_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return rnl_fail(RNL_ERR_NOMEM, "series: out of memory");
    ds->kind = RNL_DATASET_SERIES;
    ds->window = cfg->window, ds->horizon = cfg->horizon;
    ds->n_values = n;
    memcpy(ds->part, part, sizeof part);
    ds->mean = mean, ds->std = std;
    snprintf(ds->column, sizeof ds->column, "%s", s->column);
    ds->n_train = windows_in(part[0], ds->window, ds->horizon);
    ds->n_val = windows_in(part[1], ds->window, ds->horizon);
    ds->n_test = windows_in(part[2], ds->window, ds->horizon);
    ds->values = malloc(sizeof(double) * (size_t)n);
    ds->norm = malloc(sizeof(float) * (size_t)n);
    if (!ds->values || !ds->norm) {
        rnl_dataset_destroy(ds);
        return rnl_fail(RNL_ERR_NOMEM, "series: out of memory for %d values", n);
    }
    memcpy(ds->values, s->values, sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        ds->norm[i] = (float)((ds->values[i] - mean) / std);
        // A value far outside a nearly constant training part would become inf in float.
        if (!isfinite(ds->norm[i])) {
            rnl_status st = rnl_fail(RNL_ERR_ARG, "series '%s': value %d (%g) lies %g standard deviations from the training "
                                     "part's mean: too far to normalise", col, i + 1, ds->values[i], (ds->values[i] - mean) / std);
            rnl_dataset_destroy(ds);
            return st;
        }
    }
    *out = ds;
    return RNL_OK;
}

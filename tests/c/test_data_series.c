// test_data_series.c: CSV loading (good files and every kind of bad row, with the exact message),
// the chronological split, train-only normalisation, sliding windows, batches of (B, T, 1) inputs and
// (B, horizon) targets, and the series variant of the data file, damaged in several ways.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rnnlab_data.h"
#include "testutil.h"

static const char *fx(const char *name) {
    static char path[1024];
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/series/%s", name);
    snprintf(path, sizeof path, "%s", tu_source_path(rel));
    return path;
}

// The value of day i of good.csv, as the fixture was written ("%.1f").
static double good_value(int i) {
    char s[32];
    snprintf(s, sizeof s, "%.1f", 10 + 5 * sin(2 * 3.141592653589793 * i / 20) + (i % 3) * 0.1);
    return strtod(s, NULL);
}

static void expect_csv_error(const char *file, const char *column, rnl_status want_st, const char *want, int line) {
    rnl_series s;
    rnl_status st = rnl_series_load_csv(&s, fx(file), column);
    tu_checks++;
    if (st != want_st || !strstr(rnl_last_error(), want) || s.values) {
        tu_failures++;
        fprintf(stderr, "%s:%d: %s: expected %s with \"%s\", got %s: \"%s\"\n", __FILE__, line, file, rnl_status_name(want_st), want,
                rnl_status_name(st), rnl_last_error());
    }
    rnl_series_free(&s);
}
#define EXPECT_CSV_ERROR(file, column, st, want) expect_csv_error(file, column, st, want, __LINE__)

static void test_csv(void) {
    rnl_series s;
    CHECK_OK(rnl_series_load_csv(&s, fx("good.csv"), "Temp"));
    CHECK(s.n == 60 && strcmp(s.column, "Temp") == 0, "60 values of Temp, got %d of '%s'", s.n, s.column);
    int ok = 1;
    for (int i = 0; i < s.n; i++) ok &= s.values[i] == good_value(i);
    CHECK(ok, "values as written");
    rnl_series_free(&s);
    CHECK_OK(rnl_series_load_csv(&s, fx("good.csv"), NULL));
    CHECK(s.n == 60 && strcmp(s.column, "Temp") == 0 && s.values[1] == 11.6, "the only numeric column is found: '%s'", s.column);
    rnl_series_free(&s);
    CHECK_OK(rnl_series_load_csv(&s, fx("good.csv"), "temp"));
    CHECK(s.n == 60, "names match without case as a fallback");
    rnl_series_free(&s);
    CHECK_OK(rnl_series_load_csv(&s, fx("crlf_bom_quoted.csv"), "Temp"));
    CHECK(s.n == 10 && s.values[9] == good_value(9) && strcmp(s.column, "Temp") == 0, "BOM, CRLF, quotes, blank lines: %d", s.n);
    rnl_series_free(&s);
    CHECK_OK(rnl_series_load_csv(&s, fx("single_column.csv"), ""));
    CHECK(s.n == 4 && s.values[0] == 1 && s.values[1] == 2.5 && s.values[2] == -30 && s.values[3] == 4, "number forms");
    rnl_series_free(&s);
    CHECK_OK(rnl_series_load_csv(&s, fx("two_numeric.csv"), "Rain"));
    CHECK(s.n == 3 && s.values[1] == 1.5, "a column by name among several");
    rnl_series_free(&s);

    EXPECT_CSV_ERROR("bad_value.csv", "Temp", RNL_ERR_FORMAT, "bad_value.csv:8: bad number '?0.2' in column 'Temp': \"2001-01-07,?0.2\"");
    EXPECT_CSV_ERROR("bad_fields.csv", "Temp", RNL_ERR_FORMAT,
                     "bad_fields.csv:5: wrong number of fields (3 fields, the header has 2): \"2001-01-04,11.5,extra\"");
    EXPECT_CSV_ERROR("empty_value.csv", "Temp", RNL_ERR_FORMAT, "empty_value.csv:5: empty value in column 'Temp': \"2001-01-04,\"");
    EXPECT_CSV_ERROR("no_numbers.csv", NULL, RNL_ERR_FORMAT,
                     "no_numbers.csv: no numeric column in the first data row (line 2: \"2001-01-01,sunny\"; columns: Date, Weather)");
    EXPECT_CSV_ERROR("no_numbers.csv", "Weather", RNL_ERR_FORMAT, "no_numbers.csv:2: bad number 'sunny' in column 'Weather'");
    EXPECT_CSV_ERROR("header_only.csv", "Temp", RNL_ERR_FORMAT, "header_only.csv: no data rows after the header");
    EXPECT_CSV_ERROR("header_only.csv", NULL, RNL_ERR_FORMAT, "header_only.csv: no data rows after the header");
    EXPECT_CSV_ERROR("no_header.csv", NULL, RNL_ERR_FORMAT, "no_header.csv:1: the first row is numbers, not a header");
    EXPECT_CSV_ERROR("two_numeric.csv", NULL, RNL_ERR_ARG, "two_numeric.csv: 2 numeric columns (Date, Temp, Rain): choose one by name");
    EXPECT_CSV_ERROR("good.csv", "Humidity", RNL_ERR_ARG, "good.csv: no column 'Humidity' in the header (columns: Date, Temp)");
    EXPECT_CSV_ERROR("no_such.csv", "Temp", RNL_ERR_IO, "no_such.csv: cannot open");

    // From memory, as the browser gives it.
    const char *t = "x,y\n1,2\n3,4\n";
    CHECK_OK(rnl_series_parse_csv(&s, "mem.csv", t, strlen(t), "y"));
    CHECK(s.n == 2 && s.values[0] == 2 && s.values[1] == 4, "from memory");
    rnl_series_free(&s);
    const char *bad[][2] = {
        {"v\n1\n1e400\n", "mem.csv:3: bad number '1e400'"},  {"v\n1\nnan\n", "mem.csv:3: bad number 'nan'"},
        {"v\n0x10\n", "mem.csv:2: bad number '0x10'"},     {"v\n1.2.3\n", "mem.csv:2: bad number '1.2.3'"},
        {"v\n-\n", "mem.csv:2: bad number '-'"},            {"v\n\"1\n", "mem.csv:2: unterminated quote"},
        {"", "mem.csv: empty file"},                        {"\n\n  \n", "mem.csv: empty file"},
        // Finite values whose squares would overflow the mean and std (issue: 1e308 was accepted, then inf).
        {"v\n1\n1e308\n", "mem.csv:3: the value 1e+308 in column 'v' is too large"},
        {"v\n-2e100\n1\n", "mem.csv:2: the value -2e+100 in column 'v' is too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rnl_status st = rnl_series_parse_csv(&s, "mem.csv", bad[i][0], strlen(bad[i][0]), NULL);
        CHECK(st == RNL_ERR_FORMAT && strstr(rnl_last_error(), bad[i][1]), "case %zu: expected \"%s\", got \"%s\"", i, bad[i][1],
              rnl_last_error());
    }
    t = "v\n 12.5 \n\"7\"\n";
    CHECK_OK(rnl_series_parse_csv(&s, NULL, t, strlen(t), NULL));
    CHECK(s.n == 2 && s.values[0] == 12.5 && s.values[1] == 7, "spaces and quotes around numbers");
    rnl_series_free(&s);
}

static void test_windows(void) {
    rnl_series s;
    CHECK_OK(rnl_series_load_csv(&s, fx("good.csv"), "Temp"));
    rnl_series_config c = {.window = 5, .horizon = 2, .val_frac = 0.2, .test_frac = 0.2};
    rnl_dataset *ds;
    CHECK_OK(rnl_dataset_from_series(&ds, &s, &c));
    if (!ds) return;
    CHECK(ds->part[0] == 36 && ds->part[1] == 12 && ds->part[2] == 12, "parts %d/%d/%d", ds->part[0], ds->part[1], ds->part[2]);
    CHECK(ds->n_train == 30 && ds->n_val == 6 && ds->n_test == 6, "windows %d/%d/%d", ds->n_train, ds->n_val, ds->n_test);
    double m = 0, q = 0;
    for (int i = 0; i < 36; i++) m += s.values[i];
    m /= 36;
    for (int i = 0; i < 36; i++) q += (s.values[i] - m) * (s.values[i] - m);
    CHECK(fabs(ds->mean - m) < 1e-12 && fabs(ds->std - sqrt(q / 36)) < 1e-12, "mean/std of the training part: %g %g", ds->mean, ds->std);

    rnl_task_data d;
    rnl_task_data_init(&d);
    int32_t idx[3] = {0, 30, 41};  // first train window, first val window, last test window
    int start[3] = {0, 36, 53};
    CHECK_OK(rnl_dataset_batch(ds, idx, 3, &d));
    CHECK(d.batch.B == 3 && d.batch.T == 5 && d.batch.tokens == NULL && d.batch.inputs == d.inputs, "shape (3, 5, 1)");
    int ok = 1;
    for (int b = 0; b < 3; b++) {
        for (int t = 0; t < 5; t++) ok &= fabs(d.inputs[b * 5 + t] - (s.values[start[b] + t] - m) / ds->std) < 1e-5;
        for (int k = 0; k < 2; k++) ok &= fabs(d.targets[b * 2 + k] - (s.values[start[b] + 5 + k] - m) / ds->std) < 1e-5;
        ok &= d.lengths[b] == 5;
    }
    CHECK(ok, "inputs and targets are the normalised values of the right windows");
    rnl_task_data_free(&d);
    rnl_config cfg = rnl_config_default(RNL_CELL_LSTM);
    cfg.vocab = 100;
    cfg.embed = 64;
    rnl_dataset_shape(ds, &cfg);
    CHECK(cfg.vocab == 0 && cfg.input_size == 1 && cfg.head == RNL_HEAD_REGRESSION && cfg.outputs == 2 && cfg.seq2seq == 0, "shape");
    CHECK(cfg.embed == 0, "no vocabulary, no embedding: embed %d", cfg.embed);
    CHECK(rnl_dataset_length(ds, 3) == 5, "every window is T long");
    char line[300];
    rnl_dataset_describe(ds, line, sizeof line);
    CHECK(strstr(line, "series 'Temp': 60 values (36 / 12 / 12), window 5, horizon 2: 30 train / 6 val / 6 test windows"), "%s", line);
    int32_t order[30];
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 1, 0, 8, 4, order));
    int sum = 0;
    for (int i = 0; i < 30; i++) sum += order[i];
    CHECK(sum == 29 * 30 / 2, "an epoch of windows is a permutation");

    // The data file, series variant.
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_dataset_write(ds, &buf, &n));
    CHECK(n == 120 + 60 * 8 + 4 && buf[12] == 2, "size %zu, kind 2", n);
    rnl_dataset *back = NULL;
    CHECK_OK(rnl_dataset_read(buf, n, "s.rnld", &back));
    CHECK(back && back->n_values == 60 && memcmp(back->values, ds->values, 60 * sizeof(double)) == 0 &&
              memcmp(back->norm, ds->norm, 60 * sizeof(float)) == 0 && back->mean == ds->mean && back->std == ds->std &&
              back->window == 5 && back->horizon == 2 && strcmp(back->column, "Temp") == 0 && back->n_train == 30,
          "series round trip");
    rnl_dataset_destroy(back);
    uint8_t *p = malloc(n);
    rnl_dataset *x = NULL;
#define TRY(want)                                                                                                   \
    do {                                                                                                            \
        x = NULL;                                                                                                   \
        rnl_status st_ = rnl_dataset_read(p, n, "s.rnld", &x);                                                      \
        CHECK(st_ == RNL_ERR_FORMAT && strstr(rnl_last_error(), want) && !x, "expected \"%s\", got \"%s\"", want, rnl_last_error()); \
        rnl_dataset_destroy(x);                                                                                     \
    } while (0)
#define FIX_CRC() do { uLong c_ = crc32(0, p, (uInt)(n - 4)); for (int i_ = 0; i_ < 4; i_++) p[n - 4 + i_] = (uint8_t)(c_ >> (8 * i_)); } while (0)
    memcpy(p, buf, n);
    p[200] ^= 4;
    TRY("s.rnld: CRC-32 mismatch");
    memcpy(p, buf, n);
    p[32] = 0;  // window 0
    TRY("s.rnld: window 0 is outside 1..100000");
    memcpy(p, buf, n);
    p[20] = 35;  // train part 35: parts no longer add up
    TRY("parts of 35 + 12 + 12 values do not add up to the 60 values");
    memcpy(p, buf, n);
    p[16] = 0xff, p[17] = 0xff, p[18] = 0xff, p[19] = 0x7f;
    TRY("s.rnld: series of 2147483647 values (must be 1..67108864)");
    memcpy(p, buf, n);
    memset(p + 120 + 3 * 8, 0xff, 8);  // a NaN
    FIX_CRC();
    TRY("s.rnld: value 3 is not finite");
    memcpy(p, buf, n);
    p[46] ^= 0x08;  // the top mantissa bit of the stored mean
    FIX_CRC();
    TRY("do not match the training part");
    rnl_dataset *y;
    CHECK(rnl_dataset_read(buf, n - 8, "s.rnld", &y) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "truncated: the header promises 604 bytes, there are 596"),
          "%s", rnl_last_error());
    free(p);
    free(buf);

    // Configurations that cannot work.
    rnl_series_config bad = {.window = 5, .horizon = 2, .val_frac = 0.1, .test_frac = 0.2};
    CHECK(rnl_dataset_from_series(&x, &s, &bad) == RNL_ERR_ARG &&
              strstr(rnl_last_error(), "series 'Temp': the validation part has 6 of the 60 values, fewer than window + horizon = 7"),
          "%s", rnl_last_error());
    bad = (rnl_series_config){.window = 0, .horizon = 1, .val_frac = 0.1, .test_frac = 0.1};
    CHECK(rnl_dataset_from_series(&x, &s, &bad) == RNL_ERR_ARG && strstr(rnl_last_error(), "window 0 is outside"), "%s", rnl_last_error());
    bad = (rnl_series_config){.window = 5, .horizon = 1, .val_frac = 0.5, .test_frac = 0.5};
    CHECK(rnl_dataset_from_series(&x, &s, &bad) == RNL_ERR_ARG && strstr(rnl_last_error(), "a sum below 1"), "%s", rnl_last_error());
    bad = (rnl_series_config){.window = 5, .horizon = 1, .val_frac = 0, .test_frac = 0};
    CHECK_OK(rnl_dataset_from_series(&x, &s, &bad));
    CHECK(x && x->n_val == 0 && x->n_test == 0 && x->n_train == 55, "all training");
    rnl_dataset_destroy(x);
    for (int i = 0; i < s.n; i++) s.values[i] = 3;
    CHECK(rnl_dataset_from_series(&x, &s, &c) == RNL_ERR_ARG && strstr(rnl_last_error(), "constant (std 0)"), "%s", rnl_last_error());
    // A nearly constant training part and a far value later: normalised, it would be inf in float.
    for (int i = 0; i < s.n; i++) s.values[i] = (i % 2) * 1e-30;
    s.values[s.n - 1] = 1e10;
    CHECK(rnl_dataset_from_series(&x, &s, &c) == RNL_ERR_ARG && strstr(rnl_last_error(), "too far to normalise") &&
              strstr(rnl_last_error(), "value 60 (1e+10)"),
          "%s", rnl_last_error());
    CHECK(x == NULL, "no dataset after the failure");
    rnl_dataset_destroy(ds);
    rnl_series_free(&s);
}

int main(void) {
    test_csv();
    test_windows();
    return tu_summary("test_data_series");
}

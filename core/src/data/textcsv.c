// textcsv.c: a user's own reviews, from a CSV file (RFC 4180), into the same balanced subsets as IMDB.
// The header row names a text column (`text`, else `review`) and a label column (`label`, else
// `sentiment`); labels are 0/1, neg/pos or negative/positive, any case. Each data row goes to the
// train or test part by a hash of its index and the seed (one row in five to test), then through the
// IMDB selection (rnl_imdb_add_review, the row index as the review id, no rating), so subsets,
// vocabulary (training part only, validation included) and the file are made by the same code.
// The text is parsed twice: the first pass checks every row and counts the parts (so a bad row fails
// before any work, and "as many as there are" can be resolved), the second feeds the reviews.
// Limits: the whole CSV is in memory (the page hands over bytes); a field is at most
// RNL_TAR_MAX_MEMBER bytes; fields are bytes, never decoded (the tokenizer does not need UTF-8).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

#define MAX_FIELDS 1024

typedef struct {
    const char *p;
    size_t n;
    int escaped;  // quoted with doubled quotes inside: unescape before use
} field;

typedef struct {
    const char *what;  // the label in messages
    const char *text;
    size_t n, pos;
    int line;          // 1-based line of the next byte
} csv;

// --- RFC 4180 records -------------------------------------------------------------------------------

static int is_blank(char c) { return c == ' ' || c == '\t'; }

// A field for a message: at most 40 bytes, control bytes as '?'.
static const char *show(const char *p, size_t n, char *buf) {
    size_t k = 0, m = n < 40 ? n : 40;
    for (size_t i = 0; i < m; i++) buf[k++] = ((unsigned char)p[i] < 32 || p[i] == 127) ? '?' : p[i];
    if (n > 40) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = 0;
    return buf;
}

// Reads the next record: 1 (fields in f, their count in *nf, its first line in *line), 0 at the end of
// the text, or -1 with a message. Lines with nothing on them between records are skipped.
static int next_record(csv *c, field *f, int *nf, int *line) {
    const char *t = c->text;
    size_t n = c->n, i = c->pos;
    for (;;) {  // lines of nothing but blanks between records are skipped
        size_t j = i;
        while (j < n && (is_blank(t[j]) || t[j] == '\r')) j++;
        if (j < n && t[j] != '\n') break;
        if (j >= n) {
            i = j;
            break;
        }
        i = j + 1, c->line++;
    }
    if (i >= n) {
        c->pos = i;
        return 0;
    }
    *line = c->line;
    int k = 0;
    for (;;) {
        if (k == MAX_FIELDS) {
            rnl_fail(RNL_ERR_FORMAT, "%s:%d: more than %d fields in a row", c->what, *line, MAX_FIELDS);
            return -1;
        }
        field *x = &f[k++];
        x->escaped = 0;
        size_t s = i;
        while (s < n && is_blank(t[s])) s++;  // blanks before an opening quote are not part of the field
        if (s < n && t[s] == '"') {
            int open_line = c->line;
            i = s + 1;
            x->p = t + i;
            for (;;) {
                if (i >= n) {
                    rnl_fail(RNL_ERR_FORMAT, "%s:%d: unterminated quote: the quoted field %d that starts on line %d never ends",
                             c->what, open_line, k, open_line);
                    return -1;
                }
                if (t[i] == '"') {
                    if (i + 1 < n && t[i + 1] == '"') {
                        x->escaped = 1;
                        i += 2;
                        continue;
                    }
                    break;
                }
                if (t[i] == '\n') c->line++;
                i++;
            }
            x->n = (size_t)(t + i - x->p);
            i++;  // the closing quote
            while (i < n && is_blank(t[i])) i++;
            if (i < n && t[i] != ',' && t[i] != '\n' && !(t[i] == '\r' && i + 1 < n && t[i + 1] == '\n') &&
                !(t[i] == '\r' && i + 1 == n)) {
                char shown[64];
                size_t e = i;
                while (e < n && e - i < 20 && t[e] != '\r' && t[e] != '\n') e++;
                rnl_fail(RNL_ERR_FORMAT, "%s:%d: text after the closing quote of field %d (\"%s\"): a quote inside a quoted "
                         "field must be doubled (\"\")", c->what, c->line, k, show(t + i, e - i, shown));
                return -1;
            }
        } else {
            x->p = t + i;
            while (i < n && t[i] != ',' && t[i] != '\n') i++;
            x->n = (size_t)(t + i - x->p);
            if (x->n && x->p[x->n - 1] == '\r' && (i == n || t[i] == '\n')) x->n--;  // CRLF
        }
        if (x->n > RNL_TAR_MAX_MEMBER) {
            rnl_fail(RNL_ERR_FORMAT, "%s:%d: field %d has %zu bytes (limit %u)", c->what, *line, k, x->n, RNL_TAR_MAX_MEMBER);
            return -1;
        }
        if (i < n && t[i] == ',') {
            i++;
            continue;
        }
        if (i < n && t[i] == '\r') i++;
        if (i < n && t[i] == '\n') i++, c->line++;
        break;
    }
    c->pos = i;
    *nf = k;
    return 1;
}

// A field's bytes with doubled quotes made single, into *buf (grown as needed); returns the length.
static rnl_status unescape(const field *x, char **buf, size_t *cap, const char **out, size_t *len) {
    if (!x->escaped) {
        *out = x->p;
        *len = x->n;
        return RNL_OK;
    }
    if (*cap < x->n) {
        char *nb = realloc(*buf, x->n);
        if (!nb) return rnl_fail(RNL_ERR_NOMEM, "reviews CSV: out of memory");
        *buf = nb;
        *cap = x->n;
    }
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++) {
        (*buf)[k++] = x->p[i];
        if (x->p[i] == '"') i++;  // the second quote of a pair
    }
    *out = *buf;
    *len = k;
    return RNL_OK;
}

static int same_word(const char *p, size_t n, const char *w) {
    while (n && is_blank(*p)) p++, n--;
    while (n && is_blank(p[n - 1])) n--;
    size_t k = strlen(w);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++) {
        char a = p[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
        if (a != w[i]) return 0;
    }
    return 1;
}

// 0 or 1, or -1 if the field is not a label.
static int parse_label(const field *x) {
    static const char *neg[] = {"0", "neg", "negative"}, *pos[] = {"1", "pos", "positive"};
    for (int i = 0; i < 3; i++) {
        if (same_word(x->p, x->n, neg[i])) return 0;
        if (same_word(x->p, x->n, pos[i])) return 1;
    }
    return -1;
}

// --- Split assignment ---------------------------------------------------------------------------

// 0 train, 1 test: one row in five goes to test, by a hash of the row's index and the seed (its own
// multiplier, so it is unrelated to the selection priorities of imdb.c).
static int row_part(uint64_t seed, uint32_t row) {
    rnl_rng r;
    rnl_rng_seed(&r, seed ^ (0xc2b2ae3d27d4eb4full * ((uint64_t)row + 1)));
    return rnl_rng_below(&r, 5) == 0;
}

// --- The dataset ----------------------------------------------------------------------------------

typedef struct {
    int text, label;  // column indices
    int nh;           // fields in the header
    char label_name[64];
} columns;

static rnl_status read_header(csv *c, field *f, columns *col) {
    int nh, line;
    int r = next_record(c, f, &nh, &line);
    if (r < 0) return RNL_ERR_FORMAT;
    if (r == 0) return rnl_fail(RNL_ERR_FORMAT, "%s: empty file: expected a header row with text and label columns", c->what);
    col->text = col->label = -1;
    static const char *text_names[] = {"text", "review"}, *label_names[] = {"label", "sentiment"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nh; i++) {
            if (col->text < 0 && same_word(f[i].p, f[i].n, text_names[k])) col->text = i;
            if (col->label < 0 && same_word(f[i].p, f[i].n, label_names[k])) col->label = i;
        }
    if (col->text < 0 || col->label < 0) {
        char cols[256], shown[64];
        size_t k = 0;
        cols[0] = 0;
        for (int i = 0; i < nh && k + 48 < sizeof cols; i++)
            k += (size_t)snprintf(cols + k, sizeof cols - k, "%s'%s'", i ? ", " : "", show(f[i].p, f[i].n, shown));
        return rnl_fail(RNL_ERR_FORMAT, "%s:%d: no '%s' column in the header (columns: %s): expected a header row naming "
                        "a text (or review) column and a label (or sentiment) column", c->what, line,
                        col->text < 0 ? "text" : "label", cols);
    }
    col->nh = nh;
    const field *lf = &f[col->label];
    size_t ln = lf->n < sizeof col->label_name - 1 ? lf->n : sizeof col->label_name - 1;
    memcpy(col->label_name, lf->p, ln);
    col->label_name[ln] = 0;
    return RNL_OK;
}

// One data row: its label (0/1) and the text field, or a message naming the line and the problem.
static rnl_status check_row(const csv *c, const field *f, int nf, int line, const columns *col, int *label) {
    if (nf != col->nh)
        return rnl_fail(RNL_ERR_FORMAT, "%s:%d: %d field%s, the header has %d (a text with commas must be quoted: \"...\")",
                        c->what, line, nf, nf == 1 ? "" : "s", col->nh);
    *label = parse_label(&f[col->label]);
    if (*label < 0) {
        char shown[64];
        const field *x = &f[col->label];
        if (x->n == 0) return rnl_fail(RNL_ERR_FORMAT, "%s:%d: empty label in column '%s'", c->what, line, col->label_name);
        return rnl_fail(RNL_ERR_FORMAT, "%s:%d: bad label '%s' in column '%s' (expected 0/1, neg/pos or negative/positive)",
                        c->what, line, show(x->p, x->n, shown), col->label_name);
    }
    return RNL_OK;
}

// Fills in the sizes left as RNL_TEXT_CSV_ALL and checks them against the rows of each part and label.
static rnl_status resolve_sizes(const char *what, const rnl_text_csv_info *info, rnl_imdb_config *cfg) {
    static const char *part_name[2] = {"training", "test"}, *label_name[2] = {"negative", "positive"};
    for (int p = 0; p < 2; p++)
        for (int l = 0; l < 2; l++)
            if (info->part[p][l] == 0)
                return rnl_fail(RNL_ERR_FORMAT, "%s: no %s reviews in the %s part (%d rows: %d neg / %d pos to training, "
                                "%d neg / %d pos to test; rows go to test by a hash of their index and the seed, one in five): "
                                "the file needs more rows of each label", what, label_name[l], part_name[p], info->rows,
                                info->part[0][0], info->part[0][1], info->part[1][0], info->part[1][1]);
    int tv = 2 * (info->part[0][0] < info->part[0][1] ? info->part[0][0] : info->part[0][1]);  // balanced train + val
    if (cfg->n_test == RNL_TEXT_CSV_ALL)
        cfg->n_test = 2 * (info->part[1][0] < info->part[1][1] ? info->part[1][0] : info->part[1][1]);
    if (cfg->n_train == RNL_TEXT_CSV_ALL && cfg->n_val == RNL_TEXT_CSV_ALL) {
        cfg->n_val = 2 * (tv / 20);  // a tenth, even, so both labels get the same
        cfg->n_train = tv - cfg->n_val;
    } else if (cfg->n_train == RNL_TEXT_CSV_ALL) {
        cfg->n_train = cfg->n_val >= 0 ? tv - cfg->n_val : 0;
        // An odd count gives its extra review to pos, so the pos rows may run out one sooner.
        while (cfg->n_train > 1 && (cfg->n_train - cfg->n_train / 2) + (cfg->n_val - cfg->n_val / 2) > info->part[0][1]) cfg->n_train--;
    } else if (cfg->n_val == RNL_TEXT_CSV_ALL) {
        cfg->n_val = 2 * (tv / 20);
        if (cfg->n_train >= 0 && cfg->n_val > tv - cfg->n_train) cfg->n_val = tv - cfg->n_train > 0 ? tv - cfg->n_train : 0;
        while (cfg->n_val > 0 && (cfg->n_train - cfg->n_train / 2) + (cfg->n_val - cfg->n_val / 2) > info->part[0][1]) cfg->n_val--;
    }
    if (cfg->n_train < 1 || cfg->n_val < 0 || cfg->n_test < 0)
        return rnl_fail(RNL_ERR_ARG, "%s: %d training, %d validation, %d test reviews: need at least 1 training review "
                        "(the training part has %d neg / %d pos rows)", what, cfg->n_train, cfg->n_val, cfg->n_test,
                        info->part[0][0], info->part[0][1]);
    int want[2][2] = {{cfg->n_train / 2 + cfg->n_val / 2, (cfg->n_train - cfg->n_train / 2) + (cfg->n_val - cfg->n_val / 2)},
                      {cfg->n_test / 2, cfg->n_test - cfg->n_test / 2}};
    for (int p = 0; p < 2; p++)
        for (int l = 0; l < 2; l++)
            if (want[p][l] > info->part[p][l])
                return rnl_fail(RNL_ERR_ARG, "%s: %d %s %s reviews asked for, but the %s part has only %d (%d rows, about four "
                                "in five to training): ask for fewer, or leave the sizes out to take all a balanced subset allows",
                                what, want[p][l], label_name[l], p == 0 ? "training + validation" : "test", part_name[p],
                                info->part[p][l], info->rows);
    return RNL_OK;
}

rnl_status rnl_text_csv_dataset(const char *label, const char *text, size_t n, const rnl_imdb_config *cfg,
                                rnl_dataset **out, rnl_text_csv_info *info) {
    const char *what = label && *label ? label : "reviews CSV";
    *out = NULL;
    rnl_text_csv_info local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    if (cfg->val_by_movie)
        return rnl_fail(RNL_ERR_ARG, "%s: validation by movie is for the IMDB archive (its urls files name each review's "
                        "movie); the rows of a reviews CSV have no movies", what);
    if (n >= 2 && (unsigned char)text[0] == 0x1f && (unsigned char)text[1] == 0x8b)
        return rnl_fail(RNL_ERR_FORMAT, "%s: gzip-compressed data, not CSV text: decompress it first", what);
    const char *nul = memchr(text, 0, n);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++) line += *p == '\n';
        return rnl_fail(RNL_ERR_FORMAT, "%s:%d: binary data, not CSV text (a NUL byte at byte %zu)", what, line, (size_t)(nul - text));
    }
    // Classic Mac OS line ends (a carriage return alone; Excel's "CSV (Macintosh)") would make the whole
    // file one record and fail on the header with a puzzling list of columns: say what it is instead.
    const char *cr = memchr(text, '\r', n);
    if (cr && !memchr(text, '\n', n) && cr + 1 < text + n)
        return rnl_fail(RNL_ERR_FORMAT, "%s: lines end with a carriage return alone (classic Mac OS line ends): save the "
                        "file with LF or CRLF line ends", what);
    size_t start = n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;  // UTF-8 byte order mark
    field *f = malloc(sizeof(field) * MAX_FIELDS);
    if (!f) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    rnl_imdb *im = NULL;
    char *buf = NULL;
    size_t cap = 0;

    // Pass 1: the header, then every row checked and counted.
    csv c = {what, text, n, start, 1};
    columns col;
    rnl_status st = read_header(&c, f, &col);
    size_t data_pos = c.pos;
    int data_line = c.line, nf = 0, line = 0, r, lab = 0;
    while (!st && (r = next_record(&c, f, &nf, &line)) != 0) {
        if (r < 0) st = RNL_ERR_FORMAT;
        else if (info->rows == RNL_DATA_MAX_EXAMPLES)
            st = rnl_fail(RNL_ERR_FORMAT, "%s:%d: more than %d rows", what, line, RNL_DATA_MAX_EXAMPLES);
        else if (!(st = check_row(&c, f, nf, line, &col, &lab)))
            info->part[row_part(cfg->seed, (uint32_t)info->rows++)][lab]++;
    }
    if (!st && info->rows == 0) st = rnl_fail(RNL_ERR_FORMAT, "%s: no data rows after the header", what);
    rnl_imdb_config ic = *cfg;
    if (!st) st = resolve_sizes(what, info, &ic);
    if (!st) st = rnl_imdb_create(&im, &ic);

    // Pass 2: every row to the IMDB selection (rows were checked above).
    c.pos = data_pos, c.line = data_line;
    for (uint32_t row = 0; !st && next_record(&c, f, &nf, &line) == 1; row++) {
        const char *t = NULL;
        size_t tn = 0;
        lab = parse_label(&f[col.label]);
        if (!(st = unescape(&f[col.text], &buf, &cap, &t, &tn)))
            st = rnl_imdb_add_review(im, row_part(cfg->seed, row), lab, row, 0, t, tn);
    }
    if (!st) st = rnl_imdb_build(im, out);
    rnl_imdb_destroy(im);
    free(buf);
    free(f);
    return st;
}

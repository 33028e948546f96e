// dataset.c: the in-memory dataset and its file ("rnld", docs/data-format.md): magic, version, kind,
// a fixed header, the contents, a CRC-32. Reading checks, in this order, the header size, the magic,
// the version, the kind, every header field against the hard limits, the total size the header
// implies, the CRC, and then every value; nothing is allocated before the sizes are known to be sane.
// All integers are little-endian and read byte by byte, so the file is the same on every machine.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "rnnlab_data.h"

static const uint8_t MAGIC[8] = {'R', 'N', 'L', 'D', 'A', 'T', 'A', 0};
#define COMMON_HEADER 16
#define TEXT_HEADER 72
#define SERIES_HEADER 120
#define TOKENIZER_VERSION 1
// Text header flags (offset 40).
#define FLAG_KEEP_END 1u      // longer reviews kept their last max_len tokens
#define FLAG_VAL_BY_MOVIE 2u  // validation holds whole movies (rnl_imdb_config.val_by_movie)

// --- The in-memory dataset ----------------------------------------------------------------------

void rnl_dataset_destroy(rnl_dataset *ds) {
    if (!ds) return;
    rnl_vocab_destroy(ds->vocab);
    free(ds->offsets);
    free(ds->tokens);
    free(ds->labels);
    free(ds->ratings);
    free(ds->ids);
    free(ds->values);
    free(ds->norm);
    free(ds);
}

int rnl_dataset_size(const rnl_dataset *ds) { return ds->n_train + ds->n_val + ds->n_test; }

void rnl_dataset_split(const rnl_dataset *ds, rnl_split s, int *first, int *count) {
    int f = 0, c = 0;
    switch (s) {
    case RNL_SPLIT_TRAIN: f = 0, c = ds->n_train; break;
    case RNL_SPLIT_VAL: f = ds->n_train, c = ds->n_val; break;
    case RNL_SPLIT_TEST: f = ds->n_train + ds->n_val, c = ds->n_test; break;
    }
    if (first) *first = f;
    if (count) *count = c;
}

int rnl_dataset_length(const rnl_dataset *ds, int i) {
    if (i < 0 || i >= rnl_dataset_size(ds)) return 0;
    if (ds->kind == RNL_DATASET_SERIES) return ds->window;
    return (int)(ds->offsets[i + 1] - ds->offsets[i]);
}

void rnl_dataset_shape(const rnl_dataset *ds, rnl_config *cfg) {
    cfg->seq2seq = 0;
    if (ds->kind == RNL_DATASET_TEXT) {
        cfg->vocab = rnl_vocab_size(ds->vocab);
        cfg->head = RNL_HEAD_BINARY;
        cfg->outputs = 1;
        if (cfg->embed <= 0) cfg->embed = 32;
    } else {
        cfg->vocab = 0;
        cfg->embed = 0;  // no vocabulary, no embedding (docs/checkpoint-format.md)
        cfg->input_size = 1;
        cfg->head = RNL_HEAD_REGRESSION;
        cfg->outputs = ds->horizon;
    }
}

void rnl_dataset_describe(const rnl_dataset *ds, char *buf, size_t cap) {
    if (ds->kind == RNL_DATASET_TEXT)
        snprintf(buf, cap, "text: %d train / %d val / %d test reviews, vocab %d, max_len %d (keep %s), seed %llu%s",
                 ds->n_train, ds->n_val, ds->n_test, rnl_vocab_size(ds->vocab), ds->max_len,
                 ds->keep_end ? "end" : "start", (unsigned long long)ds->seed,
                 ds->val_by_movie ? "; validation holds whole movies, none of them in train" : "");
    else
        snprintf(buf, cap, "series '%s': %d values (%d / %d / %d), window %d, horizon %d: %d train / %d val / %d test "
                 "windows; train mean %.4g, std %.4g",
                 ds->column, ds->n_values, ds->part[0], ds->part[1], ds->part[2], ds->window, ds->horizon,
                 ds->n_train, ds->n_val, ds->n_test, ds->mean, ds->std);
}

// Windows whose inputs and targets both lie inside a part of `values` values.
static int windows_in(int values, int window, int horizon) {
    int w = values - window - horizon + 1;
    return w > 0 ? w : 0;
}

// Mean and population std of x[0..n-1], summed in order (the same on every build).
static void mean_std(const double *x, int n, double *mean, double *std) {
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += x[i];
    double m = n ? s / n : 0;
    for (int i = 0; i < n; i++) q += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = n ? sqrt(q / n) : 0;
}

// --- Validation shared by writing (st = RNL_ERR_ARG) and reading (st = RNL_ERR_FORMAT) ---------------

static rnl_status check_counts(const char *what, rnl_status st, long long n_train, long long n_val, long long n_test) {
    if (n_train < 0 || n_val < 0 || n_test < 0 || n_train + n_val + n_test > RNL_DATA_MAX_EXAMPLES)
        return rnl_fail(st, "%s: split sizes %lld / %lld / %lld are outside 0..%d in all", what, n_train, n_val, n_test,
                        RNL_DATA_MAX_EXAMPLES);
    // Zero examples is allowed: a text file with only its vocabulary and tokenizer settings is how a
    // checkpoint carries what `predict` needs (rnl_dataset_write_description).
    return RNL_OK;
}

static rnl_status check_word(const char *what, rnl_status st, const char *w, size_t len, int id) {
    if (len == 0 || len > RNL_TOKEN_MAX)
        return rnl_fail(st, "%s: vocabulary word %d has %zu bytes (must be 1..%d)", what, id, len, RNL_TOKEN_MAX);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)w[k];
        if (c <= ' ' || c == 0x7f)
            return rnl_fail(st, "%s: vocabulary word %d contains a space or control byte (0x%02x)", what, id, c);
    }
    return RNL_OK;
}

// Content of a text dataset: offsets, lengths, token ids, labels, ratings.
static rnl_status check_text_content(const char *what, rnl_status st, const rnl_dataset *ds) {
    int n = rnl_dataset_size(ds), V = rnl_vocab_size(ds->vocab);
    if (ds->offsets[0] != 0) return rnl_fail(st, "%s: offsets[0] is %lld, not 0", what, (long long)ds->offsets[0]);
    for (int i = 0; i < n; i++) {
        int64_t len = ds->offsets[i + 1] - ds->offsets[i];
        if (len < 1 || len > ds->max_len)
            return rnl_fail(st, "%s: example %d has length %lld (must be 1..max_len %d)", what, i, (long long)len, ds->max_len);
        if (ds->labels[i] > 1) return rnl_fail(st, "%s: example %d has label %d (must be 0 or 1)", what, i, ds->labels[i]);
        if (ds->ratings[i] > 10) return rnl_fail(st, "%s: example %d has rating %d (must be 0..10)", what, i, ds->ratings[i]);
        for (int64_t k = ds->offsets[i]; k < ds->offsets[i + 1]; k++)
            if (ds->tokens[k] < 1 || ds->tokens[k] >= V)
                return rnl_fail(st, "%s: example %d has token id %d at position %lld (must be 1..%d)", what, i,
                                (int)ds->tokens[k], (long long)(k - ds->offsets[i]), V - 1);
    }
    return RNL_OK;
}

static rnl_status check_series_header(const char *what, rnl_status st, long long n_values, const long long part[3],
                                      long long window, long long horizon) {
    if (n_values < 1 || n_values > (long long)RNL_DATA_MAX_VALUES)
        return rnl_fail(st, "%s: series of %lld values (must be 1..%u)", what, n_values, RNL_DATA_MAX_VALUES);
    if (part[0] < 0 || part[1] < 0 || part[2] < 0 || part[0] + part[1] + part[2] != n_values)
        return rnl_fail(st, "%s: parts of %lld + %lld + %lld values do not add up to the %lld values", what, part[0], part[1],
                        part[2], n_values);
    if (window < 1 || window > RNL_MAX_STEPS)
        return rnl_fail(st, "%s: window %lld is outside 1..%d", what, window, RNL_MAX_STEPS);
    if (horizon < 1 || horizon > RNL_MAX_WIDTH)
        return rnl_fail(st, "%s: horizon %lld is outside 1..%d", what, horizon, RNL_MAX_WIDTH);
    if (part[0] < window + horizon)
        return rnl_fail(st, "%s: the training part has %lld values, fewer than window + horizon = %lld", what, part[0],
                        window + horizon);
    return RNL_OK;
}

static rnl_status check_series_content(const char *what, rnl_status st, const rnl_dataset *ds) {
    for (int i = 0; i < ds->n_values; i++)
        if (!isfinite(ds->values[i])) return rnl_fail(st, "%s: value %d is not finite", what, i);
    double m, s;
    mean_std(ds->values, ds->part[0], &m, &s);
    if (!(s > 0)) return rnl_fail(st, "%s: the training part is constant (std 0): cannot normalise", what);
    if (!(fabs(m - ds->mean) <= 1e-9 * (fabs(m) + s)) || !(fabs(s - ds->std) <= 1e-9 * s))
        return rnl_fail(st, "%s: mean %.17g / std %.17g do not match the training part (%.17g / %.17g)", what, ds->mean,
                        ds->std, m, s);
    if (memchr(ds->column, 0, sizeof ds->column) == NULL)
        return rnl_fail(st, "%s: column name is not terminated", what);
    return RNL_OK;
}

// --- Writing ------------------------------------------------------------------------------------

static rnl_status write_text(const rnl_dataset *ds, uint8_t **out, size_t *nout) {
    const char *what = "data file";
    rnl_status st = check_counts(what, RNL_ERR_ARG, ds->n_train, ds->n_val, ds->n_test);
    if (st != RNL_OK) return st;
    if (!ds->vocab || !ds->offsets || !ds->tokens || !ds->labels || !ds->ratings || !ds->ids)
        return rnl_fail(RNL_ERR_ARG, "%s: text dataset with missing arrays", what);
    if (ds->max_len < 1 || ds->max_len > RNL_MAX_STEPS)
        return rnl_fail(RNL_ERR_ARG, "%s: max_len %d is outside 1..%d", what, ds->max_len, RNL_MAX_STEPS);
    if ((st = check_text_content(what, RNL_ERR_ARG, ds)) != RNL_OK) return st;
    int n = rnl_dataset_size(ds), V = rnl_vocab_size(ds->vocab);
    uint64_t total = (uint64_t)ds->offsets[n], vocab_bytes = 0;
    if (total > RNL_DATA_MAX_TOKENS) return rnl_fail(RNL_ERR_ARG, "%s: %llu tokens (limit %u)", what, (unsigned long long)total, RNL_DATA_MAX_TOKENS);
    for (int id = 2; id < V; id++) vocab_bytes += strlen(rnl_vocab_word(ds->vocab, id));
    int tb = V <= 65536 ? 2 : 4;
    uint64_t size = TEXT_HEADER + (uint64_t)(V - 2) + vocab_bytes + (uint64_t)n * 10 + total * (uint64_t)tb + 4;
    if (size > SIZE_MAX) return rnl_fail(RNL_ERR_NOMEM, "%s: %llu bytes do not fit in memory", what, (unsigned long long)size);
    uint8_t *buf = malloc((size_t)size), *p = buf;
    if (!buf) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %llu bytes", what, (unsigned long long)size);
    memcpy(p, MAGIC, 8);
    rnl_put_u32(p + 8, RNL_DATA_VERSION);
    rnl_put_u32(p + 12, RNL_DATASET_TEXT);
    rnl_put_u32(p + 16, (uint32_t)ds->n_train);
    rnl_put_u32(p + 20, (uint32_t)ds->n_val);
    rnl_put_u32(p + 24, (uint32_t)ds->n_test);
    rnl_put_u32(p + 28, (uint32_t)V);
    rnl_put_u32(p + 32, (uint32_t)vocab_bytes);
    rnl_put_u32(p + 36, (uint32_t)ds->max_len);
    rnl_put_u32(p + 40, (ds->keep_end ? FLAG_KEEP_END : 0u) | (ds->val_by_movie ? FLAG_VAL_BY_MOVIE : 0u));
    rnl_put_u32(p + 44, (uint32_t)tb);
    rnl_put_u64(p + 48, total);
    rnl_put_u64(p + 56, ds->seed);
    rnl_put_u32(p + 64, TOKENIZER_VERSION);
    rnl_put_u32(p + 68, 0);
    p += TEXT_HEADER;
    for (int id = 2; id < V; id++) {
        const char *w = rnl_vocab_word(ds->vocab, id);
        size_t len = strlen(w);
        *p++ = (uint8_t)len;
        memcpy(p, w, len);
        p += len;
    }
    for (int i = 0; i < n; i++, p += 4) rnl_put_u32(p, (uint32_t)(ds->offsets[i + 1] - ds->offsets[i]));
    memcpy(p, ds->labels, (size_t)n), p += n;
    memcpy(p, ds->ratings, (size_t)n), p += n;
    for (int i = 0; i < n; i++, p += 4) rnl_put_u32(p, ds->ids[i]);
    for (uint64_t k = 0; k < total; k++) {
        uint32_t t = (uint32_t)ds->tokens[k];
        if (tb == 2) *p++ = (uint8_t)t, *p++ = (uint8_t)(t >> 8);
        else rnl_put_u32(p, t), p += 4;
    }
    rnl_put_u32(p, rnl_crc32(buf, (size_t)(p - buf)));
    *out = buf;
    *nout = (size_t)size;
    return RNL_OK;
}

static rnl_status write_series(const rnl_dataset *ds, uint8_t **out, size_t *nout) {
    const char *what = "data file";
    long long part[3] = {ds->part[0], ds->part[1], ds->part[2]};
    rnl_status st = check_series_header(what, RNL_ERR_ARG, ds->n_values, part, ds->window, ds->horizon);
    if (st != RNL_OK) return st;
    if (!ds->values) return rnl_fail(RNL_ERR_ARG, "%s: series dataset without values", what);
    if ((st = check_series_content(what, RNL_ERR_ARG, ds)) != RNL_OK) return st;
    size_t size = SERIES_HEADER + (size_t)ds->n_values * 8 + 4;
    uint8_t *buf = calloc(1, size), *p = buf;
    if (!buf) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu bytes", what, size);
    memcpy(p, MAGIC, 8);
    rnl_put_u32(p + 8, RNL_DATA_VERSION);
    rnl_put_u32(p + 12, RNL_DATASET_SERIES);
    rnl_put_u32(p + 16, (uint32_t)ds->n_values);
    for (int s = 0; s < 3; s++) rnl_put_u32(p + 20 + 4 * s, (uint32_t)ds->part[s]);
    rnl_put_u32(p + 32, (uint32_t)ds->window);
    rnl_put_u32(p + 36, (uint32_t)ds->horizon);
    rnl_put_f64(p + 40, ds->mean);
    rnl_put_f64(p + 48, ds->std);
    memcpy(p + 56, ds->column, strlen(ds->column));  // NUL-padded to 64 bytes by calloc
    p += SERIES_HEADER;
    for (int i = 0; i < ds->n_values; i++, p += 8) rnl_put_f64(p, ds->values[i]);
    rnl_put_u32(p, rnl_crc32(buf, (size_t)(p - buf)));
    *out = buf;
    *nout = size;
    return RNL_OK;
}

rnl_status rnl_dataset_write(const rnl_dataset *ds, uint8_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (ds->kind == RNL_DATASET_TEXT) return write_text(ds, out, n);
    if (ds->kind == RNL_DATASET_SERIES) return write_series(ds, out, n);
    return rnl_fail(RNL_ERR_ARG, "data file: unknown dataset kind %d", (int)ds->kind);
}

rnl_status rnl_dataset_write_description(const rnl_dataset *ds, uint8_t **out, size_t *n) {
    if (ds->kind != RNL_DATASET_TEXT) return rnl_dataset_write(ds, out, n);  // a series file is small: all of it
    rnl_dataset d = *ds;
    int64_t zero = 0;
    d.n_train = d.n_val = d.n_test = 0;
    d.offsets = &zero;
    // How validation was drawn is no part of how a model reads text: a model of a by-movie file keeps the
    // meta bytes of the same vocabulary drawn at random, and can be evaluated on either file.
    d.val_by_movie = 0;
    return rnl_dataset_write(&d, out, n);
}

rnl_status rnl_dataset_save(const rnl_dataset *ds, const char *path) {
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_dataset_write(ds, &buf, &n);
    if (st != RNL_OK) return st;
    st = rnl_file_write_atomic(path, buf, n);
    free(buf);
    return st;
}

// --- Reading ------------------------------------------------------------------------------------

static rnl_status read_text(const uint8_t *buf, size_t n, const char *what, rnl_dataset **out) {
    rnl_status F = RNL_ERR_FORMAT;
    if (n < TEXT_HEADER + 4)
        return rnl_fail(F, "%s: truncated: %zu bytes, shorter than the %d-byte header", what, n, TEXT_HEADER + 4);
    uint32_t n_train = rnl_get_u32(buf + 16), n_val = rnl_get_u32(buf + 20), n_test = rnl_get_u32(buf + 24);
    uint32_t V = rnl_get_u32(buf + 28), vocab_bytes = rnl_get_u32(buf + 32), max_len = rnl_get_u32(buf + 36), flags = rnl_get_u32(buf + 40);
    uint32_t tb = rnl_get_u32(buf + 44), tokver = rnl_get_u32(buf + 64), reserved = rnl_get_u32(buf + 68);
    uint64_t total = rnl_get_u64(buf + 48), seed = rnl_get_u64(buf + 56);
    rnl_status st = check_counts(what, F, n_train, n_val, n_test);
    if (st != RNL_OK) return st;
    uint64_t count = (uint64_t)n_train + n_val + n_test;
    if (V < 2 || V > RNL_MAX_VOCAB) return rnl_fail(F, "%s: vocabulary size %u is outside 2..%d", what, V, RNL_MAX_VOCAB);
    if ((uint64_t)vocab_bytes > (uint64_t)(V - 2) * RNL_TOKEN_MAX || vocab_bytes < V - 2)
        return rnl_fail(F, "%s: vocabulary of %u words cannot take %u bytes", what, V - 2, vocab_bytes);
    if (max_len < 1 || max_len > RNL_MAX_STEPS) return rnl_fail(F, "%s: max_len %u is outside 1..%d", what, max_len, RNL_MAX_STEPS);
    if (flags & ~(FLAG_KEEP_END | FLAG_VAL_BY_MOVIE)) return rnl_fail(F, "%s: unknown flags 0x%x", what, flags);
    if (tb != (V <= 65536 ? 2u : 4u))
        return rnl_fail(F, "%s: token width %u bytes does not fit a vocabulary of %u (expected %u)", what, tb, V, V <= 65536 ? 2u : 4u);
    if (total > RNL_DATA_MAX_TOKENS || total < count || total > count * max_len)
        return rnl_fail(F, "%s: %llu tokens for %llu examples of at most %u is impossible (limit %u)", what,
                        (unsigned long long)total, (unsigned long long)count, max_len, RNL_DATA_MAX_TOKENS);
    if (tokver != TOKENIZER_VERSION)
        return rnl_fail(F, "%s: tokenizer version %u (this build tokenizes as version %d)", what, tokver, TOKENIZER_VERSION);
    if (reserved != 0) return rnl_fail(F, "%s: reserved header field is %u, not 0", what, reserved);
    uint64_t size = TEXT_HEADER + (uint64_t)(V - 2) + vocab_bytes + count * 10 + total * tb + 4;
    if (n < size)
        return rnl_fail(F, "%s: truncated: the header promises %llu bytes, there are %zu", what, (unsigned long long)size, n);
    if (n > size)
        return rnl_fail(F, "%s: %llu bytes of trailing data after the %llu bytes the header promises", what,
                        (unsigned long long)(n - size), (unsigned long long)size);
    uint32_t stored = rnl_get_u32(buf + size - 4), crc = rnl_crc32(buf, (size_t)size - 4);
    if (stored != crc) return rnl_fail(F, "%s: CRC-32 mismatch (stored %08x, computed %08x): the file is corrupt", what, stored, crc);

    // The sizes are sane and the bytes are the ones written: allocate and parse.
    rnl_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    ds->kind = RNL_DATASET_TEXT;
    ds->n_train = (int)n_train, ds->n_val = (int)n_val, ds->n_test = (int)n_test;
    ds->seed = seed;
    ds->max_len = (int)max_len;
    ds->keep_end = (flags & FLAG_KEEP_END) != 0;
    ds->val_by_movie = (flags & FLAG_VAL_BY_MOVIE) != 0;
    size_t nn = (size_t)count;
    ds->offsets = malloc(sizeof(int64_t) * (nn + 1));
    ds->tokens = malloc(sizeof(int32_t) * (size_t)total);
    ds->labels = malloc(nn);
    ds->ratings = malloc(nn);
    ds->ids = malloc(sizeof(uint32_t) * nn);
    if (!ds->offsets || !ds->tokens || !ds->labels || !ds->ratings || !ds->ids || rnl_vocab_create(&ds->vocab) != RNL_OK) {
        rnl_dataset_destroy(ds);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %llu examples", what, (unsigned long long)count);
    }
    const uint8_t *p = buf + TEXT_HEADER, *vend = p + (V - 2) + vocab_bytes;
    for (uint32_t id = 2; id < V; id++) {
        size_t len = *p++;
        if (len > (size_t)(vend - p)) {
            rnl_dataset_destroy(ds);
            return rnl_fail(F, "%s: vocabulary word %u runs past the %u bytes of the vocabulary", what, id, vocab_bytes);
        }
        if ((st = check_word(what, F, (const char *)p, len, (int)id)) != RNL_OK ||
            (st = rnl_vocab_add(ds->vocab, (const char *)p, len)) != RNL_OK) {
            if (st == RNL_ERR_FORMAT && strncmp(rnl_last_error(), "vocabulary: duplicate", 21) == 0)
                rnl_fail(F, "%s: vocabulary word %u '%.*s' appears twice", what, id, (int)len, (const char *)p);
            rnl_dataset_destroy(ds);
            return st;
        }
        p += len;
    }
    if (p != vend) {
        rnl_dataset_destroy(ds);
        return rnl_fail(F, "%s: the vocabulary words take %zu bytes, the header says %u", what,
                        (size_t)(vocab_bytes - (size_t)(vend - p)), vocab_bytes);
    }
    int64_t off = 0;
    ds->offsets[0] = 0;
    for (size_t i = 0; i < nn; i++, p += 4) {
        uint32_t len = rnl_get_u32(p);
        if (len < 1 || len > max_len) {
            rnl_dataset_destroy(ds);
            return rnl_fail(F, "%s: example %zu has length %u (must be 1..max_len %u)", what, i, len, max_len);
        }
        off += len;
        ds->offsets[i + 1] = off;
    }
    if ((uint64_t)off != total) {
        rnl_dataset_destroy(ds);
        return rnl_fail(F, "%s: the lengths add up to %lld tokens, the header says %llu", what, (long long)off, (unsigned long long)total);
    }
    memcpy(ds->labels, p, nn), p += nn;
    memcpy(ds->ratings, p, nn), p += nn;
    for (size_t i = 0; i < nn; i++, p += 4) ds->ids[i] = rnl_get_u32(p);
    for (uint64_t k = 0; k < total; k++, p += tb) ds->tokens[k] = tb == 2 ? (int32_t)(p[0] | p[1] << 8) : (int32_t)rnl_get_u32(p);
    if ((st = check_text_content(what, F, ds)) != RNL_OK) {
        rnl_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return RNL_OK;
}

static rnl_status read_series(const uint8_t *buf, size_t n, const char *what, rnl_dataset **out) {
    rnl_status F = RNL_ERR_FORMAT;
    if (n < SERIES_HEADER + 4)
        return rnl_fail(F, "%s: truncated: %zu bytes, shorter than the %d-byte header", what, n, SERIES_HEADER + 4);
    long long n_values = rnl_get_u32(buf + 16), part[3] = {rnl_get_u32(buf + 20), rnl_get_u32(buf + 24), rnl_get_u32(buf + 28)};
    long long window = rnl_get_u32(buf + 32), horizon = rnl_get_u32(buf + 36);
    rnl_status st = check_series_header(what, F, n_values, part, window, horizon);
    if (st != RNL_OK) return st;
    uint64_t size = SERIES_HEADER + (uint64_t)n_values * 8 + 4;
    if (n < size)
        return rnl_fail(F, "%s: truncated: the header promises %llu bytes, there are %zu", what, (unsigned long long)size, n);
    if (n > size)
        return rnl_fail(F, "%s: %llu bytes of trailing data after the %llu bytes the header promises", what,
                        (unsigned long long)(n - size), (unsigned long long)size);
    uint32_t stored = rnl_get_u32(buf + size - 4), crc = rnl_crc32(buf, (size_t)size - 4);
    if (stored != crc) return rnl_fail(F, "%s: CRC-32 mismatch (stored %08x, computed %08x): the file is corrupt", what, stored, crc);
    rnl_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    ds->kind = RNL_DATASET_SERIES;
    ds->n_values = (int)n_values;
    for (int s = 0; s < 3; s++) ds->part[s] = (int)part[s];
    ds->window = (int)window, ds->horizon = (int)horizon;
    ds->mean = rnl_get_f64(buf + 40), ds->std = rnl_get_f64(buf + 48);
    memcpy(ds->column, buf + 56, 64);
    ds->n_train = windows_in(ds->part[0], ds->window, ds->horizon);
    ds->n_val = windows_in(ds->part[1], ds->window, ds->horizon);
    ds->n_test = windows_in(ds->part[2], ds->window, ds->horizon);
    ds->values = malloc(sizeof(double) * (size_t)n_values);
    ds->norm = malloc(sizeof(float) * (size_t)n_values);
    if (!ds->values || !ds->norm) {
        rnl_dataset_destroy(ds);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %lld values", what, n_values);
    }
    for (long long i = 0; i < n_values; i++) ds->values[i] = rnl_get_f64(buf + SERIES_HEADER + 8 * i);
    if ((st = check_series_content(what, F, ds)) != RNL_OK) {
        rnl_dataset_destroy(ds);
        return st;
    }
    for (long long i = 0; i < n_values; i++) ds->norm[i] = (float)((ds->values[i] - ds->mean) / ds->std);
    *out = ds;
    return RNL_OK;
}

rnl_status rnl_dataset_read(const uint8_t *buf, size_t n, const char *label, rnl_dataset **out) {
    const char *what = label && *label ? label : "data file";
    *out = NULL;
    if (n < COMMON_HEADER)
        return rnl_fail(RNL_ERR_FORMAT, "%s: truncated: %zu bytes, shorter than the %d-byte header", what, n, COMMON_HEADER);
    if (memcmp(buf, MAGIC, 8) != 0) {
        const char *hint = "";
        if (buf[0] == 0x1f && buf[1] == 0x8b) hint = ": it is gzip-compressed data (an archive? build a subset from it first)";
        else if (memcmp(buf, "RNNLAB", 6) == 0) hint = ": it is an rnnlab checkpoint, not a data file";
        return rnl_fail(RNL_ERR_FORMAT, "%s: not an rnnlab data file (bad magic)%s", what, hint);
    }
    uint32_t version = rnl_get_u32(buf + 8), kind = rnl_get_u32(buf + 12);
    if (version != RNL_DATA_VERSION)
        return rnl_fail(RNL_ERR_FORMAT, "%s: unsupported version %u (this build reads version %d)", what, version, RNL_DATA_VERSION);
    if (kind == RNL_DATASET_TEXT) return read_text(buf, n, what, out);
    if (kind == RNL_DATASET_SERIES) return read_series(buf, n, what, out);
    return rnl_fail(RNL_ERR_FORMAT, "%s: unknown dataset kind %u (1 = text, 2 = series)", what, kind);
}

rnl_status rnl_dataset_load(const char *path, rnl_dataset **out) {
    uint8_t *buf;
    size_t n;
    *out = NULL;
    rnl_status st = rnl_file_read(path, (uint64_t)1 << 31, &buf, &n);
    if (st != RNL_OK) return st;
    st = rnl_dataset_read(buf, n, path, out);
    free(buf);
    return st;
}

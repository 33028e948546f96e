// dataset.c: the in-memory dataset and its file ("rnld", docs/data-format.md): magic, version, kind,
// a fixed header, the contents, a CRC-32. Reading checks, in this order, the header size, the magic,
// the version, the kind, every header field against the hard limits, the total size the header
// implies, the CRC, and then every value; nothing is allocated before the sizes are known to be sane.
// All integers are little-endian and read byte by byte, so the file is the same on every machine.
#define _POSIX_C_SOURCE 200809L  // fileno, fsync: a saved file is on disk before it replaces the old one

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "rnnlab_data.h"

static const uint8_t MAGIC[8] = {'R', 'N', 'L', 'D', 'A', 'T', 'A', 0};
#define COMMON_HEADER 16
#define TEXT_HEADER 72
#define SERIES_HEADER 120
#define TOKENIZER_VERSION 1

// --- CRC-32 (IEEE, as zlib and PNG) ---------------------------------------------------------------
// Own copy: rnl_crc32 belongs to the checkpoint code, and the WASM build has no zlib.

static const uint32_t CRC_TABLE[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu, 0xe963a535u, 0x9e6495a3u,
    0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u,
    0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u, 0xfa0f3d63u, 0x8d080df5u,
    0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u, 0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
    0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u, 0xb8bda50fu,
    0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u, 0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du,
    0x76dc4190u, 0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
    0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu, 0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u,
    0x65b0d9c6u, 0x12b7e950u, 0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu,
    0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u, 0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u,
    0x5005713cu, 0x270241aau, 0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu,
    0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au, 0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u,
    0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu, 0x196c3671u, 0x6e6b06e7u,
    0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
    0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu, 0x4669be79u,
    0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u, 0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu,
    0xc5ba3bbeu, 0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
    0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u, 0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u,
    0x86d3d2d4u, 0xf1d4e242u, 0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u,
    0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu,
    0xaed16a4au, 0xd9d65adcu, 0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u, 0x54de5729u, 0x23d967bfu,
    0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u, 0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t data_crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

// --- Little-endian bytes ------------------------------------------------------------------------

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void putf64(uint8_t *p, double x) {
    uint64_t v;
    memcpy(&v, &x, 8);
    put64(p, v);
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }
static double getf64(const uint8_t *p) {
    uint64_t v = get64(p);
    double x;
    memcpy(&x, &v, 8);
    return x;
}

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
        cfg->input_size = 1;
        cfg->head = RNL_HEAD_REGRESSION;
        cfg->outputs = ds->horizon;
    }
}

void rnl_dataset_describe(const rnl_dataset *ds, char *buf, size_t cap) {
    if (ds->kind == RNL_DATASET_TEXT)
        snprintf(buf, cap, "text: %d train / %d val / %d test reviews, vocab %d, max_len %d (keep %s), seed %llu",
                 ds->n_train, ds->n_val, ds->n_test, rnl_vocab_size(ds->vocab), ds->max_len,
                 ds->keep_end ? "end" : "start", (unsigned long long)ds->seed);
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
    put32(p + 8, RNL_DATA_VERSION);
    put32(p + 12, RNL_DATASET_TEXT);
    put32(p + 16, (uint32_t)ds->n_train);
    put32(p + 20, (uint32_t)ds->n_val);
    put32(p + 24, (uint32_t)ds->n_test);
    put32(p + 28, (uint32_t)V);
    put32(p + 32, (uint32_t)vocab_bytes);
    put32(p + 36, (uint32_t)ds->max_len);
    put32(p + 40, ds->keep_end ? 1u : 0u);
    put32(p + 44, (uint32_t)tb);
    put64(p + 48, total);
    put64(p + 56, ds->seed);
    put32(p + 64, TOKENIZER_VERSION);
    put32(p + 68, 0);
    p += TEXT_HEADER;
    for (int id = 2; id < V; id++) {
        const char *w = rnl_vocab_word(ds->vocab, id);
        size_t len = strlen(w);
        *p++ = (uint8_t)len;
        memcpy(p, w, len);
        p += len;
    }
    for (int i = 0; i < n; i++, p += 4) put32(p, (uint32_t)(ds->offsets[i + 1] - ds->offsets[i]));
    memcpy(p, ds->labels, (size_t)n), p += n;
    memcpy(p, ds->ratings, (size_t)n), p += n;
    for (int i = 0; i < n; i++, p += 4) put32(p, ds->ids[i]);
    for (uint64_t k = 0; k < total; k++) {
        uint32_t t = (uint32_t)ds->tokens[k];
        if (tb == 2) *p++ = (uint8_t)t, *p++ = (uint8_t)(t >> 8);
        else put32(p, t), p += 4;
    }
    put32(p, data_crc32(buf, (size_t)(p - buf)));
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
    put32(p + 8, RNL_DATA_VERSION);
    put32(p + 12, RNL_DATASET_SERIES);
    put32(p + 16, (uint32_t)ds->n_values);
    for (int s = 0; s < 3; s++) put32(p + 20 + 4 * s, (uint32_t)ds->part[s]);
    put32(p + 32, (uint32_t)ds->window);
    put32(p + 36, (uint32_t)ds->horizon);
    putf64(p + 40, ds->mean);
    putf64(p + 48, ds->std);
    memcpy(p + 56, ds->column, strlen(ds->column));  // NUL-padded to 64 bytes by calloc
    p += SERIES_HEADER;
    for (int i = 0; i < ds->n_values; i++, p += 8) putf64(p, ds->values[i]);
    put32(p, data_crc32(buf, (size_t)(p - buf)));
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
    return rnl_dataset_write(&d, out, n);
}

rnl_status rnl_dataset_save(const rnl_dataset *ds, const char *path) {
#ifdef RNL_NO_FILES
    (void)ds;
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (RNL_NO_FILES): use rnl_dataset_write", path);
#else
    uint8_t *buf;
    size_t n;
    rnl_status st = rnl_dataset_write(ds, &buf, &n);
    if (st != RNL_OK) return st;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp) {
        free(buf);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = rnl_fail(RNL_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    } else {
        int ok = fwrite(buf, 1, n, f) == n && fflush(f) == 0;
#ifndef _WIN32
        ok = ok && fsync(fileno(f)) == 0;
#endif
        int err = errno;
        ok = (fclose(f) == 0) && ok;
        if (!ok) st = rnl_fail(RNL_ERR_IO, "%s: write failed: %s", tmp, strerror(err ? err : errno));
        else if (rename(tmp, path) != 0) st = rnl_fail(RNL_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        if (st != RNL_OK) remove(tmp);
    }
    free(tmp);
    free(buf);
    return st;
#endif
}

// --- Reading ------------------------------------------------------------------------------------

static rnl_status read_text(const uint8_t *buf, size_t n, const char *what, rnl_dataset **out) {
    rnl_status F = RNL_ERR_FORMAT;
    if (n < TEXT_HEADER + 4)
        return rnl_fail(F, "%s: truncated: %zu bytes, shorter than the %d-byte header", what, n, TEXT_HEADER + 4);
    uint32_t n_train = get32(buf + 16), n_val = get32(buf + 20), n_test = get32(buf + 24);
    uint32_t V = get32(buf + 28), vocab_bytes = get32(buf + 32), max_len = get32(buf + 36), flags = get32(buf + 40);
    uint32_t tb = get32(buf + 44), tokver = get32(buf + 64), reserved = get32(buf + 68);
    uint64_t total = get64(buf + 48), seed = get64(buf + 56);
    rnl_status st = check_counts(what, F, n_train, n_val, n_test);
    if (st != RNL_OK) return st;
    uint64_t count = (uint64_t)n_train + n_val + n_test;
    if (V < 2 || V > RNL_MAX_VOCAB) return rnl_fail(F, "%s: vocabulary size %u is outside 2..%d", what, V, RNL_MAX_VOCAB);
    if ((uint64_t)vocab_bytes > (uint64_t)(V - 2) * RNL_TOKEN_MAX || vocab_bytes < V - 2)
        return rnl_fail(F, "%s: vocabulary of %u words cannot take %u bytes", what, V - 2, vocab_bytes);
    if (max_len < 1 || max_len > RNL_MAX_STEPS) return rnl_fail(F, "%s: max_len %u is outside 1..%d", what, max_len, RNL_MAX_STEPS);
    if (flags > 1) return rnl_fail(F, "%s: unknown flags 0x%x", what, flags);
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
    uint32_t stored = get32(buf + size - 4), crc = data_crc32(buf, (size_t)size - 4);
    if (stored != crc) return rnl_fail(F, "%s: CRC-32 mismatch (stored %08x, computed %08x): the file is corrupt", what, stored, crc);

    // The sizes are sane and the bytes are the ones written: allocate and parse.
    rnl_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    ds->kind = RNL_DATASET_TEXT;
    ds->n_train = (int)n_train, ds->n_val = (int)n_val, ds->n_test = (int)n_test;
    ds->seed = seed;
    ds->max_len = (int)max_len;
    ds->keep_end = (int)(flags & 1);
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
        uint32_t len = get32(p);
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
    for (size_t i = 0; i < nn; i++, p += 4) ds->ids[i] = get32(p);
    for (uint64_t k = 0; k < total; k++, p += tb) ds->tokens[k] = tb == 2 ? (int32_t)(p[0] | p[1] << 8) : (int32_t)get32(p);
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
    long long n_values = get32(buf + 16), part[3] = {get32(buf + 20), get32(buf + 24), get32(buf + 28)};
    long long window = get32(buf + 32), horizon = get32(buf + 36);
    rnl_status st = check_series_header(what, F, n_values, part, window, horizon);
    if (st != RNL_OK) return st;
    uint64_t size = SERIES_HEADER + (uint64_t)n_values * 8 + 4;
    if (n < size)
        return rnl_fail(F, "%s: truncated: the header promises %llu bytes, there are %zu", what, (unsigned long long)size, n);
    if (n > size)
        return rnl_fail(F, "%s: %llu bytes of trailing data after the %llu bytes the header promises", what,
                        (unsigned long long)(n - size), (unsigned long long)size);
    uint32_t stored = get32(buf + size - 4), crc = data_crc32(buf, (size_t)size - 4);
    if (stored != crc) return rnl_fail(F, "%s: CRC-32 mismatch (stored %08x, computed %08x): the file is corrupt", what, stored, crc);
    rnl_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    ds->kind = RNL_DATASET_SERIES;
    ds->n_values = (int)n_values;
    for (int s = 0; s < 3; s++) ds->part[s] = (int)part[s];
    ds->window = (int)window, ds->horizon = (int)horizon;
    ds->mean = getf64(buf + 40), ds->std = getf64(buf + 48);
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
    for (long long i = 0; i < n_values; i++) ds->values[i] = getf64(buf + SERIES_HEADER + 8 * i);
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
    uint32_t version = get32(buf + 8), kind = get32(buf + 12);
    if (version != RNL_DATA_VERSION)
        return rnl_fail(RNL_ERR_FORMAT, "%s: unsupported version %u (this build reads version %d)", what, version, RNL_DATA_VERSION);
    if (kind == RNL_DATASET_TEXT) return read_text(buf, n, what, out);
    if (kind == RNL_DATASET_SERIES) return read_series(buf, n, what, out);
    return rnl_fail(RNL_ERR_FORMAT, "%s: unknown dataset kind %u (1 = text, 2 = series)", what, kind);
}

rnl_status rnl_dataset_load(const char *path, rnl_dataset **out) {
    *out = NULL;
#ifdef RNL_NO_FILES
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (RNL_NO_FILES): use rnl_dataset_read", path);
#else
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    // Read in growing chunks rather than trusting ftell (pipes, special files).
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    const size_t limit = (size_t)1 << 31;
    rnl_status st = RNL_OK;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= limit) {
                st = rnl_fail(RNL_ERR_FORMAT, "%s: larger than %zu bytes: not a data file this build can read", path, limit);
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    if (st == RNL_OK && (!buf || n == cap)) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory reading the file", path);
    else if (st == RNL_OK && ferror(f)) st = rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (st == RNL_OK) st = rnl_dataset_read(buf, n, path, out);
    free(buf);
    return st;
#endif
}

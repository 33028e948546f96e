// test_data_subset.c: the data file ("rnld") for text subsets: round trips (in memory and on disk,
// 16- and 32-bit token ids), every kind of damage with the exact message, batching into rnl_task_data,
// and epoch orders (plain and length-bucketed).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rnnlab_data.h"
#include "testutil.h"

// A text dataset made up here: V words "w2".., lengths 1..max_len, labels alternating.
static rnl_dataset *make_text(int n_train, int n_val, int n_test, int V, int max_len) {
    rnl_dataset *ds = calloc(1, sizeof *ds);
    int n = n_train + n_val + n_test;
    ds->kind = RNL_DATASET_TEXT;
    ds->n_train = n_train, ds->n_val = n_val, ds->n_test = n_test;
    ds->seed = 42;
    ds->max_len = max_len;
    rnl_vocab_create(&ds->vocab);
    for (int id = 2; id < V; id++) {
        char w[16];
        snprintf(w, sizeof w, "w%d", id);
        rnl_vocab_add(ds->vocab, w, strlen(w));
    }
    ds->offsets = malloc(sizeof(int64_t) * (size_t)(n + 1));
    ds->labels = malloc((size_t)n);
    ds->ratings = malloc((size_t)n);
    ds->ids = malloc(sizeof(uint32_t) * (size_t)n);
    ds->offsets[0] = 0;
    for (int i = 0; i < n; i++) ds->offsets[i + 1] = ds->offsets[i] + 1 + (i * 7919) % max_len;
    ds->tokens = malloc(sizeof(int32_t) * (size_t)ds->offsets[n]);
    for (int i = 0; i < n; i++)
        for (int64_t t = ds->offsets[i]; t < ds->offsets[i + 1]; t++) ds->tokens[t] = 1 + (int32_t)((i * 31 + t * 17) % (V - 1));
    for (int i = 0; i < n; i++) ds->labels[i] = (uint8_t)(i % 2), ds->ratings[i] = (uint8_t)(i % 2 ? 7 + i % 4 : 1 + i % 4),
                                ds->ids[i] = (uint32_t)(1000 + i);
    return ds;
}

static int same_text(const rnl_dataset *a, const rnl_dataset *b) {
    int n = rnl_dataset_size(a);
    if (a->kind != b->kind || a->n_train != b->n_train || a->n_val != b->n_val || a->n_test != b->n_test ||
        a->max_len != b->max_len || a->keep_end != b->keep_end || a->seed != b->seed ||
        rnl_vocab_size(a->vocab) != rnl_vocab_size(b->vocab))
        return 0;
    for (int id = 0; id < rnl_vocab_size(a->vocab); id++)
        if (strcmp(rnl_vocab_word(a->vocab, id), rnl_vocab_word(b->vocab, id)) != 0) return 0;
    if (memcmp(a->offsets, b->offsets, sizeof(int64_t) * (size_t)(n + 1)) != 0) return 0;
    return memcmp(a->tokens, b->tokens, sizeof(int32_t) * (size_t)a->offsets[n]) == 0 && memcmp(a->labels, b->labels, (size_t)n) == 0 &&
           memcmp(a->ratings, b->ratings, (size_t)n) == 0 && memcmp(a->ids, b->ids, sizeof(uint32_t) * (size_t)n) == 0;
}

static void fix_crc(uint8_t *p, size_t n) { tu_put32(p + n - 4, (uint32_t)crc32(0, p, (uInt)(n - 4))); }

static void test_round_trip(void) {
    rnl_dataset *ds = make_text(20, 6, 10, 300, 25), *back = NULL;
    ds->keep_end = 1;
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_dataset_write(ds, &buf, &n));
    size_t expect = 72 + 298 + 0 + 36 * 10 + (size_t)ds->offsets[36] * 2 + 4;
    size_t vocab_bytes = 0;
    for (int id = 2; id < 300; id++) vocab_bytes += strlen(rnl_vocab_word(ds->vocab, id));
    expect += vocab_bytes;
    CHECK(n == expect, "file size %zu, expected %zu", n, expect);
    CHECK(memcmp(buf, "RNLDATA\0", 8) == 0 && buf[8] == 1 && buf[12] == 1 && buf[44] == 2, "magic, version 1, kind text, 16-bit tokens");
    CHECK((uint32_t)crc32(0, buf, (uInt)(n - 4)) == (uint32_t)(buf[n - 4] | buf[n - 3] << 8 | buf[n - 2] << 16 | (uint32_t)buf[n - 1] << 24),
          "the CRC is zlib's CRC-32");
    CHECK_OK(rnl_dataset_read(buf, n, "mem", &back));
    CHECK(back && same_text(ds, back), "round trip in memory");
    rnl_dataset_destroy(back);

    const char *path = "tmp_test_data_subset.rnld";
    CHECK_OK(rnl_dataset_save(ds, path));
    FILE *f = fopen("tmp_test_data_subset.rnld.tmp", "rb");
    CHECK(f == NULL, "no temporary file left behind");
    if (f) fclose(f);
    back = NULL;
    CHECK_OK(rnl_dataset_load(path, &back));
    CHECK(back && same_text(ds, back), "round trip through a file");
    rnl_dataset_destroy(back);
    remove(path);
    CHECK(rnl_dataset_save(ds, "no/such/dir/x.rnld") == RNL_ERR_IO && strstr(rnl_last_error(), "cannot write no/such/dir/x.rnld.tmp"),
          "%s", rnl_last_error());
    CHECK(rnl_dataset_load("no/such/file.rnld", &back) == RNL_ERR_IO && strstr(rnl_last_error(), "no/such/file.rnld: cannot open"),
          "%s", rnl_last_error());
    free(buf);
    rnl_dataset_destroy(ds);

    // More than 65536 ids: 32-bit tokens.
    ds = make_text(3, 0, 2, 70000, 40);
    ds->tokens[0] = 69999;
    CHECK_OK(rnl_dataset_write(ds, &buf, &n));
    CHECK(buf[44] == 4, "32-bit tokens for a vocabulary of 70000");
    back = NULL;
    CHECK_OK(rnl_dataset_read(buf, n, "big", &back));
    CHECK(back && same_text(ds, back) && back->tokens[0] == 69999, "round trip with 32-bit tokens");
    rnl_dataset_destroy(back);
    free(buf);
    rnl_dataset_destroy(ds);

    // Writing validates too.
    ds = make_text(3, 0, 2, 50, 10);
    ds->tokens[3] = 50;
    CHECK(rnl_dataset_write(ds, &buf, &n) == RNL_ERR_ARG && strstr(rnl_last_error(), "has token id 50 at position"), "%s", rnl_last_error());
    ds->tokens[3] = 0;
    CHECK(rnl_dataset_write(ds, &buf, &n) == RNL_ERR_ARG && strstr(rnl_last_error(), "has token id 0"), "<pad> inside a review: %s", rnl_last_error());
    rnl_dataset_destroy(ds);
}

// Reads a damaged copy; checks the status and the message.
static void expect_bad(const uint8_t *p, size_t n, const char *want, int line) {
    rnl_dataset *ds = NULL;
    rnl_status st = rnl_dataset_read(p, n, "sub.rnld", &ds);
    tu_checks++;
    if (st != RNL_ERR_FORMAT || !strstr(rnl_last_error(), want) || ds) {
        tu_failures++;
        fprintf(stderr, "%s:%d: expected RNL_ERR_FORMAT with \"%s\", got %s: \"%s\"\n", __FILE__, line, want, rnl_status_name(st),
                rnl_last_error());
    }
    rnl_dataset_destroy(ds);
}
#define EXPECT_BAD(p, n, want) expect_bad(p, n, want, __LINE__)

static void test_damage(void) {
    rnl_dataset *ds = make_text(8, 2, 4, 40, 12);
    uint8_t *good, *p;
    size_t n;
    CHECK_OK(rnl_dataset_write(ds, &good, &n));
    p = malloc(n + 16);
#define FRESH() memcpy(p, good, n)

    // Truncation, at every length.
    int bad = 0;
    for (size_t L = 0; L < n; L++) {
        rnl_dataset *d = NULL;
        if (rnl_dataset_read(good, L, "x", &d) != RNL_ERR_FORMAT || !strstr(rnl_last_error(), "truncated")) bad++;
        rnl_dataset_destroy(d);
    }
    CHECK(bad == 0, "%d of %zu truncations not reported as truncated", bad, n);
    EXPECT_BAD(good, 10, "sub.rnld: truncated: 10 bytes, shorter than the 16-byte header");
    EXPECT_BAD(good, 40, "sub.rnld: truncated: 40 bytes, shorter than the 76-byte header");
    char msg[128];
    snprintf(msg, sizeof msg, "sub.rnld: truncated: the header promises %zu bytes, there are %zu", n, n - 1);
    EXPECT_BAD(good, n - 1, msg);
    FRESH();
    memset(p + n, 0, 3);
    snprintf(msg, sizeof msg, "sub.rnld: 3 bytes of trailing data after the %zu bytes the header promises", n);
    EXPECT_BAD(p, n + 3, msg);

    // Foreign files.
    FRESH();
    p[0] = 'X';
    EXPECT_BAD(p, n, "sub.rnld: not an rnnlab data file (bad magic)");
    FRESH();
    memcpy(p, "\x1f\x8b\x08\x00", 4);
    EXPECT_BAD(p, n, "not an rnnlab data file (bad magic): it is gzip-compressed data");
    FRESH();
    memcpy(p, "RNNLAB\0\1", 8);
    EXPECT_BAD(p, n, "not an rnnlab data file (bad magic): it is an rnnlab checkpoint, not a data file");
    FRESH();
    tu_put32(p + 8, 2);
    EXPECT_BAD(p, n, "sub.rnld: unsupported version 2 (this build reads version 1)");
    FRESH();
    tu_put32(p + 12, 7);
    EXPECT_BAD(p, n, "sub.rnld: unknown dataset kind 7 (1 = text, 2 = series)");

    // Corrupt bytes: the CRC.
    FRESH();
    p[n - 10] ^= 0x40;
    EXPECT_BAD(p, n, "sub.rnld: CRC-32 mismatch (stored ");
    FRESH();
    p[n - 1] ^= 1;
    EXPECT_BAD(p, n, "CRC-32 mismatch");

    // Huge or impossible sizes (checked before the CRC and before any allocation).
    FRESH();
    tu_put32(p + 16, 0xffffffffu);
    EXPECT_BAD(p, n, "sub.rnld: split sizes 4294967295 / 2 / 4 are outside 0..10000000 in all");
    FRESH();
    tu_put32(p + 16, 0), tu_put32(p + 20, 0), tu_put32(p + 24, 0);
    EXPECT_BAD(p, n, "sub.rnld: 91 tokens for 0 examples of at most 12 is impossible");
    FRESH();
    tu_put32(p + 28, 2000000000u);
    EXPECT_BAD(p, n, "sub.rnld: vocabulary size 2000000000 is outside 2..1000000");
    FRESH();
    tu_put32(p + 32, 0xfffffff0u);
    EXPECT_BAD(p, n, "vocabulary of 38 words cannot take 4294967280 bytes");
    FRESH();
    tu_put32(p + 36, 0x7fffffffu);
    EXPECT_BAD(p, n, "sub.rnld: max_len 2147483647 is outside 1..100000");
    FRESH();
    tu_put32(p + 40, 4);  // bits 0 and 1 are keep_end and val_by_movie
    EXPECT_BAD(p, n, "sub.rnld: unknown flags 0x4");
    FRESH();
    tu_put32(p + 44, 4);
    EXPECT_BAD(p, n, "token width 4 bytes does not fit a vocabulary of 40 (expected 2)");
    FRESH();
    tu_put32(p + 48, 0xffffffffu), tu_put32(p + 52, 0xffffffffu);
    EXPECT_BAD(p, n, "sub.rnld: 18446744073709551615 tokens for 14 examples of at most 12 is impossible");
    FRESH();
    tu_put32(p + 64, 9);
    EXPECT_BAD(p, n, "sub.rnld: tokenizer version 9 (this build tokenizes as version 1)");
    FRESH();
    tu_put32(p + 68, 1);
    EXPECT_BAD(p, n, "sub.rnld: reserved header field is 1, not 0");

    // Values that a valid CRC does not excuse.
    size_t vocab_end = 72;
    for (int id = 2; id < 40; id++) vocab_end += 1 + strlen(rnl_vocab_word(ds->vocab, id));
    size_t lengths = vocab_end, labels = lengths + 14 * 4, ratings = labels + 14, tokens = ratings + 14 + 14 * 4;
    FRESH();
    memcpy(p + 72 + 1, "w3", 2);  // word 2 ("w2") becomes a second "w3"
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: vocabulary word 3 'w3' appears twice");
    FRESH();
    p[72 + 1] = ' ';
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: vocabulary word 2 contains a space or control byte (0x20)");
    FRESH();
    p[72] = 0;  // word 2 empty
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: vocabulary word 2 has 0 bytes (must be 1..64)");
    FRESH();
    tu_put32(p + lengths, 0);
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: example 0 has length 0 (must be 1..max_len 12)");
    FRESH();
    tu_put32(p + lengths, 1 + p[lengths]);  // lengths no longer add up
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: the lengths add up to");
    FRESH();
    p[labels + 3] = 2;
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: example 3 has label 2 (must be 0 or 1)");
    FRESH();
    p[ratings + 1] = 11;
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: example 1 has rating 11 (must be 0..10)");
    FRESH();
    p[tokens] = 40, p[tokens + 1] = 0;
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: example 0 has token id 40 at position 0 (must be 1..39)");
    FRESH();
    p[tokens + 2] = 0, p[tokens + 3] = 0;  // example 0 has length 1, so this is example 1's first token
    fix_crc(p, n);
    EXPECT_BAD(p, n, "sub.rnld: example 1 has token id 0 at position 0");
    // Every single-byte change is caught (by a field check or the CRC) and never crashes.
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        FRESH();
        p[i] ^= (uint8_t)(1 + i % 255);
        rnl_dataset *d = NULL;
        if (rnl_dataset_read(p, n, "x", &d) != RNL_ERR_FORMAT || d) bad++;
        rnl_dataset_destroy(d);
    }
    CHECK(bad == 0, "%d of %zu one-byte changes were not rejected", bad, n);
    // And the untouched bytes still read.
    rnl_dataset *back = NULL;
    CHECK_OK(rnl_dataset_read(good, n, NULL, &back));
    rnl_dataset_destroy(back);
    CHECK(rnl_dataset_read(good, 3, NULL, &back) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "data file: truncated"),
          "default label: %s", rnl_last_error());
    free(p);
    free(good);
    rnl_dataset_destroy(ds);
}

static void test_batches(void) {
    rnl_dataset *ds = make_text(50, 10, 20, 60, 30);
    rnl_task_data d;
    rnl_task_data_init(&d);
    int32_t idx[3] = {4, 0, 7};
    CHECK_OK(rnl_dataset_batch(ds, idx, 3, &d));
    int T = 0;
    for (int b = 0; b < 3; b++) {
        int len = rnl_dataset_length(ds, idx[b]);
        if (len > T) T = len;
    }
    CHECK(d.batch.B == 3 && d.batch.T == T && d.batch.inputs == NULL && d.batch.tokens == d.tokens, "shape (3, %d), got (%d, %d)", T,
          d.batch.B, d.batch.T);
    for (int b = 0; b < 3; b++) {
        int i = idx[b], len = rnl_dataset_length(ds, i);
        CHECK(d.lengths[b] == len, "length %d", d.lengths[b]);
        CHECK(memcmp(d.tokens + b * T, ds->tokens + ds->offsets[i], sizeof(int32_t) * (size_t)len) == 0, "tokens of row %d", b);
        for (int t = len; t < T; t++) CHECK(d.tokens[b * T + t] == RNL_PAD, "padding");
        CHECK(d.targets[b] == (rnl_real)ds->labels[i], "target of row %d", b);
    }
    // Buffers grow and are reused.
    int32_t many[64];
    for (int i = 0; i < 64; i++) many[i] = i;
    CHECK_OK(rnl_dataset_batch(ds, many, 64, &d));
    CHECK(d.cap_tokens >= (size_t)64 * d.batch.T && d.cap_lengths >= 64 && d.batch.T <= 30, "grown (T %d)", d.batch.T);
    int32_t bad_idx[1] = {80};
    CHECK(rnl_dataset_batch(ds, bad_idx, 1, &d) == RNL_ERR_ARG && strstr(rnl_last_error(), "example index 80 (item 0) is outside 0..79"),
          "%s", rnl_last_error());
    CHECK(rnl_dataset_batch(ds, idx, 0, &d) == RNL_ERR_ARG, "B = 0");
    rnl_task_data_free(&d);

    rnl_config cfg = rnl_config_default(RNL_CELL_GRU);
    rnl_dataset_shape(ds, &cfg);
    CHECK(cfg.vocab == 60 && cfg.head == RNL_HEAD_BINARY && cfg.outputs == 1 && cfg.seq2seq == 0 && cfg.embed > 0, "shape");
    char line[256];
    rnl_dataset_describe(ds, line, sizeof line);
    CHECK(strstr(line, "text: 50 train / 10 val / 20 test reviews, vocab 60, max_len 30") != NULL, "%s", line);
    rnl_dataset_destroy(ds);
}

static int is_permutation(const int32_t *o, int first, int count) {
    char *seen = calloc((size_t)count + 1, 1);
    int ok = 1;
    for (int i = 0; i < count; i++) {
        if (o[i] < first || o[i] >= first + count || seen[o[i] - first]) ok = 0;
        else seen[o[i] - first] = 1;
    }
    free(seen);
    return ok;
}

// Steps a model would run: sum over batches of B * longest length.
static long padded_cost(const rnl_dataset *ds, const int32_t *o, int count, int B) {
    long cost = 0;
    for (int i = 0; i < count; i += B) {
        int m = count - i < B ? count - i : B, T = 0;
        for (int k = 0; k < m; k++)
            if (rnl_dataset_length(ds, o[i + k]) > T) T = rnl_dataset_length(ds, o[i + k]);
        cost += (long)m * T;
    }
    return cost;
}

static void test_epochs(void) {
    rnl_dataset *ds = make_text(1000, 100, 100, 60, 200);
    int32_t a[1000], b[1000], c[1000];
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 0, 32, 0, a));
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 0, 32, 0, b));
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 1, 32, 0, c));
    CHECK(is_permutation(a, 0, 1000) && is_permutation(c, 0, 1000), "permutations of the training split");
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed and epoch, same order");
    CHECK(memcmp(a, c, sizeof a) != 0, "another epoch, another order");
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 8, 0, 32, 0, b));
    CHECK(memcmp(a, b, sizeof a) != 0, "another seed, another order");
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_VAL, 7, 0, 32, 0, b));
    CHECK(is_permutation(b, 1000, 100), "validation indices 1000..1099");
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TEST, 7, 0, 32, 0, b));
    CHECK(is_permutation(b, 1100, 100), "test indices 1100..1199");
    // Bucketing: still a permutation, deterministic, much less padding.
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 0, 32, 10, b));
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 0, 32, 10, c));
    CHECK(is_permutation(b, 0, 1000) && memcmp(b, c, sizeof b) == 0, "bucketed order is a deterministic permutation");
    long plain = padded_cost(ds, a, 1000, 32), bucketed = padded_cost(ds, b, 1000, 32);
    CHECK(bucketed * 10 < plain * 7, "bucketing cuts the padded steps by over 30%%: %ld -> %ld", plain, bucketed);
    // The short last batch (1000 = 31 * 32 + 8) stays last: its 8 items come from the last pool.
    CHECK_OK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 0, 32, 1000, c));  // one pool: fully sorted, then batches shuffled
    int ok = 1;
    for (int i = 993; i < 1000; i++) ok &= rnl_dataset_length(ds, c[i]) <= rnl_dataset_length(ds, c[i + 1 < 1000 ? i + 1 : i]);
    int maxlen_last = rnl_dataset_length(ds, c[999]);
    CHECK(ok && maxlen_last == 200, "with one pool the last batch holds the longest reviews (%d)", maxlen_last);
    CHECK(rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, 7, 0, 0, 0, c) == RNL_ERR_ARG, "batch size 0");
    rnl_dataset_destroy(ds);
}

// The description (vocabulary and tokenizer settings, no examples) reads back and encodes text the same.
static void test_description(void) {
    rnl_dataset *ds = make_text(4, 2, 3, 12, 12), *back = NULL;
    uint8_t *buf;
    size_t n;
    CHECK(rnl_dataset_write_description(ds, &buf, &n) == RNL_OK, "write description: %s", rnl_last_error());
    CHECK(rnl_dataset_read(buf, n, "desc", &back) == RNL_OK, "read description: %s", rnl_last_error());
    if (back) {
        CHECK(rnl_dataset_size(back) == 0 && back->max_len == ds->max_len, "no examples, same max_len");
        CHECK(rnl_vocab_size(back->vocab) == rnl_vocab_size(ds->vocab), "same vocabulary size");
        int32_t a[12], b[12];
        const char *text = "w3 w5 unknownword w7";
        int la = rnl_vocab_encode(ds->vocab, text, strlen(text), 12, 0, a), lb = rnl_vocab_encode(back->vocab, text, strlen(text), 12, 0, b);
        CHECK(la == lb && memcmp(a, b, sizeof(int32_t) * la) == 0, "the same text encodes to the same ids");
        rnl_dataset_destroy(back);
    }
    free(buf);
    rnl_dataset_destroy(ds);
}

int main(void) {
    test_description();
    test_round_trip();
    test_damage();
    test_batches();
    test_epochs();
    return tu_summary("test_data_subset");
}

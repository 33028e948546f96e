// test_data_imdb.c: the IMDB reader on hand-written reviews (tests/fixtures/aclImdb_mini): the same
// subset, byte for byte, from the directory, from GNU tar's archives, from a .tar.gz written here in
// another member order, from tar bytes fed in small chunks, and from files added one by one; splits,
// balance, labels and ratings; a vocabulary that never sees test or unsup words; clear errors.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rnnlab_data.h"
#include "testutil.h"

static const char *FILES[] = {
    "train/pos/0_9.txt", "train/pos/1_10.txt", "train/pos/2_8.txt", "train/pos/3_7.txt",
    "train/neg/0_1.txt", "train/neg/1_2.txt",  "train/neg/2_3.txt", "train/neg/3_4.txt",
    "test/pos/0_10.txt", "test/pos/1_8.txt",   "test/pos/2_9.txt",  "test/neg/0_1.txt",
    "test/neg/1_3.txt",  "test/neg/2_2.txt",   "train/unsup/0_0.txt", "train/unsup/1_0.txt",
};
#define NFILES 16

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *p = malloc(1 << 16);
    *n = fread(p, 1, 1 << 16, f);
    fclose(f);
    return p;
}

static const char *fixture(const char *rel) {
    static char path[1024];
    snprintf(path, sizeof path, "%s", tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"));
    size_t k = strlen(path);
    snprintf(path + k, sizeof path - k, "/%s", rel);
    return path;
}

// --- A .tar written here (testutil's tar writer) -----------------------------------------------

// The fixture reviews as a tar, in reverse order, optionally leaving out the test split.
static void make_tar(tu_buf *b, int with_test, const char *extra_name) {
    for (int i = NFILES - 1; i >= 0; i--) {
        if (!with_test && strncmp(FILES[i], "test/", 5) == 0) continue;
        size_t n;
        char *text = slurp(fixture(FILES[i]), &n);
        char name[256];
        snprintf(name, sizeof name, "aclImdb/%s", FILES[i]);
        if (text) tu_tar_member(b, name, '0', text, n, TU_USTAR);
        free(text);
    }
    if (extra_name) tu_tar_member(b, extra_name, '0', "text", 4, TU_USTAR);
    tu_tar_end(b);
}

static int write_gz(const char *path, const uint8_t *p, size_t n) {
    gzFile g = gzopen(path, "wb9");
    if (!g) return 0;
    int ok = gzwrite(g, p, (unsigned)n) == (int)n;
    return gzclose(g) == Z_OK && ok;
}

// --- Helpers --------------------------------------------------------------------------------------

static rnl_imdb_config small_config(void) {
    rnl_imdb_config c = rnl_imdb_default();
    c.n_train = 6, c.n_val = 2, c.n_test = 6, c.vocab_words = 1000, c.max_len = 12, c.seed = 3;
    return c;
}

// The subset file's bytes, for comparisons.
static uint8_t *subset_bytes(rnl_dataset *ds, size_t *n) {
    uint8_t *p = NULL;
    *n = 0;
    if (ds) CHECK_OK(rnl_dataset_write(ds, &p, n));
    return p;
}

static void check_same(const char *what, const uint8_t *a, size_t na, rnl_dataset *ds) {
    size_t nb;
    uint8_t *b = subset_bytes(ds, &nb);
    CHECK(b && na == nb && memcmp(a, b, na) == 0, "%s gives the same subset file as the directory (%zu vs %zu bytes)", what, na, nb);
    free(b);
}

static void decode(const rnl_dataset *ds, int i, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    for (int64_t t = ds->offsets[i]; t < ds->offsets[i + 1] && k < cap; t++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", t > ds->offsets[i] ? " " : "", rnl_vocab_word(ds->vocab, ds->tokens[t]));
}

// --- Tests ----------------------------------------------------------------------------------------

static void test_sources_agree(void) {
    rnl_imdb_config c = small_config();
    rnl_imdb *im;
    CHECK_OK(rnl_imdb_create(&im, &c));
    CHECK_OK(rnl_imdb_read(im, tu_source_path("tests/fixtures/aclImdb_mini/aclImdb")));
    int counts[2][2], unsup;
    rnl_imdb_counts(im, counts, &unsup);
    CHECK(counts[0][0] == 4 && counts[0][1] == 4 && counts[1][0] == 3 && counts[1][1] == 3 && unsup == 2,
          "counts train %d/%d test %d/%d unsup %d", counts[0][0], counts[0][1], counts[1][0], counts[1][1], unsup);
    const rnl_word_counts *wc = rnl_imdb_word_counts(im);
    CHECK(rnl_word_counts_get(wc, "great", 5) == 6, "'great' 6 times in train, got %u", rnl_word_counts_get(wc, "great", 5));
    CHECK(rnl_word_counts_get(wc, "zyzzyva", 7) == 0 && rnl_word_counts_get(wc, "quuxly", 6) == 0,
          "test and unsup words are not counted");
    rnl_dataset *ref;
    CHECK_OK(rnl_imdb_build(im, &ref));
    rnl_imdb_destroy(im);
    if (!ref) return;
    size_t nref;
    uint8_t *bref = subset_bytes(ref, &nref);

    // Splits, balance, labels, ratings.
    CHECK(ref->n_train == 6 && ref->n_val == 2 && ref->n_test == 6, "splits %d/%d/%d", ref->n_train, ref->n_val, ref->n_test);
    int pos[3] = {0}, first, count;
    for (int s = 0; s < 3; s++) {
        rnl_dataset_split(ref, (rnl_split)s, &first, &count);
        for (int i = first; i < first + count; i++) {
            pos[s] += ref->labels[i];
            CHECK(ref->labels[i] ? ref->ratings[i] >= 7 : ref->ratings[i] <= 4, "rating %d fits label %d", ref->ratings[i], ref->labels[i]);
        }
    }
    CHECK(pos[0] == 3 && pos[1] == 1 && pos[2] == 3, "balanced: %d, %d, %d positives", pos[0], pos[1], pos[2]);
    for (int i = 0; i < 8; i++)
        for (int j = i + 1; j < 8; j++)
            CHECK(ref->ids[i] != ref->ids[j] || ref->labels[i] != ref->labels[j], "train/val reviews %d and %d differ", i, j);
    // Vocabulary: training words only.
    CHECK(rnl_vocab_id(ref->vocab, "zyzzyva", 7) == RNL_UNK, "a test-only word is not in the vocabulary");
    CHECK(rnl_vocab_id(ref->vocab, "quuxly", 6) == RNL_UNK, "an unsup-only word is not in the vocabulary");
    // '.' occurs 14 times in the training reviews, 'the' 12 times.
    CHECK(strcmp(rnl_vocab_word(ref->vocab, 2), ".") == 0 && strcmp(rnl_vocab_word(ref->vocab, 3), "the") == 0,
          "most frequent training words '.', 'the'; got '%s', '%s'", rnl_vocab_word(ref->vocab, 2), rnl_vocab_word(ref->vocab, 3));
    CHECK(rnl_vocab_id(ref->vocab, "great", 5) > 2, "'great' is in the vocabulary");
    // The review "Great, great, GREAT. Best movie..." (train/pos/1_10) decodes to its first 12 tokens.
    int found = 0;
    char text[512];
    for (int i = 0; i < rnl_dataset_size(ref); i++)
        if (ref->ids[i] == 1 && ref->labels[i] == 1 && ref->ratings[i] == 10) {
            decode(ref, i, text, sizeof text);
            CHECK(strcmp(text, "great , great , great . best movie of the year ...") == 0, "decoded: %s", text);
            found++;
        }
    CHECK(found <= 1, "review 1_10 at most once");
    // The test review with the unknown word.
    rnl_dataset_split(ref, RNL_SPLIT_TEST, &first, &count);
    for (int i = first; i < first + count; i++)
        if (ref->ids[i] == 0 && ref->labels[i] == 1) {
            decode(ref, i, text, sizeof text);
            CHECK(strcmp(text, "a great film with a wonderful <unk> <unk> the <unk> . lovely") == 0,
                  "'zyzzyva', 'in' and 'lead' never occur in training reviews; decoded: %s", text);
        }

    // Other sources, same bytes.
    rnl_dataset *ds;
    CHECK_OK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini"), &c, &ds));
    check_same("the parent of aclImdb/", bref, nref, ds);
    rnl_dataset_destroy(ds);
    const char *archives[] = {"tests/fixtures/tar/imdb_mini_gnu.tar.gz", "tests/fixtures/tar/imdb_mini_pax.tar.gz",
                              "tests/fixtures/tar/imdb_mini_ustar.tar.gz"};
    for (int a = 0; a < 3; a++) {
        ds = NULL;
        CHECK_OK(rnl_imdb_load(tu_source_path(archives[a]), &c, &ds));
        check_same(archives[a], bref, nref, ds);
        rnl_dataset_destroy(ds);
    }
    tu_buf b = {0};
    make_tar(&b, 1, NULL);
    const char *tmp = "tmp_test_data_imdb.tar.gz";
    CHECK(write_gz(tmp, b.p, b.n), "write %s", tmp);
    ds = NULL;
    CHECK_OK(rnl_imdb_load(tmp, &c, &ds));
    check_same("a .tar.gz written here in reverse order", bref, nref, ds);
    rnl_dataset_destroy(ds);
    remove(tmp);
    size_t chunks[] = {1, 100, 4096};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(rnl_imdb_create(&im, &c));
        rnl_status st = RNL_OK;
        for (size_t i = 0; i < b.n && st == RNL_OK; i += chunks[k])
            st = rnl_imdb_feed_tar(im, b.p + i, b.n - i < chunks[k] ? b.n - i : chunks[k]);
        CHECK_OK(st);
        CHECK_OK(rnl_imdb_end_tar(im));
        ds = NULL;
        CHECK_OK(rnl_imdb_build(im, &ds));
        check_same("tar bytes fed in chunks", bref, nref, ds);
        rnl_dataset_destroy(ds);
        rnl_imdb_destroy(im);
    }
    CHECK_OK(rnl_imdb_create(&im, &c));
    for (int i = 0; i < NFILES; i++) {
        size_t n = 0;
        char *t = slurp(fixture(FILES[i]), &n), name[256];
        snprintf(name, sizeof name, "./aclImdb/%s", FILES[i]);
        CHECK_OK(rnl_imdb_add_file(im, name, t, n));
        free(t);
    }
    CHECK_OK(rnl_imdb_add_file(im, "aclImdb/README", "x", 1));  // ignored
    ds = NULL;
    CHECK_OK(rnl_imdb_build(im, &ds));
    check_same("files added one by one", bref, nref, ds);
    rnl_dataset_destroy(ds);
    rnl_imdb_destroy(im);
    free(b.p);
    free(bref);
    rnl_dataset_destroy(ref);
}

static void test_selection(void) {
    // Different seeds pick different validation reviews, but always balanced and disjoint.
    int seen_val_ids[2][4] = {{0}};
    for (uint64_t seed = 1; seed <= 12; seed++) {
        rnl_imdb_config c = small_config();
        c.seed = seed;
        rnl_dataset *ds;
        CHECK_OK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &c, &ds));
        if (!ds) continue;
        CHECK(ds->seed == seed, "seed recorded");
        for (int i = 6; i < 8; i++) seen_val_ids[ds->labels[i]][ds->ids[i] & 3] = 1;
        CHECK(ds->labels[6] != ds->labels[7], "validation is balanced");
        rnl_dataset_destroy(ds);
    }
    int distinct = 0;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < 4; i++) distinct += seen_val_ids[l][i];
    CHECK(distinct >= 4, "12 seeds put at least 4 different reviews into validation (%d)", distinct);

    // Same seed, smaller validation: the training reviews stay the same.
    rnl_imdb_config c = small_config();
    c.n_val = 0;
    rnl_dataset *a, *b;
    CHECK_OK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &c, &a));
    c.n_val = 2;
    CHECK_OK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &c, &b));
    if (a && b) {
        int same = 1;
        for (int i = 0; i < 6; i++) same &= a->ids[i] == b->ids[i] && a->labels[i] == b->labels[i];
        CHECK(same, "the training reviews do not depend on n_val");
    }
    rnl_dataset_destroy(a);
    rnl_dataset_destroy(b);

    // keep_end keeps the last tokens.
    c.keep_end = 1;
    c.max_len = 4;
    CHECK_OK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &c, &a));
    if (a) {
        char text[256];
        for (int i = 0; i < rnl_dataset_size(a); i++)
            if (a->ids[i] == 1 && a->labels[i] == 1 && a->ratings[i] == 10) {
                decode(a, i, text, sizeof text);
                CHECK(strcmp(text, "don't miss it !!!") == 0, "keep_end: %s", text);
            }
        CHECK(a->keep_end == 1 && a->max_len == 4, "recorded");
    }
    rnl_dataset_destroy(a);
}

static void test_errors(void) {
    rnl_imdb_config c = small_config();
    rnl_dataset *ds;
    rnl_imdb *im;
    // A missing split.
    tu_buf b = {0};
    make_tar(&b, 0, NULL);
    CHECK_OK(rnl_imdb_create(&im, &c));
    CHECK_OK(rnl_imdb_feed_tar(im, b.p, b.n));
    CHECK_OK(rnl_imdb_end_tar(im));
    CHECK(rnl_imdb_build(im, &ds) == RNL_ERR_FORMAT &&
              strstr(rnl_last_error(), "imdb: no reviews in test/neg (expected aclImdb/test/neg/<id>_<rating>.txt): the test split is missing"),
          "%s", rnl_last_error());
    rnl_imdb_destroy(im);
    free(b.p);
    // More reviews than there are.
    c.n_train = 10;
    CHECK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &c, &ds) == RNL_ERR_ARG &&
              strstr(rnl_last_error(), "imdb: 6 neg reviews wanted from train/neg (training + validation), but it has only 4"),
          "%s", rnl_last_error());
    c = small_config();
    c.n_test = 8;
    CHECK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &c, &ds) == RNL_ERR_ARG &&
              strstr(rnl_last_error(), "4 neg reviews wanted from test/neg (test), but it has only 3"), "%s", rnl_last_error());
    c = small_config();
    // A bad review name inside the archive.
    b = (tu_buf){0};
    make_tar(&b, 1, "aclImdb/train/pos/great_movie.txt");
    const char *tmp = "tmp_test_data_imdb_bad.tar.gz";
    write_gz(tmp, b.p, b.n);
    CHECK(rnl_imdb_load(tmp, &c, &ds) == RNL_ERR_FORMAT &&
              strstr(rnl_last_error(), "tmp_test_data_imdb_bad.tar.gz: 'aclImdb/train/pos/great_movie.txt': not a review file name"),
          "%s", rnl_last_error());
    remove(tmp);
    free(b.p);
    // A truncated archive.
    b = (tu_buf){0};
    make_tar(&b, 1, NULL);
    write_gz(tmp, b.p, b.n - 1024 - 300);
    CHECK(rnl_imdb_load(tmp, &c, &ds) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "truncated tar archive: ends at byte"),
          "%s", rnl_last_error());
    remove(tmp);
    free(b.p);
    // Paths and states.
    CHECK(rnl_imdb_load("no/such/aclImdb", &c, &ds) == RNL_ERR_IO && strstr(rnl_last_error(), "no/such/aclImdb: cannot open"),
          "%s", rnl_last_error());
    CHECK(rnl_imdb_load(tu_source_path("tests/fixtures/series"), &c, &ds) == RNL_ERR_IO &&
              strstr(rnl_last_error(), "missing test/neg/"), "%s", rnl_last_error());
    CHECK(rnl_imdb_load(tu_source_path("tests/fixtures/series/good.csv"), &c, &ds) == RNL_ERR_FORMAT &&
              strstr(rnl_last_error(), "not a tar archive"), "%s", rnl_last_error());
    CHECK_OK(rnl_imdb_create(&im, &c));
    CHECK(rnl_imdb_end_tar(im) == RNL_ERR_ARG, "end without feed");
    CHECK_OK(rnl_imdb_feed_tar(im, (const uint8_t *)"", 0));
    CHECK(rnl_imdb_build(im, &ds) == RNL_ERR_ARG && strstr(rnl_last_error(), "not ended"), "%s", rnl_last_error());
    CHECK(rnl_imdb_add_review(im, 2, 0, 1, 5, "x", 1) == RNL_ERR_ARG, "bad split");
    rnl_imdb_destroy(im);
    c.max_len = 0;
    CHECK(rnl_imdb_create(&im, &c) == RNL_ERR_ARG && strstr(rnl_last_error(), "max_len 0"), "%s", rnl_last_error());
    c = small_config();
    c.vocab_words = 0;
    CHECK(rnl_imdb_create(&im, &c) == RNL_ERR_ARG && strstr(rnl_last_error(), "vocab_words 0"), "%s", rnl_last_error());
    c = small_config();
    c.n_train = 0;
    CHECK(rnl_imdb_create(&im, &c) == RNL_ERR_ARG, "n_train 0");
}

int main(void) {
    test_sources_agree();
    test_selection();
    test_errors();
    return tu_summary("test_data_imdb");
}

// test_data_real.c: the data layer on the real files in $RNL_SHARED_DATA (../shared/data): the IMDB
// archive (25,000 + 25,000 reviews, balanced), a vocabulary pinned by a few ids and sizes, subsets that
// round-trip through files, the bag-of-words baseline, and the Melbourne temperatures (3,650 days).
// Nothing read here is written anywhere but temporary files that are removed at the end.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"
#include "testutil.h"

static int same_file_bytes(const rnl_dataset *a, const rnl_dataset *b) {
    uint8_t *pa, *pb;
    size_t na, nb;
    if (rnl_dataset_write(a, &pa, &na) != RNL_OK) return 0;
    if (rnl_dataset_write(b, &pb, &nb) != RNL_OK) {
        free(pa);
        return 0;
    }
    int same = na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

static void check_balanced(const rnl_dataset *ds) {
    for (int s = 0; s < 3; s++) {
        int first, count, pos = 0;
        rnl_dataset_split(ds, (rnl_split)s, &first, &count);
        for (int i = first; i < first + count; i++) pos += ds->labels[i];
        CHECK(pos * 2 == count, "split %d: %d positives of %d", s, pos, count);
    }
}

static void test_imdb(const char *archive) {
    // The 1k subset, read with the counts and the vocabulary kept for checks.
    rnl_imdb_config c = rnl_imdb_default();
    c.n_train = 1000, c.n_val = 200, c.n_test = 1000, c.seed = 1;
    rnl_imdb *im;
    CHECK_OK(rnl_imdb_create(&im, &c));
    CHECK_OK(rnl_imdb_read(im, archive));
    int counts[2][2], unsup;
    rnl_imdb_counts(im, counts, &unsup);
    CHECK(counts[0][0] == 12500 && counts[0][1] == 12500 && counts[1][0] == 12500 && counts[1][1] == 12500,
          "25,000 train and 25,000 test reviews, balanced: train %d/%d, test %d/%d", counts[0][0], counts[0][1], counts[1][0], counts[1][1]);
    const rnl_word_counts *wc = rnl_imdb_word_counts(im);
    printf("IMDB train split: %zu distinct words, %llu tokens; unsup files: %d\n", rnl_word_counts_distinct(wc),
           (unsigned long long)rnl_word_counts_total(wc), unsup);
    // Pinned: a change here means the tokenizer (or the archive) changed.
    CHECK(rnl_word_counts_distinct(wc) == 82718, "distinct training words: %zu", rnl_word_counts_distinct(wc));
    CHECK(rnl_word_counts_total(wc) == 6700602, "training tokens: %llu", (unsigned long long)rnl_word_counts_total(wc));
    rnl_vocab *all;
    CHECK_OK(rnl_vocab_build(&all, wc, RNL_MAX_VOCAB - 2));
    CHECK(all && rnl_vocab_size(all) == 82720, "vocab size with no cap: %d", all ? rnl_vocab_size(all) : 0);
    rnl_vocab_destroy(all);

    rnl_dataset *ds;
    CHECK_OK(rnl_imdb_build(im, &ds));
    rnl_imdb_destroy(im);
    if (!ds) return;
    CHECK(rnl_vocab_size(ds->vocab) == 10002, "vocab size for 10000 words: %d", rnl_vocab_size(ds->vocab));
    struct { const char *w; int id; } pins[] = {{"the", 2}, {".", 3}, {",", 4}, {"and", 5}, {"a", 6}, {"of", 7}, {"to", 8},
                                                {"is", 9}, {"movie", 21}, {"film", 23}, {"great", 95}, {"bad", 85}};
    for (size_t i = 0; i < sizeof pins / sizeof *pins; i++) {
        int id = rnl_vocab_id(ds->vocab, pins[i].w, strlen(pins[i].w));
        CHECK(id == pins[i].id, "id of '%s': %d, pinned %d", pins[i].w, id, pins[i].id);
    }
    CHECK(ds->n_train == 1000 && ds->n_val == 200 && ds->n_test == 1000, "split sizes");
    check_balanced(ds);
    CHECK(ds->ids[0] == 1429 && ds->labels[0] == 1 && ds->ratings[0] == 9, "first training review: %u (label %d, rating %d)", ds->ids[0],
          ds->labels[0], ds->ratings[0]);

    // Round trip through a file.
    const char *tmp = "tmp_test_data_real_1k.rnld";
    CHECK_OK(rnl_dataset_save(ds, tmp));
    rnl_dataset *back = NULL;
    CHECK_OK(rnl_dataset_load(tmp, &back));
    CHECK(back && same_file_bytes(ds, back), "the 1k subset round-trips");
    FILE *f = fopen(tmp, "rb");
    long size = -1;
    if (f) fseek(f, 0, SEEK_END), size = ftell(f), fclose(f);
    printf("1k subset (1000/200/1000, vocab 10000, max_len 200): %ld bytes, %lld tokens\n", size, (long long)ds->offsets[2200]);
    remove(tmp);
    rnl_dataset_destroy(back);

    rnl_bow_config bc = rnl_bow_default();
    rnl_bow_result br;
    CHECK_OK(rnl_bow_baseline(ds, &bc, &br));
    printf("bag-of-words baseline on the 1k subset: train %.4f, val %.4f, test %.4f\n", br.train_acc, br.val_acc, br.test_acc);
    CHECK(br.val_acc > 0.7 && br.test_acc > 0.7, "baseline well above chance: val %.3f, test %.3f", br.val_acc, br.test_acc);
    rnl_dataset_destroy(ds);

    // The default 5k subset: same vocabulary (it is counted over the whole training split).
    rnl_imdb_config d = rnl_imdb_default();
    CHECK_OK(rnl_imdb_load(archive, &d, &ds));
    if (!ds) return;
    check_balanced(ds);
    CHECK(rnl_vocab_id(ds->vocab, "great", 5) == 95, "the vocabulary does not depend on the subset");
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_dataset_write(ds, &buf, &n));
    printf("5k subset (5000/1000/5000, vocab 10000, max_len 200): %zu bytes, %lld tokens\n", n, (long long)ds->offsets[11000]);
    CHECK(n == 3908132, "5k subset file size %zu", n);
    free(buf);
    CHECK_OK(rnl_bow_baseline(ds, &bc, &br));
    printf("bag-of-words baseline on the 5k subset: train %.4f, val %.4f, test %.4f\n", br.train_acc, br.val_acc, br.test_acc);
    CHECK(br.val_acc > 0.78 && br.test_acc > 0.78, "baseline on 5k: val %.3f, test %.3f", br.val_acc, br.test_acc);
    rnl_dataset_destroy(ds);
}

static void test_temperatures(const char *csv) {
    rnl_series s;
    CHECK_OK(rnl_series_load_csv(&s, csv, "Temp"));
    CHECK(s.n == 3650 && s.values[0] == 20.7 && s.values[3649] == 13.0, "3650 values, 20.7 ... 13.0; got %d", s.n);
    rnl_series t;
    CHECK_OK(rnl_series_load_csv(&t, csv, NULL));
    CHECK(t.n == 3650 && strcmp(t.column, "Temp") == 0, "the one numeric column is Temp");
    rnl_series_free(&t);
    rnl_series_config c = rnl_series_default();
    rnl_dataset *ds;
    CHECK_OK(rnl_dataset_from_series(&ds, &s, &c));
    if (ds) {
        char line[300];
        rnl_dataset_describe(ds, line, sizeof line);
        printf("%s\n", line);
        CHECK(ds->part[0] == 2556 && ds->part[1] == 547 && ds->part[2] == 547, "parts %d/%d/%d", ds->part[0], ds->part[1], ds->part[2]);
        CHECK(ds->n_train == 2526 && ds->n_val == 517 && ds->n_test == 517, "windows");
        CHECK(ds->mean > 10 && ds->mean < 13 && ds->std > 3 && ds->std < 5, "mean %g, std %g", ds->mean, ds->std);
        const char *tmp = "tmp_test_data_real_temp.rnld";
        CHECK_OK(rnl_dataset_save(ds, tmp));
        rnl_dataset *back = NULL;
        CHECK_OK(rnl_dataset_load(tmp, &back));
        CHECK(back && same_file_bytes(ds, back) && back->n_values == 3650, "the series round-trips");
        rnl_dataset_destroy(back);
        remove(tmp);
        rnl_dataset_destroy(ds);
    }
    rnl_series_free(&s);
}

int main(void) {
    const char *archive = tu_shared_path("aclImdb_v1_labeled.tar.gz");
    if (!archive) {
        printf("test_data_real: RNL_SHARED_DATA is not set or missing: skipped\n");
        return tu_summary("test_data_real");
    }
    char a[1024], csv[1024];
    snprintf(a, sizeof a, "%s", archive);
    snprintf(csv, sizeof csv, "%s", tu_shared_path("daily-min-temperatures.csv"));
    test_imdb(a);
    test_temperatures(csv);
    return tu_summary("test_data_real");
}

// test_data_bow.c: the bag-of-words baseline learns a rule it can represent (perfect accuracy, the
// right top words), is deterministic, and refuses what it cannot do.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"
#include "testutil.h"

// Reviews of noise words 4..V-1; positives contain "good" (id 2), negatives "bad" (id 3), once, at a
// random place. Ids come from rnl_rng so the data is fixed.
static rnl_dataset *make_sentiment(int n_train, int n_val, int n_test, int V) {
    rnl_dataset *ds = calloc(1, sizeof *ds);
    int n = n_train + n_val + n_test, L = 20;
    ds->kind = RNL_DATASET_TEXT;
    ds->n_train = n_train, ds->n_val = n_val, ds->n_test = n_test;
    ds->max_len = L;
    rnl_vocab_create(&ds->vocab);
    rnl_vocab_add(ds->vocab, "good", 4);
    rnl_vocab_add(ds->vocab, "bad", 3);
    for (int id = 4; id < V; id++) {
        char w[16];
        snprintf(w, sizeof w, "n%d", id);
        rnl_vocab_add(ds->vocab, w, strlen(w));
    }
    ds->offsets = malloc(sizeof(int64_t) * (size_t)(n + 1));
    ds->tokens = malloc(sizeof(int32_t) * (size_t)n * L);
    ds->labels = malloc((size_t)n);
    ds->ratings = calloc((size_t)n, 1);
    ds->ids = calloc((size_t)n, sizeof(uint32_t));
    rnl_rng r;
    rnl_rng_seed(&r, 99);
    ds->offsets[0] = 0;
    for (int i = 0; i < n; i++) {
        int len = 5 + (int)rnl_rng_below(&r, (uint32_t)(L - 4)), at = (int)rnl_rng_below(&r, (uint32_t)len);
        ds->labels[i] = (uint8_t)rnl_rng_below(&r, 2);
        for (int t = 0; t < len; t++)
            ds->tokens[ds->offsets[i] + t] = t == at ? (ds->labels[i] ? 2 : 3) : 4 + (int32_t)rnl_rng_below(&r, (uint32_t)(V - 4));
        ds->offsets[i + 1] = ds->offsets[i] + len;
    }
    return ds;
}

int main(void) {
    rnl_dataset *ds = make_sentiment(400, 100, 200, 60);
    rnl_bow_config c = rnl_bow_default();
    rnl_bow_result a, b;
    CHECK_OK(rnl_bow_baseline(ds, &c, &a));
    CHECK(a.train_acc == 1 && a.val_acc == 1 && a.test_acc == 1, "a separable rule is learnt: %g %g %g", a.train_acc, a.val_acc, a.test_acc);
    CHECK(a.top_pos[0] == 2 && a.top_neg[0] == 3, "top words: %s / %s", rnl_vocab_word(ds->vocab, a.top_pos[0]),
          rnl_vocab_word(ds->vocab, a.top_neg[0]));
    CHECK(a.train_loss > 0 && a.train_loss < 0.3, "train loss %g", a.train_loss);
    CHECK_OK(rnl_bow_baseline(ds, &c, &b));
    CHECK(memcmp(&a, &b, sizeof a) == 0, "deterministic: same result twice");
    c.seed = 2;
    CHECK_OK(rnl_bow_baseline(ds, &c, &b));
    CHECK(b.train_loss != a.train_loss, "another seed, another SGD path");

    // No validation or test split: NaN accuracy there.
    ds->n_train = 700, ds->n_val = 0, ds->n_test = 0;
    CHECK_OK(rnl_bow_baseline(ds, &c, &b));
    CHECK(isnan(b.val_acc) && isnan(b.test_acc) && b.train_acc == 1, "empty splits give NaN");
    ds->n_train = 400, ds->n_val = 100, ds->n_test = 200;

    c = rnl_bow_default();
    c.epochs = 0;
    CHECK(rnl_bow_baseline(ds, &c, &b) == RNL_ERR_ARG && strstr(rnl_last_error(), "epochs 0"), "%s", rnl_last_error());
    c = rnl_bow_default();
    c.lr = -1;
    CHECK(rnl_bow_baseline(ds, &c, &b) == RNL_ERR_ARG, "negative lr");
    rnl_dataset_destroy(ds);

    // On the hand-written reviews: it runs and gives numbers in range.
    rnl_imdb_config ic = rnl_imdb_default();
    ic.n_train = 6, ic.n_val = 2, ic.n_test = 6, ic.vocab_words = 100, ic.max_len = 50;
    CHECK_OK(rnl_imdb_load(tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"), &ic, &ds));
    if (ds) {
        c = rnl_bow_default();
        CHECK_OK(rnl_bow_baseline(ds, &c, &a));
        CHECK(a.train_acc == 1, "fits six reviews: %g", a.train_acc);
        CHECK(a.test_acc >= 0.5, "hand-written test reviews: %g", a.test_acc);
        printf("fixture baseline: train %.3f, val %.3f, test %.3f; top positive '%s', top negative '%s'\n", a.train_acc, a.val_acc,
               a.test_acc, rnl_vocab_word(ds->vocab, a.top_pos[0]), rnl_vocab_word(ds->vocab, a.top_neg[0]));
        rnl_dataset_destroy(ds);
    }
    rnl_series s;
    const char *t = "v\n1\n2\n3\n4\n5\n6\n";
    CHECK_OK(rnl_series_parse_csv(&s, "m", t, strlen(t), NULL));
    rnl_series_config sc = {.window = 2, .horizon = 1, .val_frac = 0, .test_frac = 0};
    CHECK_OK(rnl_dataset_from_series(&ds, &s, &sc));
    CHECK(rnl_bow_baseline(ds, &c, &a) == RNL_ERR_ARG && strstr(rnl_last_error(), "needs a text dataset"), "%s", rnl_last_error());
    rnl_dataset_destroy(ds);
    rnl_series_free(&s);
    return tu_summary("test_data_bow");
}

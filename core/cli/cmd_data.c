// cmd_data.c: `rnnlab data` (prepare a data set: an IMDB subset from the official archive or an
// aclImdb/ directory, or a CSV time series), `rnnlab baseline` (bag-of-words logistic regression on a
// subset) and `rnnlab predict` (a review's sentiment, read with the vocabulary kept in the checkpoint).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rnnlab_data.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

// --- data -------------------------------------------------------------------------------------------

static const char *data_help =
    "usage: rnnlab data --source PATH --out FILE [flags]\n"
    "       rnnlab data --show FILE\n"
    "\n"
    "Prepares a data set for training (docs/data-format.md). PATH is the official aclImdb_v1.tar.gz (or\n"
    "any .tar/.tar.gz in its layout), an unpacked aclImdb/ directory, or a CSV file (time series).\n"
    "The file is written atomically. Nothing is downloaded: 'npm run data' fetches the archive when online.\n"
    "\n"
    "IMDB reviews (a deterministic, balanced subset; the test split is never used for the vocabulary):\n"
    "  --train N        training reviews (default 5000)\n"
    "  --val N          validation reviews, taken from the training split (default 1000)\n"
    "  --test N         test reviews (default 5000)\n"
    "  --vocab N        most frequent training words to keep (default 10000)\n"
    "  --max-len N      tokens kept per review (default 200)\n"
    "  --keep-end       keep the last max-len tokens instead of the first\n"
    "  --val-by-movie   validation made of whole movies, none of them in train (as the test set's movies are\n"
    "                   apart from the training half's); reads train/urls_{pos,neg}.txt for each review's movie\n"
    "  --seed N         seed of the selection (default 1)\n"
    "CSV time series (chronological train/val/test parts, normalised with the training part's statistics):\n"
    "  --column NAME    the numeric column (default: the only numeric one)\n"
    "  --window T       input steps per example (default 30)\n"
    "  --horizon K      values to predict after each window (default 1)\n";

int cmd_data(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(data_help, stdout), 0;
    args a;
    args_init(&a, "data", argc, argv);
    const char *source = NULL, *out = NULL, *show = NULL, *column = NULL;
    rnl_imdb_config ic = rnl_imdb_default();
    rnl_series_config sc = rnl_series_default();
    int window = -1, horizon = -1, vocab = -1;
    while (args_next(&a)) {
        if (args_is(&a, "--source")) args_str(&a, &source);
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--show")) args_str(&a, &show);
        else if (args_is(&a, "--train")) args_limit(&a, &ic.n_train, "n_train");
        else if (args_is(&a, "--val")) args_limit(&a, &ic.n_val, "n_val");
        else if (args_is(&a, "--test")) args_limit(&a, &ic.n_test, "n_test");
        else if (args_is(&a, "--vocab")) args_limit(&a, &vocab, "vocab_words");
        else if (args_is(&a, "--max-len")) args_limit(&a, &ic.max_len, "max_len");
        else if (args_is(&a, "--keep-end")) ic.keep_end = 1;
        else if (args_is(&a, "--val-by-movie")) ic.val_by_movie = 1;
        else if (args_is(&a, "--seed")) args_u64(&a, &ic.seed);
        else if (args_is(&a, "--column")) args_str(&a, &column);
        else if (args_is(&a, "--window")) args_limit(&a, &window, "window");
        else if (args_is(&a, "--horizon")) args_limit(&a, &horizon, "horizon");
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    rnl_dataset *ds = NULL;
    char desc[512];
    if (show) {
        if (rnl_dataset_load(show, &ds)) return cli_error("data", "%s", rnl_last_error());
        rnl_dataset_describe(ds, desc, sizeof desc);
        printf("%s: %s\n", show, desc);
        rnl_dataset_destroy(ds);
        return 0;
    }
    if (!source || !out) return args_error(&a, "--source and --out are required"), 2;
    if (vocab > 0) ic.vocab_words = vocab;
    if (window > 0) sc.window = window;
    if (horizon > 0) sc.horizon = horizon;
    int csv = column || ends_with(source, ".csv") || ends_with(source, ".CSV");
    if (csv && ic.val_by_movie)
        return args_error(&a, "--val-by-movie is for IMDB reviews (the archive's urls files name their movies), not a CSV series"), 2;
    rnl_status st;
    int movies[2] = {0, 0};
    if (csv) {
        rnl_series s;
        memset(&s, 0, sizeof s);
        st = rnl_series_load_csv(&s, source, column);
        if (!st) st = rnl_dataset_from_series(&ds, &s, &sc);
        rnl_series_free(&s);
    } else {
        struct stat sb;
        if (stat(source, &sb) != 0)
            return cli_error("data", "%s not found. Give the path of aclImdb_v1.tar.gz (or an unpacked aclImdb/ directory, or a CSV file); "
                                     "'npm run data' downloads the archive when online", source);
        fprintf(stderr, "reading %s ...\n", source);
        rnl_imdb *im;  // rnl_imdb_load's steps, the reader kept for its movie counts
        st = rnl_imdb_create(&im, &ic);
        if (!st) st = rnl_imdb_read(im, source);
        if (!st) st = rnl_imdb_build(im, &ds);
        if (!st) rnl_imdb_movies(im, &movies[0], &movies[1]);
        rnl_imdb_destroy(im);
    }
    if (st) return cli_error("data", "%s", rnl_last_error());
    int rc = 0;
    if (rnl_dataset_save(ds, out)) rc = cli_error("data", "%s", rnl_last_error());
    else {
        struct stat sb;
        rnl_dataset_describe(ds, desc, sizeof desc);
        printf("wrote %s (%lld bytes): %s\n", out, stat(out, &sb) == 0 ? (long long)sb.st_size : -1LL, desc);
        if (ic.val_by_movie) printf("movies: %d in train, %d in validation\n", movies[0], movies[1]);
    }
    rnl_dataset_destroy(ds);
    return rc;
}

// --- baseline ---------------------------------------------------------------------------------------

int cmd_baseline(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return fputs("usage: rnnlab baseline --data FILE [--epochs N] [--json]\n\n"
                     "Bag-of-words logistic regression on a prepared IMDB subset: which words a review contains,\n"
                     "ignoring their order. What a recurrent network has to beat. Prints accuracy on each split and\n"
                     "the words with the largest positive and negative weights.\n", stdout), 0;
    args a;
    args_init(&a, "baseline", argc, argv);
    const char *data = NULL;
    int json = 0;
    rnl_bow_config bc = rnl_bow_default();
    while (args_next(&a)) {
        if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--epochs")) args_int(&a, &bc.epochs, 1, 1000);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!data) return args_error(&a, "--data is required"), 2;
    rnl_dataset *ds;
    if (rnl_dataset_load(data, &ds)) return cli_error("baseline", "%s", rnl_last_error());
    int rc = 0;
    rnl_bow_result r;
    if (ds->kind != RNL_DATASET_TEXT) rc = cli_error("baseline", "%s is a time series; the bag-of-words baseline is for reviews", data);
    else if (rnl_bow_baseline(ds, &bc, &r)) rc = cli_error("baseline", "%s", rnl_last_error());
    else if (json) {
        printf("{\"data\": \"%s\", \"model\": \"bag-of-words logistic regression\", \"train_accuracy\": %.6g, \"val_accuracy\": %.6g, "
               "\"test_accuracy\": %.6g}\n", data, r.train_acc, isnan(r.val_acc) ? -1 : r.val_acc, isnan(r.test_acc) ? -1 : r.test_acc);
    } else {
        // A split the data set does not have is named as missing, never printed as "nan".
        char val[48], test[48];
        if (isnan(r.val_acc)) snprintf(val, sizeof val, "none (no validation split)");
        else snprintf(val, sizeof val, "%.4f", r.val_acc);
        if (isnan(r.test_acc)) snprintf(test, sizeof test, "none (no test split)");
        else snprintf(test, sizeof test, "%.4f", r.test_acc);
        printf("bag-of-words logistic regression on %s\n  accuracy: train %.4f, validation %s, test %s\n", data, r.train_acc, val, test);
        printf("  most positive words:");
        for (int i = 0; i < 10; i++) printf(" %s", rnl_vocab_word(ds->vocab, r.top_pos[i]));
        printf("\n  most negative words:");
        for (int i = 0; i < 10; i++) printf(" %s", rnl_vocab_word(ds->vocab, r.top_neg[i]));
        printf("\n");
    }
    rnl_dataset_destroy(ds);
    return rc;
}

// --- predict ----------------------------------------------------------------------------------------

int cmd_predict(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return fputs("usage: rnnlab predict --model FILE (--text \"a review\" | --file PATH) [--json]\n\n"
                     "The sentiment of a review, read with the vocabulary and tokenizer settings stored in the model\n"
                     "(models trained with 'rnnlab train --data' keep them). Prints the probability that it is\n"
                     "positive and the tokens the model saw (<unk> for words outside its vocabulary).\n", stdout), 0;
    args a;
    args_init(&a, "predict", argc, argv);
    const char *model = NULL, *text = NULL, *file = NULL;
    int json = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--text")) args_str(&a, &text);
        else if (args_is(&a, "--file")) args_str(&a, &file);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !text == !file) return args_error(&a, "--model and one of --text or --file are required"), 2;
    rnl_run_net m;  // a recurrent model or a Transformer
    if (cli_net_load("predict", model, &m, NULL)) return 1;
    const rnl_config io = rnl_run_net_config(m);
    size_t mn;
    const uint8_t *meta = cli_net_meta(m, &mn);
    rnl_dataset *ds = NULL;
    char *owned = NULL;
    size_t tn = text ? strlen(text) : 0;
    int rc = 0;
    if (!meta) rc = cli_error("predict", "%s has no vocabulary: train it on a data set first ('rnnlab train --data FILE')", model);
    else if (rnl_dataset_read(meta, mn, model, &ds)) rc = cli_error("predict", "%s", rnl_last_error());
    else if (ds->kind != RNL_DATASET_TEXT) rc = cli_error("predict", "%s predicts a time series, not the sentiment of a text", model);
    else if (!cli_check_data_fits("predict", &io, ds)) rc = 1;
    else if (file && cli_read_file(file, 16u << 20, &owned, &tn)) rc = cli_error("predict", "%s", rnl_last_error());
    if (!rc) {
        int32_t *ids = malloc(sizeof(int32_t) * (size_t)ds->max_len);
        int len = ids ? rnl_vocab_encode(ds->vocab, owned ? owned : text, tn, ds->max_len, ds->keep_end, ids) : 0;
        rnl_batch b = {1, len, ids, NULL, NULL, NULL};
        if (!ids) rc = cli_error("predict", "out of memory");
        else if (rnl_run_net_forward(m, &b, NULL)) rc = cli_error("predict", "%s", rnl_last_error());
        else {
            double p = rnl_run_net_predictions(m)[0];
            int unk = 0;
            for (int i = 0; i < len; i++) unk += ids[i] == RNL_UNK;
            if (json) printf("{\"positive\": %.6g, \"label\": \"%s\", \"tokens\": %d, \"unknown\": %d}\n", p, p >= 0.5 ? "positive" : "negative", len, unk);
            else {
                printf("%s (%.1f%% positive)\n", p >= 0.5 ? "positive" : "negative", 100 * p);
                printf("read as %d token%s (%d unknown):", len, len > 1 ? "s" : "", unk);
                for (int i = 0; i < len && i < 60; i++) printf(" %s", rnl_vocab_word(ds->vocab, ids[i]));
                printf("%s\n", len > 60 ? " ..." : "");
            }
        }
        free(ids);
    }
    free(owned);
    rnl_dataset_destroy(ds);
    cli_net_destroy(m);
    return rc;
}

// rnnlab_data.h: the data layer of rnnlab, one implementation for every face (native CLI, WASM in the
// browser and in Node): a streaming tar reader, gzip files (native, through zlib), the IMDB reviews,
// a tokenizer and vocabulary, deterministic balanced subsets in a small validated binary file, CSV time
// series, batching into rnl_task_data, and a bag-of-words baseline. docs/data-format.md has the file format.
//
// A worked example: build a 5k IMDB subset once, then train on it.
//
//     rnl_imdb_config ic = rnl_imdb_default();   // 5000 train, 1000 val, 5000 test; 10000 words; 200 tokens
//     ic.seed = 7;
//     rnl_dataset *ds;
//     if (rnl_imdb_load("aclImdb_v1.tar.gz", &ic, &ds) != RNL_OK) die(rnl_last_error());
//     if (rnl_dataset_save(ds, "imdb-5k.rnld") != RNL_OK) die(rnl_last_error());
//     rnl_dataset_destroy(ds);
//
//     rnl_dataset_load("imdb-5k.rnld", &ds);            // later, or in the browser: rnl_dataset_read(buf, n, ...)
//     rnl_config cfg = rnl_config_default(RNL_CELL_LSTM);
//     cfg.embed = 64;
//     rnl_dataset_shape(ds, &cfg);                       // vocab, head, outputs
//     int first, count;
//     rnl_dataset_split(ds, RNL_SPLIT_TRAIN, &first, &count);
//     int32_t *order = malloc(sizeof(int32_t) * count);
//     rnl_task_data d; rnl_task_data_init(&d);
//     for (int epoch = 0; epoch < 3; epoch++) {
//         rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, seed, epoch, 32, 0, order);
//         for (int i = 0; i < count; i += 32) {
//             rnl_dataset_batch(ds, order + i, count - i < 32 ? count - i : 32, &d);
//             rnl_train_step(m, opt, &d.batch, 0, &st);
//         }
//     }
//
// Conventions: as in rnnlab.h. Calls that can fail return rnl_status and leave a message in
// rnl_last_error() that names the file (or the label given for a buffer) and the problem. Every random
// choice comes from rnl_rng seeded by the caller's seed: same seed, same subset, on every face.
// Builds: gzip needs RNL_HAVE_ZLIB (the native library); with RNL_NO_FILES (the standalone WASM module)
// the functions that take a path only fail with a message saying so, and the page passes bytes instead:
// rnl_imdb_feed_tar, rnl_dataset_read / _write, rnl_series_parse_csv.
#ifndef RNNLAB_DATA_H
#define RNNLAB_DATA_H

#include "rnnlab.h"

#ifdef __cplusplus
extern "C" {
#endif

// Hard limits, checked before allocating (a corrupt header must not become a 4 GB malloc).
#define RNL_TOKEN_MAX 64                  // bytes in a vocabulary word; longer tokens are <unk>
#define RNL_TAR_MAX_MEMBER (64u << 20)    // bytes of one tar member handed to a callback
#define RNL_TAR_MAX_NAME 4096             // bytes of a member name (GNU 'L' or pax 'path')
#define RNL_DATA_MAX_EXAMPLES 10000000    // examples in a dataset
#define RNL_DATA_MAX_TOKENS (1u << 28)    // tokens in a dataset (1 GB as int32)
#define RNL_DATA_MAX_VALUES (1u << 26)    // values in a time series
#define RNL_SERIES_MAX_ABS 1e100          // a series value's magnitude: the sums of squares behind its std stay finite
#define RNL_DATA_VERSION 1                // data file version written and read by this build

// Reserved token ids.
#define RNL_PAD 0
#define RNL_UNK 1

// --- Streaming tar reader -----------------------------------------------------------------------
// ustar, GNU and pax archives: regular files are handed over, long names come from GNU 'L' members
// and pax 'path' records, everything else (directories, links, devices, GNU/pax extras) is skipped.
// Header checksums, octal fields and sizes are validated; errors name the problem and the byte offset
// in the (uncompressed) tar stream. Bytes arrive in chunks of any size, down to 1, and only the
// members the consumer wants are buffered, so the ~107 MB IMDB tar never has to be held whole.

typedef struct rnl_tar_reader rnl_tar_reader;

// Called for each regular file when its header has been read: return 1 to receive its contents,
// 0 to skip them.
typedef int (*rnl_tar_want_fn)(void *user, const char *name, uint64_t size);
// Receives one wanted member, whole; `data` is valid during the call only. Return RNL_OK, or an error
// made with rnl_fail, which stops the archive.
typedef rnl_status (*rnl_tar_member_fn)(void *user, const char *name, const uint8_t *data, size_t size);

// `label` names the archive in messages (e.g. its file name; NULL: "tar archive"). want == NULL: all.
rnl_status rnl_tar_create(rnl_tar_reader **out, const char *label, rnl_tar_want_fn want,
                          rnl_tar_member_fn on_member, void *user);
void rnl_tar_destroy(rnl_tar_reader *r);
// Feeds the next n bytes. After an error every later call returns the same error.
rnl_status rnl_tar_feed(rnl_tar_reader *r, const uint8_t *bytes, size_t n);
// The input is over: fails unless the archive ended properly (an end-of-archive block was read).
rnl_status rnl_tar_finish(rnl_tar_reader *r);
// Streams a file into the reader and finishes it: a .tar, or a gzip-compressed .tar.gz (told by its
// magic bytes, not its name; gzip needs a build with zlib, i.e. the native one).
rnl_status rnl_tar_read_file(rnl_tar_reader *r, const char *path);

// --- Tokenizer ----------------------------------------------------------------------------------
// Bytes in, tokens out; never allocates, never fails. HTML-like markup (<br />, <i>, </a ...>) is
// removed; ASCII letters are lowercased; a word is a run of ASCII letters and digits and bytes >= 0x80
// (so UTF-8, valid or not, stays inside words, untouched); an apostrophe between two word bytes stays
// in the word ("don't"); every other visible ASCII character is punctuation and a token of its own, a
// run of the same one character being one token ("!!!", "..."); whitespace and control bytes separate.

// Called for each token. A token longer than RNL_TOKEN_MAX bytes is passed as len == 0 (it will be
// <unk>). Return nonzero to stop early.
typedef int (*rnl_token_fn)(void *user, const char *tok, size_t len);
void rnl_tokenize(const char *text, size_t n, rnl_token_fn fn, void *user);

// --- Word counts and vocabulary -----------------------------------------------------------------

typedef struct rnl_word_counts rnl_word_counts;
rnl_status rnl_word_counts_create(rnl_word_counts **out);
void rnl_word_counts_destroy(rnl_word_counts *c);
rnl_status rnl_word_counts_add_text(rnl_word_counts *c, const char *text, size_t n);  // tokenizes
rnl_status rnl_word_counts_add(rnl_word_counts *c, const char *word, size_t len, uint32_t count);
size_t rnl_word_counts_distinct(const rnl_word_counts *c);
uint64_t rnl_word_counts_total(const rnl_word_counts *c);  // tokens counted (long ones included)
uint32_t rnl_word_counts_get(const rnl_word_counts *c, const char *word, size_t len);

// Ids: 0 <pad>, 1 <unk>, then words by falling count, ties in byte order ("alphabetical").
typedef struct rnl_vocab rnl_vocab;
// The max_words most frequent words of `c` (all of them if fewer).
rnl_status rnl_vocab_build(rnl_vocab **out, const rnl_word_counts *c, int max_words);
// An empty vocabulary (<pad>, <unk>) to fill with rnl_vocab_add (e.g. when reading a file).
rnl_status rnl_vocab_create(rnl_vocab **out);
rnl_status rnl_vocab_add(rnl_vocab *v, const char *word, size_t len);  // next id; no duplicates
void rnl_vocab_destroy(rnl_vocab *v);
int rnl_vocab_size(const rnl_vocab *v);                  // including the two reserved ids
const char *rnl_vocab_word(const rnl_vocab *v, int id);  // "<pad>", "<unk>", a word; NULL out of range
int32_t rnl_vocab_id(const rnl_vocab *v, const char *word, size_t len);  // RNL_UNK if absent
// Tokenizes and encodes a text into out (capacity max_len), keeping its first max_len tokens, or its
// last ones when keep_end. Returns the length, at least 1: a text without tokens is one <unk>.
int rnl_vocab_encode(const rnl_vocab *v, const char *text, size_t n, int max_len, int keep_end,
                     int32_t *out);

// --- Datasets -----------------------------------------------------------------------------------
// One in-memory form and one file format ("rnld", docs/data-format.md) for both kinds of data the CLI's
// `train --data` takes. Examples are stored train first, then validation, then test.

typedef enum { RNL_DATASET_TEXT = 1, RNL_DATASET_SERIES = 2 } rnl_dataset_kind;
typedef enum { RNL_SPLIT_TRAIN = 0, RNL_SPLIT_VAL = 1, RNL_SPLIT_TEST = 2 } rnl_split;

typedef struct {
    rnl_dataset_kind kind;
    int n_train, n_val, n_test;  // examples per split
    uint64_t seed;               // of the selection (text) or 0

    // Text: binary sentiment classification (kind == RNL_DATASET_TEXT).
    rnl_vocab *vocab;
    int max_len;                 // every length is in 1..max_len
    int keep_end;                // 1: longer reviews kept their last max_len tokens, 0: their first
    int val_by_movie;            // 1: validation holds whole movies, none of them in train (IMDB only)
    int64_t *offsets;            // (n + 1): example i is tokens[offsets[i] .. offsets[i+1])
    int32_t *tokens;             // (offsets[n]) ids in 1..vocab size - 1 (never <pad>)
    uint8_t *labels;             // (n) 0 = negative, 1 = positive
    uint8_t *ratings;            // (n) 1..10 from the review's file name; 0 if not known
    uint32_t *ids;               // (n) review id from the file name <id>_<rating>.txt

    // Series: seq-to-one regression on sliding windows (kind == RNL_DATASET_SERIES).
    int window, horizon;         // T input steps; targets: the next `horizon` values
    int n_values;                // length of the series
    int part[3];                 // values in the train, val and test parts (chronological)
    double *values;              // (n_values) as read
    float *norm;                 // (n_values) (values - mean) / std
    double mean, std;            // of the training part only (population std)
    char column[64];             // name of the CSV column
} rnl_dataset;

void rnl_dataset_destroy(rnl_dataset *ds);
int rnl_dataset_size(const rnl_dataset *ds);  // n_train + n_val + n_test
// Examples [*first, *first + *count) form split s.
void rnl_dataset_split(const rnl_dataset *ds, rnl_split s, int *first, int *count);
int rnl_dataset_length(const rnl_dataset *ds, int i);  // steps of example i
// Sets the fields of cfg that the data decides: vocab (text) or input_size (series), head, outputs,
// seq2seq; embed: 0 for a series (no vocabulary), kept for text unless it is <= 0 (then 32). Leaves
// cell, hidden, layers, bidirectional alone.
void rnl_dataset_shape(const rnl_dataset *ds, rnl_config *cfg);
// One line for people: kind, split sizes, vocabulary or window, file version.
void rnl_dataset_describe(const rnl_dataset *ds, char *buf, size_t cap);

// The file: magic, version, kind, sizes, contents, CRC-32. Written atomically (temp file + rename).
// `*out` of rnl_dataset_write is released with free().
rnl_status rnl_dataset_write(const rnl_dataset *ds, uint8_t **out, size_t *n);
rnl_status rnl_dataset_save(const rnl_dataset *ds, const char *path);
// The data file without its examples (text: vocabulary and tokenizer settings, val_by_movie cleared; a
// series: all of it):
// what a trained model needs to read new input. The CLI and the page keep it in the checkpoint
// (rnl_model_set_meta), so `predict` needs no data file.
rnl_status rnl_dataset_write_description(const rnl_dataset *ds, uint8_t **out, size_t *n);
// Reading validates every field and size against the hard limits before allocating and checks the
// CRC; a truncated, corrupt or foreign file is rejected with what is wrong. `label` names the buffer
// in messages (a file name or URL; NULL: "data file").
rnl_status rnl_dataset_read(const uint8_t *buf, size_t n, const char *label, rnl_dataset **out);
rnl_status rnl_dataset_load(const char *path, rnl_dataset **out);

// --- Batches ------------------------------------------------------------------------------------

// Fills d with examples idx[0..B-1] (dataset indices), batch-major, and points d->batch at them.
// Text: tokens (B, T) padded with 0, T = longest length in the batch; lengths (B); targets (B) 0/1.
// Series: inputs (B, T = window, 1); lengths (B) = T; targets (B, horizon). Buffers grow with realloc.
rnl_status rnl_dataset_batch(const rnl_dataset *ds, const int32_t *idx, int B, rnl_task_data *d);
// The order of one epoch over split s: a permutation of its indices, written to order (count items),
// from rnl_rng seeded with (seed, epoch). Consecutive runs of batch_size items are the batches, the
// last one possibly shorter. bucket > 1 (text only) cuts padding: the shuffled examples are taken in
// pools of bucket * batch_size, each pool is sorted by length and cut into batches, and the full
// batches are shuffled (the short last batch stays last). bucket <= 1: a plain shuffle.
rnl_status rnl_dataset_epoch_order(const rnl_dataset *ds, rnl_split s, uint64_t seed, int epoch,
                                   int batch_size, int bucket, int32_t *order);

// --- IMDB reviews -------------------------------------------------------------------------------
// Reads aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt from the official aclImdb_v1.tar.gz, a .tar,
// an unpacked aclImdb/ directory, or tar bytes fed in chunks (the browser, after DecompressionStream).
// train/unsup and all other files are ignored.
//
// Memory stays near the size of the subset, whatever the order the reviews arrive in: each review gets
// a priority from rnl_rng seeded with (seed, split, label, id), and per split and label only the
// reviews with the lowest priorities keep their text (train: the n_train/2 lowest are training, the
// next n_val/2 validation; test: the n_test/2 lowest). So a directory and an archive give the same
// subset. The vocabulary is counted over the whole training split (all 25,000 reviews, the validation
// ones included: counts carry no labels); the test split is never counted.
//
// val_by_movie: the official test movies are disjoint from the training half's, but a random validation
// split shares movies (titles, actors, plots) with training, so it flatters memorised names. With it,
// the same kept reviews (train + val) are partitioned by movie instead: the movie of review id k of a
// label is the tt number on line k of train/urls_pos.txt or urls_neg.txt (read from the same source; in
// the archive they come after the reviews, so the partition waits for rnl_imdb_build). Movies are taken
// in an order drawn from the seed, and one goes to validation when its reviews of each label still fit;
// the build fails, saying so, if whole movies cannot fill validation exactly.

typedef struct {
    int n_train, n_val, n_test;  // reviews per split, half negative, half positive (odd: one more pos)
    int vocab_words;             // words in the vocabulary besides <pad> and <unk>
    int max_len;                 // tokens kept per review
    int keep_end;                // 0: keep the first max_len tokens, 1: the last
    uint64_t seed;
    int val_by_movie;            // 0: validation reviews at random, 1: whole movies (needs train/urls_*.txt)
} rnl_imdb_config;

typedef struct rnl_imdb rnl_imdb;

rnl_imdb_config rnl_imdb_default(void);  // 5000 / 1000 / 5000, 10000 words, 200 tokens, start, seed 1
rnl_status rnl_imdb_create(rnl_imdb **out, const rnl_imdb_config *cfg);
void rnl_imdb_destroy(rnl_imdb *im);
// A directory (aclImdb/ or its parent) or an archive file (.tar.gz, .tar).
rnl_status rnl_imdb_read(rnl_imdb *im, const char *path);
// Raw (uncompressed) tar bytes in chunks of any size, then rnl_imdb_end_tar once.
rnl_status rnl_imdb_feed_tar(rnl_imdb *im, const uint8_t *bytes, size_t n);
rnl_status rnl_imdb_end_tar(rnl_imdb *im);
// One file by its path inside the layout (".../train/pos/123_8.txt"; with val_by_movie also
// ".../train/urls_pos.txt" and "urls_neg.txt"); others are ignored.
rnl_status rnl_imdb_add_file(rnl_imdb *im, const char *name, const char *text, size_t n);
// One review given directly: split 0 train / 1 test, label 0 neg / 1 pos, rating 1..10 (0: unknown).
rnl_status rnl_imdb_add_review(rnl_imdb *im, int split, int label, uint32_t id, int rating,
                               const char *text, size_t n);
// Reviews seen so far: [split 0 train / 1 test][label 0 neg / 1 pos]; *unsup: train/unsup files.
void rnl_imdb_counts(const rnl_imdb *im, int counts[2][2], int *unsup);
const rnl_word_counts *rnl_imdb_word_counts(const rnl_imdb *im);  // of the training split
// Builds the subset: fails if a split or label has no reviews or fewer than asked for (with val_by_movie:
// or a urls file is missing, a kept review has no line in it, or whole movies cannot fill validation).
rnl_status rnl_imdb_build(rnl_imdb *im, rnl_dataset **out);
// After a build with val_by_movie: the movies of the training and validation splits (0 and 0 without).
void rnl_imdb_movies(const rnl_imdb *im, int *train, int *val);
// create + read + build + destroy.
rnl_status rnl_imdb_load(const char *path, const rnl_imdb_config *cfg, rnl_dataset **out);

// --- Reviews from a CSV file --------------------------------------------------------------------
// A user's own labelled texts: a CSV (RFC 4180: quoted fields may hold commas, doubled quotes and line
// breaks) with a header row naming a `text` (else `review`) column and a `label` (else `sentiment`)
// column, any case; labels 0/1, neg/pos or negative/positive, any case. A bad row is an error naming
// the label, the line and the problem. Each data row goes to the train or test part by a hash of its
// index and the seed (one in five to test), then through the IMDB selection above (the row's 0-based
// index is its review id, rating 0): balanced subsets, validation carved from the training part, the
// vocabulary counted over the training part only. docs/data-format.md has the details.

#define RNL_TEXT_CSV_ALL (-1)  // as n_train, n_val or n_test: as many as a balanced subset allows

typedef struct {
    int rows;        // data rows
    int part[2][2];  // rows per part (0 train, 1 test) and label (0 neg, 1 pos)
} rnl_text_csv_info;

// cfg: sizes (or RNL_TEXT_CSV_ALL: all of the test part, and of the training part a tenth to validation),
// vocabulary, max_len, keep_end, seed; val_by_movie must be 0 (rows have no movies). `info` (may be NULL)
// receives the row counts once the rows are read.
rnl_status rnl_text_csv_dataset(const char *label, const char *text, size_t n, const rnl_imdb_config *cfg,
                                rnl_dataset **out, rnl_text_csv_info *info);

// --- Time series --------------------------------------------------------------------------------
// CSV with a header row; one numeric column is taken, by name or, if the name is NULL or empty, as the
// only numeric column (a date column is fine). Blank lines are skipped; any other row that does not
// give a finite number is an error naming the file, the line and its content.

typedef struct {
    double *values;
    int n;
    char column[64];
} rnl_series;

rnl_status rnl_series_parse_csv(rnl_series *s, const char *label, const char *text, size_t n,
                                const char *column);
rnl_status rnl_series_load_csv(rnl_series *s, const char *path, const char *column);
void rnl_series_free(rnl_series *s);

typedef struct {
    int window;        // T input steps
    int horizon;       // predict the next 1 (next-step) or k values
    double val_frac;   // chronological parts: train, then val, then test (the last test_frac)
    double test_frac;
} rnl_series_config;

rnl_series_config rnl_series_default(void);  // window 30, horizon 1, 0.15 val, 0.15 test
// Normalises with the mean and std of the training part and makes the windows: an example is a window
// whose inputs and targets lie inside one part.
rnl_status rnl_dataset_from_series(rnl_dataset **out, const rnl_series *s, const rnl_series_config *cfg);

// --- Bag-of-words baseline ----------------------------------------------------------------------
// Logistic regression on which words a review contains (binary, L2-normalised, <pad>/<unk> left out),
// trained with SGD on the training split of a text dataset: what an RNN has to beat. Deterministic.

typedef struct {
    int epochs;
    double lr;      // initial step, decaying as lr / (1 + lr * l2 * t)
    double l2;      // weight decay per example
    uint64_t seed;  // of the epoch orders
} rnl_bow_config;

typedef struct {
    double train_acc, val_acc, test_acc;  // NaN for an empty split
    double train_loss;                    // mean BCE of the last epoch
    int top_pos[10], top_neg[10];         // word ids with the largest and smallest weights
} rnl_bow_result;

rnl_bow_config rnl_bow_default(void);  // 20 epochs, lr 0.5, l2 1e-5, seed 1 (chosen on IMDB validation)
rnl_status rnl_bow_baseline(const rnl_dataset *ds, const rnl_bow_config *cfg, rnl_bow_result *out);

#ifdef __cplusplus
}
#endif
#endif

// wasm_data.c: the adapter's datasets (rnnlab_data.h): a dataset is the core's rnl_dataset, handed to
// JavaScript as a pointer and freed with rnl_dataset_destroy; here it is read, described, written, its
// text encoded, its examples and batches handed over, and it is made: from IMDB tar bytes in chunks or
// files, a reviews CSV, a CSV series; the bag-of-words baseline. Models trained on datasets are in
// wasm_api.c. The constructors return NULL on failure (status in rnlw_last_status).
#include <stdlib.h>

#include "wasm_api.h"

void rnlw_dataset_info(rnlw_dataset_desc *out, const rnl_dataset *ds) {
    int text = ds->kind == RNL_DATASET_TEXT;
    *out = (rnlw_dataset_desc){text, ds->n_train, ds->n_val, ds->n_test, text ? rnl_vocab_size(ds->vocab) : 0, ds->max_len,
                               ds->keep_end, ds->window, ds->horizon, ds->mean, ds->std, ds->n_values, ds->seed, ds->column,
                               ds->val_by_movie};
}

rnl_dataset *rnlw_dataset_read(const uint8_t *buf, size_t n, const char *label) {
    rnl_dataset *ds;
    if ((wasm_status = rnl_dataset_read(buf, n, label, &ds)) != RNL_OK) return NULL;
    return ds;
}

// One line for people (rnl_dataset_describe); valid until the next call.
const char *rnlw_dataset_describe(const rnl_dataset *ds) {
    static char line[512];
    rnl_dataset_describe(ds, line, sizeof line);
    return line;
}

// The data file (description == 0) or its description (the vocabulary, what a model keeps as meta).
// The wrapper copies the bytes and frees them with rnl_buffer_free.
rnl_status rnlw_dataset_write(rnlw_span *out, const rnl_dataset *ds, int description) {
    uint8_t *buf = NULL;
    rnl_status st = description ? rnl_dataset_write_description(ds, &buf, &out->n) : rnl_dataset_write(ds, &buf, &out->n);
    out->data = buf;
    return st;
}

// A growing int32 buffer shared by the calls below that hand back token ids (valid until the next call).
static int32_t *scratch_ids;
static size_t scratch_cap;

static int32_t *ids_buffer(size_t n) {
    if (n > scratch_cap) {
        int32_t *p = realloc(scratch_ids, sizeof(int32_t) * n);
        if (!p) return NULL;
        scratch_ids = p;
        scratch_cap = n;
    }
    return scratch_ids;
}

static rnl_status need_text(const rnl_dataset *ds, const char *what) {
    if (ds->kind == RNL_DATASET_TEXT) return RNL_OK;
    return rnl_fail(RNL_ERR_ARG, "%s: this is a time series, not a text dataset", what);
}

// Tokenizes and encodes a text as the dataset does (its vocabulary, max_len, keep_end). out: the ids.
rnl_status rnlw_dataset_encode(rnlw_span *out, const rnl_dataset *ds, const char *text, size_t n) {
    rnl_status st = need_text(ds, "encode");
    if (st) return st;
    int32_t *ids = ids_buffer((size_t)ds->max_len);
    if (!ids) return rnl_fail(RNL_ERR_NOMEM, "encode: out of memory");
    out->data = ids;
    out->n = (size_t)rnl_vocab_encode(ds->vocab, text, n, ds->max_len, ds->keep_end, ids);
    return RNL_OK;
}

// The word of a token id; NULL for a series or an id out of range.
const char *rnlw_dataset_word(const rnl_dataset *ds, int id) {
    return ds->kind == RNL_DATASET_TEXT ? rnl_vocab_word(ds->vocab, id) : NULL;
}

// Example i of a text dataset: its token ids, label, rating and review id.
rnl_status rnlw_dataset_example(rnlw_example *out, const rnl_dataset *ds, int i) {
    rnl_status st = need_text(ds, "example");
    if (st) return st;
    if (i < 0 || i >= rnl_dataset_size(ds))
        return rnl_fail(RNL_ERR_ARG, "example: index %d is outside 0..%d", i, rnl_dataset_size(ds) - 1);
    *out = (rnlw_example){ds->tokens + ds->offsets[i], (int)(ds->offsets[i + 1] - ds->offsets[i]), ds->labels[i], ds->ratings[i],
                          ds->ids[i]};
    return RNL_OK;
}

// The buffers of the batches rnlw_dataset_batch hands over (valid until the next call).
static rnl_task_data generated;

// The batch of examples idx[0..B-1] (rnl_dataset_batch).
rnl_status rnlw_dataset_batch(rnlw_batch_view *out, const rnl_dataset *ds, const int32_t *idx, int B) {
    rnl_status st = rnl_dataset_batch(ds, idx, B, &generated);
    if (st) return st;
    const rnl_batch *b = &generated.batch;
    int BT = b->B * b->T;  // input_size 1
    *out = (rnlw_batch_view){b->tokens, b->inputs, b->lengths, b->targets, b->tokens ? BT : 0, b->inputs ? BT : 0,
                             ds->kind == RNL_DATASET_TEXT ? B : B * ds->horizon, b->T, B};
    return RNL_OK;
}

// The model fields the data decides (rnl_dataset_shape: vocab, embed, input_size, head, outputs, seq2seq),
// on an LSTM's defaults. embed: the caller's (0: the data layer's default).
void rnlw_dataset_shape(rnl_config *out, const rnl_dataset *ds, int embed) {
    *out = rnl_config_default(RNL_CELL_LSTM);
    out->embed = embed;
    rnl_dataset_shape(ds, out);
}

// --- Making datasets ------------------------------------------------------------------------------

// The defaults of `rnnlab data`, for the options the page leaves out.
void rnlw_data_defaults(rnl_imdb_config *imdb, rnl_series_config *series) {
    *imdb = rnl_imdb_default();
    *series = rnl_series_default();
}

// An IMDB reader; the wrapper feeds it tar bytes (rnl_imdb_feed_tar, rnl_imdb_end_tar) or files
// (rnl_imdb_add_file), then builds (rnlw_imdb_build) and destroys it (rnl_imdb_destroy).
rnl_imdb *rnlw_imdb_create(const rnl_imdb_config *c) {
    rnl_imdb *im;
    if ((wasm_status = rnl_imdb_create(&im, c)) != RNL_OK) return NULL;
    return im;
}

// Reviews seen so far. out: train neg, train pos, test neg, test pos, train/unsup.
void rnlw_imdb_counts(rnlw_imdb_tally *out, const rnl_imdb *im) {
    int c[2][2], unsup;
    rnl_imdb_counts(im, c, &unsup);
    *out = (rnlw_imdb_tally){c[0][0], c[0][1], c[1][0], c[1][1], unsup};
}

rnl_dataset *rnlw_imdb_build(rnl_imdb *im) {
    rnl_dataset *ds;
    if ((wasm_status = rnl_imdb_build(im, &ds)) != RNL_OK) return NULL;
    return ds;
}

// A dataset from a CSV of labelled reviews (rnl_text_csv_dataset); sizes < 0: all a balanced subset
// allows. info: rows, and rows per part and label.
rnl_dataset *rnlw_text_csv(rnl_text_csv_info *info, const char *text, size_t n, const char *label, const rnl_imdb_config *cfg) {
    rnl_imdb_config c = *cfg;
    int *sizes[] = {&c.n_train, &c.n_val, &c.n_test};
    for (int i = 0; i < 3; i++)
        if (*sizes[i] < 0) *sizes[i] = RNL_TEXT_CSV_ALL;
    rnl_dataset *ds;
    *info = (rnl_text_csv_info){0};
    wasm_status = rnl_text_csv_dataset(label, text, n, &c, &ds, info);
    return wasm_status ? NULL : ds;
}

// A dataset of sliding windows over one numeric column of a CSV (rnl_series_parse_csv +
// rnl_dataset_from_series). column NULL or "": the only numeric column.
rnl_dataset *rnlw_series_csv(const char *text, size_t n, const char *label, const char *column, const rnl_series_config *c) {
    rnl_series s;
    rnl_dataset *ds = NULL;
    if ((wasm_status = rnl_series_parse_csv(&s, label, text, n, column)) != RNL_OK) return NULL;
    wasm_status = rnl_dataset_from_series(&ds, &s, c);
    rnl_series_free(&s);
    return wasm_status ? NULL : ds;
}

// The bag-of-words baseline with its defaults (rnl_bow_baseline, as `rnnlab baseline`): accuracies (NaN
// for an empty split), train loss, the ten most positive and most negative word ids (ids below 2 stand
// in when the vocabulary is tiny).
rnl_status rnlw_bow(rnl_bow_result *out, const rnl_dataset *ds) {
    rnl_bow_config c = rnl_bow_default();
    return rnl_bow_baseline(ds, &c, out);
}

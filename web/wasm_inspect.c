// wasm_inspect.c: the adapter's face of rnnlab_inspect.h, for the page's step-through, state-path and
// word-map views and Model.inspectText / wordMap / neighbours / history. Each call computes in the core and
// lays the results out in buffers kept here until the next call (the wrapper copies them out at once),
// exactly as `rnnlab inspect` and `rnnlab embeddings` print them: no numbers of its own.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_api.h"

// Buffers that outlive a call until the next: grown, never shrunk.
static void *grow(void **p, size_t *cap, size_t bytes) {
    if (bytes <= *cap) return *p;
    void *q = realloc(*p, bytes);
    if (!q) return NULL;
    *p = q, *cap = bytes;
    return q;
}

static struct {
    int32_t *ids;
    rnlw_inspect_step *steps;
    rnl_unit_step *units;
    double *cloud;
    int32_t *labels;
    size_t ids_cap, steps_cap, units_cap, cloud_cap, labels_cap;
} kept;

// A text read word by word (as `rnnlab inspect`): text (n bytes) with the model's vocabulary; the backward
// view follows `label` (0 or 1; -1: the model's own answer); units (n_units) of `layer`; the state map is
// a PCA over the first `reviews` reviews of ds's split (with their cloud), or, with ds NULL, over this
// text's own states.
rnl_status rnlw_inspect_text(rnlw_walk_view *out, rnlw_handle *h, const char *text, size_t n, int label, int layer,
                             const int32_t *units, int n_units, const rnl_dataset *ds, int split, int reviews) {
    rnl_status st;
    const rnl_dataset *vocab = wasm_vocabulary(h, "inspectText", &st);
    if (!vocab) return st;
    rnl_model *m = wasm_model(h);
    const rnl_config *c = rnl_model_config(m);
    if (c->head != RNL_HEAD_BINARY || c->seq2seq)
        return rnl_fail(RNL_ERR_ARG, "inspectText: reads P(positive) of a binary sequence-to-one text model");
    if (label < -1 || label > 1) return rnl_fail(RNL_ERR_ARG, "inspectText: label is %d, must be 0, 1 or null", label);
    if (layer < 0 || layer >= c->layers) return rnl_fail(RNL_ERR_ARG, "inspectText: layer %d is outside 0..%d", layer, c->layers - 1);
    if (n_units < 0 || n_units > c->hidden) return rnl_fail(RNL_ERR_ARG, "inspectText: %d units, the layer has %d", n_units, c->hidden);
    for (int i = 0; i < n_units; i++)
        if (units[i] < 0 || units[i] >= c->hidden)
            return rnl_fail(RNL_ERR_ARG, "inspectText: unit %d is outside 0..%d", (int)units[i], c->hidden - 1);
    if (!grow((void **)&kept.ids, &kept.ids_cap, sizeof(int32_t) * (size_t)vocab->max_len))
        return rnl_fail(RNL_ERR_NOMEM, "inspectText: out of memory");
    int len = rnl_vocab_encode(vocab->vocab, text, n, vocab->max_len, vocab->keep_end, kept.ids);
    rnl_real target = (rnl_real)label;
    rnl_batch b = {1, len, kept.ids, NULL, NULL, NULL};
    rnl_walk *w = NULL;
    rnl_pca pca = {0};
    if ((st = rnl_walk_create(&w, m, &b, label >= 0 ? &target : NULL))) return st;
    if (!grow((void **)&kept.steps, &kept.steps_cap, sizeof(rnlw_inspect_step) * (size_t)len) ||
        !grow((void **)&kept.units, &kept.units_cap, sizeof(rnl_unit_step) * (size_t)len * (n_units ? n_units : 1))) {
        st = rnl_fail(RNL_ERR_NOMEM, "inspectText: out of memory");
        goto done;
    }
    int cloud_n = 0;
    if (ds) {
        int first, count;
        rnl_dataset_split(ds, (rnl_split)split, &first, &count);
        cloud_n = reviews < count ? reviews : count;
        if (!grow((void **)&kept.cloud, &kept.cloud_cap, sizeof(double) * 2 * (size_t)(cloud_n > 0 ? cloud_n : 1)) ||
            !grow((void **)&kept.labels, &kept.labels_cap, sizeof(int32_t) * (size_t)(cloud_n > 0 ? cloud_n : 1))) {
            st = rnl_fail(RNL_ERR_NOMEM, "inspectText: out of memory");
            goto done;
        }
        int *labels = (int *)kept.labels;  // int and int32_t: the same in the module
        if ((st = rnl_state_cloud(&pca, kept.cloud, labels, m, ds, (rnl_split)split, cloud_n))) goto done;
    } else if (len >= 2 && (st = rnl_walk_pca(&pca, w))) {
        goto done;
    }
    rnl_grad_paths g = {0};
    for (int t = 0; t < len; t++) {
        rnlw_inspect_step *s = &kept.steps[t];
        double xy[2] = {0, 0};
        if (pca.k) rnl_pca_project(&pca, rnl_walk_state(w, c->layers - 1, t), xy);
        rnl_walk_paths(w, layer, t, &g);
        *s = (rnlw_inspect_step){rnl_walk_output(w, t)[0], xy[0], xy[1], g.grad_h, g.grad_c, g.to_prev_h, {g.norms[0], g.norms[1]}};
        for (int i = 0; i < n_units; i++) rnl_walk_unit(w, layer, t, units[i], &kept.units[(size_t)t * n_units + i]);
    }
    *out = (rnlw_walk_view){kept.ids, kept.steps, kept.units, len, n_units, layer, g.n_paths, g.names[0], g.names[1],
                            rnl_walk_output(w, len - 1)[0], {0, 0}, ds != NULL, ds ? kept.cloud : NULL, ds ? kept.labels : NULL, cloud_n};
    for (int k = 0; k < pca.k; k++) out->explained[k] = pca.total_var > 0 ? pca.var[k] / pca.total_var : 0;
done:
    rnl_pca_free(&pca);
    rnl_walk_destroy(w);
    return st;
}

static rnl_word_map map;
static double *polarity;
static size_t polarity_cap;

// The word map of the model's n most frequent words (rnl_word_map_build), kept until the next call. With
// ds (the model's data set; NULL: none), each map is also measured against the words' polarity in its
// training reviews, and the better map is chosen by that, as `rnnlab embeddings --data` does: the
// effect-based measure favours the readout map by construction (its x linearises the effect).
rnl_status rnlw_word_map(rnlw_word_map_view *out, rnlw_handle *h, int n, const rnl_dataset *ds) {
    rnl_status st;
    if (!wasm_vocabulary(h, "wordMap", &st)) return st;
    if (ds && (st = rnl_run_data_fits(rnl_model_config(wasm_model(h)), ds, "give wordMap the model's own data set"))) return st;
    rnl_word_map_free(&map);
    if ((st = rnl_word_map_build(&map, wasm_model(h), n))) return st;
    double dp = NAN, dr = NAN;
    int readout_best = map.best == RNL_WORDMAP_READOUT;
    if (ds) {
        if (!grow((void **)&polarity, &polarity_cap, sizeof(double) * (size_t)map.n))
            return rnl_fail(RNL_ERR_NOMEM, "wordMap: out of memory");
        if ((st = rnl_word_polarity(polarity, ds, map.ids, map.n))) return st;
        rnl_word_map_against(&map, polarity, &dp, &dr);
        readout_best = dr > dp;
    }
    *out = (rnlw_word_map_view){map.n, map.ids, map.pca, map.readout, map.effect, map.prob, map.sep_pca, map.sep_readout,
                                readout_best, dp, dr};
    return RNL_OK;
}

// The id of a word in the model's vocabulary: 1 (<unk>) if it has none such, -1 without a vocabulary.
int rnlw_word_id(rnlw_handle *h, const char *word, size_t n) {
    rnl_status st;
    const rnl_dataset *vocab = wasm_vocabulary(h, "neighbours", &st);
    if (!vocab) return wasm_status = st, -1;
    return rnl_vocab_id(vocab->vocab, word, n);
}

// The k nearest words of `id` by cosine (rnl_nearest_words), kept until the next call.
rnl_status rnlw_neighbours(rnlw_neighbours_view *out, rnlw_handle *h, int id, int k) {
    static int32_t *ids;
    static double *cos;
    static size_t ids_cap, cos_cap;
    if (k < 1 || k > 1000) return rnl_fail(RNL_ERR_ARG, "neighbours: k is %d, must be in 1..1000", k);
    if (!grow((void **)&ids, &ids_cap, sizeof(int32_t) * (size_t)k) || !grow((void **)&cos, &cos_cap, sizeof(double) * (size_t)k))
        return rnl_fail(RNL_ERR_NOMEM, "neighbours: out of memory");
    int found = 0;
    rnl_status st = rnl_nearest_words(ids, cos, &found, wasm_model(h), id, k);
    *out = (rnlw_neighbours_view){ids, cos, found};
    return st;
}

// The model's training history: out->data points to out->n rnl_history_point records (NULL, 0: none).
void rnlw_history(rnlw_span *out, rnlw_handle *h) {
    size_t n = 0;
    const rnl_history_point *p = rnl_run_net_history(wasm_net(h), &n);
    *out = (rnlw_span){p, n};
}

// A held-out check recorded on the last history point (as `rnnlab train` does after its checks).
void rnlw_history_heldout(rnlw_handle *h, double loss, double accuracy) {
    rnl_run_net_history_heldout(wasm_net(h), loss, accuracy);
}

// cmd_inspect.c: `rnnlab inspect` (a review read word by word: P(positive) after each word, the hidden
// state's path in 2-D, the gates of chosen units, how the gradient travels back) and `rnnlab embeddings`
// (the word map: the most frequent words in 2-D, each word's own effect, nearest neighbours). The numbers
// are the core's (rnnlab_inspect.h); this file reads flags and prints. docs/cli.md shows both.
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rnnlab_inspect.h"

// A text model with its vocabulary (the meta block), or 0 after the message.
static int load_text_model(const char *cmd, const char *path, rnl_model **m, rnl_dataset **vocab) {
    size_t mn;
    rnl_run_net net;
    *vocab = NULL, *m = NULL;
    if (cli_net_load(cmd, path, &net, NULL)) return 0;
    if (net.tf) {
        cli_error(cmd, "%s is a Transformer encoder: %s reads the cells of a recurrent model (RNN, LSTM, GRU)", path, cmd);
        cli_net_destroy(net);
        return 0;
    }
    *m = net.rnn;
    const uint8_t *meta = rnl_model_meta(*m, &mn);
    const char *why = NULL;
    if (!meta) why = "has no vocabulary: train it on a data set first ('rnnlab train --data FILE')";
    else if (rnl_dataset_read(meta, mn, path, vocab)) return cli_error(cmd, "%s", rnl_last_error()), rnl_model_destroy(*m), 0;
    else if ((*vocab)->kind != RNL_DATASET_TEXT) why = "reads a time series, not text";
    else if (!cli_check_data_fits(cmd, rnl_model_config(*m), *vocab)) why = "";
    else if (rnl_model_config(*m)->bidirectional) why = "is bidirectional: its state at a word has already read the words after it";
    if (!why) return 1;
    if (*why) cli_error(cmd, "%s %s", path, why);
    rnl_dataset_destroy(*vocab), rnl_model_destroy(*m);
    *vocab = NULL, *m = NULL;
    return 0;
}

// "0,1,2" into units (at most cap), each in 0..H-1; the count, or -1 after the message.
static int parse_units(args *a, const char *s, int H, int *units, int cap) {
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || (*end && *end != ',') || v < 0 || v >= H)
            return args_error(a, "--units takes unit numbers in 0..%d separated by commas, not '%s'", H - 1, s), -1;
        if (n == cap) return args_error(a, "--units: at most %d units", cap), -1;
        units[n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return n;
}

// --- inspect ----------------------------------------------------------------------------------------

static const char *inspect_help =
    "usage: rnnlab inspect --model FILE (--text \"a review\" | --file PATH) [flags]\n"
    "\n"
    "Reads a review word by word with a trained text model (unidirectional) and shows, after each word:\n"
    "P(positive), the hidden state projected to 2-D, the gates of chosen units and how the gradient of\n"
    "the loss reaches the step before (the LSTM's cell-state path against the gates, the GRU's direct\n"
    "path against the gates). docs/cli.md explains every field.\n"
    "\n"
    "  --units LIST    units whose gates to show, e.g. 0,1,2 (default 0,1,2, fewer if the model is smaller)\n"
    "  --layer N       the layer of those units (default 0); the state's path is the top layer's\n"
    "  --label 0|1     the label the backward view follows (default: the model's own answer)\n"
    "  --data FILE     fit the 2-D projection over the test reviews of this data set (and print their\n"
    "                  final states as a cloud; a pooled head's pools); without it, over this review's own states\n"
    "  --reviews N     test reviews for --data (default 200, at most the split's size)\n"
    "  --json          print one JSON object (the fields of docs/cli.md)\n";

int cmd_inspect(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(inspect_help, stdout), 0;
    args a;
    args_init(&a, "inspect", argc, argv);
    const char *model = NULL, *text = NULL, *file = NULL, *units_s = NULL, *data = NULL;
    int layer = 0, label = -1, reviews = 200, json = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--text")) args_str(&a, &text);
        else if (args_is(&a, "--file")) args_str(&a, &file);
        else if (args_is(&a, "--units")) args_str(&a, &units_s);
        else if (args_is(&a, "--layer")) args_int(&a, &layer, 0, RNL_MAX_LAYERS - 1);
        else if (args_is(&a, "--label")) args_int(&a, &label, 0, 1);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--reviews")) args_int(&a, &reviews, 2, 100000);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !text == !file) return args_error(&a, "--model and one of --text or --file are required"), 2;
    rnl_model *m;
    rnl_dataset *vocab;
    if (!load_text_model("inspect", model, &m, &vocab)) return 1;
    const rnl_config *c = rnl_model_config(m);
    const rnl_cell_info *ci = rnl_cell_info_of(c->cell);
    int units[16], nu = 0, rc = 0;
    if (layer >= c->layers) args_error(&a, "--layer is %d, the model has layers 0..%d", layer, c->layers - 1), rc = 2;
    else if (units_s) nu = parse_units(&a, units_s, c->hidden, units, 16);
    else
        for (nu = 0; nu < 3 && nu < c->hidden; nu++) units[nu] = nu;
    if (nu < 0) rc = 2;  // the message is out
    if (!rc && c->head != RNL_HEAD_BINARY)
        rc = cli_error("inspect", "%s has a %s head; inspect reads P(positive) of a binary text model", model, rnl_head_name(c->head));
    char *owned = NULL;
    size_t tn = text ? strlen(text) : 0;
    if (!rc && file && cli_read_file(file, 16u << 20, &owned, &tn)) rc = cli_error("inspect", "%s", rnl_last_error());
    int32_t *ids = NULL;
    rnl_walk *w = NULL;
    rnl_dataset *ds = NULL;
    rnl_pca pca = {0};
    double *cloud = NULL;
    int *labels = NULL, len = 0;
    if (!rc) {
        ids = malloc(sizeof(int32_t) * (size_t)vocab->max_len);
        len = ids ? rnl_vocab_encode(vocab->vocab, owned ? owned : text, tn, vocab->max_len, vocab->keep_end, ids) : 0;
        rnl_real target = (rnl_real)label;
        rnl_batch b = {1, len, ids, NULL, NULL, NULL};
        if (!ids) rc = cli_error("inspect", "out of memory");
        else if (rnl_walk_create(&w, m, &b, label >= 0 ? &target : NULL)) rc = cli_error("inspect", "%s", rnl_last_error());
    }
    // The projection: over a data set's test reviews (with their cloud), or over this review's states.
    if (!rc && data) {
        int first, count;
        if (rnl_dataset_load(data, &ds)) rc = cli_error("inspect", "%s", rnl_last_error());
        else if (!cli_check_data_fits("inspect", c, ds)) rc = 1;
        else {
            rnl_dataset_split(ds, RNL_SPLIT_TEST, &first, &count);
            if (reviews > count) reviews = count;
            cloud = malloc(sizeof(double) * 2 * (size_t)(reviews > 0 ? reviews : 1));
            labels = malloc(sizeof(int) * (size_t)(reviews > 0 ? reviews : 1));
            if (!cloud || !labels) rc = cli_error("inspect", "out of memory");
            else if (rnl_state_cloud(&pca, cloud, labels, m, ds, RNL_SPLIT_TEST, reviews))
                rc = cli_error("inspect", "%s: %s", data, rnl_last_error());
        }
    } else if (!rc && len >= 2 && rnl_walk_pca(&pca, w)) {
        rc = cli_error("inspect", "%s", rnl_last_error());
    }
    if (!rc) {
        double explained[2] = {0, 0};
        for (int k = 0; k < pca.k; k++) explained[k] = pca.total_var > 0 ? pca.var[k] / pca.total_var : 0;
        const double p_final = rnl_walk_output(w, len - 1)[0];
        if (json) {
            printf("{\"model\": ");
            cli_json_string(model);
            printf(", \"cell\": \"%s\", \"layer\": %d, \"positive\": %.6g, \"label\": %d,\n", ci->name, layer, p_final,
                   label >= 0 ? label : p_final > 0.5);
            printf(" \"gate_names\": [");
            for (int k = 0; k < ci->gates; k++) printf("%s\"%s\"", k ? ", " : "", ci->gate_names[k]);
            printf("], \"units\": [");
            for (int i = 0; i < nu; i++) printf("%s%d", i ? ", " : "", units[i]);
            printf("],\n \"projection\": {\"fitted_on\": \"%s\", \"points\": %d, \"explained\": [%.4f, %.4f]},\n \"tokens\": [\n",
                   data ? "test reviews" : len >= 2 ? "this review" : "none (one token)", data ? reviews : len, explained[0], explained[1]);
            for (int t = 0; t < len; t++) {
                double xy[2] = {0, 0};
                if (pca.k) rnl_pca_project(&pca, rnl_walk_state(w, c->layers - 1, t), xy);
                rnl_grad_paths g;
                rnl_walk_paths(w, layer, t, &g);
                printf("  {\"word\": ");
                cli_json_string(rnl_vocab_word(vocab->vocab, ids[t]));
                printf(", \"id\": %d, \"positive\": %.6g, \"xy\": [%.6g, %.6g],\n   \"grad_h\": %.6g, \"to_prev\": %.6g, \"paths\": {",
                       (int)ids[t], rnl_walk_output(w, t)[0], xy[0], xy[1], g.grad_h, g.to_prev_h);
                for (int k = 0; k < g.n_paths; k++) printf("%s\"%s\": %.6g", k ? ", " : "", g.names[k], g.norms[k]);
                printf("},\n   \"units\": [");
                for (int i = 0; i < nu; i++) {
                    rnl_unit_step u;
                    rnl_walk_unit(w, layer, t, units[i], &u);
                    printf("%s{\"unit\": %d, \"gates\": [", i ? ", " : "", units[i]);
                    for (int k = 0; k < u.gates; k++) printf("%s%.6g", k ? ", " : "", u.gate[k]);
                    printf("], \"pre\": [");
                    for (int k = 0; k < u.gates; k++) printf("%s%.6g", k ? ", " : "", u.pre[k]);
                    printf("], \"h\": %.6g", u.h);
                    if (c->cell == RNL_CELL_LSTM) printf(", \"c\": %.6g", u.c);
                    printf("}");
                }
                printf("]}%s\n", t + 1 < len ? "," : "");
            }
            printf(" ]");
            if (cloud) {
                printf(",\n \"cloud\": [");
                for (int i = 0; i < reviews; i++)
                    printf("%s{\"xy\": [%.6g, %.6g], \"label\": %d}", i ? ", " : "", cloud[2 * i], cloud[2 * i + 1], labels[i]);
                printf("]");
            }
            printf("}\n");
        } else {
            printf("%s, %s: %s (%.1f%% positive)\n", model, ci->label, p_final >= 0.5 ? "positive" : "negative", 100 * p_final);
            printf("state path: PCA over %s (%d points; axes explain %.0f%% and %.0f%%)\n",
                   data ? "the test reviews' states" : "this review's states", data ? reviews : len, 100 * explained[0], 100 * explained[1]);
            printf("%-14s %8s %9s %9s %10s", "word", "P(pos)", "x", "y", "|dL/dh_t|");
            for (int i = 0; i < nu; i++) printf("   unit %d: %s", units[i], ci->gate_names[0]);
            printf("\n");
            for (int t = 0; t < len; t++) {
                double xy[2] = {0, 0};
                if (pca.k) rnl_pca_project(&pca, rnl_walk_state(w, c->layers - 1, t), xy);
                rnl_grad_paths g;
                rnl_walk_paths(w, layer, t, &g);
                printf("%-14.14s %8.4f %9.4f %9.4f %10.3g", rnl_vocab_word(vocab->vocab, ids[t]), rnl_walk_output(w, t)[0], xy[0], xy[1],
                       g.grad_h);
                for (int i = 0; i < nu; i++) {
                    rnl_unit_step u;
                    rnl_walk_unit(w, layer, t, units[i], &u);
                    printf("  ");
                    for (int k = 0; k < u.gates; k++) printf("%s%s=%.2f", k ? " " : "", ci->gate_names[k], u.gate[k]);
                }
                printf("\n");
            }
        }
    }
    rnl_pca_free(&pca);
    free(cloud), free(labels), free(ids), free(owned);
    rnl_walk_destroy(w);
    rnl_dataset_destroy(ds), rnl_dataset_destroy(vocab);
    rnl_model_destroy(m);
    return rc;
}

// --- embeddings -------------------------------------------------------------------------------------

static const char *embeddings_help =
    "usage: rnnlab embeddings --model FILE [flags]\n"
    "\n"
    "The word map of a trained binary text model: its N most frequent words' embeddings in 2-D, two ways\n"
    "(the first two principal axes; the readout direction against the first axis), which of the two lines\n"
    "the words up by sentiment better, each word's own effect (the logit and P(positive) of the review made\n"
    "of that word alone) and its nearest neighbours by cosine.\n"
    "\n"
    "  --words N        the N most frequent words (default 200)\n"
    "  --neighbours K   neighbours per word, searched over the whole vocabulary (default 5)\n"
    "  --word W         only this word's neighbours (with its place on the map if it is among the N)\n"
    "  --data FILE      also measure both maps against the data's sentiment: each word's share of positive\n"
    "                   reviews among its training reviews (the model aside)\n"
    "  --json           print one JSON object (the fields of docs/cli.md)\n";

static void print_neighbours(const rnl_model *m, const rnl_dataset *vocab, int32_t id, int k, int json) {
    int32_t ids[64];
    double cos[64];
    int found = 0;
    rnl_nearest_words(ids, cos, &found, m, id, k);
    for (int i = 0; i < found; i++) {
        if (json) {
            printf("%s{\"word\": ", i ? ", " : "");
            cli_json_string(rnl_vocab_word(vocab->vocab, ids[i]));
            printf(", \"cos\": %.4f}", cos[i]);
        } else {
            printf(" %s (%.2f)", rnl_vocab_word(vocab->vocab, ids[i]), cos[i]);
        }
    }
}

int cmd_embeddings(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(embeddings_help, stdout), 0;
    args a;
    args_init(&a, "embeddings", argc, argv);
    const char *model = NULL, *word = NULL, *data = NULL;
    int n = 200, k = 5, json = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--words")) args_int(&a, &n, 2, RNL_MAX_VOCAB);
        else if (args_is(&a, "--neighbours")) args_int(&a, &k, 0, 64);
        else if (args_is(&a, "--word")) args_str(&a, &word);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model) return args_error(&a, "--model is required"), 2;
    rnl_model *m;
    rnl_dataset *vocab;
    if (!load_text_model("embeddings", model, &m, &vocab)) return 1;
    const rnl_config *c = rnl_model_config(m);
    int rc = 0;
    if (n > c->vocab - 2) n = c->vocab - 2;  // every word the model knows
    int32_t wid = -1;
    if (word) {
        wid = rnl_vocab_id(vocab->vocab, word, strlen(word));
        if (wid == RNL_UNK) rc = cli_error("embeddings", "'%s' is not in %s's vocabulary of %d words", word, model, c->vocab - 2);
    }
    rnl_word_map wm = {0};
    if (!rc && rnl_word_map_build(&wm, m, n)) rc = cli_error("embeddings", "%s: %s", model, rnl_last_error());
    // Against the data's own sentiment, when given.
    double *polarity = NULL, pol_pca = 0, pol_readout = 0;
    rnl_dataset *ds = NULL;
    if (!rc && data) {
        polarity = malloc(sizeof(double) * (size_t)wm.n);
        if (rnl_dataset_load(data, &ds)) rc = cli_error("embeddings", "%s", rnl_last_error());
        else if (!cli_check_data_fits("embeddings", c, ds)) rc = 1;
        else if (!polarity) rc = cli_error("embeddings", "out of memory");
        else if (rnl_word_polarity(polarity, ds, wm.ids, wm.n)) rc = cli_error("embeddings", "%s: %s", data, rnl_last_error());
        else rnl_word_map_against(&wm, polarity, &pol_pca, &pol_readout);
    }
    if (!rc) {
        // With the data, the better map is the one that lines words up by the data's sentiment: the
        // effect-based measure favours the readout axis by construction (it linearises the effect).
        int readout_best = polarity ? pol_readout > pol_pca : wm.best == RNL_WORDMAP_READOUT;
        const char *best = readout_best ? "readout" : "pca";
        if (json) {
            printf("{\"model\": ");
            cli_json_string(model);
            printf(", \"words\": %d, \"best\": \"%s\", \"separation\": {\"pca\": %.4f, \"readout\": %.4f},\n", wm.n, best,
                   wm.sep_pca, wm.sep_readout);
            if (polarity) printf(" \"data_separation\": {\"pca\": %.4f, \"readout\": %.4f},\n", pol_pca, pol_readout);
            printf(" \"map\": [\n");
            int first = 1;
            for (int i = 0; i < wm.n; i++) {
                if (wid >= 0 && wm.ids[i] != wid) continue;
                printf("%s  {\"word\": ", first ? "" : ",\n");
                first = 0;
                cli_json_string(rnl_vocab_word(vocab->vocab, wm.ids[i]));
                printf(", \"id\": %d, \"pca\": [%.6g, %.6g], \"readout\": [%.6g, %.6g], \"effect\": %.6g, \"positive\": %.6g, ",
                       (int)wm.ids[i], wm.pca[2 * i], wm.pca[2 * i + 1], wm.readout[2 * i], wm.readout[2 * i + 1], wm.effect[i], wm.prob[i]);
                if (polarity) printf("\"polarity\": %.4f, ", polarity[i]);
                printf("\"neighbours\": [");
                if (k) print_neighbours(m, vocab, wm.ids[i], k, 1);
                printf("]}");
            }
            printf("\n ]");
            if (wid >= 0) {
                printf(",\n \"word\": {\"word\": ");
                cli_json_string(word);
                printf(", \"id\": %d, \"neighbours\": [", (int)wid);
                if (k) print_neighbours(m, vocab, wid, k, 1);
                printf("]}");
            }
            printf("}\n");
        } else {
            printf("%s: %d words; sentiment separation (|correlation| of x with each word's own effect): PCA %.2f, "
                   "readout %.2f%s\n", model, wm.n, wm.sep_pca, wm.sep_readout, polarity ? "" : readout_best ? ", so the readout map" : ", so the PCA map");
            if (polarity)
                printf("against %s's own sentiment (|correlation| of x with each word's share of positive reviews): "
                       "PCA %.2f, readout %.2f, so the %s map\n", data, pol_pca, pol_readout, readout_best ? "readout" : "PCA");
            if (wid >= 0) {
                printf("%s:", word);
                print_neighbours(m, vocab, wid, k ? k : 5, 0);
                printf("\n");
            } else {
                printf("%-14s %9s %9s %8s  neighbours\n", "word", "x", "y", "P(pos)");
                for (int i = 0; i < wm.n; i++) {
                    const double *xy = readout_best ? wm.readout : wm.pca;
                    printf("%-14.14s %9.4f %9.4f %8.4f ", rnl_vocab_word(vocab->vocab, wm.ids[i]), xy[2 * i], xy[2 * i + 1], wm.prob[i]);
                    if (k) print_neighbours(m, vocab, wm.ids[i], k, 0);
                    printf("\n");
                }
            }
        }
    }
    rnl_word_map_free(&wm);
    free(polarity);
    rnl_dataset_destroy(ds);
    rnl_dataset_destroy(vocab);
    rnl_model_destroy(m);
    return rc;
}

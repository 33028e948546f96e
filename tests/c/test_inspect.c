// test_inspect.c: the inspection numbers of rnnlab_inspect.h in the float core: the walk against the
// model's forward and backward (float tolerances; test_inspect_f64.c holds it to rounding and to finite
// differences), PCA against numpy (tests/golden/pca.bin, gen_pca.py), the eigen-solver on a known matrix,
// the state space and the state cloud of a small data set, the word map and nearest neighbours against
// direct computation, and the training history in the checkpoint (round trip, old files, bad blocks).
#include <stdio.h>

#include "golden_file.h"
#include "inspect_common.h"

// --- Walk -------------------------------------------------------------------------------------------

static void test_walk(void) {
    const rnl_cell cells[3] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    for (int ci = 0; ci < 3; ci++)
        for (int layers = 1; layers <= 2; layers++) {
            char name[64];
            snprintf(name, sizeof name, "%s layers=%d (float)", rnl_cell_name(cells[ci]), layers);
            rnl_model *m = ic_model(cells[ci], layers, RNL_HEAD_BINARY, 13, 11 + ci);
            if (!m) continue;
            ic_seq s;
            ic_sequence(&s, m, 9);
            // The float core's fast sigmoid/tanh approximations and float sums: ~1e-6 relative.
            rnl_walk *w = ic_check_walk(name, m, &s, 1e-4, 1e-5);
            if (w) ic_check_paths(name, m, w);  // the walk itself is double in both builds
            rnl_walk_destroy(w);
            rnl_model_destroy(m);
        }
    // Refusals name the problem.
    rnl_config cfg = rnl_config_default(RNL_CELL_LSTM);
    cfg.vocab = 10, cfg.embed = 3, cfg.hidden = 4, cfg.bidirectional = 1;
    rnl_model *m = NULL;
    CHECK_OK(rnl_model_create(&m, &cfg, 1));
    int32_t tok[3] = {2, 3, 4};
    rnl_batch b = {.B = 1, .T = 3, .tokens = tok};
    rnl_walk *w = (rnl_walk *)1;
    CHECK(rnl_walk_create(&w, m, &b, NULL) == RNL_ERR_ARG && w == NULL && strstr(rnl_last_error(), "unidirectional"),
          "bidirectional refused: %s", rnl_last_error());
    rnl_model_destroy(m);
    cfg.bidirectional = 0;
    CHECK_OK(rnl_model_create(&m, &cfg, 1));
    tok[1] = 10;
    CHECK(rnl_walk_create(&w, m, &b, NULL) == RNL_ERR_ARG && strstr(rnl_last_error(), "token id 10"), "bad token: %s", rnl_last_error());
    tok[1] = 3;
    CHECK_OK(rnl_walk_create(&w, m, &b, NULL));
    rnl_unit_step u;
    CHECK(rnl_walk_unit(w, 0, 3, 0, &u) == RNL_ERR_ARG && strstr(rnl_last_error(), "step 3 is outside 0..2"), "%s", rnl_last_error());
    CHECK(rnl_walk_unit(w, 0, 0, 4, &u) == RNL_ERR_ARG && strstr(rnl_last_error(), "unit 4 is outside 0..3"), "%s", rnl_last_error());
    CHECK(rnl_walk_unit(w, 1, 0, 0, &u) == RNL_ERR_ARG && strstr(rnl_last_error(), "layer 1"), "%s", rnl_last_error());
    // Without a target, the model's own answer: the loss gradient points away from it, never zero.
    rnl_grad_paths g;
    CHECK_OK(rnl_walk_paths(w, 0, 2, &g));
    CHECK(g.grad_h > 0 && g.n_paths == 2 && strcmp(g.names[0], "cell") == 0, "own-answer backward: %g %s", g.grad_h, g.names[0]);
    rnl_walk_destroy(w);
    rnl_model_destroy(m);
}

// --- PCA --------------------------------------------------------------------------------------------

static void pca_case(const gold_case *gc) {
    const gold_record *X = gold_find(gc, "X", GOLD_F64, 0), *mean = gold_find(gc, "mean", GOLD_F64, 0);
    const gold_record *axes = gold_find(gc, "axes", GOLD_F64, 0), *var = gold_find(gc, "var", GOLD_F64, 0);
    const gold_record *proj = gold_find(gc, "proj", GOLD_F64, 0);
    if (!X || !mean || !axes || !var || !proj) return;
    int n = (int)X->dims[0], d = (int)X->dims[1], k = (int)axes->dims[0];
    double *x = gold_doubles(X);
    rnl_real *xr = gold_reals(X);
    for (int pass = 0; pass < 2; pass++) {
        // Double input: rounding only. Float input (as the model's states): the inputs' own float rounding.
        double rtol = pass ? 1e-4 : 1e-9, atol = pass ? 1e-5 : 1e-11;
        rnl_pca p;
        CHECK_OK(pass ? rnl_pca_fit(&p, xr, n, d, d, k) : rnl_pca_fit_f64(&p, x, n, d, d, k));
        if (!p.mean) continue;
        char what[128];
        double *want = gold_doubles(mean), *got = malloc(sizeof(double) * (size_t)n * k);
        snprintf(what, sizeof what, "%s (%s input): mean", gc->name, pass ? "float" : "double");
        tu_close(what, p.mean, want, (size_t)d, rtol, atol);
        free(want), want = gold_doubles(axes);
        snprintf(what, sizeof what, "%s (%s input): axes", gc->name, pass ? "float" : "double");
        tu_close(what, p.axes, want, (size_t)k * d, rtol, atol);
        free(want), want = gold_doubles(var);
        snprintf(what, sizeof what, "%s (%s input): variances", gc->name, pass ? "float" : "double");
        tu_close(what, p.var, want, (size_t)k, rtol, atol);
        free(want), want = gold_doubles(proj);
        for (int i = 0; i < n; i++) rnl_pca_project(&p, x + (size_t)i * d, got + (size_t)i * k);
        snprintf(what, sizeof what, "%s (%s input): projections", gc->name, pass ? "float" : "double");
        tu_close(what, got, want, (size_t)n * k, rtol, atol * 10);
        free(want), free(got);
        rnl_pca_free(&p);
    }
    free(x), free(xr);
}

static void test_pca(void) {
    CHECK(gold_run_file("tests/golden/pca.bin", "/usr/bin/python3 tests/golden/gen_pca.py", pca_case) == 3, "3 PCA cases");
    // A known spectrum: A = Q diag(5, 2, 2+1e-9, -1) Q^T would tie; use distinct values and a rotation.
    double A[9] = {4, 1, 0, 1, 3, 1, 0, 1, 2}, vals[3], vecs[9];
    CHECK_OK(rnl_sym_eigen(vals, vecs, A, 3));
    // Eigenvalues of this tridiagonal matrix: 3 + sqrt(3), 3, 3 - sqrt(3).
    double want[3] = {3 + sqrt(3.0), 3, 3 - sqrt(3.0)};
    tu_close("eigenvalues of [[4,1,0],[1,3,1],[0,1,2]]", vals, want, 3, 1e-12, 1e-12);
    // (1, -1, 1)/sqrt(3) scaled: for 3 the eigenvector is (1, -1, -1)... check A v = lambda v instead.
    double B[9] = {4, 1, 0, 1, 3, 1, 0, 1, 2};
    for (int r = 0; r < 3; r++) {
        double av[3] = {0, 0, 0}, lv[3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) av[i] += B[i * 3 + j] * vecs[r * 3 + j];
            lv[i] = vals[r] * vecs[r * 3 + i];
        }
        tu_close("A v = lambda v", av, lv, 3, 1e-12, 1e-12);
        int arg = 0;
        for (int i = 1; i < 3; i++) arg = fabs(vecs[r * 3 + i]) > fabs(vecs[r * 3 + arg]) ? i : arg;
        CHECK(vecs[r * 3 + arg] > 0, "sign rule: the largest entry of eigenvector %d is positive", r);
    }
    rnl_pca p;
    double one[2] = {1, 2};
    CHECK(rnl_pca_fit_f64(&p, one, 1, 2, 2, 1) == RNL_ERR_ARG && strstr(rnl_last_error(), "at least 2 rows"), "%s", rnl_last_error());
    CHECK(rnl_pca_fit_f64(&p, one, 2, 1, 1, 2) == RNL_ERR_ARG && strstr(rnl_last_error(), "2 axes asked of a width of 1"), "%s",
          rnl_last_error());
}

// --- States, cloud, word map ------------------------------------------------------------------------

static const char *REVIEWS[2] = {"a dull and awful film , boring and bad", "a great and wonderful film , moving and good"};

static rnl_dataset *small_dataset(void) {
    char csv[16384];
    size_t k = (size_t)snprintf(csv, sizeof csv, "id,text,label\n");
    for (int i = 0; i < 60; i++)
        k += (size_t)snprintf(csv + k, sizeof csv - k, "%d,\"%s%s\",%d\n", i, REVIEWS[i % 2], i % 3 ? " indeed" : "", i % 2);
    rnl_imdb_config cfg = rnl_imdb_default();
    cfg.n_train = cfg.n_val = cfg.n_test = RNL_TEXT_CSV_ALL;
    cfg.vocab_words = 100, cfg.max_len = 20;
    rnl_dataset *ds = NULL;
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, k, &cfg, &ds, NULL));
    return ds;
}

// A pooled head's cloud: a review's point is its pool (what the head reads), the walk's head input after
// its last step, through the same PCA of every state.
static void test_pooled_cloud(void) {
    rnl_dataset *ds = small_dataset();
    if (!ds) return;
    for (int pool = RNL_POOLING_MEAN; pool <= RNL_POOLING_MAX; pool++) {
        rnl_config cfg = rnl_config_default(RNL_CELL_GRU);
        cfg.embed = 6, cfg.hidden = 5, cfg.pool = (rnl_pooling)pool;
        rnl_dataset_shape(ds, &cfg);
        rnl_model *m = NULL;
        CHECK_OK(rnl_model_create(&m, &cfg, 3));
        if (!m) continue;
        int first, count;
        rnl_dataset_split(ds, RNL_SPLIT_TEST, &first, &count);
        int n = count < 8 ? count : 8;
        rnl_pca cloud;
        double xy[16];
        int labels[8];
        CHECK_OK(rnl_state_cloud(&cloud, xy, labels, m, ds, RNL_SPLIT_TEST, n));
        rnl_task_data d;
        rnl_task_data_init(&d);
        int32_t idx[8];
        for (int i = 0; i < n; i++) idx[i] = first + i;
        CHECK_OK(rnl_dataset_batch(ds, idx, n, &d));
        for (int i = 0; i < n && cloud.axes; i++) {
            rnl_batch one = {.B = 1, .T = d.batch.T, .tokens = d.batch.tokens + (size_t)i * d.batch.T, .lengths = d.batch.lengths + i};
            rnl_walk *w = NULL;
            CHECK_OK(rnl_walk_create(&w, m, &one, NULL));
            if (!w) continue;
            double p[2];
            rnl_pca_project(&cloud, rnl_walk_head_input(w, rnl_walk_steps(w) - 1), p);
            char what[64];
            snprintf(what, sizeof what, "%s pool: review %d's point is its pool", rnl_pooling_name(cfg.pool), i);
            tu_close(what, xy + 2 * i, p, 2, 1e-4, 1e-5);
            rnl_walk_destroy(w);
        }
        rnl_task_data_free(&d);
        rnl_pca_free(&cloud);
        rnl_model_destroy(m);
    }
    rnl_dataset_destroy(ds);
}

static void test_states(void) {
    rnl_dataset *ds = small_dataset();
    if (!ds) return;
    rnl_config cfg = rnl_config_default(RNL_CELL_LSTM);
    cfg.embed = 6, cfg.hidden = 5;
    rnl_dataset_shape(ds, &cfg);
    rnl_model *m = NULL;
    CHECK_OK(rnl_model_create(&m, &cfg, 3));
    int first, count;
    rnl_dataset_split(ds, RNL_SPLIT_TEST, &first, &count);
    int n = count < 8 ? count : 8;
    // The cloud: its fit equals a PCA over every state of the same reviews, gathered by hand.
    rnl_pca cloud;
    double xy[16];
    int labels[8];
    CHECK_OK(rnl_state_cloud(&cloud, xy, labels, m, ds, RNL_SPLIT_TEST, n));
    rnl_task_data d;
    rnl_task_data_init(&d);
    int32_t idx[8];
    for (int i = 0; i < n; i++) idx[i] = first + i;
    CHECK_OK(rnl_dataset_batch(ds, idx, n, &d));
    rnl_pca direct;
    CHECK_OK(rnl_state_space_fit(&direct, m, &d.batch));
    if (cloud.axes && direct.axes) {
        tu_close("cloud axes = state-space axes of the same reviews", cloud.axes, direct.axes, 2 * 5, 1e-6, 1e-8);
        tu_close("cloud variances", cloud.var, direct.var, 2, 1e-6, 1e-10);
        // Each final state projected: the walk's h at its last step, through the same PCA.
        for (int i = 0; i < n; i++) {
            rnl_batch one = {.B = 1, .T = d.batch.T, .tokens = d.batch.tokens + (size_t)i * d.batch.T,
                             .lengths = d.batch.lengths + i};
            rnl_walk *w = NULL;
            CHECK_OK(rnl_walk_create(&w, m, &one, NULL));
            if (!w) continue;
            double p[2];
            rnl_pca_project(&cloud, rnl_walk_state(w, 0, rnl_walk_steps(w) - 1), p);
            tu_close("final state's point", xy + 2 * i, p, 2, 1e-4, 1e-5);
            CHECK(labels[i] == (int)d.batch.targets[i], "label %d", i);
            rnl_walk_destroy(w);
        }
    }
    rnl_pca_free(&cloud), rnl_pca_free(&direct);
    CHECK(rnl_state_cloud(&cloud, xy, labels, m, ds, RNL_SPLIT_TEST, count + 1) == RNL_ERR_ARG &&
              strstr(rnl_last_error(), "the split has"), "%s", rnl_last_error());

    // Word map: effects are the one-word walks; both maps' x separations are |correlations|.
    rnl_word_map wm;
    int nw = cfg.vocab - 2 < 10 ? cfg.vocab - 2 : 10;
    CHECK_OK(rnl_word_map_build(&wm, m, nw));
    for (int i = 0; i < wm.n; i++) {
        int32_t tok = wm.ids[i];
        rnl_batch one = {.B = 1, .T = 1, .tokens = &tok};
        rnl_walk *w = NULL;
        CHECK_OK(rnl_walk_create(&w, m, &one, NULL));
        if (!w) continue;
        double p = rnl_walk_output(w, 0)[0];
        CHECK(fabs(p - wm.prob[i]) < 1e-12 && fabs(log(p / (1 - p)) - wm.effect[i]) < 1e-9, "word %d effect", i);
        rnl_walk_destroy(w);
    }
    CHECK(wm.sep_pca >= 0 && wm.sep_pca <= 1 && wm.sep_readout >= 0 && wm.sep_readout <= 1, "separations %g %g", wm.sep_pca,
          wm.sep_readout);
    CHECK(wm.best == (wm.sep_readout > wm.sep_pca ? RNL_WORDMAP_READOUT : RNL_WORDMAP_PCA), "best map");
    // The readout map's y is the PCA map's x.
    for (int i = 0; i < wm.n; i++) CHECK(wm.readout[2 * i + 1] == wm.pca[2 * i], "readout y is PC1");
    // The data's sentiment of each word, against counting by hand over the training split.
    double pol[10], sp, sr;
    CHECK_OK(rnl_word_polarity(pol, ds, wm.ids, wm.n));
    for (int i = 0; i < wm.n; i++) {
        int f, cnt;
        double pos = 0, all = 0;
        rnl_dataset_split(ds, RNL_SPLIT_TRAIN, &f, &cnt);
        for (int e = f; e < f + cnt; e++)
            for (int64_t t = ds->offsets[e]; t < ds->offsets[e + 1]; t++)
                if (ds->tokens[t] == wm.ids[i]) pos += ds->labels[e], all += 1;
        CHECK(fabs(pol[i] - (pos + 1) / (all + 2)) < 1e-12, "polarity of word %d: %g", i, pol[i]);
    }
    rnl_word_map_against(&wm, pol, &sp, &sr);
    CHECK(sp >= 0 && sp <= 1 && sr >= 0 && sr <= 1, "separations against the data %g %g", sp, sr);
    // A word only in positive reviews ("great", "wonderful"...) leans positive; one only in negative ones leans negative.
    int32_t good = rnl_vocab_id(ds->vocab, "wonderful", 9), bad = rnl_vocab_id(ds->vocab, "awful", 5);
    double pg, pb;
    CHECK_OK(rnl_word_polarity(&pg, ds, &good, 1));
    CHECK_OK(rnl_word_polarity(&pb, ds, &bad, 1));
    CHECK(pg > 0.9 && pb < 0.1, "polarity: wonderful %g, awful %g", pg, pb);
    rnl_word_map_free(&wm);
    CHECK(rnl_word_map_build(&wm, m, cfg.vocab) == RNL_ERR_ARG && strstr(rnl_last_error(), "the vocabulary has"), "%s", rnl_last_error());

    // Neighbours against a direct computation over the vocabulary.
    int32_t ids[5];
    double cos[5];
    int found;
    CHECK_OK(rnl_nearest_words(ids, cos, &found, m, 3, 5));
    const rnl_real *E = rnl_model_params(m) + rnl_model_tensor(m, 0)->offset;
    CHECK(found == 5, "found %d", found);
    for (int i = 0; i < found; i++) {
        double dot = 0, a = 0, b = 0;
        for (int j = 0; j < cfg.embed; j++) {
            double x = E[3 * cfg.embed + j], y = E[(size_t)ids[i] * cfg.embed + j];
            dot += x * y, a += x * x, b += y * y;
        }
        CHECK(fabs(dot / sqrt(a * b) - cos[i]) < 1e-9, "cosine %d", i);
        CHECK(i == 0 || cos[i] <= cos[i - 1], "falling");
        CHECK(ids[i] != 3 && ids[i] >= 2, "not itself, not reserved");
    }
    // No word outside the list is closer than the last one kept.
    for (int32_t v = 2; v < cfg.vocab; v++) {
        int kept = v == 3;
        for (int i = 0; i < found; i++) kept |= ids[i] == v;
        if (kept) continue;
        double dot = 0, a = 0, b = 0;
        for (int j = 0; j < cfg.embed; j++) {
            double x = E[3 * cfg.embed + j], y = E[(size_t)v * cfg.embed + j];
            dot += x * y, a += x * x, b += y * y;
        }
        CHECK(dot / sqrt(a * b) <= cos[found - 1] + 1e-12, "word %d is closer than the last neighbour", (int)v);
    }
    CHECK(rnl_nearest_words(ids, cos, &found, m, 1, 5) == RNL_ERR_ARG && strstr(rnl_last_error(), "outside 2.."), "%s", rnl_last_error());
    rnl_task_data_free(&d);
    rnl_model_destroy(m);
    rnl_dataset_destroy(ds);
}

// --- Training history in the checkpoint -------------------------------------------------------------

static void test_history(void) {
    // An old file (written before the history block existed) reads, and writes back byte for byte.
    uint8_t *old = NULL;
    size_t n_old = 0;
    FILE *f = fopen(tu_source_path("tests/fixtures/checkpoint/gru_v1_meta_optim.rnl"), "rb");
    CHECK(f != NULL, "the old checkpoint fixture");
    if (!f) return;
    old = malloc(4096);
    n_old = fread(old, 1, 4096, f);
    fclose(f);
    rnl_model *m = NULL;
    rnl_optimizer *o = NULL;
    CHECK_OK(rnl_checkpoint_read(old, n_old, &m, &o));
    if (!m) return;
    size_t hn = 1;
    CHECK(rnl_model_history(m, &hn) == NULL && hn == 0, "an old file has no history");
    uint8_t *again;
    size_t n_again;
    CHECK_OK(rnl_checkpoint_write(m, o, &again, &n_again));
    CHECK(n_again == n_old && memcmp(again, old, n_old) == 0, "without a history the bytes are today's (%zu vs %zu)", n_again, n_old);
    rnl_buffer_free(again);

    // With a history: flag bit 2, the block after the meta block, read back exactly (NaN kept).
    rnl_history_point pts[3] = {{1, 0.7f, 0.5f, 1.25f, NAN, NAN}, {2, 0.6f, 0.75f, 0.5f, 0.65f, 0.6f}, {3, 0.5f, 1, 0.25f, NAN, NAN}};
    for (int i = 0; i < 3; i++) CHECK_OK(rnl_model_history_append(m, &pts[i]));
    CHECK_OK(rnl_checkpoint_write(m, o, &again, &n_again));
    CHECK(n_again == n_old + 8 + 3 * 24, "history adds 8 + 24 per point: %zu", n_again);
    CHECK((again[12] & 4) && memcmp(again, old, 12) == 0 && memcmp(again + 16, old + 16, n_old - 20) == 0,
          "flag bit 2; every byte before the block unchanged");
    rnl_model *m2 = NULL;
    CHECK_OK(rnl_checkpoint_read(again, n_again, &m2, NULL));
    if (m2) {
        const rnl_history_point *h = rnl_model_history(m2, &hn);
        CHECK(h && hn == 3, "3 points back");
        for (size_t i = 0; h && i < hn; i++)
            CHECK(h[i].step == pts[i].step && h[i].loss == pts[i].loss && h[i].accuracy == pts[i].accuracy &&
                      h[i].grad_norm == pts[i].grad_norm && isnan(h[i].val_loss) == isnan(pts[i].val_loss) &&
                      (isnan(pts[i].val_loss) || h[i].val_accuracy == pts[i].val_accuracy),
                  "point %zu round-trips", i);
        size_t meta_n;
        CHECK(rnl_model_meta(m2, &meta_n) && meta_n > 0, "the meta block is still read");
        rnl_model_destroy(m2);
    }
    // Bad blocks: a zero or huge count, a truncated block, each named.
    size_t at = n_old - 4;  // the count follows where the old file's CRC was
    uint8_t *bad = malloc(n_again);
    memcpy(bad, again, n_again);
    memset(bad + at, 0, 8);
    tu_reseal(bad, n_again);
    m2 = (rnl_model *)1;
    CHECK(rnl_checkpoint_read(bad, n_again, &m2, NULL) == RNL_ERR_FORMAT && m2 == NULL &&
              strstr(rnl_last_error(), "training history of 0 points is outside 1..1048576"), "%s", rnl_last_error());
    tu_put32(bad + at, 4);
    tu_reseal(bad, n_again);
    CHECK(rnl_checkpoint_read(bad, n_again, &m2, NULL) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "truncated"), "%s",
          rnl_last_error());
    memcpy(bad, again, n_again);
    bad[12] = (uint8_t)(bad[12] | 8);
    tu_reseal(bad, n_again);
    CHECK(rnl_checkpoint_read(bad, n_again, &m2, NULL) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "unknown flags 0xf"), "%s",
          rnl_last_error());
    free(bad);
    rnl_buffer_free(again);
    rnl_model_history_clear(m);
    CHECK(rnl_model_history(m, &hn) == NULL && hn == 0, "cleared");
    rnl_model_destroy(m);
    rnl_optimizer_destroy(o);
    free(old);
}

int main(void) {
    test_walk();
    test_pca();
    test_states();
    test_pooled_cloud();
    test_history();
    return tu_summary("test_inspect");
}

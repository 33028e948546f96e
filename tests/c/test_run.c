// test_run.c: the tables and the run layer every face reads (rnnlab.h's cell and limit tables,
// rnnlab_run.h): the tables agree with the hard limits and with themselves, refusals name what is wrong
// and carry the face's hint, the defaults are the ones the CLI's help documents, and training in spans
// gives bit for bit what one long span gives (the faces report between spans of any length).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_run.h"
#include "testutil.h"

static int has(const char *text, const char *part) { return strstr(text, part) != NULL; }

// --- The cell table -------------------------------------------------------------------------------

static void test_cells(void) {
    CHECK(rnl_cell_count() == 3, "%d cells", rnl_cell_count());
    const char *names[] = {"rnn", "lstm", "gru"};
    const int gates[] = {1, 4, 3};
    for (int i = 0; i < rnl_cell_count(); i++) {
        const rnl_cell_info *ci = rnl_cell_info_of((rnl_cell)i);
        CHECK(ci && ci->cell == (rnl_cell)i, "cell %d: entry", i);
        if (!ci) continue;
        CHECK(strcmp(ci->name, names[i]) == 0 && strcmp(rnl_cell_name((rnl_cell)i), names[i]) == 0, "cell %d: %s", i, ci->name);
        CHECK(ci->gates == gates[i] && rnl_cell_gates((rnl_cell)i) == gates[i], "%s: %d gates", ci->name, ci->gates);
        for (int g = 0; g < 4; g++)
            CHECK((g < ci->gates) == (ci->gate_names[g] != NULL && ci->gate_roles[g] != NULL), "%s: gate %d named iff it exists",
                  ci->name, g);
        rnl_cell c;
        CHECK(rnl_cell_parse(names[i], &c) == RNL_OK && c == (rnl_cell)i, "parse %s", names[i]);
    }
    const rnl_cell_info *lstm = rnl_cell_info_of(RNL_CELL_LSTM);
    CHECK(strcmp(lstm->gate_names[0], "i") == 0 && strcmp(lstm->gate_names[1], "f") == 0 && strcmp(lstm->gate_names[2], "g") == 0 &&
              strcmp(lstm->gate_names[3], "o") == 0 && lstm->has_cell_state,
          "LSTM gates in PyTorch's order i f g o, with a cell state");
    CHECK(!rnl_cell_info_of((rnl_cell)3) && !rnl_cell_info_of((rnl_cell)-1), "unknown cells have no entry");
    rnl_cell c = RNL_CELL_GRU;
    CHECK(rnl_cell_parse("transformer", &c) == RNL_ERR_ARG && c == RNL_CELL_GRU, "unknown name refused, out untouched");
    CHECK(has(rnl_last_error(), "cell must be rnn, lstm or gru, not 'transformer'"), "message: %s", rnl_last_error());
    rnl_config cfg = rnl_config_default(RNL_CELL_LSTM);
    cfg.input_size = 1, cfg.cell = (rnl_cell)7;
    CHECK(rnl_config_validate(&cfg) == RNL_ERR_ARG && has(rnl_last_error(), "cell is 7, must be 0 (rnn), 1 (lstm) or 2 (gru)"),
          "config: %s", rnl_last_error());
}

// --- The limit table ------------------------------------------------------------------------------

static void test_limits(void) {
    CHECK(rnl_limit_count() > 20, "%d limits", rnl_limit_count());
    for (int i = 0; i < rnl_limit_count(); i++) {
        const rnl_limit *l = rnl_limit_at(i);
        CHECK(l && l->name && l->what && l->min <= l->max, "limit %d", i);
        CHECK(rnl_limit_find(l->name) == l, "%s found once", l->name);
        CHECK(rnl_limit_check(l->name, l->min) == RNL_OK && rnl_limit_check(l->name, l->max) == RNL_OK, "%s: ends inside", l->name);
        CHECK(rnl_limit_check(l->name, l->max + 1) == RNL_ERR_ARG, "%s: past the end", l->name);
    }
    CHECK(!rnl_limit_at(rnl_limit_count()) && !rnl_limit_find("nope"), "past the table");
    CHECK(rnl_limit_check("nope", 1) == RNL_ERR_ARG && has(rnl_last_error(), "no limit named 'nope'"), "%s", rnl_last_error());
    // The hard limits are the table's numbers.
    CHECK(rnl_limit_find("hidden")->max == RNL_MAX_WIDTH && rnl_limit_find("embed")->max == RNL_MAX_WIDTH &&
              rnl_limit_find("layers")->max == RNL_MAX_LAYERS && rnl_limit_find("batch")->max == RNL_MAX_BATCH &&
              rnl_limit_find("vocab")->max == RNL_MAX_VOCAB && rnl_limit_find("length")->max == RNL_MAX_STEPS,
          "RNL_MAX_* and the table agree");
    // One message, whatever the face calls the setting.
    CHECK(rnl_limit_check("hidden", 0) == RNL_ERR_ARG && strcmp(rnl_last_error(), "hidden is 0, must be in 1..4096") == 0, "%s",
          rnl_last_error());
    CHECK(rnl_limit_check_as("hidden", "--hidden", 100000) == RNL_ERR_ARG &&
              strcmp(rnl_last_error(), "--hidden is 100000, must be in 1..4096") == 0,
          "%s", rnl_last_error());
    CHECK(rnl_limit_check("hidden", 2.5) == RNL_ERR_ARG && has(rnl_last_error(), "must be a whole number in 1..4096"), "%s",
          rnl_last_error());
    CHECK(rnl_limit_check("lr", 200) == RNL_ERR_ARG && strcmp(rnl_last_error(), "lr is 200, must be in [1e-09, 100]") == 0, "%s",
          rnl_last_error());
    CHECK(rnl_limit_check("forget_bias", NAN) == RNL_ERR_ARG, "NaN is outside every range");
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.input_size = 3, c.hidden = 0;
    CHECK(rnl_config_validate(&c) == RNL_ERR_ARG && strcmp(rnl_last_error(), "config: hidden is 0, must be in 1..4096") == 0, "%s",
          rnl_last_error());
    c.hidden = 8, c.layers = 9;
    CHECK(rnl_config_validate(&c) == RNL_ERR_ARG && has(rnl_last_error(), "layers is 9, must be in 1..8"), "%s", rnl_last_error());

    // Every size limit at its largest at once: the count (7.2 G) is past 32 bits, and is named as it is in
    // every build (in WebAssembly size_t would wrap it), never as 0 or a small number.
    c = rnl_config_default(RNL_CELL_LSTM);
    c.vocab = (int)rnl_limit_find("vocab")->max, c.embed = (int)rnl_limit_find("embed")->max;
    c.hidden = (int)rnl_limit_find("hidden")->max, c.layers = (int)rnl_limit_find("layers")->max, c.bidirectional = 1;
    c.head = RNL_HEAD_CLASSES, c.outputs = (int)rnl_limit_find("classes")->max;
    uint64_t G = 4, H = (uint64_t)c.hidden, D = 2 * H, want = (uint64_t)c.vocab * (uint64_t)c.embed;
    for (int l = 0; l < c.layers; l++) want += 2 * G * H * ((l ? D : (uint64_t)c.embed) + H + 2);
    want += (uint64_t)c.outputs * (D + 1);
    char expect[128];
    snprintf(expect, sizeof expect, "the model would have %llu parameters, more than the limit", (unsigned long long)want);
    CHECK(want > UINT32_MAX, "the largest model's count is past 32 bits");
    CHECK(rnl_config_validate(&c) == RNL_ERR_NOMEM && has(rnl_last_error(), expect), "%s (expected \"%s\")", rnl_last_error(),
          expect);
    rnl_model *m = NULL;
    CHECK(rnl_model_create(&m, &c, 1) == RNL_ERR_NOMEM && m == NULL && has(rnl_last_error(), expect), "%s", rnl_last_error());
    CHECK(rnl_training_bytes(&c, RNL_OPTIM_ADAM, (int)rnl_limit_find("batch")->max, (int)rnl_limit_find("length")->max) == 0,
          "no training size for an invalid model");
}

// --- Defaults and seeds ---------------------------------------------------------------------------

static void test_defaults(void) {
    // What `rnnlab train --help` documents.
    rnl_run_defaults d = rnl_run_defaults_of(RNL_RUN_RECURRENT);
    CHECK(d.batch == 32 && d.length == 50 && d.steps == 1000 && d.epochs == 3 && d.bucket == 8 && d.bptt == 0 && d.clip == 1.0f,
          "recurrent defaults");
    CHECK(d.heldout_batches == 4 && d.heldout_batch == 64 && d.test_batches == 10 && d.test_batch == 100 && d.test_seed == 1000003,
          "recurrent evaluation");
    CHECK(d.data_embed == 64, "a data model's embedding: %d", d.data_embed);
    rnl_optim_config oc = rnl_run_optim_default(RNL_RUN_RECURRENT, RNL_OPTIM_ADAM);
    CHECK(oc.kind == RNL_OPTIM_ADAM && oc.lr == 1e-3f && oc.clip == 1.0f, "adam: lr %g clip %g", oc.lr, oc.clip);
    oc = rnl_run_optim_default(RNL_RUN_RECURRENT, RNL_OPTIM_MOMENTUM);
    CHECK(oc.lr == 0.1f && oc.momentum == 0.9f && oc.clip == 1.0f, "momentum: lr %g momentum %g", oc.lr, oc.momentum);
    rnl_run_defaults s = rnl_run_defaults_of(RNL_RUN_SEQ2SEQ);
    CHECK(s.batch == 32 && s.steps == 1000 && s.heldout_batches == 2 && s.heldout_batch == 64 && s.test_batch == 100,
          "seq2seq defaults");
    CHECK(rnl_run_optim_default(RNL_RUN_SEQ2SEQ, RNL_OPTIM_ADAM).lr == 0.005f, "seq2seq's Adam rate");
    CHECK(rnl_run_eval_every(RNL_RUN_RECURRENT, 1000) == 100 && rnl_run_eval_every(RNL_RUN_RECURRENT, 7) == 1, "eval every");
    CHECK(rnl_run_heldout_seed(50) == 0x5eed0000u + 50 && rnl_run_train_seed(0) == 1 && rnl_run_train_seed(41) == 42, "seeds");
}

// --- Tasks: fit checks, spans, evaluation ---------------------------------------------------------

static void test_tasks(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.hidden = 4;
    rnl_task_shape(RNL_TASK_ADDING, &c);
    CHECK_OK(rnl_run_task_fits(&c, RNL_TASK_ADDING, NULL));
    CHECK(rnl_run_task_fits(&c, RNL_TASK_COPY, "make one with X") == RNL_ERR_ARG, "copy does not fit an adding model");
    const char *msg = rnl_last_error();
    CHECK(has(msg, "the model does not fit task 'copy': it needs token inputs") && has(msg, "a classes head with 8 outputs") &&
              has(msg, "the model has real-valued inputs of size 2, a regression head with 1 output; make one with X"),
          "message: %s", msg);

    // 3 + 4 steps in two spans are the 7 steps of one span, bit for bit.
    rnl_model *a, *b;
    rnl_optimizer *oa = NULL, *ob = NULL;
    CHECK_OK(rnl_model_create(&a, &c, 5));
    CHECK_OK(rnl_model_create(&b, &c, 5));
    CHECK_OK(rnl_run_ensure_optimizer(&oa, RNL_RUN_RECURRENT, rnl_model_num_params(a)));
    CHECK_OK(rnl_run_ensure_optimizer(&ob, RNL_RUN_RECURRENT, rnl_model_num_params(b)));
    rnl_rng ra, rb;
    rnl_rng_seed(&ra, rnl_run_train_seed(0));
    rnl_rng_seed(&rb, rnl_run_train_seed(0));
    rnl_run_progress p;
    CHECK_OK(rnl_run_train_task(a, oa, RNL_TASK_ADDING, 8, 10, 7, 0, NULL, &ra, NULL, &p));
    CHECK(p.done == 7 && p.steps == 7 && isfinite(p.mean_loss) && isfinite(p.last.loss), "one span: %d steps", p.done);
    double loss7 = p.last.loss;
    rnl_task_data d;
    rnl_task_data_init(&d);
    CHECK_OK(rnl_run_train_task(b, ob, RNL_TASK_ADDING, 8, 10, 3, 0, NULL, &rb, &d, &p));
    CHECK_OK(rnl_run_train_task(b, ob, RNL_TASK_ADDING, 8, 10, 4, 0, NULL, &rb, &d, &p));
    CHECK(p.done == 4 && p.steps == 7 && p.last.loss == loss7, "two spans: last loss %.9g vs %.9g", p.last.loss, loss7);
    CHECK(memcmp(rnl_model_params(a), rnl_model_params(b), sizeof(rnl_real) * rnl_model_num_params(a)) == 0,
          "same parameters after 7 steps in one or two spans");

    rnl_run_eval e1, e2;
    CHECK_OK(rnl_run_eval_task(a, RNL_TASK_ADDING, 10, 3, 16, rnl_run_heldout_seed(10), NULL, &e1));
    CHECK_OK(rnl_run_eval_task(a, RNL_TASK_ADDING, 10, 3, 16, rnl_run_heldout_seed(10), &d, &e2));
    CHECK(e1.loss == e2.loss && e1.count == 48 && isnan(e1.accuracy), "held-out: same seed, same loss; regression has no accuracy");
    CHECK(rnl_run_eval_task(a, RNL_TASK_ADDING, 10, 0, 16, 1, NULL, &e1) == RNL_ERR_ARG && has(rnl_last_error(), "batches is 0"),
          "%s", rnl_last_error());
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(oa);
    rnl_optimizer_destroy(ob);
    rnl_model_destroy(a);
    rnl_model_destroy(b);
}

// --- Data sets: attach, epochs and resume, spans, splits ------------------------------------------

static rnl_dataset *series(int n, double scale) {
    char *csv = malloc((size_t)n * 32 + 16), *w = csv;
    w += sprintf(w, "v\n");
    for (int i = 0; i < n; i++) w += sprintf(w, "%.4f\n", scale * sin(0.3 * i));
    rnl_series s;
    memset(&s, 0, sizeof s);
    rnl_series_config sc = rnl_series_default();
    sc.window = 6;
    rnl_dataset *ds = NULL;
    if (rnl_series_parse_csv(&s, "test", csv, strlen(csv), NULL) == RNL_OK) {
        if (rnl_dataset_from_series(&ds, &s, &sc)) ds = NULL;
        rnl_series_free(&s);
    }
    free(csv);
    return ds;
}

static void test_data(void) {
    rnl_dataset *ds = series(120, 1), *other = series(120, 3);
    CHECK(ds && other, "series: %s", rnl_last_error());
    if (!ds || !other) return;
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.hidden = 4;
    rnl_dataset_shape(ds, &c);
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 2));
    size_t n;
    int changed = 0;
    CHECK_OK(rnl_run_attach_data(m, ds, NULL, &changed));
    CHECK(changed && rnl_model_meta(m, &n) && n > 0, "the description is kept");
    CHECK_OK(rnl_run_attach_data(m, ds, NULL, &changed));
    CHECK(!changed, "attaching the same data again changes nothing");
    CHECK(rnl_run_attach_data(m, other, "start again", &changed) == RNL_ERR_ARG && !changed &&
              has(rnl_last_error(), "trained on a different vocabulary or series than this dataset; start again"),
          "%s", rnl_last_error());
    rnl_config bad = c;
    bad.input_size = 2;
    CHECK(rnl_run_data_fits(&bad, ds, NULL) == RNL_ERR_ARG && has(rnl_last_error(), "does not fit this series"), "%s",
          rnl_last_error());

    // Epochs: a run that resumes after k steps starts at epoch k / batches-per-epoch.
    const int B = 16;
    long per = rnl_run_batches_per_epoch(ds, B);
    CHECK(per == (ds->n_train + B - 1) / B, "%ld batches per epoch", per);
    CHECK(rnl_run_first_epoch(ds, B, 0) == 0 && rnl_run_first_epoch(ds, B, per) == 1 && rnl_run_first_epoch(ds, B, 2 * per + 1) == 2,
          "first epoch of a resumed run");
    int32_t *order = malloc(sizeof(int32_t) * (size_t)ds->n_train);
    CHECK_OK(rnl_run_epoch_order(ds, 7, 0, B, 8, order));
    // One epoch in spans of 2 batches and the rest, against one span.
    rnl_model *a;
    rnl_optimizer *oa = NULL, *o = NULL;
    CHECK_OK(rnl_model_create(&a, &c, 2));
    CHECK_OK(rnl_run_ensure_optimizer(&o, RNL_RUN_RECURRENT, rnl_model_num_params(m)));
    CHECK_OK(rnl_run_ensure_optimizer(&oa, RNL_RUN_RECURRENT, rnl_model_num_params(a)));
    rnl_run_progress p;
    CHECK_OK(rnl_run_train_data(m, o, ds, order, ds->n_train, 0, (int)per + 5, B, 0, NULL, NULL, &p));
    CHECK(p.done == per && p.steps == per, "a span stops at the end of the order: %d of %ld", p.done, per);
    CHECK_OK(rnl_run_train_data(a, oa, ds, order, ds->n_train, 0, 2, B, 0, NULL, NULL, &p));
    CHECK_OK(rnl_run_train_data(a, oa, ds, order, ds->n_train, 2, (int)per - 2, B, 0, NULL, NULL, &p));
    CHECK(memcmp(rnl_model_params(a), rnl_model_params(m), sizeof(rnl_real) * rnl_model_num_params(m)) == 0,
          "same parameters after one epoch in one or two spans");

    rnl_run_eval r;
    CHECK_OK(rnl_run_eval_split(m, ds, RNL_SPLIT_VAL, NULL, &r));
    CHECK(r.count == ds->n_val && isfinite(r.loss) && isnan(r.accuracy), "validation: %d windows, loss %g", r.count, r.loss);
    int first, count;
    rnl_dataset_split(ds, RNL_SPLIT_TEST, &first, &count);
    double *pred = malloc(sizeof(double) * 2 * (size_t)count);
    CHECK_OK(rnl_run_predict_series(m, ds, RNL_SPLIT_TEST, NULL, pred));
    double se = 0, norm = 0;
    for (int i = 0; i < count; i++) {
        double err = (pred[count + i] - pred[i]) / ds->std;  // back to normalised units
        se += err * err;
        norm += 1;
    }
    CHECK_OK(rnl_run_eval_split(m, ds, RNL_SPLIT_TEST, NULL, &r));
    CHECK(fabs(se / norm - r.loss) <= 1e-4 * (1 + r.loss), "predictions agree with the test MSE: %g vs %g", se / norm, r.loss);
    free(pred);
    free(order);
    rnl_optimizer_destroy(o);
    rnl_optimizer_destroy(oa);
    rnl_model_destroy(a);
    rnl_model_destroy(m);
    rnl_dataset_destroy(ds);
    rnl_dataset_destroy(other);
}

// --- Schedules and the best epoch ---------------------------------------------------------------------

static void test_schedules(void) {
    rnl_run_schedule s = rnl_run_schedule_default();
    CHECK(s.kind == RNL_RUN_SCHEDULE_NONE && s.warmup == 0 && s.gamma == 0.1f, "default: none, no warm-up, gamma 0.1");
    CHECK(rnl_run_schedule_lr(&s, 0.01, 1) == 0.01 && rnl_run_schedule_lr(NULL, 0.01, 5) == 0.01, "none: the base rate");
    // Warm-up: s / warmup up to step warmup.
    s.warmup = 4;
    CHECK(rnl_run_schedule_lr(&s, 1, 1) == 0.25 && rnl_run_schedule_lr(&s, 1, 4) == 1 && rnl_run_schedule_lr(&s, 1, 5) == 1,
          "warm-up: %g %g %g", rnl_run_schedule_lr(&s, 1, 1), rnl_run_schedule_lr(&s, 1, 4), rnl_run_schedule_lr(&s, 1, 5));
    // Cosine over steps 5..14 (total 14, warm-up 4): e = s - 5 of 10.
    s.kind = RNL_RUN_SCHEDULE_COSINE, s.total = 14;
    const long at[] = {5, 6, 10, 14, 15, 100};
    const double want[] = {1, 0.5 * (1 + cos(3.14159265358979323846 / 10)), 0.5, 0.5 * (1 + cos(3.14159265358979323846 * 0.9)), 0, 0};
    for (int i = 0; i < 6; i++)
        CHECK(fabs(rnl_run_schedule_lr(&s, 2e-3, at[i]) - 2e-3 * want[i]) < 1e-15, "cosine at step %ld: %.17g, want %.17g", at[i],
              rnl_run_schedule_lr(&s, 2e-3, at[i]), 2e-3 * want[i]);
    // Step: gamma every step_size steps after the warm-up (PyTorch's StepLR).
    s.kind = RNL_RUN_SCHEDULE_STEP, s.warmup = 0, s.step_size = 3, s.gamma = 0.5f;
    const double steps_want[] = {1, 1, 1, 0.5, 0.5, 0.5, 0.25};
    for (int i = 0; i < 7; i++)
        CHECK(rnl_run_schedule_lr(&s, 1, i + 1) == steps_want[i], "step at %d: %g", i + 1, rnl_run_schedule_lr(&s, 1, i + 1));
    // Resolve: total 0 is the run's end, step_size 0 one epoch (or a third of a task run).
    rnl_run_schedule r = rnl_run_schedule_default();
    rnl_run_schedule_resolve(&r, 700, 100);
    CHECK(r.total == 700 && r.step_size == 100, "resolve: total %d, step size %d", r.total, r.step_size);
    r = rnl_run_schedule_default();
    rnl_run_schedule_resolve(&r, 90, 0);
    CHECK(r.step_size == 30, "task run: a third of the steps: %d", r.step_size);
    // The curve: evenly spaced steps, ends included, the same values as rnl_run_schedule_lr.
    s = rnl_run_schedule_default();
    s.kind = RNL_RUN_SCHEDULE_COSINE, s.warmup = 10, s.total = 110;
    float lr[5];
    int32_t st[5];
    CHECK_OK(rnl_run_schedule_curve(lr, st, 5, &s, 0.003, 1, 101));
    CHECK(st[0] == 1 && st[1] == 26 && st[4] == 101, "curve steps %d %d .. %d", st[0], st[1], st[4]);
    for (int i = 0; i < 5; i++) CHECK(lr[i] == (float)rnl_run_schedule_lr(&s, 0.003, st[i]), "curve point %d", i);
    CHECK(rnl_run_schedule_curve(lr, st, 0, &s, 0.003, 1, 10) == RNL_ERR_ARG && has(rnl_last_error(), "at least 1 point"), "%s",
          rnl_last_error());
    s.gamma = 0;
    CHECK(rnl_run_schedule_check(&s) == RNL_ERR_ARG && has(rnl_last_error(), "gamma is 0"), "%s", rnl_last_error());
    rnl_run_schedule_kind k;
    CHECK(rnl_run_schedule_parse("cosine", &k) == RNL_OK && k == RNL_RUN_SCHEDULE_COSINE, "parse cosine");
    CHECK(rnl_run_schedule_parse("linear", &k) == RNL_ERR_ARG && has(rnl_last_error(), "none, cosine or step, not 'linear'"), "%s",
          rnl_last_error());
}

// A schedule in spans gives what one span gives (it is recomputed from the step count), and the optimizer
// keeps its base rate between steps, so its checkpoint resumes the schedule.
static void test_schedule_spans(void) {
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.hidden = 6, c.dropout = 0.25f;
    rnl_task_shape(RNL_TASK_COPY, &c);
    rnl_model *a, *b;
    rnl_optimizer *oa = NULL, *ob = NULL;
    CHECK_OK(rnl_model_create(&a, &c, 3));
    CHECK_OK(rnl_model_create(&b, &c, 3));
    CHECK_OK(rnl_run_ensure_optimizer(&oa, RNL_RUN_RECURRENT, rnl_model_num_params(a)));
    CHECK_OK(rnl_run_ensure_optimizer(&ob, RNL_RUN_RECURRENT, rnl_model_num_params(b)));
    rnl_run_schedule s = rnl_run_schedule_default();
    s.kind = RNL_RUN_SCHEDULE_COSINE, s.warmup = 3, s.total = 12;
    rnl_rng ra, rb;
    rnl_rng_seed(&ra, 5);
    rnl_rng_seed(&rb, 5);
    rnl_run_progress p;
    CHECK_OK(rnl_run_train_task(a, oa, RNL_TASK_COPY, 4, 12, 10, 0, &s, &ra, NULL, &p));
    CHECK(fabs(p.lr - rnl_run_schedule_lr(&s, 1e-3, 10)) < 1e-9 && rnl_optimizer_config(oa)->lr == 1e-3f,
          "last step's rate %g, the optimizer keeps its base rate %g", p.lr, rnl_optimizer_config(oa)->lr);
    CHECK_OK(rnl_run_train_task(b, ob, RNL_TASK_COPY, 4, 12, 4, 0, &s, &rb, NULL, &p));
    // Through a checkpoint, as a resumed run would.
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_checkpoint_write(b, ob, &buf, &n));
    rnl_model_destroy(b);
    rnl_optimizer_destroy(ob);
    CHECK_OK(rnl_checkpoint_read(buf, n, &b, &ob));
    rnl_buffer_free(buf);
    CHECK(rnl_model_config(b)->dropout == 0.25f, "the checkpoint keeps dropout: %g", rnl_model_config(b)->dropout);
    CHECK_OK(rnl_run_train_task(b, ob, RNL_TASK_COPY, 4, 12, 6, 0, &s, &rb, NULL, &p));
    CHECK(memcmp(rnl_model_params(a), rnl_model_params(b), sizeof(rnl_real) * rnl_model_num_params(a)) == 0,
          "scheduled dropout training: 10 steps in one span = 4 steps, a checkpoint and 6 more");
    rnl_optimizer_destroy(oa);
    rnl_optimizer_destroy(ob);
    rnl_model_destroy(a);
    rnl_model_destroy(b);
}

// The step-by-step form with the step computed as shards (what the WebAssembly replicas do: the batch
// first, the shards, then begin, the shards' sum, end) gives the span's bytes: parameters, optimizer state
// (through the checkpoint), history and progress record, with a warm-up schedule and dropout.
static void test_step_by_step(void) {
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.hidden = 6, c.dropout = 0.2f;
    rnl_task_shape(RNL_TASK_ADDING, &c);
    rnl_model *a, *b;
    rnl_optimizer *oa = NULL, *ob = NULL;
    CHECK_OK(rnl_model_create(&a, &c, 8));
    CHECK_OK(rnl_model_create(&b, &c, 8));
    CHECK_OK(rnl_run_ensure_optimizer(&oa, RNL_RUN_RECURRENT, rnl_model_num_params(a)));
    CHECK_OK(rnl_run_ensure_optimizer(&ob, RNL_RUN_RECURRENT, rnl_model_num_params(b)));
    rnl_run_schedule s = rnl_run_schedule_default();
    s.kind = RNL_RUN_SCHEDULE_COSINE, s.warmup = 2, s.total = 6;
    rnl_rng ra, rb;
    rnl_rng_seed(&ra, 9);
    rnl_rng_seed(&rb, 9);
    rnl_run_progress pa, pb;
    CHECK_OK(rnl_run_train_task(a, oa, RNL_TASK_ADDING, 20, 10, 6, 0, &s, &ra, NULL, &pa));

    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_shard_grad g[3] = {{0}};  // 20 rows: shards of 8, 8 and 4
    rnl_run_span span;
    rnl_run_span_start(&span);
    while (span.p.done < 6) {
        CHECK_OK(rnl_task_generate(&d, RNL_TASK_ADDING, 20, 10, &rb));
        long step = rnl_optimizer_steps(ob) + 1;
        for (int i = 0; i < rnl_shard_count(20); i++) CHECK_OK(rnl_model_shard_grad(b, &d.batch, i, 0, step, &g[i]));
        rnl_run_step k = rnl_run_step_begin(&span, ob, &s);
        CHECK(k.step == step && rnl_optimizer_config(ob)->lr == (float)k.lr, "step %ld at rate %g", k.step, k.lr);
        rnl_step_stats st;
        rnl_status e = rnl_model_apply_shards(b, ob, g, rnl_shard_count(20), &st);
        CHECK_OK(rnl_run_step_end(&span, rnl_run_net_of_model(b), ob, &k, e, &st));
        CHECK(rnl_optimizer_config(ob)->lr == 1e-3f, "end puts the base rate back: %g", rnl_optimizer_config(ob)->lr);
    }
    rnl_run_span_finish(&span, ob, &pb);
    CHECK(pa.done == pb.done && pa.steps == pb.steps && pa.mean_loss == pb.mean_loss && pa.clipped == pb.clipped &&
              pa.lr == pb.lr && pa.last.loss == pb.last.loss,
          "records: done %d/%d, mean loss %.9g/%.9g, lr %g/%g", pa.done, pb.done, pa.mean_loss, pb.mean_loss, pa.lr, pb.lr);
    uint8_t *ba, *bb;
    size_t na, nb;
    CHECK_OK(rnl_checkpoint_write(a, oa, &ba, &na));
    CHECK_OK(rnl_checkpoint_write(b, ob, &bb, &nb));
    CHECK(na == nb && memcmp(ba, bb, na) == 0, "the checkpoints (parameters, Adam's moments, history) are byte-identical");
    rnl_buffer_free(ba);
    rnl_buffer_free(bb);

    // A failed step counts nothing and still puts the rate back.
    rnl_run_step k = rnl_run_step_begin(&span, ob, &s);
    rnl_step_stats bad = {NAN, NAN, 0, NAN};
    CHECK(rnl_run_step_end(&span, rnl_run_net_of_model(b), ob, &k, RNL_ERR_NUMERIC, &bad) == RNL_ERR_NUMERIC && span.p.done == 6 &&
              rnl_optimizer_config(ob)->lr == 1e-3f,
          "a failure: status back, %d steps, rate %g", span.p.done, rnl_optimizer_config(ob)->lr);

    // The data batches: runs of B of the order, the last shorter, NULL past the end.
    rnl_dataset *ds = series(120, 1);
    CHECK(ds != NULL, "series: %s", rnl_last_error());
    if (ds) {
        int n_train = ds->n_train, B = 32, last = (n_train - 1) / B;
        int32_t *order = malloc(sizeof(int32_t) * (size_t)n_train);
        CHECK_OK(rnl_run_epoch_order(ds, 1, 0, B, 8, order));
        const rnl_batch *db = NULL;
        CHECK(rnl_run_data_batch(&db, ds, order, n_train, 0, B, &d) == RNL_OK && db == &d.batch && db->B == B, "batch 0: %d rows",
              db ? db->B : -1);
        CHECK(rnl_run_data_batch(&db, ds, order, n_train, last, B, &d) == RNL_OK && db && db->B == n_train - last * B,
              "the last batch: %d rows of %d", db ? db->B : -1, n_train);
        CHECK(rnl_run_data_batch(&db, ds, order, n_train, last + 1, B, &d) == RNL_OK && db == NULL, "past the order's end: none");
        free(order);
        rnl_dataset_destroy(ds);
    }
    for (int i = 0; i < 3; i++) rnl_shard_grad_free(&g[i]);
    rnl_task_data_free(&d);
    rnl_optimizer_destroy(oa);
    rnl_optimizer_destroy(ob);
    rnl_model_destroy(a);
    rnl_model_destroy(b);
}

static void test_best(void) {
    rnl_run_best b;
    rnl_run_best_init(&b, 2);
    int stop = -1;
    const rnl_run_eval e1 = {0.50, 0.80, 10}, e2 = {0.45, 0.85, 10}, e3 = {0.40, 0.85, 10}, e4 = {0.30, 0.84, 10},
                       e5 = {0.41, 0.85, 10}, nan_loss = {NAN, NAN, 10};
    CHECK(rnl_run_best_update(&b, &e1, 1, 100, &stop) && !stop && b.epoch == 1, "the first epoch is the best so far");
    CHECK(rnl_run_best_update(&b, &e2, 2, 200, &stop) && b.epoch == 2 && b.step == 200, "higher accuracy improves");
    CHECK(rnl_run_best_update(&b, &e3, 3, 300, &stop) && b.epoch == 3, "same accuracy, lower loss improves");
    CHECK(!rnl_run_best_update(&b, &e4, 4, 400, &stop) && !stop && b.stale == 1, "lower loss, lower accuracy: no");
    CHECK(!rnl_run_best_update(&b, &e5, 5, 500, &stop) && stop && b.stale == 2, "same accuracy, higher loss: no; patience 2 used up");
    CHECK(b.epoch == 3 && b.accuracy == 0.85 && b.loss == 0.40, "the best stays epoch 3");
    rnl_run_best s;  // a series: no accuracy, lower loss is better; patience 0 never stops
    rnl_run_best_init(&s, 0);
    const rnl_run_eval l1 = {0.5, NAN, 4}, l2 = {0.6, NAN, 4}, l3 = {0.4, NAN, 4};
    CHECK(rnl_run_best_update(&s, &l1, 1, 1, &stop) && !rnl_run_best_update(&s, &l2, 2, 2, &stop) && !stop &&
              rnl_run_best_update(&s, &l3, 3, 3, &stop) && s.epoch == 3,
          "loss only: epochs 1 and 3 improve");
    CHECK(!rnl_run_best_update(&s, &nan_loss, 4, 4, &stop) && !stop, "a NaN loss never improves");

    // Resuming: the rule goes on from the earlier part's record, with this part's patience.
    rnl_run_best r, earlier = b;  // epoch 3 best (0.85), stale 2
    earlier.stale = 1;
    rnl_run_best_init(&r, 2);
    CHECK(rnl_run_best_resume(&r, &earlier) == RNL_OK && r.epoch == 3 && r.patience == 2 && r.stale == 1,
          "resume takes the earlier best and stale count, keeps this part's patience");
    const rnl_run_eval worse = {0.35, 0.84, 10}, better = {0.5, 0.86, 10};
    CHECK(!rnl_run_best_update(&r, &worse, 6, 600, &stop) && stop && r.epoch == 3,
          "after a resume an epoch worse than the earlier best does not replace it, and patience counts on");
    rnl_run_best_init(&r, 0);
    CHECK(rnl_run_best_resume(&r, &earlier) == RNL_OK && rnl_run_best_update(&r, &better, 6, 600, &stop) && r.epoch == 6,
          "after a resume a better epoch does");
    rnl_run_best bad = earlier, kept = r;
    bad.epoch = 0;
    CHECK(rnl_run_best_resume(&r, &bad) == RNL_ERR_ARG && strstr(rnl_last_error(), "epoch 1 or later") && r.epoch == kept.epoch,
          "resume refuses a record without a best epoch, and leaves the rule as it was");
    bad = earlier, bad.loss = NAN;
    CHECK(rnl_run_best_resume(&r, &bad) == RNL_ERR_ARG && strstr(rnl_last_error(), "validation loss"), "... or without a loss");
}

int main(void) {
    test_schedules();
    test_schedule_spans();
    test_step_by_step();
    test_best();
    test_cells();
    test_limits();
    test_defaults();
    test_tasks();
    test_data();
    return tu_summary("test_run");
}

// cmd_train.c: `rnnlab train` and `rnnlab eval`, on a synthetic task (--task) or a prepared data file
// (--data, from `rnnlab data`). Training updates the checkpoint atomically, keeps the optimizer state in
// it (so a second run resumes), stops cleanly on Ctrl-C or on a numeric fault, and in both cases saves
// the last good parameters.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rnnlab_data.h"

// --- Fit checks -------------------------------------------------------------------------------------

// The task must fit the model's input and head; say exactly what differs.
static int check_task_fits(const char *cmd, const rnl_config *c, rnl_task task) {
    rnl_config want = *c;
    rnl_task_shape(task, &want);
    if (want.vocab != c->vocab || want.input_size != c->input_size || want.head != c->head ||
        want.outputs != c->outputs || want.seq2seq != c->seq2seq) {
        cli_error(cmd, "the model does not fit task '%s': it needs %s%s, a %s head with %d output%s%s; make one with "
                       "'rnnlab init --task %s --cell ...'",
                  rnl_task_name(task), want.vocab ? "token inputs" : "real-valued inputs",
                  want.vocab ? "" : (want.input_size == 2 ? " of size 2" : " of size 1"), rnl_head_name(want.head), want.outputs,
                  want.outputs > 1 ? "s" : "", want.seq2seq ? " at every step" : "", rnl_task_name(task));
        return 0;
    }
    return 1;
}

int cli_check_data_fits(const char *cmd, const rnl_config *c, const rnl_dataset *ds) {
    rnl_config want = *c;
    rnl_dataset_shape(ds, &want);
    if (want.vocab != c->vocab || want.input_size != c->input_size || want.head != c->head || want.outputs != c->outputs ||
        want.seq2seq != c->seq2seq) {
        if (ds->kind == RNL_DATASET_TEXT)
            cli_error(cmd, "the model does not fit this data: it needs token inputs with a vocabulary of %d and a binary head "
                           "(the model has %s%d); make one with 'rnnlab init --data FILE --cell ...'",
                      want.vocab, c->vocab ? "a vocabulary of " : "real-valued inputs of size ", c->vocab ? c->vocab : c->input_size);
        else
            cli_error(cmd, "the model does not fit this series: it needs 1 real-valued input and a regression head with %d output%s; "
                           "make one with 'rnnlab init --data FILE --cell ...'", want.outputs, want.outputs > 1 ? "s" : "");
        return 0;
    }
    return 1;
}

// --- Evaluation -------------------------------------------------------------------------------------

typedef struct { double loss, accuracy; int count; } eval_result;

static rnl_status evaluate_task(rnl_model *m, rnl_task task, int T, int batches, int B, uint64_t seed, eval_result *r) {
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    double loss = 0, acc = 0;
    rnl_status st = RNL_OK;
    for (int i = 0; i < batches && !st; i++) {
        rnl_step_stats s;
        if (!(st = rnl_task_generate(&d, task, B, T, &rng)) && !(st = rnl_eval_batch(m, &d.batch, &s))) {
            loss += s.loss;
            acc += s.accuracy;
        }
    }
    rnl_task_data_free(&d);
    r->loss = loss / batches;
    r->accuracy = acc / batches;
    r->count = batches * B;
    return st;
}

// Mean loss and accuracy over a whole split, weighting each batch by its size.
static rnl_status cli_evaluate_split(rnl_model *m, const rnl_dataset *ds, rnl_split split, eval_result *r) {
    int first, count;
    rnl_dataset_split(ds, split, &first, &count);
    r->loss = r->accuracy = 0;
    r->count = count;
    if (count == 0) return rnl_fail(RNL_ERR_ARG, "the %s split is empty", split == RNL_SPLIT_VAL ? "validation" : split == RNL_SPLIT_TEST ? "test" : "training");
    rnl_task_data d;
    rnl_task_data_init(&d);
    int32_t idx[64];
    rnl_status st = RNL_OK;
    for (int i = 0; i < count && !st; i += 64) {
        int nb = count - i < 64 ? count - i : 64;
        for (int k = 0; k < nb; k++) idx[k] = first + i + k;
        rnl_step_stats s;
        if (!(st = rnl_dataset_batch(ds, idx, nb, &d)) && !(st = rnl_eval_batch(m, &d.batch, &s))) {
            r->loss += s.loss * nb;
            r->accuracy += (isnan(s.accuracy) ? 0 : s.accuracy) * nb;
        }
    }
    rnl_task_data_free(&d);
    r->loss /= count;
    r->accuracy = ds->kind == RNL_DATASET_TEXT ? r->accuracy / count : NAN;
    return st;
}

// --- Training ---------------------------------------------------------------------------------------

// One step and its reporting; returns 0 to stop (a numeric fault: the message is printed).
static int logged_step(rnl_model *m, rnl_optimizer *o, const rnl_batch *b, int window, cli_run *lg, const char *label, long i,
                       long total) {
    rnl_step_stats s;
    if (rnl_train_step(m, o, b, window, &s)) {
        cli_run_fault(lg, "numeric", rnl_optimizer_steps(o) + 1);
        return 0;
    }
    double seq_s = cli_run_step(lg, s.loss);
    if (lg->json && (i % 10 == 0 || i == total)) {
        printf("{\"step\": %ld, \"loss\": %.6g, \"grad_norm\": %.6g, \"clipped\": %s, \"accuracy\": %.6g, \"seq_per_s\": %.1f}\n",
               rnl_optimizer_steps(o), s.loss, s.grad_norm, s.clipped ? "true" : "false", isnan(s.accuracy) ? -1 : s.accuracy, seq_s);
        fflush(stdout);
    }
    if (lg->tty && (i % 5 == 0 || i == total))
        cli_progress(label, i, total, "%ld/%ld  loss %.5f  grad %.3g  %.0f seq/s ", i, total, lg->ema, s.grad_norm, seq_s);
    return 1;
}

static void print_eval(const cli_run *lg, long step, const char *what, const eval_result *er, int has_acc) {
    if (lg->tty) fputc('\n', stderr);
    if (lg->json)
        printf("{\"eval\": {\"step\": %ld, \"split\": \"%s\", \"loss\": %.6g, \"accuracy\": %.6g}}\n", step, what, er->loss,
               has_acc ? er->accuracy : -1);
    else if (has_acc)
        printf("step %ld  train loss %.5f  %s loss %.5f  %s accuracy %.4f\n", step, lg->ema, what, er->loss, what, er->accuracy);
    else
        printf("step %ld  train loss %.5f  %s loss %.5f\n", step, lg->ema, what, er->loss);
    fflush(stdout);
}

static const char *train_help =
    "usage: rnnlab train --model FILE (--task adding|copy|sine | --data FILE) [flags]\n"
    "\n"
    "Trains the model in FILE and writes it back (atomically; the optimizer state is kept, so running\n"
    "train again resumes). Ctrl-C stops after the current step and saves.\n"
    "\n"
    "what to train on:\n"
    "  --task NAME        adding (sum of two marked values), copy (recall the first symbol), sine (next step)\n"
    "  --length T         task sequence length (default 50)\n"
    "  --steps N          task training steps (default 1000)\n"
    "  --data FILE        a prepared data set (rnnlab data): IMDB reviews or a time series\n"
    "  --epochs N         passes over the data set's training split (default 3)\n"
    "  --bucket K         data: batch reviews of similar length, pools of K batches (default 8; 1 = off)\n"
    "optimisation:\n"
    "  --batch B          sequences per step (default 32)\n"
    "  --optim adam|momentum|sgd   optimizer (default: the checkpoint's, else adam)\n"
    "  --lr X             learning rate (default 0.001 for adam, 0.1 otherwise)\n"
    "  --momentum X       momentum (default 0.9 with --optim momentum)\n"
    "  --weight-decay X   decoupled weight decay (default 0)\n"
    "  --clip X           clip the global gradient norm to X (default 1; 0 = off)\n"
    "  --bptt K           truncated backpropagation through time: windows of K steps (default 0 = full)\n"
    "  --seed N           seed of the training data order (default: continues from the steps already done)\n"
    "output:\n"
    "  --eval-every N     task: evaluate on held-out batches every N steps (default steps/10); data: every epoch\n"
    "  --out FILE         write the trained model here instead of back to --model\n"
    "  --json             print metrics as JSON lines on stdout instead of a progress bar\n";

int cmd_train(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(train_help, stdout), 0;
    args a;
    args_init(&a, "train", argc, argv);
    const char *model = NULL, *task_name = NULL, *data = NULL, *out = NULL;
    int T = 50, steps = 1000, epochs = 3, bucket = 8, B = 32, window = 0, json = 0, eval_every = 0, have_seed = 0;
    cli_optim_flags of;
    cli_optim_flags_init(&of);
    uint64_t seed = 0;
    while (args_next(&a)) {
        if (cli_optim_flag(&a, &of)) continue;
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--length")) args_limit(&a, &T, "length");
        else if (args_is(&a, "--steps")) args_limit(&a, &steps, "steps");
        else if (args_is(&a, "--epochs")) args_limit(&a, &epochs, "epochs");
        else if (args_is(&a, "--bucket")) args_limit(&a, &bucket, "bucket");
        else if (args_is(&a, "--batch")) args_limit(&a, &B, "batch");
        else if (args_is(&a, "--bptt")) args_limit(&a, &window, "bptt");
        else if (args_is(&a, "--seed")) have_seed = args_u64(&a, &seed);
        else if (args_is(&a, "--eval-every")) args_limit(&a, &eval_every, "eval_every");
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model) return args_error(&a, "--model is required"), 2;
    if (!task_name == !data) return args_error(&a, "give --task (adding, copy or sine) or --data FILE (from 'rnnlab data')"), 2;
    rnl_task task = RNL_TASK_ADDING;
    if (task_name && rnl_task_parse(task_name, &task)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_optim kind;
    if (!cli_optim_kind(&a, &of, &kind)) return 2;

    rnl_model *m;
    rnl_optimizer *o;
    rnl_dataset *ds = NULL;
    if (rnl_checkpoint_load(model, &m, &o)) return cli_error("train", "%s", rnl_last_error());
    int rc = 0;
    if (data) {
        if (rnl_dataset_load(data, &ds)) rc = cli_error("train", "%s", rnl_last_error());
        else if (!cli_check_data_fits("train", rnl_model_config(m), ds)) rc = 1;
        else if (ds->n_train == 0) rc = cli_error("train", "%s has no training examples", data);
        else if (!rc) {
            // Keep the data's description (vocabulary, normalisation) in the model, so predict needs no data file.
            uint8_t *desc;
            size_t dn, have_n;
            const uint8_t *have = rnl_model_meta(m, &have_n);
            if (rnl_dataset_write_description(ds, &desc, &dn)) rc = cli_error("train", "%s", rnl_last_error());
            else {
                if (have && (have_n != dn || memcmp(have, desc, dn) != 0))
                    rc = cli_error("train", "%s was trained on a different vocabulary or series than %s; start a new model with "
                                            "'rnnlab init --data %s ...'", model, data, data);
                else if (!have && rnl_model_set_meta(m, desc, dn)) rc = cli_error("train", "%s", rnl_last_error());
                free(desc);
            }
        }
    } else if (!check_task_fits("train", rnl_model_config(m), task)) {
        rc = 1;
    }
    if (!rc) rc = cli_optim_setup("train", &of, kind, 0, rnl_model_num_params(m), &o);
    if (rc) {
        rnl_dataset_destroy(ds);
        rnl_optimizer_destroy(o);
        rnl_model_destroy(m);
        return rc;
    }
    if (!have_seed) seed = 1 + (uint64_t)rnl_optimizer_steps(o);
    const char *dest = out ? out : model;

    rnl_task_data d;
    rnl_task_data_init(&d);
    cli_run lg;
    cli_run_start(&lg, "train", json, B);
    int ok = 1;
    if (!data) {
        if (!eval_every) eval_every = steps >= 10 ? steps / 10 : 1;
        rnl_rng rng;
        rnl_rng_seed(&rng, seed);
        for (long i = 1; i <= steps && !cli_interrupted() && ok; i++) {
            if (rnl_task_generate(&d, task, B, T, &rng)) {
                rc = cli_error("train", "%s", rnl_last_error());
                break;
            }
            ok = logged_step(m, o, &d.batch, window, &lg, "", i, steps);
            if (ok && (i % eval_every == 0 || i == steps)) {
                eval_result er;
                if (evaluate_task(m, task, T, 4, 64, 0x5eed0000u + (uint64_t)T, &er) == RNL_OK)
                    print_eval(&lg, rnl_optimizer_steps(o), "held-out", &er, task == RNL_TASK_COPY);
            }
        }
    } else {
        int first, count;
        rnl_dataset_split(ds, RNL_SPLIT_TRAIN, &first, &count);
        int32_t *order = malloc(sizeof(int32_t) * (size_t)count);
        long per_epoch = (count + B - 1) / B, total = per_epoch * epochs;
        int epoch0 = (int)(rnl_optimizer_steps(o) / per_epoch);  // a resumed run continues the shuffles
        char label[32];
        for (int e = 0; e < epochs && !cli_interrupted() && ok && order; e++) {
            if (rnl_dataset_epoch_order(ds, RNL_SPLIT_TRAIN, seed, epoch0 + e, B, ds->kind == RNL_DATASET_TEXT ? bucket : 1, order)) {
                rc = cli_error("train", "%s", rnl_last_error());
                break;
            }
            snprintf(label, sizeof label, "epoch %d/%d ", e + 1, epochs);
            for (int i = 0; i < count && !cli_interrupted() && ok; i += B) {
                int nb = count - i < B ? count - i : B;
                if (rnl_dataset_batch(ds, order + i, nb, &d)) {
                    rc = cli_error("train", "%s", rnl_last_error());
                    ok = 0;
                    break;
                }
                ok = logged_step(m, o, &d.batch, window, &lg, label, e * per_epoch + i / B + 1, total);
            }
            eval_result er;
            if (ok && !cli_interrupted() && ds->n_val > 0 && cli_evaluate_split(m, ds, RNL_SPLIT_VAL, &er) == RNL_OK)
                print_eval(&lg, rnl_optimizer_steps(o), "validation", &er, ds->kind == RNL_DATASET_TEXT);
        }
        if (!order) rc = cli_error("train", "out of memory");
        free(order);
    }
    if (!ok && !rc) rc = 1;
    cli_run_end(&lg);
    // Save what was learned: a numeric fault leaves the parameters of the last good step untouched.
    rnl_status saved = lg.done > 0 ? rnl_checkpoint_save(m, o, dest) : RNL_OK;
    rc = cli_run_report(&lg, rc, saved, dest, rnl_optimizer_steps(o));
    rnl_task_data_free(&d);
    rnl_dataset_destroy(ds);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
    return rc;
}

// --- eval -------------------------------------------------------------------------------------------

static const char *eval_help =
    "usage: rnnlab eval --model FILE (--task adding|copy|sine | --data FILE) [flags]\n"
    "\n"
    "Evaluates the model. On a task: freshly generated held-out sequences; prints the test MSE (adding,\n"
    "sine) or accuracy (copy) beside what a model without memory gets. On a data set: the test split\n"
    "(or --split val): accuracy and loss for reviews, MSE (and RMSE in the series' units) for a series.\n"
    "\n"
    "  --length T     task sequence length (default 50)\n"
    "  --batches N    task: batches of 100 sequences (default 10)\n"
    "  --seed N       task: seed of the test data (default 1000003)\n"
    "  --split test|val   data: which split (default test)\n"
    "  --json         print the result as one JSON object\n";

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(eval_help, stdout), 0;
    args a;
    args_init(&a, "eval", argc, argv);
    const char *model = NULL, *task_name = NULL, *data = NULL, *split_name = "test";
    int T = 50, batches = 10, json = 0;
    uint64_t seed = 1000003;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--split")) args_str(&a, &split_name);
        else if (args_is(&a, "--length")) args_limit(&a, &T, "length");
        else if (args_is(&a, "--batches")) args_limit(&a, &batches, "eval_batches");
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !task_name == !data) return args_error(&a, "--model and one of --task or --data are required"), 2;
    rnl_split split = strcmp(split_name, "test") == 0 ? RNL_SPLIT_TEST : strcmp(split_name, "val") == 0 ? RNL_SPLIT_VAL : (rnl_split)-1;
    if ((int)split < 0) return args_error(&a, "--split must be test or val, not '%s'", split_name), 2;
    rnl_task task = RNL_TASK_ADDING;
    if (task_name && rnl_task_parse(task_name, &task)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_model *m;
    if (rnl_checkpoint_load(model, &m, NULL)) return cli_error("eval", "%s", rnl_last_error());
    int rc = 0;
    eval_result r;
    if (data) {
        rnl_dataset *ds;
        if (rnl_dataset_load(data, &ds)) rc = cli_error("eval", "%s", rnl_last_error());
        else {
            if (!cli_check_data_fits("eval", rnl_model_config(m), ds)) rc = 1;
            else if (cli_evaluate_split(m, ds, split, &r)) rc = cli_error("eval", "%s: %s", data, rnl_last_error());
            else if (ds->kind == RNL_DATASET_TEXT) {
                if (json) printf("{\"data\": \"%s\", \"split\": \"%s\", \"count\": %d, \"loss\": %.6g, \"accuracy\": %.6g}\n", data, split_name, r.count, r.loss, r.accuracy);
                else printf("%s, %s split (%d reviews): accuracy %.4f, loss %.5f\n", data, split_name, r.count, r.accuracy, r.loss);
            } else {
                double rmse = sqrt(r.loss) * ds->std;
                if (json) printf("{\"data\": \"%s\", \"split\": \"%s\", \"count\": %d, \"mse\": %.6g, \"rmse\": %.6g}\n", data, split_name, r.count, r.loss, rmse);
                else printf("%s, %s split (%d windows): MSE %.5f (normalised), RMSE %.4f in %s units\n", data, split_name, r.count, r.loss, rmse, ds->column);
            }
            rnl_dataset_destroy(ds);
        }
    } else if (!check_task_fits("eval", rnl_model_config(m), task)) {
        rc = 1;
    } else if (evaluate_task(m, task, T, batches, 100, seed, &r)) {
        rc = cli_error("eval", "%s", rnl_last_error());
    } else if (task == RNL_TASK_COPY) {
        if (json) printf("{\"task\": \"copy\", \"length\": %d, \"loss\": %.6g, \"accuracy\": %.6g, \"chance\": 0.125}\n", T, r.loss, r.accuracy);
        else printf("copy, length %d: test accuracy %.4f (chance 0.125), cross-entropy %.5f\n", T, r.accuracy, r.loss);
    } else {
        // Without memory the best constant guess for adding is 1 (MSE 1/6 = 0.1667).
        const char *base = task == RNL_TASK_ADDING ? "0.1667 (always predicting 1)" : "see docs/cli.md";
        if (json) printf("{\"task\": \"%s\", \"length\": %d, \"mse\": %.6g}\n", rnl_task_name(task), T, r.loss);
        else printf("%s, length %d: test MSE %.5f (baseline %s)\n", rnl_task_name(task), T, r.loss, base);
    }
    rnl_model_destroy(m);
    return rc;
}

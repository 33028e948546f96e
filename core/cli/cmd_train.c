// cmd_train.c: `rnnlab train` and `rnnlab eval` of a recurrent model or a Transformer encoder (cli_model.c),
// on a synthetic task (--task) or a prepared data file (--data, from `rnnlab data`). Training updates the checkpoint atomically, keeps the optimizer state in
// it (so a second run resumes), stops cleanly on Ctrl-C or on a numeric fault, and in both cases saves
// the last good parameters.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rnnlab_data.h"
#include "rnnlab_run.h"

// --- Fit checks -------------------------------------------------------------------------------------
// The rules are the run layer's (rnnlab_run.h); the CLI adds its own next step to a refusal.

// 1 if the task fits the model; otherwise prints what differs and how to make a model that fits.
static int check_task_fits(const char *cmd, const rnl_config *c, rnl_task task) {
    char hint[96];
    snprintf(hint, sizeof hint, "make one with 'rnnlab init --task %s --cell ...'", rnl_task_name(task));
    if (rnl_run_task_fits(c, task, hint)) return cli_error(cmd, "%s", rnl_last_error()), 0;
    return 1;
}

#define DATA_HINT "make one with 'rnnlab init --data FILE --cell ...'"

int cli_check_data_fits(const char *cmd, const rnl_config *c, const rnl_dataset *ds) {
    if (rnl_run_data_fits(c, ds, DATA_HINT)) return cli_error(cmd, "%s", rnl_last_error()), 0;
    return 1;
}

// --- Training ---------------------------------------------------------------------------------------

// The reporting of one step (a span of 1, p), numbered i of total.
static void report_step(cli_run *lg, const rnl_run_progress *p, const char *label, long i, long total) {
    const rnl_step_stats *s = &p->last;
    double seq_s = cli_run_step(lg, s->loss);
    if (lg->json && (i % 10 == 0 || i == total)) {
        printf("{\"step\": %ld, \"loss\": %.6g, \"grad_norm\": %.6g, \"clipped\": %s, \"accuracy\": %.6g, \"seq_per_s\": %.1f}\n",
               p->steps, s->loss, s->grad_norm, s->clipped ? "true" : "false", isnan(s->accuracy) ? -1 : s->accuracy, seq_s);
        fflush(stdout);
    }
    if (lg->tty && (i % 5 == 0 || i == total))
        cli_progress(label, i, total, "%ld/%ld  loss %.5f  grad %.3g  %.0f seq/s ", i, total, lg->ema, s->grad_norm, seq_s);
}

// A failed span: a numeric fault ends the bar and, with --json, says so; anything else is an error.
static int span_failed(cli_run *lg, rnl_status st, long step) {
    if (st == RNL_ERR_NUMERIC) return cli_run_fault(lg, "numeric", step);
    if (lg->tty) fputc('\n', stderr);
    return cli_error(lg->cmd, "%s", rnl_last_error());
}

static void print_eval(const cli_run *lg, long step, const char *what, const rnl_run_eval *er, int has_acc) {
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

// "validation accuracy 0.9012, loss 0.25120", or for a series "validation loss 0.01234".
static void describe_score(char *buf, size_t cap, const rnl_run_eval *er) {
    if (isnan(er->accuracy)) snprintf(buf, cap, "validation loss %.5f", er->loss);
    else snprintf(buf, cap, "validation accuracy %.4f, loss %.5f", er->accuracy, er->loss);
}

// --keep-best after an epoch's validation (rnl_run_best_update): writes the model (atomically) only if the
// epoch improved on the best, and says which it was. 0, or an error status if the save failed.
static int keep_if_best(const cli_run *lg, rnl_run_best *best, const rnl_run_eval *er, int epoch, rnl_run_net m,
                        const rnl_optimizer *o, const char *dest, int *saved) {
    int prev = best->epoch;
    double prev_acc = best->accuracy, prev_loss = best->loss;
    if (rnl_run_best_update(best, er, epoch, rnl_optimizer_steps(o), NULL)) {
        if (cli_net_save(m, o, dest)) return cli_error(lg->cmd, "%s", rnl_last_error());
        *saved = 1;
        if (lg->json) printf("{\"kept\": {\"epoch\": %d, \"step\": %ld}}\n", epoch, best->step);
        else printf("epoch %d is the best so far: wrote %s\n", epoch, dest);
    } else if (!lg->json) {
        if (isnan(prev_acc)) printf("epoch %d is not better than epoch %d (validation loss %.5f): not written\n", epoch, prev, prev_loss);
        else printf("epoch %d is not better than epoch %d (validation accuracy %.4f): not written\n", epoch, prev, prev_acc);
    }
    fflush(stdout);
    return 0;
}

// Printed with the run layer's defaults (rnl_run_defaults), so the help cannot drift from them.
static const char *train_help =
    "usage: rnnlab train --model FILE (--task adding|copy|sine | --data FILE) [flags]\n"
    "\n"
    "Trains the model in FILE and writes it back (atomically; the optimizer state is kept, so running\n"
    "train again resumes). Ctrl-C stops after the current step and saves.\n"
    "\n"
    "what to train on:\n"
    "  --task NAME        adding (sum of two marked values), copy (recall the first symbol), sine (next step)\n"
    "  --length T         task sequence length (default %d)\n"
    "  --steps N          task training steps (default %d)\n"
    "  --data FILE        a prepared data set (rnnlab data): IMDB reviews or a time series\n"
    "  --epochs N         passes over the data set's training split (default %d)\n"
    "  --bucket K         data: batch reviews of similar length, pools of K batches (default %d; 1 = off)\n"
    "optimisation:\n"
    "  --batch B          sequences per step (default %d)\n"
    "  --optim adam|momentum|sgd   optimizer (default: the checkpoint's, else adam)\n"
    "  --lr X             learning rate (default %g for adam, %g otherwise)\n"
    "  --momentum X       momentum (default %g with --optim momentum)\n"
    "  --weight-decay X   decoupled weight decay (default %g)\n"
    "  --clip X           clip the global gradient norm to X (default %g; 0 = off)\n"
    "  --bptt K           truncated backpropagation through time: windows of K steps (default %d = full)\n"
    "  --seed N           seed of the training data order (default: continues from the steps already done)\n"
    "learning-rate schedule (docs/model.md; the checkpoint keeps the base --lr, the schedule scales it):\n"
    "  --schedule none|cosine|step   none (default); cosine: down to 0 at the end of this run; step: times\n"
    "                     --gamma every --step-size steps\n"
    "  --warmup N         first N steps (of the model's) ramp linearly up to the rate (default 0)\n"
    "  --step-size N      step: steps between decays (default: one epoch; tasks: a third of the steps)\n"
    "  --gamma X          step: the factor of each decay (default 0.1)\n"
    "best epoch (data with a validation split):\n"
    "  --keep-best        after each epoch, write the model only if validation accuracy (loss for a\n"
    "                     series) improved: the file ends up holding the best epoch, which is printed\n"
    "  --patience N       with --keep-best: stop after N epochs in a row without improvement (0 = never)\n"
    "output:\n"
    "  --eval-every N     task: evaluate on held-out batches every N steps (default steps/%d); data: every epoch\n"
    "  --out FILE         write the trained model here instead of back to --model\n"
    "  --json             print metrics as JSON lines on stdout instead of a progress bar\n"
    "speed:\n"
    "  --threads N        threads (default: the cores, %d here); every count gives the same bytes: a\n"
    "                     step is the fixed-order sum of 8-row shards (docs/performance.md)\n";

int cmd_train(int argc, char **argv) {
    const rnl_run_defaults def = rnl_run_defaults_of(RNL_RUN_RECURRENT);
    if (cli_wants_help(argc, argv))
        return printf(train_help, def.length, def.steps, def.epochs, def.bucket, def.batch, def.lr_adam, def.lr_other, def.momentum,
                      def.weight_decay, def.clip, def.bptt, def.eval_every_parts, rnl_cpu_count()), 0;
    args a;
    args_init(&a, "train", argc, argv);
    const char *model = NULL, *task_name = NULL, *data = NULL, *out = NULL;
    int T = def.length, steps = def.steps, epochs = def.epochs, bucket = def.bucket, B = def.batch, window = def.bptt;
    int json = 0, eval_every = 0, have_seed = 0, keep_best = 0, patience = 0, have_patience = 0, threads = rnl_cpu_count();
    const char *schedule = NULL;
    rnl_run_schedule sched = rnl_run_schedule_default();
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
        else if (args_is(&a, "--schedule")) args_str(&a, &schedule);
        else if (args_is(&a, "--warmup")) args_limit(&a, &sched.warmup, "warmup");
        else if (args_is(&a, "--step-size")) args_limit(&a, &sched.step_size, "step_size");
        else if (args_is(&a, "--gamma")) args_limit_real(&a, &sched.gamma, "gamma");
        else if (args_is(&a, "--keep-best")) keep_best = 1;
        else if (args_is(&a, "--patience")) have_patience = args_limit(&a, &patience, "patience");
        else if (args_is(&a, "--threads")) args_limit(&a, &threads, "threads");
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model) return args_error(&a, "--model is required"), 2;
    if (!task_name == !data) return args_error(&a, "give --task (adding, copy or sine) or --data FILE (from 'rnnlab data')"), 2;
    if (schedule && rnl_run_schedule_parse(schedule, &sched.kind)) return args_error(&a, "--%s", rnl_last_error()), 2;
    if (keep_best && !data) return args_error(&a, "--keep-best chooses among epochs of a data set: give --data FILE"), 2;
    if (have_patience && !keep_best) return args_error(&a, "--patience counts epochs without improvement: it needs --keep-best"), 2;
    rnl_task task = RNL_TASK_ADDING;
    if (task_name && rnl_task_parse(task_name, &task)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_optim kind;
    if (!cli_optim_kind(&a, &of, &kind)) return 2;

    rnl_run_net m;  // a recurrent model or a Transformer, by the checkpoint's magic
    rnl_optimizer *o;
    rnl_dataset *ds = NULL;
    if (cli_net_load("train", model, &m, &o)) return 1;
    if (rnl_run_net_set_threads(m, threads)) {
        cli_error("train", "%s", rnl_last_error());
        rnl_optimizer_destroy(o);
        cli_net_destroy(m);
        return 1;
    }
    const rnl_config io = rnl_run_net_config(m);
    int rc = 0;
    if (m.tf && window) rc = cli_error("train", "--bptt truncates backpropagation through time: a Transformer has no recurrence to truncate");
    else if (data) {
        char hint[160];
        snprintf(hint, sizeof hint, "start a new model with 'rnnlab init --data %s ...'", data);
        if (rnl_dataset_load(data, &ds)) rc = cli_error("train", "%s", rnl_last_error());
        else if (!cli_check_data_fits("train", &io, ds)) rc = 1;
        else if (ds->n_train == 0) rc = cli_error("train", "%s has no training examples", data);
        // Keep the data's description (vocabulary, normalisation) in the model, so predict needs no data file.
        else if (rnl_run_net_attach_data(m, ds, hint, NULL)) rc = cli_error("train", "%s: %s", model, rnl_last_error());
    } else if (!check_task_fits("train", &io, task)) {
        rc = 1;
    }
    if (!rc) rc = cli_optim_setup("train", &of, kind, rnl_run_net_kind(m), rnl_run_net_num_params(m), &o);
    if (rc) {
        rnl_dataset_destroy(ds);
        rnl_optimizer_destroy(o);
        cli_net_destroy(m);
        return rc;
    }
    if (!have_seed) seed = rnl_run_train_seed(rnl_optimizer_steps(o));
    const char *dest = out ? out : model;
    if (!rc && keep_best && ds->n_val == 0)
        rc = cli_error("train", "--keep-best judges each epoch on the validation split, and %s has none; prepare the data "
                       "with 'rnnlab data ... --val N'", data);
    if (rc) {
        rnl_dataset_destroy(ds);
        rnl_optimizer_destroy(o);
        cli_net_destroy(m);
        return rc;
    }
    // The schedule's span: to the end of this run, counted in the model's steps (so a resumed run continues it).
    long run_steps = data ? rnl_run_batches_per_epoch(ds, B) * epochs : steps;
    rnl_run_schedule_resolve(&sched, rnl_optimizer_steps(o) + run_steps, data ? rnl_run_batches_per_epoch(ds, B) : 0);
    const rnl_run_schedule *sp = sched.kind != RNL_RUN_SCHEDULE_NONE || sched.warmup > 0 ? &sched : NULL;
    rnl_run_best best;
    rnl_run_best_init(&best, patience);
    int best_saved = 0;  // with --keep-best: the file holds the best epoch so far

    // One step per span: the bar and the JSON lines report every step.
    rnl_task_data d;
    rnl_task_data_init(&d);
    rnl_run_progress p;
    cli_run lg;
    cli_run_start(&lg, "train", json, B);
    rnl_status st;
    if (!data) {
        if (!eval_every) eval_every = rnl_run_eval_every(rnl_run_net_kind(m), steps);
        rnl_rng rng;
        rnl_rng_seed(&rng, seed);
        for (long i = 1; i <= steps && !cli_interrupted() && !rc; i++) {
            if ((st = rnl_run_net_train_task(m, o, task, B, T, 1, window, sp, &rng, &d, &p))) {
                rc = span_failed(&lg, st, rnl_optimizer_steps(o) + 1);
                break;
            }
            report_step(&lg, &p, "", i, steps);
            if (i % eval_every == 0 || i == steps) {
                rnl_run_eval er;
                if (rnl_run_net_eval_task(m, task, T, def.heldout_batches, def.heldout_batch, rnl_run_heldout_seed(T), NULL, &er) == RNL_OK) {
                    print_eval(&lg, rnl_optimizer_steps(o), "held-out", &er, task == RNL_TASK_COPY);
                    rnl_run_net_history_heldout(m, er.loss, task == RNL_TASK_COPY ? er.accuracy : NAN);
                }
            }
        }
    } else {
        int count = ds->n_train;
        int32_t *order = malloc(sizeof(int32_t) * (size_t)count);
        long per_epoch = rnl_run_batches_per_epoch(ds, B), total = per_epoch * epochs;
        int epoch0 = rnl_run_first_epoch(ds, B, rnl_optimizer_steps(o));  // a resumed run continues the shuffles
        char label[32];
        if (!order) rc = cli_error("train", "out of memory");
        // --keep-best on a trained model: what it already scores is the mark to beat, so a resumed run never
        // replaces its file with something worse.
        rnl_run_eval er0;
        if (!rc && keep_best && rnl_optimizer_steps(o) > 0) {
            if (rnl_run_net_eval_split(m, ds, RNL_SPLIT_VAL, NULL, &er0)) rc = cli_error("train", "%s", rnl_last_error());
            else {
                rnl_run_best_update(&best, &er0, epoch0, rnl_optimizer_steps(o), NULL);
                char score[96];
                describe_score(score, sizeof score, &er0);
                if (!json) printf("starting from epoch %d (step %ld): %s to beat\n", epoch0, best.step, score);
            }
        }
        for (int e = 0; e < epochs && !cli_interrupted() && !rc; e++) {
            if (rnl_run_epoch_order(ds, seed, epoch0 + e, B, bucket, order)) {
                rc = cli_error("train", "%s", rnl_last_error());
                break;
            }
            snprintf(label, sizeof label, "epoch %d/%d ", e + 1, epochs);
            for (long b = 0; b < per_epoch && !cli_interrupted() && !rc; b++) {
                if ((st = rnl_run_net_train_data(m, o, ds, order, count, (int)b, 1, B, window, sp, &d, &p)))
                    rc = span_failed(&lg, st, rnl_optimizer_steps(o) + 1);
                else
                    report_step(&lg, &p, label, e * per_epoch + b + 1, total);
            }
            rnl_run_eval er;
            if (!rc && !cli_interrupted() && ds->n_val > 0 && rnl_run_net_eval_split(m, ds, RNL_SPLIT_VAL, NULL, &er) == RNL_OK) {
                print_eval(&lg, rnl_optimizer_steps(o), "validation", &er, ds->kind == RNL_DATASET_TEXT);
                rnl_run_net_history_heldout(m, er.loss, ds->kind == RNL_DATASET_TEXT ? er.accuracy : NAN);
                if (keep_best) rc = keep_if_best(&lg, &best, &er, epoch0 + e + 1, m, o, dest, &best_saved);
                if (!rc && keep_best && best.patience > 0 && best.stale >= best.patience) {
                    if (!json) printf("no improvement for %d epoch%s: stopping\n", best.stale, best.stale > 1 ? "s" : "");
                    break;
                }
            }
        }
        free(order);
    }
    cli_run_end(&lg);
    // Save what was learned: a numeric fault leaves the parameters of the last good step untouched. With
    // --keep-best the file already holds the best epoch, saved when it was seen: nothing later replaces it.
    rnl_status saved = lg.done > 0 && !keep_best ? cli_net_save(m, o, dest) : RNL_OK;
    if (keep_best) {
        char score[96];
        rnl_run_eval be = {best.loss, best.accuracy, 0};
        describe_score(score, sizeof score, &be);
        if (best_saved && !json) printf("%s holds epoch %d (step %ld): %s\n", dest, best.epoch, best.step, score);
        else if (!best_saved && !json && best.epoch > 0)
            printf("no epoch beat the starting model (epoch %d): %s was not written\n", best.epoch, dest);
        else if (!best_saved && !json)
            printf("no epoch finished with a validation score: %s was not written\n", dest);
        if (json && best_saved)
            printf("{\"best\": {\"epoch\": %d, \"step\": %ld, \"loss\": %.6g, \"accuracy\": %.6g}}\n", best.epoch, best.step,
                   best.loss, isnan(best.accuracy) ? -1 : best.accuracy);
    }
    rc = cli_run_report(&lg, rc, saved, keep_best ? NULL : dest, rnl_optimizer_steps(o));
    rnl_task_data_free(&d);
    rnl_dataset_destroy(ds);
    rnl_optimizer_destroy(o);
    cli_net_destroy(m);
    return rc;
}

// --- eval -------------------------------------------------------------------------------------------

// Printed with the run layer's defaults (rnl_run_defaults), so the help cannot drift from them.
static const char *eval_help =
    "usage: rnnlab eval --model FILE (--task adding|copy|sine | --data FILE) [flags]\n"
    "\n"
    "Evaluates the model. On a task: freshly generated held-out sequences; prints the test MSE (adding,\n"
    "sine) or accuracy (copy) beside what a model without memory gets. On a data set: the test split\n"
    "(or --split val): accuracy and loss for reviews, MSE (and RMSE in the series' units) for a series.\n"
    "\n"
    "  --length T     task sequence length (default %d)\n"
    "  --batches N    task: batches of %d sequences (default %d)\n"
    "  --seed N       task: seed of the test data (default %llu)\n"
    "  --split test|val   data: which split (default test)\n"
    "  --json         print the result as one JSON object\n"
    "  --threads N    data: batches evaluated in parallel (default: the cores, %d here); same figures\n";

int cmd_eval(int argc, char **argv) {
    const rnl_run_defaults def = rnl_run_defaults_of(RNL_RUN_RECURRENT);
    if (cli_wants_help(argc, argv))
        return printf(eval_help, def.length, def.test_batch, def.test_batches, (unsigned long long)def.test_seed,
                      rnl_cpu_count()), 0;
    args a;
    args_init(&a, "eval", argc, argv);
    const char *model = NULL, *task_name = NULL, *data = NULL, *split_name = "test";
    int T = def.length, batches = def.test_batches, json = 0, threads = rnl_cpu_count();
    uint64_t seed = def.test_seed;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--split")) args_str(&a, &split_name);
        else if (args_is(&a, "--length")) args_limit(&a, &T, "length");
        else if (args_is(&a, "--batches")) args_limit(&a, &batches, "eval_batches");
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--json")) json = 1;
        else if (args_is(&a, "--threads")) args_limit(&a, &threads, "threads");
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !task_name == !data) return args_error(&a, "--model and one of --task or --data are required"), 2;
    rnl_split split = strcmp(split_name, "test") == 0 ? RNL_SPLIT_TEST : strcmp(split_name, "val") == 0 ? RNL_SPLIT_VAL : (rnl_split)-1;
    if ((int)split < 0) return args_error(&a, "--split must be test or val, not '%s'", split_name), 2;
    rnl_task task = RNL_TASK_ADDING;
    if (task_name && rnl_task_parse(task_name, &task)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_run_net m;
    if (cli_net_load("eval", model, &m, NULL)) return 1;
    if (rnl_run_net_set_threads(m, threads)) {
        cli_error("eval", "%s", rnl_last_error());
        cli_net_destroy(m);
        return 1;
    }
    const rnl_config io = rnl_run_net_config(m);
    int rc = 0;
    rnl_run_eval r;
    if (data) {
        rnl_dataset *ds;
        if (rnl_dataset_load(data, &ds)) rc = cli_error("eval", "%s", rnl_last_error());
        else {
            if (!cli_check_data_fits("eval", &io, ds)) rc = 1;
            else if (rnl_run_net_eval_split(m, ds, split, NULL, &r)) rc = cli_error("eval", "%s: %s", data, rnl_last_error());
            else if (ds->kind == RNL_DATASET_TEXT) {
                if (json) printf("{\"data\": \"%s\", \"split\": \"%s\", \"count\": %d, \"loss\": %.6g, \"accuracy\": %.6g}\n", data, split_name, r.count, r.loss, r.accuracy);
                else printf("%s, %s split (%d review%s): accuracy %.4f, loss %.5f\n", data, split_name, r.count, r.count > 1 ? "s" : "", r.accuracy, r.loss);
            } else {
                double rmse = sqrt(r.loss) * ds->std;
                if (json) printf("{\"data\": \"%s\", \"split\": \"%s\", \"count\": %d, \"mse\": %.6g, \"rmse\": %.6g}\n", data, split_name, r.count, r.loss, rmse);
                else printf("%s, %s split (%d window%s): MSE %.5f (normalised), RMSE %.4f in %s units\n", data, split_name, r.count, r.count > 1 ? "s" : "", r.loss, rmse, ds->column);
            }
            rnl_dataset_destroy(ds);
        }
    } else if (!check_task_fits("eval", &io, task)) {
        rc = 1;
    } else if (rnl_run_net_eval_task(m, task, T, batches, def.test_batch, seed, NULL, &r)) {
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
    cli_net_destroy(m);
    return rc;
}

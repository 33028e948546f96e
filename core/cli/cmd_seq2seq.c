// cmd_seq2seq.c: the rnnlab command for sequence-to-sequence models (rnnlab_seq2seq.h): init, train,
// eval, decode (greedy, with the attention matrix) and info. Checkpoints name the task they were made for,
// so train, eval and decode need no task flags. Training saves atomically with the optimizer state (a
// second run resumes), stops cleanly on Ctrl-C or a numeric fault, and keeps the last good parameters.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rnnlab_seq2seq.h"
#include "seq2seq_cli.h"

// --- Routing ----------------------------------------------------------------------------------------

int s2s_cli_is_task(const char *name) {
    rnl_s2s_task t;
    char keep[512];
    snprintf(keep, sizeof keep, "%s", rnl_last_error());
    int ok = name && rnl_s2s_task_parse(name, &t) == RNL_OK;
    rnl_fail(RNL_OK, "%s", keep);  // a probe, not an error
    return ok;
}

int s2s_cli_is_checkpoint(const char *path) {
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return 0;
    char magic[8];
    int ok = fread(magic, 1, 8, f) == 8 && memcmp(magic, "RNNLABS2", 8) == 0;
    fclose(f);
    return ok;
}

int s2s_cli_wants(int argc, char **argv) {
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--task") == 0 && s2s_cli_is_task(argv[i + 1])) return 1;
        if (strcmp(argv[i], "--model") == 0 && s2s_cli_is_checkpoint(argv[i + 1])) return 1;
    }
    return 0;
}

// --- Shared -----------------------------------------------------------------------------------------

static void describe_task(const rnl_s2s_task_config *tc, char *out, size_t cap) {
    if (tc->task == RNL_S2S_TASK_DATES)
        snprintf(out, cap, "dates (10 formats -> yyyy-mm-dd, 1950..2049)");
    else
        snprintf(out, cap, "reverse (%d symbols a..%c, lengths %d..%d)", tc->symbols, 'a' + tc->symbols - 1, tc->min_len,
                 tc->max_len);
}

static void describe_model(const rnl_s2s *m, char *out, size_t cap) {
    const rnl_s2s_config *c = rnl_s2s_get_config(m);
    snprintf(out, cap, "encoder %s, %d layer%s%s, hidden %d; decoder %s, hidden %d; %s attention; embed %d; %zu parameters",
             rnl_cell_name(c->enc_cell), c->enc_layers, c->enc_layers > 1 ? "s" : "", c->bidirectional ? " bidirectional" : "",
             c->enc_hidden, rnl_cell_name(c->dec_cell), c->enc_hidden * (c->bidirectional ? 2 : 1), rnl_attn_name(c->attention),
             c->embed, rnl_s2s_num_params(m));
}

// Loads a checkpoint that must name its task; a --task flag, if given, must agree with it.
static int load_model(const char *cmd, const char *path, const char *task_name, rnl_s2s **m, rnl_optimizer **o,
                      rnl_s2s_task_config *tc) {
    int has = 0;
    if (rnl_s2s_checkpoint_load(path, m, o, tc, &has)) return cli_error(cmd, "%s", rnl_last_error()), 0;
    const char *problem = NULL;
    if (!has) problem = "names no task (it was not made by 'rnnlab init --task reverse|dates')";
    else if (task_name && strcmp(task_name, rnl_s2s_task_name(tc->task)) != 0) problem = "was made for another task";
    if (problem) {
        cli_error(cmd, "%s %s%s%s", path, problem, has ? ": " : "", has ? rnl_s2s_task_name(tc->task) : "");
        if (o) rnl_optimizer_destroy(*o), *o = NULL;
        rnl_s2s_destroy(*m);
        *m = NULL;
        return 0;
    }
    return 1;
}

// --- init -------------------------------------------------------------------------------------------

static const char *init_help =
    "usage: rnnlab init --task reverse|dates --out FILE [flags]\n"
    "\n"
    "Makes a fresh sequence-to-sequence model (encoder-decoder with attention) for a task and writes it as\n"
    "a checkpoint that names the task (docs/seq2seq.md).\n"
    "\n"
    "task:\n"
    "  --task reverse|dates     reverse: a sequence of symbols, backwards; dates: '3 May 1998' -> 1998-05-03\n"
    "  --symbols N              reverse: distinct symbols, shown as letters a.. (default 10, at most 26)\n"
    "  --length N               reverse: every sequence N long (sets both bounds below)\n"
    "  --min-length N           reverse: shortest sequence (default 5)\n"
    "  --max-length N           reverse: longest sequence (default 10)\n"
    "model:\n"
    "  --cell rnn|lstm|gru      encoder and decoder cell (default gru)\n"
    "  --enc-cell C, --dec-cell C   each on its own\n"
    "  --hidden N               encoder hidden units per direction (default 32); the decoder has N x directions\n"
    "  --layers N               stacked encoder layers (default 1)\n"
    "  --bidirectional          run the encoder in both directions\n"
    "  --embed N                width of both embeddings (default 16)\n"
    "  --attention none|dot|additive   (default dot; none = the plain encoder-decoder)\n"
    "  --attn-width N           additive attention width (default: the decoder's hidden size)\n"
    "  --forget-bias F          LSTM forget-gate bias at init (default 1)\n"
    "  --seed N                 seed of the initialisation (default 0)\n"
    "  --out FILE               where to write the checkpoint (required)\n"
    "  --force                  overwrite FILE if it exists\n";

int s2s_cmd_init(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(init_help, stdout), 0;
    args a;
    args_init(&a, "init", argc, argv);
    rnl_s2s_config c = rnl_s2s_config_default();
    const char *task_name = NULL, *cell = NULL, *enc = NULL, *dec = NULL, *attn = NULL, *out = NULL;
    int symbols = -1, len = -1, min_len = -1, max_len = -1, force = 0;
    uint64_t seed = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--symbols")) args_limit(&a, &symbols, "symbols");
        else if (args_is(&a, "--length")) args_limit(&a, &len, "reverse_length");
        else if (args_is(&a, "--min-length")) args_limit(&a, &min_len, "reverse_length");
        else if (args_is(&a, "--max-length")) args_limit(&a, &max_len, "reverse_length");
        else if (args_is(&a, "--cell")) args_str(&a, &cell);
        else if (args_is(&a, "--enc-cell")) args_str(&a, &enc);
        else if (args_is(&a, "--dec-cell")) args_str(&a, &dec);
        else if (args_is(&a, "--hidden")) args_limit(&a, &c.enc_hidden, "hidden");
        else if (args_is(&a, "--layers")) args_limit(&a, &c.enc_layers, "layers");
        else if (args_is(&a, "--bidirectional")) c.bidirectional = 1;
        else if (args_is(&a, "--embed")) args_limit(&a, &c.embed, "embed");
        else if (args_is(&a, "--attention")) args_str(&a, &attn);
        else if (args_is(&a, "--attn-width")) args_limit(&a, &c.attn_width, "attn_width");
        else if (args_is(&a, "--forget-bias")) args_limit_real(&a, &c.forget_bias, "forget_bias");
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--force")) force = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!task_name) return args_error(&a, "--task is required (reverse or dates)"), 2;
    if (!out) return args_error(&a, "--out is required"), 2;
    rnl_s2s_task t;
    if (rnl_s2s_task_parse(task_name, &t)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_s2s_task_config tc = rnl_s2s_task_default(t);
    if (t == RNL_S2S_TASK_DATES && (symbols > 0 || len > 0 || min_len > 0 || max_len > 0))
        return args_error(&a, "--symbols and the length flags are for --task reverse; dates has fixed formats"), 2;
    if (symbols > 0) tc.symbols = symbols;
    if (len > 0) tc.min_len = tc.max_len = len;
    if (min_len > 0) tc.min_len = min_len;
    if (max_len > 0) tc.max_len = max_len;
    if (tc.min_len > tc.max_len && min_len > 0 && max_len < 0) tc.max_len = tc.min_len;  // --min-length 12 alone
    if (tc.min_len > tc.max_len && max_len > 0 && min_len < 0) tc.min_len = tc.max_len;
    if (rnl_s2s_task_validate(&tc)) return args_error(&a, "%s", rnl_last_error()), 2;
    rnl_s2s_task_shape(&tc, &c);
    if (cell && !cli_parse_cell(&a, "--cell", cell, &c.enc_cell)) return 2;
    if (cell) c.dec_cell = c.enc_cell;
    if (enc && !cli_parse_cell(&a, "--enc-cell", enc, &c.enc_cell)) return 2;
    if (dec && !cli_parse_cell(&a, "--dec-cell", dec, &c.dec_cell)) return 2;
    if (attn && rnl_attn_parse(attn, &c.attention)) return args_error(&a, "%s", rnl_last_error()), 2;
    if (c.attn_width && c.attention != RNL_ATTN_ADDITIVE) return args_error(&a, "--attn-width is for --attention additive"), 2;
    struct stat sb;
    if (!force && stat(out, &sb) == 0)
        return cli_error("init", "%s exists; it may hold a trained model. Use --force to overwrite it", out), 1;
    rnl_s2s *m;
    if (rnl_s2s_create(&m, &c, seed)) return cli_error("init", "%s", rnl_last_error());
    int rc = 0;
    char task_text[96], model_text[256];
    if (rnl_s2s_checkpoint_save(m, NULL, &tc, out)) rc = cli_error("init", "%s", rnl_last_error());
    else {
        describe_task(&tc, task_text, sizeof task_text);
        describe_model(m, model_text, sizeof model_text);
        printf("wrote %s: seq2seq for %s; %s\n", out, task_text, model_text);
    }
    rnl_s2s_destroy(m);
    return rc;
}

// --- train ------------------------------------------------------------------------------------------

// Printed with the run layer's defaults (rnl_run_defaults), so the help cannot drift from them.
static const char *train_help =
    "usage: rnnlab train --model FILE [flags]\n"
    "\n"
    "Trains the seq2seq model in FILE on its task (teacher forcing, cross-entropy per target token) and\n"
    "writes it back atomically with the optimizer state, so running train again resumes. Ctrl-C stops\n"
    "after the current step and saves. Held-out accuracy is measured by greedy decoding.\n"
    "\n"
    "  --task reverse|dates   optional: must be the checkpoint's task\n"
    "  --steps N              training steps (default %d)\n"
    "  --batch B              examples per step (default %d)\n"
    "  --length N, --min-length N, --max-length N   reverse: new length range (kept in the checkpoint)\n"
    "  --optim adam|momentum|sgd   optimizer (default: the checkpoint's, else adam)\n"
    "  --lr X                 learning rate (default %g for a new adam, %g otherwise)\n"
    "  --momentum X           momentum (default %g with --optim momentum)\n"
    "  --weight-decay X       decoupled weight decay (default %g)\n"
    "  --clip X               clip the global gradient norm to X (default %g; 0 = off)\n"
    "  --seed N               seed of the training data (default: continues from the steps already done)\n"
    "  --eval-every N         greedy-decode held-out examples every N steps (default steps/%d)\n"
    "  --out FILE             write the trained model here instead of back to --model\n"
    "  --json                 print metrics as JSON lines on stdout instead of a progress bar\n";

int s2s_cmd_train(int argc, char **argv) {
    const rnl_run_defaults def = rnl_run_defaults_of(RNL_RUN_SEQ2SEQ);
    if (cli_wants_help(argc, argv))
        return printf(train_help, def.steps, def.batch, def.lr_adam, def.lr_other, def.momentum, def.weight_decay, def.clip,
                      def.eval_every_parts), 0;
    args a;
    args_init(&a, "train", argc, argv);
    const char *model = NULL, *task_name = NULL, *out = NULL;
    int steps = def.steps, B = def.batch, json = 0, eval_every = 0, have_seed = 0, len = -1, min_len = -1, max_len = -1;
    cli_optim_flags of;
    cli_optim_flags_init(&of);
    uint64_t seed = 0;
    while (args_next(&a)) {
        if (cli_optim_flag(&a, &of)) continue;
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--steps")) args_limit(&a, &steps, "steps");
        else if (args_is(&a, "--batch")) args_limit(&a, &B, "batch");
        else if (args_is(&a, "--length")) args_limit(&a, &len, "reverse_length");
        else if (args_is(&a, "--min-length")) args_limit(&a, &min_len, "reverse_length");
        else if (args_is(&a, "--max-length")) args_limit(&a, &max_len, "reverse_length");
        else if (args_is(&a, "--seed")) have_seed = args_u64(&a, &seed);
        else if (args_is(&a, "--eval-every")) args_limit(&a, &eval_every, "eval_every");
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model) return args_error(&a, "--model is required (make one with 'rnnlab init --task reverse|dates')"), 2;
    if (task_name && !s2s_cli_is_task(task_name)) return args_error(&a, "--task must be reverse or dates, not '%s'", task_name), 2;
    rnl_optim kind;
    if (!cli_optim_kind(&a, &of, &kind)) return 2;
    rnl_s2s *m;
    rnl_optimizer *o;
    rnl_s2s_task_config tc;
    if (!load_model("train", model, task_name, &m, &o, &tc)) return 1;
    int rc = 0;
    if (len > 0 || min_len > 0 || max_len > 0) {
        if (tc.task != RNL_S2S_TASK_REVERSE) rc = cli_error("train", "the length flags are for the reverse task");
        if (len > 0) tc.min_len = tc.max_len = len;
        if (min_len > 0) tc.min_len = min_len;
        if (max_len > 0) tc.max_len = max_len;
        if (!rc && rnl_s2s_task_validate(&tc)) rc = cli_error("train", "%s", rnl_last_error());
    }
    // A new Adam starts at the seq2seq rate (rnl_run_defaults: 0.005).
    if (!rc) rc = cli_optim_setup("train", &of, kind, RNL_RUN_SEQ2SEQ, rnl_s2s_num_params(m), &o);
    if (rc) {
        rnl_optimizer_destroy(o);
        rnl_s2s_destroy(m);
        return rc;
    }
    if (!have_seed) seed = rnl_run_train_seed(rnl_optimizer_steps(o));
    if (!eval_every) eval_every = rnl_run_eval_every(RNL_RUN_SEQ2SEQ, steps);
    const char *dest = out ? out : model;

    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_s2s_task_data d;
    rnl_s2s_task_data_init(&d);
    cli_run run;
    cli_run_start(&run, "train", json, B);
    double ema_acc = 0;
    rnl_run_s2s_progress p;  // one step per span: the bar and the JSON lines report every step
    for (long step = 1; step <= steps && !cli_interrupted(); step++) {
        rnl_status st = rnl_run_s2s_train(m, o, &tc, B, 1, &rng, &d, &p);
        if (st) {
            rc = cli_run_fault(&run, st == RNL_ERR_NUMERIC ? "numeric" : "other", rnl_optimizer_steps(o) + 1);
            break;
        }
        const rnl_s2s_stats *s = &p.last;
        double seq_s = cli_run_step(&run, s->loss);
        ema_acc = run.done == 1 ? s->token_accuracy : 0.95 * ema_acc + 0.05 * s->token_accuracy;
        if (json && (step % 10 == 0 || step == steps))
            printf("{\"step\": %ld, \"loss\": %.6g, \"grad_norm\": %.6g, \"clipped\": %s, \"token_accuracy\": %.6g, "
                   "\"seq_accuracy\": %.6g, \"seq_per_s\": %.1f}\n",
                   p.steps, s->loss, s->grad_norm, s->clipped ? "true" : "false", s->token_accuracy, s->seq_accuracy, seq_s);
        if (run.tty && (step % 5 == 0 || step == steps))
            cli_progress("", step, steps, "step %ld/%ld  loss %.5f  token acc %.3f  %.0f seq/s ", step, steps, run.ema, ema_acc, seq_s);
        if (step % eval_every == 0 || step == steps) {
            rnl_run_s2s_eval er;
            if (rnl_run_s2s_evaluate(m, &tc, def.heldout_batches, def.heldout_batch, RNL_RUN_S2S_HELDOUT_SEED, &er) == RNL_OK) {
                if (json)
                    printf("{\"eval\": {\"step\": %ld, \"loss\": %.6g, \"token_accuracy\": %.6g, \"seq_accuracy\": %.6g}}\n",
                           rnl_optimizer_steps(o), er.loss, er.token, er.seq);
                else if (!run.tty)
                    printf("step %ld  train loss %.5f  held-out: loss %.5f, greedy token accuracy %.3f, sequence accuracy %.3f\n",
                           rnl_optimizer_steps(o), run.ema, er.loss, er.token, er.seq);
            }
        }
        if (json) fflush(stdout);
    }
    cli_run_end(&run);
    // A numeric fault left the parameters of the last good step untouched.
    rnl_status saved = run.done > 0 ? rnl_s2s_checkpoint_save(m, o, &tc, dest) : RNL_OK;
    rc = cli_run_report(&run, rc, saved, dest, rnl_optimizer_steps(o));
    rnl_s2s_task_data_free(&d);
    rnl_optimizer_destroy(o);
    rnl_s2s_destroy(m);
    return rc;
}

// --- eval -------------------------------------------------------------------------------------------

// Printed with the run layer's defaults (rnl_run_defaults), so the help cannot drift from them.
static const char *eval_help =
    "usage: rnnlab eval --model FILE [flags]\n"
    "\n"
    "Evaluates a seq2seq model on freshly generated held-out examples of its task: the teacher-forced\n"
    "cross-entropy and accuracies, and the accuracies of greedy decoding (what the model really does: a\n"
    "sequence counts only if every token and the final <eos> are right).\n"
    "\n"
    "  --task reverse|dates   optional: must be the checkpoint's task\n"
    "  --batches N            batches of %d examples (default %d)\n"
    "  --seed N               seed of the test data (default %llu)\n"
    "  --json                 print the result as one JSON object\n";

int s2s_cmd_eval(int argc, char **argv) {
    const rnl_run_defaults def = rnl_run_defaults_of(RNL_RUN_SEQ2SEQ);
    if (cli_wants_help(argc, argv)) return printf(eval_help, def.test_batch, def.test_batches, (unsigned long long)def.test_seed), 0;
    args a;
    args_init(&a, "eval", argc, argv);
    const char *model = NULL, *task_name = NULL;
    int batches = def.test_batches, json = 0;
    uint64_t seed = def.test_seed;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--batches")) args_limit(&a, &batches, "eval_batches");
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model) return args_error(&a, "--model is required"), 2;
    rnl_s2s *m;
    rnl_s2s_task_config tc;
    if (!load_model("eval", model, task_name, &m, NULL, &tc)) return 1;
    rnl_run_s2s_eval r;
    int rc = 0;
    if (rnl_run_s2s_evaluate(m, &tc, batches, def.test_batch, seed, &r)) rc = cli_error("eval", "%s", rnl_last_error());
    else if (json)
        printf("{\"task\": \"%s\", \"examples\": %d, \"loss\": %.6g, \"teacher_forced\": {\"token_accuracy\": %.6g, "
               "\"seq_accuracy\": %.6g}, \"greedy\": {\"token_accuracy\": %.6g, \"seq_accuracy\": %.6g}}\n",
               rnl_s2s_task_name(tc.task), batches * def.test_batch, r.loss, r.tf_token, r.tf_seq, r.token, r.seq);
    else {
        char task_text[96];
        describe_task(&tc, task_text, sizeof task_text);
        printf("%s, %d held-out examples\n  cross-entropy per token %.5f (teacher forcing; chance: %.3f)\n"
               "  teacher forcing: token accuracy %.4f, sequence accuracy %.4f\n"
               "  greedy decoding: token accuracy %.4f, sequence accuracy %.4f\n",
               task_text, batches * def.test_batch, r.loss, log((double)rnl_s2s_get_config(m)->tgt_vocab), r.tf_token, r.tf_seq, r.token, r.seq);
    }
    rnl_s2s_destroy(m);
    return rc;
}

// --- decode -----------------------------------------------------------------------------------------

static const char *decode_help =
    "usage: rnnlab decode --model FILE --input TEXT [flags]\n"
    "\n"
    "Greedy-decodes one typed input with a seq2seq model and prints the output and the attention matrix:\n"
    "one row per output token, one column per input character, each weight in percent (blank below 1%).\n"
    "\n"
    "  --input TEXT      reverse: letters a.. of the task's symbols, e.g. abcde; dates: e.g. '3 May 1998'\n"
    "  --max-len N       stop after N output tokens (default: the task's longest target + 5)\n"
    "  --json            print {input, output, input_tokens, output_tokens, attention} as JSON\n";

int s2s_cmd_decode(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(decode_help, stdout), 0;
    args a;
    args_init(&a, "decode", argc, argv);
    const char *model = NULL, *input = NULL, *task_name = NULL;
    int max_len = 0, json = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--input")) args_str(&a, &input);
        else if (args_is(&a, "--task")) args_str(&a, &task_name);
        else if (args_is(&a, "--max-len")) args_limit(&a, &max_len, "decode_len");
        else if (args_is(&a, "--json")) json = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !input) return args_error(&a, "--model and --input are required"), 2;
    rnl_s2s *m;
    rnl_s2s_task_config tc;
    if (!load_model("decode", model, task_name, &m, NULL, &tc)) return 1;
    if (!max_len) max_len = rnl_s2s_task_max_target(&tc) + 5;
    int cap = 4096, n = 0, rc = 0;
    int32_t *src = malloc(sizeof(int32_t) * cap), *toks = malloc(sizeof(int32_t) * max_len), out_len = 0;
    rnl_real *attn = NULL;
    char *text = NULL;
    if (!src || !toks) rc = cli_error("decode", "out of memory");
    else if (rnl_s2s_task_encode(&tc, input, src, cap, &n)) rc = cli_error("decode", "%s", rnl_last_error());
    else if (!(attn = malloc(sizeof(rnl_real) * (size_t)max_len * n)) || !(text = malloc((size_t)max_len * 8 + 1)))
        rc = cli_error("decode", "out of memory");
    if (!rc) {
        int32_t lens[1] = {n};
        rnl_s2s_batch b = {1, n, 0, src, lens, NULL, NULL};
        if (rnl_s2s_decode(m, &b, max_len, toks, &out_len, attn)) rc = cli_error("decode", "%s", rnl_last_error());
    }
    if (!rc) {
        int has_attn = rnl_s2s_get_config(m)->attention != RNL_ATTN_NONE;
        rnl_s2s_task_decode_text(&tc, 1, toks, out_len, text, (size_t)max_len * 8 + 1);
        int stopped = out_len > 0 && toks[out_len - 1] == RNL_S2S_EOS;
        if (json) {
            printf("{\"input\": ");
            cli_json_string(input);
            printf(", \"output\": ");
            cli_json_string(text);
            printf(", \"stopped_at_eos\": %s, \"input_tokens\": [", stopped ? "true" : "false");
            for (int j = 0; j < n; j++) printf("%s%d", j ? ", " : "", (int)src[j]);
            printf("], \"output_tokens\": [");
            for (int t = 0; t < out_len; t++) printf("%s%d", t ? ", " : "", (int)toks[t]);
            printf("], \"attention\": ");
            if (!has_attn) printf("null");
            else {
                printf("[");
                for (int t = 0; t < out_len; t++) {
                    printf("%s[", t ? ", " : "");
                    for (int j = 0; j < n; j++) printf("%s%.6g", j ? ", " : "", (double)attn[(size_t)t * n + j]);
                    printf("]");
                }
                printf("]");
            }
            printf("}\n");
        } else {
            printf("input:  %s\noutput: %s%s\n", input, text, stopped ? "" : "   (no <eos> within --max-len)");
            if (!has_attn) printf("(no attention: the decoder sees only the encoder's final state)\n");
            else {
                printf("\nattention, %% (rows: output, columns: input)\n       ");
                for (int j = 0; j < n; j++) printf("  %c ", input[j] == ' ' ? '_' : input[j]);
                printf("\n");
                for (int t = 0; t < out_len; t++) {
                    char row[8];
                    rnl_s2s_task_decode_text(&tc, 1, toks + t, 1, row, sizeof row);
                    printf("%6s ", toks[t] == RNL_S2S_EOS ? "<eos>" : row);
                    for (int j = 0; j < n; j++) {
                        double w = 100 * attn[(size_t)t * n + j];
                        if (w < 1) printf("    ");
                        else printf(" %3.0f", w);
                    }
                    printf("\n");
                }
            }
        }
    }
    free(src);
    free(toks);
    free(attn);
    free(text);
    rnl_s2s_destroy(m);
    return rc;
}

// --- info -------------------------------------------------------------------------------------------

int s2s_cmd_info(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return fputs("usage: rnnlab info --model FILE\n\nPrints a seq2seq checkpoint's task, configuration, optimizer state and "
                     "tensors (PyTorch-style names and shapes).\n", stdout), 0;
    const char *path;
    int bad = cli_model_only("info", argc, argv, &path);
    if (bad) return bad;
    rnl_s2s *m;
    rnl_optimizer *o;
    rnl_s2s_task_config tc;
    int has = 0;
    if (rnl_s2s_checkpoint_load(path, &m, &o, &tc, &has)) return cli_error("info", "%s", rnl_last_error());
    char text[256];
    describe_model(m, text, sizeof text);
    printf("%s (seq2seq)\n  %s\n", path, text);
    const rnl_s2s_config *c = rnl_s2s_get_config(m);
    printf("  vocabularies: source %d, target %d (0 <pad>, 1 <bos>, 2 <eos>)\n", c->src_vocab, c->tgt_vocab);
    if (has) describe_task(&tc, text, sizeof text);
    printf("  task: %s\n", has ? text : "none");
    cli_print_optimizer(o, "steps taken", "none (untrained, or saved without its state)");
    for (int i = 0; i < rnl_s2s_num_tensors(m); i++) {
        const rnl_tensor_info *t = rnl_s2s_tensor(m, i);
        char shape[32];
        cli_tensor_shape(t, shape, sizeof shape);
        printf("  %-36s %s\n", t->name, shape);
    }
    rnl_optimizer_destroy(o);
    rnl_s2s_destroy(m);
    return 0;
}

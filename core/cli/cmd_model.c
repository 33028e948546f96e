// cmd_model.c: `rnnlab init`, `rnnlab info` and `rnnlab grad`: make a model (recurrent, or a Transformer
// with --cell transformer), show it, and print its loss and gradients on a batch so anyone can check the
// numbers against another framework.
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "batch_json.h"
#include "json.h"

// --- init -------------------------------------------------------------------------------------------

// 1 if the command line asks for a Transformer (--cell transformer): its own flags (cli_init_transformer).
static int wants_transformer(int argc, char **argv) {
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--cell") == 0 && strcmp(argv[i + 1], "transformer") == 0) return 1;
    return 0;
}

static const char *init_help =
    "usage: rnnlab init --cell rnn|lstm|gru --out FILE [flags]\n"
    "\n"
    "Makes a fresh model from a configuration and a seed and writes it as a checkpoint.\n"
    "\n"
    "inputs (one of):\n"
    "  --vocab N --embed N      token ids 0..N-1 through an embedding of width --embed\n"
    "  --input-size N           N real-valued features per step\n"
    "  --task adding|copy|sine  the input, head and outputs a synthetic task needs\n"
    "  --data FILE              the input and head a prepared data set needs (rnnlab data); the model\n"
    "                           keeps the data's vocabulary, so 'rnnlab predict' can read new text\n"
    "model:\n"
    "  --cell rnn|lstm|gru      the recurrent cell (required; or transformer: 'rnnlab init --cell transformer --help')\n"
    "  --hidden N               hidden units per direction (default 32)\n"
    "  --layers N               stacked recurrent layers (default 1)\n"
    "  --bidirectional          run each layer in both directions\n"
    "  --head binary|classes N|regression   output head (default binary)\n"
    "  --outputs N              classes (classes head) or values per target (regression)\n"
    "  --seq2seq                an output at every step instead of one per sequence\n"
    "  --forget-bias F          LSTM forget-gate bias at init (default 1)\n"
    "  --dropout P              dropout in training, in [0, 0.99] (default 0): on the embedding output,\n"
    "                           between stacked layers and before the head; never in eval or predict\n"
    "  --pool last|mean|max     what the head reads (default last): the last state, or the mean or the\n"
    "                           max of the top layer's outputs over the real steps (not with --seq2seq)\n"
    "  --seed N                 seed of the initialisation (default 0)\n"
    "  --out FILE               where to write the checkpoint (required)\n"
    "  --force                  overwrite FILE if it exists\n"
    "\n"
    "Sequence-to-sequence models (encoder-decoder with attention) have their own flags:\n"
    "'rnnlab init --task reverse --help' (tasks: reverse, dates; docs/seq2seq.md).\n";

int cmd_init(int argc, char **argv) {
    args a;
    args_init(&a, "init", argc, argv);
    if (wants_transformer(argc, argv)) return cli_init_transformer(&a, argc, argv);
    if (cli_wants_help(argc, argv)) return fputs(init_help, stdout), 0;
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.hidden = 32;
    const char *cell = NULL, *out = NULL, *head = NULL, *task = NULL, *data = NULL, *pool = NULL;
    int outputs = 0, force = 0;
    uint64_t seed = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--cell")) args_str(&a, &cell);
        else if (args_is(&a, "--vocab")) args_limit(&a, &c.vocab, "vocab");
        else if (args_is(&a, "--embed")) args_limit(&a, &c.embed, "embed");
        else if (args_is(&a, "--input-size")) args_limit(&a, &c.input_size, "input_size");
        else if (args_is(&a, "--hidden")) args_limit(&a, &c.hidden, "hidden");
        else if (args_is(&a, "--layers")) args_limit(&a, &c.layers, "layers");
        else if (args_is(&a, "--bidirectional")) c.bidirectional = 1;
        else if (args_is(&a, "--seq2seq")) c.seq2seq = 1;
        else if (args_is(&a, "--head")) {
            if (args_str(&a, &head) && strcmp(head, "classes") == 0 && a.i < a.argc && a.argv[a.i][0] != '-')
                args_limit(&a, &outputs, "classes");  // `--head classes N`
        } else if (args_is(&a, "--outputs")) args_limit(&a, &outputs, "outputs");
        else if (args_is(&a, "--forget-bias")) args_limit_real(&a, &c.forget_bias, "forget_bias");
        else if (args_is(&a, "--dropout")) args_limit_real(&a, &c.dropout, "dropout");
        else if (args_is(&a, "--pool")) args_str(&a, &pool);
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--task")) args_str(&a, &task);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--force")) force = 1;
        else if (args_is(&a, "--heads") || args_is(&a, "--ffn") || args_is(&a, "--positions"))
            args_error(&a, "%s is a Transformer's setting: add --cell transformer", a.flag);
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!cell) return args_error(&a, "--cell is required (rnn, lstm, gru or transformer)"), 2;
    if (!out) return args_error(&a, "--out is required"), 2;
    if (!cli_parse_cell(&a, "--cell", cell, &c.cell)) return 2;
    if (head) {
        if (strcmp(head, "binary") == 0) c.head = RNL_HEAD_BINARY;
        else if (strcmp(head, "classes") == 0) c.head = RNL_HEAD_CLASSES;
        else if (strcmp(head, "regression") == 0) c.head = RNL_HEAD_REGRESSION;
        else return args_error(&a, "--head must be binary, classes N or regression, not '%s'", head), 2;
    }
    if (pool && rnl_pooling_parse(pool, &c.pool)) return args_error(&a, "--pool must be last, mean or max, not '%s'", pool), 2;
    if (task) {
        rnl_task t;
        if (rnl_task_parse(task, &t)) return args_error(&a, "%s", rnl_last_error()), 2;
        rnl_task_shape(t, &c);
    }
    if (c.pool != RNL_POOLING_LAST && c.seq2seq)
        return args_error(&a, "--pool %s pools a sequence-to-one model's steps; %s has an output at every step", pool,
                          task ? task : "--seq2seq"), 2;
    if (outputs) c.outputs = outputs;
    else if (c.head == RNL_HEAD_CLASSES && !task) return args_error(&a, "a classes head needs the number of classes: --head classes N"), 2;
    // embed is the width of a token embedding: a model without a vocabulary has none, and its
    // checkpoint says 0 (docs/checkpoint-format.md).
    if (task && c.vocab == 0 && c.embed > 0) return args_error(&a, "--task %s has real-valued inputs: leave out --embed", task), 2;
    if (c.vocab > 0 && c.embed == 0) return args_error(&a, "--vocab needs --embed (the embedding width)"), 2;
    if ((c.vocab > 0 || c.embed > 0) && c.input_size > 0) return args_error(&a, "give --vocab/--embed or --input-size, not both"), 2;
    if (data && (task || c.input_size)) return args_error(&a, "--data decides the inputs: leave out --task and --input-size"), 2;
    struct stat sb;
    if (!force && stat(out, &sb) == 0)
        return cli_error("init", "%s exists; it may hold a trained model. Use --force to overwrite it", out), 1;
    rnl_dataset *ds = NULL;
    if (data) {
        if (rnl_dataset_load(data, &ds)) return cli_error("init", "%s", rnl_last_error());
        if (ds->kind != RNL_DATASET_TEXT && c.embed > 0) {  // (rnl_dataset_shape sets a series' embed to 0)
            rnl_dataset_destroy(ds);
            return args_error(&a, "%s is a series of real values: leave out --embed", data), 2;
        }
        if (c.embed == 0) c.embed = rnl_run_defaults_of(RNL_RUN_RECURRENT).data_embed;
        rnl_dataset_shape(ds, &c);
    }
    rnl_model *m;
    if (rnl_model_create(&m, &c, seed)) {
        rnl_dataset_destroy(ds);
        return cli_error("init", "%s", rnl_last_error());
    }
    int rc = 0;
    // The model keeps the data's description (its vocabulary), as `train --data` would.
    if (ds && rnl_run_attach_data(m, ds, NULL, NULL)) rc = cli_error("init", "%s", rnl_last_error());
    else if (rnl_checkpoint_save(m, NULL, out)) rc = cli_error("init", "%s", rnl_last_error());
    else
        printf("wrote %s: %s, %d layer%s%s, hidden %d, %s head, %zu parameters%s\n", out, rnl_cell_name(c.cell), c.layers,
               c.layers > 1 ? "s" : "", c.bidirectional ? " bidirectional" : "", c.hidden, rnl_head_name(c.head),
               rnl_model_num_params(m), c.dropout > 0 ? ", dropout in training" : "");  // (the rate: rnnlab info)
    if (!rc && c.pool != RNL_POOLING_LAST) printf("  the head reads %s\n", rnl_pooling_label(c.pool));
    rnl_dataset_destroy(ds);
    rnl_model_destroy(m);
    return rc;
}

// --- init --cell transformer ------------------------------------------------------------------------

static const char *tf_init_help =
    "usage: rnnlab init --cell transformer --hidden D --heads H --layers N [--ffn F] --out FILE [flags]\n"
    "\n"
    "Makes a fresh Transformer encoder (pre-LN, ReLU, sinusoidal positions, the mean of the real positions\n"
    "into the head; docs/model.md) and writes it as a checkpoint.\n"
    "\n"
    "inputs (one of):\n"
    "  --vocab N                token ids 0..N-1 through an embedding of width D\n"
    "  --input-size N           N real-valued features per step, projected to width D\n"
    "  --task adding|copy       the input and head a synthetic task needs\n"
    "  --data FILE              the input and head a prepared data set needs (rnnlab data)\n"
    "model:\n"
    "  --hidden D               width of every position's vector, d_model (default %d)\n"
    "  --heads H                attention heads, each D/H wide; H must divide D (default %d)\n"
    "  --layers N               encoder layers (default %d)\n"
    "  --ffn F                  feed-forward width (default %d)\n"
    "  --positions sinusoidal|none   none: no notion of order (default sinusoidal)\n"
    "  --head binary|classes N|regression   output head (default binary)\n"
    "  --outputs N              classes (classes head) or values per target (regression)\n"
    "  --seed N                 seed of the initialisation (default 0)\n"
    "  --out FILE               where to write the checkpoint (required)\n"
    "  --force                  overwrite FILE if it exists\n";

int cli_init_transformer(args *a, int argc, char **argv) {
    rnl_tf_config c = rnl_tf_config_default();
    if (cli_wants_help(argc, argv)) return printf(tf_init_help, c.d_model, c.heads, c.layers, c.ffn), 0;
    const char *out = NULL, *head = NULL, *task = NULL, *data = NULL, *cell = NULL, *pos = NULL;
    int outputs = 0, force = 0, heads_given = 0;
    uint64_t seed = 0;
    while (args_next(a)) {
        if (args_is(a, "--cell")) args_str(a, &cell);
        else if (args_is(a, "--vocab")) args_limit(a, &c.vocab, "vocab");
        else if (args_is(a, "--input-size")) args_limit(a, &c.input_size, "input_size");
        else if (args_is(a, "--hidden")) args_limit(a, &c.d_model, "hidden");
        else if (args_is(a, "--heads")) heads_given = args_limit(a, &c.heads, "heads");
        else if (args_is(a, "--layers")) args_limit(a, &c.layers, "layers");
        else if (args_is(a, "--ffn")) args_limit(a, &c.ffn, "ffn");
        else if (args_is(a, "--positions")) args_str(a, &pos);
        else if (args_is(a, "--head")) {
            if (args_str(a, &head) && strcmp(head, "classes") == 0 && a->i < a->argc && a->argv[a->i][0] != '-')
                args_limit(a, &outputs, "classes");
        } else if (args_is(a, "--outputs")) args_limit(a, &outputs, "outputs");
        else if (args_is(a, "--seed")) args_u64(a, &seed);
        else if (args_is(a, "--task")) args_str(a, &task);
        else if (args_is(a, "--data")) args_str(a, &data);
        else if (args_is(a, "--out")) args_str(a, &out);
        else if (args_is(a, "--force")) force = 1;
        else if (args_is(a, "--embed"))
            args_error(a, "a Transformer's embedding width is its --hidden (d_model): leave out --embed");
        else if (args_is(a, "--bidirectional") || args_is(a, "--seq2seq") || args_is(a, "--forget-bias"))
            args_error(a, "%s is a recurrent model's setting; a Transformer has no %s", a->flag,
                       args_is(a, "--forget-bias") ? "forget gate" : args_is(a, "--seq2seq") ? "per-step head here" : "direction");
        else args_unknown(a);
    }
    if (a->failed) return 2;
    if (!out) return args_error(a, "--out is required"), 2;
    if (pos) {
        if (strcmp(pos, "sinusoidal") == 0) c.positions = RNL_TF_POS_SINUSOIDAL;
        else if (strcmp(pos, "none") == 0) c.positions = RNL_TF_POS_NONE;
        else return args_error(a, "--positions must be sinusoidal or none, not '%s'", pos), 2;
    }
    if (c.d_model % c.heads)
        return args_error(a, "--heads %d does not divide --hidden %d: each head is hidden/heads wide%s", c.heads, c.d_model,
                          heads_given ? "" : " (give --heads)"), 2;
    if (head) {
        if (strcmp(head, "binary") == 0) c.head = RNL_HEAD_BINARY;
        else if (strcmp(head, "classes") == 0) c.head = RNL_HEAD_CLASSES;
        else if (strcmp(head, "regression") == 0) c.head = RNL_HEAD_REGRESSION;
        else return args_error(a, "--head must be binary, classes N or regression, not '%s'", head), 2;
    }
    if (task) {
        rnl_task t;
        if (rnl_task_parse(task, &t)) return args_error(a, "%s", rnl_last_error()), 2;
        rnl_config io = rnl_tf_io_config(&c);
        rnl_task_shape(t, &io);
        if (io.seq2seq) return args_error(a, "--task %s predicts every step; a Transformer here predicts one value per sequence", task), 2;
        c.vocab = io.vocab, c.input_size = io.input_size, c.head = io.head, c.outputs = io.outputs;
    }
    if (outputs) c.outputs = outputs;
    else if (c.head == RNL_HEAD_CLASSES && !task) return args_error(a, "a classes head needs the number of classes: --head classes N"), 2;
    if (c.vocab > 0 && c.input_size > 0) return args_error(a, "give --vocab or --input-size, not both"), 2;
    if (data && (task || c.input_size || c.vocab)) return args_error(a, "--data decides the inputs: leave out --task, --vocab and --input-size"), 2;
    struct stat sb;
    if (!force && stat(out, &sb) == 0)
        return cli_error("init", "%s exists; it may hold a trained model. Use --force to overwrite it", out), 1;
    rnl_dataset *ds = NULL;
    if (data) {
        if (rnl_dataset_load(data, &ds)) return cli_error("init", "%s", rnl_last_error());
        rnl_config io = rnl_tf_io_config(&c);
        rnl_dataset_shape(ds, &io);
        if (io.seq2seq) {
            rnl_dataset_destroy(ds);
            return cli_error("init", "%s predicts every step; a Transformer here predicts one value per sequence", data);
        }
        c.vocab = io.vocab, c.input_size = io.input_size, c.head = io.head, c.outputs = io.outputs;
    }
    rnl_tf *m;
    if (rnl_tf_create(&m, &c, seed)) {
        rnl_dataset_destroy(ds);
        return cli_error("init", "%s", rnl_last_error());
    }
    int rc = 0;
    if (ds && rnl_run_net_attach_data(rnl_run_net_of_tf(m), ds, NULL, NULL)) rc = cli_error("init", "%s", rnl_last_error());
    else if (rnl_tf_checkpoint_save(m, NULL, out)) rc = cli_error("init", "%s", rnl_last_error());
    else
        printf("wrote %s: transformer, %d layer%s, hidden %d, %d head%s, ffn %d, %s, %s head, %zu parameters\n", out,
               c.layers, c.layers > 1 ? "s" : "", c.d_model, c.heads, c.heads > 1 ? "s" : "", c.ffn,
               c.positions ? "sinusoidal positions" : "no positions", rnl_head_name(c.head), rnl_tf_num_params(m));
    rnl_dataset_destroy(ds);
    rnl_tf_destroy(m);
    return rc;
}

// --- Tensor shapes (also for the seq2seq info) ---------------------------------------------------------

// PyTorch's shape of a tensor of the table. The table gives a vector cols == 1, and so has a weight
// of width 1 (input_size 1, hidden 1, embed 1: weight_ih (G*H, 1), head.weight (O, 1)), which
// PyTorch keeps 2-D; the name tells them apart. PyTorch's vectors here are the biases ("bias_ih",
// "head.bias", "attention.b_c") and the additive attention's "attention.v" (docs/seq2seq.md).
int cli_tensor_dims(const rnl_tensor_info *t) {
    const char *leaf = strrchr(t->name, '.');
    leaf = leaf ? leaf + 1 : t->name;
    // The Transformer's vectors: "in_proj_bias" and the LayerNorms' "norm1.weight", "norm.bias", ...
    const char *parent = leaf > t->name + 1 ? leaf - 2 : NULL;
    while (parent && parent > t->name && parent[-1] != '.') parent--;
    int norm = parent && strncmp(parent, "norm", 4) == 0;
    size_t ln = strlen(leaf);
    int vector = strncmp(leaf, "bias", 4) == 0 || strncmp(leaf, "b_", 2) == 0 || strcmp(leaf, "v") == 0 ||
                 (ln > 5 && strcmp(leaf + ln - 5, "_bias") == 0) || norm;
    return vector && t->cols == 1 ? 1 : 2;
}

void cli_tensor_shape(const rnl_tensor_info *t, char *buf, size_t cap) {
    if (cli_tensor_dims(t) == 1) snprintf(buf, cap, "(%d)", t->rows);
    else snprintf(buf, cap, "(%d, %d)", t->rows, t->cols);
}

// --- info -------------------------------------------------------------------------------------------

int cmd_info(int argc, char **argv) {
    if (cli_wants_help(argc, argv))
        return fputs("usage: rnnlab info --model FILE\n\nPrints a checkpoint's configuration, optimizer state and tensors (PyTorch names and shapes).\n", stdout), 0;
    const char *path;
    int bad = cli_model_only("info", argc, argv, &path);
    if (bad) return bad;
    rnl_run_net m;
    rnl_optimizer *o;
    if (cli_net_load("info", path, &m, &o)) return 1;
    const rnl_config io = rnl_run_net_config(m), *c = &io;
    if (m.tf) {
        const rnl_tf_config *t = rnl_tf_get_config(m.tf);
        printf("%s\n  transformer, layers %d, hidden %d, heads %d (each %d wide), ffn %d, %s\n", path, t->layers,
               t->d_model, t->heads, t->d_model / t->heads, t->ffn, t->positions ? "sinusoidal positions" : "no positions");
    } else {
        printf("%s\n  cell %s, layers %d, hidden %d%s\n", path, rnl_cell_name(c->cell), c->layers, c->hidden, c->bidirectional ? ", bidirectional" : "");
    }
    if (c->vocab) printf("  input: tokens, vocab %d, embed %d\n", c->vocab, c->embed);
    else printf("  input: %d real-valued feature%s per step\n", c->input_size, c->input_size > 1 ? "s" : "");
    printf("  head: %s, %d output%s, %s\n", rnl_head_name(c->head), c->outputs, c->outputs > 1 ? "s" : "", c->seq2seq ? "every step" : "one per sequence");
    if (c->dropout > 0) printf("  dropout %g in training\n", c->dropout);
    if (!m.tf) printf("  pool: %s (the head reads %s)\n", rnl_pooling_name(c->pool), rnl_pooling_label(c->pool));
    cli_print_optimizer(o, "steps done", "none yet (untrained)");
    size_t hn = 0;
    const rnl_history_point *h = rnl_run_net_history(m, &hn);
    if (h) {
        // The training history (docs/checkpoint-format.md): its span and where it ended.
        const rnl_history_point *last = &h[hn - 1];
        printf("  history: %zu step%s (%u..%u), last loss %.5g, grad norm %.3g", hn, hn > 1 ? "s" : "", h[0].step, last->step,
               (double)last->loss, (double)last->grad_norm);
        for (size_t i = hn; i-- > 0;)
            if (h[i].val_loss == h[i].val_loss) {  // the last held-out check
                printf(", held-out loss %.5g at step %u", (double)h[i].val_loss, h[i].step);
                break;
            }
        printf("\n");
    }
    printf("  %zu parameters:\n", rnl_run_net_num_params(m));
    for (int i = 0; i < cli_net_num_tensors(m); i++) {
        const rnl_tensor_info *t = cli_net_tensor(m, i);
        char shape[32];
        cli_tensor_shape(t, shape, sizeof shape);
        printf("    %-28s %-12s offset %zu\n", t->name, shape, t->offset);
    }
    rnl_optimizer_destroy(o);
    cli_net_destroy(m);
    return 0;
}

// --- grad -------------------------------------------------------------------------------------------

static const char *grad_help =
    "usage: rnnlab grad --model FILE --batch FILE.json [--bptt K]\n"
    "\n"
    "Prints, as JSON, the loss of a batch and the gradient of every parameter tensor (PyTorch names and\n"
    "shapes), so the numbers can be checked against another framework. The batch file (docs/cli.md):\n"
    "  {\"tokens\": [[3, 1, 4], [1, 5]], \"targets\": [1, 0]}                 token ids, any lengths\n"
    "  {\"inputs\": [[[0.5, 1], [0.2, 0]], [[0.1, 0]]], \"targets\": [0.7, 0.1]}   real-valued steps\n"
    "Targets: one per sequence (a number, or a list of numbers for multi-output regression), or with a\n"
    "seq2seq model one per step of each sequence.\n";

// Nested lists in PyTorch's shape: [g0, g1, ...] for a vector, [[row 0], [row 1], ...] for a matrix.
static void print_tensor(const rnl_real *g, const rnl_tensor_info *t) {
    if (cli_tensor_dims(t) == 1) {
        putchar('[');
        for (int i = 0; i < t->rows; i++) printf("%s%.9g", i ? ", " : "", (double)g[i]);
        putchar(']');
        return;
    }
    putchar('[');
    for (int r = 0; r < t->rows; r++) {
        printf("%s[", r ? ", " : "");
        for (int k = 0; k < t->cols; k++) printf("%s%.9g", k ? ", " : "", (double)g[(size_t)r * t->cols + k]);
        putchar(']');
    }
    putchar(']');
}

int cmd_grad(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(grad_help, stdout), 0;
    args a;
    args_init(&a, "grad", argc, argv);
    const char *model = NULL, *batch = NULL;
    int window = 0;
    while (args_next(&a)) {
        if (args_is(&a, "--model")) args_str(&a, &model);
        else if (args_is(&a, "--batch")) args_str(&a, &batch);
        else if (args_is(&a, "--bptt")) args_limit(&a, &window, "bptt");
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!model || !batch) return args_error(&a, "--model and --batch are required"), 2;
    rnl_run_net m;  // a recurrent model or a Transformer
    if (cli_net_load("grad", model, &m, NULL)) return 1;
    const rnl_config io = rnl_run_net_config(m);
    if (m.tf && window) {
        cli_net_destroy(m);
        return cli_error("grad", "--bptt truncates backpropagation through time: a Transformer has no recurrence to truncate");
    }
    char *text = NULL;
    size_t n;
    json_doc *doc = NULL;
    batch_json ob;
    memset(&ob, 0, sizeof ob);
    int rc = 0;
    rnl_real loss;
    if (cli_read_file(batch, JSON_MAX_BYTES, &text, &n)) rc = cli_error("grad", "%s", rnl_last_error());
    else if (json_parse(text, n, &doc)) rc = cli_error("grad", "%s: %s", batch, rnl_last_error());
    else if (batch_json_read(json_root(doc), &io, &ob)) rc = cli_error("grad", "%s: %s", batch, rnl_last_error());
    else {
        rnl_batch b = {ob.B, ob.T, ob.tokens, ob.inputs, ob.lengths, ob.targets};
        if (cli_net_gradients(m, &b, window, &loss)) rc = cli_error("grad", "%s: %s", batch, rnl_last_error());
    }
    if (!rc) {
        const rnl_real *g = cli_net_grads(m);
        printf("{\"loss\": %.9g, \"grad_norm\": %.9g, \"grads\": {", (double)loss, rnl_grad_norm(g, rnl_run_net_num_params(m)));
        for (int i = 0; i < cli_net_num_tensors(m); i++) {
            const rnl_tensor_info *t = cli_net_tensor(m, i);
            printf("%s\n  \"%s\": ", i ? "," : "", t->name);
            print_tensor(g + t->offset, t);
        }
        printf("\n}}\n");
    }
    batch_json_free(&ob);
    json_free(doc);
    free(text);
    cli_net_destroy(m);
    return rc;
}

// cmd_model.c: `rnnlab init`, `rnnlab info` and `rnnlab grad`: make a model, show it, and print its
// loss and gradients on a batch so anyone can check the numbers against another framework.
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "batch_json.h"
#include "json.h"

// --- init -------------------------------------------------------------------------------------------

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
    "  --cell rnn|lstm|gru      the recurrent cell (required)\n"
    "  --hidden N               hidden units per direction (default 32)\n"
    "  --layers N               stacked recurrent layers (default 1)\n"
    "  --bidirectional          run each layer in both directions\n"
    "  --head binary|classes N|regression   output head (default binary)\n"
    "  --outputs N              classes (classes head) or values per target (regression)\n"
    "  --seq2seq                an output at every step instead of one per sequence\n"
    "  --forget-bias F          LSTM forget-gate bias at init (default 1)\n"
    "  --dropout P              dropout in training, in [0, 0.99] (default 0): on the embedding output,\n"
    "                           between stacked layers and before the head; never in eval or predict\n"
    "  --seed N                 seed of the initialisation (default 0)\n"
    "  --out FILE               where to write the checkpoint (required)\n"
    "  --force                  overwrite FILE if it exists\n"
    "\n"
    "Sequence-to-sequence models (encoder-decoder with attention) have their own flags:\n"
    "'rnnlab init --task reverse --help' (tasks: reverse, dates; docs/seq2seq.md).\n";

int cmd_init(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return fputs(init_help, stdout), 0;
    args a;
    args_init(&a, "init", argc, argv);
    rnl_config c = rnl_config_default(RNL_CELL_LSTM);
    c.hidden = 32;
    const char *cell = NULL, *out = NULL, *head = NULL, *task = NULL, *data = NULL;
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
        else if (args_is(&a, "--seed")) args_u64(&a, &seed);
        else if (args_is(&a, "--task")) args_str(&a, &task);
        else if (args_is(&a, "--data")) args_str(&a, &data);
        else if (args_is(&a, "--out")) args_str(&a, &out);
        else if (args_is(&a, "--force")) force = 1;
        else args_unknown(&a);
    }
    if (a.failed) return 2;
    if (!cell) return args_error(&a, "--cell is required (rnn, lstm or gru)"), 2;
    if (!out) return args_error(&a, "--out is required"), 2;
    if (!cli_parse_cell(&a, "--cell", cell, &c.cell)) return 2;
    if (head) {
        if (strcmp(head, "binary") == 0) c.head = RNL_HEAD_BINARY;
        else if (strcmp(head, "classes") == 0) c.head = RNL_HEAD_CLASSES;
        else if (strcmp(head, "regression") == 0) c.head = RNL_HEAD_REGRESSION;
        else return args_error(&a, "--head must be binary, classes N or regression, not '%s'", head), 2;
    }
    if (task) {
        rnl_task t;
        if (rnl_task_parse(task, &t)) return args_error(&a, "%s", rnl_last_error()), 2;
        rnl_task_shape(t, &c);
    }
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
    rnl_dataset_destroy(ds);
    rnl_model_destroy(m);
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
    int vector = strncmp(leaf, "bias", 4) == 0 || strncmp(leaf, "b_", 2) == 0 || strcmp(leaf, "v") == 0;
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
    rnl_model *m;
    rnl_optimizer *o;
    if (rnl_checkpoint_load(path, &m, &o)) return cli_error("info", "%s", rnl_last_error());
    const rnl_config *c = rnl_model_config(m);
    printf("%s\n  cell %s, layers %d, hidden %d%s\n", path, rnl_cell_name(c->cell), c->layers, c->hidden, c->bidirectional ? ", bidirectional" : "");
    if (c->vocab) printf("  input: tokens, vocab %d, embed %d\n", c->vocab, c->embed);
    else printf("  input: %d real-valued feature%s per step\n", c->input_size, c->input_size > 1 ? "s" : "");
    printf("  head: %s, %d output%s, %s\n", rnl_head_name(c->head), c->outputs, c->outputs > 1 ? "s" : "", c->seq2seq ? "every step" : "one per sequence");
    if (c->dropout > 0) printf("  dropout %g in training\n", c->dropout);
    cli_print_optimizer(o, "steps done", "none yet (untrained)");
    printf("  %zu parameters:\n", rnl_model_num_params(m));
    for (int i = 0; i < rnl_model_num_tensors(m); i++) {
        const rnl_tensor_info *t = rnl_model_tensor(m, i);
        char shape[32];
        cli_tensor_shape(t, shape, sizeof shape);
        printf("    %-28s %-12s offset %zu\n", t->name, shape, t->offset);
    }
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
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
    rnl_model *m;
    if (rnl_checkpoint_load(model, &m, NULL)) return cli_error("grad", "%s", rnl_last_error());
    char *text = NULL;
    size_t n;
    json_doc *doc = NULL;
    batch_json ob;
    memset(&ob, 0, sizeof ob);
    int rc = 0;
    rnl_real loss;
    if (cli_read_file(batch, JSON_MAX_BYTES, &text, &n)) rc = cli_error("grad", "%s", rnl_last_error());
    else if (json_parse(text, n, &doc)) rc = cli_error("grad", "%s: %s", batch, rnl_last_error());
    else if (batch_json_read(json_root(doc), rnl_model_config(m), &ob)) rc = cli_error("grad", "%s: %s", batch, rnl_last_error());
    else {
        rnl_batch b = {ob.B, ob.T, ob.tokens, ob.inputs, ob.lengths, ob.targets};
        rnl_model_zero_grad(m);
        if (rnl_model_forward(m, &b, &loss) || rnl_model_backward(m, window)) rc = cli_error("grad", "%s: %s", batch, rnl_last_error());
    }
    if (!rc) {
        const rnl_real *g = rnl_model_grads(m);
        printf("{\"loss\": %.9g, \"grad_norm\": %.9g, \"grads\": {", (double)loss, rnl_grad_norm(g, rnl_model_num_params(m)));
        for (int i = 0; i < rnl_model_num_tensors(m); i++) {
            const rnl_tensor_info *t = rnl_model_tensor(m, i);
            printf("%s\n  \"%s\": ", i ? "," : "", t->name);
            print_tensor(g + t->offset, t);
        }
        printf("\n}}\n");
    }
    batch_json_free(&ob);
    json_free(doc);
    free(text);
    rnl_model_destroy(m);
    return rc;
}

// test_cli.c: the rnnlab command as a user runs it: the documented forms work, `--help` works on every
// command, and wrong flags or bad files give a message on stderr and a non-zero exit status.
#define _POSIX_C_SOURCE 200809L  // popen, mkdtemp
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/rnl_cli_XXXXXX";
static const char *cli;
static char out[1 << 20];  // grad prints every gradient: room for all of it

// Runs `rnnlab ARGS` (stderr folded into the output) and returns its exit status.
static int run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = tu_cli_vrun(out, sizeof out, dir, cli, fmt, ap);
    va_end(ap);
    return rc;
}

// The bytes of a file in the test directory (at most cap); returns how many were read.
static size_t read_bytes(const char *name, uint8_t *buf, size_t cap) { return tu_read_file(dir, name, buf, cap); }

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

#define EXPECT(status, substring, ...)                                                              \
    do {                                                                                            \
        int rc_ = run(__VA_ARGS__);                                                                 \
        CHECK(rc_ == (status) && strstr(out, substring) != NULL,                                    \
              "exit %d (expected %d), output lacks \"%s\":\n%.2000s", rc_, status, substring, out);  \
    } while (0)

int main(void) {
    cli = getenv("RNL_CLI");
    if (!cli) cli = "./rnnlab";
    if (!mkdtemp(dir)) return 1;

    EXPECT(0, "usage: rnnlab <command>", "--help");
    const char *cmds[] = {"init", "info", "grad", "train", "eval"};
    for (int i = 0; i < 5; i++) EXPECT(0, "usage: rnnlab", "%s --help", cmds[i]);
    EXPECT(2, "unknown command 'fly'", "fly");

    // The forms, as written.
    EXPECT(0, "wrote m.rnl: lstm, 2 layers bidirectional, hidden 16", "init --cell lstm --vocab 100 --embed 8 --hidden 16 --layers 2 --bidirectional --seed 7 --out m.rnl");
    EXPECT(1, "m.rnl exists", "init --cell lstm --vocab 100 --embed 8 --out m.rnl");
    write_file("batch.json", "{\"tokens\": [[5, 3, 99, 1], [2, 7], [42]], \"targets\": [1, 0, 1]}");
    EXPECT(0, "\"rnn.weight_hh_l1_reverse\": [[", "grad --model m.rnl --batch batch.json");
    CHECK(strstr(out, "{\"loss\": ") == out, "grad prints JSON starting with the loss: %.80s", out);
    EXPECT(0, "wrote add.rnl: gru", "init --cell gru --input-size 2 --hidden 32 --head regression --seed 1 --out add.rnl");
    EXPECT(0, "{\"done\": true, \"steps\": 30", "train --model add.rnl --task adding --length 50 --steps 30 --json");
    CHECK(strstr(out, "\"grad_norm\"") && strstr(out, "\"eval\""), "train --json prints step metrics and evaluations:\n%s", out);
    EXPECT(0, "\"mse\": ", "eval --model add.rnl --task adding --length 50 --json");
    EXPECT(0, "test MSE", "eval --model add.rnl --task adding --length 50");
    EXPECT(0, "30 steps done", "info --model add.rnl");  // the optimizer state was saved: training resumes

    // PyTorch's shapes, also where a weight has one column (input_size 1, hidden 1): weight_ih_l0 is
    // (3, 1) and its gradient a list of rows; a bias stays a flat list.
    EXPECT(0, "wrote one.rnl: gru", "init --cell gru --input-size 1 --hidden 1 --head regression --out one.rnl");
    EXPECT(0, "rnn.weight_ih_l0             (3, 1)       offset 0", "info --model one.rnl");
    CHECK(strstr(out, "rnn.bias_hh_l0               (3)          offset 9") && strstr(out, "head.weight                  (1, 1)"),
          "info gives PyTorch's shapes:\n%s", out);
    write_file("one.json", "{\"inputs\": [[0.5, -1], [2]], \"targets\": [0.3, 1]}");
    EXPECT(0, "\"rnn.weight_ih_l0\": [[", "grad --model one.rnl --batch one.json");
    const char *bias = strstr(out, "\"rnn.bias_ih_l0\": [");
    CHECK(bias && bias[19] != '[', "a bias's gradient is a flat list:\n%s", out);
    CHECK(strstr(out, "\"head.weight\": [[") && !strstr(out, "\"head.bias\": [["), "head.weight (1, 1), head.bias (1):\n%s", out);

    // init --data on a series (docs/checkpoint-format.md): embed 0, flag bit 1, and after the parameters
    // the u64 length M and the whole data file; the file is 132 + 4P + M bytes. --embed is refused.
    char csv[2048] = "day,v\n";
    for (int i = 0; i < 40; i++) snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%d,%d.%d\n", i, 10 + i % 7, i % 10);
    write_file("s.csv", csv);
    EXPECT(0, "wrote s.rnld", "data --source s.csv --column v --window 4 --out s.rnld");
    EXPECT(2, "s.rnld is a series of real values: leave out --embed", "init --cell gru --data s.rnld --embed 8 --out s.rnl");
    EXPECT(2, "--task adding has real-valued inputs: leave out --embed", "init --cell gru --task adding --embed 8 --out s.rnl");
    EXPECT(0, "wrote s.rnl: gru", "init --cell gru --data s.rnld --hidden 3 --out s.rnl");
    static uint8_t data[4096], ck[8192];
    size_t dn = read_bytes("s.rnld", data, sizeof data), cn = read_bytes("s.rnl", ck, sizeof ck);
    uint64_t P = cn >= 128 ? le64(ck + 64) : 0;
    size_t at = 120 + 4 * (size_t)P;
    CHECK(dn > 124 && cn > 128 && ck[12] == 2 && ck[20] == 0 && ck[24] == 0 && ck[28] == 1,
          "series checkpoint: flags %d, vocab %d, embed %d, input_size %d", ck[12], ck[20], ck[24], ck[28]);
    CHECK(cn == 132 + 4 * P + dn && le64(ck + at) == dn && memcmp(ck + at + 8, data, dn) == 0,
          "series checkpoint of %zu bytes: 132 + 4 * %llu + the %zu-byte data file after its length", cn, (unsigned long long)P, dn);

    // --keep-best (a series: judged on validation loss): the file ends up with the same bytes as the best
    // epoch trained on its own (same seed, same epoch orders), and epochs that do not improve write nothing.
    EXPECT(0, "wrote kb.rnl", "init --cell gru --data s.rnld --hidden 3 --seed 2 --dropout 0.1 --out kb.rnl");
    EXPECT(0, "holds epoch", "train --model kb.rnl --data s.rnld --epochs 4 --seed 9 --lr 0.05 --batch 4 --keep-best");
    int kept = 0, improved = 0;
    const char *holds = strstr(out, "kb.rnl holds epoch ");
    if (holds) kept = atoi(holds + strlen("kb.rnl holds epoch "));
    for (const char *q = out; (q = strstr(q, "is the best so far: wrote kb.rnl")) != NULL; q++) improved++;
    CHECK(strstr(out, "saved kb.rnl") == NULL, "keep-best does not save the last epoch:\n%s", out);
    EXPECT(0, "wrote ep0.rnl", "init --cell gru --data s.rnld --hidden 3 --seed 2 --dropout 0.1 --out ep0.rnl");
    double best_loss = INFINITY;
    int best_epoch = 0, should_improve = 0;
    for (int e = 1; e <= 4; e++) {
        EXPECT(0, "saved", "train --model ep%d.rnl --data s.rnld --epochs 1 --seed 9 --lr 0.05 --batch 4 --out ep%d.rnl", e - 1, e);
        EXPECT(0, "\"mse\": ", "eval --model ep%d.rnl --data s.rnld --split val --json", e);
        double loss = strtod(strstr(out, "\"mse\": ") + 7, NULL);
        if (loss < best_loss) best_loss = loss, best_epoch = e, should_improve++;
    }
    static uint8_t kb[8192], eb[8192];
    char name[32];
    snprintf(name, sizeof name, "ep%d.rnl", best_epoch);
    size_t kn = read_bytes("kb.rnl", kb, sizeof kb), en = read_bytes(name, eb, sizeof eb);
    CHECK(kept == best_epoch && improved == should_improve && kn == en && kn > 0 && memcmp(kb, eb, kn) == 0,
          "keep-best kept epoch %d after %d improvements; epoch by epoch the best is %d after %d; same bytes: %d", kept, improved,
          best_epoch, should_improve, kn == en && memcmp(kb, eb, kn) == 0);
    // Resumed, the file's own score is the mark to beat; --patience 1 stops at the first epoch that misses it.
    EXPECT(0, "to beat", "train --model kb.rnl --data s.rnld --epochs 30 --seed 9 --lr 0.05 --batch 4 --keep-best --patience 1");
    CHECK(strstr(out, "not better") && strstr(out, "no improvement for 1 epoch: stopping"), "patience 1 stops:\n%s", out);
    EXPECT(0, "--schedule none|cosine|step", "train --help");
    EXPECT(0, "saved", "train --model ep4.rnl --data s.rnld --epochs 1 --schedule cosine --warmup 3 --out sch.rnl");
    EXPECT(2, "--keep-best chooses among epochs of a data set", "train --model add.rnl --task adding --keep-best");
    EXPECT(2, "--patience counts epochs without improvement: it needs --keep-best", "train --model kb.rnl --data s.rnld --patience 2");
    EXPECT(2, "--schedule must be none, cosine or step, not 'linear'", "train --model kb.rnl --data s.rnld --schedule linear");
    EXPECT(2, "--warmup is -1, must be in 0..100000000", "train --model kb.rnl --data s.rnld --warmup -1");
    EXPECT(2, "--gamma is 2, must be in [1e-06, 1]", "train --model kb.rnl --data s.rnld --schedule step --gamma 2");
    EXPECT(2, "--dropout is 1, must be in [0, 0.99]", "init --cell gru --task copy --dropout 1 --out x.rnl");
    EXPECT(0, "dropout 0.1 in training", "info --model kb.rnl");
    // A pooled head: init --pool, info names it, train and grad run with it; a wrong pool lists the choices.
    EXPECT(0, "the head reads the mean of all states", "init --cell gru --data s.rnld --hidden 3 --seed 2 --pool mean --out pm.rnl");
    EXPECT(0, "pool: mean (the head reads the mean of all states)", "info --model pm.rnl");
    EXPECT(0, "pool: last (the head reads the last state)", "info --model kb.rnl");
    EXPECT(0, "saved", "train --model pm.rnl --data s.rnld --epochs 1 --out pm.rnl");
    EXPECT(0, "\"grads\"", "grad --model pm.rnl --batch one.json");
    EXPECT(2, "--pool must be last, mean or max, not 'avg'", "init --cell gru --task copy --pool avg --out x.rnl");
    EXPECT(2, "--pool max pools a sequence-to-one model's steps; sine has an output at every step",
           "init --cell gru --task sine --pool max --out x.rnl");

    // baseline on reviews without a validation split names it as missing (it printed "nan").
    EXPECT(0, "wrote nv.rnld", "data --source '%s' --train 6 --val 0 --test 6 --vocab 100 --max-len 50 --out nv.rnld",
           tu_source_path("tests/fixtures/aclImdb_mini/aclImdb"));
    EXPECT(0, "validation none (no validation split), test 0.", "baseline --data nv.rnld");
    CHECK(strstr(out, "nan") == NULL, "no 'nan' in the baseline's output:\n%s", out);

    // Wrong flags and bad input.
    EXPECT(2, "unknown flag '--hiden'", "init --cell lstm --hiden 3 --out x.rnl");
    EXPECT(2, "--hidden expects a whole number, got 'big'", "init --cell lstm --hidden big --out x.rnl");
    EXPECT(2, "--cell must be rnn, lstm or gru", "init --cell mamba --input-size 1 --out x.rnl");
    EXPECT(2, "flag --out needs a value", "init --cell lstm --out");
    EXPECT(1, "give either vocab and embed", "init --cell lstm --out x.rnl");
    EXPECT(1, "the model does not fit task 'copy'", "train --model add.rnl --task copy --steps 1");
    EXPECT(2, "unknown task 'juggle'", "train --model add.rnl --task juggle");
    write_file("garbage.rnl", "this is not a model\n");
    EXPECT(1, "garbage.rnl: checkpoint: not an rnnlab checkpoint", "train --model garbage.rnl --task adding");
    EXPECT(1, "is a directory", "info --model .");
    write_file("bad.json", "{\"tokens\": [[1, 2], [3,]], \"targets\": [1, 0]}");
    EXPECT(1, "bad.json: line 1, column 24: unexpected character", "grad --model m.rnl --batch bad.json");
    write_file("oov.json", "{\"tokens\": [[1, 200]], \"targets\": [1]}");
    EXPECT(1, "token id 200 is outside the vocabulary 0..99", "grad --model m.rnl --batch oov.json");
    write_file("short.json", "{\"tokens\": [[1, 2]], \"targets\": [1, 0]}");
    EXPECT(1, "one entry per sequence", "grad --model m.rnl --batch short.json");

    // Exploding on purpose: huge learning rate with plain SGD and no clipping. Training stops, says why,
    // and the checkpoint holds the last good parameters (it still loads).
    EXPECT(0, "wrote boom.rnl", "init --cell rnn --task adding --hidden 64 --forget-bias 1 --seed 3 --out boom.rnl");
    EXPECT(1, "learning rate may be too high", "train --model boom.rnl --task adding --length 100 --steps 200 --optim sgd --lr 90 --clip 0");
    EXPECT(0, "cell rnn", "info --model boom.rnl");

    // A Transformer encoder: the same commands, by the checkpoint's magic (docs/checkpoint-format.md).
    EXPECT(0, "usage: rnnlab init --cell transformer", "init --cell transformer --help");
    EXPECT(0, "wrote tf.rnl: transformer, 2 layers, hidden 16, 4 heads, ffn 32", "init --cell transformer --task adding --hidden 16 --heads 4 --layers 2 --ffn 32 --seed 1 --out tf.rnl");
    EXPECT(0, "layers.1.self_attn.in_proj_weight (48, 16)", "info --model tf.rnl");
    CHECK(strstr(out, "layers.0.norm2.weight        (16)") && strstr(out, "in_proj_bias (48)"), "info gives PyTorch's shapes:\n%s", out);
    EXPECT(0, "{\"done\": true, \"steps\": 20", "train --model tf.rnl --task adding --length 20 --steps 20 --json");
    EXPECT(0, "test MSE", "eval --model tf.rnl --task adding --length 20");
    EXPECT(0, "20 steps done", "info --model tf.rnl");
    EXPECT(0, "wrote tft.rnl: transformer", "init --cell transformer --vocab 100 --hidden 8 --heads 2 --layers 1 --out tft.rnl");
    EXPECT(0, "\"layers.0.self_attn.out_proj.weight\": [[", "grad --model tft.rnl --batch batch.json");
    CHECK(strstr(out, "\"layers.0.norm1.bias\": [") && !strstr(out, "\"layers.0.norm1.bias\": [["), "a LayerNorm's gradient is a flat list");
    EXPECT(1, "token id 200 is outside the vocabulary 0..99", "grad --model tft.rnl --batch oov.json");
    EXPECT(1, "a Transformer has no recurrence to truncate", "grad --model tft.rnl --batch batch.json --bptt 2");
    EXPECT(0, "wrote tfs.rnl: transformer", "init --cell transformer --data s.rnld --hidden 8 --heads 2 --out tfs.rnl");
    EXPECT(2, "--heads 3 does not divide --hidden 16", "init --cell transformer --task adding --hidden 16 --heads 3 --out x.rnl");
    EXPECT(2, "--heads is a Transformer's setting: add --cell transformer", "init --cell lstm --task adding --heads 2 --out x.rnl");
    EXPECT(2, "leave out --embed", "init --cell transformer --vocab 10 --embed 8 --out x.rnl");
    EXPECT(2, "--bidirectional is a recurrent model's setting", "init --cell transformer --task adding --bidirectional --out x.rnl");
    EXPECT(2, "--positions must be sinusoidal or none", "init --cell transformer --task adding --positions learned --out x.rnl");
    EXPECT(2, "--ffn is 0, must be in 1..16384", "init --cell transformer --task adding --ffn 0 --out x.rnl");
    EXPECT(2, "a Transformer here predicts one value per sequence", "init --cell transformer --task sine --out x.rnl");
    EXPECT(1, "the model does not fit task 'copy'", "train --model tf.rnl --task copy --steps 1");
    EXPECT(1, "a Transformer has no recurrence to truncate", "train --model tf.rnl --task adding --bptt 5 --steps 1");
    EXPECT(0, "no positions", "init --cell transformer --task adding --hidden 8 --heads 2 --positions none --out nopos.rnl");

    // Sequence-to-sequence: the same commands route to the encoder-decoder for its tasks and checkpoints.
    EXPECT(0, "usage: rnnlab init --task reverse", "init --task reverse --help");
    EXPECT(0, "dot attention", "init --task reverse --length 6 --cell gru --attention dot --hidden 8 --seed 1 --out rev.rnl");
    EXPECT(0, "saved rev.rnl after 20 steps", "train --model rev.rnl --steps 20");
    EXPECT(0, "greedy decoding", "eval --model rev.rnl");
    EXPECT(0, "attention, % (rows: output, columns: input)", "decode --model rev.rnl --input abcdef");
    EXPECT(1, "", "decode --model rev.rnl --input 'ABC!'");
    EXPECT(1, "not an rnnlab", "decode --model garbage.rnl --input abc");

    char cleanup[600];
    snprintf(cleanup, sizeof cleanup, "rm -rf %s", dir);
    if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return tu_summary("test_cli");
}

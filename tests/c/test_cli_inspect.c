// test_cli_inspect.c: `rnnlab inspect` and `rnnlab embeddings` as a user runs them (test_cli.c's style),
// on models trained here from the hand-made reviews of tests/fixtures/aclImdb_mini; and `rnnlab train`
// recording the training history in the checkpoint (flag bit 2, one 24-byte point per step, growing on
// a resumed run). Wrong flags and unfit models give a message and a non-zero status.
#define _POSIX_C_SOURCE 200809L  // popen, mkdtemp
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/rnl_cli_inspect_XXXXXX";
static const char *cli;
static char out[1 << 20];

// Runs `rnnlab ARGS` (stderr folded into the output) and returns its exit status.
static int run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = tu_cli_vrun(out, sizeof out, dir, cli, fmt, ap);
    va_end(ap);
    return rc;
}

static size_t read_bytes(const char *name, uint8_t *buf, size_t cap) { return tu_read_file(dir, name, buf, cap); }

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static int count_of(const char *s, const char *what) {
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

// The number after the last occurrence of `key` in out (NAN if none).
static double last_number(const char *key) {
    const char *p = NULL;
    for (const char *q = strstr(out, key); q; q = strstr(q + 1, key)) p = q;
    return p ? strtod(p + strlen(key), NULL) : NAN;
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
    EXPECT(0, "usage: rnnlab inspect", "inspect --help");
    EXPECT(0, "usage: rnnlab embeddings", "embeddings --help");
    EXPECT(0, "inspect ", "--help");

    EXPECT(0, "wrote mini.rnld", "data --source '%s' --train 4 --val 2 --test 4 --vocab 30 --max-len 12 --out mini.rnld",
           tu_source_path("tests/fixtures/aclImdb_mini"));
    EXPECT(0, "wrote lstm.rnl", "init --cell lstm --hidden 4 --embed 5 --data mini.rnld --seed 2 --out lstm.rnl");
    EXPECT(0, "wrote gru.rnl", "init --cell gru --hidden 4 --embed 5 --data mini.rnld --seed 2 --out gru.rnl");

    // History: none before training; one point per step after, and more after a resumed run.
    static uint8_t buf[1 << 16];
    size_t n0 = read_bytes("lstm.rnl", buf, sizeof buf);
    CHECK(n0 > 16 && (buf[12] & 4) == 0, "a fresh model has no history (flags %d)", buf[12]);
    EXPECT(0, "saved lstm.rnl after 2 steps", "train --model lstm.rnl --data mini.rnld --epochs 1 --batch 2");
    EXPECT(0, "saved gru.rnl after 2 steps", "train --model gru.rnl --data mini.rnld --epochs 1 --batch 2");
    size_t n1 = read_bytes("lstm.rnl", buf, sizeof buf);
    CHECK(buf[12] & 4, "history flagged after train");
    CHECK(n1 > 32 && le64(buf + n1 - 4 - 2 * 24 - 8) == 2, "2 points, at the end before the CRC");
    EXPECT(0, "saved lstm.rnl after 2 steps (4 in all)", "train --model lstm.rnl --data mini.rnld --epochs 1 --batch 2");
    size_t n2 = read_bytes("lstm.rnl", buf, sizeof buf);
    CHECK(n2 == n1 + 2 * 24 && le64(buf + n2 - 4 - 4 * 24 - 8) == 4, "a resumed run appends (%zu -> %zu)", n1, n2);
    // The last point's step and its held-out figures (the validation check after the epoch).
    const uint8_t *last = buf + n2 - 4 - 24;
    CHECK(last[0] == 4 && last[1] == 0, "last point at step 4");
    float vl;
    memcpy(&vl, last + 16, 4);
    CHECK(vl == vl && vl > 0, "the validation loss is on the last point (%g)", vl);

    // inspect: one entry per token; P(positive) after the last one is predict's.
    const char *text = "a wonderful , moving film";
    EXPECT(0, "\"positive\"", "predict --model lstm.rnl --text '%s' --json", text);
    double p_predict = last_number("\"positive\": ");
    EXPECT(0, "\"tokens\": [", "inspect --model lstm.rnl --text '%s' --json --units 0,3", text);
    CHECK(count_of(out, "\"word\": ") == 5, "5 tokens: %d", count_of(out, "\"word\": "));
    CHECK(count_of(out, "\"unit\": 3") == 5 && count_of(out, "\"unit\": 0") == 5, "two units per token");
    CHECK(count_of(out, "\"gates\": [") == 10 && strstr(out, "\"gate_names\": [\"i\", \"f\", \"g\", \"o\"]"), "LSTM gates");
    CHECK(count_of(out, "\"cell\": ") == 5 + 1, "cell paths and c per token, plus the cell name");
    double p_last = last_number("\"positive\": ");
    CHECK(fabs(p_last - p_predict) < 1e-5, "last token's P(positive) %g = predict's %g", p_last, p_predict);
    CHECK(strstr(out, "\"fitted_on\": \"this review\", \"points\": 5"), "projection over the review's own states");
    EXPECT(0, "\"paths\": {\"direct\"", "inspect --model gru.rnl --text '%s' --json --label 1", text);
    CHECK(strstr(out, "\"label\": 1"), "the label followed");
    EXPECT(0, "\"cloud\": [", "inspect --model gru.rnl --text '%s' --json --data mini.rnld", text);
    CHECK(count_of(out, "\"label\": ") == 4 + 1, "4 test reviews in the cloud: %d", count_of(out, "\"label\": ") - 1);
    CHECK(strstr(out, "\"fitted_on\": \"test reviews\", \"points\": 4"), "projection over the test reviews");
    EXPECT(0, "state path: PCA over this review's states (5 points", "inspect --model gru.rnl --text '%s'", text);

    // embeddings: N words, neighbours, which map separates better.
    EXPECT(0, "\"best\": ", "embeddings --model lstm.rnl --words 6 --neighbours 3 --json");
    CHECK(count_of(out, "\"effect\": ") == 6 && count_of(out, "\"cos\": ") == 18, "6 words with 3 neighbours each");
    EXPECT(0, "sentiment separation", "embeddings --model gru.rnl --words 1000");  // clipped to the vocabulary
    EXPECT(0, "film:", "embeddings --model gru.rnl --word film --neighbours 2");
    EXPECT(0, "\"data_separation\": {\"pca\": ", "embeddings --model gru.rnl --words 8 --neighbours 0 --data mini.rnld --json");
    CHECK(count_of(out, "\"polarity\": ") == 8, "a polarity per word");
    EXPECT(0, "own sentiment", "embeddings --model gru.rnl --words 8 --neighbours 0 --data mini.rnld");

    // Refusals.
    EXPECT(2, "--units takes unit numbers in 0..3", "inspect --model lstm.rnl --text 'a film' --units 0,4");
    EXPECT(2, "--layer is 1, the model has layers 0..0", "inspect --model lstm.rnl --text 'a film' --layer 1");
    EXPECT(2, "--label", "inspect --model lstm.rnl --text 'a film' --label 2");
    EXPECT(2, "--model and one of --text or --file are required", "inspect --model lstm.rnl");
    EXPECT(1, "'zyzzyva' is not in lstm.rnl's vocabulary", "embeddings --model lstm.rnl --word zyzzyva");
    EXPECT(0, "wrote task.rnl", "init --cell gru --task copy --hidden 4 --out task.rnl");
    EXPECT(1, "task.rnl has no vocabulary", "inspect --model task.rnl --text 'a film'");
    EXPECT(1, "task.rnl has no vocabulary", "embeddings --model task.rnl");
    EXPECT(0, "wrote bi.rnl", "init --cell lstm --hidden 4 --embed 5 --data mini.rnld --bidirectional --out bi.rnl");
    EXPECT(1, "bi.rnl is bidirectional", "inspect --model bi.rnl --text 'a film'");
    EXPECT(1, "cannot open", "inspect --model nothere.rnl --text 'a film'");
    EXPECT(0, "history: 4 steps (1..4), last loss", "info --model lstm.rnl");
    EXPECT(0, "wrote tf.rnl", "init --cell transformer --hidden 8 --heads 2 --layers 1 --data mini.rnld --out tf.rnl");
    EXPECT(1, "tf.rnl is a Transformer encoder: inspect reads the cells of a recurrent model", "inspect --model tf.rnl --text 'a film'");
    // A Transformer records the same history: none before training, one point per step after, in its own file.
    size_t t0 = read_bytes("tf.rnl", buf, sizeof buf);
    CHECK(t0 > 16 && (buf[12] & 4) == 0, "a fresh Transformer has no history (flags %d)", buf[12]);
    EXPECT(0, "saved tf.rnl after 2 steps", "train --model tf.rnl --data mini.rnld --epochs 1 --batch 2");
    size_t t1 = read_bytes("tf.rnl", buf, sizeof buf);
    CHECK((buf[12] & 4) && t1 > 32 && le64(buf + t1 - 4 - 2 * 24 - 8) == 2, "the Transformer's 2 points, before the CRC");
    EXPECT(0, "history: 2 steps (1..2), last loss", "info --model tf.rnl");
    EXPECT(0, "saved tf.rnl after 2 steps (4 in all)", "train --model tf.rnl --data mini.rnld --epochs 1 --batch 2");
    size_t t2 = read_bytes("tf.rnl", buf, sizeof buf);
    CHECK(t2 == t1 + 2 * 24 && le64(buf + t2 - 4 - 4 * 24 - 8) == 4, "a resumed Transformer run appends (%zu -> %zu)", t1, t2);
    EXPECT(0, "history: 4 steps (1..4), last loss", "info --model tf.rnl");

    char cleanup[600];
    snprintf(cleanup, sizeof cleanup, "rm -rf %s", dir);
    if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return tu_summary("test_cli_inspect");
}

// test_cli_threads.c: `rnnlab train --threads N` and `rnnlab eval --threads N` as a user runs them: the
// checkpoints after N steps on 1, 2 and 4 threads are byte-identical (an LSTM with dropout on the copy
// task, batches of 21 rows; a Transformer; a GRU on a series data file), evaluation prints the same
// figures, and a bad count is refused with the range.
#define _POSIX_C_SOURCE 200809L  // popen, mkdtemp
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

static char dir[] = "/tmp/rnl_cli_threads_XXXXXX";
static const char *cli;
static char out[1 << 16];

// Runs `rnnlab ARGS` in the test directory (stderr folded in); returns its exit status.
static int run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = tu_cli_vrun(out, sizeof out, dir, cli, fmt, ap);
    va_end(ap);
    return rc;
}

#define EXPECT(status, substring, ...)                                                              \
    do {                                                                                            \
        int rc_ = run(__VA_ARGS__);                                                                 \
        CHECK(rc_ == (status) && strstr(out, substring) != NULL,                                    \
              "exit %d (expected %d), output lacks \"%s\":\n%.2000s", rc_, status, substring, out);  \
    } while (0)

// A whole file of the test directory (malloc'd; NULL if missing).
static uint8_t *slurp(const char *name, size_t *n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(size > 0 ? (size_t)size : 1);
    *n = b ? fread(b, 1, (size_t)size, f) : 0;
    fclose(f);
    return b;
}

// Trains copies of `model` with each thread count (`train_args` after --model) and compares the files.
static void same_checkpoints(const char *model, const char *train_args) {
    size_t n1 = 0, n = 0;
    uint8_t *one = NULL;
    for (int threads = 1; threads <= 4; threads *= 2) {
        char copy[64];
        snprintf(copy, sizeof copy, "t%d_%s", threads, model);
        EXPECT(0, "\"done\": true", "train --model %s --out %s %s --threads %d --json", model, copy, train_args, threads);
        uint8_t *got = slurp(copy, threads == 1 ? &n1 : &n);
        if (threads == 1) {
            one = got;
            CHECK(one && n1 > 100, "%s: %zu bytes after training", copy, n1);
            continue;
        }
        CHECK(one && got && n == n1 && memcmp(one, got, n) == 0, "%s: %s on %d threads differs from 1 thread's (%zu, %zu bytes)",
              model, train_args, threads, n, n1);
        free(got);
    }
    free(one);
}

int main(void) {
    cli = getenv("RNL_CLI");
    if (!cli) cli = "./rnnlab";
    if (!mkdtemp(dir)) return 1;

    EXPECT(0, "--threads N", "train --help");
    EXPECT(0, "--threads N", "eval --help");
    EXPECT(0, "--threads N[,N...]", "bench --help");

    EXPECT(0, "wrote lstm.rnl", "init --cell lstm --task copy --hidden 12 --dropout 0.2 --seed 3 --out lstm.rnl");
    same_checkpoints("lstm.rnl", "--task copy --length 17 --steps 5 --batch 21 --seed 9");
    EXPECT(0, "wrote tf.rnl", "init --cell transformer --task copy --hidden 8 --heads 2 --layers 1 --seed 3 --out tf.rnl");
    same_checkpoints("tf.rnl", "--task copy --length 9 --steps 4 --batch 19 --seed 9");

    // A series data file: training over epochs, then the test split evaluated in parallel batches.
    char csv[8192] = "day,v\n";
    for (int i = 0; i < 300; i++) snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%d,%d.%d\n", i, 10 + i % 7, i % 10);
    char path[512];
    snprintf(path, sizeof path, "%s/s.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(csv, f);
    fclose(f);
    EXPECT(0, "wrote s.rnld", "data --source s.csv --column v --window 6 --out s.rnld");
    EXPECT(0, "wrote gru.rnl", "init --cell gru --data s.rnld --hidden 8 --seed 2 --out gru.rnl");
    same_checkpoints("gru.rnl", "--data s.rnld --epochs 2 --batch 12");
    static char first[sizeof out];
    EXPECT(0, "\"mse\": ", "eval --model t1_gru.rnl --data s.rnld --json --threads 1");
    snprintf(first, sizeof first, "%s", out);
    for (int threads = 2; threads <= 4; threads++) {
        EXPECT(0, "\"mse\": ", "eval --model t1_gru.rnl --data s.rnld --json --threads %d", threads);
        CHECK(strcmp(out, first) == 0, "eval on %d threads:\n%s\non 1:\n%s", threads, out, first);
    }

    EXPECT(2, "--threads is 0, must be in 1..256", "train --model lstm.rnl --task copy --steps 1 --threads 0");
    EXPECT(2, "--threads is 999, must be in 1..256", "eval --model lstm.rnl --task copy --threads 999");
    EXPECT(2, "--threads takes up to 8 counts", "bench --threads 1,x");

    char cleanup[600];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return tu_summary("test_cli_threads");
}

// test_checkpoint.c: checkpoints round-trip exactly, with and without optimizer state, and every kind
// of bad file is refused with a message that says what is wrong; a failed save keeps the old file.
#define _POSIX_C_SOURCE 200809L  // mkdtemp
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static rnl_model *make_model(rnl_optimizer **o) {
    rnl_config c = rnl_config_default(RNL_CELL_GRU);
    c.vocab = 11, c.embed = 4, c.hidden = 5, c.layers = 2, c.bidirectional = 1;
    rnl_model *m;
    CHECK_OK(rnl_model_create(&m, &c, 99));
    if (o) {
        rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_ADAM);
        oc.clip = 2;
        CHECK_OK(rnl_optimizer_create(o, &oc, rnl_model_num_params(m)));
        size_t n;
        rnl_real *s = rnl_optimizer_state(*o, &n);
        for (size_t i = 0; i < n; i++) s[i] = (rnl_real)(i % 7) * 0.25f;
        rnl_optimizer_set_steps(*o, 12);
    }
    return m;
}

static void expect_error(const char *what, const uint8_t *b, size_t n, rnl_status want, const char *substring) {
    rnl_model *m = (rnl_model *)1;
    rnl_optimizer *o = (rnl_optimizer *)1;
    rnl_status st = rnl_checkpoint_read(b, n, &m, &o);
    CHECK(st == want && strstr(rnl_last_error(), substring) != NULL && m == NULL && o == NULL,
          "%s: got %s \"%s\", expected %s containing \"%s\"", what, rnl_status_name(st), rnl_last_error(), rnl_status_name(want), substring);
}

static void test_roundtrip(void) {
    rnl_optimizer *o;
    rnl_model *m = make_model(&o);
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_checkpoint_write(m, o, &buf, &n));
    rnl_model *m2;
    rnl_optimizer *o2;
    CHECK_OK(rnl_checkpoint_read(buf, n, &m2, &o2));
    if (m2 && o2) {
        CHECK(memcmp(rnl_model_config(m), rnl_model_config(m2), sizeof(rnl_config)) == 0, "config round-trips");
        CHECK(memcmp(rnl_model_params(m), rnl_model_params(m2), sizeof(rnl_real) * rnl_model_num_params(m)) == 0, "parameters round-trip exactly");
        size_t a, b;
        rnl_real *sa = rnl_optimizer_state(o, &a), *sb = rnl_optimizer_state(o2, &b);
        CHECK(a == b && memcmp(sa, sb, sizeof(rnl_real) * a) == 0, "optimizer state round-trips");
        CHECK(rnl_optimizer_steps(o2) == 12 && rnl_optimizer_config(o2)->clip == 2, "optimizer settings round-trip");
    }
    rnl_model_destroy(m2);
    rnl_optimizer_destroy(o2);

    // An LSTM header (with a valid CRC) whose sizes are each at their limit: 7.2 G parameters (the sum
    // worked out in test_run.c), refused and
    // named in 64 bits before anything is allocated (docs/checkpoint-format.md gives the offsets).
    uint8_t *big = malloc(n);
    memcpy(big, buf, n);
    tu_put32(big + 16, RNL_CELL_LSTM), tu_put32(big + 20, RNL_MAX_VOCAB), tu_put32(big + 24, RNL_MAX_WIDTH);
    tu_put32(big + 28, 0);
    tu_put32(big + 32, RNL_MAX_WIDTH), tu_put32(big + 36, RNL_MAX_LAYERS), tu_put32(big + 40, 1);
    tu_put32(big + 44, RNL_HEAD_CLASSES), tu_put32(big + 48, RNL_MAX_WIDTH), tu_put32(big + 52, 0);
    tu_reseal(big, n);
    rnl_model *huge = NULL;
    CHECK(rnl_checkpoint_read(big, n, &huge, NULL) == RNL_ERR_FORMAT && huge == NULL &&
              strstr(rnl_last_error(), "the model would have 7217090560 parameters, more than the limit"),
          "%s", rnl_last_error());
    free(big);

    // Every strict prefix is refused as truncated or foreign; none crashes.
    int all_refused = 1;
    for (size_t k = 0; k < n; k += (k < 200 ? 1 : 97)) {
        rnl_model *t = NULL;
        if (rnl_checkpoint_read(buf, k, &t, NULL) == RNL_OK) all_refused = 0, rnl_model_destroy(t);
    }
    CHECK(all_refused, "every truncated checkpoint is refused");

    uint8_t *bad = malloc(n + 8);
    memcpy(bad, buf, n);
    expect_error("empty", bad, 0, RNL_ERR_FORMAT, "not an rnnlab checkpoint");
    expect_error("truncated header", bad, 60, RNL_ERR_FORMAT, "truncated: 60 bytes");
    expect_error("truncated data", bad, n - 10, RNL_ERR_FORMAT, "truncated");
    memcpy(bad + n, "junkjunk", 8);
    expect_error("trailing bytes", bad, n + 8, RNL_ERR_FORMAT, "8 unexpected bytes after the end");
    memcpy(bad, "GIF89a\0\0", 8);
    expect_error("wrong magic", bad, n, RNL_ERR_FORMAT, "not an rnnlab checkpoint");
    memcpy(bad, buf, n);
    tu_put32(bad + 8, 2);
    expect_error("newer version", bad, n, RNL_ERR_FORMAT, "format version 2; this build of rnnlab reads version 1 (it was written by a newer rnnlab)");
    memcpy(bad, buf, n);
    bad[n / 2] ^= 0x40;
    expect_error("flipped bit", bad, n, RNL_ERR_FORMAT, "checksum mismatch");
    memcpy(bad, buf, n);
    tu_put32(bad + 32, 0x7fffffff);  // hidden = 2^31-1: refused before any allocation
    tu_reseal(bad, n);
    expect_error("huge hidden size", bad, n, RNL_ERR_FORMAT, "hidden is 2147483647");
    memcpy(bad, buf, n);
    tu_put32(bad + 36, (uint32_t)-3);  // layers = -3
    tu_reseal(bad, n);
    expect_error("negative layers", bad, n, RNL_ERR_FORMAT, "layers is -3");
    memcpy(bad, buf, n);
    tu_put32(bad + 120, 0x7fc00000u);  // the first parameter is NaN
    tu_reseal(bad, n);
    expect_error("NaN weight", bad, n, RNL_ERR_FORMAT, "parameter 0 is not a finite number");
    memcpy(bad, buf, n);
    tu_put32(bad + 64, 12345);  // parameter count disagrees with the configuration
    tu_reseal(bad, n);
    expect_error("wrong parameter count", bad, n, RNL_ERR_FORMAT, "holds 12345 parameters, but its configuration has");
    memcpy(bad, "RNLDATA", 8);
    expect_error("a data file", bad, n, RNL_ERR_FORMAT, "prepared data file, not a model checkpoint");
    free(bad);
    rnl_buffer_free(buf);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
}

static void test_meta(void) {
    rnl_model *m = make_model(NULL), *m2;
    const uint8_t meta[5] = {'h', 'e', 'l', 'l', 'o'};
    CHECK_OK(rnl_model_set_meta(m, meta, 5));
    uint8_t *buf;
    size_t n, mn;
    CHECK_OK(rnl_checkpoint_write(m, NULL, &buf, &n));
    CHECK_OK(rnl_checkpoint_read(buf, n, &m2, NULL));
    const uint8_t *back = m2 ? rnl_model_meta(m2, &mn) : NULL;
    CHECK(back && mn == 5 && memcmp(back, meta, 5) == 0, "meta bytes round-trip");
    rnl_model_destroy(m2);
    expect_error("meta cut short", buf, n - 7, RNL_ERR_FORMAT, "truncated");
    uint8_t *bad = malloc(n);
    memcpy(bad, buf, n);
    size_t at = n - 4 - 5 - 8;
    bad[at + 7] = 0x40;  // meta length 2^62
    tu_reseal(bad, n);
    expect_error("huge meta length", bad, n, RNL_ERR_FORMAT, "meta data of 4611686018427387909 bytes is outside");
    free(bad);
    rnl_buffer_free(buf);
    rnl_model_destroy(m);
}

static void test_files(void) {
    char dir[] = "/tmp/rnl_ckpt_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256], missing[256];
    snprintf(path, sizeof path, "%s/m.rnl", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/m.rnl", dir);
    rnl_optimizer *o;
    rnl_model *m = make_model(&o), *m2 = NULL;
    CHECK_OK(rnl_checkpoint_save(m, o, path));
    CHECK_OK(rnl_checkpoint_load(path, &m2, NULL));
    rnl_model_destroy(m2);
    struct stat before, after;
    stat(path, &before);
    CHECK(rnl_checkpoint_save(m, o, missing) == RNL_ERR_IO && strstr(rnl_last_error(), "cannot write"), "save into a missing directory: %s", rnl_last_error());
    stat(path, &after);
    CHECK(before.st_size == after.st_size, "a failed save leaves the existing checkpoint alone");
    CHECK(rnl_checkpoint_load(dir, &m2, NULL) == RNL_ERR_IO && strstr(rnl_last_error(), "is a directory"), "a directory: %s", rnl_last_error());
    CHECK(rnl_checkpoint_load(missing, &m2, NULL) == RNL_ERR_IO && strstr(rnl_last_error(), "No such file"), "missing file: %s", rnl_last_error());
    FILE *f = fopen(path, "wb");
    fclose(f);
    CHECK(rnl_checkpoint_load(path, &m2, NULL) == RNL_ERR_FORMAT && strstr(rnl_last_error(), path), "empty file names the file: %s", rnl_last_error());
    remove(path);
    rmdir(dir);
    rnl_optimizer_destroy(o);
    rnl_model_destroy(m);
}

// A pooled head (flag bits 8-9): it round-trips; a last-state model's bytes do not depend on the field's
// existence (the flags are those of before); a pool on a seq2seq model, or the unused value 3, is refused
// by name; a pooled model's predictions survive the round trip.
static uint32_t get_flags(const uint8_t *b) { return (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 | (uint32_t)b[15] << 24; }

static void test_pool(void) {
    rnl_optimizer *o;
    rnl_model *last = make_model(&o);
    uint8_t *buf;
    size_t n;
    CHECK_OK(rnl_checkpoint_write(last, o, &buf, &n));
    CHECK(get_flags(buf) == 1, "a last-state model with an optimizer writes flags 1, as before: 0x%x", get_flags(buf));
    rnl_buffer_free(buf);
    for (int pool = RNL_POOLING_MEAN; pool <= RNL_POOLING_MAX; pool++) {
        rnl_config c = *rnl_model_config(last);
        c.pool = (rnl_pooling)pool;
        rnl_model *m;
        CHECK_OK(rnl_model_create(&m, &c, 99));
        CHECK(memcmp(rnl_model_params(m), rnl_model_params(last), sizeof(rnl_real) * rnl_model_num_params(m)) == 0,
              "the pool draws nothing at initialisation: the same seed gives the same weights");
        CHECK_OK(rnl_checkpoint_write(m, o, &buf, &n));
        CHECK(get_flags(buf) == (1u | (uint32_t)pool << 8), "%s pool: flags 0x%x", rnl_pooling_name(c.pool), get_flags(buf));
        rnl_model *m2 = NULL;
        CHECK_OK(rnl_checkpoint_read(buf, n, &m2, NULL));
        if (m2) {
            CHECK(memcmp(rnl_model_config(m2), &c, sizeof c) == 0, "%s pool: the config round-trips", rnl_pooling_name(c.pool));
            int32_t tok[2 * 4] = {1, 2, 3, 4, 5, 6, 0, 0}, lens[2] = {4, 2};
            rnl_batch b = {2, 4, tok, NULL, lens, NULL};
            rnl_real p1[2], p2[2];
            CHECK_OK(rnl_model_forward(m, &b, NULL));
            memcpy(p1, rnl_model_predictions(m), sizeof p1);
            CHECK_OK(rnl_model_forward(m2, &b, NULL));
            memcpy(p2, rnl_model_predictions(m2), sizeof p2);
            CHECK(memcmp(p1, p2, sizeof p1) == 0, "%s pool: the loaded model predicts the same", rnl_pooling_name(c.pool));
            rnl_model_destroy(m2);
        }
        uint8_t *bad = malloc(n);
        memcpy(bad, buf, n);
        tu_put32(bad + 12, 1u | 3u << 8);
        tu_reseal(bad, n);
        expect_error("pool 3", bad, n, RNL_ERR_FORMAT, "pool is 3 (flags 0x301), must be 0 (last), 1 (mean) or 2 (max)");
        memcpy(bad, buf, n);
        tu_put32(bad + 52, 1);  // seq2seq with a pool (same parameter count)
        tu_reseal(bad, n);
        expect_error("pooled seq2seq", bad, n, RNL_ERR_FORMAT, "pooled head needs a sequence-to-one model");
        memcpy(bad, buf, n);
        tu_put32(bad + 12, 1u | (uint32_t)pool << 8 | 1u << 10);  // a bit past the pool's
        tu_reseal(bad, n);
        expect_error("unknown flag", bad, n, RNL_ERR_FORMAT, "unknown flags 0x");
        free(bad);
        rnl_buffer_free(buf);
        rnl_model_destroy(m);
    }
    rnl_optimizer_destroy(o);
    rnl_model_destroy(last);
}

int main(void) {
    test_roundtrip();
    test_pool();
    test_meta();
    test_files();
    return tu_summary("test_checkpoint");
}

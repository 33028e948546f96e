// test_data_movie.c: validation by whole movies (rnl_imdb_config.val_by_movie, `rnnlab data --val-by-movie`)
// on an archive made here: 40 training reviews per label whose train/urls_{pos,neg}.txt name movies of one
// to five reviews, some with both labels, the urls files after the reviews as in the official archive.
// No movie is in both train and validation; the counts are exact and balanced; the selection (train +
// val, test) is the one without the flag; the same bytes from a tar in chunks, a directory and the CLI;
// without the flag, urls files change nothing; each error names its problem.
#define _POSIX_C_SOURCE 200809L  // mkdtemp
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rnnlab_data.h"
#include "testutil.h"

#define NTRAIN 40  // reviews per label in train/
#define NTEST 10   // reviews per label in test/

// The movie of training review id k: pos, two per movie for k < 20 (movies 1000..1009), then one each;
// neg, three per movie for k < 21 (1000..1006: shared with pos), then one each. `pairs`: every movie has
// exactly two pos and two neg reviews (validation of one neg + one pos then cannot be filled).
static uint32_t movie_of(int label, int k, int pairs) {
    if (pairs) return 500 + (uint32_t)k / 2;
    if (label == 1) return k < 20 ? 1000 + (uint32_t)k / 2 : 2000 + (uint32_t)k;
    return k < 21 ? 1000 + (uint32_t)k / 3 : 3000 + (uint32_t)k;
}

static const char *LABEL[2] = {"neg", "pos"};

static void review_text(char *buf, size_t cap, int split, int label, int k) {
    snprintf(buf, cap, "Review %d of the %s %s split: a %s film, word%d and word%d.", k, split ? "test" : "train",
             LABEL[label], label ? "fine <br /> good" : "dull, bad", k % 7, (k * 3) % 11);
}

// urls_<label>.txt: `lines` lines (NTRAIN normally); bad_line > 0 spoils that line (1-based).
static void urls_text(tu_buf *b, int label, int lines, int pairs, int bad_line) {
    char line[128];
    for (int k = 0; k < lines; k++) {
        if (k + 1 == bad_line) snprintf(line, sizeof line, "http://www.imdb.com/name/nm%07d/usercomments\n", k);
        else snprintf(line, sizeof line, "http://www.imdb.com/title/tt%07u/usercomments\n", movie_of(label, k, pairs));
        tu_put(b, line, strlen(line));
    }
}

typedef struct {
    int urls[2];  // lines in urls_neg.txt and urls_pos.txt; 0: leave the file out
    int pairs, bad_line;
} fixture;

static const fixture FULL = {{NTRAIN, NTRAIN}, 0, 0};

// The archive: test reviews, train reviews, then the urls files (the official order).
static void make_tar(tu_buf *t, const fixture *fx) {
    char name[128], text[256];
    for (int s = 1; s >= 0; s--)
        for (int l = 0; l < 2; l++)
            for (int k = 0; k < (s ? NTEST : NTRAIN); k++) {
                snprintf(name, sizeof name, "aclImdb/%s/%s/%d_%d.txt", s ? "test" : "train", LABEL[l], k, l ? 7 + k % 4 : 1 + k % 4);
                review_text(text, sizeof text, s, l, k);
                tu_tar_member(t, name, '0', text, strlen(text), TU_USTAR);
            }
    for (int l = 0; l < 2; l++) {
        if (!fx->urls[l]) continue;
        tu_buf u = {0};
        urls_text(&u, l, fx->urls[l], fx->pairs, l == 1 ? fx->bad_line : 0);
        snprintf(name, sizeof name, "aclImdb/train/urls_%s.txt", LABEL[l]);
        tu_tar_member(t, name, '0', u.p, u.n, TU_USTAR);
        free(u.p);
    }
    tu_tar_end(t);
}

static rnl_imdb_config config(int n_train, int n_val, int by_movie) {
    rnl_imdb_config c = rnl_imdb_default();
    c.n_train = n_train, c.n_val = n_val, c.n_test = 2 * NTEST, c.vocab_words = 100, c.max_len = 20, c.seed = 5;
    c.keep_end = 1, c.val_by_movie = by_movie;
    return c;
}

// Builds from the tar fed `chunk` bytes at a time; *movies gets rnl_imdb_movies. NULL on failure.
static rnl_dataset *build(const tu_buf *t, const rnl_imdb_config *c, size_t chunk, int movies[2]) {
    rnl_imdb *im;
    rnl_dataset *ds = NULL;
    if (rnl_imdb_create(&im, c) != RNL_OK) return NULL;
    rnl_status st = RNL_OK;
    for (size_t off = 0; off < t->n && st == RNL_OK; off += chunk)
        st = rnl_imdb_feed_tar(im, t->p + off, t->n - off < chunk ? t->n - off : chunk);
    if (st == RNL_OK) st = rnl_imdb_end_tar(im);
    if (st == RNL_OK) st = rnl_imdb_build(im, &ds);
    if (movies) rnl_imdb_movies(im, &movies[0], &movies[1]);
    rnl_imdb_destroy(im);
    return ds;
}

static uint8_t *bytes_of(const rnl_dataset *ds, size_t *n) {
    uint8_t *p = NULL;
    *n = 0;
    if (ds) CHECK_OK(rnl_dataset_write(ds, &p, n));
    return p;
}

static int same_bytes(const rnl_dataset *a, const rnl_dataset *b) {
    size_t na, nb;
    uint8_t *pa = bytes_of(a, &na), *pb = bytes_of(b, &nb);
    int same = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

// Builds and expects a failure whose message contains `want`.
static void expect_error(const char *what, const fixture *fx, const rnl_imdb_config *c, const char *want) {
    tu_buf t = {0};
    make_tar(&t, fx);
    rnl_dataset *ds = build(&t, c, t.n, NULL);
    CHECK(ds == NULL && strstr(rnl_last_error(), want), "%s: expected an error with \"%s\", got %s", what, want,
          ds ? "a dataset" : rnl_last_error());
    rnl_dataset_destroy(ds);
    free(t.p);
}

// --- Tests ----------------------------------------------------------------------------------------

static void test_whole_movies(void) {
    tu_buf t = {0};
    make_tar(&t, &FULL);
    rnl_imdb_config c = config(60, 16, 1), plain = config(60, 16, 0);
    int movies[2] = {-1, -1};
    rnl_dataset *ds = build(&t, &c, t.n, movies), *ref = build(&t, &plain, t.n, NULL);
    CHECK(ds && ref, "builds: %s", rnl_last_error());
    if (!ds || !ref) goto out;
    CHECK(ds->n_train == 60 && ds->n_val == 16 && ds->n_test == 2 * NTEST && ds->val_by_movie == 1 && ref->val_by_movie == 0,
          "splits %d / %d / %d, val_by_movie %d", ds->n_train, ds->n_val, ds->n_test, ds->val_by_movie);

    // No movie on both sides; each split balanced; the movie counts are the distinct movies of each side.
    int seen[4000] = {0};  // bit 0: a train review of the movie, bit 1: a val review
    int labels[2][2] = {{0, 0}, {0, 0}};
    for (int i = 0; i < 76; i++) {
        int v = i >= 60;
        uint32_t m = movie_of(ds->labels[i], (int)ds->ids[i], 0);
        seen[m] |= 1 << v;
        labels[v][ds->labels[i]]++;
    }
    int in[2] = {0, 0}, both = 0;
    for (int m = 0; m < 4000; m++) {
        both += seen[m] == 3;
        in[0] += (seen[m] & 1) != 0;
        in[1] += (seen[m] & 2) != 0;
    }
    CHECK(both == 0, "%d movies are in both train and validation", both);
    CHECK(labels[0][0] == 30 && labels[0][1] == 30 && labels[1][0] == 8 && labels[1][1] == 8,
          "train %d neg / %d pos, val %d neg / %d pos", labels[0][0], labels[0][1], labels[1][0], labels[1][1]);
    CHECK(movies[0] == in[0] && movies[1] == in[1] && in[1] > 1, "rnl_imdb_movies %d / %d, counted %d / %d", movies[0], movies[1],
          in[0], in[1]);

    // The same reviews as without the flag: train + val as a set, test exactly (ids, labels, tokens).
    int a[2][NTRAIN] = {{0}}, b[2][NTRAIN] = {{0}}, mism = 0;
    for (int i = 0; i < 76; i++) a[ds->labels[i]][ds->ids[i]]++, b[ref->labels[i]][ref->ids[i]]++;
    for (int l = 0; l < 2; l++)
        for (int k = 0; k < NTRAIN; k++) mism += a[l][k] != b[l][k] || a[l][k] > 1;
    CHECK(mism == 0, "%d training-half reviews differ from the selection without the flag", mism);
    int64_t off = ds->offsets[76], roff = ref->offsets[76], n = ds->offsets[96] - off;
    int test_same = n == ref->offsets[96] - roff && memcmp(ds->tokens + off, ref->tokens + roff, sizeof(int32_t) * (size_t)n) == 0;
    for (int i = 76; i < 96; i++) test_same &= ds->ids[i] == ref->ids[i] && ds->labels[i] == ref->labels[i];
    CHECK(test_same, "the test split is the one without the flag");
    // Why the flag exists: the random validation of the same reviews shares movies with train.
    int rseen[4000] = {0}, rboth = 0;
    for (int i = 0; i < 76; i++) rseen[movie_of(ref->labels[i], (int)ref->ids[i], 0)] |= 1 << (i >= 60);
    for (int m = 0; m < 4000; m++) rboth += rseen[m] == 3;
    CHECK(rboth > 0, "the random validation split shares %d movies with train", rboth);

    // A model's meta bytes (the description) do not depend on how validation was drawn.
    size_t nd, nr;
    uint8_t *dd = NULL, *dr = NULL;
    CHECK_OK(rnl_dataset_write_description(ds, &dd, &nd));
    CHECK_OK(rnl_dataset_write_description(ref, &dr, &nr));
    CHECK(dd && dr && nd == nr && memcmp(dd, dr, nd) == 0, "the description is the one without the flag (%zu vs %zu bytes)", nd, nr);
    free(dd);
    free(dr);

    // Deterministic and order-free: tar bytes in 7-byte chunks give the same file.
    rnl_dataset *again = build(&t, &c, 7, NULL);
    CHECK(again && same_bytes(ds, again), "the same subset from 7-byte chunks");
    rnl_dataset_destroy(again);

    // Another seed: another partition, still whole movies.
    rnl_imdb_config c2 = c;
    c2.seed = 6;
    rnl_dataset *other = build(&t, &c2, t.n, NULL);
    CHECK(other && !same_bytes(ds, other), "another seed, another subset");
    rnl_dataset_destroy(other);

    // The flag in the file: bit 1 of the header's flags (offset 40), read back, described.
    size_t nb;
    uint8_t *p = bytes_of(ds, &nb);
    if (p) {
        CHECK(p[40] == 3 && p[41] == 0, "flags byte %d (keep_end 1 | val_by_movie 2)", p[40]);
        rnl_dataset *back = NULL;
        CHECK_OK(rnl_dataset_read(p, nb, "m.rnld", &back));
        CHECK(back && back->val_by_movie == 1 && back->keep_end == 1, "read back: val_by_movie %d", back ? back->val_by_movie : -1);
        char line[512];
        if (back) rnl_dataset_describe(back, line, sizeof line);
        CHECK(back && strstr(line, "validation holds whole movies"), "describe: %s", back ? line : "");
        rnl_dataset_destroy(back);
    }
    free(p);
out:
    rnl_dataset_destroy(ds);
    rnl_dataset_destroy(ref);
    free(t.p);
}

static void test_without_flag_unchanged(void) {
    tu_buf with = {0}, without = {0};
    fixture none = {{0, 0}, 0, 0};
    make_tar(&with, &FULL);
    make_tar(&without, &none);
    rnl_imdb_config c = config(60, 16, 0);
    rnl_dataset *a = build(&with, &c, with.n, NULL), *b = build(&without, &c, without.n, NULL);
    CHECK(a && b && same_bytes(a, b), "without the flag the urls files change nothing");
    size_t n;
    uint8_t *p = bytes_of(a, &n);
    CHECK(p && p[40] == 1, "flags byte %d: keep_end only", p ? p[40] : -1);
    free(p);
    int movies[2] = {-1, -1};
    rnl_dataset *d = build(&with, &c, with.n, movies);
    CHECK(movies[0] == 0 && movies[1] == 0, "no movies counted without the flag: %d / %d", movies[0], movies[1]);
    rnl_dataset_destroy(d);
    rnl_dataset_destroy(a);
    rnl_dataset_destroy(b);
    free(with.p);
    free(without.p);
}

static void test_errors(void) {
    rnl_imdb_config c = config(60, 16, 1);
    fixture no_neg = {{0, NTRAIN}, 0, 0}, no_pos = {{NTRAIN, 0}, 0, 0}, short_pos = {{NTRAIN, 30}, 0, 0}, bad = {{NTRAIN, NTRAIN}, 0, 5};
    expect_error("no urls_neg.txt", &no_neg, &c, "validation by movie needs aclImdb/train/urls_neg.txt");
    expect_error("no urls_pos.txt", &no_pos, &c, "validation by movie needs aclImdb/train/urls_pos.txt");
    expect_error("short urls_pos.txt", &short_pos, &c, "has no line in train/urls_pos.txt (it has 30 lines)");
    expect_error("a line that is not a title", &bad, &c, "urls_pos.txt': line 5 is not an IMDB title URL");

    // Every movie has two reviews of each label: one neg + one pos cannot be made of whole movies.
    fixture pairs = {{NTRAIN, NTRAIN}, 1, 0};
    rnl_imdb_config all = config(78, 2, 1);
    expect_error("unfillable", &pairs, &all, "whole movies cannot fill a validation split of 1 neg + 1 pos reviews");
    CHECK(strstr(rnl_last_error(), "try another validation size"), "the message suggests another size: %s", rnl_last_error());
    all.n_val = 4, all.n_train = 76;  // two whole movies fill it
    tu_buf t = {0};
    make_tar(&t, &pairs);
    rnl_dataset *ds = build(&t, &all, t.n, NULL);
    CHECK(ds != NULL, "val 4 of movies with 2 + 2 reviews: %s", rnl_last_error());
    rnl_dataset_destroy(ds);
    free(t.p);

    rnl_imdb *im = NULL;
    c.val_by_movie = 2;
    CHECK(rnl_imdb_create(&im, &c) == RNL_ERR_ARG && strstr(rnl_last_error(), "val_by_movie 2 is not 0 or 1"), "%s", rnl_last_error());
    rnl_imdb_destroy(im);

    // Reviews from a CSV have no movies.
    const char *csv = "text,label\ngood,1\nbad,0\nfine,1\ndull,0\n";
    rnl_imdb_config cc = config(RNL_TEXT_CSV_ALL, RNL_TEXT_CSV_ALL, 1);
    cc.n_test = RNL_TEXT_CSV_ALL;
    rnl_dataset *cd = NULL;
    CHECK(rnl_text_csv_dataset("r.csv", csv, strlen(csv), &cc, &cd, NULL) == RNL_ERR_ARG &&
              strstr(rnl_last_error(), "r.csv: validation by movie is for the IMDB archive"), "%s", rnl_last_error());
    rnl_dataset_destroy(cd);
}

// --- A directory and the CLI ----------------------------------------------------------------------

static char dir[] = "/tmp/rnl_movie_XXXXXX";

static void put_file(const char *rel, const void *data, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *s = strchr(path + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        mkdir(path, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "wb");
    if (f) fwrite(data, 1, n, f), fclose(f);
    CHECK(f != NULL, "cannot write %s", path);
}

// The archive's members as files under dir (the urls files only when with_urls).
static void write_dir(int with_urls) {
    char name[128], text[256];
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++)
            for (int k = 0; k < (s ? NTEST : NTRAIN); k++) {
                snprintf(name, sizeof name, "%s/aclImdb/%s/%s/%d_%d.txt", with_urls ? "u" : "p", s ? "test" : "train", LABEL[l], k,
                         l ? 7 + k % 4 : 1 + k % 4);
                review_text(text, sizeof text, s, l, k);
                put_file(name, text, strlen(text));
            }
    for (int l = 0; l < 2 && with_urls; l++) {
        tu_buf u = {0};
        urls_text(&u, l, NTRAIN, 0, 0);
        snprintf(name, sizeof name, "u/aclImdb/train/urls_%s.txt", LABEL[l]);
        put_file(name, u.p, u.n);
        free(u.p);
    }
}

static char out[1 << 16];

static int run(const char *cli, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = tu_cli_vrun(out, sizeof out, dir, cli, fmt, ap);
    va_end(ap);
    return rc;
}

static void test_directory_and_cli(void) {
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp %s", dir);
        return;
    }
    write_dir(1);
    write_dir(0);
    tu_buf t = {0};
    make_tar(&t, &FULL);
    put_file("m.tar", t.p, t.n);
    rnl_imdb_config c = config(60, 16, 1);
    rnl_dataset *from_tar = build(&t, &c, t.n, NULL), *from_dir = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/u", dir);
    CHECK_OK(rnl_imdb_load(path, &c, &from_dir));
    CHECK(from_tar && from_dir && same_bytes(from_tar, from_dir), "a directory gives the tar's subset");
    snprintf(path, sizeof path, "%s/p", dir);
    rnl_dataset *none = NULL;
    CHECK(rnl_imdb_load(path, &c, &none) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "needs aclImdb/train/urls_neg.txt and urls_pos.txt"),
          "a directory without urls files: %s", rnl_last_error());
    rnl_dataset_destroy(none);

    const char *cli = getenv("RNL_CLI");
    if (!cli) cli = "./rnnlab";
    const char *flags = "--train 60 --val 16 --test 20 --vocab 100 --max-len 20 --seed 5 --keep-end";
    int rc = run(cli, "data --source m.tar %s --val-by-movie --out m.rnld", flags);
    char want[96];
    int movies[2];
    rnl_dataset *again = build(&t, &c, t.n, movies);
    snprintf(want, sizeof want, "movies: %d in train, %d in validation", movies[0], movies[1]);
    CHECK(rc == 0 && strstr(out, want) && strstr(out, "validation holds whole movies"), "data --val-by-movie: exit %d:\n%s", rc, out);
    static uint8_t file[1 << 16];
    size_t n = tu_read_file(dir, "m.rnld", file, sizeof file), nb;
    uint8_t *b = bytes_of(from_tar, &nb);
    CHECK(b && n == nb && memcmp(file, b, n) == 0, "the CLI writes the library's bytes (%zu vs %zu)", n, nb);
    free(b);
    rc = run(cli, "data --show m.rnld");
    CHECK(rc == 0 && strstr(out, "validation holds whole movies, none of them in train"), "--show: exit %d:\n%s", rc, out);
    rc = run(cli, "data --source p %s --val-by-movie --out x.rnld", flags);
    CHECK(rc == 1 && strstr(out, "needs aclImdb/train/urls_neg.txt and urls_pos.txt"), "no urls files: exit %d:\n%s", rc, out);
    const char *csv = "day,v\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n";
    put_file("s.csv", csv, strlen(csv));
    rc = run(cli, "data --source s.csv --window 2 --val-by-movie --out x.rnld");
    CHECK(rc == 2 && strstr(out, "--val-by-movie is for IMDB reviews"), "a CSV with --val-by-movie: exit %d:\n%s", rc, out);
    rc = run(cli, "data --help");
    CHECK(rc == 0 && strstr(out, "--val-by-movie"), "the help names the flag");
    rnl_dataset_destroy(again);
    rnl_dataset_destroy(from_tar);
    rnl_dataset_destroy(from_dir);
    free(t.p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "removing %s", dir);
}

int main(void) {
    test_whole_movies();
    test_without_flag_unchanged();
    test_errors();
    test_directory_and_cli();
    return tu_summary("test_data_movie");
}

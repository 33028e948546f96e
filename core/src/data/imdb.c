// imdb.c: the Large Movie Review Dataset (Maas et al. 2011) into a balanced subset.
// Reviews come from a tar stream (archive file, or chunks fed by the page), from a directory, or one by
// one. Each gets a priority from rnl_rng seeded with (seed, split, label, id); per split and label a
// max-heap keeps the reviews with the lowest priorities, text included, and drops the rest as they come.
// So the result does not depend on the order files arrive in, and memory stays near the subset's size
// plus the training split's word counts. rnnlab_data.h states what goes where. With val_by_movie the
// train/urls_*.txt files give each training review its movie, and the build partitions the kept
// training-half reviews into train and validation by whole movies (section "Whole movies").
#define _POSIX_C_SOURCE 200809L  // opendir, stat

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rnnlab_data.h"

static const char *SPLIT_NAME[2] = {"train", "test"};
static const char *LABEL_NAME[2] = {"neg", "pos"};

typedef struct {
    uint64_t prio;
    uint32_t id;
    uint8_t rating, label;
    uint8_t to_val;  // val_by_movie: its movie went to validation (set by the build)
    uint32_t movie;  // val_by_movie: the tt number of its movie (set by the build)
    char *text;
    size_t len;
} kept;

// A training-half movie with kept reviews (val_by_movie).
typedef struct {
    uint32_t tt;
    uint64_t order;  // a hash of the seed and tt: movies are offered to validation by increasing order
    int n[2];        // its kept reviews per label
    int first;       // its first review in the list sorted by movie
} movie;

typedef struct {
    kept *e;  // max-heap on (prio, id): the root is the first to be dropped
    int n;
} heap;

struct rnl_imdb {
    rnl_imdb_config cfg;
    rnl_word_counts *counts;  // training split only
    int found[2][2], unsup;
    int want[2][2];           // reviews kept per split and label
    heap heaps[2][2];
    rnl_tar_reader *tar;      // of rnl_imdb_feed_tar
    uint32_t *urls[2];        // val_by_movie: per label, the tt number of training review id k (urls_*.txt line k)
    int n_urls[2];            // lines read; -1: the file was not seen
    int movies[2];            // after a by-movie build: movies in train and in validation
};

rnl_imdb_config rnl_imdb_default(void) {
    rnl_imdb_config c = {.n_train = 5000, .n_val = 1000, .n_test = 5000, .vocab_words = 10000, .max_len = 200,
                         .keep_end = 0, .seed = 1, .val_by_movie = 0};
    return c;
}

rnl_status rnl_imdb_create(rnl_imdb **out, const rnl_imdb_config *cfg) {
    *out = NULL;
    const rnl_imdb_config *c = cfg;
    if (c->n_train < 1 || c->n_val < 0 || c->n_test < 0 ||
        (long long)c->n_train + c->n_val + c->n_test > RNL_DATA_MAX_EXAMPLES)
        return rnl_fail(RNL_ERR_ARG, "imdb: n_train %d, n_val %d, n_test %d: need n_train >= 1, the others >= 0, at most %d in all",
                        c->n_train, c->n_val, c->n_test, RNL_DATA_MAX_EXAMPLES);
    if (c->vocab_words < 1 || c->vocab_words > RNL_MAX_VOCAB - 2)
        return rnl_fail(RNL_ERR_ARG, "imdb: vocab_words %d is outside 1..%d", c->vocab_words, RNL_MAX_VOCAB - 2);
    if (c->max_len < 1 || c->max_len > RNL_MAX_STEPS)
        return rnl_fail(RNL_ERR_ARG, "imdb: max_len %d is outside 1..%d", c->max_len, RNL_MAX_STEPS);
    if (c->keep_end != 0 && c->keep_end != 1) return rnl_fail(RNL_ERR_ARG, "imdb: keep_end %d is not 0 or 1", c->keep_end);
    if (c->val_by_movie != 0 && c->val_by_movie != 1)
        return rnl_fail(RNL_ERR_ARG, "imdb: val_by_movie %d is not 0 or 1", c->val_by_movie);
    rnl_imdb *im = calloc(1, sizeof *im);
    if (!im) return rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory");
    im->cfg = *c;
    im->n_urls[0] = im->n_urls[1] = -1;
    rnl_status st = rnl_word_counts_create(&im->counts);
    if (st != RNL_OK) {
        free(im);
        return st;
    }
    im->want[0][0] = c->n_train / 2 + c->n_val / 2;
    im->want[0][1] = (c->n_train - c->n_train / 2) + (c->n_val - c->n_val / 2);
    im->want[1][0] = c->n_test / 2;
    im->want[1][1] = c->n_test - c->n_test / 2;
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            im->heaps[s][l].e = malloc(sizeof(kept) * (size_t)(im->want[s][l] ? im->want[s][l] : 1));
            if (!im->heaps[s][l].e) {
                rnl_imdb_destroy(im);
                return rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory");
            }
        }
    *out = im;
    return RNL_OK;
}

void rnl_imdb_destroy(rnl_imdb *im) {
    if (!im) return;
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            heap *h = &im->heaps[s][l];
            for (int i = 0; i < h->n; i++) free(h->e[i].text);
            free(h->e);
        }
    rnl_word_counts_destroy(im->counts);
    rnl_tar_destroy(im->tar);
    free(im->urls[0]);
    free(im->urls[1]);
    free(im);
}

void rnl_imdb_counts(const rnl_imdb *im, int counts[2][2], int *unsup) {
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) counts[s][l] = im->found[s][l];
    if (unsup) *unsup = im->unsup;
}

const rnl_word_counts *rnl_imdb_word_counts(const rnl_imdb *im) { return im->counts; }

// --- Selection ----------------------------------------------------------------------------------

// One draw from rnl_rng seeded with the selection seed and a key: a review's priority, a movie's order.
static uint64_t keyed_draw(uint64_t seed, uint64_t key) {
    rnl_rng r;
    rnl_rng_seed(&r, seed ^ (key * 0x9e3779b97f4a7c15ull));
    return rnl_rng_next(&r);
}

static uint64_t priority(uint64_t seed, int split, int label, uint32_t id) {
    return keyed_draw(seed, ((uint64_t)(split * 2 + label) << 32) | id);
}

static int before(uint64_t pa, uint32_t ia, uint64_t pb, uint32_t ib) { return pa < pb || (pa == pb && ia < ib); }

static void sift_down(heap *h, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && before(h->e[m].prio, h->e[m].id, h->e[l].prio, h->e[l].id)) m = l;
        if (r < h->n && before(h->e[m].prio, h->e[m].id, h->e[r].prio, h->e[r].id)) m = r;
        if (m == i) return;
        kept t = h->e[i];
        h->e[i] = h->e[m];
        h->e[m] = t;
        i = m;
    }
}

static void sift_up(heap *h, int i) {
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!before(h->e[p].prio, h->e[p].id, h->e[i].prio, h->e[i].id)) return;
        kept t = h->e[i];
        h->e[i] = h->e[p];
        h->e[p] = t;
        i = p;
    }
}

// Would a review with this key be kept now?
static int would_keep(const rnl_imdb *im, int split, int label, uint32_t id) {
    const heap *h = &im->heaps[split][label];
    int k = im->want[split][label];
    if (k == 0) return 0;
    if (h->n < k) return 1;
    return before(priority(im->cfg.seed, split, label, id), id, h->e[0].prio, h->e[0].id);
}

rnl_status rnl_imdb_add_review(rnl_imdb *im, int split, int label, uint32_t id, int rating, const char *text, size_t n) {
    if (split < 0 || split > 1 || label < 0 || label > 1 || rating < 0 || rating > 10)
        return rnl_fail(RNL_ERR_ARG, "imdb: review %u: split %d, label %d, rating %d (must be 0..1, 0..1, 0..10)", id,
                        split, label, rating);
    if (n > RNL_TAR_MAX_MEMBER)
        return rnl_fail(RNL_ERR_ARG, "imdb: review %s/%s/%u has %zu bytes (limit %u)", SPLIT_NAME[split],
                        LABEL_NAME[label], id, n, RNL_TAR_MAX_MEMBER);
    im->found[split][label]++;
    if (split == 0) {
        rnl_status st = rnl_word_counts_add_text(im->counts, text, n);
        if (st != RNL_OK) return st;
    }
    if (!would_keep(im, split, label, id)) return RNL_OK;
    char *copy = malloc(n ? n : 1);
    if (!copy) return rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory keeping review %u", id);
    memcpy(copy, text, n);
    kept k = {.prio = priority(im->cfg.seed, split, label, id), .id = id, .rating = (uint8_t)rating,
              .label = (uint8_t)label, .text = copy, .len = n};
    heap *h = &im->heaps[split][label];
    if (h->n < im->want[split][label]) {
        h->e[h->n++] = k;
        sift_up(h, h->n - 1);
    } else {
        free(h->e[0].text);
        h->e[0] = k;
        sift_down(h, 0);
    }
    return RNL_OK;
}

// --- File names ---------------------------------------------------------------------------------

// "<id>_<rating>.txt": 1 with id and rating (0..10), 0 if it is not of that form.
static int parse_file_name(const char *f, uint32_t *id, int *rating) {
    uint64_t v = 0;
    int d = 0;
    const char *p = f;
    for (; *p >= '0' && *p <= '9'; p++, d++) v = v * 10 + (uint64_t)(*p - '0');
    if (d == 0 || d > 9 || *p++ != '_') return 0;
    int r = 0, dr = 0;
    for (; *p >= '0' && *p <= '9'; p++, dr++) r = r * 10 + (*p - '0');
    if (dr == 0 || dr > 2 || r > 10 || strcmp(p, ".txt") != 0) return 0;
    *id = (uint32_t)v;
    *rating = r;
    return 1;
}

static int ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

// Classifies a path ".../<split>/<label>/<file>": 1 a review (fields set), 2 a train/unsup review,
// 0 anything else, -1 a .txt in a pos/neg folder whose name is not <id>_<rating>.txt with rating 1..10.
static int parse_review_path(const char *name, int *split, int *label, uint32_t *id, int *rating) {
    size_t n = strlen(name);
    const char *comp[3];
    size_t len[3];
    size_t end = n;
    for (int c = 2; c >= 0; c--) {
        size_t start = end;
        while (start > 0 && name[start - 1] != '/') start--;
        comp[c] = name + start;
        len[c] = end - start;
        if (c > 0) {
            if (start == 0) return 0;
            end = start - 1;
        }
    }
    if (!ends_with(comp[2], len[2], ".txt")) return 0;
    int s = -1, l = -1;
    for (int k = 0; k < 2; k++) {
        if (len[0] == strlen(SPLIT_NAME[k]) && memcmp(comp[0], SPLIT_NAME[k], len[0]) == 0) s = k;
        if (len[1] == strlen(LABEL_NAME[k]) && memcmp(comp[1], LABEL_NAME[k], len[1]) == 0) l = k;
    }
    if (s < 0) return 0;
    if (l < 0) return (s == 0 && len[1] == 5 && memcmp(comp[1], "unsup", 5) == 0) ? 2 : 0;
    if (!parse_file_name(comp[2], id, rating) || *rating < 1) return -1;
    *split = s;
    *label = l;
    return 1;
}

// ".../train/urls_pos.txt" or "urls_neg.txt": its label (1 pos, 0 neg); -1 for any other path.
static int urls_label(const char *name) {
    size_t n = strlen(name);
    for (int l = 0; l < 2; l++) {
        char tail[32];
        snprintf(tail, sizeof tail, "train/urls_%s.txt", LABEL_NAME[l]);
        size_t k = strlen(tail);
        if (n >= k && strcmp(name + n - k, tail) == 0 && (n == k || name[n - k - 1] == '/')) return l;
    }
    return -1;
}

// A urls file: line k is "http://www.imdb.com/title/tt<digits>/usercomments", the movie of review id k.
static rnl_status add_urls(rnl_imdb *im, int label, const char *name, const char *text, size_t n) {
    size_t lines = 0;
    for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
    if (n && text[n - 1] != '\n') lines++;
    if (lines > (size_t)RNL_DATA_MAX_EXAMPLES)
        return rnl_fail(RNL_ERR_FORMAT, "'%.300s': %zu lines (limit %d)", name, lines, RNL_DATA_MAX_EXAMPLES);
    uint32_t *tt = malloc(sizeof(uint32_t) * (lines ? lines : 1));
    if (!tt) return rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory for '%.300s'", name);
    const char *p = text, *end = text + n;
    for (size_t k = 0; k < lines; k++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *t = NULL;
        for (const char *q = p; q + 8 < eol && !t; q++)
            if (memcmp(q, "/title/tt", 9) == 0) t = q + 9;
        uint64_t v = 0;
        int d = 0;
        for (; t && t < eol && *t >= '0' && *t <= '9' && d < 10; t++, d++) v = v * 10 + (uint64_t)(*t - '0');
        if (!t || d == 0 || d > 9) {
            free(tt);
            int shown = eol - p < 60 ? (int)(eol - p) : 60;
            return rnl_fail(RNL_ERR_FORMAT, "'%.300s': line %zu is not an IMDB title URL (expected .../title/tt<digits>/..., "
                            "found '%.*s')", name, k + 1, shown, p);
        }
        tt[k] = (uint32_t)v;
        p = eol + 1;
    }
    free(im->urls[label]);
    im->urls[label] = tt;
    im->n_urls[label] = (int)lines;
    return RNL_OK;
}

rnl_status rnl_imdb_add_file(rnl_imdb *im, const char *name, const char *text, size_t n) {
    int split, label, rating;
    uint32_t id;
    if (im->cfg.val_by_movie && (label = urls_label(name)) >= 0) return add_urls(im, label, name, text, n);
    int k = parse_review_path(name, &split, &label, &id, &rating);
    if (k == 2) im->unsup++;
    if (k == 0 || k == 2) return RNL_OK;
    if (k < 0)
        return rnl_fail(RNL_ERR_FORMAT, "'%.300s': not a review file name (expected <id>_<rating>.txt, rating 1..10)", name);
    return rnl_imdb_add_review(im, split, label, id, rating, text, n);
}

// --- Tar sources --------------------------------------------------------------------------------

static int tar_want(void *user, const char *name, uint64_t size) {
    rnl_imdb *im = user;
    int split, label, rating;
    uint32_t id;
    if (im->cfg.val_by_movie && urls_label(name) >= 0) return 1;
    int k = parse_review_path(name, &split, &label, &id, &rating);
    if (k == 2) im->unsup++;  // counted by name, never read
    if (k == 0 || k == 2) return 0;
    if (k < 0 || split == 0) return 1;  // bad names reach add_file, which reports them; training reviews are counted
    if (would_keep(im, split, label, id)) return 1;
    im->found[split][label]++;  // a test review that would be dropped: counted without buffering its text
    return 0;
}

static rnl_status tar_member(void *user, const char *name, const uint8_t *data, size_t size) {
    return rnl_imdb_add_file(user, name, (const char *)data, size);
}

rnl_status rnl_imdb_feed_tar(rnl_imdb *im, const uint8_t *bytes, size_t n) {
    if (!im->tar) {
        rnl_status st = rnl_tar_create(&im->tar, "IMDB tar stream", tar_want, tar_member, im);
        if (st != RNL_OK) return st;
    }
    return rnl_tar_feed(im->tar, bytes, n);
}

rnl_status rnl_imdb_end_tar(rnl_imdb *im) {
    if (!im->tar) return rnl_fail(RNL_ERR_ARG, "IMDB tar stream: no bytes were fed");
    rnl_status st = rnl_tar_finish(im->tar);
    rnl_tar_destroy(im->tar);
    im->tar = NULL;
    return st;
}

// --- Directory source ---------------------------------------------------------------------------

#ifndef RNL_NO_FILES
static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

// Reads a whole small file into *buf (grown as needed).
static rnl_status read_small_file(const char *path, char **buf, size_t *cap, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t len = 0, got;
    for (;;) {
        if (len == *cap) {
            size_t nc = *cap ? *cap * 2 : 16384;
            char *nb = nc <= (size_t)RNL_TAR_MAX_MEMBER * 2 ? realloc(*buf, nc) : NULL;
            if (!nb) {
                fclose(f);
                return rnl_fail(RNL_ERR_NOMEM, "%s: too large or out of memory", path);
            }
            *buf = nb;
            *cap = nc;
        }
        got = fread(*buf + len, 1, *cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return rnl_fail(RNL_ERR_IO, "%s: read error", path);
    *n = len;
    return RNL_OK;
}

static rnl_status read_dir(rnl_imdb *im, const char *dir) {
    char base[4096], path[4096 + 512];
    snprintf(base, sizeof base, "%s", dir);
    snprintf(path, sizeof path, "%s/train", base);
    if (!is_dir(path)) {
        snprintf(path, sizeof path, "%s/aclImdb", dir);
        if (is_dir(path)) snprintf(base, sizeof base, "%s/aclImdb", dir);
    }
    char *buf = NULL;
    size_t cap = 0;
    rnl_status st = RNL_OK;
    for (int s = 1; s >= 0 && st == RNL_OK; s--)
        for (int l = 0; l < 2 && st == RNL_OK; l++) {
            snprintf(path, sizeof path, "%s/%s/%s", base, SPLIT_NAME[s], LABEL_NAME[l]);
            DIR *d = opendir(path);
            if (!d) {
                st = rnl_fail(RNL_ERR_IO, "%s: missing %s/%s/ (%s): expected an aclImdb directory with train/{pos,neg} and test/{pos,neg}",
                              dir, SPLIT_NAME[s], LABEL_NAME[l], strerror(errno));
                break;
            }
            struct dirent *e;
            while (st == RNL_OK && (e = readdir(d)) != NULL) {
                size_t nl = strlen(e->d_name);
                if (!ends_with(e->d_name, nl, ".txt")) continue;
                uint32_t id;
                int rating;
                snprintf(path, sizeof path, "%s/%s/%s/%s", base, SPLIT_NAME[s], LABEL_NAME[l], e->d_name);
                if (!parse_file_name(e->d_name, &id, &rating) || rating < 1) {
                    st = rnl_fail(RNL_ERR_FORMAT, "%s: not a review file name (expected <id>_<rating>.txt, rating 1..10)", path);
                    break;
                }
                if (s == 1 && !would_keep(im, s, l, id)) {
                    im->found[s][l]++;  // a test review that would be dropped: not even read
                    continue;
                }
                size_t n = 0;
                st = read_small_file(path, &buf, &cap, &n);
                if (st == RNL_OK) st = rnl_imdb_add_review(im, s, l, id, rating, buf, n);
            }
            closedir(d);
        }
    // The movies of the training reviews; a missing file is reported by the build, as for a tar.
    for (int l = 0; l < 2 && st == RNL_OK && im->cfg.val_by_movie; l++) {
        snprintf(path, sizeof path, "%s/train/urls_%s.txt", base, LABEL_NAME[l]);
        size_t n = 0;
        if (!is_file(path)) continue;
        st = read_small_file(path, &buf, &cap, &n);
        if (st == RNL_OK) st = add_urls(im, l, path, buf, n);
    }
    free(buf);
    if (st != RNL_OK) return st;
    snprintf(path, sizeof path, "%s/train/unsup", base);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (ends_with(e->d_name, strlen(e->d_name), ".txt")) im->unsup++;
        closedir(d);
    }
    return RNL_OK;
}

#endif

rnl_status rnl_imdb_read(rnl_imdb *im, const char *path) {
#ifdef RNL_NO_FILES
    (void)im;
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (RNL_NO_FILES): feed tar bytes with rnl_imdb_feed_tar", path);
#else
    struct stat sb;
    if (stat(path, &sb) != 0) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return read_dir(im, path);
    rnl_tar_reader *r;
    rnl_status st = rnl_tar_create(&r, path, tar_want, tar_member, im);
    if (st != RNL_OK) return st;
    st = rnl_tar_read_file(r, path);
    rnl_tar_destroy(r);
    return st;
#endif
}

// --- Ordering -----------------------------------------------------------------------------------

static int by_priority(const void *pa, const void *pb) {
    const kept *a = *(const kept *const *)pa, *b = *(const kept *const *)pb;
    if (before(a->prio, a->id, b->prio, b->id)) return -1;
    if (before(b->prio, b->id, a->prio, a->id)) return 1;
    return a->label - b->label;
}

static int by_priority_value(const void *pa, const void *pb) {
    const kept *a = pa, *b = pb;
    return by_priority(&a, &b);
}

// --- Whole movies -------------------------------------------------------------------------------

// The order in which movies are offered to validation: like a review's priority, with the key 4 << 32 | tt
// (4: apart from the reviews' keys, whose high word is 2 * split + label, 0..3).
static uint64_t movie_order(uint64_t seed, uint32_t tt) { return keyed_draw(seed, ((uint64_t)4 << 32) | tt); }

static int by_movie(const void *pa, const void *pb) {
    const kept *a = *(const kept *const *)pa, *b = *(const kept *const *)pb;
    if (a->movie != b->movie) return a->movie < b->movie ? -1 : 1;
    if (a->label != b->label) return a->label - b->label;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int by_movie_order(const void *pa, const void *pb) {
    const movie *a = pa, *b = pb;
    if (a->order != b->order) return a->order < b->order ? -1 : 1;
    return a->tt < b->tt ? -1 : a->tt > b->tt;
}

// Sets to_val on the kept training-half reviews (ntr[l] + nva[l] per label, sorted by priority) so that
// validation is nva[l] reviews of each label from whole movies: movies in movie_order, each taken when
// its reviews of both labels still fit, until validation is full.
static rnl_status split_by_movie(rnl_imdb *im, const int ntr[2], const int nva[2]) {
    if (im->n_urls[0] < 0 || im->n_urls[1] < 0) {
        const char *missing = im->n_urls[1] >= 0 ? "urls_neg.txt" : im->n_urls[0] >= 0 ? "urls_pos.txt" : "urls_neg.txt and urls_pos.txt";
        return rnl_fail(RNL_ERR_FORMAT, "imdb: validation by movie needs aclImdb/train/%s (line k: the IMDB URL of the movie "
                        "of training review k of that label), and the source has no %s", missing,
                        im->n_urls[0] < 0 && im->n_urls[1] < 0 ? "such files" : "such file");
    }
    int n = ntr[0] + nva[0] + ntr[1] + nva[1];
    kept **rev = malloc(sizeof *rev * (size_t)(n ? n : 1));
    movie *mv = malloc(sizeof *mv * (size_t)(n ? n : 1));
    rnl_status st = RNL_OK;
    if (!rev || !mv) {
        st = rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory");
        goto done;
    }
    int k = 0;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < ntr[l] + nva[l]; i++) {
            kept *e = &im->heaps[0][l].e[i];
            if (e->id >= (uint32_t)im->n_urls[l]) {
                st = rnl_fail(RNL_ERR_FORMAT, "imdb: review train/%s/%u has no line in train/urls_%s.txt (it has %d lines)",
                              LABEL_NAME[l], e->id, LABEL_NAME[l], im->n_urls[l]);
                goto done;
            }
            e->movie = im->urls[l][e->id];
            e->to_val = 0;
            rev[k++] = e;
        }
    qsort(rev, (size_t)n, sizeof *rev, by_movie);
    int nm = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || rev[i]->movie != rev[i - 1]->movie)
            mv[nm++] = (movie){rev[i]->movie, movie_order(im->cfg.seed, rev[i]->movie), {0, 0}, i};
        mv[nm - 1].n[rev[i]->label]++;
    }
    qsort(mv, (size_t)nm, sizeof *mv, by_movie_order);
    int left[2] = {nva[0], nva[1]}, in_val = 0;
    for (int j = 0; j < nm && (left[0] || left[1]); j++) {
        if (mv[j].n[0] > left[0] || mv[j].n[1] > left[1]) continue;
        left[0] -= mv[j].n[0];
        left[1] -= mv[j].n[1];
        in_val++;
        for (int i = mv[j].first; i < n && rev[i]->movie == mv[j].tt; i++) rev[i]->to_val = 1;
    }
    if (left[0] || left[1]) {
        st = rnl_fail(RNL_ERR_ARG, "imdb: whole movies cannot fill a validation split of %d neg + %d pos reviews: after "
                      "offering all %d movies of the %d kept training-half reviews, %d neg and %d pos places are still "
                      "empty (a movie's reviews all go to one split); try another validation size (--val)",
                      nva[0], nva[1], nm, n, left[0], left[1]);
        goto done;
    }
    im->movies[0] = nm - in_val;
    im->movies[1] = in_val;
done:
    free(mv);
    free(rev);
    return st;
}

void rnl_imdb_movies(const rnl_imdb *im, int *train, int *val) {
    if (train) *train = im->movies[0];
    if (val) *val = im->movies[1];
}

// --- Building the subset ------------------------------------------------------------------------

rnl_status rnl_imdb_build(rnl_imdb *im, rnl_dataset **out) {
    *out = NULL;
    const rnl_imdb_config *c = &im->cfg;
    if (im->tar) return rnl_fail(RNL_ERR_ARG, "imdb: the tar stream was not ended (call rnl_imdb_end_tar)");
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            if (im->found[s][l] == 0)
                return rnl_fail(RNL_ERR_FORMAT, "imdb: no reviews in %s/%s (expected aclImdb/%s/%s/<id>_<rating>.txt): "
                                "the %s split is missing or this is not the aclImdb data set",
                                SPLIT_NAME[s], LABEL_NAME[l], SPLIT_NAME[s], LABEL_NAME[l], SPLIT_NAME[s]);
            if (im->heaps[s][l].n < im->want[s][l])
                return rnl_fail(RNL_ERR_ARG, "imdb: %d %s reviews wanted from %s/%s (%s), but it has only %d",
                                im->want[s][l], LABEL_NAME[l], SPLIT_NAME[s], LABEL_NAME[l],
                                s == 0 ? "training + validation" : "test", im->found[s][l]);
        }
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) qsort(im->heaps[s][l].e, (size_t)im->heaps[s][l].n, sizeof(kept), by_priority_value);

    // Examples in file order: train, val, test, each by priority. The training half's kept reviews go to
    // validation from the (n_train/2 + 1)-th lowest priority of each label on, or by whole movies.
    int ntr[2] = {c->n_train / 2, c->n_train - c->n_train / 2}, nva[2] = {c->n_val / 2, c->n_val - c->n_val / 2};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < ntr[l] + nva[l]; i++) im->heaps[0][l].e[i].to_val = i >= ntr[l];
    rnl_status st = c->val_by_movie ? split_by_movie(im, ntr, nva) : RNL_OK;
    if (st != RNL_OK) return st;
    int n = c->n_train + c->n_val + c->n_test;
    const kept **list = malloc(sizeof *list * (size_t)n);
    if (!list) return rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory");
    int k = 0, k0 = 0;
    for (int v = 0; v < 2; v++) {
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < ntr[l] + nva[l]; i++)
                if (im->heaps[0][l].e[i].to_val == v) list[k++] = &im->heaps[0][l].e[i];
        qsort(list + k0, (size_t)(k - k0), sizeof *list, by_priority);
        k0 = k;
    }
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < im->heaps[1][l].n; i++) list[k++] = &im->heaps[1][l].e[i];
    qsort(list + k0, (size_t)(k - k0), sizeof *list, by_priority);

    rnl_dataset *ds = calloc(1, sizeof *ds);
    int32_t *scratch = malloc(sizeof(int32_t) * (size_t)c->max_len);
    if (!ds || !scratch) {
        st = rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory");
        goto done;
    }
    ds->kind = RNL_DATASET_TEXT;
    ds->n_train = c->n_train, ds->n_val = c->n_val, ds->n_test = c->n_test;
    ds->seed = c->seed;
    ds->max_len = c->max_len;
    ds->keep_end = c->keep_end;
    ds->val_by_movie = c->val_by_movie;
    ds->offsets = malloc(sizeof(int64_t) * ((size_t)n + 1));
    ds->labels = malloc((size_t)n);
    ds->ratings = malloc((size_t)n);
    ds->ids = malloc(sizeof(uint32_t) * (size_t)n);
    if (!ds->offsets || !ds->labels || !ds->ratings || !ds->ids) {
        st = rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory for %d examples", n);
        goto done;
    }
    if ((st = rnl_vocab_build(&ds->vocab, im->counts, c->vocab_words)) != RNL_OK) goto done;
    size_t tok_cap = 0, total = 0;
    ds->offsets[0] = 0;
    for (int i = 0; i < n; i++) {
        const kept *e = list[i];
        int len = rnl_vocab_encode(ds->vocab, e->text, e->len, c->max_len, c->keep_end, scratch);
        if (total + (size_t)len > RNL_DATA_MAX_TOKENS) {
            st = rnl_fail(RNL_ERR_NOMEM, "imdb: more than %u tokens in the subset", RNL_DATA_MAX_TOKENS);
            goto done;
        }
        if (total + (size_t)len > tok_cap) {
            size_t nc = tok_cap ? tok_cap * 2 : 65536;
            while (nc < total + (size_t)len) nc *= 2;
            int32_t *nt = realloc(ds->tokens, sizeof(int32_t) * nc);
            if (!nt) {
                st = rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory for %zu tokens", nc);
                goto done;
            }
            ds->tokens = nt;
            tok_cap = nc;
        }
        memcpy(ds->tokens + total, scratch, sizeof(int32_t) * (size_t)len);
        total += (size_t)len;
        ds->offsets[i + 1] = (int64_t)total;
        ds->labels[i] = e->label;
        ds->ratings[i] = e->rating;
        ds->ids[i] = e->id;
    }
    if (!ds->tokens && !(ds->tokens = malloc(sizeof(int32_t)))) st = rnl_fail(RNL_ERR_NOMEM, "imdb: out of memory");
done:
    free(scratch);
    free(list);
    if (st != RNL_OK) {
        rnl_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return RNL_OK;
}

rnl_status rnl_imdb_load(const char *path, const rnl_imdb_config *cfg, rnl_dataset **out) {
    *out = NULL;
    rnl_imdb *im;
    rnl_status st = rnl_imdb_create(&im, cfg);
    if (st != RNL_OK) return st;
    st = rnl_imdb_read(im, path);
    if (st == RNL_OK) st = rnl_imdb_build(im, out);
    rnl_imdb_destroy(im);
    return st;
}

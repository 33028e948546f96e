// test_data_textcsv.c: a dataset from a user's CSV of reviews (rnl_text_csv_dataset). A generated good
// file: split sizes, balance, the row hash's ~80/20, row ids and labels kept, determinism per seed, and
// the IMDB selection's rules (training reviews do not change with n_val); RFC 4180 quoting (commas,
// doubled quotes and line breaks inside fields, CRLF, a BOM, header aliases); and every bad input with
// its exact message: bad and empty labels, a missing column, an empty file, a header alone, a wrong
// field count, an unterminated quote, binary garbage, gzip, truncated files, classic Mac OS line ends, too
// few rows, too many asked for.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"
#include "testutil.h"

static const char *LABEL_FORMS[2][3] = {{"0", "neg", "Negative"}, {"1", "POS", "positive"}};

// n rows; row i is positive when i % 5 < 3 (60 % positive), its label written in one of three forms.
static char *make_csv(int n, size_t *len) {
    size_t cap = 256 + (size_t)n * 128, k = 0;
    char *s = malloc(cap);
    k += (size_t)snprintf(s + k, cap - k, "id,text,label\n");
    for (int i = 0; i < n; i++) {
        int pos = i % 5 < 3;
        const char *text = pos ? "a great and wonderful film" : "a dull and awful film";
        k += (size_t)snprintf(s + k, cap - k, "%d,\"row %d: %s, truly\",%s\n", i, i, text, LABEL_FORMS[pos][i % 3]);
    }
    *len = k;
    return s;
}

static rnl_imdb_config all_sizes(uint64_t seed) {
    rnl_imdb_config c = rnl_imdb_default();
    c.n_train = c.n_val = c.n_test = RNL_TEXT_CSV_ALL;
    c.vocab_words = 1000, c.max_len = 50, c.seed = seed;
    return c;
}

static uint8_t *bytes_of(const rnl_dataset *ds, size_t *n) {
    uint8_t *p = NULL;
    *n = 0;
    if (ds) CHECK_OK(rnl_dataset_write(ds, &p, n));
    return p;
}

// The words of example i, joined by spaces.
static void decode(const rnl_dataset *ds, int i, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    for (int64_t t = ds->offsets[i]; t < ds->offsets[i + 1] && k + 70 < cap; t++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", t > ds->offsets[i] ? " " : "", rnl_vocab_word(ds->vocab, ds->tokens[t]));
}

// Runs the reader on `csv` and checks that it fails with exactly `want`.
static void check_fails(const char *what, const char *csv, size_t n, const rnl_imdb_config *cfg, rnl_status st_want,
                        const char *want) {
    rnl_dataset *ds = NULL;
    rnl_status st = rnl_text_csv_dataset("reviews.csv", csv, n, cfg, &ds, NULL);
    CHECK(st == st_want, "%s: status %s, want %s (%s)", what, rnl_status_name(st), rnl_status_name(st_want), rnl_last_error());
    CHECK(ds == NULL, "%s: no dataset on failure", what);
    CHECK(strcmp(rnl_last_error(), want) == 0, "%s:\n  got  \"%s\"\n  want \"%s\"", what, rnl_last_error(), want);
    rnl_dataset_destroy(ds);
}

static void test_good_file(void) {
    size_t n;
    char *csv = make_csv(400, &n);
    rnl_imdb_config cfg = all_sizes(7);
    rnl_dataset *ds = NULL;
    rnl_text_csv_info info;
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, n, &cfg, &ds, &info));
    if (!ds) return;
    CHECK(info.rows == 400, "rows %d", info.rows);
    int test_rows = info.part[1][0] + info.part[1][1];
    CHECK(test_rows >= 55 && test_rows <= 105, "about one row in five to test: %d of 400", test_rows);
    CHECK(info.part[0][0] + info.part[1][0] == 160 && info.part[0][1] + info.part[1][1] == 240, "labels counted: %d neg, %d pos",
          info.part[0][0] + info.part[1][0], info.part[0][1] + info.part[1][1]);
    // All a balanced subset allows: the smaller label twice, a tenth (even) of train + val to validation.
    int tv = 2 * info.part[0][0], te = 2 * info.part[1][0];
    CHECK(ds->n_val == 2 * (tv / 20) && ds->n_train == tv - ds->n_val && ds->n_test == te, "sizes %d / %d / %d (tv %d, test %d)",
          ds->n_train, ds->n_val, ds->n_test, tv, te);
    int bad = 0, split_pos[3] = {0, 0, 0};
    for (int i = 0; i < rnl_dataset_size(ds); i++) {
        int s = i < ds->n_train ? 0 : i < ds->n_train + ds->n_val ? 1 : 2;
        uint32_t row = ds->ids[i];
        bad += row >= 400 || ds->labels[i] != (row % 5 < 3) || ds->ratings[i] != 0;
        split_pos[s] += ds->labels[i];
    }
    CHECK(bad == 0, "%d examples whose id is not their row or whose label is not the row's", bad);
    CHECK(split_pos[0] * 2 == ds->n_train && split_pos[1] * 2 == ds->n_val && split_pos[2] * 2 == ds->n_test,
          "balanced: %d / %d / %d positive", split_pos[0], split_pos[1], split_pos[2]);
    char words[512], want[128];
    decode(ds, 0, words, sizeof words);
    snprintf(want, sizeof want, "row %u : a %s film , truly", ds->ids[0], ds->labels[0] ? "great and wonderful" : "dull and awful");
    CHECK(strcmp(words, want) == 0, "example 0 reads \"%s\", want \"%s\"", words, want);
    CHECK(rnl_vocab_id(ds->vocab, "truly", 5) > 1 && rnl_vocab_id(ds->vocab, "label", 5) == RNL_UNK, "vocabulary from the texts");

    // Deterministic for a seed; another seed gives another split and subset.
    size_t na, nb, nc;
    uint8_t *a = bytes_of(ds, &na);
    rnl_dataset *again = NULL, *other = NULL;
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, n, &cfg, &again, NULL));
    uint8_t *b = bytes_of(again, &nb);
    CHECK(a && b && na == nb && memcmp(a, b, na) == 0, "the same seed gives the same file");
    rnl_imdb_config cfg8 = all_sizes(8);
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, n, &cfg8, &other, NULL));
    uint8_t *c = bytes_of(other, &nc);
    CHECK(c && (nc != na || memcmp(a, c, na) != 0), "another seed gives another subset");
    free(a), free(b), free(c);
    rnl_dataset_destroy(again);
    rnl_dataset_destroy(other);

    // Sizes given: as asked; the training reviews do not depend on n_val (the IMDB selection's rule).
    rnl_imdb_config s1 = cfg, s2 = cfg;
    s1.n_train = 40, s1.n_val = 10, s1.n_test = 21;
    s2.n_train = 40, s2.n_val = 30, s2.n_test = 21;
    rnl_dataset *d1 = NULL, *d2 = NULL;
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, n, &s1, &d1, NULL));
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, n, &s2, &d2, NULL));
    if (d1 && d2) {
        CHECK(d1->n_train == 40 && d1->n_val == 10 && d1->n_test == 21, "sizes as asked: %d / %d / %d", d1->n_train, d1->n_val, d1->n_test);
        CHECK(memcmp(d1->ids, d2->ids, sizeof(uint32_t) * 40) == 0, "the same 40 training reviews with 10 or 30 validation ones");
        int pos = 0;
        for (int i = 50; i < 71; i++) pos += d1->labels[i];
        CHECK(pos == 11, "an odd test count gives the extra review to pos: %d of 21", pos);
    }
    rnl_dataset_destroy(d1);
    rnl_dataset_destroy(d2);

    // Only the training size given: validation is still a tenth, as far as the rows allow.
    rnl_imdb_config s3 = cfg;
    s3.n_train = tv - 4;
    rnl_dataset *d3 = NULL;
    CHECK_OK(rnl_text_csv_dataset("reviews.csv", csv, n, &s3, &d3, NULL));
    if (d3) CHECK(d3->n_train == tv - 4 && d3->n_val == 4, "train %d, val %d (room for 4)", d3->n_train, d3->n_val);
    rnl_dataset_destroy(d3);

    // Too many asked for: says how many there are.
    rnl_imdb_config big = cfg;
    big.n_test = 2000;
    char msg[512];
    snprintf(msg, sizeof msg, "reviews.csv: 1000 negative test reviews asked for, but the test part has only %d (400 rows, about four "
             "in five to training): ask for fewer, or leave the sizes out to take all a balanced subset allows", info.part[1][0]);
    check_fails("too many test reviews", csv, n, &big, RNL_ERR_ARG, msg);
    rnl_dataset_destroy(ds);
    free(csv);
}

static void test_quoting(void) {
    // A BOM, CRLF line ends, the header's aliases in another case, doubled quotes, commas and line breaks
    // inside quoted fields, blank lines between rows, and blanks around a label.
    const char *csv =
        "\xEF\xBB\xBF" "Sentiment,Review\r\n"
        "pos,\"He said \"\"wow\"\", then, left\"\r\n"
        "\r\n"
        " neg ,\"first line\r\nsecond line\nthird, \"\"quoted\"\" line\"\r\n"
        "1,plain text without quotes\r\n"
        "0,\"\"\r\n";
    // 30 more rows, so that both parts get both labels.
    char buf[4096];
    size_t k = (size_t)snprintf(buf, sizeof buf, "%s", csv);
    for (int i = 0; i < 30; i++) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s,filler %d\n", i % 2 ? "pos" : "neg", i);
    rnl_imdb_config cfg = all_sizes(1);
    rnl_dataset *ds = NULL;
    rnl_text_csv_info info;
    rnl_status st = rnl_text_csv_dataset("quoted.csv", buf, k, &cfg, &ds, &info);
    while (st != RNL_OK && cfg.seed < 20) {  // the row hash may leave a label out of a part: try the next seed
        cfg.seed++;
        st = rnl_text_csv_dataset("quoted.csv", buf, k, &cfg, &ds, &info);
    }
    CHECK_OK(st);
    CHECK(info.rows == 34, "34 rows (line breaks inside quotes are not rows): %d", info.rows);
    if (!ds) return;
    char words[512];
    const char *want[4] = {"he said \" wow \" , then , left", "first line second line third , \" quoted \" line",
                           "plain text without quotes", "<unk>"};
    int compared = 0;
    for (int row = 0; row < 4; row++)
        for (int i = 0; i < ds->n_train + ds->n_val; i++) {
            // Rows in the test part may read <unk> for words only they have: compare training rows only.
            if (ds->ids[i] != (uint32_t)row) continue;
            decode(ds, i, words, sizeof words);
            CHECK(strcmp(words, want[row]) == 0, "row %d reads \"%s\", want \"%s\"", row, words, want[row]);
            CHECK(ds->labels[i] == (row == 0 || row == 2), "row %d label %d", row, ds->labels[i]);
            compared++;
        }
    CHECK(compared >= 2, "%d of the four quoted rows were in the training subset (seed %llu)", compared, (unsigned long long)cfg.seed);
    CHECK(rnl_vocab_id(ds->vocab, "wow", 3) > 1 || rnl_vocab_id(ds->vocab, "plain", 5) > 1, "quoted texts were counted");
    rnl_dataset_destroy(ds);

    // A line number after a field with line breaks is the physical line.
    const char *late = "text,label\n\"a\nb\nc\",pos\nfine,neg\nbad row,maybe\n";
    check_fails("a bad label after a multi-line field", late, strlen(late), &cfg, RNL_ERR_FORMAT,
                "reviews.csv:6: bad label 'maybe' in column 'label' (expected 0/1, neg/pos or negative/positive)");
}

static void test_bad_inputs(void) {
    rnl_imdb_config cfg = all_sizes(1);
    struct {
        const char *what, *csv;
        rnl_status st;
        const char *msg;
    } cases[] = {
        {"bad label", "text,label\ngood,1\nbad,0\nhmm,maybe\n", RNL_ERR_FORMAT,
         "reviews.csv:4: bad label 'maybe' in column 'label' (expected 0/1, neg/pos or negative/positive)"},
        {"label 2", "text,label\ngood,1\nbad,2\n", RNL_ERR_FORMAT,
         "reviews.csv:3: bad label '2' in column 'label' (expected 0/1, neg/pos or negative/positive)"},
        {"empty label", "Text,Label\ngood,\n", RNL_ERR_FORMAT, "reviews.csv:2: empty label in column 'Label'"},
        {"missing text column", "review_text,label\ngood,1\n", RNL_ERR_FORMAT,
         "reviews.csv:1: no 'text' column in the header (columns: 'review_text', 'label'): expected a header row naming a "
         "text (or review) column and a label (or sentiment) column"},
        {"missing label column", "text,stars\ngood,5\n", RNL_ERR_FORMAT,
         "reviews.csv:1: no 'label' column in the header (columns: 'text', 'stars'): expected a header row naming a "
         "text (or review) column and a label (or sentiment) column"},
        {"empty file", "", RNL_ERR_FORMAT, "reviews.csv: empty file: expected a header row with text and label columns"},
        {"blank lines only", "\n  \r\n\n", RNL_ERR_FORMAT, "reviews.csv: empty file: expected a header row with text and label columns"},
        {"header only", "text,label\n", RNL_ERR_FORMAT, "reviews.csv: no data rows after the header"},
        {"wrong field count", "text,label\ngood,1\nbad, really bad,0\n", RNL_ERR_FORMAT,
         "reviews.csv:3: 3 fields, the header has 2 (a text with commas must be quoted: \"...\")"},
        {"unterminated quote", "text,label\ngood,1\n\"never\nends,0\n", RNL_ERR_FORMAT,
         "reviews.csv:3: unterminated quote: the quoted field 1 that starts on line 3 never ends"},
        {"text after a closing quote", "text,label\n\"say \"hi\" now\",1\n", RNL_ERR_FORMAT,
         "reviews.csv:2: text after the closing quote of field 1 (\"hi\" now\",1\"): a quote inside a quoted field must be doubled (\"\")"},
        {"one label only", "text,label\na,1\nb,1\nc,pos\n", RNL_ERR_FORMAT, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cases[i].msg) continue;
        check_fails(cases[i].what, cases[i].csv, strlen(cases[i].csv), &cfg, cases[i].st, cases[i].msg);
    }
    // One label only: no negative reviews in either part; the message gives the counts.
    rnl_dataset *ds = NULL;
    rnl_status st = rnl_text_csv_dataset("reviews.csv", cases[11].csv, strlen(cases[11].csv), &cfg, &ds, NULL);
    CHECK(st == RNL_ERR_FORMAT && strstr(rnl_last_error(), "reviews.csv: no negative reviews in the training part (3 rows:"),
          "one label only: %s", rnl_last_error());

    // Binary garbage: a NUL byte, named with its line; gzip gets its own message.
    const char garbage[] = "text,label\nok,1\n\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    check_fails("binary garbage", garbage, sizeof garbage - 1, &cfg, RNL_ERR_FORMAT,
                "reviews.csv:5: binary data, not CSV text (a NUL byte at byte 24)");
    const char gz[] = "\x1f\x8b\x08\x00garbage";
    check_fails("gzip", gz, sizeof gz - 1, &cfg, RNL_ERR_FORMAT, "reviews.csv: gzip-compressed data, not CSV text: decompress it first");
    // Truncated files: cut inside a row, after a field's comma, inside a quoted field.
    const char *cut = "text,label\ngood,1\nbad,0\nhalf a ro";
    check_fails("cut inside a row", cut, strlen(cut), &cfg, RNL_ERR_FORMAT,
                "reviews.csv:4: 1 field, the header has 2 (a text with commas must be quoted: \"...\")");
    check_fails("cut after a comma", cut, strlen("text,label\ngood,1\nbad,"), &cfg, RNL_ERR_FORMAT,
                "reviews.csv:3: empty label in column 'label'");
    const char *cut_quote = "text,label\ngood,1\n\"a long review, cut in the mid";
    check_fails("cut inside quotes", cut_quote, strlen(cut_quote), &cfg, RNL_ERR_FORMAT,
                "reviews.csv:3: unterminated quote: the quoted field 1 that starts on line 3 never ends");
    // A header without the label column, behind a byte order mark and CRLF line ends.
    const char *no_label = "\xEF\xBB\xBFreview,stars\r\nA fine film,5\r\n";
    check_fails("no label column (BOM, CRLF)", no_label, strlen(no_label), &cfg, RNL_ERR_FORMAT,
                "reviews.csv:1: no 'label' column in the header (columns: 'review', 'stars'): expected a header row naming a "
                "text (or review) column and a label (or sentiment) column");
    // Classic Mac OS line ends: a carriage return alone ends each line.
    const char *mac = "text,label\rgood,1\rbad,0\r";
    check_fails("lone CR line ends", mac, strlen(mac), &cfg, RNL_ERR_FORMAT,
                "reviews.csv: lines end with a carriage return alone (classic Mac OS line ends): save the file with LF or CRLF line ends");
    uint8_t noise[4096];
    rnl_rng r;
    rnl_rng_seed(&r, 5);
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)rnl_rng_next(&r);
    st = rnl_text_csv_dataset(NULL, (const char *)noise, sizeof noise, &cfg, &ds, NULL);
    CHECK(st == RNL_ERR_FORMAT && ds == NULL && strncmp(rnl_last_error(), "reviews CSV:", 12) == 0, "random bytes: %s", rnl_last_error());
    // Without NUL bytes, random text fails on its header or rows, never crashes.
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = noise[i] ? noise[i] : 'x';
    st = rnl_text_csv_dataset("noise.csv", (const char *)noise, sizeof noise, &cfg, &ds, NULL);
    CHECK(st != RNL_OK && ds == NULL, "random text is rejected: %s", rnl_last_error());
}

int main(void) {
    test_good_file();
    test_quoting();
    test_bad_inputs();
    return tu_summary("test_data_textcsv");
}

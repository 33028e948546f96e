// test_data_tokenize.c: the tokenizer's rules case by case, word counts, the vocabulary's order and
// ties, and encoding with truncation at either end.
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"
#include "testutil.h"

typedef struct {
    char out[4096];
    size_t n;
    int count;
} joined;

static int join_token(void *user, const char *tok, size_t len) {
    joined *j = user;
    const char *t = len ? tok : "#LONG#";
    size_t l = len ? len : 6;
    if (j->n + l + 2 < sizeof j->out) {
        if (j->count) j->out[j->n++] = '|';
        memcpy(j->out + j->n, t, l);
        j->n += l;
        j->out[j->n] = 0;
    }
    j->count++;
    return 0;
}

// Tokens of text joined with '|'.
static const char *toks(const char *text, size_t n) {
    static joined j;
    memset(&j, 0, sizeof j);
    rnl_tokenize(text, n, join_token, &j);
    return j.out;
}

#define EXPECT_TOKENS(text, expected)                                                         \
    do {                                                                                      \
        const char *got_ = toks(text, sizeof(text) - 1);                                      \
        CHECK(strcmp(got_, expected) == 0, "tokens of \"%s\": got \"%s\", expected \"%s\"", text, got_, expected); \
    } while (0)

static void test_tokenizer(void) {
    EXPECT_TOKENS("", "");
    EXPECT_TOKENS("   \t\n\r ", "");
    EXPECT_TOKENS("Hello World", "hello|world");
    EXPECT_TOKENS("MiXeD CaSe 42", "mixed|case|42");
    // Markup goes, and separates the words around it.
    EXPECT_TOKENS("good<br />bad", "good|bad");
    EXPECT_TOKENS("one.<br /><br />Two", "one|.|two");
    EXPECT_TOKENS("<i>italic</i> and <a href=\"x.html\">link</a>", "italic|and|link");
    EXPECT_TOKENS("<!-- note -->text", "text");
    // '<' that does not open a tag is punctuation.
    EXPECT_TOKENS("a < b", "a|<|b");
    EXPECT_TOKENS("I <3 it", "i|<|3|it");
    EXPECT_TOKENS("x <no end", "x|<|no|end");
    // Punctuation: its own token; runs of one character are one token.
    EXPECT_TOKENS("Great, great, GREAT.", "great|,|great|,|great|.");
    EXPECT_TOKENS("wow!!! really?!", "wow|!!!|really|?|!");
    EXPECT_TOKENS("wait... (what)", "wait|...|(|what|)");
    EXPECT_TOKENS("7/10", "7|/|10");
    EXPECT_TOKENS("well-made", "well|-|made");
    EXPECT_TOKENS("\"quoted\"", "\"|quoted|\"");
    // Apostrophes stay inside words only.
    EXPECT_TOKENS("Don't stop, it's 80's rock'n'roll", "don't|stop|,|it's|80's|rock'n'roll");
    EXPECT_TOKENS("'tis the 'end'", "'|tis|the|'|end|'");
    EXPECT_TOKENS("dogs' toys", "dogs|'|toys");
    // UTF-8 stays inside words, untouched (only ASCII is lowercased).
    EXPECT_TOKENS("Caf\xc3\xa9 \xc3\x89T\xc3\x89", "caf\xc3\xa9|\xc3\x89t\xc3\x89");
    EXPECT_TOKENS("na\xc3\xafve\xe2\x80\x94nice", "na\xc3\xafve\xe2\x80\x94nice");
    // Invalid UTF-8 and control bytes: no crash; bytes >= 0x80 are word bytes, controls separate.
    EXPECT_TOKENS("bad\xff\xfe bytes\x80", "bad\xff\xfe|bytes\x80");
    EXPECT_TOKENS("a\x01" "b\x7f" "c", "a|b|c");
    {
        const char nul[] = {'a', 0, 'b'};
        const char *got = toks(nul, 3);
        CHECK(strcmp(got, "a|b") == 0, "NUL separates: got \"%s\"", got);
    }
    // A token longer than RNL_TOKEN_MAX bytes is passed with len 0.
    {
        char text[200];
        memset(text, 'x', 150);
        memcpy(text + 150, " ok", 4);
        const char *got = toks(text, strlen(text));
        CHECK(strcmp(got, "#LONG#|ok") == 0, "long token: got \"%s\"", got);
        memset(text, 'y', RNL_TOKEN_MAX);
        text[RNL_TOKEN_MAX] = 0;
        got = toks(text, RNL_TOKEN_MAX);
        CHECK(strlen(got) == RNL_TOKEN_MAX, "a token of exactly RNL_TOKEN_MAX bytes is kept (got %zu bytes)", strlen(got));
    }
}

static int stop_at_two(void *user, const char *tok, size_t len) {
    (void)tok, (void)len;
    return ++*(int *)user >= 2;
}

static void test_early_stop(void) {
    int seen = 0;
    rnl_tokenize("a b c d e", 9, stop_at_two, &seen);
    CHECK(seen == 2, "callback returning nonzero stops the tokenizer (saw %d tokens)", seen);
}

// A huge review: 5 MB of text with a 1 MB "word", markup and punctuation, tokenized in one go.
static void test_enormous(void) {
    size_t n = 5u << 20;
    char *text = malloc(n);
    CHECK(text != NULL, "malloc");
    if (!text) return;
    size_t k = 0;
    const char *piece = "Great movie!<br />";
    while (k + 1024 < n / 2) {
        memcpy(text + k, piece, strlen(piece));
        k += strlen(piece);
    }
    text[k++] = ' ';
    memset(text + k, 'z', 1u << 20);
    k += 1u << 20;
    text[k++] = ' ';
    while (k < n) text[k++] = '<';  // a megabyte run of '<', none of them a tag
    rnl_word_counts *c;
    CHECK_OK(rnl_word_counts_create(&c));
    CHECK_OK(rnl_word_counts_add_text(c, text, n));
    CHECK(rnl_word_counts_get(c, "great", 5) > 100000, "great counted %u times", rnl_word_counts_get(c, "great", 5));
    CHECK(rnl_word_counts_get(c, "!", 1) == rnl_word_counts_get(c, "great", 5), "one '!' per 'great'");
    CHECK(rnl_word_counts_get(c, "<", 1) > 1000000, "each '<' is a token (%u)", rnl_word_counts_get(c, "<", 1));
    CHECK(rnl_word_counts_distinct(c) == 4, "distinct: great, movie, !, < (got %zu)", rnl_word_counts_distinct(c));
    rnl_vocab *v;
    CHECK_OK(rnl_vocab_build(&v, c, 100));
    int32_t ids[300];
    int len = rnl_vocab_encode(v, text, n, 300, 1, ids);
    CHECK(len == 300 && ids[299] == rnl_vocab_id(v, "<", 1), "keep_end encodes the last 300 tokens");
    len = rnl_vocab_encode(v, text, n, 3, 0, ids);
    CHECK(len == 3 && ids[0] == rnl_vocab_id(v, "great", 5) && ids[2] == rnl_vocab_id(v, "!", 1), "keep start");
    rnl_vocab_destroy(v);
    rnl_word_counts_destroy(c);
    free(text);
}

static void test_vocab(void) {
    rnl_word_counts *c;
    CHECK_OK(rnl_word_counts_create(&c));
    const char *text = "b a c b a b d e e";  // b 3, a 2, e 2, c 1, d 1
    CHECK_OK(rnl_word_counts_add_text(c, text, strlen(text)));
    CHECK(rnl_word_counts_total(c) == 9, "total %llu", (unsigned long long)rnl_word_counts_total(c));
    CHECK(rnl_word_counts_distinct(c) == 5, "distinct %zu", rnl_word_counts_distinct(c));
    rnl_vocab *v;
    CHECK_OK(rnl_vocab_build(&v, c, 4));
    CHECK(rnl_vocab_size(v) == 6, "size %d (4 words + 2 reserved)", rnl_vocab_size(v));
    const char *want[] = {"<pad>", "<unk>", "b", "a", "e", "c"};  // ties: a < e, c < d
    for (int i = 0; i < 6; i++)
        CHECK(strcmp(rnl_vocab_word(v, i), want[i]) == 0, "word %d: %s, expected %s", i, rnl_vocab_word(v, i), want[i]);
    CHECK(rnl_vocab_word(v, 6) == NULL && rnl_vocab_word(v, -1) == NULL, "out of range gives NULL");
    CHECK(rnl_vocab_id(v, "d", 1) == RNL_UNK, "d is not in the 4 most frequent");
    CHECK(rnl_vocab_id(v, "e", 1) == 4, "id of e %d", rnl_vocab_id(v, "e", 1));
    CHECK(rnl_vocab_id(v, "", 0) == RNL_UNK, "empty word is unk");
    rnl_vocab_destroy(v);
    // Ties across the cut are broken by bytes, shorter first: "ab" < "abc" < "b".
    rnl_word_counts *t;
    CHECK_OK(rnl_word_counts_create(&t));
    CHECK_OK(rnl_word_counts_add(t, "b", 1, 5));
    CHECK_OK(rnl_word_counts_add(t, "abc", 3, 5));
    CHECK_OK(rnl_word_counts_add(t, "ab", 2, 5));
    CHECK_OK(rnl_word_counts_add(t, "\xc3\xa9", 2, 5));  // bytes >= 0x80 sort after ASCII
    CHECK_OK(rnl_vocab_build(&v, t, 10));
    CHECK(rnl_vocab_size(v) == 6, "all 4 words when fewer than max");
    CHECK(strcmp(rnl_vocab_word(v, 2), "ab") == 0 && strcmp(rnl_vocab_word(v, 3), "abc") == 0 &&
              strcmp(rnl_vocab_word(v, 4), "b") == 0 && strcmp(rnl_vocab_word(v, 5), "\xc3\xa9") == 0,
          "tie order: %s %s %s %s", rnl_vocab_word(v, 2), rnl_vocab_word(v, 3), rnl_vocab_word(v, 4), rnl_vocab_word(v, 5));
    rnl_vocab_destroy(v);
    rnl_word_counts_destroy(t);

    // Bad arguments.
    CHECK(rnl_vocab_build(&v, c, 0) == RNL_ERR_ARG && strstr(rnl_last_error(), "vocab_words 0"), "%s", rnl_last_error());
    CHECK_OK(rnl_vocab_create(&v));
    CHECK_OK(rnl_vocab_add(v, "x", 1));
    CHECK(rnl_vocab_add(v, "x", 1) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "duplicate word 'x'"), "%s", rnl_last_error());
    CHECK(rnl_vocab_add(v, "", 0) == RNL_ERR_ARG, "empty word rejected");
    rnl_vocab_destroy(v);
    rnl_word_counts_destroy(c);
}

static void test_encode(void) {
    rnl_vocab *v;
    CHECK_OK(rnl_vocab_create(&v));
    const char *words[] = {"the", "film", "was", "great", "."};
    for (int i = 0; i < 5; i++) CHECK_OK(rnl_vocab_add(v, words[i], strlen(words[i])));
    const char *text = "The film was GREAT. The end.";  // the film was great . the end .
    int32_t ids[16];
    int len = rnl_vocab_encode(v, text, strlen(text), 16, 0, ids);
    int32_t all[] = {2, 3, 4, 5, 6, 2, RNL_UNK, 6};
    CHECK(len == 8 && memcmp(ids, all, sizeof all) == 0, "full encoding (len %d)", len);
    len = rnl_vocab_encode(v, text, strlen(text), 3, 0, ids);
    CHECK(len == 3 && ids[0] == 2 && ids[1] == 3 && ids[2] == 4, "keep start: %d %d %d", ids[0], ids[1], ids[2]);
    for (int m = 1; m <= 9; m++) {
        len = rnl_vocab_encode(v, text, strlen(text), m, 1, ids);
        int expect = m < 8 ? m : 8;
        CHECK(len == expect && memcmp(ids, all + 8 - expect, sizeof(int32_t) * (size_t)expect) == 0,
              "keep end with max_len %d (len %d)", m, len);
    }
    len = rnl_vocab_encode(v, "", 0, 5, 0, ids);
    CHECK(len == 1 && ids[0] == RNL_UNK, "empty text is one <unk>");
    len = rnl_vocab_encode(v, "<br /><br />", 12, 5, 1, ids);
    CHECK(len == 1 && ids[0] == RNL_UNK, "markup only is one <unk>");
    rnl_vocab_destroy(v);
}

int main(void) {
    test_tokenizer();
    test_early_stop();
    test_vocab();
    test_encode();
    test_enormous();
    return tu_summary("test_data_tokenize");
}

// tokenize.c: the tokenizer, word counts and the vocabulary (rnnlab_data.h gives the rules).
// The tokenizer works on bytes and never decodes UTF-8, so no input can make it fail; it allocates
// nothing. Counts and vocabularies share one open-addressing hash map of byte strings.
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

// --- Tokenizer ----------------------------------------------------------------------------------

#define TAG_MAX 256  // bytes from '<' to '>' for markup; a longer "<...>" is punctuation and words

static int is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Length of the markup tag starting at text[i] == '<', or 0 if it is not one: '<' followed by a letter,
// '/' or '!', up to the first '>' within TAG_MAX bytes, with no other '<' on the way.
static size_t tag_length(const char *text, size_t i, size_t n) {
    if (i + 1 >= n) return 0;
    unsigned char c = (unsigned char)text[i + 1];
    if (!is_alpha(c) && c != '/' && c != '!') return 0;
    for (size_t j = i + 2; j < n && j - i < TAG_MAX; j++) {
        if (text[j] == '>') return j - i + 1;
        if (text[j] == '<') return 0;
    }
    return 0;
}

static int emit(rnl_token_fn fn, void *user, const char *src, size_t len) {
    char buf[RNL_TOKEN_MAX + 1];
    if (len > RNL_TOKEN_MAX) return fn(user, "", 0);
    for (size_t k = 0; k < len; k++) {
        char c = src[k];
        buf[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    buf[len] = 0;
    return fn(user, buf, len);
}

void rnl_tokenize(const char *text, size_t n, rnl_token_fn fn, void *user) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)text[i];
        if (is_word_byte(c)) {
            size_t start = i++;
            while (i < n) {
                unsigned char d = (unsigned char)text[i];
                if (is_word_byte(d)) i++;
                else if (d == '\'' && i + 1 < n && is_word_byte((unsigned char)text[i + 1])) i += 2;
                else break;
            }
            if (emit(fn, user, text + start, i - start)) return;
        } else if (c <= ' ' || c == 0x7f) {
            i++;
        } else if (c == '<') {
            size_t t = tag_length(text, i, n);
            if (t) {
                i += t;  // markup separates like a space
            } else {
                if (emit(fn, user, text + i, 1)) return;
                i++;
            }
        } else {
            size_t start = i;
            while (i < n && (unsigned char)text[i] == c) i++;
            if (emit(fn, user, text + start, i - start)) return;
        }
    }
}

// --- Hash map of byte strings -------------------------------------------------------------------
// Entries keep their insertion order (the vocabulary uses it as the id order); strings live in one
// arena, NUL-terminated, addressed by offset so the arena can grow.

#define MAP_MAX_ENTRIES (1u << 26)

typedef struct {
    uint32_t hash, off, len, value;
} map_entry;

typedef struct {
    uint32_t *slots;  // (cap) entry index + 1, 0 = empty
    uint32_t cap;     // power of two
    map_entry *ents;
    uint32_t n, ent_cap;
    char *arena;
    size_t arena_len, arena_cap;
} strmap;

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void map_free(strmap *m) {
    free(m->slots);
    free(m->ents);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

static map_entry *map_find(const strmap *m, const char *s, size_t len, uint32_t h) {
    if (!m->cap) return NULL;
    for (uint32_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        uint32_t k = m->slots[i];
        if (!k) return NULL;
        map_entry *e = &m->ents[k - 1];
        if (e->hash == h && e->len == len && memcmp(m->arena + e->off, s, len) == 0) return e;
    }
}

static int map_rehash(strmap *m, uint32_t cap) {
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return 0;
    for (uint32_t k = 0; k < m->n; k++) {
        uint32_t i = m->ents[k].hash & (cap - 1);
        while (slots[i]) i = (i + 1) & (cap - 1);
        slots[i] = k + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 1;
}

// Finds or inserts s; *created tells which. NULL: out of memory or over the entry limit.
static map_entry *map_intern(strmap *m, const char *s, size_t len, int *created) {
    uint32_t h = hash_bytes(s, len);
    map_entry *e = map_find(m, s, len, h);
    *created = 0;
    if (e) return e;
    if (m->n >= MAP_MAX_ENTRIES) return NULL;
    if ((uint64_t)(m->n + 1) * 4 > (uint64_t)m->cap * 3 && !map_rehash(m, m->cap ? m->cap * 2 : 1024)) return NULL;
    if (m->n == m->ent_cap) {
        uint32_t nc = m->ent_cap ? m->ent_cap * 2 : 1024;
        map_entry *ne = realloc(m->ents, sizeof *ne * nc);
        if (!ne) return NULL;
        m->ents = ne;
        m->ent_cap = nc;
    }
    if (m->arena_len + len + 1 > m->arena_cap) {
        size_t nc = m->arena_cap ? m->arena_cap * 2 : 16384;
        while (nc < m->arena_len + len + 1) nc *= 2;
        if (nc > UINT32_MAX) return NULL;
        char *na = realloc(m->arena, nc);
        if (!na) return NULL;
        m->arena = na;
        m->arena_cap = nc;
    }
    e = &m->ents[m->n];
    e->hash = h;
    e->off = (uint32_t)m->arena_len;
    e->len = (uint32_t)len;
    e->value = 0;
    memcpy(m->arena + m->arena_len, s, len);
    m->arena[m->arena_len + len] = 0;
    m->arena_len += len + 1;
    uint32_t i = h & (m->cap - 1);
    while (m->slots[i]) i = (i + 1) & (m->cap - 1);
    m->slots[i] = ++m->n;
    *created = 1;
    return e;
}

// --- Word counts --------------------------------------------------------------------------------

struct rnl_word_counts {
    strmap map;
    uint64_t total;
    int failed;  // set by the tokenizer callback when an insert fails
};

rnl_status rnl_word_counts_create(rnl_word_counts **out) {
    *out = calloc(1, sizeof **out);
    return *out ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "word counts: out of memory");
}

void rnl_word_counts_destroy(rnl_word_counts *c) {
    if (!c) return;
    map_free(&c->map);
    free(c);
}

rnl_status rnl_word_counts_add(rnl_word_counts *c, const char *word, size_t len, uint32_t count) {
    if (len == 0 || len > RNL_TOKEN_MAX) {
        c->total += count;  // an over-long token: counted as a token, never a word
        return RNL_OK;
    }
    int created;
    map_entry *e = map_intern(&c->map, word, len, &created);
    if (!e) return rnl_fail(RNL_ERR_NOMEM, "word counts: out of memory or over %u distinct words", MAP_MAX_ENTRIES);
    e->value = (e->value > UINT32_MAX - count) ? UINT32_MAX : e->value + count;
    c->total += count;
    return RNL_OK;
}

static int count_token(void *user, const char *tok, size_t len) {
    rnl_word_counts *c = user;
    if (rnl_word_counts_add(c, tok, len, 1) != RNL_OK) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

rnl_status rnl_word_counts_add_text(rnl_word_counts *c, const char *text, size_t n) {
    c->failed = 0;
    rnl_tokenize(text, n, count_token, c);
    return c->failed ? RNL_ERR_NOMEM : RNL_OK;  // the message is already set
}

size_t rnl_word_counts_distinct(const rnl_word_counts *c) { return c->map.n; }
uint64_t rnl_word_counts_total(const rnl_word_counts *c) { return c->total; }

uint32_t rnl_word_counts_get(const rnl_word_counts *c, const char *word, size_t len) {
    map_entry *e = map_find(&c->map, word, len, hash_bytes(word, len));
    return e ? e->value : 0;
}

// --- Vocabulary ---------------------------------------------------------------------------------

struct rnl_vocab {
    strmap map;  // entry k is id k + 2; value unused
};

rnl_status rnl_vocab_create(rnl_vocab **out) {
    *out = calloc(1, sizeof **out);
    return *out ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "vocabulary: out of memory");
}

void rnl_vocab_destroy(rnl_vocab *v) {
    if (!v) return;
    map_free(&v->map);
    free(v);
}

rnl_status rnl_vocab_add(rnl_vocab *v, const char *word, size_t len) {
    if (len == 0 || len > RNL_TOKEN_MAX)
        return rnl_fail(RNL_ERR_ARG, "vocabulary: word of %zu bytes (must be 1..%d)", len, RNL_TOKEN_MAX);
    if (v->map.n + 2 >= RNL_MAX_VOCAB)
        return rnl_fail(RNL_ERR_ARG, "vocabulary: more than %d words", RNL_MAX_VOCAB);
    int created;
    map_entry *e = map_intern(&v->map, word, len, &created);
    if (!e) return rnl_fail(RNL_ERR_NOMEM, "vocabulary: out of memory");
    if (!created) return rnl_fail(RNL_ERR_FORMAT, "vocabulary: duplicate word '%.*s'", (int)len, word);
    return RNL_OK;
}

int rnl_vocab_size(const rnl_vocab *v) { return (int)v->map.n + 2; }

const char *rnl_vocab_word(const rnl_vocab *v, int id) {
    if (id == RNL_PAD) return "<pad>";
    if (id == RNL_UNK) return "<unk>";
    if (id < 2 || id >= rnl_vocab_size(v)) return NULL;
    return v->map.arena + v->map.ents[id - 2].off;
}

int32_t rnl_vocab_id(const rnl_vocab *v, const char *word, size_t len) {
    if (len == 0 || len > RNL_TOKEN_MAX) return RNL_UNK;
    const map_entry *e = map_find(&v->map, word, len, hash_bytes(word, len));
    return e ? (int32_t)(e - v->map.ents) + 2 : RNL_UNK;
}

typedef struct {
    const char *arena;
    const map_entry *e;
} rank_item;

static int by_count_then_bytes(const void *pa, const void *pb) {
    const rank_item *a = pa, *b = pb;
    if (a->e->value != b->e->value) return a->e->value > b->e->value ? -1 : 1;
    size_t la = a->e->len, lb = b->e->len;
    int c = memcmp(a->arena + a->e->off, b->arena + b->e->off, la < lb ? la : lb);
    if (c) return c;
    return la < lb ? -1 : la > lb;
}

rnl_status rnl_vocab_build(rnl_vocab **out, const rnl_word_counts *c, int max_words) {
    *out = NULL;
    if (max_words < 1 || max_words > RNL_MAX_VOCAB - 2)
        return rnl_fail(RNL_ERR_ARG, "vocabulary: vocab_words %d is outside 1..%d", max_words, RNL_MAX_VOCAB - 2);
    size_t n = c->map.n;
    rank_item *items = malloc(sizeof *items * (n ? n : 1));
    if (!items) return rnl_fail(RNL_ERR_NOMEM, "vocabulary: out of memory ranking %zu words", n);
    for (size_t k = 0; k < n; k++) items[k].arena = c->map.arena, items[k].e = &c->map.ents[k];
    qsort(items, n, sizeof *items, by_count_then_bytes);
    rnl_vocab *v;
    rnl_status st = rnl_vocab_create(&v);
    size_t take = n < (size_t)max_words ? n : (size_t)max_words;
    for (size_t k = 0; st == RNL_OK && k < take; k++)
        st = rnl_vocab_add(v, c->map.arena + items[k].e->off, items[k].e->len);
    free(items);
    if (st != RNL_OK) {
        rnl_vocab_destroy(v);
        return st;
    }
    *out = v;
    return RNL_OK;
}

// --- Encoding -----------------------------------------------------------------------------------

typedef struct {
    const rnl_vocab *v;
    int32_t *out;
    int max_len, keep_end;
    uint64_t seen;  // tokens so far; with keep_end, out is a ring buffer indexed by seen % max_len
} encoder;

static int encode_token(void *user, const char *tok, size_t len) {
    encoder *e = user;
    int32_t id = rnl_vocab_id(e->v, tok, len);
    if (!e->keep_end) {
        e->out[e->seen++] = id;
        return e->seen >= (uint64_t)e->max_len;
    }
    e->out[e->seen++ % (uint64_t)e->max_len] = id;
    return 0;
}

int rnl_vocab_encode(const rnl_vocab *v, const char *text, size_t n, int max_len, int keep_end, int32_t *out) {
    if (max_len < 1) return 0;
    encoder e = {v, out, max_len, keep_end, 0};
    rnl_tokenize(text, n, encode_token, &e);
    if (e.seen == 0) {
        out[0] = RNL_UNK;
        return 1;
    }
    if (!keep_end || e.seen <= (uint64_t)max_len) return (int)(e.seen < (uint64_t)max_len ? e.seen : (uint64_t)max_len);
    // Rotate the ring so that the oldest kept token comes first: reverse the two parts, then the whole.
    size_t k = (size_t)(e.seen % (uint64_t)max_len), m = (size_t)max_len;
    for (size_t a = 0, b = k; a + 1 < b; a++, b--) { int32_t t = out[a]; out[a] = out[b - 1]; out[b - 1] = t; }
    for (size_t a = k, b = m; a + 1 < b; a++, b--) { int32_t t = out[a]; out[a] = out[b - 1]; out[b - 1] = t; }
    for (size_t a = 0, b = m; a + 1 < b; a++, b--) { int32_t t = out[a]; out[a] = out[b - 1]; out[b - 1] = t; }
    return max_len;
}

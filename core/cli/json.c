// json.c: see json.h. Recursive descent with an explicit depth limit; every node and string lives in
// a pool freed at once.
#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct pool_block { struct pool_block *next; size_t used, cap; char data[]; } pool_block;

struct json_doc {
    pool_block *blocks;
    json_value *root;
};

typedef struct {
    const char *p, *end, *start;
    json_doc *doc;
    rnl_status st;
} parser;

static void *pool_alloc(json_doc *d, size_t n) {
    n = (n + 15) & ~(size_t)15;
    pool_block *b = d->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = d->blocks;
        b->used = 0;
        b->cap = cap;
        d->blocks = b;
    }
    void *r = b->data + b->used;
    b->used += n;
    return r;
}

static rnl_status error_at(parser *ps, const char *what) {
    int line = 1, col = 1;
    for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') line++, col = 1;
        else col++;
    }
    if (!ps->st) ps->st = rnl_fail(RNL_ERR_FORMAT, "line %d, column %d: %s", line, col, what);
    return ps->st;
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static json_value *new_value(parser *ps, json_type t) {
    json_value *v = pool_alloc(ps->doc, sizeof *v);
    if (!v) {
        ps->st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading JSON");
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = t;
    return v;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char *parse_string(parser *ps) {
    ps->p++;  // opening quote
    const char *s = ps->p;
    size_t n = 0;
    while (s < ps->end && *s != '"') {
        if (*s == '\\') s++;
        s++, n++;
    }
    if (s >= ps->end) { error_at(ps, "unterminated string"); return NULL; }
    char *out = pool_alloc(ps->doc, n * 3 + 1), *w = out;  // a \uXXXX escape becomes at most 3 bytes
    if (!out) { ps->st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading JSON"); return NULL; }
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) { error_at(ps, "control character in string"); return NULL; }
        if (c != '\\') { *w++ = (char)c; ps->p++; continue; }
        ps->p++;
        switch (*ps->p) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 1; i <= 4; i++) {
                int h = ps->p + i < ps->end ? hexval(ps->p[i]) : -1;
                if (h < 0) { error_at(ps, "bad \\u escape"); return NULL; }
                cp = cp << 4 | (unsigned)h;
            }
            ps->p += 4;
            // Surrogate halves are kept as-is (3 bytes each): batch files only need ASCII keys.
            if (cp < 0x80) *w++ = (char)cp;
            else if (cp < 0x800) *w++ = (char)(0xc0 | cp >> 6), *w++ = (char)(0x80 | (cp & 0x3f));
            else *w++ = (char)(0xe0 | cp >> 12), *w++ = (char)(0x80 | ((cp >> 6) & 0x3f)), *w++ = (char)(0x80 | (cp & 0x3f));
            break;
        }
        default: error_at(ps, "bad escape in string"); return NULL;
        }
        ps->p++;
    }
    ps->p++;
    *w = 0;
    return out;
}

static json_value *parse_value(parser *ps, int depth);

// Children are collected in a growable temporary array, then copied into the pool.
static json_value *parse_container(parser *ps, int depth, int object) {
    json_value *v = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
    if (!v) return NULL;
    ps->p++;
    size_t n = 0, cap = 8;
    json_value **tmp = malloc(sizeof *tmp * cap);
    if (!tmp) { ps->st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading JSON"); return NULL; }
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        free(tmp);
        return v;
    }
    for (;;) {
        const char *key = NULL;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') { error_at(ps, "expected a string key"); break; }
            if (!(key = parse_string(ps))) break;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { error_at(ps, "expected ':' after a key"); break; }
            ps->p++;
        }
        json_value *child = parse_value(ps, depth + 1);
        if (!child) break;
        child->key = key;
        if (n == cap) {
            json_value **t2 = realloc(tmp, sizeof *tmp * (cap *= 2));
            if (!t2) { ps->st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading JSON"); break; }
            tmp = t2;
        }
        tmp[n++] = child;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
            ps->p++;
            v->count = n;
            v->items = pool_alloc(ps->doc, sizeof *tmp * n);
            if (!v->items) { ps->st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading JSON"); break; }
            memcpy(v->items, tmp, sizeof *tmp * n);
            free(tmp);
            return v;
        }
        error_at(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    free(tmp);
    return NULL;
}

static json_value *parse_number(parser *ps) {
    const char *s = ps->p;
    if (s < ps->end && *s == '-') s++;
    if (s >= ps->end || !(*s >= '0' && *s <= '9')) { error_at(ps, "bad number"); return NULL; }
    if (*s == '0') s++;
    else while (s < ps->end && *s >= '0' && *s <= '9') s++;
    if (s < ps->end && *s == '.') {
        s++;
        if (s >= ps->end || !(*s >= '0' && *s <= '9')) { error_at(ps, "bad number"); return NULL; }
        while (s < ps->end && *s >= '0' && *s <= '9') s++;
    }
    if (s < ps->end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < ps->end && (*s == '+' || *s == '-')) s++;
        if (s >= ps->end || !(*s >= '0' && *s <= '9')) { error_at(ps, "bad number"); return NULL; }
        while (s < ps->end && *s >= '0' && *s <= '9') s++;
    }
    char buf[64];
    size_t len = (size_t)(s - ps->p);
    if (len >= sizeof buf) { error_at(ps, "number too long"); return NULL; }
    memcpy(buf, ps->p, len);
    buf[len] = 0;
    json_value *v = new_value(ps, JSON_NUMBER);
    if (!v) return NULL;
    v->number = strtod(buf, NULL);
    ps->p = s;
    return v;
}

static json_value *parse_value(parser *ps, int depth) {
    if (depth > JSON_MAX_DEPTH) { error_at(ps, "nested too deeply"); return NULL; }
    skip_ws(ps);
    if (ps->p >= ps->end) { error_at(ps, "unexpected end of input"); return NULL; }
    char c = *ps->p;
    if (c == '{' || c == '[') return parse_container(ps, depth, c == '{');
    if (c == '"') {
        json_value *v = new_value(ps, JSON_STRING);
        if (v && !(v->string = parse_string(ps))) return NULL;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(ps);
    static const struct { const char *word; json_type t; double v; } lits[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(lits[i].word);
        if ((size_t)(ps->end - ps->p) >= len && memcmp(ps->p, lits[i].word, len) == 0) {
            json_value *v = new_value(ps, lits[i].t);
            if (v) v->number = lits[i].v;
            ps->p += len;
            return v;
        }
    }
    error_at(ps, "unexpected character");
    return NULL;
}

rnl_status json_parse(const char *text, size_t n, json_doc **out) {
    *out = NULL;
    if (n > JSON_MAX_BYTES) return rnl_fail(RNL_ERR_FORMAT, "JSON input of %zu bytes is larger than the limit of %u", n, JSON_MAX_BYTES);
    json_doc *d = calloc(1, sizeof *d);
    if (!d) return rnl_fail(RNL_ERR_NOMEM, "out of memory reading JSON");
    parser ps = {text, text + n, text, d, RNL_OK};
    d->root = parse_value(&ps, 0);
    if (d->root) {
        skip_ws(&ps);
        if (ps.p != ps.end) { error_at(&ps, "unexpected text after the JSON value"); d->root = NULL; }
    }
    if (!d->root) {
        json_free(d);
        return ps.st ? ps.st : rnl_fail(RNL_ERR_FORMAT, "bad JSON");
    }
    *out = d;
    return RNL_OK;
}

const json_value *json_root(const json_doc *d) { return d->root; }

void json_free(json_doc *d) {
    if (!d) return;
    for (pool_block *b = d->blocks, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    free(d);
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->items[i]->key, key) == 0) return obj->items[i];
    return NULL;
}

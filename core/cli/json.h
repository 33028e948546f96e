// json.h: a small, strict JSON reader for the CLI's batch files (RFC 8259 values; no extensions).
// It builds a tree in one allocation pool with hard limits on size, depth and element count, and
// reports the line and column of the first error.
#ifndef RNNLAB_JSON_H
#define RNNLAB_JSON_H

#include <stddef.h>
#include "rnnlab.h"

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    double number;        // NUMBER, BOOL (0/1)
    const char *string;   // STRING (NUL-terminated, escapes decoded); for object members, the key
    size_t count;         // ARRAY / OBJECT: number of children
    json_value **items;   // ARRAY / OBJECT children; an object's child has its key in `key`
    const char *key;
};

#define JSON_MAX_DEPTH 64
#define JSON_MAX_BYTES (64u << 20)

typedef struct json_doc json_doc;

// Parses `text` (n bytes). On error returns RNL_ERR_FORMAT with "line L, column C: what".
rnl_status json_parse(const char *text, size_t n, json_doc **out);
const json_value *json_root(const json_doc *d);
void json_free(json_doc *d);
const json_value *json_get(const json_value *obj, const char *key);  // NULL if absent

#endif

// batch_json.h: reads the CLI's JSON batch format (docs/cli.md) for a given model configuration.
#ifndef RNNLAB_BATCH_JSON_H
#define RNNLAB_BATCH_JSON_H

#include "json.h"
#include "rnnlab.h"

// Owned buffers of one batch, batch-major; free with batch_json_free (safe on a zeroed struct).
typedef struct {
    int B, T;
    int32_t *tokens, *lengths;
    rnl_real *inputs, *targets;
} batch_json;

// Fills `out` from a parsed JSON document; on error the message names the sequence and step.
rnl_status batch_json_read(const json_value *root, const rnl_config *c, batch_json *out);
void batch_json_free(batch_json *b);

#endif

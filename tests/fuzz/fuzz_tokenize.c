// fuzz_tokenize.c: libFuzzer target for the tokenizer and vocabulary encoding: any bytes (markup,
// invalid UTF-8, NULs, over-long tokens) become tokens of at most RNL_TOKEN_MAX bytes without a crash,
// and encoding respects max_len and the vocabulary's id range.
#include <stdint.h>
#include <stdlib.h>

#include "rnnlab_data.h"

static int count_token(void *user, const char *tok, size_t len) {
    // len == 0 is the documented signal for a token longer than RNL_TOKEN_MAX (it becomes <unk>).
    if (!tok || len > RNL_TOKEN_MAX) abort();
    ++*(size_t *)user;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t tokens = 0;
    rnl_tokenize((const char *)data, size, count_token, &tokens);
    static rnl_vocab *v;
    if (!v) {
        rnl_vocab_create(&v);
        const char *words[] = {"the", "movie", "great", "bad", ".", ",", "!"};
        for (int i = 0; i < 7; i++) rnl_vocab_add(v, words[i], __builtin_strlen(words[i]));
    }
    int32_t ids[16];
    int n = rnl_vocab_encode(v, (const char *)data, size, 16, size & 1, ids);
    if (n < 1 || n > 16) abort();
    for (int i = 0; i < n; i++)
        if (ids[i] < 1 || ids[i] >= rnl_vocab_size(v)) abort();
    return 0;
}

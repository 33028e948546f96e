// bytes.c: CRC-32, whole-file reads and atomic writes for every rnnlab file format (bytes.h). The WASM
// module is built with RNL_NO_FILES: there the page and Node pass bytes, and the file calls only say so.
#define _POSIX_C_SOURCE 200809L  // fsync, fileno
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

// CRC-32 (IEEE 802.3, as zlib and PNG), table built on first use.
uint32_t rnl_crc32(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

#ifdef RNL_NO_FILES

rnl_status rnl_file_write_atomic(const char *path, const uint8_t *buf, size_t n) {
    (void)buf, (void)n;
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (pass bytes instead)", path);
}

rnl_status rnl_file_read(const char *path, uint64_t limit, uint8_t **out, size_t *n) {
    (void)limit, (void)n;
    *out = NULL;
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (pass bytes instead)", path);
}

#else
#include <sys/stat.h>
#include <unistd.h>

rnl_status rnl_file_write_atomic(const char *path, const uint8_t *buf, size_t n) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    rnl_status st = RNL_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = rnl_fail(RNL_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    } else {
        int ok = fwrite(buf, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
        int err = errno;
        ok = fclose(f) == 0 && ok;
        if (!ok) st = rnl_fail(RNL_ERR_IO, "writing %s failed: %s", tmp, strerror(err ? err : errno));
        else if (rename(tmp, path) != 0) st = rnl_fail(RNL_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (st) remove(tmp);
    }
    free(tmp);
    return st;
}

rnl_status rnl_file_read(const char *path, uint64_t limit, uint8_t **out, size_t *n_out) {
    struct stat sb;
    *out = NULL;
    *n_out = 0;
    if (stat(path, &sb) != 0) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return rnl_fail(RNL_ERR_IO, "%s is a directory, not a file", path);
    if ((uint64_t)sb.st_size > limit)
        return rnl_fail(RNL_ERR_FORMAT, "%s is %lld bytes, larger than the limit of %llu", path, (long long)sb.st_size,
                        (unsigned long long)limit);
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    // Read in growing chunks rather than trusting the size (pipes and special files report 0).
    size_t cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    rnl_status st = RNL_OK;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n > limit) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s is larger than the limit of %llu bytes", path, (unsigned long long)limit);
            break;
        }
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    if (!st && (!buf || n == cap)) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory reading it", path);
    else if (!st && ferror(f)) st = rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    *out = buf;
    *n_out = n;
    return RNL_OK;
}
#endif

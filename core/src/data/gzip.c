// gzip.c: streams a .tar or .tar.gz file into a tar reader, chunk by chunk (never the whole file in
// memory). gzip is told by its magic bytes and inflated with zlib, which only the native build links
// (RNL_HAVE_ZLIB); in WASM the page decompresses with DecompressionStream and feeds raw tar bytes.
// With RNL_NO_FILES (the standalone WASM module) there is no file to read: rnl_tar_read_file only fails.
// Multi-member gzip files (concatenated streams) are read as one; zero bytes after the last stream are
// tolerated, anything else there is an error.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

#if defined(RNL_HAVE_ZLIB) && !defined(RNL_NO_FILES)
#include <zlib.h>
#endif

#define IN_CHUNK (64u << 10)
#define OUT_CHUNK (256u << 10)

#if defined(RNL_HAVE_ZLIB) && !defined(RNL_NO_FILES)
static rnl_status read_gzip(rnl_tar_reader *r, FILE *f, const char *path, uint8_t *in, size_t have) {
    uint8_t *out = malloc(OUT_CHUNK);
    if (!out) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        free(out);
        return rnl_fail(RNL_ERR_NOMEM, "%s: cannot initialise zlib", path);
    }
    rnl_status st = RNL_OK;
    uint64_t file_pos = have;  // compressed bytes read from the file so far
    int eof = have < IN_CHUNK, in_stream = 1;
    zs.next_in = in;
    zs.avail_in = (uInt)have;
    for (;;) {
        if (zs.avail_in == 0 && !eof) {
            size_t got = fread(in, 1, IN_CHUNK, f);
            if (got < IN_CHUNK) {
                if (ferror(f)) {
                    st = rnl_fail(RNL_ERR_IO, "%s: read error at byte %llu: %s", path, (unsigned long long)file_pos, strerror(errno));
                    break;
                }
                eof = 1;
            }
            file_pos += got;
            zs.next_in = in;
            zs.avail_in = (uInt)got;
        }
        if (!in_stream) {
            // Between streams: another gzip member, or zero padding up to the end of the file.
            if (zs.avail_in == 0) {
                if (eof) break;
                continue;
            }
            if (zs.next_in[0] == 0) {
                zs.next_in++, zs.avail_in--;
                continue;
            }
            if (zs.next_in[0] != 0x1f) {
                st = rnl_fail(RNL_ERR_FORMAT, "%s: garbage after the end of the gzip data at byte %llu", path,
                              (unsigned long long)(file_pos - zs.avail_in));
                break;
            }
            inflateReset(&zs);
            in_stream = 1;
        }
        if (zs.avail_in == 0 && eof) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s: truncated gzip data: the file ends at byte %llu before the end of the compressed stream",
                          path, (unsigned long long)file_pos);
            break;
        }
        zs.next_out = out;
        zs.avail_out = OUT_CHUNK;
        int ret = inflate(&zs, Z_NO_FLUSH);
        size_t produced = OUT_CHUNK - zs.avail_out;
        if (produced && (st = rnl_tar_feed(r, out, produced)) != RNL_OK) break;
        if (ret == Z_STREAM_END) {
            in_stream = 0;
        } else if (ret == Z_BUF_ERROR) {
            continue;  // needs more input; the check above catches the end of the file
        } else if (ret == Z_MEM_ERROR) {
            st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory in zlib", path);
            break;
        } else if (ret != Z_OK) {
            st = rnl_fail(RNL_ERR_FORMAT, "%s: corrupt gzip data near compressed byte %llu (zlib: %s)", path,
                          (unsigned long long)(file_pos - zs.avail_in), zs.msg ? zs.msg : "error");
            break;
        }
    }
    inflateEnd(&zs);
    free(out);
    return st;
}
#endif

rnl_status rnl_tar_read_file(rnl_tar_reader *r, const char *path) {
#ifdef RNL_NO_FILES
    (void)r;
    return rnl_fail(RNL_ERR_ARG, "%s: this build has no file access (RNL_NO_FILES): feed the bytes with rnl_tar_feed", path);
#else
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t *in = malloc(IN_CHUNK);
    if (!in) {
        fclose(f);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    }
    rnl_status st = RNL_OK;
    size_t got = fread(in, 1, IN_CHUNK, f);
    if (got < IN_CHUNK && ferror(f)) {
        st = rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(errno));
    } else if (got >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
#ifdef RNL_HAVE_ZLIB
        st = read_gzip(r, f, path, in, got);
#else
        st = rnl_fail(RNL_ERR_ARG, "%s: gzip-compressed, and this build has no zlib: decompress it first", path);
#endif
    } else {
        // A plain tar: feed it as it comes.
        for (;;) {
            if (got && (st = rnl_tar_feed(r, in, got)) != RNL_OK) break;
            if (got < IN_CHUNK) {
                if (ferror(f)) st = rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(errno));
                break;
            }
            got = fread(in, 1, IN_CHUNK, f);
        }
    }
    free(in);
    fclose(f);
    if (st == RNL_OK) st = rnl_tar_finish(r);
    return st;
#endif
}

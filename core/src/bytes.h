// bytes.h: what every rnnlab file format shares (checkpoints, seq2seq checkpoints, data files):
// little-endian fields written byte by byte, so a file means the same on every host; CRC-32 is
// rnl_crc32 (rnnlab.h); and whole-file reads and atomic writes (fileio.c).
#ifndef RNNLAB_BYTES_H
#define RNNLAB_BYTES_H

#include <stdint.h>
#include <string.h>

#include "rnnlab.h"

static inline void rnl_put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void rnl_put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void rnl_put_f32(uint8_t *p, float f) { uint32_t v; memcpy(&v, &f, 4); rnl_put_u32(p, v); }
static inline void rnl_put_f64(uint8_t *p, double x) { uint64_t v; memcpy(&v, &x, 8); rnl_put_u64(p, v); }
static inline uint32_t rnl_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rnl_get_u64(const uint8_t *p) { return (uint64_t)rnl_get_u32(p) | (uint64_t)rnl_get_u32(p + 4) << 32; }
static inline int32_t rnl_get_i32(const uint8_t *p) { return (int32_t)rnl_get_u32(p); }
static inline float rnl_get_f32(const uint8_t *p) { uint32_t v = rnl_get_u32(p); float f; memcpy(&f, &v, 4); return f; }
static inline double rnl_get_f64(const uint8_t *p) { uint64_t v = rnl_get_u64(p); double x; memcpy(&x, &v, 8); return x; }

// bytes.c. Messages name the file; callers prefix what the file was meant to be ("checkpoint: ...").
// Writes to a temporary file beside `path`, flushes it to disk, then renames it over `path`: a failed
// or interrupted save never destroys what was there.
rnl_status rnl_file_write_atomic(const char *path, const uint8_t *buf, size_t n);
// Reads a whole regular file of at most `limit` bytes (checked before allocating).
rnl_status rnl_file_read(const char *path, uint64_t limit, uint8_t **out, size_t *n);

#endif

// tar.c: a streaming tar reader (ustar, GNU, pax basics). Bytes arrive in chunks of any size; a small
// state machine walks 512-byte header blocks and member data, buffering only wanted members (and GNU
// long names and pax headers). Limits: no sparse files, no multi-volume archives (both skipped as
// unknown members), pax 'g' global headers are skipped, only 'path' and 'size' of pax 'x' are used.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnlab_data.h"

#define BLOCK 512
#define PAX_MAX (1u << 20)  // bytes of one pax extended header

typedef enum { ST_HEADER, ST_DATA, ST_PAD, ST_END, ST_FAILED } tar_state;
typedef enum { DATA_SKIP, DATA_MEMBER, DATA_LONGNAME, DATA_PAX } data_kind;

struct rnl_tar_reader {
    char label[256];
    rnl_tar_want_fn want;
    rnl_tar_member_fn on_member;
    void *user;

    tar_state state;
    uint64_t offset;         // bytes consumed so far
    uint64_t header_offset;  // of the current member's header
    uint8_t hdr[BLOCK];
    size_t hdr_fill;

    data_kind kind;
    uint64_t size, remaining, pad;
    char name[RNL_TAR_MAX_NAME + 1];

    uint8_t *buf;  // contents of the member being buffered (size bytes)
    size_t buf_cap, buf_fill;

    // Pending overrides from a GNU 'L' member or a pax 'x' header, for the next member.
    char long_name[RNL_TAR_MAX_NAME + 1];
    int have_long_name;
    char pax_path[RNL_TAR_MAX_NAME + 1];
    int have_pax_path;
    uint64_t pax_size;
    int have_pax_size;

    rnl_status status;  // of the first error, kept with its message
    char msg[512];
};

// Records the error (sticky) with the archive's label in front.
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static rnl_status tar_fail(rnl_tar_reader *r, rnl_status st, const char *fmt, ...) {
    char tmp[448];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    snprintf(r->msg, sizeof r->msg, "%.200s: %.300s", r->label, tmp);
    r->state = ST_FAILED;
    r->status = st;
    return rnl_fail(st, "%s", r->msg);
}

// The callback failed and left its own message: keep it, with the label in front.
static rnl_status tar_fail_from_callback(rnl_tar_reader *r, rnl_status st) {
    snprintf(r->msg, sizeof r->msg, "%s: %s", r->label, rnl_last_error());
    r->state = ST_FAILED;
    r->status = st;
    return rnl_fail(st, "%s", r->msg);
}

static size_t bounded_len(const void *p, size_t max) {
    const char *z = memchr(p, 0, max);
    return z ? (size_t)(z - (const char *)p) : max;
}

rnl_status rnl_tar_create(rnl_tar_reader **out, const char *label, rnl_tar_want_fn want,
                          rnl_tar_member_fn on_member, void *user) {
    *out = NULL;
    rnl_tar_reader *r = calloc(1, sizeof *r);
    if (!r) return rnl_fail(RNL_ERR_NOMEM, "tar: out of memory");
    snprintf(r->label, sizeof r->label, "%s", label && *label ? label : "tar archive");
    r->want = want;
    r->on_member = on_member;
    r->user = user;
    r->state = ST_HEADER;
    *out = r;
    return RNL_OK;
}

void rnl_tar_destroy(rnl_tar_reader *r) {
    if (!r) return;
    free(r->buf);
    free(r);
}

// --- Header fields ------------------------------------------------------------------------------

// Octal field: optional leading spaces, octal digits, then only NULs and spaces. An empty field is 0.
// GNU base-256 (first byte 0x80) is accepted for sizes. Returns 0 on a malformed field.
static int parse_number(const uint8_t *f, size_t w, uint64_t *out) {
    if (f[0] == 0x80) {
        uint64_t v = 0;
        for (size_t i = 1; i < w; i++) {
            if (v >> 56) return 0;
            v = (v << 8) | f[i];
        }
        *out = v;
        return 1;
    }
    size_t i = 0;
    while (i < w && f[i] == ' ') i++;
    uint64_t v = 0;
    for (; i < w && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60) return 0;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    for (; i < w; i++)
        if (f[i] != 0 && f[i] != ' ') return 0;
    *out = v;
    return 1;
}

// A field for a message: printable bytes up to the first NUL, others as '?'.
static const char *show_field(const uint8_t *f, size_t w, char *buf) {
    size_t k = 0;
    for (size_t i = 0; i < w && f[i]; i++) buf[k++] = (f[i] >= 32 && f[i] < 127) ? (char)f[i] : '?';
    buf[k] = 0;
    return buf;
}

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static int grow_buf(rnl_tar_reader *r, size_t need) {
    if (need <= r->buf_cap) return 1;
    size_t cap = r->buf_cap ? r->buf_cap : 4096;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(r->buf, cap);
    if (!p) return 0;
    r->buf = p;
    r->buf_cap = cap;
    return 1;
}

// --- pax extended headers -----------------------------------------------------------------------

// Records "<len> <key>=<value>\n"; len counts the whole record.
static rnl_status parse_pax(rnl_tar_reader *r, const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (p[i] == 0 && all_zero(p + i, n - i)) break;  // some writers pad with NULs
        size_t j = i, len = 0;
        while (j < n && p[j] >= '0' && p[j] <= '9' && len <= n) len = len * 10 + (p[j++] - '0');
        if (j == i || j >= n || p[j] != ' ' || len < 5 || len > n - i || p[i + len - 1] != '\n')
            return tar_fail(r, RNL_ERR_FORMAT, "bad pax record at offset %zu of the extended header at byte %llu",
                            i, (unsigned long long)r->header_offset);
        const uint8_t *key = p + j + 1, *end = p + i + len - 1;
        const uint8_t *eq = memchr(key, '=', (size_t)(end - key));
        if (!eq)
            return tar_fail(r, RNL_ERR_FORMAT, "pax record without '=' in the extended header at byte %llu",
                            (unsigned long long)r->header_offset);
        size_t klen = (size_t)(eq - key), vlen = (size_t)(end - eq - 1);
        const uint8_t *val = eq + 1;
        if (klen == 4 && memcmp(key, "path", 4) == 0) {
            if (vlen == 0 || vlen > RNL_TAR_MAX_NAME)
                return tar_fail(r, RNL_ERR_FORMAT, "pax path of %zu bytes in the extended header at byte %llu (limit %d)",
                                vlen, (unsigned long long)r->header_offset, RNL_TAR_MAX_NAME);
            memcpy(r->pax_path, val, vlen);
            r->pax_path[vlen] = 0;
            r->have_pax_path = 1;
        } else if (klen == 4 && memcmp(key, "size", 4) == 0) {
            uint64_t v = 0;
            size_t k = 0;
            for (; k < vlen && val[k] >= '0' && val[k] <= '9' && v < (1ull << 59); k++) v = v * 10 + (val[k] - '0');
            if (vlen == 0 || k != vlen)
                return tar_fail(r, RNL_ERR_FORMAT, "bad pax size '%.*s' in the extended header at byte %llu",
                                (int)(vlen < 40 ? vlen : 40), (const char *)val, (unsigned long long)r->header_offset);
            r->pax_size = v;
            r->have_pax_size = 1;
        }
        i += len;
    }
    return RNL_OK;
}

// --- State machine ------------------------------------------------------------------------------

static void clear_pending(rnl_tar_reader *r) { r->have_long_name = r->have_pax_path = r->have_pax_size = 0; }

static void start_data(rnl_tar_reader *r, data_kind kind, uint64_t size) {
    r->kind = kind;
    r->size = r->remaining = size;
    r->pad = (BLOCK - size % BLOCK) % BLOCK;
    r->buf_fill = 0;
    r->state = size ? ST_DATA : (r->pad ? ST_PAD : ST_HEADER);
}

static rnl_status finish_data(rnl_tar_reader *r, const uint8_t *direct);

static rnl_status process_header(rnl_tar_reader *r) {
    const uint8_t *h = r->hdr;
    char shown[160];
    r->header_offset = r->offset - BLOCK;
    if (all_zero(h, BLOCK)) {
        r->state = ST_END;
        return RNL_OK;
    }
    unsigned long long at = (unsigned long long)r->header_offset;
    if (r->header_offset == 0 && h[0] == 0x1f && h[1] == 0x8b)
        return tar_fail(r, RNL_ERR_FORMAT, "not a tar archive but gzip-compressed data: decompress it first");
    uint64_t stored;
    if (!parse_number(h + 148, 8, &stored)) {
        return tar_fail(r, RNL_ERR_FORMAT, "%star header at byte %llu: bad octal field 'chksum' (\"%s\")",
                        r->header_offset == 0 ? "not a tar archive: " : "", at, show_field(h + 148, 8, shown));
    }
    // The checksum treats its own field as spaces; old writers summed signed bytes, so accept both.
    uint64_t sum_u = 0;
    int64_t sum_s = 0;
    for (int i = 0; i < BLOCK; i++) {
        uint8_t b = (i >= 148 && i < 156) ? ' ' : h[i];
        sum_u += b;
        sum_s += (int8_t)b;
    }
    if (stored != sum_u && (int64_t)stored != sum_s)
        return tar_fail(r, RNL_ERR_FORMAT, "%star header at byte %llu: bad checksum (stored %llo, computed %llo)",
                        r->header_offset == 0 ? "not a tar archive: " : "", at, (unsigned long long)stored,
                        (unsigned long long)sum_u);
    uint64_t size, mode;
    if (!parse_number(h + 124, 12, &size))
        return tar_fail(r, RNL_ERR_FORMAT, "tar header at byte %llu: bad octal field 'size' (\"%s\")", at,
                        show_field(h + 124, 12, shown));
    if (!parse_number(h + 100, 8, &mode))
        return tar_fail(r, RNL_ERR_FORMAT, "tar header at byte %llu: bad octal field 'mode' (\"%s\")", at,
                        show_field(h + 100, 8, shown));
    char type = (char)h[156];

    // The name: GNU long name, else pax path, else ustar prefix + "/" + name.
    if (r->have_long_name) {
        memcpy(r->name, r->long_name, sizeof r->name);
    } else if (r->have_pax_path) {
        memcpy(r->name, r->pax_path, sizeof r->name);
    } else {
        size_t nl = bounded_len((const char *)h, 100), pl = 0;
        int posix = memcmp(h + 257, "ustar\0", 6) == 0;
        if (posix) pl = bounded_len((const char *)h + 345, 155);
        size_t k = 0;
        if (pl) {
            memcpy(r->name, h + 345, pl);
            k = pl;
            r->name[k++] = '/';
        }
        memcpy(r->name + k, h, nl);
        r->name[k + nl] = 0;
    }
    if (r->have_pax_size && type != 'x' && type != 'g') size = r->pax_size;

    switch (type) {
    case 'L':  // GNU long name of the next member
        if (size == 0 || size > RNL_TAR_MAX_NAME + 1)
            return tar_fail(r, RNL_ERR_FORMAT, "tar header at byte %llu: GNU long name of %llu bytes (limit %d)", at,
                            (unsigned long long)size, RNL_TAR_MAX_NAME);
        if (!grow_buf(r, (size_t)size)) return tar_fail(r, RNL_ERR_NOMEM, "out of memory");
        start_data(r, DATA_LONGNAME, size);
        return RNL_OK;
    case 'x':  // pax extended header of the next member
        if (size > PAX_MAX)
            return tar_fail(r, RNL_ERR_FORMAT, "tar header at byte %llu: pax extended header of %llu bytes (limit %u)", at,
                            (unsigned long long)size, PAX_MAX);
        if (!grow_buf(r, (size_t)size)) return tar_fail(r, RNL_ERR_NOMEM, "out of memory");
        start_data(r, DATA_PAX, size);
        return RNL_OK;
    case 'g':  // pax global header: skipped
    case 'K':  // GNU long link name: skipped
        start_data(r, DATA_SKIP, size);
        return RNL_OK;
    }
    clear_pending(r);
    if (type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6') {
        start_data(r, DATA_SKIP, 0);  // links, devices, directories, FIFOs: no data blocks follow
        return RNL_OK;
    }
    size_t nlen = strlen(r->name);
    int regular = (type == '0' || type == '\0' || type == '7') && !(nlen && r->name[nlen - 1] == '/');
    if (!regular) {
        start_data(r, DATA_SKIP, size);  // GNU extras, sparse files, volume labels, unknown types
        return RNL_OK;
    }
    if (r->want && !r->want(r->user, r->name, size)) {
        start_data(r, DATA_SKIP, size);
        return RNL_OK;
    }
    if (size > RNL_TAR_MAX_MEMBER)
        return tar_fail(r, RNL_ERR_FORMAT, "member '%.200s' at byte %llu has %llu bytes (limit %u)", r->name, at,
                        (unsigned long long)size, RNL_TAR_MAX_MEMBER);
    start_data(r, DATA_MEMBER, size);
    if (size == 0) return finish_data(r, (const uint8_t *)"");
    return RNL_OK;
}

// The data of the current member is complete: in r->buf, or at `direct` when it came in one piece.
static rnl_status finish_data(rnl_tar_reader *r, const uint8_t *direct) {
    const uint8_t *p = direct ? direct : r->buf;
    size_t n = (size_t)r->size;
    rnl_status st = RNL_OK;
    switch (r->kind) {
    case DATA_SKIP: break;
    case DATA_LONGNAME: {
        size_t len = bounded_len((const char *)p, n);
        if (len == 0 || len > RNL_TAR_MAX_NAME)
            return tar_fail(r, RNL_ERR_FORMAT, "GNU long name at byte %llu is %s", (unsigned long long)r->header_offset,
                            len ? "too long" : "empty");
        memcpy(r->long_name, p, len);
        r->long_name[len] = 0;
        r->have_long_name = 1;
        break;
    }
    case DATA_PAX: st = parse_pax(r, p, n); break;
    case DATA_MEMBER:
        if (r->on_member) {
            st = r->on_member(r->user, r->name, p, n);
            if (st != RNL_OK) return tar_fail_from_callback(r, st);
        }
        break;
    }
    if (st != RNL_OK) return st;
    r->state = r->pad ? ST_PAD : ST_HEADER;
    return RNL_OK;
}

rnl_status rnl_tar_feed(rnl_tar_reader *r, const uint8_t *bytes, size_t n) {
    if (r->state == ST_FAILED) return rnl_fail(r->status, "%s", r->msg);
    while (n > 0) {
        switch (r->state) {
        case ST_HEADER: {
            size_t take = BLOCK - r->hdr_fill < n ? BLOCK - r->hdr_fill : n;
            memcpy(r->hdr + r->hdr_fill, bytes, take);
            r->hdr_fill += take, r->offset += take, bytes += take, n -= take;
            if (r->hdr_fill == BLOCK) {
                r->hdr_fill = 0;
                rnl_status st = process_header(r);
                if (st != RNL_OK) return st;
            }
            break;
        }
        case ST_DATA: {
            size_t take = r->remaining < n ? (size_t)r->remaining : n;
            const uint8_t *direct = NULL;
            if (r->kind != DATA_SKIP) {
                if (r->buf_fill == 0 && take == r->remaining) {
                    direct = bytes;  // the whole member is in this chunk: no copy
                } else {
                    if (!grow_buf(r, (size_t)r->size)) return tar_fail(r, RNL_ERR_NOMEM, "out of memory for '%.200s'", r->name);
                    memcpy(r->buf + r->buf_fill, bytes, take);
                    r->buf_fill += take;
                }
            }
            r->remaining -= take, r->offset += take, bytes += take, n -= take;
            if (r->remaining == 0) {
                rnl_status st = finish_data(r, direct);
                if (st != RNL_OK) return st;
            }
            break;
        }
        case ST_PAD: {
            size_t take = r->pad < n ? (size_t)r->pad : n;
            r->pad -= take, r->offset += take, bytes += take, n -= take;
            if (r->pad == 0) r->state = ST_HEADER;
            break;
        }
        case ST_END: {
            // After the end-of-archive block only zeros may follow (the second block, record padding).
            for (size_t i = 0; i < n; i++)
                if (bytes[i])
                    return tar_fail(r, RNL_ERR_FORMAT,
                                    "non-zero data at byte %llu after the end-of-archive block at byte %llu "
                                    "(a zeroed header in the middle of the archive?)",
                                    (unsigned long long)(r->offset + i), (unsigned long long)r->header_offset);
            r->offset += n;
            n = 0;
            break;
        }
        case ST_FAILED: return rnl_fail(r->status, "%s", r->msg);
        }
    }
    return RNL_OK;
}

rnl_status rnl_tar_finish(rnl_tar_reader *r) {
    unsigned long long at = (unsigned long long)r->offset;
    switch (r->state) {
    case ST_END: return RNL_OK;
    case ST_FAILED: return rnl_fail(r->status, "%s", r->msg);
    case ST_HEADER:
        if (r->offset == 0) return tar_fail(r, RNL_ERR_FORMAT, "empty archive (0 bytes)");
        if (r->hdr_fill)
            return tar_fail(r, RNL_ERR_FORMAT, "truncated tar archive: ends at byte %llu inside a header block (%zu of %d bytes)",
                            at, r->hdr_fill, BLOCK);
        return tar_fail(r, RNL_ERR_FORMAT, "truncated tar archive: ends at byte %llu without the end-of-archive block", at);
    case ST_DATA:
        return tar_fail(r, RNL_ERR_FORMAT, "truncated tar archive: ends at byte %llu inside the data of '%.200s' (%llu of %llu bytes)",
                        at, r->name, (unsigned long long)(r->size - r->remaining), (unsigned long long)r->size);
    case ST_PAD:
        return tar_fail(r, RNL_ERR_FORMAT, "truncated tar archive: ends at byte %llu inside the padding after '%.200s'", at, r->name);
    }
    return RNL_OK;
}

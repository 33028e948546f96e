// test_data_tar.c: the streaming tar reader on archives written here (ustar, GNU long names, pax,
// odd sizes, links, unknown types), fed in chunks of every awkward size; every truncation; corrupt
// headers; archives written by GNU tar (tests/fixtures/tar); and gzip files: good, multi-member,
// corrupt, truncated, with garbage after them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rnnlab_data.h"
#include "testutil.h"

// --- Reading into a digest ------------------------------------------------------------------------

typedef struct {
    char log[8192];
    int members;
    const char *only_suffix;  // want filter
    int fail_on;              // member index whose callback fails (-1: none)
} sink;

static uint32_t fnv(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static int want_fn(void *user, const char *name, uint64_t size) {
    sink *s = user;
    if (!s->only_suffix) return 1;
    size_t a = strlen(name), b = strlen(s->only_suffix);
    return a >= b && strcmp(name + a - b, s->only_suffix) == 0;
}

static rnl_status member_fn(void *user, const char *name, const uint8_t *data, size_t size) {
    sink *s = user;
    if (s->members == s->fail_on) return rnl_fail(RNL_ERR_FORMAT, "callback refuses '%s'", name);
    size_t k = strlen(s->log);
    snprintf(s->log + k, sizeof s->log - k, "%s:%zu:%08x\n", name, size, fnv(data, size));
    s->members++;
    return RNL_OK;
}

// Feeds b in chunks of `chunk` bytes (0: all at once); returns the status of the feeds + finish.
static rnl_status read_chunked(const uint8_t *p, size_t n, size_t chunk, sink *s) {
    rnl_tar_reader *r;
    memset(s->log, 0, sizeof s->log);
    s->members = 0;
    rnl_status st = rnl_tar_create(&r, "test.tar", want_fn, member_fn, s);
    if (st != RNL_OK) return st;
    if (!chunk) chunk = n ? n : 1;
    for (size_t i = 0; i < n && st == RNL_OK; i += chunk) st = rnl_tar_feed(r, p + i, n - i < chunk ? n - i : chunk);
    if (st == RNL_OK) st = rnl_tar_finish(r);
    rnl_tar_destroy(r);
    return st;
}

static char long_name_gnu[200], long_name_pax[400];
static uint8_t content[3000];

static void make_archive(tu_buf *b) {
    for (int i = 0; i < (int)sizeof content; i++) content[i] = (uint8_t)(i * 7 + 3);
    memset(long_name_gnu, 0, sizeof long_name_gnu);
    memset(long_name_pax, 0, sizeof long_name_pax);
    memcpy(long_name_gnu, "gnu/", 4);
    memset(long_name_gnu + 4, 'g', 146);
    strcat(long_name_gnu, "/long.txt");
    memcpy(long_name_pax, "pax/", 4);
    memset(long_name_pax + 4, 'p', 290);
    strcat(long_name_pax, "/long.txt");
    tu_tar_member(b, "dir/", '5', NULL, 0, TU_USTAR);
    tu_tar_member(b, "dir/empty.txt", '0', NULL, 0, TU_USTAR);
    tu_tar_member(b, "dir/one.txt", '0', content, 1, TU_USTAR);
    tu_tar_member(b, "dir/b511.bin", '0', content, 511, TU_USTAR);
    tu_tar_member(b, "dir/b512.txt", '0', content, 512, TU_USTAR);
    tu_tar_member(b, "dir/b513.bin", '\0', content, 513, TU_USTAR);  // old-style regular file
    tu_tar_member(b, "dir/link", '2', NULL, 0, TU_USTAR);
    tu_tar_member(b, "dir/volume", 'V', content, 100, TU_USTAR);  // unknown to us: skipped with its data
    tu_tar_member(b, long_name_gnu, '0', content, 2000, TU_GNU);
    tu_tar_member(b, long_name_pax, '0', content, 1500, TU_PAX);
    {  // ustar prefix + name
        uint8_t h[512];
        tu_tar_header(h, "prefixed.txt", '0', 5, TU_USTAR, "some/prefix");
        tu_put(b, h, 512);
        tu_put(b, content, 5);
        tu_pad(b);
    }
    {  // a pax global header, skipped
        uint8_t h[512];
        const char *rec = "20 comment=ignored\n";
        tu_tar_header(h, "global", 'g', strlen(rec), TU_PAX, NULL);
        tu_put(b, h, 512);
        tu_put(b, rec, strlen(rec));
        tu_pad(b);
    }
    {  // pax size overrides the header's size field
        uint8_t h[512];
        const char *rec = "12 size=700\n";
        tu_tar_header(h, "PaxHeader/sz", 'x', strlen(rec), TU_PAX, NULL);
        tu_put(b, h, 512);
        tu_put(b, rec, strlen(rec));
        tu_pad(b);
        tu_tar_header(h, "dir/paxsize.txt", '0', 0, TU_PAX, NULL);
        tu_put(b, h, 512);
        tu_put(b, content, 700);
        tu_pad(b);
    }
    {  // GNU base-256 size field
        uint8_t h[512];
        tu_tar_header(h, "dir/base256.txt", '0', 0, TU_GNU, NULL);
        memset(h + 124, 0, 12);
        h[124] = 0x80;
        h[135] = 9;
        tu_tar_checksum(h);
        tu_put(b, h, 512);
        tu_put(b, content, 9);
        tu_pad(b);
    }
    tu_tar_end(b);
}

static void test_chunks(void) {
    tu_buf b = {0};
    make_archive(&b);
    sink s = {.fail_on = -1};
    CHECK_OK(read_chunked(b.p, b.n, 0, &s));
    char whole[8192];
    memcpy(whole, s.log, sizeof whole);
    CHECK(s.members == 10, "10 regular members, got %d:\n%s", s.members, s.log);
    char line[600];
    snprintf(line, sizeof line, "%s:2000:%08x\n", long_name_gnu, fnv(content, 2000));
    CHECK(strstr(whole, line) != NULL, "GNU long name member: %s", line);
    snprintf(line, sizeof line, "%s:1500:%08x\n", long_name_pax, fnv(content, 1500));
    CHECK(strstr(whole, line) != NULL, "pax long name member");
    snprintf(line, sizeof line, "some/prefix/prefixed.txt:5:%08x\n", fnv(content, 5));
    CHECK(strstr(whole, line) != NULL, "ustar prefix");
    snprintf(line, sizeof line, "dir/paxsize.txt:700:%08x\n", fnv(content, 700));
    CHECK(strstr(whole, line) != NULL, "pax size");
    snprintf(line, sizeof line, "dir/base256.txt:9:%08x\n", fnv(content, 9));
    CHECK(strstr(whole, line) != NULL, "base-256 size");
    snprintf(line, sizeof line, "dir/empty.txt:0:%08x\n", fnv(content, 0));
    CHECK(strstr(whole, line) != NULL, "empty member");
    CHECK(strstr(whole, "dir/link") == NULL && strstr(whole, "dir/volume") == NULL && strstr(whole, "global") == NULL &&
              strstr(whole, "PaxHeader") == NULL,
          "links, unknown types and pax headers are not members:\n%s", whole);

    size_t chunks[] = {1, 2, 3, 7, 100, 511, 512, 513, 1000, 4096};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        CHECK_OK(read_chunked(b.p, b.n, chunks[i], &s));
        CHECK(strcmp(s.log, whole) == 0, "chunks of %zu give the same members:\n%s", chunks[i], s.log);
    }
    // The want filter: only .txt members are handed over, in every chunking.
    s.only_suffix = ".txt";
    CHECK_OK(read_chunked(b.p, b.n, 1, &s));
    CHECK(s.members == 8 && strstr(s.log, ".bin") == NULL, "want filter: %d members\n%s", s.members, s.log);
    s.only_suffix = NULL;
    free(b.p);
}

// Every prefix of the archive must fail to finish, up to the end-of-archive block.
static void test_truncation(void) {
    tu_buf b = {0};
    make_archive(&b);
    size_t end_block = b.n - 1024;  // offset of the first zero block
    sink s = {.fail_on = -1};
    int bad = 0;
    for (size_t L = 0; L < b.n; L++) {
        rnl_status st = read_chunked(b.p, L, 0, &s);
        int ok = st == RNL_OK, expect_ok = L >= end_block + 512;
        if (ok != expect_ok || (!ok && !strstr(rnl_last_error(), "truncated") && !strstr(rnl_last_error(), "empty"))) {
            if (bad++ < 3) CHECK(0, "prefix of %zu bytes: %s (%s)", L, rnl_status_name(st), rnl_last_error());
        }
    }
    CHECK(bad == 0, "%d of %zu prefixes misjudged", bad, b.n);
    CHECK(read_chunked(b.p, 0, 0, &s) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "test.tar: empty archive (0 bytes)"),
          "%s", rnl_last_error());
    read_chunked(b.p, 700, 0, &s);
    CHECK(strstr(rnl_last_error(), "truncated tar archive: ends at byte 700 inside a header block (188 of 512 bytes)"),
          "%s", rnl_last_error());
    read_chunked(b.p, 1024, 0, &s);
    CHECK(strstr(rnl_last_error(), "truncated tar archive: ends at byte 1024 without the end-of-archive block"), "%s",
          rnl_last_error());
    read_chunked(b.p, 1536 + 1024 + 100, 0, &s);  // dir/, empty.txt, one.txt (header + block), b511 header, 100 bytes
    CHECK(strstr(rnl_last_error(), "ends at byte 2660 inside the data of 'dir/b511.bin' (100 of 511 bytes)"), "%s",
          rnl_last_error());
    read_chunked(b.p, 1536 + 1, 0, &s);  // one.txt's single byte, then its padding is cut
    CHECK(strstr(rnl_last_error(), "inside the padding after 'dir/one.txt'"), "%s", rnl_last_error());
    free(b.p);
}

static void test_corrupt(void) {
    tu_buf b = {0};
    make_archive(&b);
    sink s = {.fail_on = -1};
    uint8_t *copy = malloc(b.n);

    memcpy(copy, b.p, b.n);
    copy[1024 + 5] ^= 0x20;  // a name byte of the third header (dir/one.txt at 1024)
    CHECK(read_chunked(copy, b.n, 0, &s) == RNL_ERR_FORMAT, "bad checksum detected");
    CHECK(strstr(rnl_last_error(), "test.tar: tar header at byte 1024: bad checksum (stored "), "%s", rnl_last_error());
    CHECK(s.members == 1, "members before the corrupt header were delivered (%d)", s.members);

    memcpy(copy, b.p, b.n);
    copy[3] ^= 1;
    read_chunked(copy, b.n, 7, &s);
    CHECK(strstr(rnl_last_error(), "not a tar archive: tar header at byte 0: bad checksum"), "%s", rnl_last_error());

    memcpy(copy, b.p, b.n);
    memcpy(copy + 1024 + 124, "0000000001x", 11);  // size field of dir/one.txt
    tu_tar_checksum(copy + 1024);
    read_chunked(copy, b.n, 0, &s);
    CHECK(strstr(rnl_last_error(), "tar header at byte 1024: bad octal field 'size' (\"0000000001x\")"), "%s", rnl_last_error());

    memcpy(copy, b.p, b.n);
    memcpy(copy + 1024 + 148, "12345z7", 7);
    read_chunked(copy, b.n, 0, &s);
    CHECK(strstr(rnl_last_error(), "tar header at byte 1024: bad octal field 'chksum'"), "%s", rnl_last_error());

    memcpy(copy, b.p, b.n);
    memcpy(copy + 1024 + 124, "17777777777", 11);  // 2 GB - 1
    tu_tar_checksum(copy + 1024);
    read_chunked(copy, b.n, 0, &s);
    CHECK(strstr(rnl_last_error(), "member 'dir/one.txt' at byte 1024 has 2147483647 bytes (limit"), "%s", rnl_last_error());

    // A zeroed header in the middle: the data after it is not zero.
    memcpy(copy, b.p, b.n);
    memset(copy + 1024, 0, 512);
    read_chunked(copy, b.n, 0, &s);
    CHECK(strstr(rnl_last_error(), "non-zero data at byte 1536 after the end-of-archive block at byte 1024"), "%s",
          rnl_last_error());

    // gzip bytes fed as tar.
    uint8_t gz[512] = {0x1f, 0x8b, 8};
    rnl_status st = read_chunked(gz, sizeof gz, 0, &s);
    CHECK(st == RNL_ERR_FORMAT && strstr(rnl_last_error(), "gzip-compressed data: decompress it first"), "%s", rnl_last_error());

    // A bad pax record.
    {
        tu_buf p = {0};
        uint8_t h[512];
        const char *rec = "99 path=x\n";
        tu_tar_header(h, "PaxHeader/bad", 'x', strlen(rec), TU_PAX, NULL);
        tu_put(&p, h, 512);
        tu_put(&p, rec, strlen(rec));
        tu_pad(&p);
        tu_tar_member(&p, "a.txt", '0', "abc", 3, TU_USTAR);
        tu_tar_end(&p);
        read_chunked(p.p, p.n, 0, &s);
        CHECK(strstr(rnl_last_error(), "bad pax record at offset 0 of the extended header at byte 0"), "%s", rnl_last_error());
        free(p.p);
    }
    // The callback's error stops the archive and keeps its message, with the label; errors are sticky.
    s.fail_on = 2;
    st = read_chunked(b.p, b.n, 0, &s);
    CHECK(st == RNL_ERR_FORMAT && strstr(rnl_last_error(), "test.tar: callback refuses 'dir/b511.bin'"), "%s", rnl_last_error());
    s.fail_on = -1;
    {
        rnl_tar_reader *r;
        CHECK_OK(rnl_tar_create(&r, NULL, NULL, NULL, NULL));
        memcpy(copy, b.p, b.n);
        copy[1024 + 5] ^= 0x20;
        CHECK(rnl_tar_feed(r, copy, b.n) == RNL_ERR_FORMAT, "fails");
        rnl_fail(RNL_ERR_IO, "something else");
        CHECK(rnl_tar_feed(r, b.p, 10) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "tar archive: tar header at byte 1024"),
              "sticky error: %s", rnl_last_error());
        CHECK(rnl_tar_finish(r) == RNL_ERR_FORMAT, "finish after an error fails");
        rnl_tar_destroy(r);
    }
    // Every single-byte change in the headers either reads (a byte that no check covers, such as
    // padding or an ignored field) or gives a FORMAT error; with ASan this also shows it never misbehaves.
    int odd = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (i % 512 >= 345 && i % 512 < 500 && i > 0) continue;  // spare the long stretches of zero padding
        memcpy(copy, b.p, b.n);
        copy[i] ^= 0xa5;
        rnl_status st2 = read_chunked(copy, b.n, 1 + i % 700, &s);
        if (st2 != RNL_OK && st2 != RNL_ERR_FORMAT) odd++;
    }
    CHECK(odd == 0, "%d one-byte changes gave a status other than ok or bad format", odd);
    free(copy);
    free(b.p);
}

// --- Files: GNU tar's archives and gzip ----------------------------------------------------------

// Members of a fixture archive as "<path from aclImdb/ on>:size:hash" lines.
static rnl_status read_file_log(const char *path, sink *s) {
    rnl_tar_reader *r;
    memset(s->log, 0, sizeof s->log);
    s->members = 0;
    rnl_status st = rnl_tar_create(&r, path, NULL, member_fn, s);
    if (st == RNL_OK) st = rnl_tar_read_file(r, path);
    rnl_tar_destroy(r);
    return st;
}

static void strip_prefix(char *log) {
    // Drop everything before "aclImdb/" on each line so the three layouts compare equal.
    char out[8192] = {0};
    size_t k = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        char *a = strstr(line, "aclImdb/");
        k += (size_t)snprintf(out + k, sizeof out - k, "%s\n", a ? a : line);
    }
    memcpy(log, out, sizeof out);
}

static int write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static size_t gzip_into(uint8_t *out, size_t cap, const uint8_t *in, size_t n) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (uint8_t *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    size_t m = cap - zs.avail_out;
    deflateEnd(&zs);
    return m;
}

static void test_files(void) {
    sink s = {.fail_on = -1};
    char logs[3][8192];
    const char *names[3] = {"tests/fixtures/tar/imdb_mini_gnu.tar.gz", "tests/fixtures/tar/imdb_mini_pax.tar.gz",
                            "tests/fixtures/tar/imdb_mini_ustar.tar.gz"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(read_file_log(tu_source_path(names[i]), &s));
        CHECK(s.members == 17, "%s: 17 files (README + 16 reviews), got %d", names[i], s.members);
        strip_prefix(s.log);
        memcpy(logs[i], s.log, sizeof logs[i]);
    }
    CHECK(strcmp(logs[0], logs[1]) == 0 && strcmp(logs[0], logs[2]) == 0, "GNU, pax and ustar archives hold the same files:\n%s---\n%s---\n%s",
          logs[0], logs[1], logs[2]);
    CHECK(strstr(logs[0], "aclImdb/train/pos/0_9.txt:") != NULL, "names survive:\n%s", logs[0]);

    // The same archive written here: as .tar, as .tar.gz, as two concatenated gzip members, with zero padding.
    tu_buf b = {0};
    make_archive(&b);
    sink whole = {.fail_on = -1};
    CHECK_OK(read_chunked(b.p, b.n, 0, &whole));
    size_t cap = b.n + 4096;
    uint8_t *gz = malloc(cap * 2 + 4096);
    const char *tmp = "tmp_test_data_tar.tar";
    CHECK(write_file(tmp, b.p, b.n), "write %s", tmp);
    CHECK_OK(read_file_log(tmp, &s));
    CHECK(strcmp(s.log, whole.log) == 0, "plain .tar file gives the same members");

    size_t gn = gzip_into(gz, cap, b.p, b.n);
    CHECK(write_file(tmp, gz, gn), "write");
    CHECK_OK(read_file_log(tmp, &s));
    CHECK(strcmp(s.log, whole.log) == 0, ".tar.gz gives the same members");

    size_t half = 3000, g1 = gzip_into(gz, cap, b.p, half);
    size_t g2 = gzip_into(gz + g1, cap, b.p + half, b.n - half);
    memset(gz + g1 + g2, 0, 100);
    CHECK(write_file(tmp, gz, g1 + g2 + 100), "write");
    CHECK_OK(read_file_log(tmp, &s));
    CHECK(strcmp(s.log, whole.log) == 0, "two gzip members plus zero padding give the same members");

    memcpy(gz + g1 + g2, "junk", 4);
    CHECK(write_file(tmp, gz, g1 + g2 + 4), "write");
    CHECK(read_file_log(tmp, &s) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "garbage after the end of the gzip data"), "%s",
          rnl_last_error());

    gn = gzip_into(gz, cap, b.p, b.n);
    CHECK(write_file(tmp, gz, gn / 2), "write");
    CHECK(read_file_log(tmp, &s) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "truncated gzip data: the file ends at byte"),
          "%s", rnl_last_error());
    CHECK(strstr(rnl_last_error(), tmp) != NULL, "the message names the file: %s", rnl_last_error());

    gz[gn / 2] ^= 0xff;
    gz[gn / 2 + 1] ^= 0x55;
    CHECK(write_file(tmp, gz, gn), "write");
    rnl_status st = read_file_log(tmp, &s);
    CHECK(st == RNL_ERR_FORMAT && (strstr(rnl_last_error(), "corrupt gzip data near compressed byte") ||
                                   strstr(rnl_last_error(), "tar header at byte")),
          "corrupt deflate data: %s", rnl_last_error());
    gz[gn / 2] ^= 0xff;
    gz[gn / 2 + 1] ^= 0x55;
    gz[gn - 6] ^= 1;  // the CRC-32 in the gzip trailer
    CHECK(write_file(tmp, gz, gn), "write");
    CHECK(read_file_log(tmp, &s) == RNL_ERR_FORMAT && strstr(rnl_last_error(), "corrupt gzip data") &&
              strstr(rnl_last_error(), "incorrect data check"),
          "bad gzip CRC: %s", rnl_last_error());

    CHECK(read_file_log("no/such/file.tar.gz", &s) == RNL_ERR_IO && strstr(rnl_last_error(), "no/such/file.tar.gz: cannot open"),
          "%s", rnl_last_error());
    remove(tmp);
    free(gz);
    free(b.p);
}

int main(void) {
    test_chunks();
    test_truncation();
    test_corrupt();
    test_files();
    return tu_summary("test_data_tar");
}

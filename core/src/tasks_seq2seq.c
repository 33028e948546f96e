// tasks_seq2seq.c: sequence-to-sequence tasks generated from the run's rng, small enough to train in a
// browser in a minute or two, and the text <-> token mapping that lets a typed input be decoded.
//   reverse: random symbols, length uniform in min_len..max_len; target: the same symbols reversed, then
//            <eos>. Its alignment (output t reads input n-1-t) is what attention makes easy and what a
//            plain encoder-decoder must squeeze through one state vector.
//   dates:   a day drawn uniformly from 1950-01-01..2049-12-31, written in one of 10 formats, character
//            by character; target: ISO 8601 "yyyy-mm-dd", then <eos>. Two-digit years map 50..99 to 19xx
//            and 00..49 to 20xx, so every source has exactly one answer.
// Vocabularies (docs/seq2seq.md): 0 <pad>, 1 <bos>, 2 <eos>, then
//   reverse source and target: the symbols, shown as the letters a, b, c, ...
//   dates source (70): " ,-./0123456789" a-z A-Z; dates target (14): "0123456789-".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rnnlab_seq2seq.h"

#define REVERSE_MAX_LEN 1000
#define DATES_YEAR_MIN 1950
#define DATES_YEAR_MAX 2049
#define DATES_FORMATS 10
#define DATES_MAX_SOURCE 29  // "Wednesday, September 30, 1998" (tested against every format)
#define DATES_TARGET 11      // "1998-05-03" + <eos>

static const char dates_src_chars[] = " ,-./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char dates_tgt_chars[] = "0123456789-";

static const char *month_names[12] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};
static const char *day_names[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// --- Names and shapes -------------------------------------------------------------------------------

const char *rnl_s2s_task_name(rnl_s2s_task t) {
    switch (t) {
    case RNL_S2S_TASK_REVERSE: return "reverse";
    case RNL_S2S_TASK_DATES: return "dates";
    }
    return "?";
}

rnl_status rnl_s2s_task_parse(const char *name, rnl_s2s_task *out) {
    for (int t = 0; t <= RNL_S2S_TASK_DATES; t++)
        if (strcmp(name, rnl_s2s_task_name((rnl_s2s_task)t)) == 0) {
            *out = (rnl_s2s_task)t;
            return RNL_OK;
        }
    return rnl_fail(RNL_ERR_ARG, "unknown seq2seq task '%s' (expected reverse or dates)", name);
}

rnl_s2s_task_config rnl_s2s_task_default(rnl_s2s_task t) {
    rnl_s2s_task_config tc;
    memset(&tc, 0, sizeof tc);
    tc.task = t;
    if (t == RNL_S2S_TASK_DATES) {
        tc.min_len = 6;  // "1/1/50"
        tc.max_len = DATES_MAX_SOURCE;
    } else {
        tc.min_len = 5;
        tc.max_len = 10;
        tc.symbols = 10;
    }
    return tc;
}

rnl_status rnl_s2s_task_validate(const rnl_s2s_task_config *tc) {
    if (!tc) return rnl_fail(RNL_ERR_ARG, "seq2seq task: missing");
    if (tc->task == RNL_S2S_TASK_DATES) return RNL_OK;  // fixed formats; the other fields are informative
    if (tc->task != RNL_S2S_TASK_REVERSE)
        return rnl_fail(RNL_ERR_ARG, "seq2seq task: task is %d, must be 0 (reverse) or 1 (dates)", (int)tc->task);
    if (tc->symbols < 1 || tc->symbols > 26)
        return rnl_fail(RNL_ERR_ARG, "seq2seq task: symbols is %d, must be in 1..26", tc->symbols);
    if (tc->min_len < 1 || tc->min_len > REVERSE_MAX_LEN)
        return rnl_fail(RNL_ERR_ARG, "seq2seq task: min_len is %d, must be in 1..%d", tc->min_len, REVERSE_MAX_LEN);
    if (tc->max_len < tc->min_len || tc->max_len > REVERSE_MAX_LEN)
        return rnl_fail(RNL_ERR_ARG, "seq2seq task: max_len is %d, must be in min_len (%d)..%d", tc->max_len, tc->min_len,
                        REVERSE_MAX_LEN);
    return RNL_OK;
}

void rnl_s2s_task_shape(const rnl_s2s_task_config *tc, rnl_s2s_config *cfg) {
    if (tc->task == RNL_S2S_TASK_DATES) {
        cfg->src_vocab = RNL_S2S_FIRST_SYMBOL + (int)strlen(dates_src_chars);
        cfg->tgt_vocab = RNL_S2S_FIRST_SYMBOL + (int)strlen(dates_tgt_chars);
    } else {
        cfg->src_vocab = cfg->tgt_vocab = RNL_S2S_FIRST_SYMBOL + tc->symbols;
    }
}

int rnl_s2s_task_max_source(const rnl_s2s_task_config *tc) {
    return tc->task == RNL_S2S_TASK_DATES ? DATES_MAX_SOURCE : tc->max_len;
}

int rnl_s2s_task_max_target(const rnl_s2s_task_config *tc) {
    return tc->task == RNL_S2S_TASK_DATES ? DATES_TARGET : tc->max_len + 1;
}

// --- Dates ------------------------------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
static long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void copy_case(char *out, const char *in, int n, int mode) {  // mode 0 as is, 1 lower, 2 upper
    int i = 0;
    for (; in[i] && (n < 0 || i < n); i++) {
        char ch = in[i];
        if (mode == 1 && ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (mode == 2 && ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        out[i] = ch;
    }
    out[i] = 0;
}

static const char *ordinal(int d) {
    if (d == 1 || d == 21 || d == 31) return "st";
    if (d == 2 || d == 22) return "nd";
    if (d == 3 || d == 23) return "rd";
    return "th";
}

// One date written in format f (0..DATES_FORMATS-1) into src (NUL-terminated) and ISO into tgt (40 bytes).
static void format_date(int y, int mo, int d, int f, char *src, size_t cap, char *tgt) {
    int wd = (int)(((days_from_civil(y, mo, d) % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday (index 3)
    char mon[16], mon3[4], day[16], day3[4];
    const char *M = month_names[mo - 1], *D = day_names[wd];
    int yy = y % 100;
    switch (f) {
    case 0: snprintf(src, cap, "%d %s %d", d, M, y); break;                       // 3 May 1998
    case 1: snprintf(src, cap, "%s %d, %d", M, d, y); break;                      // May 3, 1998
    case 2: snprintf(src, cap, "%02d.%02d.%d", d, mo, y); break;                  // 03.05.1998
    case 3:                                                                       // sunday 3 may 1998
        copy_case(day, D, -1, 1);
        copy_case(mon, M, -1, 1);
        snprintf(src, cap, "%s %d %s %d", day, d, mon, y);
        break;
    case 4:                                                                       // 3 MAY 98
        copy_case(mon3, M, 3, 2);
        snprintf(src, cap, "%d %s %02d", d, mon3, yy);
        break;
    case 5: snprintf(src, cap, "%s, %s %d, %d", D, M, d, y); break;               // Sunday, May 3, 1998
    case 6: snprintf(src, cap, "%d%s %s %d", d, ordinal(d), M, y); break;         // 3rd May 1998
    case 7: snprintf(src, cap, "%d/%d/%02d", mo, d, yy); break;                   // 5/3/98 (US order)
    case 8:                                                                       // Sun 3 May 1998
        copy_case(day3, D, 3, 0);
        copy_case(mon3, M, 3, 0);
        snprintf(src, cap, "%s %d %s %d", day3, d, mon3, y);
        break;
    default: snprintf(src, cap, "%d.%d.%02d", d, mo, yy); break;                  // 3.5.98
    }
    snprintf(tgt, 40, "%04d-%02d-%02d", y, mo, d);
}

static int char_index(const char *alphabet, char ch) {
    const char *p = ch ? strchr(alphabet, ch) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

// --- Batches ----------------------------------------------------------------------------------------

void rnl_s2s_task_data_init(rnl_s2s_task_data *d) { memset(d, 0, sizeof *d); }

void rnl_s2s_task_data_free(rnl_s2s_task_data *d) {
    free(d->src);
    free(d->tgt);
    free(d->src_len);
    free(d->tgt_len);
    memset(d, 0, sizeof *d);
}

static int grow(int32_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return 1;
    int32_t *q = realloc(*p, need * sizeof(int32_t));
    if (!q) return 0;
    *p = q;
    *cap = need;
    return 1;
}

// Rows written with stride `from` are packed to stride `to` <= from, padding zeroed.
static void repack(int32_t *a, const int32_t *lens, int B, int from, int to) {
    for (int i = 0; i < B; i++) {
        memmove(a + (size_t)i * to, a + (size_t)i * from, sizeof(int32_t) * lens[i]);
        memset(a + (size_t)i * to + lens[i], 0, sizeof(int32_t) * (to - lens[i]));
    }
}

rnl_status rnl_s2s_task_generate(rnl_s2s_task_data *d, const rnl_s2s_task_config *tc, int B, rnl_rng *rng) {
    rnl_status st;
    if ((st = rnl_s2s_task_validate(tc))) return st;
    if (B < 1 || B > RNL_MAX_BATCH) return rnl_fail(RNL_ERR_ARG, "seq2seq task: batch size %d is outside 1..%d", B, RNL_MAX_BATCH);
    int Smax = rnl_s2s_task_max_source(tc), Umax = rnl_s2s_task_max_target(tc);
    // B <= 4096 and lengths <= 1001: no overflow in these products.
    int ok = grow(&d->src, &d->cap_src, (size_t)B * Smax) && grow(&d->tgt, &d->cap_tgt, (size_t)B * Umax);
    size_t cap_len = d->cap_len;
    ok = ok && grow(&d->src_len, &cap_len, (size_t)B) && grow(&d->tgt_len, &d->cap_len, (size_t)B);
    if (!ok) return rnl_fail(RNL_ERR_NOMEM, "seq2seq task: out of memory for a batch of %d", B);
    int S = 1, U = 1;
    for (int b = 0; b < B; b++) {
        int32_t *src = d->src + (size_t)b * Smax, *tgt = d->tgt + (size_t)b * Umax;
        int n, u;
        if (tc->task == RNL_S2S_TASK_REVERSE) {
            n = tc->min_len + (int)rnl_rng_below(rng, (uint32_t)(tc->max_len - tc->min_len + 1));
            for (int t = 0; t < n; t++) src[t] = RNL_S2S_FIRST_SYMBOL + (int32_t)rnl_rng_below(rng, (uint32_t)tc->symbols);
            for (int t = 0; t < n; t++) tgt[t] = src[n - 1 - t];
            tgt[n] = RNL_S2S_EOS;
            u = n + 1;
        } else {
            long lo = days_from_civil(DATES_YEAR_MIN, 1, 1), hi = days_from_civil(DATES_YEAR_MAX, 12, 31);
            int y, mo, dd, f;
            civil_from_days(lo + (long)rnl_rng_below(rng, (uint32_t)(hi - lo + 1)), &y, &mo, &dd);
            f = (int)rnl_rng_below(rng, DATES_FORMATS);
            char text[64], iso[40];
            format_date(y, mo, dd, f, text, sizeof text, iso);
            n = (int)strlen(text);
            for (int t = 0; t < n; t++) src[t] = RNL_S2S_FIRST_SYMBOL + char_index(dates_src_chars, text[t]);
            for (int t = 0; t < 10; t++) tgt[t] = RNL_S2S_FIRST_SYMBOL + char_index(dates_tgt_chars, iso[t]);
            tgt[10] = RNL_S2S_EOS;
            u = DATES_TARGET;
        }
        d->src_len[b] = n;
        d->tgt_len[b] = u;
        if (n > S) S = n;
        if (u > U) U = u;
    }
    repack(d->src, d->src_len, B, Smax, S);
    repack(d->tgt, d->tgt_len, B, Umax, U);
    memset(&d->batch, 0, sizeof d->batch);
    d->batch.B = B;
    d->batch.S = S;
    d->batch.U = U;
    d->batch.src = d->src;
    d->batch.src_len = d->src_len;
    d->batch.tgt = d->tgt;
    d->batch.tgt_len = d->tgt_len;
    return RNL_OK;
}

// --- Text ---------------------------------------------------------------------------------------------

rnl_status rnl_s2s_task_encode(const rnl_s2s_task_config *tc, const char *text, int32_t *tokens, int cap, int *n) {
    rnl_status st;
    if ((st = rnl_s2s_task_validate(tc))) return st;
    int len = 0;
    while (text[len] && len <= cap) len++;  // stops one past cap: long enough to refuse
    *n = 0;
    if (len == 0) return rnl_fail(RNL_ERR_ARG, "seq2seq text: the input is empty");
    if (len > cap) return rnl_fail(RNL_ERR_ARG, "seq2seq text: the input has more than the %d characters allowed", cap);
    for (int i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        int k = -1;
        if (tc->task == RNL_S2S_TASK_DATES) k = char_index(dates_src_chars, (char)ch);
        else if (ch >= 'a' && ch < 'a' + tc->symbols) k = ch - 'a';
        if (k < 0) {
            char shown[8];
            if (ch >= 32 && ch < 127) snprintf(shown, sizeof shown, "'%c'", ch);
            else snprintf(shown, sizeof shown, "0x%02x", ch);
            if (tc->task == RNL_S2S_TASK_DATES)
                return rnl_fail(RNL_ERR_ARG, "seq2seq text: character %d, %s, is not in the dates vocabulary (letters, digits, "
                                "space and , - . /)", i + 1, shown);
            return rnl_fail(RNL_ERR_ARG, "seq2seq text: character %d, %s, is not one of the task's %d symbols a..%c", i + 1,
                            shown, tc->symbols, 'a' + tc->symbols - 1);
        }
        tokens[i] = RNL_S2S_FIRST_SYMBOL + k;
    }
    *n = len;
    return RNL_OK;
}

// Dates: a date is found by writing it. Every day of the range whose day and year (two or four digits)
// are among the numbers of the text is written in every format and compared with the text: no parser
// that could disagree with format_date, and at most a few hundred dates written for any input.
static int dates_answer(const char *text, char *out, size_t cap) {
    long nums[8];
    int k = 0;
    for (const char *p = text; *p && k < 8;) {
        if (*p < '0' || *p > '9') { p++; continue; }
        long v = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++) v = digits++ < 6 ? v * 10 + (*p - '0') : v;
        nums[k++] = v;
    }
    long lo = days_from_civil(DATES_YEAR_MIN, 1, 1), hi = days_from_civil(DATES_YEAR_MAX, 12, 31);
    for (long z = lo; z <= hi; z++) {
        int y, mo, d, has_d = 0, has_y = 0;
        civil_from_days(z, &y, &mo, &d);
        for (int i = 0; i < k; i++) has_d |= nums[i] == d, has_y |= nums[i] == y || nums[i] == y % 100;
        if (!has_d || !has_y) continue;
        for (int f = 0; f < DATES_FORMATS; f++) {
            char src[64], iso[40];
            format_date(y, mo, d, f, src, sizeof src, iso);
            if (strcmp(src, text) == 0) {
                snprintf(out, cap, "%s", iso);
                return 1;
            }
        }
    }
    return 0;
}

int rnl_s2s_task_answer(const rnl_s2s_task_config *tc, const char *text, char *out, size_t cap) {
    if (cap) out[0] = 0;
    if (!cap || rnl_s2s_task_validate(tc) != RNL_OK || !text[0]) return 0;
    if (tc->task == RNL_S2S_TASK_DATES) return dates_answer(text, out, cap);
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++)
        if (text[i] < 'a' || text[i] >= 'a' + tc->symbols) return 0;
    for (size_t i = 0; i < n && i + 1 < cap; i++) out[i] = text[n - 1 - i];
    out[n < cap ? n : cap - 1] = 0;
    return 1;
}

size_t rnl_s2s_task_decode_text(const rnl_s2s_task_config *tc, int side, const int32_t *tokens, int n, char *out, size_t cap) {
    size_t len = 0;
    const char *alphabet = NULL;
    int count = tc->symbols;
    if (tc->task == RNL_S2S_TASK_DATES) {
        alphabet = side ? dates_tgt_chars : dates_src_chars;
        count = (int)strlen(alphabet);
    }
    for (int i = 0; i < n && tokens[i] != RNL_S2S_EOS; i++) {
        char one[2] = {0, 0};
        const char *piece = one;
        int k = tokens[i] - RNL_S2S_FIRST_SYMBOL;
        if (tokens[i] == RNL_S2S_PAD) piece = "<pad>";
        else if (tokens[i] == RNL_S2S_BOS) piece = "<bos>";
        else if (k < 0 || k >= count) piece = "<?>";
        else one[0] = alphabet ? alphabet[k] : (char)('a' + k);
        for (const char *p = piece; *p; p++, len++)
            if (cap && len < cap - 1) out[len] = *p;
    }
    if (cap) out[len < cap ? len : cap - 1] = 0;
    return len;
}

// test_golden.c: the core against golden vectors computed by PyTorch in float64 (tests/golden/gen_golden.py,
// format in tests/golden/README.md). For every case: loss, predictions and gradients of one batch; for
// training cases also the loss and gradient norm of each of N optimizer steps on that batch and the
// parameters after them. test_golden_f64.c includes this file to run it against the double-precision core
// at a much tighter tolerance.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#ifdef RNL_DOUBLE
#define TEST_NAME "test_golden_f64"
// Torch and the core compute the same float64 expressions in different orders: ~1e-15 apart.
#define RTOL 1e-9
#define ATOL 1e-12
#define RTOL_ADAM 1e-9
#define ATOL_ADAM 1e-12
#else
#define TEST_NAME "test_golden"
// float32 against float64. gen_golden.py --check-f32 runs torch itself in float32 on these cases: its worst
// error is about 1% of these tolerances, so they leave room for a different summation order, not for a bug.
#define RTOL 1e-4
#define ATOL 1e-5
// Parameters after Adam: the update lr * m / (sqrt(v) + eps) is scale-free, so an element whose gradient is
// near the float rounding of the others can move by up to lr per step whatever its size; atol 1e-4 is 1%
// of lr. (Torch float32 stays within 0.05 of the tight tolerance on these cases.)
#define RTOL_ADAM 1e-4
#define ATOL_ADAM 1e-4
#endif

// --- Reading the golden file ---------------------------------------------------------------------

#define GOLD_MAX_NDIM 4
#define GOLD_MAX_RECORDS 32
#define GOLD_MAX_NAME 64
enum { GOLD_F64 = 0, GOLD_I32 = 1 };

typedef struct {
    char name[GOLD_MAX_NAME];
    uint32_t dtype, ndim, dims[GOLD_MAX_NDIM];
    size_t count;         // product of dims
    const uint8_t *data;  // little-endian, unaligned: read with get_f64 / get_i32
} gold_record;

typedef struct {
    char name[GOLD_MAX_NAME];
    uint32_t n_records;
    gold_record rec[GOLD_MAX_RECORDS];
} gold_case;

typedef struct {
    const uint8_t *p;
    size_t n, pos;
    const char *err;  // first problem found, NULL if none
} reader;

static uint32_t rd_u32(reader *r) {
    if (r->err) return 0;
    if (r->n - r->pos < 4) {
        r->err = "truncated";
        return 0;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += 4;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static const uint8_t *rd_bytes(reader *r, size_t k) {
    if (r->err) return NULL;
    if (r->n - r->pos < k) {
        r->err = "truncated";
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += k;
    return q;
}

static void rd_name(reader *r, char *out) {
    uint32_t len = rd_u32(r);
    if (!r->err && len >= GOLD_MAX_NAME) r->err = "name too long";
    const uint8_t *s = rd_bytes(r, len);
    if (!s) {
        out[0] = 0;
        return;
    }
    memcpy(out, s, len);
    out[len] = 0;
}

static void rd_case(reader *r, gold_case *c) {
    rd_name(r, c->name);
    c->n_records = rd_u32(r);
    if (!r->err && c->n_records > GOLD_MAX_RECORDS) r->err = "too many records";
    for (uint32_t i = 0; i < c->n_records && !r->err; i++) {
        gold_record *g = &c->rec[i];
        rd_name(r, g->name);
        g->dtype = rd_u32(r);
        g->ndim = rd_u32(r);
        if (!r->err && g->dtype != GOLD_F64 && g->dtype != GOLD_I32) r->err = "unknown dtype";
        if (!r->err && g->ndim > GOLD_MAX_NDIM) r->err = "too many dimensions";
        g->count = 1;
        for (uint32_t d = 0; d < g->ndim && !r->err; d++) {
            g->dims[d] = rd_u32(r);
            if (g->dims[d] > (1u << 24) || g->count * g->dims[d] > (1u << 24)) r->err = "record too large";
            g->count *= g->dims[d];
        }
        g->data = rd_bytes(r, g->count * (g->dtype == GOLD_F64 ? 8 : 4));
    }
}

static double get_f64(const gold_record *g, size_t i) {
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--) u = u << 8 | g->data[8 * i + k];
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int32_t get_i32(const gold_record *g, size_t i) {
    const uint8_t *q = g->data + 4 * i;
    return (int32_t)((uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24);
}

// The record `name` of dtype `dtype` with `count` values (count 0: any), or NULL after a failed CHECK.
static const gold_record *find(const gold_case *c, const char *name, uint32_t dtype, size_t count) {
    for (uint32_t i = 0; i < c->n_records; i++) {
        const gold_record *g = &c->rec[i];
        if (strcmp(g->name, name) != 0) continue;
        CHECK(g->dtype == dtype, "%s: record %s has dtype %u, want %u", c->name, name, g->dtype, dtype);
        CHECK(count == 0 || g->count == count, "%s: record %s has %zu values, want %zu", c->name, name,
              g->count, count);
        return (g->dtype == dtype && (count == 0 || g->count == count)) ? g : NULL;
    }
    CHECK(0, "%s: record %s missing", c->name, name);
    return NULL;
}

static double *to_doubles(const gold_record *g) {
    double *v = malloc(sizeof(double) * (g->count ? g->count : 1));
    for (size_t i = 0; i < g->count; i++) v[i] = get_f64(g, i);
    return v;
}

static rnl_real *to_reals(const gold_record *g) {
    rnl_real *v = malloc(sizeof(rnl_real) * (g->count ? g->count : 1));
    for (size_t i = 0; i < g->count; i++) v[i] = (rnl_real)get_f64(g, i);
    return v;
}

// --- Comparisons ---------------------------------------------------------------------------------

static void close_reals(const char *what, const rnl_real *got, const gold_record *want, double rtol, double atol) {
    double *a = malloc(sizeof(double) * (want->count ? want->count : 1));
    double *b = to_doubles(want);
    for (size_t i = 0; i < want->count; i++) a[i] = (double)got[i];
    tu_close(what, a, b, want->count, rtol, atol);
    free(a);
    free(b);
}

// The tensor table the core must have: torch's state_dict names, in order, with their shapes.
static void add_tensor(rnl_tensor_info *out, int cap, int *n, size_t *off, const char *name, int rows, int cols) {
    if (*n < cap) {
        snprintf(out[*n].name, sizeof out[*n].name, "%s", name);
        out[*n].offset = *off, out[*n].rows = rows, out[*n].cols = cols;
    }
    *off += (size_t)rows * (size_t)cols, (*n)++;
}

static int expected_tensors(const rnl_config *cfg, rnl_tensor_info *out, int cap) {
    int n = 0, G = rnl_cell_gates(cfg->cell), H = cfg->hidden, dirs = cfg->bidirectional ? 2 : 1;
    size_t off = 0;
    char nm[sizeof out->name];
    if (cfg->vocab > 0) add_tensor(out, cap, &n, &off, "embedding.weight", cfg->vocab, cfg->embed);
    for (int l = 0; l < cfg->layers; l++) {
        int in = l == 0 ? (cfg->vocab > 0 ? cfg->embed : cfg->input_size) : H * dirs;
        for (int d = 0; d < dirs; d++) {
            const char *sfx = d ? "_reverse" : "";
            snprintf(nm, sizeof nm, "rnn.weight_ih_l%d%s", l, sfx);
            add_tensor(out, cap, &n, &off, nm, G * H, in);
            snprintf(nm, sizeof nm, "rnn.weight_hh_l%d%s", l, sfx);
            add_tensor(out, cap, &n, &off, nm, G * H, H);
            snprintf(nm, sizeof nm, "rnn.bias_ih_l%d%s", l, sfx);
            add_tensor(out, cap, &n, &off, nm, G * H, 1);
            snprintf(nm, sizeof nm, "rnn.bias_hh_l%d%s", l, sfx);
            add_tensor(out, cap, &n, &off, nm, G * H, 1);
        }
    }
    add_tensor(out, cap, &n, &off, "head.weight", cfg->outputs, H * dirs);
    add_tensor(out, cap, &n, &off, "head.bias", cfg->outputs, 1);
    return n;
}

// Checks the core's tensor table against torch's layout; returns 1 if it matches (so per-tensor slices of
// the golden vectors can be named by it).
static int check_tensor_table(const char *cname, const rnl_model *m) {
    rnl_tensor_info want[2 + 4 * 2 * RNL_MAX_LAYERS + 2];
    int n = expected_tensors(rnl_model_config(m), want, (int)(sizeof want / sizeof want[0]));
    int got = rnl_model_num_tensors(m), ok = 1;
    CHECK(got == n, "%s: core has %d tensors, torch %d", cname, got, n);
    if (got != n) return 0;
    for (int i = 0; i < n; i++) {
        const rnl_tensor_info *t = rnl_model_tensor(m, i);
        int same = t && strcmp(t->name, want[i].name) == 0 && t->offset == want[i].offset &&
                   t->rows == want[i].rows && t->cols == want[i].cols;
        CHECK(same, "%s: tensor %d is %s at %zu (%d x %d), torch's is %s at %zu (%d x %d)", cname, i,
              t ? t->name : "NULL", t ? t->offset : 0, t ? t->rows : 0, t ? t->cols : 0, want[i].name,
              want[i].offset, want[i].rows, want[i].cols);
        ok &= same;
    }
    return ok;
}

// Compares a flat parameter-layout vector tensor by tensor, so a failure names the tensor (and the index
// printed is within it: row = index / cols, col = index % cols).
static void close_flat(const char *cname, const char *what, const rnl_model *m, int table_ok, const rnl_real *got,
                       const gold_record *want, double rtol, double atol) {
    double *a = malloc(sizeof(double) * want->count), *b = to_doubles(want);
    for (size_t i = 0; i < want->count; i++) a[i] = (double)got[i];
    char label[256];
    if (!table_ok) {
        snprintf(label, sizeof label, "%s %s (whole block: the tensor table differs)", cname, what);
        tu_close(label, a, b, want->count, rtol, atol);
    } else {
        for (int i = 0; i < rnl_model_num_tensors(m); i++) {
            const rnl_tensor_info *t = rnl_model_tensor(m, i);
            snprintf(label, sizeof label, "%s %s %s (%d x %d)", cname, what, t->name, t->rows, t->cols);
            tu_close(label, a + t->offset, b + t->offset, (size_t)t->rows * (size_t)t->cols, rtol, atol);
        }
    }
    free(a);
    free(b);
}

// --- One case ------------------------------------------------------------------------------------

static void run_case(const gold_case *c) {
    const gold_record *gcfg = find(c, "config", GOLD_I32, 10), *gshape = find(c, "shape", GOLD_I32, 2);
    if (!gcfg || !gshape) return;
    rnl_config cfg = rnl_config_default((rnl_cell)get_i32(gcfg, 0));
    cfg.vocab = get_i32(gcfg, 1);
    cfg.embed = get_i32(gcfg, 2);
    cfg.input_size = get_i32(gcfg, 3);
    cfg.hidden = get_i32(gcfg, 4);
    cfg.layers = get_i32(gcfg, 5);
    cfg.bidirectional = get_i32(gcfg, 6);
    cfg.head = (rnl_head)get_i32(gcfg, 7);
    cfg.outputs = get_i32(gcfg, 8);
    cfg.seq2seq = get_i32(gcfg, 9);
    int B = get_i32(gshape, 0), T = get_i32(gshape, 1);
    CHECK(B >= 1 && B <= 64 && T >= 1 && T <= 64, "%s: shape %d x %d", c->name, B, T);
    if (!(B >= 1 && B <= 64 && T >= 1 && T <= 64)) return;
    size_t n_tg = (size_t)B * (cfg.seq2seq ? (size_t)T : 1) * (cfg.head == RNL_HEAD_REGRESSION ? (size_t)cfg.outputs : 1);
    size_t n_pred = (size_t)B * (cfg.seq2seq ? (size_t)T : 1) * (size_t)cfg.outputs;

    const gold_record *glen = find(c, "lengths", GOLD_I32, (size_t)B), *gtg = find(c, "targets", GOLD_F64, n_tg);
    const gold_record *gin = cfg.vocab > 0 ? find(c, "tokens", GOLD_I32, (size_t)B * T)
                                           : find(c, "inputs", GOLD_F64, (size_t)B * T * cfg.input_size);
    const gold_record *gparams = find(c, "params", GOLD_F64, 0), *gpred = find(c, "predictions", GOLD_F64, n_pred);
    const gold_record *gloss = find(c, "loss", GOLD_F64, 1), *ggrads = find(c, "grads", GOLD_F64, 0);
    if (!glen || !gtg || !gin || !gparams || !gpred || !gloss || !ggrads) return;

    rnl_model *m = NULL;
    rnl_status st = rnl_model_create(&m, &cfg, 1);
    CHECK(st == RNL_OK, "%s: rnl_model_create: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
    if (st != RNL_OK) return;
    size_t np = rnl_model_num_params(m);
    CHECK(np == gparams->count && np == ggrads->count, "%s: core has %zu parameters, torch %zu", c->name, np,
          gparams->count);
    if (np != gparams->count || np != ggrads->count) {
        rnl_model_destroy(m);
        return;
    }
    int table_ok = check_tensor_table(c->name, m);

    // The batch, batch-major as the API takes it. Lengths all == T are passed as NULL (the API's "every
    // sequence is T long"), the others as given.
    int32_t *tokens = NULL, *lengths = malloc(sizeof(int32_t) * B);
    rnl_real *inputs = NULL, *targets = to_reals(gtg);
    int all_full = 1;
    for (int b = 0; b < B; b++) lengths[b] = get_i32(glen, b), all_full &= lengths[b] == T;
    if (cfg.vocab > 0) {
        tokens = malloc(sizeof(int32_t) * B * T);
        for (size_t i = 0; i < (size_t)B * T; i++) tokens[i] = get_i32(gin, i);
    } else {
        inputs = to_reals(gin);
    }
    rnl_batch batch = {.B = B, .T = T, .tokens = tokens, .inputs = inputs, .lengths = all_full ? NULL : lengths,
                       .targets = targets};
    rnl_real *p0 = to_reals(gparams);
    char what[256];

    // Forward and backward of one batch.
    memcpy(rnl_model_params(m), p0, sizeof(rnl_real) * np);
    rnl_model_zero_grad(m);
    rnl_real loss = 0;
    st = rnl_model_forward(m, &batch, &loss);
    CHECK(st == RNL_OK, "%s: rnl_model_forward: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
    if (st == RNL_OK) {
        snprintf(what, sizeof what, "%s loss", c->name);
        close_reals(what, &loss, gloss, RTOL, ATOL);
        snprintf(what, sizeof what, "%s predictions", c->name);
        close_reals(what, rnl_model_predictions(m), gpred, RTOL, ATOL);
        st = rnl_model_backward(m, 0);
        CHECK(st == RNL_OK, "%s: rnl_model_backward: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
        if (st == RNL_OK) close_flat(c->name, "grads", m, table_ok, rnl_model_grads(m), ggrads, RTOL, ATOL);
    }

    // Training: N steps of rnl_train_step on the same batch from the same parameters.
    int has_optim = 0;
    for (uint32_t i = 0; i < c->n_records; i++) has_optim |= strcmp(c->rec[i].name, "optim") == 0;
    if (has_optim) {
        const gold_record *go = find(c, "optim", GOLD_I32, 2), *gh = find(c, "hparams", GOLD_F64, 7);
        int steps = go ? get_i32(go, 1) : 0;
        const gold_record *gl = find(c, "train_losses", GOLD_F64, (size_t)steps);
        const gold_record *gn = find(c, "train_grad_norms", GOLD_F64, (size_t)steps);
        const gold_record *gafter = find(c, "params_after", GOLD_F64, np);
        if (go && gh && gl && gn && gafter && steps >= 1 && steps <= 1000) {
            rnl_optim kind = (rnl_optim)get_i32(go, 0);
            rnl_optim_config oc = rnl_optim_default(kind);
            oc.lr = (float)get_f64(gh, 0);  // the generator rounded every hyperparameter to float: exact
            oc.momentum = (float)get_f64(gh, 1);
            oc.beta1 = (float)get_f64(gh, 2);
            oc.beta2 = (float)get_f64(gh, 3);
            oc.eps = (float)get_f64(gh, 4);
            oc.weight_decay = (float)get_f64(gh, 5);
            oc.clip = (float)get_f64(gh, 6);
            rnl_optimizer *o = NULL;
            st = rnl_optimizer_create(&o, &oc, np);
            CHECK(st == RNL_OK, "%s: rnl_optimizer_create: %s: %s", c->name, rnl_status_name(st), rnl_last_error());
            if (st == RNL_OK) {
                memcpy(rnl_model_params(m), p0, sizeof(rnl_real) * np);
                double *losses = malloc(sizeof(double) * steps), *norms = malloc(sizeof(double) * steps);
                int done = 0;
                for (; done < steps; done++) {
                    rnl_step_stats ss;
                    st = rnl_train_step(m, o, &batch, 0, &ss);
                    CHECK(st == RNL_OK, "%s: rnl_train_step %d: %s: %s", c->name, done, rnl_status_name(st),
                          rnl_last_error());
                    if (st != RNL_OK) break;
                    losses[done] = ss.loss, norms[done] = ss.grad_norm;
                    // The generator keeps every norm at least 0.1% away from the clip, so this is exact.
                    int want_clip = oc.clip > 0 && get_f64(gh, 6) / (get_f64(gn, done) + 1e-6) < 1;
                    CHECK(ss.clipped == want_clip, "%s: step %d clipped = %d, torch %d (norm %.9g, clip %g)", c->name,
                          done, ss.clipped, want_clip, get_f64(gn, done), oc.clip);
                }
                if (done == steps) {
                    double *wl = to_doubles(gl), *wn = to_doubles(gn);
                    snprintf(what, sizeof what, "%s train_losses (%s)", c->name, rnl_optim_name(kind));
                    tu_close(what, losses, wl, steps, RTOL, ATOL);
                    snprintf(what, sizeof what, "%s train_grad_norms (%s)", c->name, rnl_optim_name(kind));
                    tu_close(what, norms, wn, steps, RTOL, ATOL);
                    free(wl);
                    free(wn);
                    snprintf(what, sizeof what, "params_after (%s, %d steps)", rnl_optim_name(kind), steps);
                    int adam = kind == RNL_OPTIM_ADAM;
                    close_flat(c->name, what, m, table_ok, rnl_model_params(m), gafter, adam ? RTOL_ADAM : RTOL,
                               adam ? ATOL_ADAM : ATOL);
                }
                free(losses);
                free(norms);
                rnl_optimizer_destroy(o);
            }
        }
    }
    free(p0);
    free(tokens);
    free(inputs);
    free(lengths);
    free(targets);
    rnl_model_destroy(m);
}

// --- Main ----------------------------------------------------------------------------------------

int main(void) {
    const char *path = tu_source_path("tests/golden/golden.bin");
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "cannot open %s (set RNL_SOURCE_DIR to the source tree, or run through ctest); "
                     "regenerate it with tests/golden/gen_golden.py", path);
    if (!f) return tu_summary(TEST_NAME);
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, k;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            buf = realloc(buf, cap);
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);

    reader r = {buf, n, 0, NULL};
    const uint8_t *magic = rd_bytes(&r, 8);
    uint32_t version = rd_u32(&r), n_cases = rd_u32(&r);
    CHECK(magic && memcmp(magic, "RNLGOLD1", 8) == 0, "%s: bad magic (not a golden file)", path);
    CHECK(!r.err && version == 1, "%s: version %u, this test reads 1", path, version);
    CHECK(!r.err && n_cases >= 1 && n_cases <= 1000, "%s: %u cases", path, n_cases);
    if (!magic || memcmp(magic, "RNLGOLD1", 8) != 0 || r.err || version != 1 || n_cases < 1 || n_cases > 1000) {
        free(buf);
        return tu_summary(TEST_NAME);
    }
    gold_case *gc = malloc(sizeof *gc);
    uint32_t ran = 0;
    for (uint32_t i = 0; i < n_cases; i++) {
        rd_case(&r, gc);
        CHECK(!r.err, "%s: case %u (%s) at byte %zu: %s", path, i, gc->name, r.pos, r.err ? r.err : "");
        if (r.err) break;
        int before = tu_failures;
        run_case(gc);
        printf("  %-36s %s\n", gc->name, tu_failures == before ? "ok" : "FAILED");
        ran++;
    }
    CHECK(r.err || r.pos == n, "%s: %zu bytes after the last case", path, n - r.pos);
    CHECK(ran == n_cases, "%s: read %u of %u cases", path, ran, n_cases);
    free(gc);
    free(buf);
    return tu_summary(TEST_NAME);
}

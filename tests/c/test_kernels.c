// test_kernels.c: every gemm variant of rnl_kernels_list against a reference computed here in double.
//
// Each available variant runs nn, nt and tn at every M, N, K in 1..35 (two AVX-512 vectors + 3, so every
// leftover path of every variant is hit) and at a few large odd shapes that cross the K and M blocking.
// Leading dimensions are wider than the rows, their padding is NaN (a kernel that reads it poisons C)
// and the padding of C holds a sentinel (a kernel that writes it is caught); C starts non-zero, since
// every gemm accumulates. A, B and C end right before an inaccessible page, so a read or write past
// the end (a masked load or store one lane too wide, which ASan does not see) crashes the test.
// The reference is independent of kernels.c, so the scalar variant is tested too.
#define _DEFAULT_SOURCE  // mmap's MAP_ANONYMOUS under -std=c11
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernels.h"
#include "testutil.h"

#define SMALL_MAX 35
#define C_SENTINEL ((rnl_real)-12345)

enum { OP_NN, OP_NT, OP_TN, NUM_OPS };
static const char *op_names[NUM_OPS] = {"nn", "nt", "tn"};

static uint64_t lcg_state = 0x9E3779B97F4A7C15ull;
static rnl_real frand(void) {  // uniform in [-1, 1)
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (rnl_real)((double)(lcg_state >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

// A matrix of rows x cols, rows ld apart, with the padding between rows set to `pad`.
typedef struct {
    rnl_real *p;
    int rows, cols, ld;
} mat;

static size_t mat_size(int rows, int cols, int ld) { return (size_t)(rows - 1) * ld + cols; }

// Arenas that end at a PROT_NONE page; a matrix is placed so that its last element is the arena's last.
#define ARENA_ELEMS (1u << 20)
enum { ARENA_A, ARENA_B, ARENA_C, NUM_ARENAS };
static rnl_real *arena_end[NUM_ARENAS];

// The call under test, named by the crash handler when a guard page is hit.
static char current[96] = "(no gemm call)";

static void on_crash(int sig) {
    static const char msg[] = "test_kernels: crashed (out-of-bounds access?) in ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, current, strlen(current)) < 0 || write(2, "\n", 1) < 0) {}
    signal(sig, SIG_DFL);
    raise(sig);
}

static void arenas_init(void) {
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = ARENA_ELEMS * sizeof(rnl_real);
    for (int i = 0; i < NUM_ARENAS; i++) {
        char *base = mmap(NULL, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED || mprotect(base + bytes, page, PROT_NONE) != 0) {
            perror("test_kernels: mmap");
            exit(2);
        }
        arena_end[i] = (rnl_real *)(base + bytes);
    }
}

static mat mat_make(int rows, int cols, int ld, rnl_real pad, int arena) {
    size_t n = mat_size(rows, cols, ld);
    if (n > ARENA_ELEMS) {
        fprintf(stderr, "test_kernels: %zu values do not fit an arena\n", n);
        exit(2);
    }
    mat m = {arena >= 0 ? arena_end[arena] - n : malloc(sizeof(rnl_real) * n), rows, cols, ld};
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < (r + 1 < rows ? ld : cols); c++) m.p[(size_t)r * ld + c] = c < cols ? frand() : pad;
    return m;
}

// Reference in double: ref (M, N) = C0 + op(A) . op(B).
static void reference(int op, int M, int N, int K, const mat *A, const mat *B, const mat *C0, double *ref) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = C0->p[(size_t)i * C0->ld + j];
            for (int k = 0; k < K; k++) {
                double a = op == OP_TN ? A->p[(size_t)k * A->ld + i] : A->p[(size_t)i * A->ld + k];
                double b = op == OP_NT ? B->p[(size_t)j * B->ld + k] : B->p[(size_t)k * B->ld + j];
                s += a * b;
            }
            ref[(size_t)i * N + j] = s;
        }
}

static rnl_gemm_fn op_fn(const rnl_kernel_set *ks, int op) {
    return op == OP_NN ? ks->gemm_nn : op == OP_NT ? ks->gemm_nt : ks->gemm_tn;
}

static int failed[16][NUM_OPS];  // after a variant's first failure in an op, its further shapes are skipped

// Runs every available variant on one shape of one op and compares with the reference.
static void check_shape(int op, int M, int N, int K) {
    int nsets;
    const rnl_kernel_set *sets = rnl_kernels_list(&nsets);
    // Odd paddings so that rows are not vector-aligned either.
    int a_rows = op == OP_TN ? K : M, a_cols = op == OP_TN ? M : K;
    int b_rows = op == OP_NT ? N : K, b_cols = op == OP_NT ? K : N;
    mat A = mat_make(a_rows, a_cols, a_cols + 3, NAN, ARENA_A);
    mat B = mat_make(b_rows, b_cols, b_cols + 5, NAN, ARENA_B);
    mat C0 = mat_make(M, N, N + 7, C_SENTINEL, -1);
    mat C = {arena_end[ARENA_C] - mat_size(M, N, C0.ld), M, N, C0.ld};
    double *ref = malloc(sizeof(double) * (size_t)M * N), *got = malloc(sizeof(double) * (size_t)M * N);
    reference(op, M, N, K, &A, &B, &C0, ref);
    // Error of a float dot product of K terms each <= 1 in size, with margin.
    double rtol = 1e-5, atol = 1e-6 * (K + 1);

    for (int s = 0; s < nsets && s < 16; s++) {
        if (!sets[s].available() || failed[s][op]) continue;
        char what[96];
        snprintf(what, sizeof what, "%s gemm_%s M=%d N=%d K=%d", sets[s].name, op_names[op], M, N, K);
        memcpy(current, what, sizeof what);
        memcpy(C.p, C0.p, sizeof(rnl_real) * mat_size(M, N, C0.ld));
        op_fn(&sets[s], op)(M, N, K, A.p, A.ld, B.p, B.ld, C.p, C.ld);
        int pad_ok = 1;
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) got[(size_t)i * N + j] = C.p[(size_t)i * C.ld + j];
            for (int j = N; i + 1 < M && j < C.ld; j++) pad_ok &= C.p[(size_t)i * C.ld + j] == C_SENTINEL;
        }
        int ok = tu_close(what, got, ref, (size_t)M * N, rtol, atol);
        CHECK(pad_ok, "%s wrote into the padding of C (between N and ldc)", what);
        if (!ok || !pad_ok) failed[s][op] = 1;
    }
    free(C0.p), free(ref), free(got);
}

// Empty products leave C alone.
static void check_empty(void) {
    int nsets;
    const rnl_kernel_set *sets = rnl_kernels_list(&nsets);
    rnl_real c[4] = {1, 2, 3, 4}, a[16] = {0}, b[16] = {0};  // big enough for any stride used below
    for (int s = 0; s < nsets; s++) {
        if (!sets[s].available()) continue;
        for (int op = 0; op < NUM_OPS; op++) {
            op_fn(&sets[s], op)(2, 2, 0, a, 2, b, 2, c, 2);
            op_fn(&sets[s], op)(0, 2, 3, a, 3, b, 2, c, 2);
            op_fn(&sets[s], op)(2, 0, 3, a, 3, b, 2, c, 2);
            CHECK(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4, "%s gemm_%s changed C on an empty product",
                  sets[s].name, op_names[op]);
        }
    }
}

static void check_selection(void) {
    int nsets;
    const rnl_kernel_set *sets = rnl_kernels_list(&nsets);
    CHECK(nsets >= 1 && strcmp(sets[0].name, "scalar") == 0, "the reference must come first in the list");

    // Before any select: the last available variant of the list (the list goes from slowest to fastest).
    const rnl_kernel_set *act = rnl_kernels_active(), *want = &sets[0];
    for (int s = 0; s < nsets; s++)
        if (sets[s].available()) want = &sets[s];
    CHECK(act == want, "active variant is %s, expected %s", act->name, want->name);
    printf("active kernels: %s; built in:", act->name);
    for (int s = 0; s < nsets; s++) printf(" %s%s", sets[s].name, sets[s].available() ? "" : " (unavailable)");
    printf("\n");

    CHECK(rnl_kernels_select("no-such-variant") == RNL_ERR_ARG, "an unknown variant must be refused");
    CHECK(strstr(rnl_last_error(), "no-such-variant") != NULL, "message should name the variant: '%s'",
          rnl_last_error());
    CHECK(rnl_kernels_active() == act, "a refused select must keep the active variant");
    for (int s = 0; s < nsets; s++) {
        if (sets[s].available()) {
            CHECK_OK(rnl_kernels_select(sets[s].name));
            CHECK(rnl_kernels_active() == &sets[s], "select(%s) did not take", sets[s].name);
            // What the core calls goes through the selected variant.
            rnl_real a[2] = {1, 2}, b[2] = {3, 4}, c[1] = {0.5f};
            rnl_gemm_nt(1, 1, 2, a, 2, b, 2, c, 1);
            CHECK(c[0] == 11.5f, "rnl_gemm_nt via %s: got %g, expected 11.5", sets[s].name, c[0]);
        } else {
            CHECK(rnl_kernels_select(sets[s].name) == RNL_ERR_ARG, "select of unavailable %s must fail",
                  sets[s].name);
            CHECK(strstr(rnl_last_error(), sets[s].name) != NULL, "message should name %s: '%s'", sets[s].name,
                  rnl_last_error());
        }
    }
    CHECK_OK(rnl_kernels_select(act->name));
}

int main(void) {
    arenas_init();
    check_selection();
    check_empty();

    for (int op = 0; op < NUM_OPS; op++)
        for (int M = 1; M <= SMALL_MAX; M++)
            for (int N = 1; N <= SMALL_MAX; N++)
                for (int K = 1; K <= SMALL_MAX; K++) check_shape(op, M, N, K);

    // Large odd shapes: several K blocks (K > 256, and K = 512: two full ones) and M blocks (M > 192),
    // long and thin ones, the LSTM's.
    static const int big[][3] = {{33, 517, 129}, {37, 61, 600}, {250, 45, 19}, {1, 1000, 3},
                                 {517, 3, 33},   {7, 1, 777},   {32, 512, 128}, {400, 100, 300}, {9, 40, 512}};
    for (int op = 0; op < NUM_OPS; op++)
        for (size_t b = 0; b < sizeof big / sizeof big[0]; b++) check_shape(op, big[b][0], big[b][1], big[b][2]);

    return tu_summary("test_kernels");
}

// bench_kernels.c: GFLOP/s of every gemm variant in rnl_kernels_list, single thread, at the shapes an
// LSTM trains with (B = 32, H = 128, 4H = 512, T*B = 6400) and a 256^3 square, against the scalar reference.
//
//     bench_kernels [--json] [--reps N] [--variant NAME] [--quick]
//
// Each measurement is the median of N (default 7, at least 7 unless --quick) repeats after a warm-up;
// a repeat runs the call enough times to last >= 20 ms, so the clock's resolution does not matter.
// FLOPs are 2*M*N*K per call. --json also gives the rates from the process's CPU time (gflops_cpu,
// gflops_cpu_best), which a shared, loaded machine distorts less than the wall clock. Timings are
// informative only: no test depends on them.
#define _POSIX_C_SOURCE 200809L  // clock_gettime under -std=c11

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

typedef struct {
    const char *what;  // where the LSTM does this product
    int M, N, K;
} shape;

// The LSTM's products (input 128 or 64 wide, hidden 128, batch 32, 200 steps):
//   forward step     gates (B, 4H) += h (B, H) . W_hh^T          nt  32 x 512 x 128
//   input projection gates (T*B, 4H) += x (T*B, I) . W_ih^T      nt  6400 x 512 x 64
//   backward dW      dW (4H, H) += dG^T (4H, B) . h (B, H)        tn  512 x 128 x 32
//   backward dX      dh (B, H) += dG (B, 4H) . W (4H, H)          nn  32 x 128 x 512
// Every op runs at every shape, so the three kernels can be compared on equal work.
static const shape shapes[] = {
    {"lstm fwd step", 32, 512, 128},
    {"lstm input proj", 6400, 512, 64},
    {"lstm bwd dW", 512, 128, 32},
    {"lstm bwd dX", 32, 128, 512},
    {"square", 256, 256, 256},
};
#define NUM_SHAPES ((int)(sizeof shapes / sizeof shapes[0]))
static const char *op_names[3] = {"nn", "nt", "tn"};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static rnl_real *random_matrix(size_t n, unsigned *seed) {
    rnl_real *p = malloc(sizeof(rnl_real) * n);
    if (!p) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = (rnl_real)(*seed >> 8) / (rnl_real)(1u << 24) - (rnl_real)0.5;
    }
    return p;
}

// Median seconds per call of fn at shape s (op 0 nn, 1 nt, 2 tn), over `reps` repeats; *best gets the
// fastest repeat (on a shared machine the best is nearer the kernel's own speed, the median to what a run sees).
static double time_gemm(rnl_gemm_fn fn, int op, const shape *s, const rnl_real *A, const rnl_real *B, rnl_real *C,
                        int reps, double *best, double *cpu_median, double *cpu_best) {
    int M = s->M, N = s->N, K = s->K;
    int lda = op == 2 ? M : K, ldb = op == 1 ? K : N;
    fn(M, N, K, A, lda, B, ldb, C, N);  // warm-up: caches, page faults, clock ramp
    int iters = 1;
    for (;;) {  // calibrate: enough calls per repeat to last >= 20 ms
        double t0 = now();
        for (int i = 0; i < iters; i++) fn(M, N, K, A, lda, B, ldb, C, N);
        double dt = now() - t0;
        if (dt >= 0.02 || iters >= (1 << 24)) break;
        iters = dt < 1e-4 ? iters * 16 : (int)(iters * 0.025 / dt) + 1;
    }
    double t[64], c[64];
    for (int r = 0; r < reps; r++) {
        double t0 = now(), c0 = cpu_now();
        for (int i = 0; i < iters; i++) fn(M, N, K, A, lda, B, ldb, C, N);
        t[r] = (now() - t0) / iters;
        c[r] = (cpu_now() - c0) / iters;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    qsort(c, (size_t)reps, sizeof c[0], cmp_double);
    *best = t[0];
    *cpu_best = c[0];
    *cpu_median = c[reps / 2];
    return t[reps / 2];
}

static void usage(void) {
    fprintf(stderr, "usage: bench_kernels [--json] [--reps N (7..63)] [--variant NAME] [--quick]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int json = 0, reps = 7, quick = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--variant") && i + 1 < argc) only = argv[++i];
        else usage();
    }
    if (quick) reps = 3;
    else if (reps < 7 || reps > 63) usage();

    int nsets;
    const rnl_kernel_set *sets = rnl_kernels_list(&nsets);
    if (only && rnl_kernels_select(only) != RNL_OK) {
        fprintf(stderr, "bench_kernels: %s\n", rnl_last_error());
        return 2;
    }

    // The largest operands of any shape, shared by every measurement.
    size_t max_a = 0, max_b = 0, max_c = 0;
    for (int s = 0; s < NUM_SHAPES; s++) {
        size_t mk = (size_t)shapes[s].M * shapes[s].K, kn = (size_t)shapes[s].K * shapes[s].N;
        size_t mn = (size_t)shapes[s].M * shapes[s].N;
        if (mk > max_a) max_a = mk;
        if (kn > max_b) max_b = kn;
        if (mn > max_c) max_c = mn;
    }
    unsigned seed = 1;
    rnl_real *A = random_matrix(max_a, &seed), *B = random_matrix(max_b, &seed), *C = random_matrix(max_c, &seed);

    if (!json) {
        printf("GFLOP/s, single thread, median of %d; (x) = speed-up over scalar\n", reps);
        printf("%-16s %-16s %-3s", "shape", "M x N x K", "op");
        for (int v = 0; v < nsets; v++)
            if (sets[v].available() && (!only || !strcmp(sets[v].name, only) || v == 0))
                printf(" %17s", sets[v].name);
        printf("\n");
    }
    for (int s = 0; s < NUM_SHAPES; s++) {
        const shape *sh = &shapes[s];
        double flops = 2.0 * sh->M * sh->N * sh->K;
        for (int op = 0; op < 3; op++) {
            char dims[32];
            snprintf(dims, sizeof dims, "%dx%dx%d", sh->M, sh->N, sh->K);
            if (!json) printf("%-16s %-16s %-3s", sh->what, dims, op_names[op]);
            double scalar_gf = 0;
            for (int v = 0; v < nsets; v++) {
                // The scalar reference always runs: the ratios are to it.
                if (!sets[v].available() || (only && strcmp(sets[v].name, only) && v != 0)) continue;
                rnl_gemm_fn fn = op == 0 ? sets[v].gemm_nn : op == 1 ? sets[v].gemm_nt : sets[v].gemm_tn;
                double best, cmed, cbest, sec = time_gemm(fn, op, sh, A, B, C, reps, &best, &cmed, &cbest);
                double gf = flops / sec * 1e-9;
                if (v == 0) scalar_gf = gf;
                if (json)
                    printf("{\"variant\":\"%s\",\"op\":\"%s\",\"shape\":\"%s\",\"M\":%d,\"N\":%d,\"K\":%d,"
                           "\"seconds\":%.9g,\"gflops\":%.4g,\"gflops_best\":%.4g,\"gflops_cpu\":%.4g,"
                           "\"gflops_cpu_best\":%.4g,\"ratio_to_scalar\":%.4g,\"reps\":%d}\n",
                           sets[v].name, op_names[op], sh->what, sh->M, sh->N, sh->K, sec, gf, flops / best * 1e-9,
                           flops / cmed * 1e-9, flops / cbest * 1e-9, gf / scalar_gf, reps);
                else
                    printf(" %9.1f (%5.1fx)", gf, gf / scalar_gf);
                fflush(stdout);
            }
            if (!json) printf("\n");
        }
    }
    free(A), free(B), free(C);
    return 0;
}

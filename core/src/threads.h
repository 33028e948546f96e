// threads.h: a small fixed pool of threads that runs numbered tasks (threads.c). The caller's own thread
// is thread 0 and works too; tasks are taken in any order, so a task must write only its own output (the
// shards of a training step, the batches of an evaluation) and the caller reduces them in task order: the
// results never depend on which thread ran what, nor on how many there were.
//
// The WebAssembly build has no threads (RNL_NO_THREADS, set for __wasm__): a pool there has one thread
// and runs every task in the caller, the same code path with n = 1.
#ifndef RNNLAB_THREADS_H
#define RNNLAB_THREADS_H

#include "rnnlab.h"

#if defined(__wasm__) && !defined(RNL_NO_THREADS)
#define RNL_NO_THREADS 1
#endif

typedef struct rnl_pool rnl_pool;

// fn(ctx, task, thread): task in 0..n_tasks-1, thread in 0..threads-1 (which of the caller's per-thread
// resources to use).
typedef void (*rnl_pool_fn)(void *ctx, int task, int thread);

// A pool of `threads` threads (threads - 1 started here; 1 without threads support). On failure nothing
// is left running.
rnl_status rnl_pool_create(rnl_pool **out, int threads);
// Runs every task and returns when all are done. One run at a time per pool.
void rnl_pool_run(rnl_pool *p, int n_tasks, rnl_pool_fn fn, void *ctx);
int rnl_pool_threads(const rnl_pool *p);
void rnl_pool_destroy(rnl_pool *p);  // joins the threads; NULL is fine

#endif

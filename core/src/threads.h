// threads.h: a small fixed pool of threads that runs numbered tasks (threads.c). The caller's own thread
// is thread 0 and works too; tasks are taken in any order, so a task must write only its own output (the
// shards of a training step, the batches of an evaluation) and the caller reduces them in task order: the
// results never depend on which thread ran what, nor on how many there were.
//
// Three backends, one interface:
// - pthreads (native);
// - WebAssembly with shared memory (RNL_WASM_THREADS: the shared module, compiled with -matomics): the
//   threads are Worker instances of the same module over the same memory, started by JavaScript
//   (web/lib/shared.js), each running rnlw_thread_main; see "WebAssembly threads" below;
// - none (RNL_NO_THREADS: the plain WebAssembly module): a pool has one thread and runs every task in the
//   caller, the same code path with n = 1.
#ifndef RNNLAB_THREADS_H
#define RNNLAB_THREADS_H

#include <stdint.h>

#include "rnnlab.h"

#if defined(__wasm__) && defined(__wasm_atomics__) && !defined(RNL_NO_THREADS)
#define RNL_WASM_THREADS 1
#elif defined(__wasm__) && !defined(RNL_NO_THREADS)
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

// --- WebAssembly threads (exported by the module; web/lib/shared.js drives them) ---------------------------
//
// Thread k >= 1 is a Worker with its own instance of the shared module over the owner's memory. The owner
// (the instance that created the memory and ran _initialize) prepares it (a stack and a thread-local block
// from its heap), the Worker sets its stack pointer to the returned top (the module's stackRestore) and
// calls rnlw_thread_main(k), which returns only when rnlw_threads_stop() is called. Every pool of the module
// uses those Workers: thread k of a pool of n threads is Worker k, for k < n. A Worker that is not there
// (yet) costs speed, never results: the owner takes every task nobody else took. In the other builds these
// say that the module has no shared memory.
uintptr_t rnlw_thread_prepare(int k);  // the stack top for Worker k, or 0 (rnl_last_error says why)
int rnlw_thread_main(int k);           // Worker k's loop; -1 at once when k was not prepared or no threads
int rnlw_threads_running(void);        // Workers inside rnlw_thread_main
void rnlw_threads_stop(void);          // every Worker returns from rnlw_thread_main
int rnlw_threads_release(void);        // after they did: frees their stacks; -1 while one still runs
char *rnlw_thread_message(void);       // 256 bytes where a failing Worker's JavaScript writes what happened
void rnlw_thread_failed(int k);        // ... and then says so: the owner's next wait traps, naming it

#endif

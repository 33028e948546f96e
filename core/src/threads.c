// threads.c: the thread pool of threads.h. Natively pthreads: the threads sleep on a condition variable
// between runs (a training step is milliseconds long, so waking them costs nothing measurable) and take
// tasks from an atomic counter, which balances shards of unequal length without changing any result. In
// the shared-memory WebAssembly module the same, with Worker instances for threads and the wasm atomic
// wait/notify for the condition variable (below); in the plain module, no threads.
#include <stdlib.h>
#include <string.h>

#include "threads.h"

#ifdef RNL_NO_THREADS

struct rnl_pool {
    int threads;
};

rnl_status rnl_pool_create(rnl_pool **out, int threads) {
    (void)threads;
    *out = calloc(1, sizeof **out);
    if (!*out) return rnl_fail(RNL_ERR_NOMEM, "threads: out of memory");
    (*out)->threads = 1;
    return RNL_OK;
}

void rnl_pool_run(rnl_pool *p, int n_tasks, rnl_pool_fn fn, void *ctx) {
    (void)p;
    for (int i = 0; i < n_tasks; i++) fn(ctx, i, 0);
}

void rnl_pool_destroy(rnl_pool *p) { free(p); }

#ifdef __wasm__
static const char no_shared[] = "this module has no shared memory: load the shared build (RnnLab.load with shared: true)";
uintptr_t rnlw_thread_prepare(int k) {
    (void)k;
    rnl_fail(RNL_ERR_ARG, "%s", no_shared);
    return 0;
}
int rnlw_thread_main(int k) { return (void)k, -1; }
int rnlw_threads_running(void) { return 0; }
void rnlw_threads_stop(void) {}
int rnlw_threads_release(void) { return 0; }
char *rnlw_thread_message(void) {
    static char msg[256];
    return msg;
}
void rnlw_thread_failed(int k) { (void)k; }
#endif

#elif defined(RNL_WASM_THREADS)

// --- WebAssembly threads: Worker instances over one shared memory ------------------------------------------
//
// Every instance of the module has its own globals (the stack pointer, the thread-local base) and shares
// the memory, so everything below is one copy, seen by all. One run at a time: the owner's JavaScript calls
// into C one call at a time, and a task never starts a pool of its own.
//
// A run publishes its tasks as one 64-bit ticket, generation (24 bits) | tasks (20) | next task (20):
// a thread takes task i by moving the ticket from i to i + 1 with compare-and-swap, and only while the
// generation is its run's, so a Worker that wakes late takes nothing from a run that is over or from the
// next one (a successful swap proves that the run is still going: the task it took is not done). The
// run's function and context are read after the swap, hence are that run's. The owner takes tasks too,
// then waits for the count of finished tasks, in slices, so that a Worker that failed (its JavaScript
// calls rnlw_thread_failed) turns into a trap of the owner's call instead of a hang.

#include <stdatomic.h>

#define TICKET_BITS 20
#define TICKET_MASK ((1u << TICKET_BITS) - 1)
#define GEN_MASK 0xffffffu
#define WORKER_STACK (1u << 20)  // 1 MB, as the owner's (-sTOTAL_STACK): the gemms pack panels on the stack
#define WAIT_SLICE_NS 100000000LL  // the owner looks for a failed Worker every 100 ms while it waits

extern void __wasm_init_tls(void *block);  // made by wasm-ld: points this instance's __tls_base at block

static struct {
    _Atomic uint32_t generation;  // bumped by every run and by stop; the Workers wait on it
    _Atomic uint64_t ticket;      // generation | tasks | next task, as above
    _Atomic uint32_t done;        // tasks of this run finished; the owner waits on it
    _Atomic uint32_t failed;      // k of a Worker whose JavaScript saw it fail, else 0
    _Atomic uint32_t quit;
    _Atomic int32_t running;      // Workers inside rnlw_thread_main
    rnl_pool_fn fn;               // the run's, written before its ticket
    void *ctx;
    _Atomic int threads;          // the run's pool size: Workers 1..threads-1 take part
    void *stack[RNL_MAX_THREADS]; // (WORKER_STACK) Worker k's, from the owner's heap
    void *tls[RNL_MAX_THREADS];   // its thread-local block (rnl_last_error's message)
    char message[256];            // what a failed Worker's JavaScript wrote
} host;

static int wait32(_Atomic uint32_t *at, uint32_t expected, long long timeout_ns) {
    return __builtin_wasm_memory_atomic_wait32((int *)at, (int)expected, timeout_ns);
}

static void notify_all(_Atomic uint32_t *at) { __builtin_wasm_memory_atomic_notify((int *)at, UINT32_MAX); }

struct rnl_pool {
    int threads;
};

rnl_status rnl_pool_create(rnl_pool **out, int threads) {
    *out = calloc(1, sizeof **out);
    if (!*out) return rnl_fail(RNL_ERR_NOMEM, "threads: out of memory");
    (*out)->threads = threads < 1 ? 1 : threads;
    return RNL_OK;
}

void rnl_pool_destroy(rnl_pool *p) { free(p); }

static void take_tasks(uint32_t gen, int thread) {
    for (;;) {
        uint64_t v = atomic_load(&host.ticket);
        uint32_t n = (uint32_t)(v >> TICKET_BITS) & TICKET_MASK, i = (uint32_t)v & TICKET_MASK;
        if ((uint32_t)(v >> (2 * TICKET_BITS)) != gen || i >= n) return;
        if (!atomic_compare_exchange_weak(&host.ticket, &v, v + 1)) continue;
        host.fn(host.ctx, (int)i, thread);
        if (atomic_fetch_add(&host.done, 1) + 1 == n) notify_all(&host.done);
    }
}

void rnl_pool_run(rnl_pool *p, int n_tasks, rnl_pool_fn fn, void *ctx) {
    if (p->threads <= 1 || n_tasks <= 1 || (uint32_t)n_tasks > TICKET_MASK || atomic_load(&host.running) == 0) {
        for (int i = 0; i < n_tasks; i++) fn(ctx, i, 0);  // nobody to share with
        return;
    }
    host.fn = fn;
    host.ctx = ctx;
    atomic_store(&host.threads, p->threads);
    atomic_store(&host.done, 0);
    uint32_t gen = atomic_load(&host.generation) + 1;  // only the owner writes it
    atomic_store(&host.ticket, (uint64_t)(gen & GEN_MASK) << (2 * TICKET_BITS) | (uint64_t)n_tasks << TICKET_BITS);
    atomic_store(&host.generation, gen);
    notify_all(&host.generation);
    take_tasks(gen & GEN_MASK, 0);
    for (uint32_t d; (d = atomic_load(&host.done)) < (uint32_t)n_tasks;) {
        if (atomic_load(&host.failed)) __builtin_trap();  // a task's memory is in an unknown state
        wait32(&host.done, d, WAIT_SLICE_NS);
    }
}

uintptr_t rnlw_thread_prepare(int k) {
    if (k < 1 || k >= RNL_MAX_THREADS) return rnl_fail(RNL_ERR_ARG, "threads: Worker %d, must be in 1..%d", k, RNL_MAX_THREADS - 1), 0;
    size_t align = __builtin_wasm_tls_align(), tls = (__builtin_wasm_tls_size() + align - 1) / align * align;
    if (!host.stack[k]) host.stack[k] = aligned_alloc(16, WORKER_STACK);
    if (!host.tls[k]) host.tls[k] = aligned_alloc(align < 16 ? 16 : align, tls ? tls : align);
    if (!host.stack[k] || !host.tls[k]) return rnl_fail(RNL_ERR_NOMEM, "threads: out of memory for the stack of Worker %d", k), 0;
    return (uintptr_t)host.stack[k] + WORKER_STACK;
}

int rnlw_thread_main(int k) {
    if (k < 1 || k >= RNL_MAX_THREADS || !host.tls[k] || atomic_load(&host.quit)) return -1;
    __wasm_init_tls(host.tls[k]);
    atomic_fetch_add(&host.running, 1);
    uint32_t seen = atomic_load(&host.generation) - 1;  // joins a run under way, if any
    for (;;) {
        uint32_t gen;
        while ((gen = atomic_load(&host.generation)) == seen && !atomic_load(&host.quit)) wait32(&host.generation, seen, -1);
        if (atomic_load(&host.quit)) break;
        seen = gen;
        if (k < atomic_load(&host.threads)) take_tasks(gen & GEN_MASK, k);
    }
    atomic_fetch_sub(&host.running, 1);
    return 0;
}

int rnlw_threads_running(void) { return atomic_load(&host.running); }

void rnlw_threads_stop(void) {
    atomic_store(&host.quit, 1);
    atomic_fetch_add(&host.generation, 1);
    notify_all(&host.generation);
}

int rnlw_threads_release(void) {
    if (atomic_load(&host.running) > 0) return -1;
    for (int k = 0; k < RNL_MAX_THREADS; k++) {
        free(host.stack[k]);
        free(host.tls[k]);
        host.stack[k] = host.tls[k] = NULL;
    }
    atomic_store(&host.quit, 0);
    return 0;
}

char *rnlw_thread_message(void) { return host.message; }

void rnlw_thread_failed(int k) {
    atomic_store(&host.failed, k < 1 ? 1u : (uint32_t)k);
    notify_all(&host.done);
}

// The owner's thread-local block (_initialize runs the constructors on the owner only; the linker leaves
// __tls_base at 0 for every instance until __wasm_init_tls sets it).
__attribute__((constructor(101))) static void owner_tls(void) {  // first: malloc's depth counter is thread-local too
    size_t align = __builtin_wasm_tls_align(), size = __builtin_wasm_tls_size();
    static _Alignas(16) char block[1024];
    void *p = size <= sizeof block && align <= 16 ? block : aligned_alloc(align, (size + align - 1) / align * align);
    if (p) __wasm_init_tls(p);
}

// --- One allocator for every thread -----------------------------------------------------------------------
//
// The libc of this build (emmalloc, compiled without threads) takes no lock, so this module's malloc
// family is emmalloc's behind one spin lock (emmalloc's are weak symbols: these take their place). The
// training steps' shard tasks allocate nothing (their work memory and token-id slots are sized before the
// run); evaluation tasks may grow a Worker's work memory or batch buffers once, the first time, and that
// is the only contention. Growing memory from a Worker is fine: the memory is shared, and the owner's
// JavaScript re-makes its views when memory.buffer changes (web/lib/heap.js).
void *emmalloc_memalign(size_t alignment, size_t size);
void *emmalloc_malloc(size_t size);
void emmalloc_free(void *ptr);
void *emmalloc_realloc(void *ptr, size_t size);
void *emmalloc_calloc(size_t num, size_t size);

// Re-entrant per thread: emmalloc's realloc calls the public free.
static atomic_flag heap_lock = ATOMIC_FLAG_INIT;
static _Thread_local int heap_depth;
static void heap_acquire(void) {
    if (heap_depth++ > 0) return;
    while (atomic_flag_test_and_set(&heap_lock)) {
    }
}
static void heap_release(void) {
    if (--heap_depth == 0) atomic_flag_clear(&heap_lock);
}

void *malloc(size_t n) {
    heap_acquire();
    void *p = emmalloc_malloc(n);
    heap_release();
    return p;
}

void free(void *ptr) {
    if (!ptr) return;
    heap_acquire();
    emmalloc_free(ptr);
    heap_release();
}

void *realloc(void *ptr, size_t n) {
    heap_acquire();
    void *p = emmalloc_realloc(ptr, n);
    heap_release();
    return p;
}

void *calloc(size_t num, size_t size) {
    heap_acquire();
    void *p = emmalloc_calloc(num, size);
    heap_release();
    return p;
}

void *aligned_alloc(size_t alignment, size_t n) {
    heap_acquire();
    void *p = emmalloc_memalign(alignment, n);
    heap_release();
    return p;
}

void *memalign(size_t alignment, size_t n) { return aligned_alloc(alignment, n); }

int posix_memalign(void **out, size_t alignment, size_t n) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return 22;  // EINVAL
    return (*out = aligned_alloc(alignment, n)) ? 0 : 12;  // ENOMEM
}

#else

#include <pthread.h>
#include <stdatomic.h>

struct rnl_pool {
    int threads;
    pthread_t *ids;         // (threads - 1) the started threads: pool thread k is thread k + 1
    int started;            // how many of them run
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    // One run: the work, a generation number the threads wait to change, and the counters.
    rnl_pool_fn fn;
    void *ctx;
    int n_tasks;
    unsigned long generation;
    int busy;               // started threads still inside the current run
    int quit;
    atomic_int next;        // the next task to take
};

typedef struct {
    rnl_pool *p;
    int thread;
} pool_arg;

static void take_tasks(rnl_pool *p, int thread) {
    for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->n_tasks;) p->fn(p->ctx, i, thread);
}

static void *pool_main(void *arg) {
    pool_arg a = *(pool_arg *)arg;
    free(arg);
    rnl_pool *p = a.p;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->generation == seen && !p->quit) pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        take_tasks(p, a.thread);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

rnl_status rnl_pool_create(rnl_pool **out, int threads) {
    *out = NULL;
    if (threads < 1) threads = 1;
    rnl_pool *p = calloc(1, sizeof *p);
    if (!p) return rnl_fail(RNL_ERR_NOMEM, "threads: out of memory");
    p->threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    if (threads > 1 && !(p->ids = calloc((size_t)threads - 1, sizeof *p->ids))) {
        rnl_pool_destroy(p);
        return rnl_fail(RNL_ERR_NOMEM, "threads: out of memory");
    }
    for (int k = 0; k < threads - 1; k++) {
        pool_arg *a = malloc(sizeof *a);
        if (a) *a = (pool_arg){p, k + 1};
        if (!a || pthread_create(&p->ids[k], NULL, pool_main, a) != 0) {
            free(a);
            rnl_pool_destroy(p);
            return rnl_fail(RNL_ERR_NOMEM, "threads: could not start thread %d of %d", k + 2, threads);
        }
        p->started++;
    }
    *out = p;
    return RNL_OK;
}

void rnl_pool_run(rnl_pool *p, int n_tasks, rnl_pool_fn fn, void *ctx) {
    if (p->started == 0 || n_tasks <= 1) {  // nothing to share: no wake-up at all
        for (int i = 0; i < n_tasks; i++) fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next, 0);
    p->busy = p->started;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    take_tasks(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void rnl_pool_destroy(rnl_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int k = 0; k < p->started; k++) pthread_join(p->ids[k], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->ids);
    free(p);
}

#endif

int rnl_pool_threads(const rnl_pool *p) { return p ? p->threads : 1; }

#if !defined(RNL_NO_THREADS) && !defined(RNL_WASM_THREADS)
#include <unistd.h>
#endif

int rnl_cpu_count(void) {
#if defined(RNL_NO_THREADS) || defined(RNL_WASM_THREADS)
    return 1;  // in WebAssembly the page or Node knows (navigator.hardwareConcurrency, os.availableParallelism)
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > RNL_MAX_THREADS ? RNL_MAX_THREADS : (int)n;
#endif
}

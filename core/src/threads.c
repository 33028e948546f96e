// threads.c: the thread pool of threads.h (pthreads). The threads sleep on a condition variable between
// runs (a training step is milliseconds long, so waking them costs nothing measurable) and take tasks from
// an atomic counter, which balances shards of unequal length without changing any result.
#include <stdlib.h>

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

#if !defined(RNL_NO_THREADS)
#include <unistd.h>
#endif

int rnl_cpu_count(void) {
#if defined(RNL_NO_THREADS)
    return 1;
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > RNL_MAX_THREADS ? RNL_MAX_THREADS : (int)n;
#endif
}

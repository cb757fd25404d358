/* A small pool of worker threads for the split matrix products (kernels/gemm.pyx).
 *
 * Why not an OpenMP parallel region: the products of a small MLP step are ~0.3 ms
 * apart, and an OpenMP worker either sleeps between them (OMP_WAIT_POLICY=PASSIVE,
 * which autograd._C sets because spinning workers steal the cores from OpenBLAS's
 * threads in large models) and takes longer to wake than the split saves, or spins
 * after every region of every kernel.  These workers spin only after a split product,
 * for up to AG_POOL_SPIN_NS, so the next product of the same step finds them awake,
 * and then sleep on a condition variable; a model whose products never split never
 * wakes them.
 *
 * ag_pool_run(fn, ctx, chunks) runs fn(ctx, 0) on the caller and fn(ctx, i) for
 * i = 1 .. chunks-1 on the workers, and returns when all are done.  One run at a
 * time: a caller that finds the pool busy (another thread's product) gets 0 back
 * and must do the work itself.  Needs POSIX threads; elsewhere AG_HAVE_POOL is 0
 * and ag_pool_run always returns 0.
 */
#ifndef AG_POOL_H
#define AG_POOL_H

#if defined(__unix__) || defined(__APPLE__)
#define AG_HAVE_POOL 1
#include <pthread.h>
#include <time.h>

#define AG_POOL_MAX_WORKERS 63
#define AG_POOL_SPIN_NS 2000000LL   /* 2 ms: longer than the gaps within a step */

typedef void (*ag_pool_fn)(void *ctx, int chunk);

static pthread_mutex_t ag_pool_run_lock = PTHREAD_MUTEX_INITIALIZER;   /* one run at a time */
static pthread_mutex_t ag_pool_mutex = PTHREAD_MUTEX_INITIALIZER;      /* guards the sleep */
static pthread_cond_t ag_pool_wake = PTHREAD_COND_INITIALIZER;
static int ag_pool_workers = 0;               /* started so far (under ag_pool_run_lock) */
static unsigned long ag_pool_generation = 0;  /* bumped by each run; workers wait for a change */
static int ag_pool_pending = 0;               /* workers still busy with this run */
static int ag_pool_chunks = 0;
static ag_pool_fn ag_pool_task = 0;
static void *ag_pool_ctx = 0;
static int ag_pool_atfork_done = 0;
static long long ag_pool_last_end_ns = 0;     /* when the last run finished */
/* the generation each worker was started at (it runs the runs after it) */
static unsigned long ag_pool_start_generation[AG_POOL_MAX_WORKERS + 1];

static inline long long ag_pool_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void ag_pool_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *ag_pool_worker(void *arg) {
    int index = (int)(long)arg;    /* this worker runs chunk `index` (1-based) */
    /* not the current generation: the run that started this worker may have begun
     * before the thread got here, and it must still take part in it */
    unsigned long seen = ag_pool_start_generation[index];
    for (;;) {
        unsigned long now_gen;
        long long start = ag_pool_now_ns();
        int spins = 0;
        /* spin for a while after the last run, then sleep until the next */
        while ((now_gen = __atomic_load_n(&ag_pool_generation, __ATOMIC_ACQUIRE)) == seen) {
            ag_pool_relax();
            if (++spins == 256) {
                spins = 0;
                if (ag_pool_now_ns() - start > AG_POOL_SPIN_NS) {
                    pthread_mutex_lock(&ag_pool_mutex);
                    while (__atomic_load_n(&ag_pool_generation, __ATOMIC_ACQUIRE) == seen)
                        pthread_cond_wait(&ag_pool_wake, &ag_pool_mutex);
                    pthread_mutex_unlock(&ag_pool_mutex);
                }
            }
        }
        seen = now_gen;
        if (index < ag_pool_chunks)
            ag_pool_task(ag_pool_ctx, index);
        __atomic_fetch_sub(&ag_pool_pending, 1, __ATOMIC_ACQ_REL);
    }
    return 0;
}

/* In a child made by fork() only the forking thread exists: forget the workers (the
 * child starts its own at its first split product). */
static void ag_pool_after_fork_child(void) {
    pthread_mutex_t fresh_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t fresh_mutex = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    ag_pool_run_lock = fresh_lock;
    ag_pool_mutex = fresh_mutex;
    ag_pool_wake = fresh_cond;
    ag_pool_workers = 0;
    ag_pool_pending = 0;
}

/* Start workers up to `count`; returns how many there are (fewer if a thread could
 * not be created).  Under ag_pool_run_lock. */
static int ag_pool_grow(int count) {
    if (!ag_pool_atfork_done) {
        pthread_atfork(0, 0, ag_pool_after_fork_child);
        ag_pool_atfork_done = 1;
    }
    if (count > AG_POOL_MAX_WORKERS) count = AG_POOL_MAX_WORKERS;
    while (ag_pool_workers < count) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed;
        ag_pool_start_generation[ag_pool_workers + 1] =
            __atomic_load_n(&ag_pool_generation, __ATOMIC_ACQUIRE);
        failed = pthread_create(&thread, &attr, ag_pool_worker,
                                    (void *)(long)(ag_pool_workers + 1));
        pthread_attr_destroy(&attr);
        if (failed) break;
        ag_pool_workers++;
    }
    return ag_pool_workers;
}

/* Run fn(ctx, i) for i in [0, chunks): chunk 0 here, the others on the workers.
 * Returns 1 when done, 0 (nothing run) when the pool is busy or has too few workers. */
static int ag_pool_run(ag_pool_fn fn, void *ctx, int chunks) {
    int workers;
    if (chunks < 2) return 0;
    if (pthread_mutex_trylock(&ag_pool_run_lock) != 0) return 0;
    workers = ag_pool_grow(chunks - 1);
    if (workers < chunks - 1) {
        pthread_mutex_unlock(&ag_pool_run_lock);
        return 0;
    }
    ag_pool_task = fn;
    ag_pool_ctx = ctx;
    ag_pool_chunks = chunks;
    __atomic_store_n(&ag_pool_pending, workers, __ATOMIC_RELEASE);
    pthread_mutex_lock(&ag_pool_mutex);
    __atomic_fetch_add(&ag_pool_generation, 1, __ATOMIC_ACQ_REL);
    pthread_cond_broadcast(&ag_pool_wake);
    pthread_mutex_unlock(&ag_pool_mutex);
    fn(ctx, 0);
    while (__atomic_load_n(&ag_pool_pending, __ATOMIC_ACQUIRE) > 0)
        ag_pool_relax();
    __atomic_store_n(&ag_pool_last_end_ns, ag_pool_now_ns(), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&ag_pool_run_lock);
    return 1;
}

static void ag_pool_nothing(void *ctx, int chunk) { (void)ctx; (void)chunk; }

/* Make sure `chunks - 1` workers exist and are awake (spinning), so that the next run
 * is timed without the cost of waking them: the thread choice's occasional timing of a
 * split product would otherwise always see sleeping workers, while a step that splits
 * its products keeps them awake.  Does nothing when they ran recently. */
static void ag_pool_warm(int chunks) {
    long long since = ag_pool_now_ns() - __atomic_load_n(&ag_pool_last_end_ns, __ATOMIC_RELAXED);
    if (since > AG_POOL_SPIN_NS / 2 || ag_pool_workers < chunks - 1)
        ag_pool_run(ag_pool_nothing, 0, chunks);
}

#else
#define AG_HAVE_POOL 0
typedef void (*ag_pool_fn)(void *ctx, int chunk);
static int ag_pool_run(ag_pool_fn fn, void *ctx, int chunks) {
    (void)fn; (void)ctx; (void)chunks;
    return 0;
}
static void ag_pool_warm(int chunks) { (void)chunks; }
#endif

#endif /* AG_POOL_H */

/* pool.c - the fork-join pool: workers wait for the generation counter to move, run their part,
 * and the last one to finish tells the caller.
 *
 * Waiting spins for a while before it sleeps on a condition variable: a training step hands
 * out work every few microseconds (each large product, the optimizer step, the next batch's
 * copy), and waking a sleeping thread costs tens of microseconds on a virtual machine (the
 * idle virtual CPU must be woken by the host), as much as a small product. After SPIN_ROUNDS
 * checks the waiter sleeps, so an idle pool costs nothing. The lock is still taken to publish
 * a run and to sleep, so no wake-up is lost. */
#include "tensor/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* Checks before sleeping, each after a pause instruction (~20-70 cycles on x86): some tens of
 * microseconds, longer than the gaps between a step's products, shorter than a scheduler tick. */
#define SPIN_ROUNDS 2000
#define SPIN_PAUSES 200

struct worker {
    mlp_pool *pool;
    int part;
    pthread_t thread;
};

struct mlp_pool {
    int parts;
    struct worker *workers; /* parts - 1 of them: part 0 is the caller */
    int started;            /* workers whose thread exists */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_ulong generation; /* bumped (under mu) for every run */
    atomic_int pending;      /* workers still running the current generation */
    atomic_bool quit;
    mlp_pool_fn fn; /* written before generation is bumped, read after it moved */
    void *arg;
};

/* One round of waiting: a pause at first, then a yield of the CPU, so that where other
 * processes want the core (a loaded machine) the waiter lets them run rather than burn the
 * time its partner thread needs. */
static void relax(int round)
{
    if (round >= SPIN_PAUSES) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wait until the generation differs from `seen` (or the pool quits); returns it. */
static unsigned long wait_generation(mlp_pool *pool, unsigned long seen)
{
    unsigned long g = seen;
    for (int i = 0; i < SPIN_ROUNDS && g == seen && !atomic_load(&pool->quit); i++) {
        relax(i);
        g = atomic_load_explicit(&pool->generation, memory_order_acquire);
    }
    if (g != seen)
        return g;
    pthread_mutex_lock(&pool->mu);
    while ((g = atomic_load(&pool->generation)) == seen && !atomic_load(&pool->quit))
        pthread_cond_wait(&pool->wake, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
    return g;
}

static void *worker_main(void *p)
{
    struct worker *w = p;
    mlp_pool *pool = w->pool;
    unsigned long seen = 0;
    for (;;) {
        seen = wait_generation(pool, seen);
        if (atomic_load(&pool->quit))
            break;
        pool->fn(pool->arg, w->part, pool->parts);
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool->mu);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mu);
        }
    }
    return NULL;
}

mlp_pool *mlp_pool_new(int parts)
{
    mlp_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->parts = parts < 1 ? 1 : parts;
    pool->workers = calloc((size_t)pool->parts, sizeof *pool->workers);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->quit, false);
    if (!pool->workers) {
        mlp_pool_free(pool);
        return NULL;
    }
    for (int i = 0; i < pool->parts - 1; i++) {
        struct worker *w = &pool->workers[i];
        w->pool = pool;
        w->part = i + 1;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            mlp_pool_free(pool);
            return NULL;
        }
        pool->started++;
    }
    return pool;
}

void mlp_pool_free(mlp_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    atomic_store(&pool->quit, true);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; i < pool->started; i++)
        pthread_join(pool->workers[i].thread, NULL);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    free(pool->workers);
    free(pool);
}

void mlp_pool_run(mlp_pool *pool, mlp_pool_fn fn, void *arg)
{
    if (!pool || pool->parts == 1) {
        fn(arg, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    atomic_store_explicit(&pool->pending, pool->parts - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mu);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    fn(arg, 0, pool->parts);
    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&pool->pending,
                                                            memory_order_acquire) > 0; i++)
        relax(i);
    if (atomic_load_explicit(&pool->pending, memory_order_acquire) > 0) {
        pthread_mutex_lock(&pool->mu);
        while (atomic_load(&pool->pending) > 0)
            pthread_cond_wait(&pool->done, &pool->mu);
        pthread_mutex_unlock(&pool->mu);
    }
}

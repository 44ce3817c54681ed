/* pool.c - the fork-join pool: workers sleep on a condition variable until the generation
 * counter moves, run their part, and the last one to finish wakes the caller. */
#include "tensor/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

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
    unsigned long generation; /* bumped for every run */
    int pending;              /* workers still running the current generation */
    bool quit;
    mlp_pool_fn fn;
    void *arg;
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    mlp_pool *pool = w->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (pool->generation == seen && !pool->quit)
            pthread_cond_wait(&pool->wake, &pool->mu);
        if (pool->quit)
            break;
        seen = pool->generation;
        mlp_pool_fn fn = pool->fn;
        void *arg = pool->arg;
        pthread_mutex_unlock(&pool->mu);
        fn(arg, w->part, pool->parts);
        pthread_mutex_lock(&pool->mu);
        if (--pool->pending == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mu);
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
    pool->quit = true;
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
    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->arg = arg;
    pool->pending = pool->parts - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    fn(arg, 0, pool->parts);
    pthread_mutex_lock(&pool->mu);
    while (pool->pending > 0)
        pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}

/* pool.h - a small fork-join pool of threads, owned by whoever creates it (a GEMM context).
 *
 * mlp_pool_run(pool, fn, arg) calls fn(arg, part, parts) once for every part in 0..parts-1 -
 * part 0 on the calling thread, the others on the pool's threads - and returns when all have
 * finished. Work is divided by part number only, so what each part computes does not depend on
 * scheduling. */
#ifndef MLP_TENSOR_POOL_H
#define MLP_TENSOR_POOL_H

typedef struct mlp_pool mlp_pool;
typedef void (*mlp_pool_fn)(void *arg, int part, int parts);

/* A pool running `parts` parts at once (parts - 1 threads); NULL if threads cannot be made. */
mlp_pool *mlp_pool_new(int parts);
/* Stop and join the threads (NULL is fine). */
void mlp_pool_free(mlp_pool *pool);
/* Run fn on every part; not to be called by two threads at once. */
void mlp_pool_run(mlp_pool *pool, mlp_pool_fn fn, void *arg);

#endif

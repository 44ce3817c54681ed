/* gemm.c - the GEMM entry points: argument edge cases, the small-product path, the choice of
 * kernel set by CPU detection, splitting large products over the context's threads, and the
 * packed kernels for the baseline instruction set. */
#include "tensor/gemm.h"
#include "tensor/gemm_kernels.h"
#include "tensor/pool.h"

#include <stdbool.h>
#include <stdlib.h>

struct mlp_gemm_ctx {
    mlp_gemm_isa isa; /* resolved: GENERIC or AVX2 */
    mlp_pool *pool;   /* threads - 1 workers, or NULL for one thread */
    int threads;
    void **ws; /* per thread: MLP_GEMM_WS_BYTES of packing space */
};

/* The best kernel set this CPU runs (the OS must also save the wide registers, which
 * __builtin_cpu_supports checks). */
static mlp_gemm_isa best_isa(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
        return MLP_GEMM_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return MLP_GEMM_AVX2;
#endif
    return MLP_GEMM_GENERIC;
}

mlp_gemm_ctx *mlp_gemm_ctx_new(mlp_gemm_isa isa, int threads)
{
    mlp_gemm_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    mlp_gemm_isa best = best_isa();
    /* The sets are ordered: a CPU with one runs every earlier one. */
    ctx->isa = isa == MLP_GEMM_AUTO || isa > best ? best : isa;
    ctx->threads = threads < 1 ? 1 : threads > MLP_GEMM_MAX_THREADS ? MLP_GEMM_MAX_THREADS : threads;
    ctx->ws = calloc((size_t)ctx->threads, sizeof *ctx->ws);
    bool ok = ctx->ws != NULL;
    for (int i = 0; ok && i < ctx->threads; i++)
        ok = (ctx->ws[i] = aligned_alloc(MLP_GEMM_WS_ALIGN, MLP_GEMM_WS_BYTES)) != NULL;
    if (ok && ctx->threads > 1)
        ok = (ctx->pool = mlp_pool_new(ctx->threads)) != NULL;
    if (!ok) {
        mlp_gemm_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void mlp_gemm_ctx_free(mlp_gemm_ctx *ctx)
{
    if (!ctx)
        return;
    mlp_pool_free(ctx->pool);
    for (int i = 0; ctx->ws && i < ctx->threads; i++)
        free(ctx->ws[i]);
    free(ctx->ws);
    free(ctx);
}

mlp_gemm_isa mlp_gemm_ctx_isa(const mlp_gemm_ctx *ctx) { return ctx ? ctx->isa : best_isa(); }
int mlp_gemm_ctx_threads(const mlp_gemm_ctx *ctx) { return ctx ? ctx->threads : 1; }

void mlp_gemm_ctx_run(mlp_gemm_ctx *ctx, void (*fn)(void *arg, int part, int parts), void *arg)
{
    if (ctx && ctx->pool)
        mlp_pool_run(ctx->pool, fn, arg);
    else
        fn(arg, 0, 1);
}

const char *mlp_gemm_isa_name(mlp_gemm_isa isa)
{
    return isa == MLP_GEMM_AVX512 ? "avx512" : isa == MLP_GEMM_AVX2 ? "avx2"
           : isa == MLP_GEMM_GENERIC ? "generic" : "auto";
}

/* The plain-loop rule (gemm.h): packing costs O(MK + KN) and pads to whole micro-tiles; for
 * small products or a single row or column, plain loops are faster. */
static bool small_product(int M, int N, int K) { return mlp_gemm_is_small(M, N, K); }

/* Widest register in bytes (AVX-512): column parts are multiples of its micro-tile width (NR),
 * the largest of the kernel sets', so no part boundary cuts through a micro-tile. */
#define VEC_WIDTH_MAX 64

/* How many threads to split a product over, and *cols, the columns each takes (a multiple of
 * nr). Handing work to a thread costs microseconds, so small products run on one. */
static int split_columns(const mlp_gemm_ctx *ctx, int M, int N, int K, int nr, int *cols)
{
    int parts = ctx->threads;
    if (parts > 1 && (double)M * N * K < 64.0 * 64 * 64)
        parts = 1;
    if (parts > (N + nr - 1) / nr)
        parts = (N + nr - 1) / nr;
    int per = (N + parts - 1) / parts;
    *cols = (per + nr - 1) / nr * nr;
    return parts;
}

#define VEC_BYTES 16

#define REAL double
#define SUFFIX f64_generic
#include "tensor/gemm_impl.h"
#undef SUFFIX
#define TYPE f64
#include "tensor/gemm_driver.h"
#undef TYPE
#undef REAL

#define REAL float
#define SUFFIX f32_generic
#include "tensor/gemm_impl.h"
#undef SUFFIX
#define TYPE f32
#include "tensor/gemm_driver.h"
#undef TYPE
#undef REAL

/* gemm.c - the GEMM entry points: argument edge cases, the small-product path, the choice of
 * kernel set by CPU detection, and the packed kernels for the baseline instruction set. */
#include "tensor/gemm.h"
#include "tensor/gemm_kernels.h"

#include <stdlib.h>

struct mlp_gemm_ctx {
    mlp_gemm_isa isa; /* resolved: GENERIC or AVX2 */
    void *ws;         /* MLP_GEMM_WS_BYTES of packing space */
};

/* The best kernel set this CPU runs (the OS must also save the wide registers, which
 * __builtin_cpu_supports checks). */
static mlp_gemm_isa best_isa(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return MLP_GEMM_AVX2;
#endif
    return MLP_GEMM_GENERIC;
}

static void *workspace_new(void) { return aligned_alloc(MLP_GEMM_WS_ALIGN, MLP_GEMM_WS_BYTES); }

mlp_gemm_ctx *mlp_gemm_ctx_new(mlp_gemm_isa isa)
{
    mlp_gemm_ctx *ctx = malloc(sizeof *ctx);
    if (!ctx)
        return NULL;
    mlp_gemm_isa best = best_isa();
    ctx->isa = isa == MLP_GEMM_AUTO || (isa == MLP_GEMM_AVX2 && best != MLP_GEMM_AVX2)
                   ? best : isa;
    ctx->ws = workspace_new();
    if (!ctx->ws) {
        free(ctx);
        return NULL;
    }
    return ctx;
}

void mlp_gemm_ctx_free(mlp_gemm_ctx *ctx)
{
    if (!ctx)
        return;
    free(ctx->ws);
    free(ctx);
}

mlp_gemm_isa mlp_gemm_ctx_isa(const mlp_gemm_ctx *ctx) { return ctx ? ctx->isa : best_isa(); }

const char *mlp_gemm_isa_name(mlp_gemm_isa isa)
{
    return isa == MLP_GEMM_AVX2 ? "avx2" : isa == MLP_GEMM_GENERIC ? "generic" : "auto";
}

/* Packing costs O(MK + KN) and pads to whole micro-tiles; below this volume, or for a single
 * row or column, plain loops are faster. */
static int small_product(int M, int N, int K)
{
    return M < 4 || N < 4 || (double)M * N * K < 16.0 * 16 * 16;
}

#define VEC_BYTES 16

#define REAL double
#define SUFFIX f64_generic
#include "tensor/gemm_impl.h"
#define GEMM_NAME mlp_gemm_f64
#define SMALL_NAME gemm_small_f64
#define PACKED_GENERIC mlp_gemm_packed_f64_generic
#define PACKED_AVX2 mlp_gemm_packed_f64_avx2
#include "tensor/gemm_driver.h"
#undef REAL
#undef SUFFIX
#undef GEMM_NAME
#undef SMALL_NAME
#undef PACKED_GENERIC
#undef PACKED_AVX2

#define REAL float
#define SUFFIX f32_generic
#include "tensor/gemm_impl.h"
#define GEMM_NAME mlp_gemm_f32
#define SMALL_NAME gemm_small_f32
#define PACKED_GENERIC mlp_gemm_packed_f32_generic
#define PACKED_AVX2 mlp_gemm_packed_f32_avx2
#include "tensor/gemm_driver.h"
#undef REAL
#undef SUFFIX
#undef GEMM_NAME
#undef SMALL_NAME
#undef PACKED_GENERIC
#undef PACKED_AVX2

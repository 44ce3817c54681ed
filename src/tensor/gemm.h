/* gemm.h - general matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C.
 *
 * op(X) is X or its transpose (trans_x nonzero). op(A) is M x K, op(B) is K x N, C is M x N;
 * lda, ldb, ldc are row strides in elements (a stride of 0 repeats one row). beta = 0 overwrites
 * C without reading it, so C may hold garbage (or NaN) on entry.
 *
 * Products are computed by packed panels and a register-blocked micro-kernel (gemm_impl.h), in
 * a build for the baseline instruction set and one for AVX2+FMA chosen at run time by CPU
 * detection. A context owns the packing workspace and an optional pool of threads, so callers
 * that keep one (a plan) allocate nothing per product; results depend only on the kernel set,
 * never on the thread count or the context's history.
 */
#ifndef MLP_TENSOR_GEMM_H
#define MLP_TENSOR_GEMM_H

/* Kernel sets. AUTO resolves to the best one the running CPU supports. */
typedef enum mlp_gemm_isa {
    MLP_GEMM_AUTO,
    MLP_GEMM_GENERIC,
    MLP_GEMM_AVX2,
    MLP_GEMM_AVX512
} mlp_gemm_isa;

typedef struct mlp_gemm_ctx mlp_gemm_ctx;

#define MLP_GEMM_MAX_THREADS 64

/* A context using kernel set `isa` (one the CPU lacks falls back to the best it has) and up to
 * `threads` threads (clamped to 1..MLP_GEMM_MAX_THREADS; a large product is split by columns,
 * and its result is bit-identical for any thread count). NULL if out of memory or threads.
 * Not for use by two threads at once. */
mlp_gemm_ctx *mlp_gemm_ctx_new(mlp_gemm_isa isa, int threads);
void mlp_gemm_ctx_free(mlp_gemm_ctx *ctx);
/* The kernel set a context (or NULL: a call without one) runs, and its thread count. */
mlp_gemm_isa mlp_gemm_ctx_isa(const mlp_gemm_ctx *ctx);
int mlp_gemm_ctx_threads(const mlp_gemm_ctx *ctx);
/* Call fn(arg, part, parts) for every part in 0..parts-1 on the context's threads (part 0 on the
 * caller; parts = the thread count, 1 for NULL) and return when all are done: for the work
 * beside the products (an optimizer step, copying a batch), divided by part number so that
 * what each element gets does not depend on the count. */
void mlp_gemm_ctx_run(mlp_gemm_ctx *ctx, void (*fn)(void *arg, int part, int parts), void *arg);
/* "generic", "avx2" or "avx512". */
const char *mlp_gemm_isa_name(mlp_gemm_isa isa);

/* Whether a product of these sizes (all >= 1) takes the plain-loop path: each element of C is
 * then, for beta = 0 and alpha = 1, the sum over p = 0..K-1 in order, starting from 0, of
 * op(A)[i][p] op(B)[p][j], with no other rounding (fused kernels that compute such a product
 * inline rely on this to give the same bits). */
#include <stdbool.h>
static inline bool mlp_gemm_is_small(int M, int N, int K)
{
    /* Packing costs O(MK + KN) and pads to whole micro-tiles; below this volume, or for a
     * single row or column, plain loops are faster. */
    return M < 4 || N < 4 || (double)M * N * K < 16.0 * 16 * 16;
}

/* An elementwise pass over finished columns of C (a bias and an activation, say), run as part
 * of the product: fn(arg, j0, n) is called once the columns [j0, j0 + n) of C hold their
 * result, on the thread that computed them, before the product returns; the calls cover
 * 0..N-1 once each. A split product so splits its pass too (no extra hand-out of work, and the
 * columns are still in that core's cache); the pass must treat every column alike, so that
 * its result does not depend on where the split falls. */
typedef struct mlp_gemm_then {
    void (*fn)(void *arg, int j0, int n);
    void *arg;
} mlp_gemm_then;

/* ctx may be NULL: the call then uses the best kernels and a temporary workspace. */
void mlp_gemm_f64(mlp_gemm_ctx *ctx, int trans_a, int trans_b, int M, int N, int K, double alpha,
                  const double *A, int lda, const double *B, int ldb, double beta, double *C,
                  int ldc);
void mlp_gemm_f32(mlp_gemm_ctx *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* The same followed by then's pass (NULL: none). */
void mlp_gemm_then_f64(mlp_gemm_ctx *ctx, int trans_a, int trans_b, int M, int N, int K,
                       double alpha, const double *A, int lda, const double *B, int ldb,
                       double beta, double *C, int ldc, const mlp_gemm_then *then);
void mlp_gemm_then_f32(mlp_gemm_ctx *ctx, int trans_a, int trans_b, int M, int N, int K,
                       float alpha, const float *A, int lda, const float *B, int ldb, float beta,
                       float *C, int ldc, const mlp_gemm_then *then);

#endif

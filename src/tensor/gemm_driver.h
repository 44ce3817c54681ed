/* gemm_driver.h - the public GEMM entry for one element type, instantiated by gemm.c.
 * Expects REAL and TYPE (f64 or f32): defines mlp_gemm_<TYPE> over the packed kernels
 * mlp_gemm_packed_<TYPE>_generic and _avx2. */

#define D_CAT2(a, b) a##_##b
#define D_CAT(a, b) D_CAT2(a, b)
#define D(name) D_CAT(name, TYPE)

/* op(X)[r][c] for a row-major X with row stride ld. */
#define OP(X, t, ld, r, c) ((t) ? X[(size_t)(c) * (ld) + (r)] : X[(size_t)(r) * (ld) + (c)])

/* Products too small to repay packing, one output row at a time: with op(B) stored by rows the
 * row is built by axpy steps over contiguous rows of B, otherwise each element is a dot product
 * over a contiguous row of B. */
static void D(small)(int ta, int tb, int M, int N, int K, REAL alpha, const REAL *A, int lda,
                     const REAL *B, int ldb, REAL beta, REAL *C, int ldc)
{
    for (int i = 0; i < M; i++) {
        REAL *restrict c = C + (size_t)i * ldc;
        if (tb) {
            for (int j = 0; j < N; j++) {
                const REAL *b = B + (size_t)j * ldb;
                REAL s = 0;
                for (int p = 0; p < K; p++)
                    s += OP(A, ta, lda, i, p) * b[p];
                c[j] = alpha * s + (beta != 0 ? beta * c[j] : 0);
            }
            continue;
        }
        /* The first step starts from beta C (or 0): the same sums as clearing C first, without
         * a separate pass (a memset call per row, for tiny products). */
        REAL a0 = alpha * OP(A, ta, lda, i, 0);
        for (int j = 0; j < N; j++)
            c[j] = (beta != 0 ? beta * c[j] : 0) + a0 * B[j];
        for (int p = 1; p < K; p++) {
            REAL a = alpha * OP(A, ta, lda, i, p);
            const REAL *restrict b = B + (size_t)p * ldb;
            for (int j = 0; j < N; j++)
                c[j] += a * b[j];
        }
    }
}

/* One packed product, split by columns over the context's threads. */
struct D(job) {
    const mlp_gemm_ctx *ctx;
    int ta, tb, M, N, K, lda, ldb, ldc, cols; /* cols: columns per part, a multiple of NR */
    REAL alpha, beta;
    const REAL *A, *B;
    REAL *C;
    const mlp_gemm_then *then;
};

/* Part `part` computes columns [part * cols, ...) of C with its own workspace. Every element
 * of C goes through the same arithmetic whichever part computes it, so the result does not
 * depend on the number of threads. */
static void D(part)(void *arg, int part, int parts)
{
    const struct D(job) *j = arg;
    int j0 = part * j->cols, n = j->N - j0 < j->cols ? j->N - j0 : j->cols;
    (void)parts;
    if (n <= 0)
        return;
    const REAL *B = j->tb ? j->B + (size_t)j0 * j->ldb : j->B + j0;
    if (j->ctx->isa == MLP_GEMM_AVX512)
        D_CAT(D(mlp_gemm_packed), avx512)(j->ta, j->tb, j->M, n, j->K, j->alpha, j->A, j->lda, B,
                                          j->ldb, j->beta, j->C + j0, j->ldc, j->ctx->ws[part]);
    else if (j->ctx->isa == MLP_GEMM_AVX2)
        D_CAT(D(mlp_gemm_packed), avx2)(j->ta, j->tb, j->M, n, j->K, j->alpha, j->A, j->lda, B,
                                        j->ldb, j->beta, j->C + j0, j->ldc, j->ctx->ws[part]);
    else
        D_CAT(D(mlp_gemm_packed), generic)(j->ta, j->tb, j->M, n, j->K, j->alpha, j->A, j->lda,
                                           B, j->ldb, j->beta, j->C + j0, j->ldc,
                                           j->ctx->ws[part]);
    if (j->then)
        j->then->fn(j->then->arg, j0, n);
}

/* The whole of C on this thread, then its pass. */
static void D(unsplit)(int ta, int tb, int M, int N, int K, REAL alpha, const REAL *A, int lda,
                       const REAL *B, int ldb, REAL beta, REAL *C, int ldc,
                       const mlp_gemm_then *then)
{
    if (K <= 0 || alpha == 0) { /* C = beta C, where beta = 0 clears NaN too */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta != 0 ? beta * C[(size_t)i * ldc + j] : 0;
    } else {
        D(small)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    if (then)
        then->fn(then->arg, 0, N);
}

void D(mlp_gemm_then)(mlp_gemm_ctx *ctx, int ta, int tb, int M, int N, int K, REAL alpha,
                      const REAL *A, int lda, const REAL *B, int ldb, REAL beta, REAL *C,
                      int ldc, const mlp_gemm_then *then)
{
    if (M <= 0 || N <= 0)
        return;
    mlp_gemm_ctx *own = NULL;
    if (K > 0 && alpha != 0 && !small_product(M, N, K) && !ctx)
        ctx = own = mlp_gemm_ctx_new(MLP_GEMM_AUTO, 1);
    if (K <= 0 || alpha == 0 || small_product(M, N, K) || !ctx) {
        D(unsplit)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, then);
        return;
    }
    struct D(job) job = {ctx, ta, tb, M, N, K, lda, ldb, ldc, N, alpha, beta, A, B, C, then};
    int parts = split_columns(ctx, M, N, K, 2 * VEC_WIDTH_MAX / (int)sizeof(REAL), &job.cols);
    if (parts > 1)
        mlp_pool_run(ctx->pool, D(part), &job);
    else
        D(part)(&job, 0, 1);
    mlp_gemm_ctx_free(own);
}

void D(mlp_gemm)(mlp_gemm_ctx *ctx, int ta, int tb, int M, int N, int K, REAL alpha,
                 const REAL *A, int lda, const REAL *B, int ldb, REAL beta, REAL *C, int ldc)
{
    D(mlp_gemm_then)(ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL);
}

#undef OP
#undef D_CAT2
#undef D_CAT
#undef D

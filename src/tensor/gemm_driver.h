/* gemm_driver.h - the public GEMM entry for one element type, instantiated by gemm.c.
 * Expects REAL, GEMM_NAME (public function), SMALL_NAME (its unpacked path) and PACKED_GENERIC,
 * PACKED_AVX2 (the two packed builds). */

/* op(X)[r][c] for a row-major X with row stride ld. */
#define OP(X, t, ld, r, c) ((t) ? X[(size_t)(c) * (ld) + (r)] : X[(size_t)(r) * (ld) + (c)])

/* Products too small to repay packing, one output row at a time: with op(B) stored by rows the
 * row is built by axpy steps over contiguous rows of B, otherwise each element is a dot product
 * over a contiguous row of B. */
static void SMALL_NAME(int ta, int tb, int M, int N, int K, REAL alpha, const REAL *A, int lda,
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
        for (int j = 0; j < N; j++)
            c[j] = beta != 0 ? beta * c[j] : 0;
        for (int p = 0; p < K; p++) {
            REAL a = alpha * OP(A, ta, lda, i, p);
            const REAL *restrict b = B + (size_t)p * ldb;
            for (int j = 0; j < N; j++)
                c[j] += a * b[j];
        }
    }
}

void GEMM_NAME(mlp_gemm_ctx *ctx, int ta, int tb, int M, int N, int K, REAL alpha, const REAL *A,
               int lda, const REAL *B, int ldb, REAL beta, REAL *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0 || alpha == 0) { /* C = beta C, where beta = 0 clears NaN too */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta != 0 ? beta * C[(size_t)i * ldc + j] : 0;
        return;
    }
    void *ws = ctx ? ctx->ws : NULL;
    if (small_product(M, N, K) || (!ws && !(ws = workspace_new()))) {
        SMALL_NAME(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    if (mlp_gemm_ctx_isa(ctx) == MLP_GEMM_AVX2)
        PACKED_AVX2(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ws);
    else
        PACKED_GENERIC(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ws);
    if (!ctx)
        free(ws);
}

#undef OP

/* gemm_impl.h - the GEMM body, instantiated once per element type by gemm.c.
 * Expects REAL (element type) and GEMM_NAME (function name) to be defined. */

/* Block sizes: a packed MC x KC block of A and KC x NC block of B stay in L1/L2 while the inner
 * loop streams rows of C; NC is a multiple of the vector width so the j-loop vectorises. */
#define MC 64
#define KC 128
#define NC 128

void GEMM_NAME(int trans_a, int trans_b, int M, int N, int K, REAL alpha, const REAL *A, int lda,
               const REAL *B, int ldb, REAL beta, REAL *C, int ldc)
{
    REAL Ap[MC * KC], Bp[KC * NC];
    for (int i = 0; i < M; i++) {
        REAL *c = C + (size_t)i * ldc;
        if (beta == 0)
            for (int j = 0; j < N; j++)
                c[j] = 0;
        else if (beta != 1)
            for (int j = 0; j < N; j++)
                c[j] *= beta;
    }
    if (K == 0 || alpha == 0)
        return;
    for (int j0 = 0; j0 < N; j0 += NC) {
        int nb = N - j0 < NC ? N - j0 : NC;
        for (int k0 = 0; k0 < K; k0 += KC) {
            int kb = K - k0 < KC ? K - k0 : KC;
            /* Pack op(B)[k0:k0+kb, j0:j0+nb], row-major kb x nb. */
            for (int k = 0; k < kb; k++)
                for (int j = 0; j < nb; j++)
                    Bp[k * nb + j] = trans_b ? B[(size_t)(j0 + j) * ldb + k0 + k]
                                             : B[(size_t)(k0 + k) * ldb + j0 + j];
            for (int i0 = 0; i0 < M; i0 += MC) {
                int mb = M - i0 < MC ? M - i0 : MC;
                /* Pack alpha * op(A)[i0:i0+mb, k0:k0+kb], row-major mb x kb. */
                for (int i = 0; i < mb; i++)
                    for (int k = 0; k < kb; k++)
                        Ap[i * kb + k] = alpha * (trans_a ? A[(size_t)(k0 + k) * lda + i0 + i]
                                                          : A[(size_t)(i0 + i) * lda + k0 + k]);
                for (int i = 0; i < mb; i++) {
                    REAL *restrict c = C + (size_t)(i0 + i) * ldc + j0;
                    const REAL *a = Ap + i * kb;
                    for (int k = 0; k < kb; k++) {
                        REAL aik = a[k];
                        const REAL *restrict b = Bp + k * nb;
                        for (int j = 0; j < nb; j++)
                            c[j] += aik * b[j];
                    }
                }
            }
        }
    }
}

#undef MC
#undef KC
#undef NC

/* gemm_kernels.h - what gemm.c (the driver) and the kernel builds share; private to src/tensor.
 *
 * The packed GEMM (gemm_impl.h) is compiled twice: in gemm.c for the baseline instruction set and
 * in gemm_avx2.c with -mavx2 -mfma. Both use the same blocking, so one workspace serves either.
 */
#ifndef MLP_TENSOR_GEMM_KERNELS_H
#define MLP_TENSOR_GEMM_KERNELS_H

#include <stddef.h>

/* Blocking in bytes, the same for both element types: a KC-deep block of op(A) (MC rows) stays
 * in L2, a KC x NR micro-panel of op(B) in L1, and the KC x NC block of op(B) in L2/L3. With
 * KC = 256: MC = 144 rows (float) or 72 (double), NC = 1024 columns (float) or 512 (double). */
#ifndef MLP_GEMM_KC /* -DMLP_GEMM_KC=... to experiment; 256 is BLIS's choice for Zen */
#define MLP_GEMM_KC 256
#endif
#define MLP_GEMM_A_BYTES (144 * MLP_GEMM_KC * 4)
#define MLP_GEMM_B_BYTES (1024 * MLP_GEMM_KC * 4)
/* After them, the row order and lists of nonzero columns of the sparse path (gemm_sparse.h):
 * 2 MC + MC / 6 x KC ints for the larger MC (float), and 16 ints that a list's last vector
 * store may write past its end. */
#define MLP_GEMM_X_BYTES ((2 * 144 + 144 / 6 * MLP_GEMM_KC + 16) * 4)
#define MLP_GEMM_WS_BYTES (MLP_GEMM_A_BYTES + MLP_GEMM_B_BYTES + MLP_GEMM_X_BYTES)
#define MLP_GEMM_WS_ALIGN 64
/* Products with op(A) = A, and products of at most this many columns, read op(A) in place
 * instead of packing it (gemm_impl.h; -D to experiment). */
#ifndef MLP_GEMM_DIRECT_N
#define MLP_GEMM_DIRECT_N 64
#endif

/* Products with op(A) = A over more columns than this (per thread) skip the zeros of A. */
#ifndef MLP_GEMM_SPARSE_N
#define MLP_GEMM_SPARSE_N 64
#endif

/* A^T B skips the zeros of B (gemm_sparse_t.h) where sampled groups of its columns skip at
 * least 1 / MLP_GEMM_SPARSE_T_MIN of the p. */
#ifndef MLP_GEMM_SPARSE_T_MIN
#define MLP_GEMM_SPARSE_T_MIN 5
#endif

/* C = alpha op(A) op(B) + beta C for M, N, K >= 1, using ws (MLP_GEMM_WS_BYTES, aligned). */
#define MLP_GEMM_PACKED_DECL(suffix, REAL)                                                      \
    void mlp_gemm_packed_##suffix(int trans_a, int trans_b, int M, int N, int K, REAL alpha,    \
                                  const REAL *A, int lda, const REAL *B, int ldb, REAL beta,    \
                                  REAL *C, int ldc, void *ws);
MLP_GEMM_PACKED_DECL(f64_generic, double)
MLP_GEMM_PACKED_DECL(f32_generic, float)
MLP_GEMM_PACKED_DECL(f64_avx2, double)
MLP_GEMM_PACKED_DECL(f32_avx2, float)
MLP_GEMM_PACKED_DECL(f64_avx512, double)
MLP_GEMM_PACKED_DECL(f32_avx512, float)
#undef MLP_GEMM_PACKED_DECL

#endif

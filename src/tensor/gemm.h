/* gemm.h - general matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C.
 *
 * op(X) is X or its transpose (trans_x nonzero). op(A) is M x K, op(B) is K x N, C is M x N;
 * lda, ldb, ldc are row strides in elements. beta = 0 overwrites C without reading it, so C may
 * hold garbage (or NaN) on entry. No allocation: blocks are packed into fixed stack buffers. */
#ifndef MLP_TENSOR_GEMM_H
#define MLP_TENSOR_GEMM_H

void mlp_gemm_f64(int trans_a, int trans_b, int M, int N, int K, double alpha, const double *A,
                  int lda, const double *B, int ldb, double beta, double *C, int ldc);
void mlp_gemm_f32(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif

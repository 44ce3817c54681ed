/* gemm_avx2.c - the packed GEMM compiled for AVX2 + FMA (the Makefile adds -mavx2 -mfma on x86).
 *
 * gemm.c calls these only when the CPU reports both features. Built without those flags (another
 * architecture, another build system), this file compiles to a second copy of the baseline
 * kernels: still correct, and no 32-byte vectors where the target has no registers for them. */
#if defined(__AVX2__) && defined(__FMA__)
#define VEC_BYTES 32
#else
#define VEC_BYTES 16
#endif

#define REAL double
#define SUFFIX f64_avx2
#include "tensor/gemm_impl.h"
#undef REAL
#undef SUFFIX

#define REAL float
#define SUFFIX f32_avx2
#include "tensor/gemm_impl.h"
#undef REAL
#undef SUFFIX

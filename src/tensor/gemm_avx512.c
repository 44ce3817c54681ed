/* gemm_avx512.c - the packed GEMM compiled for AVX-512F (the Makefile adds -mavx512f -mfma on x86).
 *
 * gemm.c calls these only when the CPU reports AVX-512F. Built without those flags (another
 * architecture, another build system), this file compiles to a second copy of the baseline
 * kernels: still correct, and no 64-byte vectors where the target has no registers for them. */
#if defined(__AVX512F__) && defined(__FMA__)
#define VEC_BYTES 64
#else
#define VEC_BYTES 16
#endif

#define REAL double
#define SUFFIX f64_avx512
#include "tensor/gemm_impl.h"
#undef REAL
#undef SUFFIX

#define REAL float
#define SUFFIX f32_avx512
#include "tensor/gemm_impl.h"
#undef REAL
#undef SUFFIX

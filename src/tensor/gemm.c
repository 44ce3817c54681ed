/* gemm.c - one GEMM body (gemm_impl.h) instantiated for double and float. */
#include "tensor/gemm.h"

#include <stddef.h>

#define REAL double
#define GEMM_NAME mlp_gemm_f64
#include "tensor/gemm_impl.h"
#undef REAL
#undef GEMM_NAME

#define REAL float
#define GEMM_NAME mlp_gemm_f32
#include "tensor/gemm_impl.h"
#undef REAL
#undef GEMM_NAME

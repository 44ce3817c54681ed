/* shape.h - per-sample shapes of values: rank 0 (scalar) to MLP_MAX_RANK, row-major. */
#ifndef MLP_TENSOR_SHAPE_H
#define MLP_TENSOR_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mlp.h"

/* Largest number of elements one value may have (per sample): 2^26, 512 MiB as float64, an
 * 8192 x 8192 matrix. Keeps index arithmetic far from overflow and turns absurd declarations in
 * hostile files (an input of 2^31 values is 16 GiB per sample) into errors instead of
 * allocations that the system grants and then kills the process for touching. */
#define MLP_MAX_ELEMENTS ((int64_t)1 << 26)

typedef struct mlp_shape {
    int rank;
    int dim[MLP_MAX_RANK];
} mlp_shape;

static inline mlp_shape mlp_shape_scalar(void) { return (mlp_shape){0, {0}}; }
mlp_shape mlp_shape_1d(int n);
mlp_shape mlp_shape_2d(int m, int n);
/* Number of elements (1 for a scalar). Inline: every kernel asks it on every run. */
static inline int64_t mlp_shape_size(mlp_shape s)
{
    int64_t n = 1;
    for (int i = 0; i < s.rank; i++)
        n *= s.dim[i];
    return n;
}
bool mlp_shape_equal(mlp_shape a, mlp_shape b);
/* "[2,3]" for a matrix, "[]" for a scalar. */
void mlp_shape_format(mlp_shape s, char buf[64]);

#endif

/* shape.c - shape helpers. */
#include "tensor/shape.h"

#include <stdio.h>

mlp_shape mlp_shape_1d(int n) { return (mlp_shape){1, {n}}; }
mlp_shape mlp_shape_2d(int m, int n) { return (mlp_shape){2, {m, n}}; }

bool mlp_shape_equal(mlp_shape a, mlp_shape b)
{
    if (a.rank != b.rank)
        return false;
    for (int i = 0; i < a.rank; i++)
        if (a.dim[i] != b.dim[i])
            return false;
    return true;
}

void mlp_shape_format(mlp_shape s, char buf[64])
{
    int n = snprintf(buf, 64, "[");
    for (int i = 0; i < s.rank; i++)
        n += snprintf(buf + n, 64 - n, i ? ",%d" : "%d", s.dim[i]);
    snprintf(buf + n, 64 - n, "]");
}

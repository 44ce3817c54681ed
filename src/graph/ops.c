/* ops.c - the op table assembled from MLP_OPS and the per-family info structs. */
#include "graph/ops.h"

#include <string.h>

static const struct mlp_op_info *const table[MLP_OP_COUNT] = {
#define MLP_OP_ENTRY(id, name, arity) [MLP_OP_##id] = &mlp_op_info_##id,
    MLP_OPS(MLP_OP_ENTRY)
#undef MLP_OP_ENTRY
};

static const char *const names[MLP_OP_COUNT] = {
#define MLP_OP_NAME(id, name, arity) [MLP_OP_##id] = name,
    MLP_OPS(MLP_OP_NAME)
#undef MLP_OP_NAME
};

static const int arities[MLP_OP_COUNT] = {
#define MLP_OP_ARITY(id, name, arity) [MLP_OP_##id] = arity,
    MLP_OPS(MLP_OP_ARITY)
#undef MLP_OP_ARITY
};

const struct mlp_op_info *mlp_op(enum mlp_op op) { return table[op]; }
const char *mlp_op_name(enum mlp_op op) { return names[op]; }
int mlp_op_arity(enum mlp_op op) { return arities[op]; }

int mlp_op_lookup(const char *name, int len)
{
    for (int op = 0; op < MLP_OP_COUNT; op++)
        if ((int)strlen(names[op]) == len && !memcmp(names[op], name, (size_t)len))
            return op;
    return -1;
}

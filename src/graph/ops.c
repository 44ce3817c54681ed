/* ops.c - the op table assembled from MLP_OPS and the per-family info structs (and C entries). */
#include "graph/ops.h"
#include "graph/ops_c.h"

#include <string.h>

static const struct mlp_op_info *const table[MLP_OP_COUNT] = {
#define MLP_OP_ENTRY(id, name, arity) [MLP_OP_##id] = &mlp_op_info_##id,
    MLP_OPS(MLP_OP_ENTRY)
#undef MLP_OP_ENTRY
};

/* Naming every op's C entry here is what makes an op without one fail to link. */
static const struct mlp_op_c *const c_table[MLP_OP_COUNT] = {
#define MLP_OP_C_ENTRY(id, name, arity) [MLP_OP_##id] = &mlp_op_c_##id,
    MLP_OPS(MLP_OP_C_ENTRY)
#undef MLP_OP_C_ENTRY
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
const struct mlp_op_c *mlp_op_c(enum mlp_op op) { return c_table[op]; }
const char *mlp_op_name(enum mlp_op op) { return names[op]; }
int mlp_op_arity(enum mlp_op op) { return arities[op]; }

int mlp_op_lookup(const char *name, int len)
{
    for (int op = 0; op < MLP_OP_COUNT; op++)
        if ((int)strlen(names[op]) == len && !memcmp(names[op], name, (size_t)len))
            return op;
    return -1;
}

int mlp_op_infix(const char *sym, int len, int prec)
{
    for (int op = 0; op < MLP_OP_COUNT; op++) {
        const struct mlp_op_info *info = table[op];
        if (info->syntax == MLP_SYNTAX_INFIX && info->prec == prec &&
            (int)strlen(info->symbol) == len && !memcmp(info->symbol, sym, (size_t)len))
            return op;
    }
    return -1;
}

int mlp_op_of_syntax(enum mlp_syntax syntax)
{
    for (int op = 0; op < MLP_OP_COUNT; op++)
        if (table[op]->syntax == syntax)
            return op;
    return -1;
}

unsigned mlp_op_signs(enum mlp_op op, const unsigned *in)
{
    const struct mlp_op_info *info = table[op];
    if (info->sign_fn)
        return info->sign_fn(in);
    if (info->sign[0] | info->sign[1] | info->sign[2])
        return mlp_signs_each(in[0], info->sign[0], info->sign[1], info->sign[2]);
    return MLP_SIGN_ANY;
}

unsigned mlp_op_signs_back(enum mlp_op op, unsigned out)
{
    const struct mlp_op_info *info = table[op];
    if (!info->sign_back || !out) /* an empty set is a contradiction to report where it is */
        return MLP_SIGN_ANY;
    /* The operand's sign can be s only if the op maps s to a sign the result may have. */
    unsigned r = 0;
    for (int i = 0; i < 3; i++)
        if (info->sign[i] & out)
            r |= 1u << i;
    return r;
}

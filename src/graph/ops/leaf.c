/* leaf.c - inputs, parameters and constants: values set from outside, no computation. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#define LEAF_INFO(id)                                                                           \
    const struct mlp_op_info mlp_op_info_##id = {                                               \
        .cls = MLP_CLASS_LEAF, .syntax = MLP_SYNTAX_LEAF, .prec = MLP_PREC_ATOM,             \
        .vsem = MLP_V_LEAF};

LEAF_INFO(INPUT)
LEAF_INFO(PARAM)
LEAF_INFO(CONST)

/* ---- the C lowerings (graph/ops_c.h) ---- */

MLP_C_OP(INPUT, MLP_C_LEAF_AT(MLP_C_LEAF_INPUT, NULL), MLP_Q8_NO)
MLP_C_OP(PARAM, MLP_C_LEAF_AT(MLP_C_LEAF_STORED, "parameter"), MLP_Q8_NO)
MLP_C_OP(CONST, MLP_C_LEAF_AT(MLP_C_LEAF_STORED, "constant"), MLP_Q8_NO)

/* leaf.c - inputs, parameters and constants: values set from outside, no computation. */
#include "graph/ops/common.h"

#define LEAF_INFO(id)                                                                           \
    const struct mlp_op_info mlp_op_info_##id = {                                               \
        .cls = MLP_CLASS_LEAF, .syntax = MLP_SYNTAX_LEAF, .prec = MLP_PREC_ATOM,             \
        .vsem = MLP_V_LEAF};

LEAF_INFO(INPUT)
LEAF_INFO(PARAM)
LEAF_INFO(CONST)

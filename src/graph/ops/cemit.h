/* cemit.h - what the op families' C lowerings share (the entries of graph/ops_c.h). */
#ifndef MLP_GRAPH_OPS_CEMIT_H
#define MLP_GRAPH_OPS_CEMIT_H

#include "graph/graph.h"
#include "graph/lower.h"
#include "graph/ops_c.h"

/* Append to the generated code (in an emit function, whose context is `cg`). */
#define P(...) mlp_sb_printf(cg->out, __VA_ARGS__)

/* Elements of a node. */
static inline int64_t mlp_c_size(const struct mlp_c_emit *cg, mlp_id id)
{
    return mlp_shape_size(mlp_node(cg->g, id)->shape);
}

/* The form a shared emit function writes for node id (its entry's .variant). */
static inline int mlp_c_variant(const struct mlp_c_emit *cg, mlp_id id)
{
    return mlp_op_c(mlp_node(cg->g, id)->op)->c.variant;
}

/* The generic elementwise lowerings (cemit.c), which write the entry's .expr. */
void mlp_c_emit_unary(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low);
void mlp_c_emit_binary(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low);
void mlp_c_emit_nary(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low);

/* A kernel written once as the argument of an X macro, expanded to C here and to the text of the
 * same tokens that the generated file holds (so the two cannot drift apart). */
#define MLP_C_CODE(...) __VA_ARGS__
#define MLP_C_CODE_TEXT(...) #__VA_ARGS__

/* The float32 lowerings. */
#define MLP_C_LEAF_AT(where, word) {.leaf = where, .leaf_word = word}
#define MLP_C_FORM(fn, form, uses_) {.emit = fn, .variant = form, .uses = uses_}
#define MLP_C_EMIT(fn, uses_) {.emit = fn, .uses = uses_}
/* a product whose stored matrix, times a vector, the generator reads from a transposed copy */
#define MLP_C_MATRIX_T(fn) {.emit = fn, .matrix_transposed = true}
#define MLP_C_EMIT_CALLS(fn, calls_) {.emit = fn, .uses = MLP_C_USES_OTHER, .calls = calls_}
/* y = (float)(expr of v), element by element */
#define MLP_C_UNARY(expr_, uses_) {.emit = mlp_c_emit_unary, .expr = expr_, .uses = uses_}
/* y = expr of a_, b_ (either may be a scalar) */
#define MLP_C_BINARY(expr_) {.emit = mlp_c_emit_binary, .expr = expr_}
/* statements computing double r from the float operands a0, a1, ... of one element */
#define MLP_C_NARY(stmts, calls_) \
    {.emit = mlp_c_emit_nary, .expr = stmts, .uses = MLP_C_USES_OTHER, .calls = calls_}
#define MLP_C_NARY_USES(stmts, uses_) {.emit = mlp_c_emit_nary, .expr = stmts, .uses = uses_}
#define MLP_C_UNSUPPORTED(why) {.unsupported = why}

#endif

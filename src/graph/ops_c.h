/* ops_c.h - how `mlp export --format c` writes each op: its float32 C lowering and its int8 role.
 *
 * Every op defines `const struct mlp_op_c mlp_op_c_<ID>` beside its mlp_op_info and its
 * kernels (src/graph/ops/<family>.c), through MLP_C_OP(ID, float lowering, int8 role): the macro
 * takes both parts, so an entry cannot leave one out, and ops.c's table names the entry of every
 * op in MLP_OPS, so an op without one does not link. An op that has no C lowering says why
 * (.unsupported); one with no place in an int8 chain says so (MLP_Q8_NO). The generators
 * (src/export/c.c, c_q8.c) and the quantiser (quant.c) read these entries and never name an op.
 *
 * The float32 lowering of a node is the text of the loops that compute it exactly as the op's
 * float32 kernel does: the same operations in the same order, accumulating in double where the
 * kernel does. A product and the sum it feeds are separate statements, so no compiler contracts
 * them into a fused multiply-add unless told to across statements (GCC's -ffp-contract=fast,
 * which -std=c99 turns off). Writing it beside the kernel keeps the two in step.
 */
#ifndef MLP_GRAPH_OPS_C_H
#define MLP_GRAPH_OPS_C_H

#include <stdbool.h>
#include <stdint.h>
#include "base/strbuf.h"
#include "graph/ops.h"

struct mlp_lowered;

/* libm functions and helpers the generated code may need; each lowering says which it uses. */
enum {
    MLP_C_USES_LOGF = 1 << 0,
    MLP_C_USES_EXP = 1 << 1,
    MLP_C_USES_LOG = 1 << 2,
    MLP_C_USES_OTHER = 1 << 3,    /* the functions named in the lowering's `calls` */
    /* base/fexp.h's functions, written into the file (no libm call) after mlp_fexp_core, which
     * the first three call */
    MLP_C_USES_FEXP = 1 << 4,     /* mlp_fexp */
    MLP_C_USES_FSIGMOID = 1 << 5, /* mlp_fsigmoid */
    MLP_C_USES_FTANH = 1 << 6,    /* mlp_ftanh */
    MLP_C_USES_FSOFTMAX = 1 << 7, /* mlp_fsoftmax (which calls mlp_fexp) */
};

/* Where a lowering writes: the graph it reads and the text it appends to. */
struct mlp_c_emit {
    const struct mlp_graph *g;
    mlp_strbuf *out;
};

/* Write the loops of one step: node id, lowered as `low`, with operand pointers a, b, c, ...
 * (low->in[0], [1], [2], ...) and result pointer y already declared. */
typedef void (*mlp_c_emit_fn)(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low);

/* What a leaf is in the generated code: read from `input`, or stored as a static const array. */
enum mlp_c_leaf { MLP_C_NOT_LEAF, MLP_C_LEAF_INPUT, MLP_C_LEAF_STORED };

struct mlp_c_lowering {
    mlp_c_emit_fn emit;      /* NULL for leaves and unsupported ops */
    int variant;             /* which of its forms a shared emit function writes (its family's) */
    enum mlp_c_leaf leaf;    /* leaves: where the value comes from */
    const char *leaf_word;   /* stored leaves: "parameter", "constant" (in comments) */
    bool matrix_transposed;  /* a product whose constant matrix operand 0, times a vector, is
                                read from a transposed copy (c.c's print_transposed) */
    const char *expr;        /* elementwise ops: the C expression of v (unary) or a_, b_ (binary),
                                or statements setting double r from a0, a1, ... (n-ary) */
    unsigned uses;           /* MLP_C_USES_* bits */
    const char *calls;       /* with MLP_C_USES_OTHER: more libm functions, comma-separated */
    const char *unsupported; /* why the op has no C lowering, or NULL */
};

/* The part an op can play in a quantised chain of dense layers act(W @ h + b) (export/quant.c). */
enum mlp_q8_form {
    MLP_Q8_NONE,    /* none: quantisation refuses it, naming it */
    MLP_Q8_PRODUCT, /* W @ h: a stored matrix times the vector below */
    MLP_Q8_BIAS,    /* W @ h + b, either way round: the layer's bias */
    MLP_Q8_PASS,    /* the activation that is the value itself (and how a bare layer is named) */
    MLP_Q8_CLAMP,   /* folded into the requantisation's clamp to [lo, hi] */
    MLP_Q8_TABLE,   /* in a hidden layer: a table of .f over the 256 int8 values */
};

/* An op as the model's output, applied in the float wrapper after the integer core. */
struct mlp_q8_final {
    void (*run)(float *v, int32_t n); /* the in-library reference's kernel ... */
    const char *code;                 /* ... and its tokens, which the generated C holds */
    const char *fn;                   /* its name there ("q8_sigmoid") */
    unsigned uses;                    /* the base/fexp.h functions it calls (MLP_C_USES_F*) */
    float split;                      /* one output: the value between class 0 and class 1 */
};

struct mlp_q8_op {
    enum mlp_q8_form form;
    double lo, hi;         /* CLAMP of one operand: its bounds; of three: operands 1 and 2 */
    double (*f)(double);   /* TABLE: the activation in double */
    const struct mlp_q8_final *final; /* or NULL: the model's output may not be this op */
};

struct mlp_op_c {
    struct mlp_c_lowering c;
    struct mlp_q8_op q8;
};

/* One op's entry; both parts are required. */
#define MLP_C_OP(ID, lowering, q8_role) \
    const struct mlp_op_c mlp_op_c_##ID = {.c = lowering, .q8 = q8_role};

/* The int8 roles. */
#define MLP_Q8_NO {MLP_Q8_NONE, 0, 0, NULL, NULL}
#define MLP_Q8_AS(form) {form, 0, 0, NULL, NULL}
#define MLP_Q8_CLAMP_TO(lo, hi) {MLP_Q8_CLAMP, lo, hi, NULL, NULL}
#define MLP_Q8_TABLE_OF(f, final) {MLP_Q8_TABLE, 0, 0, f, final}
#define MLP_Q8_FINAL(final) {MLP_Q8_NONE, 0, 0, NULL, final}

/* The C entry of an op. */
const struct mlp_op_c *mlp_op_c(enum mlp_op op);

#define MLP_OP_C_DECL(id, name, arity) extern const struct mlp_op_c mlp_op_c_##id;
MLP_OPS(MLP_OP_C_DECL)
#undef MLP_OP_C_DECL

#endif

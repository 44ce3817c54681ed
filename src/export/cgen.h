/* cgen.h - what the float32 C generator (c.c) and its per-op lowerings (c_ops.c) share.
 *
 * The generator writes a plan out as C: the plan's schedule is the order of the loops, and the
 * plan's arena offsets are where each intermediate value lives in the workspace, so the
 * generated code reuses memory exactly as the executor does. Every step becomes one block that
 * names its operands `a`, `b` and its result `y` (pointers to float), then the op's lowering
 * writes the loops over them. The loops compute what the executor's float32 kernels compute, in
 * the same order of operations, so with contraction off the results are the executor's.
 */
#ifndef MLP_EXPORT_CGEN_H
#define MLP_EXPORT_CGEN_H

#include "base/strbuf.h"
#include "exec/plan.h"
#include "graph/lower.h"

/* libm functions and helpers the generated code may need; each lowering says which it uses. */
enum {
    C_USES_LOGF = 1 << 0,
    C_USES_EXP = 1 << 1,
    C_USES_LOG = 1 << 2,
    C_USES_OTHER = 1 << 3,     /* the functions named in the lowering's `calls` */
    /* base/fexp.h's functions, written into the file (no libm call) after mlp_fexp_core, which
     * all three call */
    C_USES_FEXP = 1 << 4,      /* mlp_fexp */
    C_USES_FSIGMOID = 1 << 5,  /* mlp_fsigmoid */
    C_USES_FTANH = 1 << 6,     /* mlp_ftanh */
    C_USES_FSOFTMAX = 1 << 7,  /* mlp_fsoftmax (which calls mlp_fexp) */
};

struct cgen {
    const mlp_graph *g;
    mlp_strbuf *out;  /* the body being written */
    const char *name; /* the identifier prefix */
    unsigned uses;    /* C_USES_* bits of the lowerings emitted so far */
    char calls[256];  /* the C_USES_OTHER functions so far, ", "-separated */
};

/* Write the loops of one step: node id, lowered as `low`, with operand pointers a, b, c, ...
 * (low->in[0], [1], [2], ...) and result pointer y already declared. */
typedef void (*c_emit_fn)(struct cgen *cg, mlp_id id, const struct mlp_lowered *low);

/* What a leaf is in the generated code: read from `input`, or stored as a static const array. */
enum c_leaf { C_NOT_LEAF, C_LEAF_INPUT, C_LEAF_STORED };

/* Which of the forms an emit function writes (the op's row says, so no emit function names an
 * op): reductions, the softmax family, copies. */
enum c_variant {
    C_PLAIN,
    C_SUM = C_PLAIN, C_MEAN, C_SUMSQ,
    C_SOFTMAX = C_PLAIN, C_LOG_SOFTMAX, C_LOGSUMEXP,
    C_COPY = C_PLAIN, C_COPY_FROM_ATTR, C_COPY_TWO
};

struct c_lowering {
    c_emit_fn emit;          /* NULL for leaves and unsupported ops */
    enum c_variant variant;  /* the form emit writes */
    enum c_leaf leaf;        /* leaves: where the value comes from */
    const char *leaf_word;   /* stored leaves: "parameter", "constant" (in comments) */
    bool matrix_transposed;  /* a product whose constant matrix operand 0, times a vector, is
                                read from a transposed copy (c.c's print_transposed) */
    const char *expr;        /* elementwise ops: the C expression of v (unary) or a, b (binary),
                                or statements setting double r from a0, a1, ... (n-ary) */
    unsigned uses;           /* C_USES_* bits */
    const char *calls;       /* with C_USES_OTHER: more libm functions, comma-separated */
    const char *unsupported; /* why the op has no C lowering, or NULL */
};

/* The lowering of an op (c_ops.c). */
const struct c_lowering *mlp_c_lowering(enum mlp_op op);

#endif

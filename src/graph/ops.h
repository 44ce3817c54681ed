/* ops.h - the one list of operations.
 *
 * Every op is named once in MLP_OPS (its id, its name in the model language, its arity) and
 * described once by a `const struct mlp_op_info mlp_op_info_<ID>` defined beside its kernels and
 * gradient rule in src/graph/ops/<family>.c. Parser, printer, executor, autodiff and the analyses
 * all read this table; adding an op touches MLP_OPS, one info struct and its tests.
 */
#ifndef MLP_GRAPH_OPS_H
#define MLP_GRAPH_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include "mlp.h"
#include "tensor/shape.h"

/*  X(ID,          language name,  arity) */
#define MLP_OPS(X)                                                                              \
    /* leaves */                                                                                \
    X(INPUT, "input", 0)                                                                        \
    X(PARAM, "param", 0)                                                                        \
    X(CONST, "const", 0)                                                                        \
    /* elementwise arithmetic (scalar operands broadcast) */                                    \
    X(ADD, "add", 2)                                                                            \
    X(SUB, "sub", 2)                                                                            \
    X(MUL, "mul", 2)                                                                            \
    X(DIV, "div", 2)                                                                            \
    X(NEG, "neg", 1)                                                                            \
    /* linear algebra */                                                                        \
    X(MATMUL, "matmul", 2)                                                                      \
    X(TRANSPOSE, "transpose", 1)                                                                \
    X(OUTER, "outer", 2)                                                                        \
    X(DOT, "dot", 2)                                                                            \
    /* structure: pick, place and spread elements */                                            \
    X(INDEX, "index", 1)                                                                        \
    X(UNINDEX, "unindex", 1)                                                                    \
    X(BROADCAST, "broadcast", 1)                                                                \
    /* reductions */                                                                            \
    X(SUM, "sum", 1)                                                                            \
    X(MEAN, "mean", 1)                                                                          \
    X(SUMSQ, "sumsq", 1)                                                                        \
    X(BATCH_SUM, "batch_sum", 1)                                                                \
    /* activations and elementwise functions */                                                 \
    X(STEP, "step", 1)                                                                          \
    X(SIGMOID, "sigmoid", 1)                                                                    \
    X(TANH, "tanh", 1)                                                                          \
    X(RELU, "relu", 1)                                                                          \
    X(IDENTITY, "identity", 1)                                                                  \
    X(EXP, "exp", 1)                                                                            \
    X(LOG, "log", 1)                                                                            \
    /* derivatives of activations, as emitted by gradient rules */                              \
    X(DSIGMOID, "dsigmoid", 1)                                                                  \
    X(DTANH, "dtanh", 1)                                                                        \
    X(DRELU, "drelu", 1)                                                                        \
    /* softmax family (over a vector) */                                                        \
    X(SOFTMAX, "softmax", 1)                                                                    \
    X(LOG_SOFTMAX, "log_softmax", 1)                                                            \
    X(LOGSUMEXP, "logsumexp", 1)                                                                \
    /* training losses (per sample), and the derivative softmax_xent's rule emits */            \
    X(SQUARED_ERROR, "squared_error", 2)                                                        \
    X(BCE_LOGITS, "bce_logits", 2)                                                              \
    X(SOFTMAX_XENT, "softmax_xent", 2)                                                          \
    X(DSOFTMAX_XENT, "dsoftmax_xent", 2)

enum mlp_op {
#define MLP_OP_ENUM(id, name, arity) MLP_OP_##id,
    MLP_OPS(MLP_OP_ENUM)
#undef MLP_OP_ENUM
        MLP_OP_COUNT
};

#define MLP_MAX_ARITY 3
#define MLP_MAX_ATTR 5 /* index/unindex: attr[0] = number of indices, attr[1..] = indices */

typedef int32_t mlp_id; /* index of a node in its graph */
#define MLP_NONE ((mlp_id)-1)

struct mlp_graph;
struct mlp_node;

/* How an op behaves under verification (src/analysis): what it is as a function of its operands. */
enum mlp_op_class {
    MLP_CLASS_LEAF,      /* input, param, const */
    MLP_CLASS_LINEAR,    /* linear in its one operand, or in each operand separately (add, sub) */
    MLP_CLASS_BILINEAR,  /* linear in each operand given the other (mul, matmul, outer, dot) */
    MLP_CLASS_PIECEWISE, /* piecewise linear (step, relu, identity, drelu) */
    MLP_CLASS_SMOOTH,    /* everything else: sigmoid, tanh, exp, log, div, softmax, ... */
};

/* How the op is written in the model language. */
enum mlp_syntax {
    MLP_SYNTAX_LEAF,   /* a declared name or a literal */
    MLP_SYNTAX_INFIX,  /* a OP b */
    MLP_SYNTAX_PREFIX, /* OP a */
    MLP_SYNTAX_CALL,   /* name(a, ...) */
    MLP_SYNTAX_INDEX,  /* a[i, j] */
    MLP_SYNTAX_T,      /* a.T */
};

/* Operator precedence in the language, loosest first (Python's order for these operators). */
enum { MLP_PREC_ADD = 1, MLP_PREC_MUL = 2, MLP_PREC_UNARY = 3, MLP_PREC_POSTFIX = 4, MLP_PREC_ATOM = 5 };

struct mlp_gemm_ctx;

/* Everything a kernel needs to compute one node for one run. Values are row-major; a batched
 * value holds `rows` samples back to back, an unbatched one a single sample (in_stride 0). */
struct mlp_kargs {
    mlp_dtype dtype;
    int rows;  /* samples in out: the batch size if the node is batched, else 1 */
    int batch; /* the run's batch size (batch_sum of an unbatched value needs it) */
    void *out;
    const void *in[MLP_MAX_ARITY];
    int64_t in_stride[MLP_MAX_ARITY]; /* elements from one sample of in[i] to the next, or 0 */
    const struct mlp_node *node;
    const struct mlp_node *inode[MLP_MAX_ARITY];
    /* Set only by plans (graph/lower.h), for kernels that accept it (matmul): in[i] holds the
     * transpose of operand i (a view of the source of a transpose node; inode[i] still gives the
     * operand's own shape). */
    bool trans[MLP_MAX_ARITY];
    struct mlp_gemm_ctx *gemm; /* the running plan's GEMM workspace, or NULL */
};

/* Infer the result shape from the operands (and attributes) already in *n; on a mismatch report
 * through mlp_graph_fail and return false. */
typedef bool (*mlp_shape_fn)(struct mlp_graph *g, const struct mlp_node *n, mlp_shape *out);
/* Compute the node's value. */
typedef void (*mlp_forward_fn)(const struct mlp_kargs *k);
/* Vector-Jacobian product as graph building: given node y and the adjoint gy of its value, set
 * gx[i] to the adjoint contribution for operand i, or MLP_NONE when it is zero or need[i] is
 * false. Contributions may be unreduced: a scalar operand may receive a full-shaped contribution
 * and an unbatched operand a batched one; autodiff sums them down. */
typedef void (*mlp_vjp_fn)(struct mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[MLP_MAX_ARITY],
                           const bool need[MLP_MAX_ARITY]);

struct mlp_op_info {
    enum mlp_op_class cls;
    mlp_shape_fn shape;     /* NULL for leaves */
    mlp_forward_fn forward; /* NULL for leaves */
    mlp_vjp_fn vjp;         /* NULL: the op has zero derivative (step, drelu) or is a leaf */
    enum mlp_syntax syntax;
    const char *symbol; /* infix/prefix symbol ("+", "@", "-"); NULL for calls */
    int prec;           /* precedence for printing */
    const char *math;   /* in derived equations: "σ", "σ'", "relu'", or the symbol */
    const char *latex;  /* in LaTeX: "\\sigma", "\\sigma'", ... */
};

/* The info of an op. */
const struct mlp_op_info *mlp_op(enum mlp_op op);
/* Name of an op in the model language ("sigmoid", "matmul"). */
const char *mlp_op_name(enum mlp_op op);
/* Number of operands. */
int mlp_op_arity(enum mlp_op op);
/* The op called `name` in the language, or -1. */
int mlp_op_lookup(const char *name, int len);

#define MLP_OP_INFO_DECL(id, name, arity) extern const struct mlp_op_info mlp_op_info_##id;
MLP_OPS(MLP_OP_INFO_DECL)
#undef MLP_OP_INFO_DECL

#endif

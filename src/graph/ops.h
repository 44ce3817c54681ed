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
    X(DSOFTMAX_XENT, "dsoftmax_xent", 2)                                                        \
    /* piecewise linear (verify lowers them to relu, step and drelu), and their derivatives */  \
    X(LEAKY_RELU, "leaky_relu", 2)                                                              \
    X(ABS, "abs", 1)                                                                            \
    X(MAX, "max", 2)                                                                            \
    X(MIN, "min", 2)                                                                            \
    X(CLIP, "clip", 3)                                                                          \
    X(RELU6, "relu6", 1)                                                                        \
    X(SIGN, "sign", 1)                                                                          \
    X(DLEAKY_RELU, "dleaky_relu", 2)                                                            \
    X(DMAX, "dmax", 2)                                                                          \
    X(DCLIP, "dclip", 3)                                                                        \
    /* smooth functions, and the derivatives their rules emit */                                \
    X(SOFTPLUS, "softplus", 1)                                                                  \
    X(GELU, "gelu", 1)                                                                          \
    X(GELU_TANH, "gelu_tanh", 1)                                                                \
    X(ELU, "elu", 2)                                                                            \
    X(SILU, "silu", 1)                                                                          \
    X(SQRT, "sqrt", 1)                                                                          \
    X(SQUARE, "square", 1)                                                                      \
    X(LOG1P, "log1p", 1)                                                                        \
    X(EXPM1, "expm1", 1)                                                                        \
    X(DGELU, "dgelu", 1)                                                                        \
    X(DGELU_TANH, "dgelu_tanh", 1)                                                              \
    X(DELU, "delu", 2)                                                                          \
    /* structure of whole samples */                                                            \
    X(CONCAT, "concat", 2)                                                                      \
    X(SLICE, "slice", 1)                                                                        \
    X(RESHAPE, "reshape", 1)                                                                    \
    X(FLATTEN, "flatten", 1)                                                                    \
    X(ARGMAX, "argmax", 1)                                                                      \
    X(LAYER_NORM, "layer_norm", 2)                                                              \
    X(BATCH_NORM_INFER, "batch_norm_infer", 6)

enum mlp_op {
#define MLP_OP_ENUM(id, name, arity) MLP_OP_##id,
    MLP_OPS(MLP_OP_ENUM)
#undef MLP_OP_ENUM
        MLP_OP_COUNT
};

#define MLP_MAX_ARITY 6 /* batch_norm_infer(x, mean, var, gamma, beta, eps) */
/* Most arguments one call may write (concat(a, b, ...) folds them): a bound for the parser's
 * argument list, far above any real network's concatenation. */
#define MLP_MAX_CALL_ARGS 64
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

/* Bytes per element of a dtype (kernels, plans and sessions). */
static inline size_t mlp_dtype_size(mlp_dtype t)
{
    return t == MLP_F64 ? sizeof(double) : sizeof(float);
}

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
    /* Set only by plans, for the fused kernels that accept them (graph/lower.h): out2, the
     * buffer of a second node the kernel computes (mlp_lowered.also), or NULL; and while
     * sgd->on (a gradient-descent run), w -= sgd->lr * out applied to sgd_w[0] and by out2 to
     * sgd_w[1] (NULL: none). */
    void *out2;
    void *sgd_w[2];
    const struct mlp_sgd_run *sgd;
};

/* A plan's gradient-descent state for the run in progress. */
struct mlp_sgd_run {
    bool on;
    double lr;
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

/* ---- what the analyses read ---- */

/* Signs a value can take, as a set (the union over its elements): sign facts (analysis/signs.c,
 * used by `zeros`) are functions from the operands' sets to the result's. */
enum { MLP_SIGN_NEG = 1, MLP_SIGN_ZERO = 2, MLP_SIGN_POS = 4, MLP_SIGN_ANY = 7 };
/* The result's signs from the operands' (in[i] for i < arity). Must hold over the reals for
 * every element: a result of {zero} is a proof that the value is 0. */
typedef unsigned (*mlp_sign_fn)(const unsigned *in);

/* What the exact verifier (analysis/verify/net.c) computes for an op, over the rationals. */
enum mlp_vsem {
    MLP_V_NONE,    /* not piecewise linear (smooth ops): verify refuses it, naming the op */
    MLP_V_LEAF,    /* input (a variable), param and const (their exact values) */
    MLP_V_ADD,     /* a + b, elementwise (a scalar operand broadcasts), and likewise: */
    MLP_V_SUB,
    MLP_V_MUL,     /* linear while one side is constant in the region */
    MLP_V_DIV,     /* by a constant only */
    MLP_V_NEG,     /* -a */
    MLP_V_COPY,    /* a itself (identity) */
    MLP_V_MOVE,    /* places operands' elements (or zeros): exact through the op's own kernel */
    MLP_V_MATMUL,  /* sums of products, with one side constant in the region: */
    MLP_V_DOT,
    MLP_V_OUTER,
    MLP_V_SUM,
    MLP_V_MEAN,
    MLP_V_RELU,    /* splits at z = in[0]: z if z > 0, else 0 */
    MLP_V_STEP,    /* splits at z: 1 if z >= 0, else 0 (closed) */
    MLP_V_DRELU,   /* splits at z: 1 if z > 0, else 0 (open) */
    MLP_V_LOWER,   /* piecewise linear: .lower rebuilds it from the ops above */
};

/* Build an op's exact piecewise-linear semantics from ops with simpler ones (relu, step,
 * drelu and affine ops), on the operands in[] (already in g): e.g. abs(x) = relu(x) + relu(-x).
 * The pre-activations of the relu, step and drelu it builds are the op's split points. */
typedef mlp_id (*mlp_lower_fn)(struct mlp_graph *g, const mlp_id *in);

/* What a piecewise op's value is where its operand's sign decides it (zeros substitutes it). */
enum mlp_fold_to { MLP_FOLD_NOTHING, MLP_FOLD_ZERO, MLP_FOLD_ONE, MLP_FOLD_OPERAND };
struct mlp_fold {
    unsigned when; /* the operand's signs lie within this set (MLP_SIGN_* bits) */
    enum mlp_fold_to to;
};

/* Whether and how an op is differentiated. */
enum mlp_grad {
    MLP_GRAD_RULE, /* by .vjp (leaves: by being a leaf) */
    MLP_GRAD_ZERO, /* piecewise constant: derivative 0 wherever defined (step, sign, drelu) */
    MLP_GRAD_NONE, /* none: argmax (integer-valued); a derivative op without its own rule */
};

/* Arguments written after the operands in call syntax. */
enum mlp_call_extra {
    MLP_EXTRA_NONE,
    MLP_EXTRA_SHAPE,         /* broadcast(s, [shape]), reshape(x, [shape]) */
    MLP_EXTRA_SHAPE_INDICES, /* unindex(x, [shape], i, ...) */
    MLP_EXTRA_RANGE,         /* slice(x, start, stop): attr[0] = start, attr[1] = stop */
};

/* Build the node from the arguments a call wrote (nargs of them, defaults filled in), when that
 * is more than one node: concat(a, b, c) folds left; layer_norm(x, eps, gamma, beta) scales. */
typedef mlp_id (*mlp_call_fn)(struct mlp_graph *g, enum mlp_op op, const mlp_id *args, int nargs);

/* How derived equations (analysis/mathprint.c) write the op; calls are name(args). */
enum mlp_math_form {
    MLP_MATH_CALL,
    MLP_MATH_SUM,        /* a + b, a − b */
    MLP_MATH_NEG,        /* −a */
    MLP_MATH_PRODUCT,    /* 2 x, a · s, a ∘ b */
    MLP_MATH_DIV,        /* a / b, \frac{a}{b} */
    MLP_MATH_MATMUL,     /* A x */
    MLP_MATH_OUTER,      /* a bᵀ */
    MLP_MATH_DOT,        /* aᵀ b, ⟨A, B⟩ */
    MLP_MATH_TRANSPOSE,  /* Aᵀ */
    MLP_MATH_INDEX,      /* a[i] */
    MLP_MATH_NORM2,      /* ‖a‖² */
    MLP_MATH_ABS,        /* |a| */
    MLP_MATH_PER_SAMPLE, /* written as its operand: broadcast */
    MLP_MATH_BATCH_SUM,  /* written as its operand, in an equation that sums over the batch */
};

/* How the ONNX exporter (io/onnx_export.c) writes the op: the pattern, and the ONNX op type it
 * uses where the pattern takes one. The exporter switches on the pattern, never on the op. */
enum mlp_onnx_form {
    MLP_ONNX_NONE,       /* no ONNX counterpart that mlp writes: export refuses it, naming it */
    MLP_ONNX_UNARY,      /* Type(x) */
    MLP_ONNX_BINARY,     /* Type(a, b), a per-sample scalar reshaped to broadcast */
    MLP_ONNX_AFFINE,     /* W @ x + b as one Gemm where the matmul joins it, else BINARY */
    MLP_ONNX_MATMUL,     /* Gemm or MatMul by the operands' batching and ranks */
    MLP_ONNX_DOT,        /* a batch of vectors times a constant one, as MatMul */
    MLP_ONNX_TRANSPOSE,  /* of a constant */
    MLP_ONNX_INDEX,      /* one Gather per index */
    MLP_ONNX_STEP,       /* Cast(GreaterOrEqual(z, 0)) */
    MLP_ONNX_SOFTMAX,    /* Type(x) with axis -1 */
    MLP_ONNX_ALPHA,      /* Type(x) with constant operand 1 as the attribute alpha */
    MLP_ONNX_CLIP,       /* Clip(x, lo, hi): operands 1 and 2 (constants), or .lo/.hi if unary */
    MLP_ONNX_GELU,       /* the Erf pattern PyTorch writes */
    MLP_ONNX_BATCH_NORM, /* BatchNormalization with constant statistics */
    MLP_ONNX_CONCAT,     /* Concat on the last axis */
    MLP_ONNX_RESHAPE,    /* Reshape to the node's own shape */
};
struct mlp_onnx_out {
    enum mlp_onnx_form form;
    const char *type; /* the ONNX op type of UNARY, BINARY, AFFINE, SOFTMAX and ALPHA */
    double lo, hi;    /* CLIP of one operand: its fixed bounds (relu6) */
};
/* An entry's .onnx: MLP_ONNX_OP(UNARY, "Relu"), MLP_ONNX_OP(MATMUL, NULL), MLP_ONNX_CLIP_TO(0, 6). */
#define MLP_ONNX_OP(form_, type_) {.form = MLP_ONNX_##form_, .type = type_}
#define MLP_ONNX_CLIP_TO(lo_, hi_) {.form = MLP_ONNX_CLIP, .type = "Clip", .lo = lo_, .hi = hi_}

/* Everything about one op. Every field is read through this table: no part of the library
 * outside src/graph/ops/ decides anything by an op's name. */
struct mlp_op_info {
    enum mlp_op_class cls;
    mlp_shape_fn shape;     /* NULL for leaves */
    mlp_forward_fn forward; /* NULL for leaves */
    mlp_vjp_fn vjp;         /* NULL: see .grad */
    enum mlp_grad grad;
    /* how it is written */
    enum mlp_syntax syntax;
    const char *symbol; /* infix/prefix symbol ("+", "@", "-"); NULL for calls */
    int prec;           /* precedence for printing */
    const char *math;   /* in derived equations: "σ", "σ'", "relu'", or the symbol */
    const char *latex;  /* in LaTeX: "\\sigma", "\\sigma'", ... */
    enum mlp_math_form math_form;
    int min_args;                         /* calls: operands that must be written (0: arity) */
    int max_args;                         /* calls: most operands written (0: arity); .call */
    const char *defaults[MLP_MAX_ARITY];  /* the literal an omitted operand i >= min_args is */
    enum mlp_call_extra extra;
    mlp_call_fn call;                     /* NULL: mlp_build on the operands */
    unsigned const_args;                  /* bit i: operand i must be a constant */
    /* verification */
    enum mlp_vsem vsem;
    mlp_lower_fn lower; /* MLP_V_LOWER */
    /* sign facts: either .sign (an elementwise unary op: the result's signs for an operand < 0,
     * = 0 and > 0) or .sign_fn; .sign_back: the result's signs also narrow the operand's
     * (elementwise and onto: relu(z) = 0 only if z <= 0) */
    unsigned char sign[3];
    mlp_sign_fn sign_fn;
    bool sign_back;
    struct mlp_fold fold[2]; /* zeros: relu(z) = z where z >= 0, relu'(z) = 1 where z > 0 */
    struct mlp_onnx_out onnx; /* how ONNX export writes it (zero: not at all) */
};

/* The info of an op. */
const struct mlp_op_info *mlp_op(enum mlp_op op);
/* Name of an op in the model language ("sigmoid", "matmul"). */
const char *mlp_op_name(enum mlp_op op);
/* Number of operands. */
int mlp_op_arity(enum mlp_op op);
/* The op called `name` in the language, or -1. */
int mlp_op_lookup(const char *name, int len);
/* The op written with infix symbol `sym` (len bytes) at precedence `prec`, or -1. */
int mlp_op_infix(const char *sym, int len, int prec);
/* The op of syntax `syntax` (prefix "-", index, .T): the first, or -1. */
int mlp_op_of_syntax(enum mlp_syntax syntax);
/* The signs of node n's result from its operands' sign sets (its sign facts). */
unsigned mlp_op_signs(enum mlp_op op, const unsigned *in);
/* What the result's signs say about operand 0's, for ops with .sign_back (else any). */
unsigned mlp_op_signs_back(enum mlp_op op, unsigned out);

/* Sign-set arithmetic for sign facts (ops/signs.c). */
unsigned mlp_signs_each(unsigned s, unsigned neg, unsigned zero, unsigned pos);
unsigned mlp_signs_flip(unsigned s);
unsigned mlp_signs_times(unsigned a, unsigned b);
unsigned mlp_signs_plus(unsigned a, unsigned b);
unsigned mlp_signs_sum_of(unsigned s); /* a sum of one or more values whose signs are in s */
unsigned mlp_signs_max(unsigned a, unsigned b); /* of max(x, y), x in a, y in b */
unsigned mlp_signs_min(unsigned a, unsigned b);

#define MLP_OP_INFO_DECL(id, name, arity) extern const struct mlp_op_info mlp_op_info_##id;
MLP_OPS(MLP_OP_INFO_DECL)
#undef MLP_OP_INFO_DECL

#endif

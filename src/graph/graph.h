/* graph.h - the IR: a model is a DAG of nodes in one array, referring to each other by index.
 *
 * Invariants:
 *  - a node's operands have smaller ids than the node, so id order is a topological order;
 *  - op nodes are hash-consed: building the same op on the same operands returns the existing
 *    node, so shared subexpressions are shared nodes and the adjoint graph comes out shared;
 *  - constants without a declared name are hash-consed by value; inputs, params and declared
 *    constants are never merged;
 *  - shapes are per sample; `batched` marks values that depend on an input and so carry a
 *    leading batch dimension at run time.
 */
#ifndef MLP_GRAPH_GRAPH_H
#define MLP_GRAPH_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include "base/error.h"
#include "graph/ops.h"
#include "tensor/shape.h"

struct mlp_node {
    enum mlp_op op;
    bool batched;
    mlp_shape shape;                 /* per sample */
    mlp_id in[MLP_MAX_ARITY];        /* operands; MLP_NONE beyond the arity */
    int32_t attr[MLP_MAX_ATTR];      /* op-specific: index positions for index/unindex */
    int64_t data;                    /* const/param: offset of its values in the pool; else -1 */
    int32_t name;                    /* index of its first name in g->names, or -1 */
    mlp_srcloc loc;                  /* where it was written (or derived from) */
};

/* Parameter initialisers (`param W[2,3] ~ normal(0, 0.1)`). */
#define MLP_INITS(X)                                                                            \
    X(NONE, "", 0)                                                                              \
    X(ZEROS, "zeros", 0)                                                                        \
    X(ONES, "ones", 0)                                                                          \
    X(NORMAL, "normal", 2)                                                                      \
    X(UNIFORM, "uniform", 2)                                                                    \
    X(XAVIER, "xavier", 0)                                                                      \
    X(XAVIER_NORMAL, "xavier_normal", 0)                                                        \
    X(HE, "he", 0)                                                                              \
    X(HE_UNIFORM, "he_uniform", 0)

enum mlp_init_kind {
#define MLP_INIT_ENUM(id, name, nargs) MLP_INIT_##id,
    MLP_INITS(MLP_INIT_ENUM)
#undef MLP_INIT_ENUM
        MLP_INIT_COUNT
};

struct mlp_init {
    enum mlp_init_kind kind;
    double arg[2];
};

struct mlp_name {
    char *text;
    mlp_id node;
    mlp_kind kind; /* MLP_INPUT, MLP_PARAM, MLP_CONST or MLP_DEF */
    mlp_srcloc loc;
    struct mlp_init init; /* params declared with `~` */
};

/* Most values that the parameters and constants of one graph may hold together (2^26: 512 MiB
 * as float64). Checked before values are allocated, so a short hostile file cannot make the
 * parser (or constant folding) allocate gigabytes; a graph may set a smaller budget. */
#define MLP_MAX_MODEL_VALUES ((int64_t)1 << 26)

typedef struct mlp_graph {
    struct mlp_node *nodes;
    int n, cap;

    double *pool;      /* values of constants and parameters */
    char **pool_text;  /* the literal each pool value was written as, or NULL (exact analyses);
                          the strings are owned by text_set, one copy per distinct text, so a
                          literal `0` filling a million values stores "0" once */
    int64_t npool, cappool;
    char **text_set;   /* open addressing set of those strings (NULL = empty slot) */
    int64_t ntexts, cap_text_set;
    int64_t max_values; /* budget for npool: MLP_MAX_MODEL_VALUES unless set lower */

    struct mlp_name *names;
    int nnames, capnames;
    int *name_table; /* open addressing over name indices by text (-1 = empty): mlp_graph_find */
    int name_table_cap;
    int *by_kind[MLP_DEF + 1]; /* per kind (input, param, const, def): its names, in order */
    int nby_kind[MLP_DEF + 1], capby_kind[MLP_DEF + 1];
    int *outputs; /* indices into names */
    int noutputs, capoutputs;
    int loss; /* index into names, or -1 */

    mlp_id *table; /* hash-consing: open addressing over node ids, MLP_NONE = empty */
    int table_cap;

    /* Builder context: where nodes being built come from, for their loc and for messages. */
    char *file;
    mlp_srcloc loc;
    const char *ctx; /* source text of the expression being built, or NULL */
    int ctxlen;
    mlp_error err; /* the first building error; builders return MLP_NONE once it is set */
} mlp_graph;

mlp_graph *mlp_graph_new(const char *file);
void mlp_graph_free(mlp_graph *g);
/* A deep copy (the builder error is not copied). */
mlp_graph *mlp_graph_clone(const mlp_graph *g);

static inline const struct mlp_node *mlp_node(const mlp_graph *g, mlp_id id) { return &g->nodes[id]; }
/* Operand i of node y, by value (safe to use while other arguments build nodes, which may move
 * the node array under a pointer returned by mlp_node). */
static inline mlp_id mlp_operand(const mlp_graph *g, mlp_id y, int i) { return g->nodes[y].in[i]; }
/* Values of a const or param node (row-major, size of its shape). */
static inline double *mlp_node_values(const mlp_graph *g, mlp_id id) { return g->pool + g->nodes[id].data; }
/* Report a building error at g->loc; returns MLP_NONE so builders can `return mlp_graph_fail(...)`. */
mlp_id mlp_graph_fail(mlp_graph *g, const char *fmt, ...) MLP_PRINTF(2, 3);
/* "'W1 @ x'" when the parser gave the expression's text, else the op's name; for messages. */
void mlp_graph_context(const mlp_graph *g, enum mlp_op op, char *buf, size_t size);

/* ---- leaves and names ---- */

/* Whether n more values fit the pool's budget; if not, records the error (at g->loc) and
 * returns false. Call it before allocating anything sized by n. */
bool mlp_pool_fits(mlp_graph *g, int64_t n);
/* Append n values to the pool (texts may be NULL); returns their offset, or -1 with the error
 * recorded when they do not fit the budget or memory. */
int64_t mlp_pool_append(mlp_graph *g, const double *values, char *const *texts, int64_t n);
/* Remember the literal text of a pool value. One value can be written several ways: a spelling
 * other than the value's shortest round-trip form replaces that form, else the first stays. */
void mlp_pool_set_text(mlp_graph *g, int64_t off, const char *text);
/* Forget the texts of n pool values (their values were replaced). */
void mlp_pool_clear_text(mlp_graph *g, int64_t off, int64_t n);
/* A declared leaf (input, param or const) with its name; values for param/const are copied. */
mlp_id mlp_graph_declare(mlp_graph *g, mlp_kind kind, const char *name, mlp_shape shape,
                         const double *values, char *const *texts, mlp_srcloc loc);
/* Bind `name` to an existing node (a statement NAME = EXPR). Returns the name's index. */
int mlp_graph_define(mlp_graph *g, const char *name, mlp_id node, mlp_srcloc loc);
/* Add a name of any kind for an existing node (rewrites lay names out again); its index. */
int mlp_graph_add_name(mlp_graph *g, const char *name, mlp_id node, mlp_kind kind, mlp_srcloc loc);
/* Forget every name, output and loss; the nodes stay. */
void mlp_graph_clear_names(mlp_graph *g);
/* Index of a name (the first with that text), or -1. Constant time: models can have many. */
int mlp_graph_find(const mlp_graph *g, const char *name, int len);
/* A name's display string for node id, or NULL when the node is anonymous. */
static inline const char *mlp_node_name(const mlp_graph *g, mlp_id id)
{
    return g->nodes[id].name >= 0 ? g->names[g->nodes[id].name].text : NULL;
}

/* ---- constants ---- */

/* An anonymous constant of the given shape and values (hash-consed by value). */
mlp_id mlp_const(mlp_graph *g, mlp_shape shape, const double *values);
/* An anonymous constant with every element v. */
mlp_id mlp_const_fill(mlp_graph *g, mlp_shape shape, double v);
static inline mlp_id mlp_scalar(mlp_graph *g, double v) { return mlp_const_fill(g, mlp_shape_scalar(), v); }
/* A constant (declared or anonymous): its values are fixed, unlike a parameter's or input's. */
static inline bool mlp_is_constant(const mlp_graph *g, mlp_id id) { return g->nodes[id].op == MLP_OP_CONST; }
/* An input: a value given at run time (a variable to the analyses). */
static inline bool mlp_is_input(const mlp_graph *g, mlp_id id) { return g->nodes[id].op == MLP_OP_INPUT; }
/* An anonymous constant: not declared by the user, so folding may look through it. */
bool mlp_is_anon_const(const mlp_graph *g, mlp_id id);
/* Whether id is an anonymous constant whose every element equals v. */
bool mlp_is_const_value(const mlp_graph *g, mlp_id id, double v);

/* ---- op nodes ---- */

/* A node of `op` on operands `in` with attributes `attr` (may be NULL), in two halves: check the
 * operands and infer shape and batching into *out (false on error; `target` is the shape
 * argument of broadcast, unindex and reshape), then intern *out. Smart constructors (mlp_build)
 * look at the prepared node before deciding to intern it; no algebraic folding here. */
bool mlp_prepare(mlp_graph *g, enum mlp_op op, const mlp_id *in, const int32_t *attr,
                 mlp_shape target, struct mlp_node *out);
mlp_id mlp_intern(mlp_graph *g, struct mlp_node *n);

/* Smart constructors (build.c): fold constants and identities (x + 0 = x, 1 * x = x, 0 * x = 0,
 * --x = x, transpose(transpose(x)) = x, ops on anonymous constants are evaluated) and then
 * intern. Each returns MLP_NONE, with g->err set, on a shape error or if an operand is MLP_NONE. */
mlp_id mlp_build(mlp_graph *g, enum mlp_op op, const mlp_id *in, const int32_t *attr, mlp_shape target);
mlp_id mlp_add(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_sub(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_mul(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_div(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_neg(mlp_graph *g, mlp_id a);
mlp_id mlp_matmul(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_transpose(mlp_graph *g, mlp_id a);
mlp_id mlp_outer(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_dot(mlp_graph *g, mlp_id a, mlp_id b);
mlp_id mlp_unary(mlp_graph *g, enum mlp_op op, mlp_id a);
/* a[idx[0], ..., idx[nidx-1]]: drops the leading nidx axes. */
mlp_id mlp_index(mlp_graph *g, mlp_id a, const int32_t *idx, int nidx);
/* The value of shape `shape` that is zero except a[...] at position idx (index's adjoint). */
mlp_id mlp_unindex(mlp_graph *g, mlp_id a, mlp_shape shape, const int32_t *idx, int nidx);
/* A scalar spread to every element of `shape`. */
mlp_id mlp_broadcast(mlp_graph *g, mlp_id a, mlp_shape shape);

/* ---- whole-graph helpers ---- */

/* Mark the nodes the given roots depend on (roots included); mark has g->n entries. */
void mlp_graph_ancestors(const mlp_graph *g, const mlp_id *roots, int nroots, bool *mark);
/* Evaluate an op on constant operands in float64 into out (used by folding). */
void mlp_eval_const_op(const mlp_graph *g, const struct mlp_node *n, double *out);

/* Draw every parameter declared with `~ INIT` from a generator seeded with `seed` (init.c). */
void mlp_graph_init_params(mlp_graph *g, uint64_t seed);

/* ---- autodiff (autodiff.c) ---- */

/* Build the adjoint graph of `loss` (a scalar per sample; parameter gradients sum over the
 * batch) into g. Fills grads[i] with the node computing dloss/d wrt[i] (an anonymous zero
 * constant when wrt[i] does not reach the loss). If adjoint is non-NULL it receives a malloc'ed
 * array of g->n (as before the call) entries: the adjoint of every primal node, or MLP_NONE. */
int mlp_autodiff(mlp_graph *g, mlp_id loss, const mlp_id *wrt, int nwrt, mlp_id *grads,
                 mlp_id **adjoint);

#endif

/* onnx_import.h - what the ONNX importer (onnx_import.c) and its op table (onnx_ops.c) share.
 *
 * Every ONNX value is kept as a `struct oval`: its ONNX shape (with the batch as dims[0] when it
 * depends on a graph input) and the mlp node that holds it. The mlp node's per-sample shape is
 * the ONNX shape without the batch and without its 1s ("squeezed"): Flatten, Reshape, Squeeze
 * and Unsqueeze that only add or drop 1s are then no operation at all, and W @ x needs no
 * reshaping. Constants (initializers, Constant nodes) keep their tensor and become a declared
 * parameter or constant only when an op uses them as a value; ops that read a constant's
 * numbers (Reshape's shape, Clip's bounds) take them from the tensor.
 */
#ifndef MLP_IO_ONNX_IMPORT_H
#define MLP_IO_ONNX_IMPORT_H

#include "graph/graph.h"
#include "io/onnx.h"

struct oval {
    char *name;     /* the ONNX name */
    bool batched;   /* dims[0] is the batch */
    int rank;
    int64_t dims[ONNX_MAX_DIMS];
    mlp_id id;      /* MLP_NONE while a constant is not declared yet */
    const struct onnx_tensor *t; /* constant data, or NULL */
    mlp_kind kind;  /* MLP_PARAM (initializer) or MLP_CONST (Constant node) for t */
    int uses;       /* how many node inputs and graph outputs read it */
    const char *op; /* of the node that made it, or NULL */
    bool is_output; /* a graph output */
    int nm;         /* the name index it was given, or -1 */
    bool anonymous; /* a constant the importer made: never declared under a name */
};

struct importer {
    mlp_graph *g;
    const struct onnx_model *m;
    const char *file;
    mlp_error *err;
    int flags;
    struct oval *v;
    int nv, capv;
    int *table; /* open addressing over v by name (-1 = empty) */
    int tcap;
    const struct onnx_node *node; /* being imported, for messages */
    bool *skip;                   /* per node: folded into a pattern (Erf-based GELU) */
    const char **gelu_x;          /* per node: the last of a GELU pattern, on this input */
    struct onnx_tensor **owned;   /* tensors made by the importer (Constant attributes, ...) */
    int nowned, capowned;
    struct oval **scratch;        /* values of no name (oi_scratch_value) */
    int nscratch, capscratch;
};

/* ---- onnx_import.c: values ---- */

/* The value of an ONNX name, or NULL. */
struct oval *oi_find(struct importer *im, const char *name);
/* Input i of the current node (an error when it is missing or unknown), or NULL. */
struct oval *oi_input(struct importer *im, int i);
/* Whether the node has input i (optional inputs may be absent or named ""). */
bool oi_has_input(const struct importer *im, int i);
/* The mlp node of a value, declaring a constant on first use; MLP_NONE with the error set. */
mlp_id oi_node(struct importer *im, struct oval *v);
/* Record output k of the current node: node id with ONNX shape (batched, rank, dims). */
bool oi_output(struct importer *im, int k, mlp_id id, bool batched, int rank, const int64_t *dims);
/* Record output k as a constant tensor (owned by the importer from now on). */
bool oi_output_const(struct importer *im, int k, struct onnx_tensor *t);
/* A value of no name holding tensor t (owned by the importer), declared as an anonymous
 * constant when used: for constants an op computes (Gemm's beta C). */
struct oval *oi_scratch_value(struct importer *im, struct onnx_tensor *t);
/* A new tensor owned by the importer. */
struct onnx_tensor *oi_new_tensor(struct importer *im);
/* Fail with a message about the current node ("node 'NAME' (Op): ..."); returns false. */
bool oi_fail(struct importer *im, const char *fmt, ...) MLP_PRINTF(2, 3);
/* Report a graph-building error (g->err) on the current node; returns false. */
bool oi_check(struct importer *im, mlp_id id);
/* The per-sample mlp shape of an ONNX shape: dims after the batch, 1s dropped; false (with the
 * error set) when more than MLP_MAX_RANK dimensions remain. */
bool oi_squeezed(struct importer *im, bool batched, int rank, const int64_t *dims, mlp_shape *out);
/* A scalar anonymous constant holding exactly v. */
mlp_id oi_scalar(struct importer *im, double v);

/* A value as an operand: its node (declared on demand) and ONNX shape. */
struct opnd {
    struct oval *v;
    mlp_id id;
    bool batched;
    int rank;
    int64_t dims[ONNX_MAX_DIMS];
};
bool oi_opnd_of(struct importer *im, struct oval *v, struct opnd *o);
/* Input i of the current node as an operand; false with the error set. */
bool oi_input_opnd(struct importer *im, int i, struct opnd *o);
/* Record output 0 as node id with the ONNX shape of shape_of. */
bool oi_out_like(struct importer *im, mlp_id id, const struct opnd *shape_of);
int64_t oi_attr_int(const struct onnx_node *n, const char *name, int64_t dflt);
double oi_attr_float(const struct onnx_node *n, const char *name, double dflt);
/* A copy of src owned by the importer (no name), or NULL with the error set. */
struct onnx_tensor *oi_tensor_copy(struct importer *im, const struct onnx_tensor *src);

/* The op of mlp's table called `name`, or -1 (with the error set when `required`): ops that
 * not every build has are found by name. */
int oi_op_named(struct importer *im, const char *name, bool required);
/* mlp_build of op on operands in (as many as its arity). */
mlp_id oi_build(struct importer *im, int op, const mlp_id *in, mlp_shape target);

/* ---- onnx_layout.c: ops that move values ---- */

bool onnx_op_constant(struct importer *im);
bool onnx_op_flatten(struct importer *im);
bool onnx_op_reshape(struct importer *im);
bool onnx_op_squeeze(struct importer *im);
bool onnx_op_unsqueeze(struct importer *im);
bool onnx_op_transpose(struct importer *im);
bool onnx_op_shape(struct importer *im);
bool onnx_op_gather(struct importer *im);
/* Concat of constant vectors as a constant (*done), or nothing when an input is not one. */
bool onnx_concat_constants(struct importer *im, bool *done);

/* ---- onnx_ops.c: the op table ---- */

/* Import the current node (im->node); false with the error set. */
bool onnx_import_node(struct importer *im);
/* onnx_patterns.c: mark nodes that a pattern replaces (the Erf-based GELU) in im->skip, and
 * the pattern's last node in im->gelu_x; import such a last node. */
void onnx_find_patterns(struct importer *im);
bool onnx_import_gelu(struct importer *im, const char *x);
/* The supported ops, comma separated (for the message about an unsupported one). */
void onnx_supported_ops(char *buf, size_t size);

#endif

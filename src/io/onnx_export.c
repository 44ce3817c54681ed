/* onnx_export.c - an mlp model as an ONNX model (IR 8, opset 17), the mirror of onnx_ops.c.
 *
 * Every input becomes a graph input of shape [N, per-sample dims] (a per-sample scalar is
 * [N, 1]), every parameter and constant a float32 initializer under its own name, and each op
 * node that the outputs depend on one ONNX node or a short fixed pattern (W @ x + b is one Gemm;
 * step(z) is Cast(GreaterOrEqual(z, 0)); gelu is the Erf form PyTorch writes). Values keep their
 * mlp names; unnamed ones are called "OP:ID". Which pattern writes an op is its op table entry's
 * `onnx` field (graph/ops.h): this file switches on patterns, never on ops. Ops without an ONNX
 * counterpart are an error that names them; nothing is written then.
 */
#include "io/onnx_export.h"
#include "base/mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IR_VERSION 8
#define OPSET 17

struct exporter {
    const mlp_graph *g;
    struct onnx_model m;
    int capnode, capinit, capin, capout;
    char **vname;   /* per node: its ONNX value name once written */
    int *uses;      /* per node: op nodes (among those written) that read it */
    bool *fused;    /* per node: written as part of its user (the matmul of a Gemm) */
    int counter;    /* for the names of helper values */
    mlp_error *err;
    const char *file;
};

static bool ex_fail(struct exporter *ex, mlp_id id, const char *fmt, ...) MLP_PRINTF(3, 4);
static bool ex_fail(struct exporter *ex, mlp_id id, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = mlp_node_name(ex->g, id);
    mlp_fail(ex->err, MLP_ERR_UNSUPPORTED, ex->file, MLP_NOLOC, "cannot export %s%s%s'%s' to ONNX: %s",
             name ? "'" : "", name ? name : "", name ? "' = " : "", mlp_op_name(ex->g->nodes[id].op),
             msg);
    return false;
}

/* Whether a number survives the trip to float32 (ONNX's float) as a finite number. */
static bool fits_float(double v) { return isfinite((float)v); }

/* ---- building the model ---- */

/* A name for a helper value (a shape, a constant, a step of a pattern): ':' keeps it apart
 * from every mlp name. */
static char *fresh_name(struct exporter *ex, const char *what, mlp_id id)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%d:%d", what, (int)id, ex->counter++);
    return mlp_xstrdup(buf);
}

/* The name of node id's own value: its mlp name, else "OP:ID". */
static char *value_name(const struct exporter *ex, mlp_id id)
{
    const char *name = mlp_node_name(ex->g, id);
    if (name)
        return mlp_xstrdup(name);
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%d", mlp_op_name(ex->g->nodes[id].op), (int)id);
    return mlp_xstrdup(buf);
}

static struct onnx_node *add_node(struct exporter *ex, const char *op, const char *const *in,
                                  int nin, const char *out)
{
    mlp_xreserve(&ex->m.node, &ex->capnode, ex->m.nnode + 1, sizeof *ex->m.node);
    struct onnx_node *n = &ex->m.node[ex->m.nnode++];
    memset(n, 0, sizeof *n);
    n->op = mlp_xstrdup(op);
    char name[96];
    snprintf(name, sizeof name, "%s_%d", op, ex->m.nnode);
    n->name = mlp_xstrdup(name);
    n->in = mlp_xcalloc((size_t)(nin ? nin : 1), sizeof *n->in);
    for (int i = 0; i < nin; i++)
        n->in[i] = mlp_xstrdup(in[i]);
    n->nin = nin;
    n->out = mlp_xcalloc(1, sizeof *n->out);
    n->out[0] = mlp_xstrdup(out);
    n->nout = 1;
    return n;
}

static struct onnx_attr *add_attr(struct onnx_node *n, const char *name, int type)
{
    n->attr = mlp_xrealloc(n->attr, (size_t)(n->nattr + 1) * sizeof *n->attr);
    struct onnx_attr *a = &n->attr[n->nattr++];
    memset(a, 0, sizeof *a);
    a->name = mlp_xstrdup(name);
    a->type = type;
    return a;
}

static void attr_int(struct onnx_node *n, const char *name, int64_t v)
{
    add_attr(n, name, ONNX_ATTR_INT)->i = v;
}

static void attr_float(struct onnx_node *n, const char *name, double v)
{
    add_attr(n, name, ONNX_ATTR_FLOAT)->f = v;
}

/* An initializer; values are copied (float32 unless dtype says otherwise). */
static void add_init(struct exporter *ex, const char *name, int dtype, int rank,
                     const int64_t *dims, const double *values)
{
    mlp_xreserve(&ex->m.init, &ex->capinit, ex->m.ninit + 1, sizeof *ex->m.init);
    struct onnx_tensor *t = &ex->m.init[ex->m.ninit++];
    memset(t, 0, sizeof *t);
    t->name = mlp_xstrdup(name);
    t->dtype = dtype;
    t->rank = rank;
    t->size = 1;
    for (int d = 0; d < rank; d++)
        t->size *= (t->dims[d] = dims[d]);
    t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
    memcpy(t->values, values, (size_t)t->size * sizeof *values);
}

/* A Constant node holding a helper tensor (a shape, a number of a pattern); its name. */
static char *const_node(struct exporter *ex, mlp_id id, const char *what, int dtype, int n,
                        const double *v)
{
    char *name = fresh_name(ex, what, id);
    struct onnx_node *c = add_node(ex, "Constant", NULL, 0, name);
    struct onnx_tensor *t = add_attr(c, "value", ONNX_ATTR_TENSOR)->t =
        mlp_xcalloc(1, sizeof *t);
    t->dtype = dtype;
    t->rank = n < 0 ? 0 : 1;
    t->size = n < 0 ? 1 : n;
    t->dims[0] = n;
    t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
    memcpy(t->values, v, (size_t)t->size * sizeof *v);
    return name;
}

static char *int_const(struct exporter *ex, mlp_id id, const char *what, const int64_t *v, int n)
{
    double vals[MLP_MAX_RANK + 2];
    for (int i = 0; i < n; i++)
        vals[i] = (double)v[i];
    return const_node(ex, id, what, ONNX_INT64, n, vals);
}

/* A float scalar (rank 0). */
static char *float_const(struct exporter *ex, mlp_id id, const char *what, double v)
{
    return const_node(ex, id, what, ONNX_FLOAT, -1, &v);
}

static void shape_dims(const struct mlp_node *n, int *rank, int64_t *dims)
{
    *rank = 0;
    if (n->batched)
        dims[(*rank)++] = -1;
    for (int d = 0; d < n->shape.rank; d++)
        dims[(*rank)++] = n->shape.dim[d];
    if (n->batched && n->shape.rank == 0)
        dims[(*rank)++] = 1; /* a per-sample scalar is a column, so that it broadcasts */
}

static void add_value(struct exporter *ex, bool input, const char *name, const struct mlp_node *n)
{
    struct onnx_value **list = input ? &ex->m.input : &ex->m.output;
    int *count = input ? &ex->m.ninput : &ex->m.noutput;
    mlp_xreserve(list, input ? &ex->capin : &ex->capout, *count + 1, sizeof **list);
    struct onnx_value *v = &(*list)[(*count)++];
    memset(v, 0, sizeof *v);
    v->name = mlp_xstrdup(name);
    v->elem = ONNX_FLOAT;
    shape_dims(n, &v->rank, v->dims);
}

/* ---- values ---- */

static const char *val(const struct exporter *ex, mlp_id id) { return ex->vname[id]; }

static const struct mlp_node *nd(const struct exporter *ex, mlp_id id) { return &ex->g->nodes[id]; }

/* Operand i of node id, as the ONNX value name. */
static const char *opnd(const struct exporter *ex, mlp_id id, int i)
{
    return val(ex, nd(ex, id)->in[i]);
}

/* A scalar anonymous constant's value, if operand i of id is one. */
static bool const_scalar(const struct exporter *ex, mlp_id id, int i, double *v)
{
    mlp_id c = nd(ex, id)->in[i];
    if (nd(ex, c)->op != MLP_OP_CONST || nd(ex, c)->shape.rank != 0)
        return false;
    *v = mlp_node_values(ex->g, c)[0];
    return fits_float(*v);
}

/* Operand i reshaped to [N, 1, ..., 1] (rank + 1 dims) when it is a batched per-sample scalar
 * meeting a value of rank >= 2: ONNX aligns shapes from the right. */
static const char *aligned(struct exporter *ex, mlp_id id, int i, char **tmp)
{
    const struct mlp_node *x = nd(ex, nd(ex, id)->in[i]);
    int rank = nd(ex, id)->shape.rank;
    *tmp = NULL;
    if (!x->batched || x->shape.rank != 0 || rank < 2)
        return opnd(ex, id, i);
    int64_t shape[MLP_MAX_RANK + 1];
    shape[0] = -1;
    for (int d = 1; d <= rank; d++)
        shape[d] = 1;
    char *s = int_const(ex, id, "shape", shape, rank + 1);
    *tmp = fresh_name(ex, "aligned", id);
    const char *in[2] = {opnd(ex, id, i), s};
    add_node(ex, "Reshape", in, 2, *tmp);
    free(s);
    return *tmp;
}

/* ---- ops ---- */

static bool elementwise(struct exporter *ex, mlp_id id, const char *op, const char *out)
{
    char *t0, *t1;
    const char *a = aligned(ex, id, 0, &t0), *b = aligned(ex, id, 1, &t1);
    const char *in[2] = {a, b};
    add_node(ex, op, in, 2, out);
    free(t0);
    free(t1);
    return true;
}

static bool unary(struct exporter *ex, mlp_id id, const char *op, const char *out)
{
    const char *in[1] = {opnd(ex, id, 0)};
    add_node(ex, op, in, 1, out);
    return true;
}

/* Which operand of add node id is a matmul W @ x that joins it as one Gemm (W a constant
 * matrix, x a batch of vectors, the other operand a constant vector b, the product used only
 * here and unnamed), or -1. */
static int gemm_side(const struct exporter *ex, mlp_id id)
{
    const struct mlp_node *n = nd(ex, id);
    bool affine = mlp_op(n->op)->onnx.form == MLP_ONNX_AFFINE;
    for (int side = 0; affine && side < 2; side++) {
        mlp_id mm = n->in[side], b = n->in[1 - side];
        const struct mlp_node *m = nd(ex, mm);
        if (mlp_op(m->op)->onnx.form != MLP_ONNX_MATMUL || ex->uses[mm] != 1 ||
            mlp_node_name(ex->g, mm) || nd(ex, b)->batched || nd(ex, b)->shape.rank != 1)
            continue;
        const struct mlp_node *w = nd(ex, m->in[0]), *x = nd(ex, m->in[1]);
        if (!w->batched && w->shape.rank == 2 && x->batched && x->shape.rank == 1)
            return side;
    }
    return -1;
}

static bool gemm(struct exporter *ex, mlp_id id, const char *out)
{
    int side = gemm_side(ex, id);
    if (side < 0)
        return false;
    const struct mlp_node *n = nd(ex, id), *m = nd(ex, n->in[side]);
    const char *in[3] = {val(ex, m->in[1]), val(ex, m->in[0]), val(ex, n->in[1 - side])};
    attr_int(add_node(ex, "Gemm", in, 3, out), "transB", 1);
    return true;
}

static bool matmul(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_node *n = nd(ex, id), *a = nd(ex, n->in[0]), *b = nd(ex, n->in[1]);
    if (!a->batched && a->shape.rank == 2 && b->batched && b->shape.rank == 1) {
        /* W @ x for a batch of x: the rows are the samples, so X W^T */
        const char *in[2] = {opnd(ex, id, 1), opnd(ex, id, 0)};
        struct onnx_node *g = add_node(ex, "Gemm", in, 2, out);
        attr_int(g, "transB", 1);
        return true;
    }
    if (a->batched && a->shape.rank == 1 && !b->batched && b->shape.rank >= 1) {
        if (b->shape.rank == 2) { /* x @ W */
            const char *in[2] = {opnd(ex, id, 0), opnd(ex, id, 1)};
            add_node(ex, "MatMul", in, 2, out);
            return true;
        }
        /* x @ v = dot(x, v), a column per sample: X times v as a [k, 1] matrix */
        int64_t shape[2] = {b->shape.dim[0], 1};
        char *s = int_const(ex, id, "shape", shape, 2), *col = fresh_name(ex, "column", id);
        const char *rin[2] = {opnd(ex, id, 1), s}, *min[2] = {opnd(ex, id, 0), col};
        add_node(ex, "Reshape", rin, 2, col);
        add_node(ex, "MatMul", min, 2, out);
        free(s);
        free(col);
        return true;
    }
    if (!a->batched && !b->batched) {
        const char *in[2] = {opnd(ex, id, 0), opnd(ex, id, 1)};
        add_node(ex, "MatMul", in, 2, out);
        return true;
    }
    return ex_fail(ex, id, "a product of a batched %s and a %s %s is not written yet",
                   a->shape.rank == 1 ? "vector" : "matrix", b->batched ? "batched" : "constant",
                   b->shape.rank == 1 ? "vector" : "matrix");
}

/* dot(a, b) of a batch of vectors with a constant one (either order): as matmul. */
static bool dot(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_node *n = nd(ex, id);
    mlp_id a = n->in[0], b = n->in[1];
    if (nd(ex, a)->batched == nd(ex, b)->batched && nd(ex, a)->batched)
        return ex_fail(ex, id, "a dot product of two batched vectors is not written yet");
    mlp_id x = nd(ex, a)->batched ? a : b, v = x == a ? b : a;
    int64_t shape[2] = {nd(ex, v)->shape.dim[0], 1};
    char *s = int_const(ex, id, "shape", shape, 2), *col = fresh_name(ex, "column", id);
    const char *rin[2] = {val(ex, v), s}, *min[2] = {val(ex, x), col};
    add_node(ex, "Reshape", rin, 2, col);
    add_node(ex, "MatMul", min, 2, out); /* [N, k] @ [k, 1]: a column, as scalars are */
    free(s);
    free(col);
    return true;
}

/* step(z) = 1 where z >= 0: Cast(GreaterOrEqual(z, 0)) (what the importer reads back). */
static bool step(struct exporter *ex, mlp_id id, const char *out)
{
    char *zero = float_const(ex, id, "zero", 0), *ge = fresh_name(ex, "ge", id);
    const char *in[2] = {opnd(ex, id, 0), zero}, *cin[1] = {ge};
    add_node(ex, "GreaterOrEqual", in, 2, ge);
    attr_int(add_node(ex, "Cast", cin, 1, out), "to", ONNX_FLOAT);
    free(zero);
    free(ge);
    return true;
}

/* f(x, a) with a constant scalar a as the attribute alpha. */
static bool with_alpha(struct exporter *ex, mlp_id id, const char *op, const char *out)
{
    double a;
    if (!const_scalar(ex, id, 1, &a))
        return ex_fail(ex, id, "its slope must be a constant number within float32");
    const char *in[1] = {opnd(ex, id, 0)};
    attr_float(add_node(ex, op, in, 1, out), "alpha", a);
    return true;
}

static bool clip(struct exporter *ex, mlp_id id, double lo, double hi, const char *out)
{
    char *l = float_const(ex, id, "lo", lo), *h = float_const(ex, id, "hi", hi);
    const char *in[3] = {opnd(ex, id, 0), l, h};
    add_node(ex, "Clip", in, 3, out);
    free(l);
    free(h);
    return true;
}

/* gelu(x) = x * 0.5 * (1 + erf(x / sqrt 2)), as PyTorch exports it (opset 17 has no Gelu). */
static bool gelu(struct exporter *ex, mlp_id id, const char *out)
{
    char *c = float_const(ex, id, "sqrt2", sqrt(2.0)), *one = float_const(ex, id, "one", 1),
         *half = float_const(ex, id, "half", 0.5);
    char *d = fresh_name(ex, "gelu_div", id), *e = fresh_name(ex, "gelu_erf", id),
         *p = fresh_name(ex, "gelu_add", id), *m = fresh_name(ex, "gelu_mul", id);
    const char *x = opnd(ex, id, 0);
    const char *i1[2] = {x, c}, *i2[1] = {d}, *i3[2] = {e, one}, *i4[2] = {x, p}, *i5[2] = {m, half};
    add_node(ex, "Div", i1, 2, d);
    add_node(ex, "Erf", i2, 1, e);
    add_node(ex, "Add", i3, 2, p);
    add_node(ex, "Mul", i4, 2, m);
    add_node(ex, "Mul", i5, 2, out);
    char *names[] = {c, one, half, d, e, p, m};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        free(names[i]);
    return true;
}

static bool softmax_like(struct exporter *ex, mlp_id id, const char *op, const char *out)
{
    const char *in[1] = {opnd(ex, id, 0)};
    attr_int(add_node(ex, op, in, 1, out), "axis", -1);
    return true;
}

/* batch_norm_infer(x, mean, var, gamma, beta, eps): BatchNormalization(x, gamma, beta, mean,
 * var) over a batch of vectors, eps a constant number. */
_Static_assert(MLP_MAX_ARITY >= 6, "batch_norm_infer reads six operands");
static bool batch_norm(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_node *n = nd(ex, id);
    double eps;
    if (!nd(ex, n->in[0])->batched || nd(ex, n->in[0])->shape.rank != 1 ||
        !const_scalar(ex, id, 5, &eps))
        return ex_fail(ex, id, "ONNX normalises a batch of vectors, with a constant epsilon");
    for (int i = 1; i < 5; i++)
        if (nd(ex, n->in[i])->batched || nd(ex, n->in[i])->shape.rank != 1)
            return ex_fail(ex, id, "its statistics and affine parameters must be constant vectors");
    const char *in[5] = {opnd(ex, id, 0), opnd(ex, id, 3), opnd(ex, id, 4), opnd(ex, id, 1),
                         opnd(ex, id, 2)};
    attr_float(add_node(ex, "BatchNormalization", in, 5, out), "epsilon", eps);
    return true;
}

/* concat(a, b) of two vectors per sample (both batched, or both constants): Concat on the last
 * axis. */
static bool concat(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_node *a = nd(ex, nd(ex, id)->in[0]), *b = nd(ex, nd(ex, id)->in[1]);
    if (a->batched != b->batched || a->shape.rank != 1 || b->shape.rank != 1)
        return ex_fail(ex, id, "ONNX concatenates values of the same rank: two batched vectors "
                               "or two constant ones");
    const char *in[2] = {opnd(ex, id, 0), opnd(ex, id, 1)};
    attr_int(add_node(ex, "Concat", in, 2, out), "axis", -1);
    return true;
}

/* reshape(x, [dims]) and flatten(x): Reshape to [-1, dims...] for a batch (-1 keeps it; the
 * importer reads a leading -1 so), or to [dims...] for a constant. */
static bool reshape(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_node *n = nd(ex, id);
    int64_t shape[MLP_MAX_RANK + 2];
    int k = 0;
    if (n->batched)
        shape[k++] = -1;
    for (int d = 0; d < n->shape.rank; d++)
        shape[k++] = n->shape.dim[d];
    if (n->batched && n->shape.rank == 0)
        shape[k++] = 1; /* a per-sample scalar is a column */
    char *s = int_const(ex, id, "shape", shape, k);
    const char *in[2] = {opnd(ex, id, 0), s};
    add_node(ex, "Reshape", in, 2, out);
    free(s);
    return true;
}

/* a[i, j, ...]: one Gather per index along the axis after the batch (scalar indices drop it);
 * the last index of a value that ends a scalar per sample is a one-element list, so the result
 * is the [N, 1] column scalars are. */
static bool index_op(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_node *n = nd(ex, id);
    int nidx = n->attr[0];
    char *cur = mlp_xstrdup(opnd(ex, id, 0));
    for (int k = 0; k < nidx; k++) {
        bool last = k == nidx - 1, column = last && n->batched && n->shape.rank == 0;
        double i = n->attr[1 + k];
        char *ix = const_node(ex, id, "index", ONNX_INT64, column ? 1 : -1, &i);
        char *next = last ? mlp_xstrdup(out) : fresh_name(ex, "gather", id);
        const char *in[2] = {cur, ix};
        attr_int(add_node(ex, "Gather", in, 2, next), "axis", n->batched ? 1 : 0);
        free(ix);
        free(cur);
        cur = next;
    }
    free(cur);
    return true;
}

static bool transpose(struct exporter *ex, mlp_id id, const char *out)
{
    if (nd(ex, id)->batched)
        return ex_fail(ex, id, "a transpose per sample is not written yet");
    return unary(ex, id, "Transpose", out);
}

/* clip(x, lo, hi) with constant bounds, or an op with fixed ones (relu6 = clip(x, 0, 6)). */
static bool clip_op(struct exporter *ex, mlp_id id, const struct mlp_onnx_out *o, const char *out)
{
    if (mlp_op_arity(nd(ex, id)->op) == 1)
        return clip(ex, id, o->lo, o->hi, out);
    double lo, hi;
    if (!const_scalar(ex, id, 1, &lo) || !const_scalar(ex, id, 2, &hi))
        return ex_fail(ex, id, "its bounds must be constant numbers within float32");
    return clip(ex, id, lo, hi, out);
}

/* The op's ONNX pattern, from the op table. */
static bool export_op(struct exporter *ex, mlp_id id, const char *out)
{
    const struct mlp_onnx_out *o = &mlp_op(nd(ex, id)->op)->onnx;
    switch (o->form) {
    case MLP_ONNX_UNARY: return unary(ex, id, o->type, out);
    case MLP_ONNX_BINARY: return elementwise(ex, id, o->type, out);
    case MLP_ONNX_AFFINE: return gemm(ex, id, out) || elementwise(ex, id, o->type, out);
    case MLP_ONNX_MATMUL: return matmul(ex, id, out);
    case MLP_ONNX_DOT: return dot(ex, id, out);
    case MLP_ONNX_TRANSPOSE: return transpose(ex, id, out);
    case MLP_ONNX_INDEX: return index_op(ex, id, out);
    case MLP_ONNX_STEP: return step(ex, id, out);
    case MLP_ONNX_SOFTMAX: return softmax_like(ex, id, o->type, out);
    case MLP_ONNX_ALPHA: return with_alpha(ex, id, o->type, out);
    case MLP_ONNX_CLIP: return clip_op(ex, id, o, out);
    case MLP_ONNX_GELU: return gelu(ex, id, out);
    case MLP_ONNX_BATCH_NORM: return batch_norm(ex, id, out);
    case MLP_ONNX_CONCAT: return concat(ex, id, out);
    case MLP_ONNX_RESHAPE: return reshape(ex, id, out);
    case MLP_ONNX_NONE: break;
    }
    return ex_fail(ex, id, "ONNX has no counterpart that mlp writes");
}

/* ---- the graph ---- */

static bool export_leaf(struct exporter *ex, mlp_id id)
{
    const struct mlp_node *n = nd(ex, id);
    ex->vname[id] = value_name(ex, id);
    if (n->op == MLP_OP_INPUT) {
        add_value(ex, true, ex->vname[id], n);
        return true;
    }
    int64_t dims[MLP_MAX_RANK];
    for (int d = 0; d < n->shape.rank; d++)
        dims[d] = n->shape.dim[d];
    const double *v = mlp_node_values(ex->g, id);
    for (int64_t i = 0; i < mlp_shape_size(n->shape); i++)
        if (!fits_float(v[i]))
            return ex_fail(ex, id, "element %lld, %g, is beyond float32", (long long)i, v[i]);
    if (n->op == MLP_OP_CONST && !mlp_node_name(ex->g, id)) {
        /* a number written in an expression: a Constant node, which imports as a literal */
        struct onnx_node *c = add_node(ex, "Constant", NULL, 0, ex->vname[id]);
        struct onnx_tensor *t = add_attr(c, "value", ONNX_ATTR_TENSOR)->t =
            mlp_xcalloc(1, sizeof *t);
        t->dtype = ONNX_FLOAT;
        t->rank = n->shape.rank;
        t->size = mlp_shape_size(n->shape);
        memcpy(t->dims, dims, (size_t)n->shape.rank * sizeof *dims);
        t->values = mlp_xmalloc((size_t)(t->size ? t->size : 1) * sizeof *t->values);
        memcpy(t->values, v, (size_t)t->size * sizeof *v);
        return true;
    }
    add_init(ex, ex->vname[id], ONNX_FLOAT, n->shape.rank, dims, v);
    return true;
}

static bool export_graph(struct exporter *ex)
{
    const mlp_graph *g = ex->g;
    if (g->noutputs == 0)
        return mlp_fail(ex->err, MLP_ERR_INPUT, ex->file, MLP_NOLOC,
                        "the model has no outputs to export (add `output NAME`)"), false;
    mlp_id *roots = mlp_xmalloc((size_t)g->noutputs * sizeof *roots);
    for (int i = 0; i < g->noutputs; i++)
        roots[i] = g->names[g->outputs[i]].node;
    bool *mark = mlp_xcalloc((size_t)g->n, sizeof *mark);
    mlp_graph_ancestors(g, roots, g->noutputs, mark);
    free(roots);
    for (int i = 0; i < g->nby_kind[MLP_INPUT]; i++)
        mark[g->names[g->by_kind[MLP_INPUT][i]].node] = true; /* every input, used or not */
    for (mlp_id id = 0; id < g->n; id++)
        for (int i = 0; mark[id] && i < mlp_op_arity(nd(ex, id)->op); i++)
            ex->uses[nd(ex, id)->in[i]]++;
    for (mlp_id id = 0; id < g->n; id++)
        if (mark[id] && gemm_side(ex, id) >= 0)
            ex->fused[nd(ex, id)->in[gemm_side(ex, id)]] = true;
    bool ok = true;
    for (mlp_id id = 0; ok && id < g->n; id++) {
        if (!mark[id] || ex->fused[id])
            continue;
        if (mlp_op(nd(ex, id)->op)->cls == MLP_CLASS_LEAF) {
            ok = export_leaf(ex, id);
            continue;
        }
        ex->vname[id] = value_name(ex, id);
        ok = export_op(ex, id, ex->vname[id]);
    }
    free(mark);
    for (int i = 0; ok && i < g->noutputs; i++) {
        mlp_id id = g->names[g->outputs[i]].node;
        const char *oname = g->names[g->outputs[i]].text;
        if (strcmp(val(ex, id), oname)) { /* a second name for a value: an Identity */
            const char *in[1] = {val(ex, id)};
            add_node(ex, "Identity", in, 1, oname);
        }
        add_value(ex, false, oname, nd(ex, id));
    }
    return ok;
}

int mlp_onnx_export(const mlp_graph *g, const char *file, unsigned char **data, size_t *len,
                    mlp_error *err)
{
    struct exporter ex = {.g = g, .err = err, .file = file};
    ex.m.ir_version = IR_VERSION;
    ex.m.opset = OPSET;
    ex.m.has_graph = true;
    ex.vname = mlp_xcalloc((size_t)(g->n ? g->n : 1), sizeof *ex.vname);
    ex.uses = mlp_xcalloc((size_t)(g->n ? g->n : 1), sizeof *ex.uses);
    ex.fused = mlp_xcalloc((size_t)(g->n ? g->n : 1), sizeof *ex.fused);
    bool ok = export_graph(&ex);
    if (ok) {
        struct pb_writer w = {0};
        onnx_write(&ex.m, &w);
        *data = w.buf;
        *len = w.len;
    }
    for (mlp_id id = 0; id < g->n; id++)
        free(ex.vname[id]);
    free(ex.vname);
    free(ex.uses);
    free(ex.fused);
    onnx_model_free(&ex.m);
    return ok ? MLP_OK : err->status;
}

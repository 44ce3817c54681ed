/* layout.c - whole-sample structure: concat, slice, reshape, flatten, and argmax. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <stdio.h>

enum { Z = MLP_S_Z, P = MLP_S_P };

#define LAYOUT_INFO(ID, shape_, fwd, vjp_, math_, latex_, ...)                                  \
    const struct mlp_op_info mlp_op_info_##ID = {                                               \
        .cls = MLP_CLASS_LINEAR, .shape = shape_, .forward = fwd, .vjp = vjp_,                  \
        .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = math_, .latex = latex_,       \
        __VA_ARGS__};

/* Copy `count` elements of each sample of operand i, from element `from`, to element `to` of
 * each sample of the result (n elements per sample). */
static void copy_part(const struct mlp_kargs *k, int i, int64_t from, int64_t count, int64_t to,
                      int64_t n)
{
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *x = (const T *)k->in[i] + r * k->in_stride[i] + from;
        memcpy((T *)k->out + r * n + to, x, (size_t)count * sizeof(T));
    });
}

/* A vector's elements [start, stop) as a value shaped like `like` (a scalar, or a vector). */
static mlp_id part(mlp_graph *g, mlp_id v, int32_t start, mlp_shape like)
{
    if (like.rank == 0)
        return mlp_index(g, v, &start, 1);
    int32_t attr[MLP_MAX_ATTR] = {start, start + like.dim[0]};
    return mlp_build(g, MLP_OP_SLICE, &v, attr, mlp_shape_scalar());
}

/* ---- concat(a, b): the elements of a then of b (vectors or scalars) ---- */
static bool concat_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape a = mlp_in_shape(g, nd, 0), b = mlp_in_shape(g, nd, 1);
    if (a.rank > 1 || b.rank > 1) {
        struct mlp_shape_texts t;
        mlp_shape_texts(g, nd, &t);
        mlp_graph_fail(g, "concat needs vectors or scalars, got %s and %s in %s", t.a, t.b, t.ctx);
        return false;
    }
    *out = mlp_shape_1d((int)(mlp_shape_size(a) + mlp_shape_size(b)));
    return true;
}
static void concat_forward(const struct mlp_kargs *k)
{
    int64_t na = mlp_shape_size(k->inode[0]->shape), n = mlp_shape_size(k->node->shape);
    copy_part(k, 0, 0, na, 0, n);
    copy_part(k, 1, 0, n - na, na, n);
}
static void concat_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    mlp_shape a = mlp_node(g, mlp_operand(g, y, 0))->shape;
    mlp_shape b = mlp_node(g, mlp_operand(g, y, 1))->shape;
    gx[0] = need[0] ? part(g, gy, 0, a) : MLP_NONE;
    gx[1] = need[1] ? part(g, gy, (int32_t)mlp_shape_size(a), b) : MLP_NONE;
}
/* concat(a, b, c, ...) = concat(concat(a, b), c) ... */
static mlp_id concat_call(mlp_graph *g, enum mlp_op op, const mlp_id *args, int nargs)
{
    mlp_id y = args[0];
    for (int i = 1; i < nargs; i++)
        y = mlp_op2(g, op, y, args[i]);
    return y;
}
LAYOUT_INFO(CONCAT, concat_shape, concat_forward, concat_vjp, "concat", "\\operatorname{concat}",
            .max_args = MLP_MAX_CALL_ARGS, .call = concat_call, .sign_fn = mlp_sign_union,
            .vsem = MLP_V_MOVE,
            .onnx = MLP_ONNX_OP(CONCAT, NULL))

/* ---- slice(v, start, stop): elements start .. stop - 1 of a vector ---- */
static bool slice_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape v = mlp_in_shape(g, nd, 0);
    if (v.rank != 1)
        return mlp_shape_require(g, nd, "a vector");
    int32_t start = nd->attr[0], stop = nd->attr[1];
    if (start < 0 || stop <= start || stop > v.dim[0]) {
        char ctx[100];
        mlp_graph_context(g, nd->op, ctx, sizeof ctx);
        mlp_graph_fail(g, "slice %d to %d out of range for a vector of %d elements in %s", start,
                       stop, v.dim[0], ctx);
        return false;
    }
    *out = mlp_shape_1d(stop - start);
    return true;
}
static void slice_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    copy_part(k, 0, k->node->attr[0], n, 0, n);
}
/* The adjoint is gy placed at [start, stop) of zeros. */
static void slice_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    struct mlp_node nd = *mlp_node(g, y);
    int32_t n = mlp_node(g, nd.in[0])->shape.dim[0];
    mlp_id r = gy;
    if (nd.attr[0] > 0)
        r = mlp_op2(g, MLP_OP_CONCAT, mlp_const_fill(g, mlp_shape_1d(nd.attr[0]), 0), r);
    if (nd.attr[1] < n)
        r = mlp_op2(g, MLP_OP_CONCAT, r, mlp_const_fill(g, mlp_shape_1d(n - nd.attr[1]), 0));
    gx[0] = r;
}
LAYOUT_INFO(SLICE, slice_shape, slice_forward, slice_vjp, "slice", "\\operatorname{slice}",
            .extra = MLP_EXTRA_RANGE, .sign = MLP_SIGNS_SAME, .vsem = MLP_V_MOVE)

/* ---- reshape(x, [dims]) and flatten(x): the same elements in another shape ---- */
static bool reshape_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape x = mlp_in_shape(g, nd, 0);
    if (mlp_shape_size(x) != mlp_shape_size(nd->shape)) {
        char ctx[100], a[64], b[64];
        mlp_graph_context(g, nd->op, ctx, sizeof ctx);
        mlp_shape_format(x, a);
        mlp_shape_format(nd->shape, b);
        mlp_graph_fail(g, "reshape of %s to %s changes the number of elements in %s", a, b, ctx);
        return false;
    }
    *out = nd->shape;
    return true;
}
static bool flatten_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    *out = mlp_shape_1d((int)mlp_shape_size(mlp_in_shape(g, nd, 0)));
    return true;
}
static void reshape_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    copy_part(k, 0, 0, n, 0, n);
}
static void reshape_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    mlp_shape x = mlp_node(g, mlp_operand(g, y, 0))->shape;
    gx[0] = mlp_build(g, MLP_OP_RESHAPE, &gy, NULL, x);
}
LAYOUT_INFO(RESHAPE, reshape_shape, reshape_forward, reshape_vjp, "reshape",
            "\\operatorname{reshape}", .extra = MLP_EXTRA_SHAPE, .sign = MLP_SIGNS_SAME,
            .sign_back = true, .vsem = MLP_V_MOVE,
            .onnx = MLP_ONNX_OP(RESHAPE, NULL))
LAYOUT_INFO(FLATTEN, flatten_shape, reshape_forward, reshape_vjp, "flatten",
            "\\operatorname{flatten}", .sign = MLP_SIGNS_SAME, .sign_back = true,
            .vsem = MLP_V_MOVE,
            .onnx = MLP_ONNX_OP(RESHAPE, NULL))

/* ---- argmax(v): the index of the first largest element (a nan counts as largest) ---- */
static bool argmax_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    if (mlp_in_shape(g, nd, 0).rank != 1)
        return mlp_shape_require(g, nd, "a vector");
    *out = mlp_shape_scalar();
    return true;
}
static void argmax_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->inode[0]->shape);
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *x = (const T *)k->in[0] + r * k->in_stride[0];
        int64_t best = 0;
        for (int64_t i = 0; i < n; i++) {
            if (x[i] != x[i]) {
                best = i;
                break;
            }
            if (x[i] > x[best])
                best = i;
        }
        ((T *)k->out)[r] = (T)best;
    });
}
static unsigned argmax_signs(const unsigned *in)
{
    (void)in;
    return Z | P;
}
const struct mlp_op_info mlp_op_info_ARGMAX = {
    .cls = MLP_CLASS_SMOOTH, .shape = argmax_shape, .forward = argmax_forward,
    .grad = MLP_GRAD_NONE, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "argmax",
    .latex = "\\operatorname{argmax}", .sign_fn = argmax_signs};

/* ---- the C lowerings (graph/ops_c.h) ---- */

enum { C_COPY, C_COPY_FROM_ATTR, C_COPY_TWO }; /* the forms of emit_copy */

/* The same elements in another place: reshape, flatten, slice, concat. */
static void emit_copy(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    const struct mlp_node *nd = mlp_node(cg->g, id);
    int form = mlp_c_variant(cg, id);
    int64_t n = mlp_c_size(cg, id), from = form == C_COPY_FROM_ATTR ? nd->attr[0] : 0;
    int64_t na = form == C_COPY_TWO ? mlp_c_size(cg, low->in[0]) : n;
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = a[%lld + i];\n",
      (long long)na, (long long)from);
    if (form == C_COPY_TWO)
        P("        for (i = 0; i < %lld; i++)\n            y[%lld + i] = b[i];\n", (long long)(n - na),
          (long long)na);
}

/* argmax: the first largest element, or the first NaN, as a float index. */
static void emit_argmax(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i, best = 0;\n        for (i = 0; i < %lld; i++) {\n", (long long)mlp_c_size(cg, low->in[0]));
    P("            if (a[i] != a[i]) {\n                best = i;\n                break;\n            }\n"
      "            if (a[i] > a[best])\n                best = i;\n        }\n        y[0] = (float)best;\n");
    (void)id;
}

MLP_C_OP(CONCAT, MLP_C_FORM(emit_copy, C_COPY_TWO, 0), MLP_Q8_NO)
MLP_C_OP(SLICE, MLP_C_FORM(emit_copy, C_COPY_FROM_ATTR, 0), MLP_Q8_NO)
MLP_C_OP(RESHAPE, MLP_C_EMIT(emit_copy, 0), MLP_Q8_NO)
MLP_C_OP(FLATTEN, MLP_C_EMIT(emit_copy, 0), MLP_Q8_NO)
MLP_C_OP(ARGMAX, MLP_C_EMIT(emit_argmax, 0), MLP_Q8_NO)

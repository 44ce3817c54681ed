/* structure.c - picking elements (x[i], W[i, j]), placing them back, and spreading a scalar. */
#include "graph/ops/common.h"
#include "graph/ops/cemit.h"

#include <stdio.h>

/* attr[0] holds how many leading axes are indexed, attr[1..] the positions. */

/* Offset of the block x[idx...] within one sample of a value of shape `full`. */
static int64_t block_offset(mlp_shape full, const int32_t *attr)
{
    int64_t off = 0;
    for (int i = 0; i < full.rank; i++)
        off = off * full.dim[i] + (i < attr[0] ? attr[1 + i] : 0);
    return off;
}

static bool indices_fit(mlp_graph *g, const struct mlp_node *nd, mlp_shape full)
{
    int nidx = nd->attr[0];
    char ctx[100], s[64];
    mlp_graph_context(g, nd->op, ctx, sizeof ctx);
    mlp_shape_format(full, s);
    if (nidx < 1 || nidx > full.rank) {
        mlp_graph_fail(g, "%d indices for a value of shape %s in %s", nidx, s, ctx);
        return false;
    }
    for (int i = 0; i < nidx; i++)
        if (nd->attr[1 + i] < 0 || nd->attr[1 + i] >= full.dim[i]) {
            mlp_graph_fail(g, "index %d out of range for axis %d of size %d (shape %s) in %s",
                           nd->attr[1 + i], i, full.dim[i], s, ctx);
            return false;
        }
    return true;
}

static mlp_shape drop_leading(mlp_shape s, int n)
{
    mlp_shape r = {s.rank - n, {0}};
    for (int i = 0; i < r.rank; i++)
        r.dim[i] = s.dim[n + i];
    return r;
}

/* Copy a block of `count` elements per sample; `to_block` picks direction. */
static void copy_blocks(const struct mlp_kargs *k, int64_t full_size, int64_t count, int64_t off,
                        bool to_block)
{
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        const T *x = (const T *)k->in[0] + r * k->in_stride[0];
        if (to_block) {
            memcpy((T *)k->out + r * count, x + off, (size_t)count * sizeof(T));
        } else {
            T *y = (T *)k->out + r * full_size;
            memset(y, 0, (size_t)full_size * sizeof(T));
            memcpy(y + off, x, (size_t)count * sizeof(T));
        }
    });
}

/* ---- index: x[i, ...] ---- */

static bool index_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape full = mlp_in_shape(g, nd, 0);
    if (!indices_fit(g, nd, full))
        return false;
    *out = drop_leading(full, nd->attr[0]);
    return true;
}

static void index_forward(const struct mlp_kargs *k)
{
    mlp_shape full = k->inode[0]->shape;
    copy_blocks(k, mlp_shape_size(full), mlp_shape_size(k->node->shape),
                block_offset(full, k->node->attr), true);
}

static void index_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    struct mlp_node nd = *mlp_node(g, y); /* a copy: building may move the node array */
    gx[0] = mlp_unindex(g, gy, mlp_node(g, nd.in[0])->shape, nd.attr + 1, nd.attr[0]);
}

const struct mlp_op_info mlp_op_info_INDEX = {
    .cls = MLP_CLASS_LINEAR, .shape = index_shape, .forward = index_forward, .vjp = index_vjp,
    .syntax = MLP_SYNTAX_INDEX, .prec = MLP_PREC_POSTFIX, .math = "[]", .latex = "[]",
    .sign = MLP_SIGNS_SAME, .vsem = MLP_V_MOVE, .math_form = MLP_MATH_INDEX,
    .onnx = MLP_ONNX_OP(INDEX, NULL)};

/* ---- unindex(x, [shape], i, ...): zeros of `shape` with x placed at [i, ...] ---- */

static bool unindex_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    mlp_shape full = nd->shape; /* the target shape, given by the builder */
    if (!indices_fit(g, nd, full))
        return false;
    if (!mlp_shape_equal(drop_leading(full, nd->attr[0]), mlp_in_shape(g, nd, 0)))
        return mlp_shape_require(g, nd, "a value shaped like the indexed block");
    *out = full;
    return true;
}

static void unindex_forward(const struct mlp_kargs *k)
{
    mlp_shape full = k->node->shape;
    copy_blocks(k, mlp_shape_size(full), mlp_shape_size(k->inode[0]->shape),
                block_offset(full, k->node->attr), false);
}

static void unindex_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)need;
    struct mlp_node nd = *mlp_node(g, y); /* a copy: building may move the node array */
    gx[0] = mlp_index(g, gy, nd.attr + 1, nd.attr[0]);
}

const struct mlp_op_info mlp_op_info_UNINDEX = {
    .cls = MLP_CLASS_LINEAR, .shape = unindex_shape, .forward = unindex_forward,
    .vjp = unindex_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM, .math = "unindex",
    .latex = "\\operatorname{unindex}",
    .sign_fn = mlp_sign_with_zeros, .vsem = MLP_V_MOVE, .extra = MLP_EXTRA_SHAPE_INDICES};

/* ---- broadcast(s, [shape]): a scalar spread to every element ---- */

static bool broadcast_shape(mlp_graph *g, const struct mlp_node *nd, mlp_shape *out)
{
    if (mlp_in_shape(g, nd, 0).rank != 0)
        return mlp_shape_require(g, nd, "a scalar");
    *out = nd->shape;
    return true;
}

static void broadcast_forward(const struct mlp_kargs *k)
{
    int64_t n = mlp_shape_size(k->node->shape);
    MLP_DISPATCH(k->dtype, for (int r = 0; r < k->rows; r++) {
        T v = ((const T *)k->in[0])[r * k->in_stride[0]];
        T *y = (T *)k->out + r * n;
        for (int64_t i = 0; i < n; i++)
            y[i] = v;
    });
}

static void broadcast_vjp(mlp_graph *g, mlp_id y, mlp_id gy, mlp_id gx[], const bool need[])
{
    (void)y, (void)need;
    gx[0] = mlp_unary(g, MLP_OP_SUM, gy);
}

const struct mlp_op_info mlp_op_info_BROADCAST = {
    .cls = MLP_CLASS_LINEAR, .shape = broadcast_shape, .forward = broadcast_forward,
    .vjp = broadcast_vjp, .syntax = MLP_SYNTAX_CALL, .prec = MLP_PREC_ATOM,
    .math = "broadcast", .latex = "\\operatorname{broadcast}",
    .sign = MLP_SIGNS_SAME, .vsem = MLP_V_MOVE, .math_form = MLP_MATH_PER_SAMPLE,
    .extra = MLP_EXTRA_SHAPE};

/* ---- the C lowerings (graph/ops_c.h) ---- */

static void emit_index(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    const struct mlp_node *n = mlp_node(cg->g, id);
    int64_t off = block_offset(mlp_node(cg->g, low->operand[0])->shape, n->attr);
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = a[%lld + i];\n",
      (long long)mlp_c_size(cg, id), (long long)off);
}

static void emit_unindex(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    const struct mlp_node *n = mlp_node(cg->g, id);
    int64_t off = block_offset(n->shape, n->attr);
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = 0;\n",
      (long long)mlp_c_size(cg, id));
    P("        for (i = 0; i < %lld; i++)\n            y[%lld + i] = a[i];\n",
      (long long)mlp_c_size(cg, low->in[0]), (long long)off);
}

static void emit_broadcast(struct mlp_c_emit *cg, mlp_id id, const struct mlp_lowered *low)
{
    P("        long i;\n        for (i = 0; i < %lld; i++)\n            y[i] = a[0];\n",
      (long long)mlp_c_size(cg, id));
    (void)low;
}

MLP_C_OP(INDEX, MLP_C_EMIT(emit_index, 0), MLP_Q8_NO)
MLP_C_OP(UNINDEX, MLP_C_EMIT(emit_unindex, 0), MLP_Q8_NO)
MLP_C_OP(BROADCAST, MLP_C_EMIT(emit_broadcast, 0), MLP_Q8_NO)

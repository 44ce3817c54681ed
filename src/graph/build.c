/* build.c - smart constructors: algebraic folding before hash-consing.
 *
 * Gradient rules are written like the math (dz = dh * dsigmoid(z)) and rely on these folds to come
 * out the way a person would write them: the seed's ybar = y - s appears because d(0.5*sumsq(d))
 * folds 1 * 0.5 * 2 to 1. The same folds, with a user's facts substituted as constants, are what
 * the zero-gradient analysis runs. Only anonymous constants are looked through: a declared
 * `const r` stays the symbol r.
 */
#include "graph/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool zero(const mlp_graph *g, mlp_id id) { return mlp_is_const_value(g, id, 0); }
static bool one(const mlp_graph *g, mlp_id id) { return mlp_is_const_value(g, id, 1); }
static bool minus_one(const mlp_graph *g, mlp_id id) { return mlp_is_const_value(g, id, -1); }
static bool same_shape(const mlp_graph *g, mlp_id id, const struct mlp_node *n)
{
    return mlp_shape_equal(g->nodes[id].shape, n->shape);
}
static bool is_op(const mlp_graph *g, mlp_id id, enum mlp_op op) { return g->nodes[id].op == op; }
static bool scalar_const(const mlp_graph *g, mlp_id id)
{
    return mlp_is_anon_const(g, id) && g->nodes[id].shape.rank == 0;
}

/* The literal a scalar anonymous constant was written as, or NULL. */
static const char *scalar_text(const mlp_graph *g, mlp_id id)
{
    const struct mlp_node *n = mlp_node(g, id);
    return n->shape.rank == 0 && g->pool_text ? g->pool_text[n->data] : NULL;
}

/* Folding computes in doubles, but `x - 1/3` in a statement should reach `mlp verify` as one
 * third, exactly as a declared `const c = 1/3` does. A quotient of two written numbers keeps the
 * spelling p/q, and a negated one its sign, as the folded constant's text. */
static void keep_exact_text(mlp_graph *g, const struct mlp_node *n, mlp_id result)
{
    if (result == MLP_NONE || n->shape.rank != 0 || (n->op != MLP_OP_NEG && n->op != MLP_OP_DIV))
        return;
    const char *a = scalar_text(g, n->in[0]);
    const char *b = n->op == MLP_OP_DIV ? scalar_text(g, n->in[1]) : "1";
    if (!a || !b || strchr(a, '/') || strchr(b, '/'))
        return;
    /* The sign goes on the numerator: flipped when negating, and when the denominator is < 0. */
    bool flip = (n->op == MLP_OP_NEG) != (b[0] == '-');
    const char *num = a[0] == '-' ? a + 1 : a, *den = b[0] == '-' ? b + 1 : b;
    bool negative = (a[0] == '-') != flip;
    char text[160];
    if (n->op == MLP_OP_NEG)
        snprintf(text, sizeof text, "%s%s", negative ? "-" : "", num);
    else
        snprintf(text, sizeof text, "%s%s/%s", negative ? "-" : "", num, den);
    if (strlen(text) < sizeof text - 1)
        mlp_pool_set_text(g, mlp_node(g, result)->data, text);
}

/* Evaluate a prepared node whose operands are all anonymous constants. A result that is not
 * finite (1e300 * 1e10, log(-1)) is not folded: MLP_NONE without an error, and the node stays
 * an operation evaluated at run time. Constants are then always finite numbers, which the
 * language can write, so a printed model parses back (there is no literal for inf or nan). */
static mlp_id fold_constant(mlp_graph *g, const struct mlp_node *n)
{
    int64_t size = mlp_shape_size(n->shape);
    if (!mlp_pool_fits(g, size))
        return MLP_NONE;
    double *vals = malloc((size_t)size * sizeof *vals);
    if (!vals)
        return mlp_graph_fail(g, "out of memory folding a constant of %lld elements", (long long)size);
    mlp_eval_const_op(g, n, vals);
    bool finite = true;
    for (int64_t i = 0; i < size && finite; i++)
        finite = isfinite(vals[i]);
    mlp_id id = finite ? mlp_const(g, n->shape, vals) : MLP_NONE;
    free(vals);
    keep_exact_text(g, n, id);
    return id;
}

static bool all_const(const mlp_graph *g, const struct mlp_node *n)
{
    for (int i = 0; i < mlp_op_arity(n->op); i++)
        if (!mlp_is_anon_const(g, n->in[i]))
            return false;
    return true;
}

/* The algebraic identities; returns an existing or new node, or MLP_NONE when none applies. */
static mlp_id simplify(mlp_graph *g, const struct mlp_node *n)
{
    mlp_id a = n->in[0], b = n->in[1];
    enum mlp_op_class cls = mlp_op(n->op)->cls;
    switch (n->op) {
    case MLP_OP_ADD:
        if (zero(g, a) && same_shape(g, b, n))
            return b;
        if (zero(g, b) && same_shape(g, a, n))
            return a;
        if (is_op(g, b, MLP_OP_NEG))
            return mlp_sub(g, a, g->nodes[b].in[0]);
        return MLP_NONE;
    case MLP_OP_SUB:
        if (zero(g, b) && same_shape(g, a, n))
            return a;
        if (zero(g, a) && same_shape(g, b, n))
            return mlp_neg(g, b);
        if (is_op(g, b, MLP_OP_NEG))
            return mlp_add(g, a, g->nodes[b].in[0]);
        return MLP_NONE;
    case MLP_OP_MUL:
        if (zero(g, a) || zero(g, b))
            return mlp_const_fill(g, n->shape, 0);
        if (one(g, a) && same_shape(g, b, n))
            return b;
        if (one(g, b) && same_shape(g, a, n))
            return a;
        if (minus_one(g, a) && same_shape(g, b, n))
            return mlp_neg(g, b);
        if (minus_one(g, b) && same_shape(g, a, n))
            return mlp_neg(g, a);
        /* c1 * (c2 * x) = (c1 c2) * x for scalar constants: 2 * (0.5 * d) reads d. */
        if (scalar_const(g, a) && is_op(g, b, MLP_OP_MUL) && scalar_const(g, g->nodes[b].in[0]))
            return mlp_mul(g, mlp_mul(g, a, g->nodes[b].in[0]), g->nodes[b].in[1]);
        if (scalar_const(g, b) && !scalar_const(g, a))
            return mlp_mul(g, b, a); /* scalar constants go first: 2 x, not x 2 */
        return MLP_NONE;
    case MLP_OP_DIV:
        if (one(g, b) && same_shape(g, a, n))
            return a;
        if (zero(g, a))
            return mlp_const_fill(g, n->shape, 0);
        return MLP_NONE;
    case MLP_OP_NEG:
        return is_op(g, a, MLP_OP_NEG) ? g->nodes[a].in[0] : MLP_NONE;
    case MLP_OP_TRANSPOSE:
        return is_op(g, a, MLP_OP_TRANSPOSE) ? g->nodes[a].in[0] : MLP_NONE;
    default:
        break;
    }
    /* A linear map of zero, or a bilinear map with a zero operand, is zero. */
    if ((cls == MLP_CLASS_LINEAR && zero(g, a) && (b == MLP_NONE || zero(g, b))) ||
        (cls == MLP_CLASS_BILINEAR && (zero(g, a) || zero(g, b))))
        return mlp_const_fill(g, n->shape, 0);
    return MLP_NONE;
}

mlp_id mlp_build(mlp_graph *g, enum mlp_op op, const mlp_id *in, const int32_t *attr, mlp_shape target)
{
    struct mlp_node n;
    if (!mlp_prepare(g, op, in, attr, target, &n))
        return MLP_NONE;
    /* batch_sum depends on the batch size, unknown until run time: never folded. */
    if (op != MLP_OP_BATCH_SUM && all_const(g, &n)) {
        mlp_id folded = fold_constant(g, &n);
        if (folded != MLP_NONE || g->err.status != MLP_OK)
            return folded;
    }
    mlp_id s = simplify(g, &n);
    if (s != MLP_NONE || g->err.status != MLP_OK)
        return s;
    return mlp_intern(g, &n);
}

static mlp_id build2(mlp_graph *g, enum mlp_op op, mlp_id a, mlp_id b)
{
    mlp_id in[2] = {a, b};
    return mlp_build(g, op, in, NULL, mlp_shape_scalar());
}

mlp_id mlp_add(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_ADD, a, b); }
mlp_id mlp_sub(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_SUB, a, b); }
mlp_id mlp_mul(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_MUL, a, b); }
mlp_id mlp_div(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_DIV, a, b); }
mlp_id mlp_matmul(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_MATMUL, a, b); }
mlp_id mlp_outer(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_OUTER, a, b); }
mlp_id mlp_dot(mlp_graph *g, mlp_id a, mlp_id b) { return build2(g, MLP_OP_DOT, a, b); }
mlp_id mlp_unary(mlp_graph *g, enum mlp_op op, mlp_id a) { return build2(g, op, a, MLP_NONE); }
mlp_id mlp_neg(mlp_graph *g, mlp_id a) { return mlp_unary(g, MLP_OP_NEG, a); }
mlp_id mlp_transpose(mlp_graph *g, mlp_id a) { return mlp_unary(g, MLP_OP_TRANSPOSE, a); }

static void index_attr(int32_t attr[MLP_MAX_ATTR], const int32_t *idx, int nidx)
{
    for (int i = 0; i < MLP_MAX_ATTR; i++)
        attr[i] = 0;
    attr[0] = nidx;
    for (int i = 0; i < nidx && i < MLP_MAX_ATTR - 1; i++)
        attr[1 + i] = idx[i];
}

mlp_id mlp_index(mlp_graph *g, mlp_id a, const int32_t *idx, int nidx)
{
    int32_t attr[MLP_MAX_ATTR];
    index_attr(attr, idx, nidx);
    return mlp_build(g, MLP_OP_INDEX, &a, attr, mlp_shape_scalar());
}

mlp_id mlp_unindex(mlp_graph *g, mlp_id a, mlp_shape shape, const int32_t *idx, int nidx)
{
    int32_t attr[MLP_MAX_ATTR];
    index_attr(attr, idx, nidx);
    return mlp_build(g, MLP_OP_UNINDEX, &a, attr, shape);
}

mlp_id mlp_broadcast(mlp_graph *g, mlp_id a, mlp_shape shape)
{
    return mlp_build(g, MLP_OP_BROADCAST, &a, NULL, shape);
}

/* test_simplify.c - the simplification rules of the smart constructors (src/graph/build.c), each
 * on its own. derive prints what they leave, zeros relies on them to fold facts, so every rule
 * must hold for all values of the symbols: only anonymous constants are looked through. */
#include "test.h"

#include "graph/graph.h"

struct fixture {
    mlp_graph *g;
    mlp_id x, y, v, r; /* scalar inputs x, y; input vector v[3]; declared const r = 0 */
};

static struct fixture setup(void)
{
    struct fixture f;
    f.g = mlp_graph_new("test");
    f.x = mlp_graph_declare(f.g, MLP_INPUT, "x", mlp_shape_scalar(), NULL, NULL, MLP_NOLOC);
    f.y = mlp_graph_declare(f.g, MLP_INPUT, "y", mlp_shape_scalar(), NULL, NULL, MLP_NOLOC);
    f.v = mlp_graph_declare(f.g, MLP_INPUT, "v", mlp_shape_1d(3), NULL, NULL, MLP_NOLOC);
    double zero = 0;
    f.r = mlp_graph_declare(f.g, MLP_CONST, "r", mlp_shape_scalar(), &zero, NULL, MLP_NOLOC);
    return f;
}

static bool is_op(const mlp_graph *g, mlp_id id, enum mlp_op op, mlp_id a, mlp_id b)
{
    const struct mlp_node *n = mlp_node(g, id);
    return n->op == op && n->in[0] == a && (b == MLP_NONE || n->in[1] == b);
}

static bool is_zeros(const mlp_graph *g, mlp_id id, int rank)
{
    return mlp_is_const_value(g, id, 0) && mlp_node(g, id)->shape.rank == rank;
}

TEST(simplify_additive_identities)
{
    struct fixture f = setup();
    mlp_graph *g = f.g;
    mlp_id zero = mlp_scalar(g, 0);
    CHECK(mlp_add(g, f.x, zero) == f.x && mlp_add(g, zero, f.x) == f.x);
    CHECK(mlp_sub(g, f.x, zero) == f.x);
    CHECK(is_op(g, mlp_sub(g, zero, f.x), MLP_OP_NEG, f.x, MLP_NONE));
    CHECK(is_op(g, mlp_add(g, f.x, mlp_neg(g, f.y)), MLP_OP_SUB, f.x, f.y));
    CHECK(is_op(g, mlp_sub(g, f.x, mlp_neg(g, f.y)), MLP_OP_ADD, f.x, f.y));
    /* x + 0 keeps the shape: a scalar zero added to a vector is the vector, but a vector of
     * zeros added to a scalar is a vector, not the scalar. */
    CHECK(mlp_add(g, f.v, zero) == f.v);
    mlp_id zeros3 = mlp_const_fill(g, mlp_shape_1d(3), 0);
    CHECK(mlp_node(g, mlp_add(g, f.x, zeros3))->shape.rank == 1);
    CHECK(g->err.status == MLP_OK);
    mlp_graph_free(g);
}

TEST(simplify_multiplicative_identities)
{
    struct fixture f = setup();
    mlp_graph *g = f.g;
    mlp_id zero = mlp_scalar(g, 0), one = mlp_scalar(g, 1), two = mlp_scalar(g, 2);
    CHECK(is_zeros(g, mlp_mul(g, zero, f.x), 0) && is_zeros(g, mlp_mul(g, f.v, zero), 1));
    CHECK(mlp_mul(g, one, f.x) == f.x && mlp_mul(g, f.v, one) == f.v);
    CHECK(is_op(g, mlp_mul(g, mlp_scalar(g, -1), f.x), MLP_OP_NEG, f.x, MLP_NONE));
    CHECK(mlp_div(g, f.x, one) == f.x && is_zeros(g, mlp_div(g, zero, f.x), 0));
    /* Scalar constants go first and combine: (x 2) 0.5 = x. */
    CHECK(is_op(g, mlp_mul(g, f.x, two), MLP_OP_MUL, two, f.x));
    CHECK(mlp_mul(g, mlp_scalar(g, 0.5), mlp_mul(g, f.x, two)) == f.x);
    CHECK(g->err.status == MLP_OK);
    mlp_graph_free(g);
}

TEST(simplify_involutions_and_linear_maps_of_zero)
{
    struct fixture f = setup();
    mlp_graph *g = f.g;
    CHECK(mlp_neg(g, mlp_neg(g, f.x)) == f.x);
    mlp_id W = mlp_graph_declare(g, MLP_PARAM, "W", mlp_shape_2d(2, 3), NULL, NULL, MLP_NOLOC);
    CHECK(mlp_transpose(g, mlp_transpose(g, W)) == W);
    mlp_id zeros = mlp_const_fill(g, mlp_shape_1d(3), 0);
    CHECK(is_zeros(g, mlp_matmul(g, W, zeros), 1));                    /* W 0 = 0 */
    CHECK(is_zeros(g, mlp_dot(g, f.v, zeros), 0));                     /* vᵀ 0 = 0 */
    CHECK(is_zeros(g, mlp_outer(g, zeros, f.v), 2));                   /* 0 vᵀ = 0 */
    CHECK(is_zeros(g, mlp_unary(g, MLP_OP_SUM, mlp_neg(g, zeros)), 0)); /* Σ(−0) = 0 */
    CHECK(g->err.status == MLP_OK);
    mlp_graph_free(g);
}

TEST(simplify_folds_constants_but_not_declared_ones)
{
    struct fixture f = setup();
    mlp_graph *g = f.g;
    CHECK(mlp_is_const_value(g, mlp_add(g, mlp_scalar(g, 2), mlp_scalar(g, 3)), 5));
    CHECK(mlp_is_const_value(g, mlp_unary(g, MLP_OP_SIGMOID, mlp_scalar(g, 0)), 0.5));
    /* `const r = 0` is a symbol: r * x stays r * x (the model may change r's value). */
    CHECK(is_op(g, mlp_mul(g, f.r, f.x), MLP_OP_MUL, f.r, f.x));
    CHECK(g->err.status == MLP_OK);
    mlp_graph_free(g);
}

/* Common subexpressions: the same op on the same operands is the same node. */
TEST(simplify_shares_common_subexpressions)
{
    struct fixture f = setup();
    mlp_graph *g = f.g;
    mlp_id a = mlp_unary(g, MLP_OP_DSIGMOID, mlp_add(g, f.x, f.y));
    mlp_id b = mlp_unary(g, MLP_OP_DSIGMOID, mlp_add(g, f.x, f.y));
    CHECK(a == b);
    CHECK(mlp_add(g, f.x, f.y) != mlp_add(g, f.y, f.x)); /* order is kept: derive relies on it */
    CHECK(mlp_scalar(g, 0.25) == mlp_scalar(g, 0.25));
    CHECK(g->err.status == MLP_OK);
    mlp_graph_free(g);
}

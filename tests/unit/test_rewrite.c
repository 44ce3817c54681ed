/* test_rewrite.c - rebuilding a graph node by node: a plain rebuild prints the same model, and a
 * hook's replacement reaches every user of the replaced node. */
#include "test.h"
#include "util.h"

#include <stdlib.h>

#include "api/internal.h"
#include "graph/rewrite.h"
#include "lang/parser.h"

static char *print_graph(const mlp_graph *g)
{
    mlp_strbuf b = {0};
    mlp_print_model(g, NULL, &b);
    return mlp_sb_take(&b);
}

TEST(rewrite_plain_rebuild_prints_the_same_model)
{
    const char *paths[] = {"examples/seed/residual.mlp", "examples/seed/relu-net.mlp",
                           "examples/seed/descending.mlp", "examples/explain/heads.mlp"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        mlp_model *m = mlp_model_load(paths[i], NULL);
        CHECK(m);
        mlp_error err = {0};
        mlp_graph *g = mlp_graph_rewrite(mlp_model_graph(m), NULL, NULL, NULL, &err);
        CHECK(g);
        char *a = print_graph(mlp_model_graph(m)), *b = print_graph(g);
        CHECK_STR(b, a);
        free(a);
        free(b);
        mlp_graph_free(g);
        mlp_model_free(m);
    }
    /* Interleaved declarations, aliases and a statement that is a number keep their order. */
    mlp_model *m = parse_ok("input x\nc = 0.5\nparam w = 1/3\ny = w * x\nz = y\nconst k = 2\n"
                            "L = k * y + c\noutput z\nloss L\n"); /* z is y: one node, first name */
    CHECK(m);
    mlp_graph *g = mlp_graph_rewrite(mlp_model_graph(m), NULL, NULL, NULL, NULL);
    char *b = print_graph(g);
    CHECK_STR(b, "input x\nc = 0.5\nparam w = 1/3\ny = w * x\nz = y\nconst k = 2\n"
                 "L = k * y + c\noutput z\nloss L\n"); /* z is y: one node, first name */
    free(b);
    mlp_graph_free(g);
    mlp_model_free(m);
}

/* Replace every relu by the identity: users see the replacement, and folding applies. */
static mlp_id relu_to_identity(void *ctx, mlp_graph *dst, const mlp_graph *src, mlp_id id,
                               const mlp_id *map)
{
    (void)ctx;
    const struct mlp_node *n = mlp_node(src, id);
    return n->op == MLP_OP_RELU ? map[n->in[0]] : MLP_NONE;
}

TEST(rewrite_hook_replaces_nodes)
{
    mlp_model *m = parse_ok("input x\nparam w = 2\nh = relu(w * x)\ny = 3 * h\noutput y\n");
    CHECK(m);
    mlp_id *map = NULL;
    mlp_graph *g = mlp_graph_rewrite(mlp_model_graph(m), relu_to_identity, NULL, &map, NULL);
    CHECK(g && map);
    char *b = print_graph(g);
    CHECK_STR(b, "input x\nparam w = 2\nh = w * x\ny = 3 * h\noutput y\n");
    free(b);
    free(map);
    mlp_graph_free(g);
    mlp_model_free(m);
}
